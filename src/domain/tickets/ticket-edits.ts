/**
 * What officials do to a ticket besides take/answer/escalate/close (ticket-service.ts): internal
 * notes members never see, reopening a closed ticket, changing its category or due date. Every
 * change needs handle_tickets on the ticket's current unit and is audited with its source.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { recordAudit } from "../audit/audit-service.ts";
import {
  canHandleTicket,
  getTicket,
  ticketCategories,
  ticketNoteMaxLength,
  type TicketAct,
  type TicketRow,
} from "./ticket-service.ts";

export interface TicketNoteRow {
  id: number;
  authorPersonId: number;
  authorName: string | null;
  text: string;
  createdAt: number;
}

async function handledTicket(db: Database, ticketId: number, personId: number): Promise<TicketRow> {
  const ticket = await getTicket(db, ticketId);
  if (!(await canHandleTicket(db, personId, ticket))) throw new AppError("forbidden", { permission: "handle_tickets" });
  return ticket;
}

async function historyRow(
  db: Database,
  {
    ticket,
    toStatus,
    personId,
    note,
    now,
  }: { ticket: TicketRow; toStatus: string; personId: number; note: string; now: Date },
): Promise<void> {
  await db.kysely
    .insertInto("TicketStatusChange")
    .values({
      ticketId: ticket.id,
      fromStatus: ticket.status,
      toStatus,
      byPersonId: personId,
      note,
      createdAt: now.getTime(),
    })
    .execute();
}

/**
 * Adds an internal note (up to 1,000 characters) to a ticket; closed tickets take notes too.
 * Throws invalid_input ({ field: "note" }), not_found, forbidden.
 */
export async function addTicketNote(
  db: Database,
  { ticketId, personId, text, now, source = "web" }: TicketAct & { text: string },
): Promise<TicketNoteRow> {
  const value = (text ?? "").normalize("NFC").replace(/\r\n?/g, "\n").trim();
  if (!value || value.length > ticketNoteMaxLength) throw new AppError("invalid_input", { field: "note" });
  return await db.transaction(async () => {
    const ticket = await handledTicket(db, ticketId, personId);
    const { id } = await db.kysely
      .insertInto("TicketNote")
      .values({ ticketId: ticket.id, authorPersonId: personId, text: value, createdAt: now.getTime() })
      .returning("id")
      .executeTakeFirstOrThrow();
    await recordAudit(
      db,
      {
        actorPersonId: personId,
        source,
        action: "ticket.note",
        entityType: "Ticket",
        entityId: ticket.id,
        detail: { noteId: id },
      },
      now,
    );
    return (await listTicketNotes(db, ticket.id, personId)).find((n) => n.id === id)!;
  });
}

/** The internal notes of a ticket, oldest first, for a handler. Throws not_found, forbidden. */
export async function listTicketNotes(db: Database, ticketId: number, personId: number): Promise<TicketNoteRow[]> {
  const ticket = await handledTicket(db, ticketId, personId);
  return await db.kysely
    .selectFrom("TicketNote as n")
    .leftJoin("Person as p", "p.id", "n.authorPersonId")
    .select(["n.id", "n.authorPersonId", "p.fullName as authorName", "n.text", "n.createdAt"])
    .where("n.ticketId", "=", ticket.id)
    .orderBy("n.createdAt")
    .orderBy("n.id")
    .execute();
}

/** Reopens a closed ticket (in progress, the actor as assignee). Throws not_found, forbidden, conflict (not closed). */
export async function reopenTicket(
  db: Database,
  { ticketId, personId, now, source = "web" }: TicketAct,
): Promise<TicketRow> {
  return await db.transaction(async () => {
    const ticket = await handledTicket(db, ticketId, personId);
    if (ticket.status !== "closed") throw new AppError("conflict", { id: ticket.id });
    await db.kysely
      .updateTable("Ticket")
      .set((eb) => ({
        status: "in_progress",
        closedAt: null,
        assigneeId: eb.fn.coalesce("assigneeId", eb.val(personId)),
        updatedAt: now.getTime(),
      }))
      .where("id", "=", ticket.id)
      .execute();
    await historyRow(db, { ticket, toStatus: "in_progress", personId, note: "reopened", now });
    await recordAudit(
      db,
      { actorPersonId: personId, source, action: "ticket.reopen", entityType: "Ticket", entityId: ticket.id },
      now,
    );
    return getTicket(db, ticket.id);
  });
}

/** Changes a ticket's category. Throws invalid_input ({ field: "category" }), not_found, forbidden. */
export async function setTicketCategory(
  db: Database,
  { ticketId, personId, category, now, source = "web" }: TicketAct & { category: string },
): Promise<TicketRow> {
  if (!(ticketCategories as readonly string[]).includes(category))
    throw new AppError("invalid_input", { field: "category" });
  return await db.transaction(async () => {
    const ticket = await handledTicket(db, ticketId, personId);
    if (ticket.category === category) return ticket;
    await db.kysely
      .updateTable("Ticket")
      .set({ category, updatedAt: now.getTime() })
      .where("id", "=", ticket.id)
      .execute();
    await recordAudit(
      db,
      {
        actorPersonId: personId,
        source,
        action: "ticket.category",
        entityType: "Ticket",
        entityId: ticket.id,
        detail: { from: ticket.category, to: category },
      },
      now,
    );
    return getTicket(db, ticket.id);
  });
}

/**
 * Moves a ticket's due date (epoch ms, not before the ticket was raised nor more than a year
 * ahead). Throws invalid_input ({ field: "dueAt" }), not_found, forbidden, ticket_closed.
 */
export async function setTicketDueDate(
  db: Database,
  { ticketId, personId, dueAt, now, source = "web" }: TicketAct & { dueAt: number },
): Promise<TicketRow> {
  return await db.transaction(async () => {
    const ticket = await handledTicket(db, ticketId, personId);
    if (ticket.status === "closed") throw new AppError("ticket_closed", { id: ticket.id });
    if (!Number.isFinite(dueAt) || dueAt < ticket.createdAt || dueAt > now.getTime() + 366 * 86_400_000)
      throw new AppError("invalid_input", { field: "dueAt" });
    await db.kysely
      .updateTable("Ticket")
      .set({ dueAt, updatedAt: now.getTime() })
      .where("id", "=", ticket.id)
      .execute();
    await recordAudit(
      db,
      {
        actorPersonId: personId,
        source,
        action: "ticket.due",
        entityType: "Ticket",
        entityId: ticket.id,
        detail: { from: ticket.dueAt, to: dueAt },
      },
      now,
    );
    return getTicket(db, ticket.id);
  });
}
