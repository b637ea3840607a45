/**
 * Analysis of a member's message for the intent parser (pure functions, no I/O).
 *
 * 1. Normalisation: strip control/zero-width characters, split into tokens, expand phone
 *    abbreviations ("k" → "không", "cm" → "có mặt"), then merge compounds ("có mặt", "xin phép",
 *    "đề nghị"…); each word keeps the lexicon entries it may stand for (see intent-vocabulary.ts).
 * 2. Clause structure: punctuation and "nhưng"/"nên" split clauses; a clause ending in "?",
 *    containing a question word or ending in "… không" is a question.
 *
 * The helpers below work over the result: fillers, the member's own words for a reason
 * (`excerpt`), the negator that governs a word.
 */
import * as lexicon from "./intent-lexicon.ts";
import { COMPOUND_PARTS, COMPOUNDS, norm, own, SINGLE, vocab, type WordSet } from "./intent-vocabulary.ts";
import { compatible, shapeOf } from "./intent-word-shape.ts";

/** Reasons and notes longer than this are cut. */
const MAX_EXCERPT = 300;

export interface Word {
  /** Lexicon entries this word may stand for, plus its own spelling. */
  keys: WordSet;
  /** Lower-case NFC spelling (after abbreviation expansion / compound merge). */
  raw: string;
  /** Character offsets in the analysed text (for quoting the member's own words). */
  start: number;
  end: number;
  clause: number;
  digit: boolean;
}

export interface Clause {
  from: number;
  to: number;
  question: boolean;
}

export interface Analysis {
  text: string;
  words: Word[];
  clauses: Clause[];
}

interface Token {
  raw: string;
  base: string;
  start: number;
  end: number;
  breakBefore: boolean;
  questionAfter: boolean;
}

const TOKEN_RE = /[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}]+)*/gu;
/** Separators that end a clause. */
const BREAK_RE = /[,.;:!?…\n()[\]{}|/\\–—\-"“”«»]/;

/** Removes control, zero-width, bidi and variation characters; tidies spaces; NFC. */
export function clean(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noMisleadingCharacterClass: variation selectors and U+20E3 are removed one by one, on purpose
      .replace(/[\p{Cf}\p{Cs}\p{Co}\uFE00-\uFE0F\u20E3]/gu, "")
      .replace(/\r\n?/g, "\n")
      .replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, " ")
      .replace(/[^\S\n]+/g, " ")
      .replace(/ ?\n[\s]*/g, "\n")
      .trim()
      .normalize("NFC")
  );
}

/** Expands one typed token into lexicon-spelled words ("k" → "không", "cm" → "có mặt"). */
function expandToken(typed: string, depth = 0): string[] {
  const lower = norm(typed).replace(/’/g, "'");
  const alias = own(lexicon.RAW_ALIASES, lower);
  if (alias) return alias.split(" ");
  const base = shapeOf(lower).base;
  if (lower.replace(/đ/g, "d") === base) {
    const abbreviation = own(lexicon.ABBREVIATIONS, base);
    if (abbreviation) return abbreviation.split(" ");
  }
  // Two words typed together ("cómặt", "xinvang", "dadoc"): a two-word compound of the lexicon.
  if (depth === 0 && lower.length >= 4 && lower.length <= 24 && !SINGLE.has(base) && !COMPOUND_PARTS.has(base)) {
    const letters = [...lower];
    for (let k = 1; k < letters.length; k++) {
      const left = letters.slice(0, k).join("");
      const right = letters.slice(k).join("");
      const joined = (COMPOUNDS.get(shapeOf(left).base) ?? []).find(
        (parts) => parts.length === 2 && compatible(left, parts[0] as string) && compatible(right, parts[1] as string),
      );
      if (joined) return [left, right];
    }
  }
  // One letter drawn out ("ạaa", "ờờ") is that letter.
  if (depth === 0 && /^(\p{L})\1+$/u.test(base)) return expandToken([...lower][0] as string, 1);
  // Laughter ("hahaha", "hihi", "kkk") is a particle.
  if (/^(?:h[aeiou]){2,}$|^k{2,}$|^hic+$/.test(base)) return ["haha"];
  // Typos with a repeated letter: "co matt", "vangg", "okkk".
  if (depth === 0 && lower.length <= 24 && !SINGLE.has(base) && !COMPOUND_PARTS.has(base)) {
    const collapsed = lower.replace(/(.)\1+/gu, "$1");
    const collapsedBase = shapeOf(collapsed).base;
    if (
      collapsed !== lower &&
      (SINGLE.has(collapsedBase) ||
        COMPOUND_PARTS.has(collapsedBase) ||
        own(lexicon.ABBREVIATIONS, collapsedBase) !== undefined)
    )
      return expandToken(collapsed, 1);
  }
  return [lower];
}

/** After these (folded), an undiacritised "toi" is "tới" (to come), not "tôi" (I). */
const BEFORE_TOI_MEANS_COME = new Set(["se", "khong", "chua", "kip", "the", "duoc", "di"]);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN_RE)) {
    const index = match.index ?? 0;
    const separator = text.slice(last, index);
    const previous = tokens[tokens.length - 1];
    if (previous && separator.includes("?")) previous.questionAfter = true;
    const breakBefore = tokens.length === 0 || BREAK_RE.test(separator);
    const end = index + match[0].length;
    const expanded = expandToken(match[0]);
    expanded.forEach((raw, k) => {
      let word = raw;
      const before = tokens[tokens.length - 1];
      if (word === "toi" && before && BEFORE_TOI_MEANS_COME.has(before.base)) word = "tới";
      tokens.push({
        raw: word,
        base: shapeOf(word).base,
        start: index,
        end,
        breakBefore: k === 0 && breakBefore,
        questionAfter: false,
      });
    });
    last = end;
  }
  const lastToken = tokens[tokens.length - 1];
  if (lastToken && text.slice(last).includes("?")) lastToken.questionAfter = true;
  return tokens;
}

function keysOf(raw: string): WordSet {
  const keys = new Set<string>([raw]);
  for (const entry of SINGLE.get(shapeOf(raw).base) ?? []) if (compatible(raw, entry)) keys.add(entry);
  return keys;
}

export const is = (word: Word | undefined, set: WordSet): boolean => {
  if (!word) return false;
  for (const key of word.keys) if (set.has(key)) return true;
  return false;
};

export function analyse(text: string): Analysis {
  const tokens = tokenize(text);
  const merged: { word: Omit<Word, "clause">; breakBefore: boolean; questionAfter: boolean }[] = [];
  for (let i = 0; i < tokens.length; ) {
    const token = tokens[i] as Token;
    let length = 1;
    let compound: string | undefined;
    // Longest compound starting here, not crossing punctuation.
    for (const parts of COMPOUNDS.get(token.base) ?? []) {
      if (i + parts.length > tokens.length) continue;
      const ok = parts.every((part, j) => {
        const t = tokens[i + j] as Token;
        return (j === 0 || !t.breakBefore) && t.base === shapeOf(part).base && compatible(t.raw, part);
      });
      if (ok) {
        length = parts.length;
        compound = parts.join(" ");
        break;
      }
    }
    const lastToken = tokens[i + length - 1] as Token;
    const raw = compound ?? token.raw;
    merged.push({
      word: {
        keys: compound ? new Set([compound]) : keysOf(token.raw),
        raw,
        start: token.start,
        end: lastToken.end,
        digit: /^\p{N}+$/u.test(raw),
      },
      breakBefore: token.breakBefore,
      questionAfter: lastToken.questionAfter,
    });
    i += length;
  }

  // Clauses: punctuation, and the words "nhưng"/"nên"/"but", start a new clause.
  const words: Word[] = [];
  const clauses: Clause[] = [];
  let clause = -1;
  let breakNext = true;
  merged.forEach((m, i) => {
    const isBreakWord = is({ ...m.word, clause: 0 }, vocab.breaks);
    if (i === 0 || m.breakBefore || breakNext || isBreakWord) {
      clause++;
      clauses.push({ from: i, to: i, question: false });
    }
    breakNext = isBreakWord;
    words.push({ ...m.word, clause });
    const current = clauses[clause] as Clause;
    current.to = i + 1;
    if (m.questionAfter) current.question = true;
  });
  for (const c of clauses) if (!c.question) c.question = isQuestionClause(words, c);
  return { text, words, clauses };
}

/** A clause with a question word, or ending with "… không/chưa" after some content. */
function isQuestionClause(words: Word[], c: Clause): boolean {
  const inClause = words.slice(c.from, c.to);
  // "không ai trông", "chưa có gì": after a negator, "ai"/"gì" mean nobody/nothing.
  if (
    inClause.some((w, k) => is(w, vocab.questionWords) && !(w.raw.length <= 3 && is(inClause[k - 1], vocab.negators)))
  )
    return true;
  let last = inClause.length - 1;
  while (last >= 0 && is(inClause[last], vocab.trailing)) last--;
  const final = inClause[last];
  if (!final || !is(final, vocab.questionFinals)) return false;
  // "không biết có đi được không" is an undecided answer, not a question to the association.
  if (inClause.some((w) => is(w, vocab.undecided))) return false;
  return inClause.slice(0, last).some((w) => !is(w, vocab.filler) && !is(w, vocab.negators) && !is(w, vocab.yes));
}

// ---------------------------------------------------------------------------------------------
// Helpers over an analysis.

export const isFiller = (w: Word | undefined): boolean => is(w, vocab.filler);

/** True when every word is a core word, a filler, or in one of the allowed sets; at least one core. */
export function onlyCoreAndAllowed(
  words: readonly Word[],
  isCore: (w: Word) => boolean,
  ...allowed: WordSet[]
): boolean {
  let core = 0;
  for (const w of words) {
    if (isCore(w)) core++;
    else if (!isFiller(w) && !allowed.some((set) => is(w, set))) return false;
  }
  return core > 0;
}

function isPoliteClause(a: Analysis, c: Clause): boolean {
  for (let i = c.from; i < c.to; i++) {
    const w = a.words[i];
    if (!isFiller(w) && !is(w, vocab.polite)) return false;
  }
  return true;
}

/**
 * A clause that cannot be a reason or a note: thanks, "dạ", "no", or a bare "bận" (the spec
 * treats "bận" alone as no reason).
 */
export function isEmptyClause(a: Analysis, c: Clause): boolean {
  for (let i = c.from; i < c.to; i++) {
    const w = a.words[i];
    if (!isFiller(w) && !is(w, vocab.polite) && !is(w, vocab.yes) && !is(w, vocab.no) && !is(w, vocab.busy))
      return false;
  }
  return true;
}

/**
 * A particle that ends a reason ("ạ", "nhé", "đâu"). Typed with some marks, the word must be the
 * particle exactly: "chân đau" (pain) keeps "đau", which only "dau" without any mark could be.
 */
function isTrailingParticle(w: Word | undefined): boolean {
  if (!w || !is(w, vocab.trailing)) return false;
  return vocab.trailing.has(w.raw) || shapeOf(w.raw).base === w.raw;
}

/**
 * The member's own words from word `from` to word `to` (exclusive): fillers at the start and
 * particles / polite clauses at the end are dropped. Undefined when nothing remains.
 */
export function excerpt(a: Analysis, from: number, to: number, leading: WordSet = vocab.leading): string | undefined {
  let first = from;
  let last = Math.min(to, a.words.length) - 1;
  // "ba em", "bà tôi", "mẹ em": a kinship word with its owner is the reason's subject, kept.
  while (
    first <= last &&
    is(a.words[first], leading) &&
    !(is(a.words[first], vocab.pronouns) && is(a.words[first + 1], vocab.pronouns) && first + 1 <= last)
  )
    first++;
  for (;;) {
    while (last >= first && isTrailingParticle(a.words[last])) last--;
    const lastWord = a.words[last];
    if (last < first || !lastWord) return undefined;
    const c = a.clauses[lastWord.clause] as Clause;
    // Drop a trailing clause that is only thanks / apologies ("…, mong chi hội thông cảm") or a
    // question to the association ("…, cho hỏi có tài liệu không").
    if (c.from > first && (isPoliteClause(a, c) || c.question)) last = c.from - 1;
    else break;
  }
  const start = (a.words[first] as Word).start;
  const end = (a.words[last] as Word).end;
  const text = a.text
    .slice(start, end)
    .replace(/[\s,.;:!?…\-–—]+$/u, "")
    .trim();
  if (!text) return undefined;
  return text.length > MAX_EXCERPT ? text.slice(0, MAX_EXCERPT).trim() : text;
}

/** A number, possibly with a unit: "15", "15p", "7h", "10ph". */
export const isAmount = (w: Word | undefined): boolean => !!w && (w.digit || /^\p{N}+\p{L}{1,4}$/u.test(w.raw));

export const sameClause = (a: Analysis, i: number, j: number): boolean =>
  a.words[i] !== undefined && a.words[j] !== undefined && a.words[i]?.clause === a.words[j]?.clause;

/**
 * Index of a negator governing word i: "không (thể) đến", "won't be able to come" (looking back
 * at most `window` content words in the same clause), or postposed "đi không được". -1 if none.
 */
export function negatorOf(a: Analysis, i: number, window: number): number {
  let seen = 0;
  for (let j = i - 1; j >= 0 && seen < window && sameClause(a, i, j); j--) {
    if (is(a.words[j], vocab.negators)) return j;
    if (!isFiller(a.words[j])) seen++;
  }
  const next = a.words[i + 1];
  if (sameClause(a, i, i + 1) && is(next, vocab.negators)) {
    // Postposed: "đi không được", "đến không kịp".
    if (next && /\s(được|kịp|nổi)$/.test(next.raw)) return i + 1;
    const after = a.words[i + 2];
    if (sameClause(a, i, i + 2) && after && (after.raw === "được" || after.raw === "kịp" || after.raw === "nổi"))
      return i + 1;
  }
  return -1;
}
