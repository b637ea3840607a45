/**
 * One way out of every guided flow and open question: a "Hủy" button (a numbered choice where the
 * platform has no buttons) on each step, and the words "hủy", "huy", "/huy", "thôi", "cancel",
 * "/cancel"… typed at any step. Checked before the flow reads the text, so "hủy" never becomes a
 * value (a document kind, a meeting title, an answer to a concern).
 */
import { encodePayload } from "../../domain/payloads.ts";
import type { Choice } from "../../channels/channel.ts";
import type { Intent } from "../intent.ts";
import { isCancelRequest } from "../intent-commands.ts";
import type { Turn } from "../turn.ts";

export const cancelPayload = encodePayload({ kind: "flow", action: "cancel" });

/** What each question kind says when it is cancelled (others: "Đã hủy, không lưu gì."). */
const cancelledText: Readonly<Record<string, string>> = {
  meeting_new: "meetings.creation_cancelled",
  directive_new: "vanban.cancelled",
  meeting_cancel: "meetings.cancel_kept",
  concern_confirm: "chat.concern_cancelled",
  unlink: "chat.unlink_kept",
  rsvp_reason: "meetings.reason_skipped",
};

/**
 * Questions that are not flows: a reminder, a directive's "Đã đọc", the feedback on an answer.
 * "Không" / "hủy" there is an answer, handled by the question itself.
 */
const oneTapKinds = new Set(["rsvp", "directive", "ticket_feedback"]);

/** Questions where a bare "không" means "none of these": it cancels. */
const noMeansCancel = new Set(["rsvp_mixed", "concern_text", "ticket_followup"]);

/** The "Hủy" button, appended last to a step's choices. */
export function cancelChoice(turn: Turn): Choice {
  return { label: turn.t("understand.cancel_button"), payload: cancelPayload };
}

/** Closes the open flow and says so. */
export async function cancelOpenFlow(turn: Turn): Promise<void> {
  const kind = turn.pending?.kind;
  if (!kind) return turn.reply(turn.t("chat.no_open_question"));
  await turn.closeQuestion(kind);
  turn.reply(turn.t(cancelledText[kind] ?? "understand.flow_cancelled"));
}

/** A step's choices without the "Hủy" button (so "có"/"không" map to the step's own options). */
export function ownChoices(choices: readonly string[]): string[] {
  return choices.filter((c) => c !== cancelPayload);
}

export const flowPayloads = {
  /** flow:cancel — the "Hủy" button of whatever flow is open. */
  async flow(turn: Turn, argument: string): Promise<void> {
    const kind = turn.pending?.kind;
    if (argument !== "cancel" || !kind || oneTapKinds.has(kind)) return turn.reply(turn.t("chat.question_expired"));
    await cancelOpenFlow(turn);
  },
};

/** Intent handler: a cancel word, command or the number of the "Hủy" choice ends the open flow. */
export async function cancelFlow(turn: Turn, intent: Intent): Promise<boolean> {
  const kind = turn.pending?.kind;
  const text = turn.message.text ?? "";
  if (!kind) {
    // "/huy" with nothing open: say so rather than "not understood".
    if (intent.kind === "command" && isCancelRequest(text)) {
      turn.reply(turn.t("chat.no_open_question"));
      return true;
    }
    return false;
  }
  if (oneTapKinds.has(kind)) return false;
  // In the attendance list numbers are people, not choices.
  const numbered =
    intent.kind === "choice" &&
    kind !== "attendance" &&
    turn.pending?.data.choices?.[intent.index - 1] === cancelPayload;
  if (!numbered && !(intent.kind === "no" && noMeansCancel.has(kind)) && !isCancelRequest(text)) return false;
  await cancelOpenFlow(turn);
  return true;
}
