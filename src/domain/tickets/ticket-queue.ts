/**
 * The ticket queue (hàng đợi ý kiến) of a cadre or official: the open tickets whose CURRENT unit
 * lies in their handle_tickets scope, most urgent first.
 *
 * Order: by due date, then number. Overdue tickets (due date passed) therefore come first, the
 * longest overdue at the top, then the others by how soon they fall due — which is the order they
 * were raised in, as the due date is the creation time plus the organisation's fixed number of days.
 *
 * Two plans, picked per call, both on the schema's existing indexes, keep a page within a few
 * milliseconds with a million tickets stored (bench/directives-tickets.bench.ts):
 * - a small scope (a branch, a commune) reads its units' tickets through Ticket(unitId, status,
 *   dueAt) — the join order is forced (CROSS JOIN) so the planner never starts from the statuses —
 *   and sorts them;
 * - a large scope (a province) walks each status in (dueAt, id) order through Ticket(status, dueAt)
 *   and keeps the rows of its units: the first page is found after a few rows. The walk has a
 *   budget; when the scope holds too few of the open tickets to fill the page within it, or for a
 *   deep page, the first plan answers instead (about 30 ms for a whole province).
 */
import type { Database } from "../../storage/database.ts";
import { scopeCondition, scopeRoots } from "../access/access-scope.ts";
import { openTicketStatuses, ticketColumns, ticketStatuses, type TicketRow, type TicketStatus } from "./ticket-service.ts";

/** Which page of the queue, at which time (for the overdue flag). */
export interface QueueOptions {
  now: Date;
  /** Page size, 1–200 (default 20). */
  limit?: number;
  offset?: number;
  /** Statuses to list (default: every open one). */
  status?: TicketStatus[];
}

/** A queue line: the ticket with its member's and unit's names, overdue flag and first message. */
export type QueuedTicket = TicketRow & { memberName: string; unitName: string; overdue: boolean; firstMessage: string };

/** Scopes with at most this many units always take the per-unit plan… */
const smallScopeUnits = 400;
/** …and so do scopes holding less than 1/20 of all units: the walk would pass many foreign rows. */
const walkMinShare = 20;
/** Rows the walk may read per status for each row of the page (a 5% scope needs about 20)… */
const walkRowsPerWanted = 60;
/** …and at most this many in all (deep pages take the per-unit plan). */
const walkMaxBudget = 10_000;

function statusesOf(options: { status?: TicketStatus[] }): TicketStatus[] {
  const wanted: readonly TicketStatus[] = options.status?.length ? options.status : openTicketStatuses;
  return ticketStatuses.filter((s) => wanted.includes(s));
}

/** Per-unit plan: every ticket of the scope's units with one of the statuses, sorted. */
async function idsByUnits(db: Database, cond: string, params: string[], statuses: TicketStatus[], take: number, offset: number): Promise<number[]> {
  return (await db.sql
    .raw<[number]>(
      `SELECT t.id FROM Unit u CROSS JOIN Ticket t ON t.unitId = u.id
       WHERE ${cond} AND t.status IN (${statuses.map(() => "?").join(", ")})
       ORDER BY t.dueAt, t.id LIMIT ? OFFSET ?`,
      ...params, ...statuses, take, offset,
    ))
    .map((r) => r[0]);
}

/**
 * Due-date walk: for each status, the first `need` tickets of the scope in (dueAt, id) order, read
 * from the walk's first `walkBudget` rows; merged. Returns null when a status ran out of budget
 * before it found `need` rows (the scope is too thin for this plan).
 */
async function idsByWalk(db: Database, cond: string, params: string[], statuses: TicketStatus[], offset: number, take: number): Promise<number[] | null> {
  const need = offset + take;
  const walkBudget = need * walkRowsPerWanted;
  const merged: [number, number][] = [];
  for (const status of statuses) {
    const rows = await db.sql.raw<[number, number]>(
      `SELECT w.id, w.dueAt FROM (
         SELECT t.id, t.dueAt, t.unitId
         FROM Ticket t WHERE t.status = ? ORDER BY t.dueAt, t.id LIMIT ?
       ) w WHERE w.unitId IN (SELECT u.id FROM Unit u WHERE ${cond}) ORDER BY w.dueAt, w.id LIMIT ?`,
      status, walkBudget, ...params, need,
    );
    // Fewer than `need` rows found: fine if the walk saw every ticket of the status, not otherwise.
    if (rows.length < need && await db.sql.get(`SELECT 1 FROM Ticket WHERE status = ? LIMIT 1 OFFSET ?`, status, walkBudget)) return null;
    for (const [id, dueAt] of rows) merged.push([dueAt, id]);
  }
  merged.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return merged.slice(offset, offset + take).map((r) => r[1]);
}

/** Whether the due-date walk is likely to fill the page quickly: a large scope, an early page. */
async function walkSuits(db: Database, cond: string, params: string[], need: number): Promise<boolean> {
  if (need * walkRowsPerWanted > walkMaxBudget) return false;
  const units = (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Unit u WHERE ${cond}`, ...params))!.n;
  if (units <= smallScopeUnits) return false;
  const all = (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Unit`))!.n;
  return units * walkMinShare >= all;
}

/**
 * The ids of one page of the queue and the plan that found them ("walk" or "units"; "none" without
 * the right). Exposed so that tests can check both plans; `listOpenTickets` is the API.
 */
export async function queuePage(db: Database, personId: number, options: Omit<QueueOptions, "now">): Promise<{ plan: "walk" | "units" | "none"; ids: number[] }> {
  const take = Math.min(200, Math.max(1, Math.floor(options.limit ?? 20)));
  const offset = Math.max(0, Math.floor(options.offset ?? 0));
  const statuses = statusesOf(options);
  const [cond, params] = await scopeCondition(db, personId, "handle_tickets", "u");
  if (cond === "0" || !statuses.length) return { plan: "none", ids: [] };
  if (await walkSuits(db, cond, params, offset + take)) {
    const ids = await idsByWalk(db, cond, params, statuses, offset, take);
    if (ids) return { plan: "walk", ids };
  }
  return { plan: "units", ids: await idsByUnits(db, cond, params, statuses, take, offset) };
}

/**
 * The open tickets (or those of `options.status`) whose current unit is in the person's
 * handle_tickets scope, overdue first then by due date, with the member's name, the unit's name,
 * the first message and whether it is overdue at `options.now`. Empty without the right.
 */
export async function listOpenTickets(db: Database, personId: number, options: QueueOptions): Promise<QueuedTicket[]> {
  const { ids } = await queuePage(db, personId, options);
  if (!ids.length) return [];
  const rows = await db.sql.all<TicketRow & { memberName: string; unitName: string; firstMessage: string | null }>(
    `SELECT ${ticketColumns.split(", ").map((c) => `t.${c}`).join(", ")}, p.fullName AS memberName, u.name AS unitName,
            (SELECT m.text FROM TicketMessage m WHERE m.ticketId = t.id ORDER BY m.id LIMIT 1) AS firstMessage
     FROM Ticket t JOIN Person p ON p.id = t.personId JOIN Unit u ON u.id = t.unitId
     WHERE t.id IN (SELECT value FROM json_each(?))`,
    JSON.stringify(ids),
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const now = options.now.getTime();
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r ? [{ ...r, firstMessage: r.firstMessage ?? "", overdue: r.status !== "closed" && r.dueAt < now }] : [];
  });
}

/**
 * How many tickets are open in the person's handle_tickets scope, and how many of them are past
 * their due date at `now`. Zeros without the right.
 */
export async function countOpenTickets(db: Database, personId: number, now: Date): Promise<{ open: number; overdue: number }> {
  const [cond, params] = await scopeCondition(db, personId, "handle_tickets", "u");
  if (cond === "0") return { open: 0, overdue: 0 };
  const row = (await db.sql.get<{ open: number; overdue: number | null }>(
    `SELECT COUNT(*) AS open, SUM(t.dueAt < ?) AS overdue FROM Unit u CROSS JOIN Ticket t ON t.unitId = u.id
     WHERE ${cond} AND t.status IN ('new', 'in_progress', 'answered')`,
    now.getTime(), ...params,
  ))!;
  return { open: row.open, overdue: row.overdue ?? 0 };
}

/** A ticket passed up out of a person's scope, for their read-only list. */
export type PassedUpTicket = TicketRow & { memberName: string; unitName: string };

/**
 * The open tickets a person's scope passed up to a unit they do not handle (so they are no longer
 * in their queue), most recently changed first: read-only sight of what went above them.
 */
export async function listPassedUp(db: Database, personId: number, limit = 10): Promise<PassedUpTicket[]> {
  const roots = await scopeRoots(db, personId, "handle_tickets");
  // Passed up means gone to a strict ancestor of one of the scope's roots: few units, indexed.
  const above = [...new Set(roots.flatMap((r) => r.path.split("/").filter(Boolean).map(Number).filter((id) => id !== r.unitId)))];
  const inScope = (path: string) => roots.some((r) => path.startsWith(r.path));
  const candidates = above.filter((id) => !roots.some((r) => r.unitId === id));
  if (!candidates.length) return [];
  const [cond, params] = await scopeCondition(db, personId, "handle_tickets", "fu");
  return (await db.sql
    .all<PassedUpTicket & { unitPath: string }>(
      `SELECT ${ticketColumns.split(", ").map((c) => `t.${c}`).join(", ")}, p.fullName AS memberName, cu.name AS unitName, cu.path AS unitPath
       FROM Ticket t JOIN Unit cu ON cu.id = t.unitId JOIN Person p ON p.id = t.personId
       WHERE t.unitId IN (SELECT value FROM json_each(?)) AND t.status IN ('new', 'in_progress', 'answered')
         AND EXISTS (SELECT 1 FROM TicketStatusChange h JOIN Unit fu ON fu.id = h.fromUnitId WHERE h.ticketId = t.id AND ${cond})
       ORDER BY t.updatedAt DESC, t.id DESC LIMIT ?`,
      JSON.stringify(candidates), ...params, Math.max(1, Math.min(limit, 100)),
    ))
    .filter((t) => !inScope(t.unitPath))
    .map(({ unitPath: _path, ...t }) => t);
}
