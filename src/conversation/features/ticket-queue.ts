/**
 * The ticket queue in chat, for cadres and officials: /ykien lists the open concerns of their
 * subtree (overdue and oldest first); /ykien N opens one with its thread; they take it, answer it
 * (the answer reaches the member on the account they wrote from), pass it up, or close it.
 * Members tell whether an answer satisfied them, and add to their own concern by replying.
 */
import { encodePayload } from "../../domain/payloads.ts";
import { isAppError } from "../../lib/app-error.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { formatDate, formatShortDate } from "../../lib/zoned-time.ts";
import { scopeRoots } from "../../domain/access/access-scope.ts";
import { entityOfMessage } from "../../domain/messages/message-log.ts";
import { getUnit } from "../../domain/units/unit-service.ts";
import {
  addMemberMessage,
  answerTicket,
  closeTicket,
  escalateTicket,
  getTicket,
  passedUpBy,
  recordSatisfaction,
  takeTicket,
  ticketAccess,
  ticketThread,
  latestAnsweredTicketOf,
  ticketOwner,
} from "../../domain/tickets/ticket-service.ts";
import { countOpenTickets, listOpenTickets, listPassedUp } from "../../domain/tickets/ticket-queue.ts";
import type { Intent } from "../intent.ts";
import type { PayloadOf } from "../../domain/payloads.ts";
import type { Turn } from "../turn.ts";
import { shortQuestionTtlMs } from "./concerns.ts";
import { cancelChoice } from "./flow-cancel.ts";

const flowTtlMs = 2 * 3_600_000;

/** Notes the domain writes in a ticket's history as codes; an official's note is shown as written. */
const historyNotes = new Set(["satisfied", "reopened", "member_reply", "reassigned"]);

/** "Lĩnh vực: Hạ tầng. Mức độ hài lòng: chưa cho biết." — for the queue and a ticket's thread. */
function categoryAndSatisfaction(
  turn: Turn,
  tk: { category: string; satisfied: number | null },
): { category: string; satisfaction: string } {
  return {
    category: turn.t(`understand.category_${tk.category}`),
    satisfaction: turn.t(
      tk.satisfied === null
        ? "understand.satisfied_none"
        : tk.satisfied
          ? "understand.satisfied_yes"
          : "understand.satisfied_no",
    ),
  };
}

export async function hasTicketRights(turn: Turn): Promise<boolean> {
  return Boolean(turn.person && (await scopeRoots(turn.db, turn.person.id, "handle_tickets")).length);
}

async function guard(turn: Turn, fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (error) {
    if (!isAppError(error)) throw error;
    turn.reply(turn.errorText(error, { what: "#" }));
  }
}

/**
 * Before a ticket action runs or a prompt for it opens (a button, even an old or forged one, or a
 * typed command): the ticket must exist, be open and be the person's to handle. Otherwise says
 * why at once (passed up above them, closed, gone, no right) and returns false.
 */
async function mayActOnTicket(turn: Turn, id: number): Promise<boolean> {
  const { access, ticket } = await ticketAccess(turn.db, id, turn.person?.id ?? -1);
  if (access === "handle") return true;
  if (access === "handled_above")
    turn.reply(turn.t("rights.button_handled_above", { id, unit: (await getUnit(turn.db, ticket!.unitId)).name }));
  else if (access === "closed") turn.reply(turn.t("rights.button_closed", { id }));
  // Only someone who handles concerns learns whether a number exists.
  else if (access === "not_found" && (await hasTicketRights(turn)))
    turn.reply(turn.t("rights.button_not_found", { id }));
  else turn.reply(turn.t("rights.button_no_right", { id }));
  return false;
}

/** The open concerns the person's scope passed up, read only; empty lines when none. */
async function passedUpLines(turn: Turn): Promise<string[]> {
  const tickets = await listPassedUp(turn.db, turn.person!.id, 10);
  if (!tickets.length) return [];
  return [
    "",
    turn.t("rights.passed_up_header"),
    ...tickets.map((tk) =>
      turn.t("rights.passed_up_line", {
        id: tk.id,
        member: tk.memberName,
        unit: tk.unitName,
        status: turn.t(`ykien.status_${tk.status}`),
      }),
    ),
  ];
}

export async function showQueue(turn: Turn): Promise<void> {
  const tickets = await listOpenTickets(turn.db, turn.person!.id, { now: turn.now, limit: 15 });
  if (!tickets.length) return turn.reply([turn.t("ykien.queue_none"), ...(await passedUpLines(turn))].join("\n"));
  const counts = await countOpenTickets(turn.db, turn.person!.id, turn.now);
  const lines = tickets.map((tk) =>
    turn.t("ykien.queue_line", {
      id: tk.id,
      overdue: tk.overdue ? turn.t("ykien.overdue_mark") : "",
      member: tk.memberName,
      unit: tk.unitName,
      status: `${turn.t(`ykien.status_${tk.status}`)}, ${turn.t("understand.queue_details", categoryAndSatisfaction(turn, tk))}`,
      excerpt: tk.firstMessage.length > 80 ? `${tk.firstMessage.slice(0, 80)}…` : tk.firstMessage,
    }),
  );
  turn.reply(
    [
      turn.t("ykien.queue_header", counts),
      ...lines,
      "",
      turn.t("ykien.queue_hint"),
      ...(await passedUpLines(turn)),
    ].join("\n"),
  );
}

export async function showTicket(turn: Turn, id: number): Promise<void> {
  // A member asking for someone else's number learns no more than for a number that does not exist.
  if (!(await hasTicketRights(turn)) && (await ticketOwner(turn.db, id)) !== turn.person!.id)
    return turn.reply(turn.t("errors.not_found", { what: `#${id}` }));
  await guard(turn, async () => {
    const thread = await ticketThread(turn.db, id, turn.person!.id);
    const tk = thread.ticket;
    const zone = turn.settings.timeZone;
    const lines = [
      turn.t("ykien.thread_header", {
        id: tk.id,
        member: tk.memberName,
        unit: tk.unitName,
        status: turn.t(`ykien.status_${tk.status}`),
        due: formatDate(new Date(tk.dueAt), zone),
        assignee: tk.assigneeName ? turn.t("ykien.thread_assignee", { name: tk.assigneeName }) : "",
      }),
      turn.t("understand.thread_details", categoryAndSatisfaction(turn, tk)),
      ...thread.messages.map((m) =>
        turn.t("ykien.thread_message", {
          when: formatShortDate(new Date(m.createdAt), zone, turn.locale),
          author: m.authorName ?? turn.t("ykien.member"),
          text: m.text,
        }),
      ),
      ...thread.history
        .filter((h) => h.fromStatus !== null || h.fromUnit !== null)
        .map((h) =>
          turn.t("ykien.thread_history", {
            when: formatShortDate(new Date(h.createdAt), zone, turn.locale),
            who: h.byName ?? "—",
            from:
              h.fromUnit && h.toUnit && h.fromUnit !== h.toUnit
                ? h.fromUnit
                : turn.t(`ykien.status_${h.fromStatus ?? "new"}`),
            to: h.fromUnit && h.toUnit && h.fromUnit !== h.toUnit ? h.toUnit : turn.t(`ykien.status_${h.toStatus}`),
            note: h.note ? ` (${historyNotes.has(h.note) ? turn.t(`understand.note_${h.note}`) : h.note})` : "",
          }),
        ),
    ];
    turn.concerns("Ticket", tk.id);
    if (await passedUpBy(turn.db, turn.person!.id, tk))
      lines.push(turn.t("rights.handled_above_mark", { unit: tk.unitName }));
    if (tk.status === "closed") return turn.reply(lines.join("\n"), undefined, { type: "Ticket", id: tk.id });
    // The member's own concern: its thread and status, and a way to add to it.
    if (tk.personId === turn.person!.id)
      return turn.reply(
        lines.join("\n"),
        [{ label: turn.t("understand.followup_button"), payload: `tkadd:${tk.id}` }],
        { type: "Ticket", id: tk.id },
      );
    if (!(await mayHandle(turn, tk.id))) return turn.reply(lines.join("\n"), undefined, { type: "Ticket", id: tk.id });
    await turn.ask(
      lines.join("\n"),
      "ticket_actions",
      [
        { label: turn.t("ykien.take"), payload: encodePayload({ kind: "tk", action: "take", ticketId: tk.id }) },
        { label: turn.t("ykien.answer"), payload: encodePayload({ kind: "tk", action: "answer", ticketId: tk.id }) },
        {
          label: turn.t("ykien.escalate"),
          payload: encodePayload({ kind: "tk", action: "escalate", ticketId: tk.id }),
        },
        { label: turn.t("ykien.close"), payload: encodePayload({ kind: "tk", action: "close", ticketId: tk.id }) },
        cancelChoice(turn),
      ],
      { ticketId: tk.id },
      flowTtlMs,
      { type: "Ticket", id: tk.id },
    );
  });
}

async function mayHandle(turn: Turn, id: number): Promise<boolean> {
  return (await ticketAccess(turn.db, id, turn.person!.id)).access === "handle";
}

function idArg(turn: Turn, args: string, command: string): number | undefined {
  const m = /#?(\d+)/.exec(args);
  if (!m) {
    turn.reply(turn.t("ykien.need_id", { command }));
    return undefined;
  }
  return Number(m[1]);
}

async function answer(turn: Turn, id: number, text: string): Promise<void> {
  await guard(turn, async () => {
    await answerTicket(turn.db, { ticketId: id, personId: turn.person!.id, text, now: turn.now });
    turn.concerns("Ticket", id);
    turn.reply(turn.t("ykien.answered", { id }));
  });
}

async function escalate(turn: Turn, id: number, note: string | null): Promise<void> {
  await guard(turn, async () => {
    const ticket = await escalateTicket(turn.db, { ticketId: id, personId: turn.person!.id, note, now: turn.now });
    turn.reply(turn.t("ykien.escalated", { id, unit: (await getUnit(turn.db, ticket.unitId)).name }));
  });
}

/** Commands for handlers: ykien [N], traloi N text, nhan N, chuyen N [note], dong N. */
export async function runTicketCommand(turn: Turn, name: string, args: string): Promise<void> {
  if (name === "ykien") {
    const id = /^#?(\d+)\s*$/.exec(args.trim());
    return id ? await showTicket(turn, Number(id[1])) : await showQueue(turn);
  }
  const id = idArg(turn, args, name);
  if (id === undefined) return;
  const rest = args.replace(/^\s*#?\d+\s*/, "").trim();
  switch (name) {
    case "traloi":
      if (!rest && !(await mayActOnTicket(turn, id))) return;
      if (!rest)
        return turn.ask(
          turn.t("ykien.ask_answer", { id }),
          "ticket_answer",
          [cancelChoice(turn)],
          { ticketId: id },
          flowTtlMs,
        );
      return answer(turn, id, rest);
    case "nhan":
      return guard(turn, async () => {
        await takeTicket(turn.db, { ticketId: id, personId: turn.person!.id, now: turn.now });
        turn.reply(turn.t("ykien.taken", { id }));
      });
    case "chuyen":
      return escalate(turn, id, rest || null);
    case "dong":
      return guard(turn, async () => {
        await closeTicket(turn.db, { ticketId: id, personId: turn.person!.id, now: turn.now });
        turn.reply(turn.t("ykien.closed", { id }));
      });
  }
}

export const ticketCommands = ["traloi", "nhan", "chuyen", "dong"] as const;

/** Text typed while an answer or an escalation note is being asked for. */
export async function continueTicketFlow(turn: Turn, text: string): Promise<boolean> {
  const kind = turn.pending?.kind;
  const id = Number(turn.pending?.data.ticketId);
  if (kind === "ticket_answer") {
    await turn.closeQuestion("ticket_answer");
    await answer(turn, id, text.trim());
    return true;
  }
  if (kind === "ticket_escalate") {
    await turn.closeQuestion("ticket_escalate");
    const note = /^(bo qua|khong|ko|skip)$/.test(foldVietnamese(text)) ? null : text.trim().slice(0, 500);
    await escalate(turn, id, note);
    return true;
  }
  return false;
}

// ---- members -----------------------------------------------------------------------------------

async function feedback(turn: Turn, id: number, satisfied: boolean): Promise<void> {
  await guard(turn, async () => {
    const ticket = await recordSatisfaction(turn.db, {
      ticketId: id,
      personId: turn.person!.id,
      satisfied,
      now: turn.now,
    });
    await turn.closeQuestion("ticket_feedback");
    turn.concerns("Ticket", id);
    if (satisfied || ticket.status === "closed") return turn.reply(turn.t("ykien.feedback_thanks", { id }));
    // What the member writes next explains why: it goes to this concern, not to a meeting.
    await turn.ask(
      turn.t("understand.reopened", { id, minutes: Math.round(shortQuestionTtlMs / 60_000) }),
      "ticket_followup",
      [],
      { ticketId: id },
      shortQuestionTtlMs,
      { type: "Ticket", id },
    );
  });
}

/** Adds the member's text to their ticket and says so. */
async function addToTicket(turn: Turn, id: number, text: string): Promise<void> {
  await guard(turn, async () => {
    await addMemberMessage(turn.db, {
      ticketId: id,
      personId: turn.person!.id,
      text,
      messageLogId: turn.logId,
      now: turn.now,
    });
    turn.concerns("Ticket", id);
    // Further lines within the next minutes go to the same concern.
    await turn.ask(
      turn.t("understand.followup_added", { id }),
      "ticket_followup",
      [],
      { ticketId: id },
      shortQuestionTtlMs,
      { type: "Ticket", id },
    );
  });
}

/**
 * Free text while a reopened concern (or "add to my concern") waits for more: it goes to that
 * concern, even when it contains words like "đến" or "đi". Clear answers and commands go their way.
 */
export async function continueReopened(turn: Turn, intent: Intent): Promise<boolean> {
  if (turn.pending?.kind !== "ticket_followup" || !turn.person) return false;
  if (intent.kind !== "concern" && intent.kind !== "mixed") return false;
  const id = Number(turn.pending.data.ticketId);
  if (!Number.isInteger(id)) return false;
  await addToTicket(turn, id, intent.text);
  return true;
}

/** "hài lòng" / "chưa hài lòng" in words, about the ticket whose answer is open or replied to. */
export async function satisfactionFromText(turn: Turn, satisfied: boolean): Promise<boolean> {
  const id = await ticketOfContext(turn);
  if (id === undefined) return false;
  await feedback(turn, id, satisfied);
  return true;
}

async function ticketOfContext(turn: Turn): Promise<number | undefined> {
  const { message } = turn;
  if (message.replyTo) {
    const entity = await entityOfMessage(turn.db, message.platform, message.chatId, message.replyTo);
    if (entity?.entityType === "Ticket") return entity.entityId;
  }
  if (turn.pending?.kind === "ticket_feedback" && typeof turn.pending.data.ticketId === "number")
    return turn.pending.data.ticketId;
  // Otherwise the member's concern answered most recently (within a week).
  return await latestAnsweredTicketOf(turn.db, turn.person?.id ?? -1, new Date(turn.now.getTime() - 7 * 86_400_000));
}

/** A member's reply to a message about their ticket adds to that ticket's thread. */
export async function memberFollowUp(turn: Turn, text: string): Promise<boolean> {
  if (!turn.person || !turn.message.replyTo) return false;
  const entity = await entityOfMessage(turn.db, turn.message.platform, turn.message.chatId, turn.message.replyTo);
  if (entity?.entityType !== "Ticket") return false;
  const ticket = await getTicket(turn.db, entity.entityId);
  if (ticket.personId !== turn.person.id) return false;
  await guard(turn, async () => {
    await addMemberMessage(turn.db, {
      ticketId: ticket.id,
      personId: turn.person!.id,
      text,
      messageLogId: turn.logId,
      now: turn.now,
    });
    turn.concerns("Ticket", ticket.id);
    turn.reply(turn.t("ykien.member_followup", { id: ticket.id }));
  });
  return true;
}

export const ticketPayloads = {
  async tk(turn: Turn, payload: PayloadOf<"tk">): Promise<void> {
    const { action, ticketId: id } = payload;
    await turn.closeQuestion("ticket_actions");
    // Rights and existence are checked when the button is pressed, before any prompt opens.
    if (!(await mayActOnTicket(turn, id))) return;
    switch (action) {
      case "take":
        return runTicketCommand(turn, "nhan", String(id));
      case "answer":
        return turn.ask(
          turn.t("ykien.ask_answer", { id }),
          "ticket_answer",
          [cancelChoice(turn)],
          { ticketId: id },
          flowTtlMs,
        );
      case "escalate":
        return turn.ask(
          turn.t("ykien.ask_escalate_note", { id }),
          "ticket_escalate",
          [cancelChoice(turn)],
          { ticketId: id },
          flowTtlMs,
        );
      case "close":
        return runTicketCommand(turn, "dong", String(id));
      default:
        return turn.reply(turn.t("chat.question_expired"));
    }
  },
  /** "Bổ sung ý kiến" under a member's own concern. */
  async tkadd(turn: Turn, payload: PayloadOf<"tkadd">): Promise<void> {
    const id = payload.ticketId;
    await guard(turn, async () => {
      const ticket = await getTicket(turn.db, id);
      if (ticket.personId !== turn.person!.id) return turn.reply(turn.t("chat.question_expired"));
      await turn.ask(
        turn.t("understand.followup_ask", { id, minutes: Math.round(shortQuestionTtlMs / 60_000) }),
        "ticket_followup",
        [],
        { ticketId: id },
        shortQuestionTtlMs,
        { type: "Ticket", id },
      );
    });
  },
  async tsat(turn: Turn, payload: PayloadOf<"tsat">): Promise<void> {
    await feedback(turn, payload.ticketId, payload.satisfied);
  },
};
