/**
 * Members' answers to meeting reminders (có mặt / xin vắng / chưa chắc), by button, by number or
 * in words. The meeting is the one the message replies to, else the one the open reminder is
 * about, else the member's only pending meeting; with several pending, the member is asked which.
 * "Xin vắng" without a reason asks once for the reason.
 */
import { isAppError } from "../../lib/app-error.ts";
import { formatShortDate } from "../../lib/zoned-time.ts";
import { entityOfMessage } from "../../domain/messages/message-log.ts";
import { getMeeting } from "../../domain/meetings/meeting-service.ts";
import { personActor } from "../../domain/access/actor.ts";
import {
  pendingMeetingsForPerson,
  recordRsvp,
  setRsvpReason,
  type RsvpAnswer,
} from "../../domain/meetings/rsvp-service.ts";
import { encodePayload, type PayloadOf } from "../../domain/payloads.ts";
import { emojiVote, type Intent } from "../intent.ts";
import type { Turn } from "../turn.ts";
import { createConcernTicket, offerConcern, shortQuestionTtlMs } from "./concerns.ts";
import { cancelChoice } from "./flow-cancel.ts";

const answers: readonly RsvpAnswer[] = ["attend", "absent", "unsure"];
const reasonTtlMs = 12 * 3_600_000;

function isAnswer(value: string): value is RsvpAnswer {
  return (answers as readonly string[]).includes(value);
}

/** The three reminder choices (also used by the reminder job, through the same payloads). */
export function rsvpChoices(turn: Turn, meetingId: number) {
  return answers.map((a) => ({
    label: turn.t(`meetings.${a}`),
    payload: encodePayload({ kind: "rsvp", meetingId, answer: a }),
  }));
}

async function meetingFromContext(turn: Turn): Promise<number | undefined> {
  const { message } = turn;
  if (message.replyTo) {
    const entity = await entityOfMessage(turn.db, message.platform, message.chatId, message.replyTo);
    if (entity?.entityType === "Meeting") return entity.entityId;
  }
  const pending = turn.pending;
  if (pending?.kind === "rsvp" && typeof pending.data.meetingId === "number") return pending.data.meetingId;
  return undefined;
}

/** Records an answer and confirms it back; asks for a reason when "absent" came without one. */
export async function applyRsvp(turn: Turn, meetingId: number, answer: RsvpAnswer, reason?: string): Promise<void> {
  if (!turn.person) return;
  try {
    const result = await recordRsvp(
      turn.db,
      {
        meetingId,
        personId: turn.person.id,
        answer,
        reason: reason ?? null,
        viaAccountId: turn.account.id,
        actor: personActor(turn.person.id),
      },
      turn.now,
    );
    const meeting = await getMeeting(turn.db, meetingId);
    const when = formatShortDate(new Date(meeting.startsAt), turn.settings.timeZone, turn.locale);
    const key = answer === "absent" && reason ? "confirm_absent_reason" : `confirm_${answer}`;
    const lines = [turn.t(`meetings.${key}`, { title: meeting.title, when, reason: reason ?? "" })];
    if (result.changed && result.previous) lines.push(turn.t("meetings.changed_note"));
    if (result.late) lines.push(turn.t("meetings.late_note"));
    turn.concerns("Meeting", meetingId);
    await turn.closeQuestion("rsvp");
    await turn.closeQuestion("rsvp_which");
    if (answer === "absent" && !reason && !result.late) {
      await turn.ask(
        [...lines, turn.t("meetings.ask_reason")].join("\n"),
        "rsvp_reason",
        [{ label: turn.t("meetings.no_reason"), payload: encodePayload({ kind: "rsvpreason", meetingId }) }],
        { meetingId },
        reasonTtlMs,
        { type: "Meeting", id: meetingId },
      );
      return;
    }
    turn.reply(lines.join("\n"), undefined, { type: "Meeting", id: meetingId });
  } catch (error) {
    if (!isAppError(error)) throw error;
    turn.reply(error.code === "forbidden" ? turn.t("meetings.not_invited") : turn.errorText(error));
  }
}

/** An attend/absent/unsure intent from free text. Returns false when it is not about a meeting. */
export async function answerFromText(turn: Turn, answer: RsvpAnswer, reason?: string): Promise<boolean> {
  if (!turn.person) return false;
  const contextMeeting = await meetingFromContext(turn);
  if (contextMeeting !== undefined) {
    await applyRsvp(turn, contextMeeting, answer, reason);
    return true;
  }
  const pending = await pendingMeetingsForPerson(turn.db, turn.person.id, turn.now);
  if (!pending.length) {
    turn.reply(turn.t("chat.no_pending_meeting"));
    return true;
  }
  // A meeting under way is answered only when it is the only one; it is never offered in a choice.
  const upcoming = pending.filter((m) => m.startsAt > turn.now.getTime());
  const pool = upcoming.length ? upcoming : pending;
  const unanswered = pool.filter((m) => m.answer === null);
  const candidates = pool.length === 1 ? pool : unanswered.length === 1 ? unanswered : pool;
  if (candidates.length === 1) {
    await applyRsvp(turn, candidates[0]!.id, answer, reason);
    return true;
  }
  const shown = candidates.slice(0, 6);
  await turn.ask(
    turn.t("meetings.which_meeting"),
    "rsvp_which",
    shown.map((m) => ({
      label: turn.t("meetings.meeting_choice", {
        when: formatShortDate(new Date(m.startsAt), turn.settings.timeZone, turn.locale),
        title: m.title,
      }),
      payload: encodePayload({ kind: "rsvpwhich", meetingId: m.id }),
    })),
    { answer, reason: reason ?? null },
  );
  return true;
}

/** The one meeting a reply is about, without asking (context, else the only one pending). */
async function soleMeeting(turn: Turn): Promise<{ id: number; title: string; startsAt: number } | undefined | null> {
  const contextMeeting = await meetingFromContext(turn);
  if (contextMeeting !== undefined) {
    const m = await getMeeting(turn.db, contextMeeting);
    return { id: m.id, title: m.title, startsAt: m.startsAt };
  }
  const pending = await pendingMeetingsForPerson(turn.db, turn.person!.id, turn.now);
  if (!pending.length) return null;
  const upcoming = pending.filter((m) => m.startsAt > turn.now.getTime());
  const pool = upcoming.length ? upcoming : pending;
  const unanswered = pool.filter((m) => m.answer === null);
  const one = pool.length === 1 ? pool[0] : unanswered.length === 1 ? unanswered[0] : undefined;
  return one ? { id: one.id, title: one.title, startsAt: one.startsAt } : undefined;
}

/**
 * An answer inside a message that says something else too: one short question — record the
 * answer, send the text as a concern, or both. Without a meeting to answer, it is a concern.
 */
async function askAboutMixed(turn: Turn, intent: Extract<Intent, { kind: "mixed" }>): Promise<void> {
  const meeting = await soleMeeting(turn);
  if (meeting === null) return offerConcern(turn, intent.text);
  const excerpt = intent.text.length > 300 ? `${intent.text.slice(0, 300)}…` : intent.text;
  const text = meeting
    ? turn.t("understand.mixed_ask", {
        title: meeting.title,
        when: formatShortDate(new Date(meeting.startsAt), turn.settings.timeZone, turn.locale),
        excerpt,
      })
    : turn.t("understand.mixed_ask_any", { excerpt });
  await turn.ask(
    text,
    "rsvp_mixed",
    [
      {
        label: turn.t("understand.mixed_record", { answer: turn.t(`meetings.${intent.answer}`) }),
        payload: encodePayload({ kind: "rsvpmix", choice: "answer" }),
      },
      { label: turn.t("understand.mixed_concern"), payload: encodePayload({ kind: "rsvpmix", choice: "concern" }) },
      { label: turn.t("understand.mixed_both"), payload: encodePayload({ kind: "rsvpmix", choice: "both" }) },
      cancelChoice(turn),
    ],
    {
      meetingId: meeting?.id ?? null,
      answer: intent.answer,
      reason: intent.reason ?? null,
      text: intent.text,
      logId: turn.logId,
    },
    shortQuestionTtlMs,
    meeting ? { type: "Meeting", id: meeting.id } : undefined,
  );
}

/** Handles attend/absent/unsure intents and the answer to "why absent?". Registered with the conversation. */
export async function handleRsvpIntent(turn: Turn, intent: Intent): Promise<boolean> {
  if (!turn.person) return false;
  if (intent.kind === "mixed") {
    await askAboutMixed(turn, intent);
    return true;
  }
  // The reason asked for after "xin vắng": any free text is the reason, "không" skips it.
  if (turn.pending?.kind === "rsvp_reason" && intent.kind !== "command" && intent.kind !== "link") {
    const meetingId = Number(turn.pending.data.meetingId);
    await turn.closeQuestion("rsvp_reason");
    // "chưa chắc" or "có mặt" instead of a reason changes the answer itself.
    if (intent.kind === "attend" || intent.kind === "unsure") {
      await applyRsvp(turn, meetingId, intent.kind);
      return true;
    }
    if (intent.kind === "no" || intent.kind === "empty" || intent.kind === "choice") {
      turn.reply(turn.t("meetings.reason_skipped"));
      return true;
    }
    const reason = intent.kind === "absent" && intent.reason ? intent.reason : (turn.message.text ?? "").trim();
    if (!reason) {
      turn.reply(turn.t("meetings.reason_skipped"));
      return true;
    }
    await setRsvpReason(turn.db, { meetingId, personId: turn.person.id, reason, actor: personActor(turn.person.id) });
    turn.concerns("Meeting", meetingId);
    turn.reply(turn.t("meetings.reason_saved", { reason: reason.slice(0, 500) }), undefined, {
      type: "Meeting",
      id: meetingId,
    });
    return true;
  }
  if (intent.kind === "attend") return answerFromText(turn, "attend");
  if (intent.kind === "absent") return answerFromText(turn, "absent", intent.reason);
  if (intent.kind === "unsure") return answerFromText(turn, "unsure");
  return false;
}

/**
 * A reaction on a meeting reminder (Zalo): the emoji members send as text count the same way — 👍 👌
 * 🙏 … as "có mặt", 👎 🙅 … as "vắng" (then the reason is asked for). Other reactions are only stored.
 */
export async function answerReaction(turn: Turn): Promise<void> {
  const { message } = turn;
  const vote = emojiVote(message.reaction ?? "");
  if (!turn.person || vote === 0 || !message.replyTo) return;
  const entity = await entityOfMessage(turn.db, message.platform, message.chatId, message.replyTo);
  if (entity?.entityType === "Meeting") await applyRsvp(turn, entity.entityId, vote > 0 ? "attend" : "absent");
}

/** Button payloads (decoded by the conversation): rsvp, rsvpwhich, rsvpmix, rsvpreason. */
export const rsvpPayloads = {
  async rsvp(turn: Turn, payload: PayloadOf<"rsvp">): Promise<void> {
    await applyRsvp(turn, payload.meetingId, payload.answer);
  },
  async rsvpwhich(turn: Turn, payload: PayloadOf<"rsvpwhich">): Promise<void> {
    const pending = turn.pending?.kind === "rsvp_which" ? turn.pending.data : undefined;
    const answer = pending?.answer;
    if (!pending || typeof answer !== "string" || !isAnswer(answer)) return turn.reply(turn.t("chat.question_expired"));
    await applyRsvp(turn, payload.meetingId, answer, typeof pending.reason === "string" ? pending.reason : undefined);
  },
  /** The answer to "record the answer / send as a concern / both" (see askAboutMixed). */
  async rsvpmix(turn: Turn, payload: PayloadOf<"rsvpmix">): Promise<void> {
    const pending = turn.pending?.kind === "rsvp_mixed" ? turn.pending.data : undefined;
    const answer = pending?.answer;
    if (!pending || typeof answer !== "string" || !isAnswer(answer) || typeof pending.text !== "string")
      return turn.reply(turn.t("chat.question_expired"));
    await turn.closeQuestion("rsvp_mixed");
    const reason = typeof pending.reason === "string" ? pending.reason : undefined;
    if (payload.choice !== "concern") {
      if (typeof pending.meetingId === "number") await applyRsvp(turn, pending.meetingId, answer, reason);
      else await answerFromText(turn, answer, reason);
    }
    if (payload.choice !== "answer")
      await createConcernTicket(turn, pending.text, typeof pending.logId === "number" ? pending.logId : turn.logId);
  },
  async rsvpreason(turn: Turn, _payload: PayloadOf<"rsvpreason">): Promise<void> {
    await turn.closeQuestion("rsvp_reason");
    turn.reply(turn.t("meetings.reason_skipped"));
  },
};
