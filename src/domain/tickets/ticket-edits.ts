/**
 * What officials do to a ticket besides take/answer/escalate/close (ticket-service.ts): internal
 * notes members never see, reopening a closed ticket, changing its category or due date. Every
 * change needs handle_tickets on the ticket's current unit and is audited with its source.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { recordAudit, type AuditSource } from "../audit/audit-service.ts";
import { canHandleTicket, getTicket, ticketCategories, ticketNoteMaxLength, type TicketRow } from "./ticket-service.ts";

export interface TicketNoteRow {
  id: number;
  authorPersonId: number;
  authorName: string | null;
  text: string;
  createdAt: number;
}

async function handledTicket(db: Database, ticketId: number, personId: number): Promise<TicketRow> {
  const ticket = await getTicket(db, ticketId);
  if (!await canHandleTicket(db, personId, ticket)) throw new AppError("forbidden", { permission: "handle_tickets" });
  return ticket;
}

async function historyRow(db: Database, ticket: TicketRow, toStatus: string, personId: number, note: string, now: Date): Promise<void> {
  await db.sql.run(
    `INSERT INTO TicketStatusChange (ticketId, fromStatus, toStatus, byPersonId, note, createdAt) VALUES (?, ?, ?, ?, ?, ?)`,
    ticket.id, ticket.status, toStatus, personId, note, now.getTime(),
  );
}

/**
 * Adds an internal note (up to 1,000 characters) to a ticket; closed tickets take notes too.
 * Throws invalid_input ({ field: "note" }), not_found, forbidden.
 */
export async function addTicketNote(db: Database, ticketId: number, personId: number, text: string, now: Date, source: AuditSource = "web"): Promise<TicketNoteRow> {
  const value = (text ?? "").normalize("NFC").replace(/\r\n?/g, "\n").trim();
  if (!value || value.length > ticketNoteMaxLength) throw new AppError("invalid_input", { field: "note" });
  return await db.transaction(async () => {
    const ticket = await handledTicket(db, ticketId, personId);
    const id = (await db.sql.run(`INSERT INTO TicketNote (ticketId, authorPersonId, text, createdAt) VALUES (?, ?, ?, ?)`, ticket.id, personId, value, now.getTime())).lastInsertRowid;
    await recordAudit(db, { actorPersonId: personId, source, action: "ticket.note", entityType: "Ticket", entityId: ticket.id, detail: { noteId: id } }, now);
    return (await listTicketNotes(db, ticket.id, personId)).find((n) => n.id === id)!;
  });
}

/** The internal notes of a ticket, oldest first, for a handler. Throws not_found, forbidden. */
export async function listTicketNotes(db: Database, ticketId: number, personId: number): Promise<TicketNoteRow[]> {
  const ticket = await handledTicket(db, ticketId, personId);
  return db.sql.all<TicketNoteRow>(
    `SELECT n.id, n.authorPersonId, p.fullName AS authorName, n.text, n.createdAt FROM TicketNote n LEFT JOIN Person p ON p.id = n.authorPersonId
     WHERE n.ticketId = ? ORDER BY n.createdAt, n.id`,
    ticket.id,
  );
}

/** Reopens a closed ticket (in progress, the actor as assignee). Throws not_found, forbidden, conflict (not closed). */
export async function reopenTicket(db: Database, ticketId: number, personId: number, now: Date, source: AuditSource = "web"): Promise<TicketRow> {
  return await db.transaction(async () => {
    const ticket = await handledTicket(db, ticketId, personId);
    if (ticket.status !== "closed") throw new AppError("conflict", { id: ticket.id });
    await db.sql.run(`UPDATE Ticket SET status = 'in_progress', closedAt = NULL, assigneeId = COALESCE(assigneeId, ?), updatedAt = ? WHERE id = ?`, personId, now.getTime(), ticket.id);
    await historyRow(db, ticket, "in_progress", personId, "reopened", now);
    await recordAudit(db, { actorPersonId: personId, source, action: "ticket.reopen", entityType: "Ticket", entityId: ticket.id }, now);
    return getTicket(db, ticket.id);
  });
}

/** Changes a ticket's category. Throws invalid_input ({ field: "category" }), not_found, forbidden. */
export async function setTicketCategory(db: Database, ticketId: number, personId: number, category: string, now: Date, source: AuditSource = "web"): Promise<TicketRow> {
  if (!(ticketCategories as readonly string[]).includes(category)) throw new AppError("invalid_input", { field: "category" });
  return await db.transaction(async () => {
    const ticket = await handledTicket(db, ticketId, personId);
    if (ticket.category === category) return ticket;
    await db.sql.run(`UPDATE Ticket SET category = ?, updatedAt = ? WHERE id = ?`, category, now.getTime(), ticket.id);
    await recordAudit(db, { actorPersonId: personId, source, action: "ticket.category", entityType: "Ticket", entityId: ticket.id, detail: { from: ticket.category, to: category } }, now);
    return getTicket(db, ticket.id);
  });
}

/**
 * Moves a ticket's due date (epoch ms, not before the ticket was raised nor more than a year
 * ahead). Throws invalid_input ({ field: "dueAt" }), not_found, forbidden, ticket_closed.
 */
export async function setTicketDueDate(db: Database, ticketId: number, personId: number, dueAt: number, now: Date, source: AuditSource = "web"): Promise<TicketRow> {
  return await db.transaction(async () => {
    const ticket = await handledTicket(db, ticketId, personId);
    if (ticket.status === "closed") throw new AppError("ticket_closed", { id: ticket.id });
    if (!Number.isFinite(dueAt) || dueAt < ticket.createdAt || dueAt > now.getTime() + 366 * 86_400_000) throw new AppError("invalid_input", { field: "dueAt" });
    await db.sql.run(`UPDATE Ticket SET dueAt = ?, updatedAt = ? WHERE id = ?`, dueAt, now.getTime(), ticket.id);
    await recordAudit(db, { actorPersonId: personId, source, action: "ticket.due", entityType: "Ticket", entityId: ticket.id, detail: { from: ticket.dueAt, to: dueAt } }, now);
    return getTicket(db, ticket.id);
  });
}
