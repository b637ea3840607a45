/**
 * Concerns: free text that is not an answer to anything becomes a ticket after a one-tap
 * confirmation; /ykien asks for the text first.
 */
import { createTicket, ticketTextMaxLength } from "../../domain/tickets/ticket-service.ts";
import { isAppError } from "../../lib/app-error.ts";
import { formatDate } from "../../lib/zoned-time.ts";
import type { Turn } from "../turn.ts";

/** Concerns stay open for confirmation for a day: an elderly member may answer late. */
const confirmTtlMs = 24 * 3_600_000;

export function offerConcern(turn: Turn, text: string): void {
  if (text.trim().length < 3) {
    turn.reply(turn.t("chat.concern_too_short"));
    return;
  }
  const excerpt = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  turn.ask(
    turn.t("chat.concern_confirm", { excerpt }),
    "concern_confirm",
    [
      { label: turn.t("chat.concern_send"), payload: "concern:yes" },
      { label: turn.t("chat.concern_cancel"), payload: "concern:no" },
    ],
    { text, logId: turn.logId },
    confirmTtlMs,
  );
}

export function askConcernText(turn: Turn): void {
  turn.ask(turn.t("chat.concern_ask"), "concern_text", [], {}, confirmTtlMs);
}

export function answerConcern(turn: Turn, answer: string): void {
  const pending = turn.pending?.kind === "concern_confirm" ? turn.pending : undefined;
  turn.closeQuestion("concern_confirm");
  if (!pending || !turn.person) {
    turn.reply(turn.t("chat.question_expired"));
    return;
  }
  if (answer !== "yes") {
    turn.reply(turn.t("chat.concern_cancelled"));
    return;
  }
  const data = pending.data as { text: string; logId: number };
  createConcernTicket(turn, data.text, data.logId);
}

export function createConcernTicket(turn: Turn, text: string, logId: number): void {
  if (!turn.person) return;
  let ticket;
  try {
    ticket = createTicket(turn.db, { personId: turn.person.id, text, sourceAccountId: turn.account.id, messageLogId: logId }, turn.now, { perDay: turn.settings.ticketsPerDay });
  } catch (error) {
    if (!isAppError(error, "ticket_too_many")) throw error;
    return turn.reply(turn.errorText(error));
  }
  turn.concerns("Ticket", ticket.id);
  turn.reply(
    turn.t("chat.concern_created", { id: ticket.id, unit: ticket.unitName, due: formatDate(new Date(ticket.dueAt), turn.settings.timeZone) }),
    undefined,
    { type: "Ticket", id: ticket.id },
  );
  if (ticket.cut) turn.reply(turn.t("security.ticket_cut", { max: ticketTextMaxLength, cut: ticket.cut }));
}
