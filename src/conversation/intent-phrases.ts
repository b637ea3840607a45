/**
 * Short fixed phrases the intent parser recognises when they are the whole message: a language
 * switch, a read confirmation, a schedule question, satisfaction with how a concern was handled,
 * yes and no.
 */
import type { Intent, ParseContext } from "./intent.ts";
import {
  type Analysis,
  type Clause,
  is,
  isFiller,
  negatorOf,
  onlyCoreAndAllowed,
  type Word,
} from "./intent-analysis.ts";
import { vocab } from "./intent-vocabulary.ts";

export function languageIntent(a: Analysis): Intent | undefined {
  const { words } = a;
  const named = (w: Word): boolean => is(w, vocab.languageEn) || is(w, vocab.languageVi);
  const general = words.some((w) => is(w, vocab.languageWords));
  const isCore = (w: Word): boolean => named(w) || is(w, vocab.languageWords);
  if (!onlyCoreAndAllowed(words, isCore, vocab.languageAllowed)) return undefined;
  if (words.some((w) => is(w, vocab.languageEn)) || (general && words.some((w) => w.raw === "en")))
    return { kind: "language", locale: "en" };
  if (words.some((w) => is(w, vocab.languageVi)) || (general && words.some((w) => w.raw === "vi")))
    return { kind: "language", locale: "vi" };
  return { kind: "language" };
}

/** "đã đọc", "đọc rồi ạ" → read; "chưa đọc" → no (the directive was not read yet). */
export function readIntent(a: Analysis): Intent | undefined {
  const { words, clauses } = a;
  const index = words.findIndex((w) => is(w, vocab.read) && !(clauses[w.clause] as Clause).question);
  if (index < 0) return undefined;
  const negated = negatorOf(a, index, 2) >= 0;
  const onlyRead = words.every(
    (w, i) =>
      i === index ||
      is(w, vocab.read) ||
      isFiller(w) ||
      is(w, vocab.readAllowed) ||
      is(w, vocab.yes) ||
      is(w, vocab.polite) ||
      (negated && is(w, vocab.negators)),
  );
  if (!onlyRead) return undefined;
  return negated ? { kind: "no" } : { kind: "read" };
}

export function isScheduleQuestion(a: Analysis): boolean {
  const { words, clauses } = a;
  const hasSchedule = words.some((w) => is(w, vocab.scheduleWords));
  const hasMeeting = words.some((w) => is(w, vocab.meetingNouns));
  const hasWhenWhere = words.some((w) => is(w, vocab.whenWhere));
  const question = clauses.some((c) => c.question);
  if (!hasSchedule && !(hasMeeting && (hasWhenWhere || question))) return false;
  return words.every(
    (w) =>
      w.digit ||
      isFiller(w) ||
      is(w, vocab.scheduleWords) ||
      is(w, vocab.meetingNouns) ||
      is(w, vocab.whenWhere) ||
      is(w, vocab.scheduleAllowed),
  );
}

/**
 * "hài lòng", "chưa hài lòng lắm", "không hài lòng vì đường vẫn chưa sửa": the phrase must lead
 * a short message (a long complaint that mentions satisfaction stays a concern).
 */
export function satisfactionIntent(a: Analysis): Intent | undefined {
  const { words } = a;
  const index = words.findIndex((w) => is(w, vocab.satisfied) || is(w, vocab.unsatisfied));
  if (index < 0) return undefined;
  const content = words.filter((w) => !isFiller(w) && !is(w, vocab.polite));
  const before = words
    .slice(0, index)
    .filter((w) => !isFiller(w) && !is(w, vocab.negators) && !is(w, vocab.satisfactionAllowed) && !is(w, vocab.polite));
  if (before.length > 0 || content.length > 15) return undefined;
  const word = words[index] as Word;
  return is(word, vocab.unsatisfied) || negatorOf(a, index, 3) >= 0 ? { kind: "unsatisfied" } : { kind: "satisfied" };
}

export function yesNoIntent(a: Analysis, context: ParseContext, thumbsUp: boolean): Intent | undefined {
  const { words } = a;
  let yes = 0;
  let no = 0;
  for (const w of words) {
    if (is(w, vocab.no)) no++;
    else if (is(w, vocab.yes)) yes++;
    else if (!isFiller(w) && !is(w, vocab.polite)) return undefined;
  }
  if (no > 0) return { kind: "no" };
  if (thumbsUp) return context === "reminder" ? { kind: "attend" } : { kind: "yes" };
  return yes > 0 ? { kind: "yes" } : undefined;
}
