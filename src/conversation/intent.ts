/**
 * Intent parser for members' chat replies (pure functions, no I/O).
 *
 * Members type on phones: with or without diacritics, abbreviations ("k đi đc", "cm"), typos
 * ("co matt"), emoji and irregular spacing. The parser works in steps, each in its own file:
 *
 * 1. Normalisation and clause structure (intent-analysis.ts): the start of the message (at most
 *    ANALYSIS_WINDOW characters) becomes words matched against the lexicon (intent-lexicon.ts,
 *    indexed in intent-vocabulary.ts) diacritic-aware (intent-word-shape.ts): "co" matches "có",
 *    but "mất" never matches "mặt".
 * 2. Ordered rules (parseIntent, below), from the most specific (commands and link codes,
 *    intent-commands.ts) to the default (a concern, i.e. free text for the association); short
 *    fixed phrases are in intent-phrases.ts.
 * 3. For an attendance answer (intent-attendance.ts), a score of the words it leaves unexplained:
 *    only a message that is the answer is recorded; an answer with something else is `mixed` (the
 *    member is asked); a verb like "đến"/"đi" inside a sentence about something else is no answer.
 */
import { analyse, clean, is, isFiller, onlyCoreAndAllowed } from "./intent-analysis.ts";
import { analyseAttendance } from "./intent-attendance.ts";
import { linkCode, parseCommand, TME_RE } from "./intent-commands.ts";
import { EMOJI_NO, EMOJI_YES } from "./intent-lexicon.ts";
import { isScheduleQuestion, languageIntent, readIntent, satisfactionIntent, yesNoIntent } from "./intent-phrases.ts";
import { vocab } from "./intent-vocabulary.ts";

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

// =============================================================================================
// The rules, in order.

const SKIN_TONES = /[\u{1F3FB}-\u{1F3FF}]/gu;
const YES_EMOJI = new Set(EMOJI_YES.map((e) => e.replace(/\uFE0F/g, "")));
const NO_EMOJI = new Set(EMOJI_NO.map((e) => e.replace(/\uFE0F/g, "")));

/**
 * What the emoji of a message say: 1 when they agree (👍 in any skin tone, ✅, 👌, 🙋…), -1 when
 * they refuse (👎, ❌…), 0 when there are none or they disagree with each other.
 */
export function emojiVote(text: string): -1 | 0 | 1 {
  let yes = false;
  let no = false;
  for (const ch of text.replace(SKIN_TONES, "")) {
    if (YES_EMOJI.has(ch)) yes = true;
    else if (NO_EMOJI.has(ch)) no = true;
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
      words.every((w) => w.digit || isFiller(w) || is(w, vocab.choice))
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
    if (onlyCoreAndAllowed(words, (w) => is(w, vocab.unlink), vocab.unlinkAllowed)) return { kind: "unlink" };
    const language = languageIntent(a);
    if (language) return language;
    if (onlyCoreAndAllowed(words, (w) => is(w, vocab.help), vocab.helpAllowed, vocab.helpHowto))
      return { kind: "help" };
    const howTo = words.some((w) => is(w, vocab.helpHowto));
    if (howTo && onlyCoreAndAllowed(words, (w) => is(w, vocab.helpUse), vocab.helpAllowed, vocab.helpHowto, vocab.help))
      return { kind: "help" };
    if (onlyCoreAndAllowed(words, (w) => is(w, vocab.greetings), vocab.polite)) return { kind: "help" };
    if (onlyCoreAndAllowed(words, (w) => is(w, vocab.concernStart), vocab.concernStartAllowed, vocab.polite))
      return { kind: "concern_start" };
  }

  // "ko đc ạ", "không kịp" answering a reminder: cannot come.
  if (
    !truncated &&
    context === "reminder" &&
    onlyCoreAndAllowed(
      words,
      (w) => is(w, vocab.cannot),
      vocab.polite,
      vocab.time,
      vocab.meeting,
      vocab.presenceConstrained,
      vocab.returnVerb,
    )
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
  if (words.every((w) => isFiller(w) || is(w, vocab.polite))) return { kind: "empty" };

  // 14. Anything else is a concern, kept exactly as typed.
  return concern();
}
