/**
 * Concerns: free text that is not an answer to anything becomes a ticket after a one-tap
 * confirmation; /ykien asks for the text first (and the text then gets the same confirmation).
 */
import { encodePayload } from "../../domain/payloads.ts";
import {
  createTicket,
  listTicketsOfPerson,
  ticketExcerpt,
  ticketTextMaxLength,
} from "../../domain/tickets/ticket-service.ts";
import { isAppError } from "../../lib/app-error.ts";
import { formatDate } from "../../lib/zoned-time.ts";
import { questionTtlMs, type Turn } from "../turn.ts";
import { cancelChoice } from "./flow-cancel.ts";

/**
 * Questions that would capture the member's next free text ("write your concern", "what to add",
 * "answer or concern?") stay open for minutes: a message written later is read on its own.
 */
export const shortQuestionTtlMs = 10 * 60_000;
/** The one-tap confirmation of a concern: long enough for an elderly member to find the button. */
const confirmTtlMs = questionTtlMs;

export async function offerConcern(turn: Turn, text: string): Promise<void> {
  if (text.trim().length < 3) {
    turn.reply(turn.t("chat.concern_too_short"));
    return;
  }
  const excerpt = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  await turn.ask(
    turn.t("chat.concern_confirm", { excerpt }),
    "concern_confirm",
    [
      { label: turn.t("chat.concern_send"), payload: encodePayload({ kind: "concern", confirm: true }) },
      { label: turn.t("chat.concern_cancel"), payload: encodePayload({ kind: "concern", confirm: false }) },
    ],
    { text, logId: turn.logId },
    confirmTtlMs,
  );
}

/** /ykien for a member: their recent concerns, then "write your concern" (open for minutes). */
export async function askConcernText(turn: Turn): Promise<void> {
  const mine = turn.person ? await listTicketsOfPerson(turn.db, turn.person.id, 5) : [];
  const lines = mine.length
    ? [
        turn.t("understand.mine_header"),
        ...mine.map((tk) =>
          turn.t("understand.mine_line", {
            id: tk.id,
            status: turn.t(`ykien.status_${tk.status}`),
            excerpt: ticketExcerpt(tk.firstMessage),
          }),
        ),
        turn.t("understand.mine_hint"),
        "",
      ]
    : [];
  lines.push(turn.t("understand.concern_ask", { minutes: Math.round(shortQuestionTtlMs / 60_000) }));
  await turn.ask(lines.join("\n"), "concern_text", [cancelChoice(turn)], {}, shortQuestionTtlMs);
}

export async function answerConcern(turn: Turn, answer: string): Promise<void> {
  const pending = turn.pending?.kind === "concern_confirm" ? turn.pending : undefined;
  await turn.closeQuestion("concern_confirm");
  if (!pending || !turn.person) {
    turn.reply(turn.t("chat.question_expired"));
    return;
  }
  if (answer !== "yes") {
    turn.reply(turn.t("chat.concern_cancelled"));
    return;
  }
  const data = pending.data as { text: string; logId: number };
  await createConcernTicket(turn, data.text, data.logId);
}

export async function createConcernTicket(turn: Turn, text: string, logId: number): Promise<void> {
  if (!turn.person) return;
  let ticket;
  try {
    ticket = await createTicket(
      turn.db,
      { personId: turn.person.id, text, sourceAccountId: turn.account.id, messageLogId: logId },
      turn.now,
      { perDay: turn.settings.ticketsPerDay },
    );
  } catch (error) {
    if (!isAppError(error, "ticket_too_many")) throw error;
    return turn.reply(turn.errorText(error));
  }
  turn.concerns("Ticket", ticket.id);
  turn.reply(
    turn.t("chat.concern_created", {
      id: ticket.id,
      unit: ticket.unitName,
      due: formatDate(new Date(ticket.dueAt), turn.settings.timeZone),
    }),
    undefined,
    { type: "Ticket", id: ticket.id },
  );
  if (ticket.cut) turn.reply(turn.t("security.ticket_cut", { max: ticketTextMaxLength, cut: ticket.cut }));
}
