/**
 * Word shapes for the intent parser: a Vietnamese word split into its base letters, the
 * non-tone marks of each letter and its tone, so a typed word can be matched against a lexicon
 * entry written with full diacritics ("co" may be "có", but "mất" is never "mặt").
 */

const TONE_MARKS = new Set(["\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]);

interface Shape {
  /** The letters without any mark ("đ" → "d"). */
  base: string;
  /** Per letter, the non-tone marks (circumflex, breve, horn, "đ" stroke). */
  marks: string[];
  /** The tone mark of the word, wherever it was placed ("hủy" and "huỷ" agree). */
  tone: string;
}

const shapeCache = new Map<string, Shape>();

export function shapeOf(word: string): Shape {
  const cached = shapeCache.get(word);
  if (cached) return cached;
  let base = "";
  let tone = "";
  const marks: string[] = [];
  for (const ch of word) {
    if (ch === "đ") {
      base += "d";
      marks.push("đ");
      continue;
    }
    let first = true;
    let m = "";
    for (const c of ch.normalize("NFD")) {
      if (first) {
        base += c;
        first = false;
      } else if (TONE_MARKS.has(c)) tone = c;
      else m += c;
    }
    marks.push(m);
  }
  const shape = { base, marks, tone };
  if (word.length <= 30 && shapeCache.size < 20_000) shapeCache.set(word, shape);
  return shape;
}

/** True when `typed` may be `entry` written with fewer (or the same) diacritics. */
export function compatible(typed: string, entry: string): boolean {
  if (typed === entry) return true;
  const a = shapeOf(typed);
  const b = shapeOf(entry);
  if (a.base !== b.base || a.marks.length !== b.marks.length) return false;
  if (a.tone && a.tone !== b.tone) return false;
  for (let i = 0; i < a.marks.length; i++) {
    const typedMarks = a.marks[i] ?? "";
    const entryMarks = b.marks[i] ?? "";
    for (const m of typedMarks) if (!entryMarks.includes(m)) return false;
  }
  return true;
}
