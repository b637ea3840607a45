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
 * 4. For an attendance answer, a score of the words it leaves unexplained (see `judge`): only a
 *    message that is the answer is recorded; an answer with something else is `mixed` (the member
 *    is asked); a verb like "đến"/"đi" inside a sentence about something else is no answer.
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
  /**
   * An attendance answer inside a longer message that also says something else ("em sẽ đến,
   * nhưng đề nghị chi hội xem lại hội phí"): the caller asks whether to record the answer, send the
   * text as a concern, or both, instead of guessing.
   */
  | { kind: "mixed"; answer: "attend" | "absent" | "unsure"; reason?: string; text: string }
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
const toSet = (...lists: readonly (readonly string[])[]): WordSet => new Set(lists.flat().map(norm));

/** Single-word entries by base letters. */
const SINGLE = new Map<string, string[]>();
/** Compound entries (as word arrays) by the base letters of their first word, longest first. */
const COMPOUNDS = new Map<string, string[][]>();
/** Base letters of every part of a compound (to recognise "matt" as a typo of "mặt"). */
const COMPOUND_PARTS = new Set<string>();

for (const [name, value] of Object.entries(L)) {
  if (!Array.isArray(value) || name === "LINK_FILLERS" || name === "CANCEL_COMMANDS" || name.startsWith("EMOJI_"))
    continue;
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
    "dạ",
    "vâng",
    "thưa",
    "ạ",
    "à",
    "a",
    "là",
    "thì",
    "mà",
    "và",
    "ok",
    "chắc",
    "chắc là",
    "đâu",
    "am",
    "is",
    "are",
    "will",
    "just",
  ]),
  /** Stripped from the end of a reason or note. */
  trailing: toSet([
    "ạ",
    "à",
    "á",
    "a",
    "nhé",
    "nha",
    "nhá",
    "nhen",
    "nghen",
    "ha",
    "hen",
    "ơi",
    "nè",
    "vậy",
    "nhỉ",
    "đâu",
    "please",
    "pls",
    "rồi",
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
    "được",
    "kịp",
    "nổi",
    "đâu",
    "ạ",
    "a",
    "nhé",
    "nha",
    "rồi",
    "luôn",
    "mặt",
    "được đâu",
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
  requests: toSet(L.REQUEST_WORDS),
  cancel: toSet(L.CANCEL_WORDS),
  cancelAllowed: toSet(L.CANCEL_ALLOWED),
  conditions: toSet(L.CONDITIONS),
  cannot: toSet(L.CANNOT),
  habitual: toSet(L.HABITUAL),
  answerExtra: toSet(L.ANSWER_EXTRA),
};

const own = (record: Readonly<Record<string, string>>, key: string): string | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

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
  const alias = own(L.RAW_ALIASES, lower);
  if (alias) return alias.split(" ");
  const base = shapeOf(lower).base;
  if (lower.replace(/đ/g, "d") === base) {
    const abbreviation = own(L.ABBREVIATIONS, base);
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
  // "không ai trông", "chưa có gì": after a negator, "ai"/"gì" mean nobody/nothing.
  if (inClause.some((w, k) => is(w, S.questionWords) && !(w.raw.length <= 3 && is(inClause[k - 1], S.negators))))
    return true;
  let last = inClause.length - 1;
  while (last >= 0 && is(inClause[last], S.trailing)) last--;
  const final = inClause[last];
  if (!final || !is(final, S.questionFinals)) return false;
  // "không biết có đi được không" is an undecided answer, not a question to the association.
  if (inClause.some((w) => is(w, S.undecided))) return false;
  return inClause.slice(0, last).some((w) => !is(w, S.filler) && !is(w, S.negators) && !is(w, S.yes));
}

// =============================================================================================
// Helpers over an analysis.

const isFiller = (w: Word | undefined): boolean => is(w, S.filler);

/** True when every word is a core word, a filler, or in one of the allowed sets; at least one core. */
function onlyCoreAndAllowed(words: readonly Word[], isCore: (w: Word) => boolean, ...allowed: WordSet[]): boolean {
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
 * A particle that ends a reason ("ạ", "nhé", "đâu"). Typed with some marks, the word must be the
 * particle exactly: "chân đau" (pain) keeps "đau", which only "dau" without any mark could be.
 */
function isTrailingParticle(w: Word | undefined): boolean {
  if (!w || !is(w, S.trailing)) return false;
  return S.trailing.has(w.raw) || shapeOf(w.raw).base === w.raw;
}

/**
 * The member's own words from word `from` to word `to` (exclusive): fillers at the start and
 * particles / polite clauses at the end are dropped. Undefined when nothing remains.
 */
function excerpt(a: Analysis, from: number, to: number, leading: WordSet = S.leading): string | undefined {
  let first = from;
  let last = Math.min(to, a.words.length) - 1;
  // "ba em", "bà tôi", "mẹ em": a kinship word with its owner is the reason's subject, kept.
  while (
    first <= last &&
    is(a.words[first], leading) &&
    !(is(a.words[first], S.pronouns) && is(a.words[first + 1], S.pronouns) && first + 1 <= last)
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
      !next ||
      isAmount(next) ||
      is(next, S.continuations) ||
      is(next, S.time) ||
      is(next, S.negators) ||
      isConnector(next)
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
    isFiller(w) ||
    isAmount(w) ||
    is(w, S.meeting) ||
    is(w, S.spanTail) ||
    isPresenceAt(a, k) ||
    is(w, S.presenceConstrained) ||
    is(w, S.returnVerb)
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
      // "có thể em đến muộn" (a pronoun after it): "maybe", not "can".
      while (j < to && sameClause(a, i, j) && isFiller(words[j]) && !is(words[j], S.pronouns)) j++;
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
      if (
        strong ||
        !next ||
        isAmount(next) ||
        is(next, S.lateContinuations) ||
        is(previous, S.presenceConstrained) ||
        is(previous, S.presenceFree)
      )
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
function cueAccepted(a: Analysis, cue: Cue, from: number, to: number, context: ParseContext): boolean {
  let total = 0;
  let position = 0;
  for (let i = from; i < to; i++) {
    if (isFiller(a.words[i])) continue;
    total++;
    if (i < cue.from) position++;
  }
  if (cue.kind === "circumstance") return context === "reminder" ? position <= 4 && total <= 12 : total <= 4;
  if (context === "reminder") return position <= 6 || total <= 20;
  // An explicit absence ("…, tôi xin vắng") may follow its reason.
  const explicit = is(a.words[cue.from], S.absence) || is(a.words[cue.from], S.askLeave);
  if (cue.kind === "absent" && explicit && !cue.ambiguous && position <= 4 && total <= 12) return true;
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
  const scan: [number, number] = from < to ? [from, to] : (reason ?? [0, n]);
  // A cue inside a clause that says something else is an ordinary word of that sentence ("đến nay
  // đường vẫn ngập", "đi lại khó khăn", "xem lại việc thu hội phí"), not an answer.
  const cues = findCues(a, scan[0], scan[1]).filter((k) => !isIncidental(a, k, scan));
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
    return cueAccepted(a, hedge, scan[0], scan[1], context)
      ? judge(a, { kind: "unsure" }, hedge, context, reason)
      : null;
  }
  if (!decisive || !cueAccepted(a, decisive, scan[0], scan[1], context)) return null;

  if (decisive.kind === "present" || decisive.kind === "late") {
    const note = attendNote(a, cues, decisive, scan);
    return judge(a, note ? { kind: "attend", note } : { kind: "attend" }, decisive, context, reason);
  }
  const why = absenceReason(a, decisive, reason, scan);
  return judge(a, why ? { kind: "absent", reason: why } : { kind: "absent" }, decisive, context);
}

// ---------------------------------------------------------------------------------------------
// How clearly a message is an answer. The parser finds an answer phrase; the message is a clear
// answer only when that phrase is what it says. Every other word is scored: words an answer is
// made of (the phrase, fillers, times, meeting words, lateness, thanks) are explained; the
// absence's reason is the member's own and explained too; anything else — a second topic, a
// question to the association, a request — makes the message mixed, and the member is asked.

type AttendanceIntent = Extract<Intent, { kind: "attend" | "absent" | "unsure" }>;

/** Words a short attendance answer is made of. */
function isAnswerWord(w: Word | undefined): boolean {
  return (
    isFiller(w) ||
    isAmount(w) ||
    is(w, S.polite) ||
    is(w, S.yes) ||
    is(w, S.no) ||
    is(w, S.negators) ||
    is(w, S.continuations) ||
    is(w, S.time) ||
    is(w, S.meeting) ||
    is(w, S.late) ||
    is(w, S.lateContinuations) ||
    is(w, S.presenceFree) ||
    is(w, S.presenceConstrained) ||
    is(w, S.returnVerb) ||
    is(w, S.absence) ||
    is(w, S.askLeave) ||
    is(w, S.hedges) ||
    is(w, S.maybe) ||
    is(w, S.letMe) ||
    is(w, S.letMeVerbs) ||
    is(w, S.undecided) ||
    is(w, S.greetings) ||
    is(w, S.answerExtra) ||
    is(w, S.read) ||
    isConnector(w)
  );
}

/** Indices of the words in [from, to) that an attendance answer does not account for. */
function unexplained(a: Analysis, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) if (!isAnswerWord(a.words[i]) && !isNameAfterPronoun(a, i)) out.push(i);
  return out;
}

/** "bác Tư", "chị Hoa": a capitalised word after a pronoun is the member naming themself. */
function isNameAfterPronoun(a: Analysis, i: number): boolean {
  const w = a.words[i] as Word;
  const first = a.text.slice(w.start, w.start + 1);
  return sameClause(a, i - 1, i) && is(a.words[i - 1], S.pronouns) && first !== first.toLowerCase();
}

/**
 * A cue that merely appears in a sentence about something else: a verb with several meanings
 * ("đến", "tới", "đi", "tham gia"), a hedge-like phrase ("xem lại") or a lateness word, in a clause
 * where two or more other words are left unexplained.
 */
function isIncidental(a: Analysis, cue: Cue, scan: [number, number]): boolean {
  const word = a.words[cue.from];
  const clause = a.clauses[(word as Word).clause] as Clause;
  const start = Math.max(clause.from, scan[0]);
  // A habit ("ít đi sinh hoạt", "hay vắng") says nothing about this meeting.
  for (let i = start; i < cue.from; i++) if (is(a.words[i], S.habitual)) return true;
  // A circumstance of someone else ("hội viên ốm đau", "con tôi đi làm xa") is news, not an absence.
  if (cue.kind === "circumstance") return unexplained(a, start, cue.from).length > 0;
  // "nếu rảnh", "tùy sức khỏe": the words after a condition are its content.
  if (cue.kind === "hedge" && is(word, S.conditions)) return false;
  const ambiguousVerb = cue.kind === "present" && is(word, S.presenceConstrained) && !is(word, S.presenceFree);
  if (!ambiguousVerb && cue.kind !== "hedge" && cue.kind !== "late") return false;
  return unexplained(a, start, Math.min(clause.to, scan[1])).length >= 2;
}

/** Content words in the message (for "a long message is not a clear answer"). */
const contentCount = (a: Analysis): number => a.words.filter((w) => !isFiller(w) && !is(w, S.polite)).length;

/** A clear answer longer than this many content words is still asked about (absences keep their reason). */
const MAX_CLEAR_ANSWER = 16;

/**
 * The answer itself when the message clearly is one; `mixed` when it also says something else;
 * null (not an answer) when, outside a reminder, the answer phrase sits in a sentence about
 * something else.
 */
function judge(
  a: Analysis,
  answer: AttendanceIntent,
  cue: Cue,
  context: ParseContext,
  because?: [number, number],
): Intent | null {
  const n = a.words.length;
  const otherQuestion = a.clauses.some((c) => c.question && unexplained(a, c.from, c.to).length > 0);
  const request = a.words.some((w) => is(w, S.requests));
  const long = contentCount(a) > MAX_CLEAR_ANSWER;
  let rest: number[] = [];
  const cueWord = a.words[cue.from] as Word;
  const cueClause = a.clauses[cueWord.clause] as Clause;
  if (answer.kind === "unsure" && is(cueWord, S.conditions))
    rest = unexplained(a, 0, n).filter((i) => i < cueClause.from || i >= cueClause.to);
  // "…, có thể đến trễ 10 phút vì tan ca muộn": the words after "vì" say why, like a reason.
  else if (answer.kind !== "absent")
    rest = unexplained(a, 0, n).filter((i) => !because || i < because[0] || i >= because[1]);
  else if (cue.kind === "circumstance") {
    // A circumstance alone ("em đang ốm") is an absence; next to a question or a request, or inside
    // a long sentence, it is what the message is about ("đi viện mất nhiều tiền, hội có hỗ trợ
    // không"); in a sentence of middling length, ask. ("bận …" is always followed by the reason.)
    if (otherQuestion || request) return null;
    const inClause = is(cueWord, S.busy) ? [] : unexplained(a, cueClause.from, cueClause.to);
    if (inClause.length >= 5) return null;
    if (inClause.length >= 3) rest = inClause;
  }
  if (!otherQuestion && !request && !long && rest.length === 0) return answer;
  // Outside a reminder, an answer phrase inside a sentence about something else is that sentence.
  if (context !== "reminder" && rest.some((i) => (a.words[i] as Word).clause === cueWord.clause)) return null;
  const reason = answer.kind === "absent" ? answer.reason : undefined;
  return { kind: "mixed", answer: answer.kind, ...(reason ? { reason } : {}), text: a.text.trim() };
}

/** Later clauses (after the cue's clause, inside the scanned range) that say something. */
function laterClauses(a: Analysis, cue: Cue, scan: [number, number]): Clause[] {
  const cueClause = (a.words[cue.from] as Word).clause;
  return a.clauses.filter(
    (c, index) => index > cueClause && c.from >= scan[0] && c.to <= scan[1] && !c.question && !isEmptyClause(a, c),
  );
}

/**
 * Where a reason ends: before the first clause after word `from`'s that asks the association
 * something ("…, cho hỏi có tài liệu không", "…, đề nghị xã cho người xuống xem"). A word index,
 * at most `to`.
 */
function beforeAside(a: Analysis, from: number, to: number): number {
  const start = a.words[from]?.clause ?? a.clauses.length;
  for (const c of a.clauses) {
    if (c.from <= from || c.from >= to || (a.words[c.from] as Word).clause <= start) continue;
    let aside = c.question;
    for (let i = c.from; i < c.to && !aside; i++) if (is(a.words[i], S.requests)) aside = true;
    if (aside) return c.from;
  }
  return to;
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
 * "do", "lý do"…), in the clauses after the absence ("vắng ạ, đang ở viện"), from "bận" on,
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
  if (connectorReason)
    return excerpt(a, connectorReason[0], beforeAside(a, connectorReason[0], connectorReason[1]), S.afterConnector);

  const later = laterClauses(a, cue, scan).filter((c) => c.to <= beforeAside(a, cue.to - 1, scan[1]));
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
    // "bận" alone is no reason; "bận việc nhà" is kept whole, in the member's words.
    if (excerpt(a, i + 1, end)) return excerpt(a, i, end, S.afterConnector);
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

  // "(bác) yếu quá nên không đi được", "mưa to quá em xin nghỉ": the words before the answer.
  if (cue.kind !== "circumstance" && cue.from > Math.max(cueClause.from, scan[0])) {
    let end = cue.from;
    while (end > cueClause.from && (is(words[end - 1], S.pronouns) || isFiller(words[end - 1]))) end--;
    let said = false;
    for (let i = Math.max(cueClause.from, scan[0]); i < end; i++)
      if (!isAnswerWord(words[i]) && !is(words[i], S.busy)) said = true;
    const text = said ? excerpt(a, Math.max(cueClause.from, scan[0]), end) : undefined;
    if (text) return text;
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
const CODE_RE = /(?<!\d)\d(?:[ .-]?\d)*(?!\d)/;
/** Link codes are 12 digits (16 for officials); 6 digits is an old slip, answered as such. */
const CODE_LENGTHS = new Set([6, 12, 16]);

/** A link code, alone or with words like "DK", "mã", "đăng ký", "/start"; digits only. */
function linkCode(text: string): string | undefined {
  const folded = foldVietnamese(text);
  const match = CODE_RE.exec(folded);
  if (!match) return undefined;
  const code = match[0].replace(/\D/g, "");
  if (!CODE_LENGTHS.has(code.length)) return undefined;
  const rest = `${folded.slice(0, match.index)} ${folded.slice(match.index + match[0].length)}`;
  if (/\d/.test(rest)) return undefined;
  const others = rest.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return others.every((w) => S.linkFillers.has(w)) ? code : undefined;
}

const COMMAND_ALIASES: Readonly<Record<string, string>> = {
  help: "trogiup",
  huongdan: "trogiup",
  giupdo: "trogiup",
  menu: "trogiup",
  schedule: "lich",
  lichhop: "lich",
  language: "ngonngu",
  lang: "ngonngu",
  unlink: "huylienket",
  ykien: "ykien",
  gopy: "ykien",
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

/**
 * True when the message asks to stop the flow in progress: "hủy", "huy", "/huy", "thôi", "cancel",
 * "/cancel", "dừng lại ạ"… (the words alone, with particles). Guided flows check it first, so the
 * word never becomes a value ("hủy" as a document kind).
 */
export function isCancelRequest(text: string): boolean {
  const cleaned = clean(typeof text === "string" ? text : "");
  if (!cleaned || cleaned.length > 60) return false;
  const command = COMMAND_RE.exec(cleaned);
  if (command)
    return L.CANCEL_COMMANDS.includes(foldVietnamese(command[1] ?? "")) && !/[\p{L}\p{N}]/u.test(command[2] ?? "");
  return onlyCoreAndAllowed(analyse(cleaned).words, (w) => is(w, S.cancel), S.cancelAllowed, S.polite);
}

// =============================================================================================
// The rules, in order.

const SKIN_TONES = /[\u{1F3FB}-\u{1F3FF}]/gu;
const EMOJI_YES = new Set(L.EMOJI_YES.map((e) => e.replace(/\uFE0F/g, "")));
const EMOJI_NO = new Set(L.EMOJI_NO.map((e) => e.replace(/\uFE0F/g, "")));

/**
 * What the emoji of a message say: 1 when they agree (👍 in any skin tone, ✅, 👌, 🙋…), -1 when
 * they refuse (👎, ❌…), 0 when there are none or they disagree with each other.
 */
export function emojiVote(text: string): -1 | 0 | 1 {
  let yes = false;
  let no = false;
  for (const ch of text.replace(SKIN_TONES, "")) {
    if (EMOJI_YES.has(ch)) yes = true;
    else if (EMOJI_NO.has(ch)) no = true;
  }
  return yes === no ? 0 : yes ? 1 : -1;
}

/**
 * Classifies a member's message. `context` says what the member was last asked (see
 * ParseContext); attendance phrases are recognised in every context (members answer late).
 */
export function parseIntent(text: string, context: ParseContext = "none"): Intent {
  const original = typeof text === "string" ? text : "";
  const cleaned = clean(original);
  const vote = emojiVote(cleaned.slice(0, ANALYSIS_WINDOW));
  const thumbsUp = vote > 0;

  // 1. Nothing meaningful: empty, spaces, control characters, emoji that neither agree nor refuse.
  if (!/[\p{L}\p{N}?]/u.test(cleaned) && vote === 0) return { kind: "empty" };

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

  // 4. Symbols only: "?" asks for help; 👍 ✅ 👌 🙋 agree (= attending when answering a
  // reminder), 👎 ❌ refuse (= absent: the member is then asked for a reason, as for "xin vắng").
  if (!/[\p{L}\p{N}]/u.test(window)) {
    if (window.includes("?")) return { kind: "help" };
    if (vote > 0) return context === "reminder" ? { kind: "attend" } : { kind: "yes" };
    if (vote < 0) return context === "reminder" ? { kind: "absent" } : { kind: "no" };
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
      digits.length === 1 &&
      digit &&
      /^[1-9]$/.test(digit.raw) &&
      words.every((w) => w.digit || isFiller(w) || is(w, S.choice))
    )
      return { kind: "choice", index: Number(digit.raw) };

    // 6. "vang" without diacritics answering a yes/no question is "vâng" (yes), not "vắng".
    if (
      (context === "question" || context === "directive") &&
      words.some((w) => w.raw === "vang") &&
      words.every((w) => w.raw === "vang" || isFiller(w))
    )
      return { kind: "yes" };

    // 7. Short fixed requests: the whole message is the phrase plus fillers.
    if (onlyCoreAndAllowed(words, (w) => is(w, S.unlink), S.unlinkAllowed)) return { kind: "unlink" };
    const language = languageIntent(a);
    if (language) return language;
    if (onlyCoreAndAllowed(words, (w) => is(w, S.help), S.helpAllowed, S.helpHowto)) return { kind: "help" };
    const howTo = words.some((w) => is(w, S.helpHowto));
    if (howTo && onlyCoreAndAllowed(words, (w) => is(w, S.helpUse), S.helpAllowed, S.helpHowto, S.help))
      return { kind: "help" };
    if (onlyCoreAndAllowed(words, (w) => is(w, S.greetings), S.polite)) return { kind: "help" };
    if (onlyCoreAndAllowed(words, (w) => is(w, S.concernStart), S.concernStartAllowed, S.polite))
      return { kind: "concern_start" };
  }

  // "ko đc ạ", "không kịp" answering a reminder: cannot come.
  if (
    !truncated &&
    context === "reminder" &&
    onlyCoreAndAllowed(words, (w) => is(w, S.cannot), S.polite, S.time, S.meeting, S.presenceConstrained, S.returnVerb)
  )
    return { kind: "absent" };

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
      i === index ||
      is(w, S.read) ||
      isFiller(w) ||
      is(w, S.readAllowed) ||
      is(w, S.yes) ||
      is(w, S.polite) ||
      (negated && is(w, S.negators)),
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
      w.digit ||
      isFiller(w) ||
      is(w, S.scheduleWords) ||
      is(w, S.meetingNouns) ||
      is(w, S.whenWhere) ||
      is(w, S.scheduleAllowed),
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
