/**
 * Giving a concern to a handler other than oneself ("giao cho" in the web workplace; taking it
 * oneself is `takeTicket`). The actor needs handle_tickets on the ticket's current unit, and so
 * does the person it is given to: a concern is never handed to someone who could not answer it.
 * Written on the typed data layer (both engines).
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import type { AuditSource } from "../audit/audit-service.ts";
import { can, scopeRoots } from "../access/access-scope.ts";
import { subtreeRange } from "../units/unit-service.ts";

const handlerRoles = ["cadre", "official", "admin"] as const;

/** Someone a concern can be given to, on one unit where they hold a handler's role. */
export interface AssignableHandler {
  personId: number;
  fullName: string;
  unitId: number;
  unitName: string;
  /** The unit's materialised path: the handler may take concerns of units whose path starts with it. */
  unitPath: string;
  role: string;
}

/**
 * The people a person may give concerns to: everyone holding a cadre, official or admin role on a
 * unit inside the person's own handle_tickets scope (themselves included), one entry per person and
 * unit, by unit (tree order) then name; at most `limit`. Empty for someone without that right.
 */
export async function assignableHandlers(db: Database, personId: number, limit = 500): Promise<AssignableHandler[]> {
  const roots = await scopeRoots(db, personId, "handle_tickets");
  if (!roots.length) return [];
  const rows = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .innerJoin("Person as p", "p.id", "m.personId")
    .select(["p.id as personId", "p.fullName", "u.id as unitId", "u.name as unitName", "u.path as unitPath", "m.role"])
    .where("m.role", "in", handlerRoles)
    .where((eb) =>
      eb.or(
        roots.map((r) => {
          const [lo, hi] = subtreeRange(r.path);
          return eb.and([eb("u.path", ">=", lo), eb("u.path", "<", hi)]);
        }),
      ),
    )
    .orderBy("u.path")
    .orderBy("p.nameKey")
    .orderBy("p.id")
    .limit(limit * 3)
    .execute();
  const seen = new Set<string>();
  const out: AssignableHandler[] = [];
  for (const row of rows) {
    const key = `${row.personId}:${row.unitId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(row);
    if (out.length >= limit) break;
  }
  return out;
}

/** What `assignTicket` did. */
export interface AssignResult {
  ticketId: number;
  assigneeId: number;
  /** False when the ticket was already in progress with that person. */
  changed: boolean;
}

/**
 * Gives an open ticket to `assigneeId`: it is in progress with them as assignee, the history notes
 * the change and the audit log records it with `source`. Throws not_found (no such ticket),
 * forbidden (the actor may not handle it), ticket_closed, person_not_found (no such assignee),
 * ticket_assignee_not_handler ({ name, unit }: the assignee has no handle_tickets right on the
 * ticket's unit).
 */
export async function assignTicket(
  db: Database,
  {
    ticketId,
    actorId,
    assigneeId,
    now,
    source = "web",
  }: { ticketId: number; actorId: number; assigneeId: number; now: Date; source?: AuditSource },
): Promise<AssignResult> {
  // Checked first, then written only if the ticket is still as checked (same unit, status and
  // assignee); a ticket changed in between is checked again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const ticket = Number.isSafeInteger(ticketId)
      ? await db.kysely
          .selectFrom("Ticket")
          .select(["id", "unitId", "status", "assigneeId"])
          .where("id", "=", ticketId)
          .executeTakeFirst()
      : undefined;
    if (!ticket) throw new AppError("not_found", { what: "ticket" });
    if (!(await can(db, actorId, "handle_tickets", ticket.unitId)))
      throw new AppError("forbidden", { permission: "handle_tickets" });
    if (ticket.status === "closed") throw new AppError("ticket_closed", { id: ticket.id });
    const assignee = Number.isSafeInteger(assigneeId)
      ? await db.kysely.selectFrom("Person").select(["id", "fullName"]).where("id", "=", assigneeId).executeTakeFirst()
      : undefined;
    if (!assignee) throw new AppError("person_not_found", {});
    if (!(await can(db, assignee.id, "handle_tickets", ticket.unitId))) {
      const unit = await db.kysely
        .selectFrom("Unit")
        .select("name")
        .where("id", "=", ticket.unitId)
        .executeTakeFirstOrThrow();
      throw new AppError("ticket_assignee_not_handler", { name: assignee.fullName, unit: unit.name });
    }
    if (ticket.status === "in_progress" && ticket.assigneeId === assignee.id)
      return { ticketId: ticket.id, assigneeId: assignee.id, changed: false };
    const written = await db.kysely.transaction().execute(async (trx) => {
      const at = now.getTime();
      let update = trx
        .updateTable("Ticket")
        .set({ status: "in_progress", assigneeId: assignee.id, updatedAt: at })
        .where("id", "=", ticket.id)
        .where("unitId", "=", ticket.unitId)
        .where("status", "=", ticket.status);
      update =
        ticket.assigneeId === null
          ? update.where("assigneeId", "is", null)
          : update.where("assigneeId", "=", ticket.assigneeId);
      const result = await update.executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await trx
        .insertInto("TicketStatusChange")
        .values({
          ticketId: ticket.id,
          fromStatus: ticket.status,
          toStatus: "in_progress",
          byPersonId: actorId,
          // The chat and the web show "reassigned" as "đổi người xử lý".
          note: ticket.assigneeId !== assignee.id ? "reassigned" : null,
          createdAt: at,
        })
        .execute();
      await trx
        .insertInto("AuditLog")
        .values({
          actorPersonId: actorId,
          source,
          action: "ticket.assign",
          entityType: "Ticket",
          entityId: ticket.id,
          detail: JSON.stringify({ assigneeId: assignee.id, from: ticket.assigneeId }),
          createdAt: at,
        })
        .execute();
      return true;
    });
    if (written) return { ticketId: ticket.id, assigneeId: assignee.id, changed: true };
  }
  throw new AppError("conflict", { what: `#${ticketId}` });
}
