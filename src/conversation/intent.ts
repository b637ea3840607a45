/**
 * Intent parser for members' chat replies (pure functions, no I/O).
 *
 * Members type on phones: with or without diacritics, abbreviations ("k đi đc", "cm"), typos
 * ("co matt"), emoji and irregular spacing. The parser works in three steps:
 *
 * 1. Normalisation: strip control/zero-width characters, cut the analysed part to
 *    ANALYSIS_WINDOW characters, split into tokens, expand phone abbreviations, then merge
 *    compounds ("có mặt", "xin phép", "đề nghị"…). A token is matched against the lexicon
 *    (intent-lexicon.ts) diacritic-aware: "co" matches "có", but "mất" never matches "mặt".
 * 2. Clause structure: punctuation and "nhưng"/"nên" split clauses; a clause ending in "?",
 *    containing a question word or ending in "… không" is a question.
 * 3. Ordered rules (see parseIntent), from the most specific (commands, link codes) to the
 *    default (a concern, i.e. free text for the association).
 */
import { foldVietnamese } from "../lib/vietnamese.ts";
import * as L from "./intent-lexicon.ts";

export type Intent =
  | { kind: "attend"; note?: string }
  | { kind: "absent"; reason?: string }
  | { kind: "unsure" }
  | { kind: "read" }
  | { kind: "schedule" }
  | { kind: "help" }
  | { kind: "link"; code: string }
  | { kind: "choice"; index: number }
  | { kind: "yes" }
  | { kind: "no" }
  | {
      kind: "command";
      name: "start" | "lich" | "ykien" | "trogiup" | "ngonngu" | "huylienket" | "vanban" | string;
      args: string;
    }
  | { kind: "language"; locale?: "vi" | "en" }
  | { kind: "unlink" }
  | { kind: "concern_start" }
  | { kind: "satisfied" }
  | { kind: "unsatisfied" }
  | { kind: "concern"; text: string }
  | { kind: "empty" };

/**
 * What the member was last asked: "reminder" = a meeting reminder not answered yet, "directive" =
 * a directive to confirm reading, "question" = a yes/no or numbered question, "none" = nothing.
 */
export type ParseContext = "none" | "reminder" | "directive" | "question";

/** Only the start of a message is analysed for intent (a 100 KB paste must stay cheap). */
const ANALYSIS_WINDOW = 500;
/** Reasons and notes longer than this are cut. */
const MAX_EXCERPT = 300;

// =============================================================================================
// Diacritic-aware matching of a typed word against a lexicon entry.

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

function shapeOf(word: string): Shape {
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
function compatible(typed: string, entry: string): boolean {
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

// =============================================================================================
// Lexicon index (built once from intent-lexicon.ts).

type WordSet = ReadonlySet<string>;

const norm = (s: string): string => s.normalize("NFC").toLowerCase();
const toSet = (...lists: readonly (readonly string[])[]): WordSet =>
  new Set(lists.flat().map(norm));

/** Single-word entries by base letters. */
const SINGLE = new Map<string, string[]>();
/** Compound entries (as word arrays) by the base letters of their first word, longest first. */
const COMPOUNDS = new Map<string, string[][]>();
/** Base letters of every part of a compound (to recognise "matt" as a typo of "mặt"). */
const COMPOUND_PARTS = new Set<string>();

for (const [name, value] of Object.entries(L)) {
  if (!Array.isArray(value) || name === "LINK_FILLERS") continue;
  for (const raw of value as string[]) {
    const entry = norm(raw);
    const parts = entry.split(" ");
    const first = parts[0] ?? "";
    if (parts.length === 1) {
      const list = SINGLE.get(shapeOf(entry).base) ?? [];
      if (!list.includes(entry)) list.push(entry);
      SINGLE.set(shapeOf(entry).base, list);
    } else {
      const key = shapeOf(first).base;
      const list = COMPOUNDS.get(key) ?? [];
      if (!list.some((c) => c.join(" ") === entry)) list.push(parts);
      COMPOUNDS.set(key, list);
      for (const p of parts) COMPOUND_PARTS.add(shapeOf(p).base);
    }
  }
}
for (const list of COMPOUNDS.values()) list.sort((x, y) => y.length - x.length);

const S = {
  pronouns: toSet(L.PRONOUNS),
  filler: toSet(L.PRONOUNS, L.PARTICLES, L.TIME_WORDS, L.CLAUSE_BREAKS),
  /** Stripped from the start of a reason or note. */
  leading: toSet(L.PRONOUNS, L.TIME_WORDS, L.CLAUSE_BREAKS, L.REASON_CONNECTORS, [
    "dạ", "vâng", "thưa", "ạ", "à", "a", "là", "thì", "mà", "và", "ok", "chắc", "chắc là", "đâu",
    "am", "is", "are", "will", "just",
  ]),
  /** Stripped from the end of a reason or note. */
  trailing: toSet([
    "ạ", "à", "á", "a", "nhé", "nha", "nhá", "nhen", "nghen", "ha", "hen", "ơi", "nè", "vậy",
    "nhỉ", "đâu", "please", "pls", "rồi", "quá", "lắm", "luôn", "ghê", "thật",
  ]),
  polite: toSet(L.POLITE),
  time: toSet(L.TIME_WORDS),
  greetings: toSet(L.GREETINGS),
  breaks: toSet(L.CLAUSE_BREAKS),
  negators: toSet(L.NEGATORS),
  presenceFree: toSet(L.PRESENCE_FREE),
  presenceConstrained: toSet(L.PRESENCE_CONSTRAINED),
  returnVerb: toSet(["về"]),
  returnContinuations: toSet(L.RETURN_CONTINUATIONS),
  continuations: toSet(L.PRESENCE_CONTINUATIONS),
  absence: toSet(L.ABSENCE_WORDS),
  askLeave: toSet(L.ASK_LEAVE),
  communication: toSet(L.COMMUNICATION_VERBS),
  late: toSet(L.LATE_WORDS),
  lateContinuations: toSet(L.LATE_CONTINUATIONS),
  hedges: toSet(L.HEDGES),
  maybe: toSet(L.MAYBE),
  letMe: toSet(L.LET_ME),
  letMeVerbs: toSet(L.LET_ME_VERBS),
  circumstances: toSet(L.CIRCUMSTANCES),
  busy: toSet(L.BUSY),
  connectors: toSet(L.REASON_CONNECTORS),
  /** Stripped right after "vì"/"lý do": "lý do là …". */
  afterConnector: toSet(["là"]),
  spanTail: toSet(L.ABSENCE_WORDS, L.ASK_LEAVE, L.NEGATORS, [
    "được", "kịp", "nổi", "đâu", "ạ", "a", "nhé", "nha", "rồi", "luôn", "mặt", "được đâu",
  ]),
  meeting: toSet(L.MEETING_WORDS),
  questionWords: toSet(L.QUESTION_WORDS),
  questionFinals: toSet(L.QUESTION_FINALS),
  undecided: toSet(["không biết", "chưa biết", "không chắc", "chưa chắc"]),
  read: toSet(L.READ_PHRASES),
  readAllowed: toSet(L.READ_ALLOWED),
  meetingNouns: toSet(L.MEETING_NOUNS),
  scheduleWords: toSet(L.SCHEDULE_WORDS),
  whenWhere: toSet(L.WHEN_WHERE),
  scheduleAllowed: toSet(L.SCHEDULE_ALLOWED),
  help: toSet(L.HELP_WORDS),
  helpAllowed: toSet(L.HELP_ALLOWED),
  helpHowto: toSet(L.HELP_HOWTO),
  helpUse: toSet(L.HELP_USE),
  languageEn: toSet(L.LANGUAGE_EN),
  languageVi: toSet(L.LANGUAGE_VI),
  languageWords: toSet(L.LANGUAGE_WORDS),
  languageCodesEn: toSet(L.LANGUAGE_CODES_EN),
  languageCodesVi: toSet(L.LANGUAGE_CODES_VI),
  languageAllowed: toSet(L.LANGUAGE_ALLOWED),
  unlink: toSet(L.UNLINK_PHRASES),
  unlinkAllowed: toSet(L.UNLINK_ALLOWED),
  concernStart: toSet(L.CONCERN_START),
  concernStartAllowed: toSet(L.CONCERN_START_ALLOWED),
  satisfied: toSet(L.SATISFIED),
  unsatisfied: toSet(L.UNSATISFIED),
  satisfactionAllowed: toSet(L.SATISFACTION_ALLOWED),
  yes: toSet(L.YES_WORDS),
  no: toSet(L.NO_WORDS),
  choice: toSet(L.CHOICE_WORDS),
  englishCannot: toSet(["cannot", "won't"]),
  linkFillers: new Set(L.LINK_FILLERS),
};

const own = (record: Readonly<Record<string, string>>, key: string): string | undefined =>
  Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;

// =============================================================================================
// Step 1: normalisation into words.

interface Word {
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

interface Clause {
  from: number;
  to: number;
  question: boolean;
}

interface Analysis {
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
function clean(text: string): string {
  return text
    .replace(/[\p{Cf}\p{Cs}\p{Co}\uFE00-\uFE0F\u20E3]/gu, "")
    .replace(/\r\n?/g, "\n")
    .replace(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/g, " ")
    .replace(/[^\S\n]+/g, " ")
    .replace(/ ?\n[\s]*/g, "\n")
    .trim()
    .normalize("NFC");
}

/** Expands one typed token into lexicon-spelled words ("k" → "không", "cm" → "có mặt"). */
function expandToken(typed: string, depth = 0): string[] {
  const lower = norm(typed).replace(/’/g, "'");
  const alias = own(L.RAW_ALIASES, lower);
  if (alias) return alias.split(" ");
  const base = shapeOf(lower).base;
  if (lower.replace(/đ/g, "d") === base) {
    const abbreviation = own(L.ABBREVIATIONS, base);
    if (abbreviation) return abbreviation.split(" ");
  }
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
        own(L.ABBREVIATIONS, collapsedBase) !== undefined)
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

const is = (word: Word | undefined, set: WordSet): boolean => {
  if (!word) return false;
  for (const key of word.keys) if (set.has(key)) return true;
  return false;
};

function analyse(text: string): Analysis {
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
    const isBreakWord = is({ ...m.word, clause: 0 }, S.breaks);
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
  if (inClause.some((w) => is(w, S.questionWords))) return true;
  let last = inClause.length - 1;
  while (last >= 0 && is(inClause[last], S.trailing)) last--;
  const final = inClause[last];
  if (!final || !is(final, S.questionFinals)) return false;
  // "không biết có đi được không" is an undecided answer, not a question to the association.
  if (inClause.some((w) => is(w, S.undecided))) return false;
  return inClause
    .slice(0, last)
    .some((w) => !is(w, S.filler) && !is(w, S.negators) && !is(w, S.yes));
}

// =============================================================================================
// Helpers over an analysis.

const isFiller = (w: Word | undefined): boolean => is(w, S.filler);

/** True when every word is a core word, a filler, or in one of the allowed sets; at least one core. */
function onlyCoreAndAllowed(
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
    if (!isFiller(w) && !is(w, S.polite)) return false;
  }
  return true;
}

/**
 * A clause that cannot be a reason or a note: thanks, "dạ", "no", or a bare "bận" (the spec
 * treats "bận" alone as no reason).
 */
function isEmptyClause(a: Analysis, c: Clause): boolean {
  for (let i = c.from; i < c.to; i++) {
    const w = a.words[i];
    if (!isFiller(w) && !is(w, S.polite) && !is(w, S.yes) && !is(w, S.no) && !is(w, S.busy)) return false;
  }
  return true;
}

/**
 * The member's own words from word `from` to word `to` (exclusive): fillers at the start and
 * particles / polite clauses at the end are dropped. Undefined when nothing remains.
 */
function excerpt(a: Analysis, from: number, to: number, leading: WordSet = S.leading): string | undefined {
  let first = from;
  let last = Math.min(to, a.words.length) - 1;
  while (first <= last && is(a.words[first], leading)) first++;
  for (;;) {
    while (last >= first && is(a.words[last], S.trailing)) last--;
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
  const text = a.text.slice(start, end).replace(/[\s,.;:!?…\-–—]+$/u, "").trim();
  if (!text) return undefined;
  return text.length > MAX_EXCERPT ? text.slice(0, MAX_EXCERPT).trim() : text;
}

/** A number, possibly with a unit: "15", "15p", "7h", "10ph". */
const isAmount = (w: Word | undefined): boolean => !!w && (w.digit || /^\p{N}+\p{L}{1,4}$/u.test(w.raw));

const sameClause = (a: Analysis, i: number, j: number): boolean =>
  a.words[i] !== undefined && a.words[j] !== undefined && a.words[i]?.clause === a.words[j]?.clause;

// =============================================================================================
// Attendance (attend / absent / unsure).

type CueKind = "present" | "absent" | "late" | "hedge" | "circumstance";

interface Cue {
  kind: CueKind;
  /** Word range of the cue ("không đi được" = 3 words). */
  from: number;
  to: number;
  /** "vang" typed without diacritics: "vắng" (absent) or "vâng" (yes). */
  ambiguous?: boolean;
}

/** A presence verb at word i (with the constraint on what may follow, see the lexicon). */
function isPresenceAt(a: Analysis, i: number): boolean {
  const w = a.words[i];
  if (!w) return false;
  if (is(w, S.presenceFree)) return true;
  const next = sameClause(a, i, i + 1) ? a.words[i + 1] : undefined;
  if (is(w, S.presenceConstrained))
    return (
      !next || isAmount(next) || is(next, S.continuations) || is(next, S.time) ||
      is(next, S.negators) || isConnector(next)
    );
  if (is(w, S.returnVerb)) return is(next, S.returnContinuations);
  return false;
}

/**
 * Index of a negator governing word i: "không (thể) đến", "won't be able to come" (looking back
 * at most `window` content words in the same clause), or postposed "đi không được". -1 if none.
 */
function negatorOf(a: Analysis, i: number, window: number): number {
  let seen = 0;
  for (let j = i - 1; j >= 0 && seen < window && sameClause(a, i, j); j--) {
    if (is(a.words[j], S.negators)) return j;
    if (!isFiller(a.words[j])) seen++;
  }
  const next = a.words[i + 1];
  if (sameClause(a, i, i + 1) && is(next, S.negators)) {
    // Postposed: "đi không được", "đến không kịp".
    if (next && /\s(được|kịp|nổi)$/.test(next.raw)) return i + 1;
    const after = a.words[i + 2];
    if (sameClause(a, i, i + 2) && after && (after.raw === "được" || after.raw === "kịp" || after.raw === "nổi"))
      return i + 1;
  }
  return -1;
}

/** End (exclusive) of an absence phrase whose last word is `last`, extended over "được", "ạ"… */
function spanEnd(a: Analysis, last: number): number {
  let k = last + 1;
  while (sameClause(a, last, k) && is(a.words[k], S.spanTail)) k++;
  return k;
}

/** Words after an absence phrase that are not a reason: "(xin nghỉ) buổi họp tối nay", "(vắng) 1 hôm". */
function isNotAReason(a: Analysis, k: number): boolean {
  const w = a.words[k];
  return (
    isFiller(w) || isAmount(w) || is(w, S.meeting) || is(w, S.spanTail) || isPresenceAt(a, k) ||
    is(w, S.presenceConstrained) || is(w, S.returnVerb)
  );
}

function isConnector(w: Word | undefined): boolean {
  if (!w || !is(w, S.connectors)) return false;
  // "tai" without diacritics is too often "tai" (ear) / "tài" / "tải": only "tại" counts.
  if (shapeOf(w.raw).base === "tai") return w.raw === "tại";
  return true;
}

function findCues(a: Analysis, from: number, to: number): Cue[] {
  const { words, clauses } = a;
  const cues: Cue[] = [];
  for (let i = from; i < to; i++) {
    const w = words[i] as Word;
    // Questions are never an answer ("mai có họp không?", "đến muộn được không?").
    if ((clauses[w.clause] as Clause).question) continue;

    // Undecided: "chưa chắc", "có lẽ", "để em xem đã".
    if (is(w, S.hedges)) {
      cues.push({ kind: "hedge", from: i, to: i + 1 });
      continue;
    }
    // "có thể" is ability before a presence verb ("có thể tham gia"), a hedge otherwise.
    if (is(w, S.maybe)) {
      let j = i + 1;
      while (j < to && sameClause(a, i, j) && isFiller(words[j])) j++;
      if (!isPresenceAt(a, j) || !sameClause(a, i, j)) cues.push({ kind: "hedge", from: i, to: i + 1 });
      continue;
    }
    // "để (tôi) xem", "để em sắp xếp".
    if (is(w, S.letMe)) {
      for (let j = i + 1; j <= i + 3 && j < to && sameClause(a, i, j); j++)
        if (is(words[j], S.letMeVerbs)) {
          cues.push({ kind: "hedge", from: i, to: j + 1 });
          break;
        }
      continue;
    }
    // Presence verbs, negated or not: "có mặt", "k đi đc", "không tham gia được".
    if (isPresenceAt(a, i)) {
      const neg = negatorOf(a, i, 3);
      if (neg >= 0) cues.push({ kind: "absent", from: Math.min(neg, i), to: spanEnd(a, Math.max(neg, i)) });
      else cues.push({ kind: "present", from: i, to: i + 1 });
      continue;
    }
    // Absence words: "vắng", "xin nghỉ"; negated ("không vắng") they mean attending.
    if (is(w, S.absence)) {
      const neg = negatorOf(a, i, 2);
      if (neg >= 0 && neg < i) cues.push({ kind: "present", from: neg, to: i + 1 });
      else cues.push({ kind: "absent", from: i, to: spanEnd(a, i), ambiguous: w.raw === "vang" });
      continue;
    }
    // "xin phép" alone asks to be excused, but not in "xin phép hỏi…" / "xin phép đến muộn".
    if (is(w, S.askLeave)) {
      let j = i + 1;
      while (j < to && sameClause(a, i, j) && (isFiller(words[j]) || words[j]?.raw === "được")) j++;
      const next = sameClause(a, i, j) ? words[j] : undefined;
      if (!next || !(isPresenceAt(a, j) || is(next, S.late) || is(next, S.communication)))
        cues.push({ kind: "absent", from: i, to: spanEnd(a, i) });
      continue;
    }
    // Lateness still means attending: "đến muộn 15 phút", "muộn chút nhé", "xin về sớm".
    if (is(w, S.late)) {
      const previous = sameClause(a, i, i - 1) ? words[i - 1] : undefined;
      const next = sameClause(a, i, i + 1) ? words[i + 1] : undefined;
      const strong = w.raw.includes(" ") || w.raw === "late";
      if (strong || !next || isAmount(next) || is(next, S.lateContinuations) || is(previous, S.presenceConstrained) || is(previous, S.presenceFree))
        cues.push({ kind: "late", from: i, to: i + 1 });
      continue;
    }
    // Circumstances imply absence when nothing else is said: "hôm nay em bận", "đang ốm".
    if (is(w, S.circumstances)) {
      const next = sameClause(a, i, i + 1) ? words[i + 1] : undefined;
      if (!(w.raw === "ban" && next && (next.raw === "ơi" || next.raw === "oi")))
        cues.push({ kind: "circumstance", from: i, to: i + 1 });
      continue;
    }
    // English "sorry, I can't".
    if (is(w, S.englishCannot)) {
      const next = sameClause(a, i, i + 1) ? words[i + 1] : undefined;
      if (!next || is(next, S.trailing)) cues.push({ kind: "absent", from: i, to: i + 1 });
    }
  }
  return cues;
}

/**
 * Whether a cue is where an answer would be. In a reminder the member is expected to answer, so a
 * cue anywhere near the start counts; otherwise the message must be short or start with the cue
 * (a long concern that merely contains "đi" or "tham gia" stays a concern).
 */
function cueAccepted(
  a: Analysis,
  cue: Cue,
  from: number,
  to: number,
  context: ParseContext,
): boolean {
  let total = 0;
  let position = 0;
  for (let i = from; i < to; i++) {
    if (isFiller(a.words[i])) continue;
    total++;
    if (i < cue.from) position++;
  }
  if (cue.kind === "circumstance")
    return context === "reminder" ? position <= 4 && total <= 12 : total <= 4;
  if (context === "reminder") return position <= 6 || total <= 20;
  return position === 0 ? total <= 12 : position <= 1 && total <= 6;
}

function analyseAttendance(a: Analysis, context: ParseContext): Intent | null {
  const { words } = a;
  const n = words.length;

  // The reason after "vì/do/bởi/lý do" is not part of the answer ("xin vắng vì đi họp ở xã").
  // When the message starts with it ("vì con ốm nên em xin vắng"), the answer follows the clause.
  let from = 0;
  let to = n;
  let reason: [number, number] | undefined;
  const c = words.findIndex(isConnector);
  if (c >= 0) {
    const cClause = (words[c] as Word).clause;
    if (words.slice(0, c).every(isFiller)) {
      // "Lý do: đi công tác" — the connector alone in its clause introduces the next clause.
      const reasonClause = words[c + 1]?.clause === cClause ? cClause : cClause + 1;
      const next = words.findIndex((w, i) => i > c && w.clause > reasonClause);
      reason = [c + 1, next < 0 ? n : next];
      from = next < 0 ? n : next;
    } else {
      to = c;
      reason = [c + 1, n];
    }
  }
  // "vì con ốm" alone: look for circumstances in the reason itself.
  const scan: [number, number] = from < to ? [from, to] : reason ?? [0, n];
  const cues = findCues(a, scan[0], scan[1]);
  if (cues.length === 0) return null;

  const hedge = cues.find((k) => k.kind === "hedge");
  const decisive =
    cues.find((k) => k.kind === "present" || k.kind === "late" || (k.kind === "absent" && !k.ambiguous)) ??
    cues.find((k) => k.kind === "absent") ??
    cues.find((k) => k.kind === "circumstance");
  const clauseOf = (k: Cue): number => (words[k.from] as Word).clause;

  // A hedge wins ("có thể em đến trễ, chưa rõ"), unless an absence was stated in an earlier
  // clause and the hedge is about something else.
  if (hedge && !(decisive?.kind === "absent" && clauseOf(decisive) < clauseOf(hedge))) {
    return cueAccepted(a, hedge, scan[0], scan[1], context) ? { kind: "unsure" } : null;
  }
  if (!decisive || !cueAccepted(a, decisive, scan[0], scan[1], context)) return null;

  if (decisive.kind === "present" || decisive.kind === "late") {
    const note = attendNote(a, cues, decisive, scan);
    return note ? { kind: "attend", note } : { kind: "attend" };
  }
  const why = absenceReason(a, decisive, reason, scan);
  return why ? { kind: "absent", reason: why } : { kind: "absent" };
}

/** Later clauses (after the cue's clause, inside the scanned range) that say something. */
function laterClauses(a: Analysis, cue: Cue, scan: [number, number]): Clause[] {
  const cueClause = (a.words[cue.from] as Word).clause;
  return a.clauses.filter(
    (c, index) =>
      index > cueClause && c.from >= scan[0] && c.to <= scan[1] && !c.question && !isEmptyClause(a, c),
  );
}

/** "có mặt nhưng tới trễ 10 phút" → "tới trễ 10 phút". */
function attendNote(a: Analysis, cues: Cue[], cue: Cue, scan: [number, number]): string | undefined {
  const later = laterClauses(a, cue, scan);
  const first = later[0];
  const last = later[later.length - 1];
  if (first && last) return excerpt(a, first.from, last.to);
  const late = cues.find((k) => k.kind === "late");
  if (!late) return undefined;
  let start = late.from;
  if (sameClause(a, start, start - 1) && isPresenceAt(a, start - 1)) start--;
  const clause = a.clauses[(a.words[late.from] as Word).clause] as Clause;
  return excerpt(a, start, Math.min(clause.to, scan[1]));
}

/**
 * The member's reason for an absence, in their own words. In order: after a connector ("vì",
 * "do", "lý do"…), in the clauses after the absence ("vắng ạ, đang ở viện"), after "bận",
 * right after the absence phrase ("k đi đc con ốm"), in the clauses before it ("con ốm nên em xin
 * vắng"), or the circumstance itself ("em đang ốm").
 */
function absenceReason(
  a: Analysis,
  cue: Cue,
  connectorReason: [number, number] | undefined,
  scan: [number, number],
): string | undefined {
  const { words } = a;
  if (connectorReason) return excerpt(a, connectorReason[0], connectorReason[1], S.afterConnector);

  const later = laterClauses(a, cue, scan);
  const firstLater = later[0];
  const lastLater = later[later.length - 1];
  if (firstLater && lastLater) {
    const text = excerpt(a, firstLater.from, lastLater.to);
    if (text) return text;
  }

  const cueClause = a.clauses[(words[cue.from] as Word).clause] as Clause;
  for (let i = scan[0]; i < scan[1]; i++) {
    if (!is(words[i], S.busy)) continue;
    const clause = a.clauses[(words[i] as Word).clause] as Clause;
    const end = i < cue.from && clause === cueClause ? cue.from : Math.min(clause.to, scan[1]);
    const text = excerpt(a, i + 1, end);
    if (text) return text;
  }

  if (cue.kind !== "circumstance") {
    let k = cue.to;
    const end = Math.min(cueClause.to, scan[1]);
    while (k < end && isNotAReason(a, k)) k++;
    if (k < end) {
      const text = excerpt(a, k, end);
      if (text) return text;
    }
  }

  const earlier = a.clauses.filter(
    (c) => c.from >= scan[0] && c.to <= cueClause.from && !c.question && !isEmptyClause(a, c),
  );
  const firstEarlier = earlier[0];
  const lastEarlier = earlier[earlier.length - 1];
  if (firstEarlier && lastEarlier) {
    const text = excerpt(a, firstEarlier.from, lastEarlier.to);
    if (text) return text;
  }

  if (cue.kind === "circumstance" && !is(words[cue.from], S.busy))
    return excerpt(a, Math.max(cueClause.from, scan[0]), Math.min(cueClause.to, scan[1]));
  return undefined;
}

// =============================================================================================
// Commands and link codes (work on the text itself, not on words).

const COMMAND_RE = /^\/([\p{L}\p{N}_]+)(?:@[\p{L}\p{N}_.]*)?([\s\S]*)$/u;
const TME_RE = /(?:https?:\/\/)?(?:www\.)?(?:t|telegram)\.me\/[A-Za-z0-9_]+\/?\?start=([A-Za-z0-9_-]+)/i;
/** Digits with single spaces, dots or dashes between them: "1234 5678 9012", "123-456". */
const CODE_RE = /(?<!\d)\d(?:[ .\-]?\d)*(?!\d)/;
/** Link codes are 12 digits (16 for officials); 6 digits is an old slip, answered as such. */
const CODE_LENGTHS = new Set([6, 12, 16]);

/** A link code, alone or with words like "DK", "mã", "đăng ký", "/start"; digits only. */
function linkCode(text: string): string | undefined {
  const folded = foldVietnamese(text);
  const match = CODE_RE.exec(folded);
  if (!match) return undefined;
  const code = match[0].replace(/\D/g, "");
  if (!CODE_LENGTHS.has(code.length)) return undefined;
  const rest = folded.slice(0, match.index) + " " + folded.slice(match.index + match[0].length);
  if (/\d/.test(rest)) return undefined;
  const others = rest.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return others.every((w) => S.linkFillers.has(w)) ? code : undefined;
}

const COMMAND_ALIASES: Readonly<Record<string, string>> = {
  help: "trogiup", huongdan: "trogiup", giupdo: "trogiup", menu: "trogiup",
  schedule: "lich", lichhop: "lich",
  language: "ngonngu", lang: "ngonngu",
  unlink: "huylienket",
  ykien: "ykien", gopy: "ykien",
};

/**
 * "/cmd@BotName args". Commands that have a dedicated intent return it (the fixture expects
 * "/help" → help, "/lich" → schedule, "/start 483920" → link); the others return `command`.
 */
function parseCommand(text: string): Intent | undefined {
  const match = COMMAND_RE.exec(text);
  if (!match) return undefined;
  const folded = foldVietnamese(match[1] ?? "");
  const name = own(COMMAND_ALIASES, folded) ?? folded;
  let args = (match[2] ?? "").trim();
  if (!/[\p{L}\p{N}]/u.test(args)) args = "";
  switch (name) {
    case "trogiup":
      return { kind: "help" };
    case "lich":
      return { kind: "schedule" };
    case "huylienket":
      return { kind: "unlink" };
    case "ngonngu": {
      const words = args ? analyse(args).words : [];
      if (words.some((w) => is(w, S.languageCodesEn))) return { kind: "language", locale: "en" };
      if (words.some((w) => is(w, S.languageCodesVi))) return { kind: "language", locale: "vi" };
      return { kind: "language" };
    }
    case "start": {
      const code = args ? linkCode(args) : undefined;
      if (code) return { kind: "link", code };
      return { kind: "command", name, args };
    }
    default:
      return { kind: "command", name, args };
  }
}

// =============================================================================================
// The rules, in order.

const THUMBS_UP = /\u{1F44D}/u;

/**
 * Classifies a member's message. `context` says what the member was last asked (see
 * ParseContext); attendance phrases are recognised in every context (members answer late).
 */
export function parseIntent(text: string, context: ParseContext = "none"): Intent {
  const original = typeof text === "string" ? text : "";
  const cleaned = clean(original);
  const thumbsUp = THUMBS_UP.test(cleaned.slice(0, ANALYSIS_WINDOW));

  // 1. Nothing meaningful: empty, spaces, control characters, emoji other than 👍.
  if (!/[\p{L}\p{N}?]/u.test(cleaned) && !thumbsUp) return { kind: "empty" };

  const truncated = cleaned.length > ANALYSIS_WINDOW;
  const window = truncated ? cleaned.slice(0, ANALYSIS_WINDOW) : cleaned;
  const concern = (): Intent => ({ kind: "concern", text: original.trim() });

  // 2. Commands ("/lich", "/start@ChiHoiBot 483920"): explicit, so they come first.
  if (cleaned.startsWith("/")) {
    const command = parseCommand(cleaned);
    if (command) return command;
  }

  // 3. A Telegram deep link pasted by the member, or a bare link code.
  const tme = TME_RE.exec(window);
  if (tme) {
    const payload = tme[1] ?? "";
    return /^(?:\d{6}|\d{12}|\d{16})$/.test(payload)
      ? { kind: "link", code: payload }
      : { kind: "command", name: "start", args: payload };
  }
  if (!truncated) {
    const code = linkCode(window);
    if (code) return { kind: "link", code };
  }

  // 4. Symbols only: "?" asks for help, 👍 agrees (= attending when answering a reminder).
  if (!/[\p{L}\p{N}]/u.test(window)) {
    if (window.includes("?")) return { kind: "help" };
    if (thumbsUp) return context === "reminder" ? { kind: "attend" } : { kind: "yes" };
    return { kind: "empty" };
  }

  const a = analyse(window);
  const { words } = a;
  if (words.length === 0) return truncated ? concern() : { kind: "empty" };

  if (!truncated) {
    // 5. A bare number 1..9 ("2.", "số 2") picks an option of an open question.
    const digits = words.filter((w) => w.digit);
    const digit = digits[0];
    if (
      digits.length === 1 && digit && /^[1-9]$/.test(digit.raw) &&
      words.every((w) => w.digit || isFiller(w) || is(w, S.choice))
    )
      return { kind: "choice", index: Number(digit.raw) };

    // 6. "vang" without diacritics answering a yes/no question is "vâng" (yes), not "vắng".
    if ((context === "question" || context === "directive") && words.some((w) => w.raw === "vang") &&
      words.every((w) => w.raw === "vang" || isFiller(w)))
      return { kind: "yes" };

    // 7. Short fixed requests: the whole message is the phrase plus fillers.
    if (onlyCoreAndAllowed(words, (w) => is(w, S.unlink), S.unlinkAllowed)) return { kind: "unlink" };
    const language = languageIntent(a);
    if (language) return language;
    if (onlyCoreAndAllowed(words, (w) => is(w, S.help), S.helpAllowed)) return { kind: "help" };
    const howTo = words.some((w) => is(w, S.helpHowto));
    if (howTo && onlyCoreAndAllowed(words, (w) => is(w, S.helpUse), S.helpAllowed)) return { kind: "help" };
    if (onlyCoreAndAllowed(words, (w) => is(w, S.greetings), S.polite)) return { kind: "help" };
    if (onlyCoreAndAllowed(words, (w) => is(w, S.concernStart), S.concernStartAllowed, S.polite))
      return { kind: "concern_start" };
  }

  // 8. Attendance: attend / absent / unsure (also on a long message, if the answer is at its start).
  const attendance = analyseAttendance(a, context);
  if (attendance) return attendance;
  if (truncated) return concern();

  // 9. Read confirmation: "đã đọc", "đọc rồi ạ", "xem rồi, cám ơn".
  const read = readIntent(a);
  if (read) return read;

  // 10. Schedule question: "khi nào họp?", "lịch họp tuần sau", "họp ở đâu".
  if (isScheduleQuestion(a)) return { kind: "schedule" };

  // 11. Satisfaction with how a concern was handled.
  const satisfaction = satisfactionIntent(a);
  if (satisfaction) return satisfaction;

  // 12. Yes / no (meaningful only when a question is open; the caller decides).
  const yesNo = yesNoIntent(a, context, thumbsUp);
  if (yesNo) return yesNo;

  // 13. Only particles, pronouns or thanks ("ạ", "cảm ơn"): nothing to act on.
  if (words.every((w) => isFiller(w) || is(w, S.polite))) return { kind: "empty" };

  // 14. Anything else is a concern, kept exactly as typed.
  return concern();
}

function languageIntent(a: Analysis): Intent | undefined {
  const { words } = a;
  const named = (w: Word): boolean => is(w, S.languageEn) || is(w, S.languageVi);
  const general = words.some((w) => is(w, S.languageWords));
  const isCore = (w: Word): boolean => named(w) || is(w, S.languageWords);
  if (!onlyCoreAndAllowed(words, isCore, S.languageAllowed)) return undefined;
  if (words.some((w) => is(w, S.languageEn)) || (general && words.some((w) => w.raw === "en")))
    return { kind: "language", locale: "en" };
  if (words.some((w) => is(w, S.languageVi)) || (general && words.some((w) => w.raw === "vi")))
    return { kind: "language", locale: "vi" };
  return { kind: "language" };
}

/** "đã đọc", "đọc rồi ạ" → read; "chưa đọc" → no (the directive was not read yet). */
function readIntent(a: Analysis): Intent | undefined {
  const { words, clauses } = a;
  const index = words.findIndex((w) => is(w, S.read) && !(clauses[w.clause] as Clause).question);
  if (index < 0) return undefined;
  const negated = negatorOf(a, index, 2) >= 0;
  const onlyRead = words.every(
    (w, i) =>
      i === index || is(w, S.read) || isFiller(w) || is(w, S.readAllowed) || is(w, S.yes) ||
      is(w, S.polite) || (negated && is(w, S.negators)),
  );
  if (!onlyRead) return undefined;
  return negated ? { kind: "no" } : { kind: "read" };
}

function isScheduleQuestion(a: Analysis): boolean {
  const { words, clauses } = a;
  const hasSchedule = words.some((w) => is(w, S.scheduleWords));
  const hasMeeting = words.some((w) => is(w, S.meetingNouns));
  const hasWhenWhere = words.some((w) => is(w, S.whenWhere));
  const question = clauses.some((c) => c.question);
  if (!hasSchedule && !(hasMeeting && (hasWhenWhere || question))) return false;
  return words.every(
    (w) =>
      w.digit || isFiller(w) || is(w, S.scheduleWords) || is(w, S.meetingNouns) ||
      is(w, S.whenWhere) || is(w, S.scheduleAllowed),
  );
}

/**
 * "hài lòng", "chưa hài lòng lắm", "không hài lòng vì đường vẫn chưa sửa": the phrase must lead
 * a short message (a long complaint that mentions satisfaction stays a concern).
 */
function satisfactionIntent(a: Analysis): Intent | undefined {
  const { words } = a;
  const index = words.findIndex((w) => is(w, S.satisfied) || is(w, S.unsatisfied));
  if (index < 0) return undefined;
  const content = words.filter((w) => !isFiller(w) && !is(w, S.polite));
  const before = words
    .slice(0, index)
    .filter((w) => !isFiller(w) && !is(w, S.negators) && !is(w, S.satisfactionAllowed) && !is(w, S.polite));
  if (before.length > 0 || content.length > 15) return undefined;
  const word = words[index] as Word;
  return is(word, S.unsatisfied) || negatorOf(a, index, 3) >= 0 ? { kind: "unsatisfied" } : { kind: "satisfied" };
}

function yesNoIntent(a: Analysis, context: ParseContext, thumbsUp: boolean): Intent | undefined {
  const { words } = a;
  let yes = 0;
  let no = 0;
  for (const w of words) {
    if (is(w, S.no)) no++;
    else if (is(w, S.yes)) yes++;
    else if (!isFiller(w) && !is(w, S.polite)) return undefined;
  }
  if (no > 0) return { kind: "no" };
  if (thumbsUp) return context === "reminder" ? { kind: "attend" } : { kind: "yes" };
  return yes > 0 ? { kind: "yes" } : undefined;
}
