/**
 * The intent parser's vocabulary, built once from the word lists of intent-lexicon.ts: single
 * words and compounds indexed by their base letters (for matching typed words), and the lists as
 * sets named for the role they play in the rules (`vocab.negators`, `vocab.absence`…).
 */
import * as lexicon from "./intent-lexicon.ts";
import { shapeOf } from "./intent-word-shape.ts";

export type WordSet = ReadonlySet<string>;

export const norm = (s: string): string => s.normalize("NFC").toLowerCase();
const toSet = (...lists: readonly (readonly string[])[]): WordSet => new Set(lists.flat().map(norm));

/** Single-word entries by base letters. */
export const SINGLE = new Map<string, string[]>();
/** Compound entries (as word arrays) by the base letters of their first word, longest first. */
export const COMPOUNDS = new Map<string, string[][]>();
/** Base letters of every part of a compound (to recognise "matt" as a typo of "mặt"). */
export const COMPOUND_PARTS = new Set<string>();

for (const [name, value] of Object.entries(lexicon)) {
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

/** The lexicon's lists as sets of normalised entries, by the role they play in the rules. */
export const vocab = {
  pronouns: toSet(lexicon.PRONOUNS),
  filler: toSet(lexicon.PRONOUNS, lexicon.PARTICLES, lexicon.TIME_WORDS, lexicon.CLAUSE_BREAKS),
  /** Stripped from the start of a reason or note. */
  leading: toSet(lexicon.PRONOUNS, lexicon.TIME_WORDS, lexicon.CLAUSE_BREAKS, lexicon.REASON_CONNECTORS, [
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
  polite: toSet(lexicon.POLITE),
  time: toSet(lexicon.TIME_WORDS),
  greetings: toSet(lexicon.GREETINGS),
  breaks: toSet(lexicon.CLAUSE_BREAKS),
  negators: toSet(lexicon.NEGATORS),
  presenceFree: toSet(lexicon.PRESENCE_FREE),
  presenceConstrained: toSet(lexicon.PRESENCE_CONSTRAINED),
  returnVerb: toSet(["về"]),
  returnContinuations: toSet(lexicon.RETURN_CONTINUATIONS),
  continuations: toSet(lexicon.PRESENCE_CONTINUATIONS),
  absence: toSet(lexicon.ABSENCE_WORDS),
  askLeave: toSet(lexicon.ASK_LEAVE),
  communication: toSet(lexicon.COMMUNICATION_VERBS),
  late: toSet(lexicon.LATE_WORDS),
  lateContinuations: toSet(lexicon.LATE_CONTINUATIONS),
  hedges: toSet(lexicon.HEDGES),
  maybe: toSet(lexicon.MAYBE),
  letMe: toSet(lexicon.LET_ME),
  letMeVerbs: toSet(lexicon.LET_ME_VERBS),
  circumstances: toSet(lexicon.CIRCUMSTANCES),
  busy: toSet(lexicon.BUSY),
  connectors: toSet(lexicon.REASON_CONNECTORS),
  /** Stripped right after "vì"/"lý do": "lý do là …". */
  afterConnector: toSet(["là"]),
  spanTail: toSet(lexicon.ABSENCE_WORDS, lexicon.ASK_LEAVE, lexicon.NEGATORS, [
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
  meeting: toSet(lexicon.MEETING_WORDS),
  questionWords: toSet(lexicon.QUESTION_WORDS),
  questionFinals: toSet(lexicon.QUESTION_FINALS),
  undecided: toSet(["không biết", "chưa biết", "không chắc", "chưa chắc"]),
  read: toSet(lexicon.READ_PHRASES),
  readAllowed: toSet(lexicon.READ_ALLOWED),
  meetingNouns: toSet(lexicon.MEETING_NOUNS),
  scheduleWords: toSet(lexicon.SCHEDULE_WORDS),
  whenWhere: toSet(lexicon.WHEN_WHERE),
  scheduleAllowed: toSet(lexicon.SCHEDULE_ALLOWED),
  help: toSet(lexicon.HELP_WORDS),
  helpAllowed: toSet(lexicon.HELP_ALLOWED),
  helpHowto: toSet(lexicon.HELP_HOWTO),
  helpUse: toSet(lexicon.HELP_USE),
  languageEn: toSet(lexicon.LANGUAGE_EN),
  languageVi: toSet(lexicon.LANGUAGE_VI),
  languageWords: toSet(lexicon.LANGUAGE_WORDS),
  languageCodesEn: toSet(lexicon.LANGUAGE_CODES_EN),
  languageCodesVi: toSet(lexicon.LANGUAGE_CODES_VI),
  languageAllowed: toSet(lexicon.LANGUAGE_ALLOWED),
  unlink: toSet(lexicon.UNLINK_PHRASES),
  unlinkAllowed: toSet(lexicon.UNLINK_ALLOWED),
  concernStart: toSet(lexicon.CONCERN_START),
  concernStartAllowed: toSet(lexicon.CONCERN_START_ALLOWED),
  satisfied: toSet(lexicon.SATISFIED),
  unsatisfied: toSet(lexicon.UNSATISFIED),
  satisfactionAllowed: toSet(lexicon.SATISFACTION_ALLOWED),
  yes: toSet(lexicon.YES_WORDS),
  no: toSet(lexicon.NO_WORDS),
  choice: toSet(lexicon.CHOICE_WORDS),
  englishCannot: toSet(["cannot", "won't"]),
  linkFillers: new Set(lexicon.LINK_FILLERS),
  requests: toSet(lexicon.REQUEST_WORDS),
  cancel: toSet(lexicon.CANCEL_WORDS),
  cancelAllowed: toSet(lexicon.CANCEL_ALLOWED),
  conditions: toSet(lexicon.CONDITIONS),
  cannot: toSet(lexicon.CANNOT),
  habitual: toSet(lexicon.HABITUAL),
  answerExtra: toSet(lexicon.ANSWER_EXTRA),
};

export const own = (record: Readonly<Record<string, string>>, key: string): string | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;
