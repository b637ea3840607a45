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
import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import type { Database } from "../../storage/database.ts";
import { inIds } from "../../storage/dialect.ts";
import { scopeRoots } from "../access/access-scope.ts";
import { subtreeRange } from "../units/unit-service.ts";
import {
  openTicketStatuses,
  ticketStatuses,
  toTicketRow,
  type TicketRow,
  type TicketStatus,
} from "./ticket-service.ts";

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

/** Path ranges of a scope's subtrees: a unit is in scope when its path lies in one of them. */
export type PathRanges = readonly (readonly [string, string])[];

/** `path` lies in one of the ranges (an empty list: nothing). */
export function pathInRanges<D, TB extends keyof D>(
  eb: ExpressionBuilder<D, TB>,
  path: Expression<string>,
  ranges: PathRanges,
): Expression<SqlBool> {
  return eb.or(ranges.map(([lo, hi]) => eb.and([eb(path, ">=", lo), eb(path, "<", hi)])));
}

/** The path ranges of the person's handle_tickets scope (empty without the right). */
async function handleRanges(db: Database, personId: number): Promise<PathRanges> {
  return (await scopeRoots(db, personId, "handle_tickets")).map((r) => subtreeRange(r.path));
}

function statusesOf(options: { status?: TicketStatus[] }): TicketStatus[] {
  const wanted: readonly TicketStatus[] = options.status?.length ? options.status : openTicketStatuses;
  return ticketStatuses.filter((s) => wanted.includes(s));
}

/** Per-unit plan: every ticket of the scope's units with one of the statuses, sorted. */
async function idsByUnits(
  db: Database,
  ranges: PathRanges,
  statuses: TicketStatus[],
  take: number,
  offset: number,
): Promise<number[]> {
  // CROSS JOIN fixes SQLite's join order (units first, then Ticket(unitId, status, dueAt)): the
  // planner would otherwise start from the statuses and pass every open ticket.
  const rows = await db.kysely
    .selectFrom("Unit as u")
    .crossJoin("Ticket as t")
    .select("t.id")
    .whereRef("t.unitId", "=", "u.id")
    .where((eb) => pathInRanges(eb, eb.ref("u.path"), ranges))
    .where("t.status", "in", statuses)
    .orderBy("t.dueAt")
    .orderBy("t.id")
    .limit(take)
    .offset(offset)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Due-date walk: for each status, the first `need` tickets of the scope in (dueAt, id) order, read
 * from the walk's first `walkBudget` rows; merged. Returns null when a status ran out of budget
 * before it found `need` rows (the scope is too thin for this plan).
 */
async function idsByWalk(
  db: Database,
  ranges: PathRanges,
  statuses: TicketStatus[],
  offset: number,
  take: number,
): Promise<number[] | null> {
  const need = offset + take;
  const walkBudget = need * walkRowsPerWanted;
  const merged: [number, number][] = [];
  for (const status of statuses) {
    const rows = await db.kysely
      .selectFrom((eb) =>
        eb
          .selectFrom("Ticket as t")
          .select(["t.id", "t.dueAt", "t.unitId"])
          .where("t.status", "=", status)
          .orderBy("t.dueAt")
          .orderBy("t.id")
          .limit(walkBudget)
          .as("w"),
      )
      // Each walked row's unit by its key: `unitId IN (the scope's units)` built the list of every
      // unit in scope (10,101 for a province) for each status, 1.6 ms against 0.02 ms.
      .innerJoin("Unit as u", "u.id", "w.unitId")
      .select(["w.id", "w.dueAt"])
      .where((e) => pathInRanges(e, e.ref("u.path"), ranges))
      .orderBy("w.dueAt")
      .orderBy("w.id")
      .limit(need)
      .execute();
    // Fewer than `need` rows found: fine if the walk saw every ticket of the status, not otherwise.
    if (
      rows.length < need &&
      (await db.kysely
        .selectFrom("Ticket")
        .select("id")
        .where("status", "=", status)
        .limit(1)
        .offset(walkBudget)
        .executeTakeFirst())
    )
      return null;
    for (const { id, dueAt } of rows) merged.push([dueAt, id]);
  }
  merged.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return merged.slice(offset, offset + take).map((r) => r[1]);
}

/** Whether the due-date walk is likely to fill the page quickly: a large scope, an early page. */
async function walkSuits(db: Database, ranges: PathRanges, need: number): Promise<boolean> {
  if (need * walkRowsPerWanted > walkMaxBudget) return false;
  const units = (
    await db.kysely
      .selectFrom("Unit as u")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where((eb) => pathInRanges(eb, eb.ref("u.path"), ranges))
      .executeTakeFirstOrThrow()
  ).n;
  if (units <= smallScopeUnits) return false;
  const all = (
    await db.kysely
      .selectFrom("Unit")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow()
  ).n;
  return units * walkMinShare >= all;
}

/**
 * The ids of one page of the queue and the plan that found them ("walk" or "units"; "none" without
 * the right). Exposed so that tests can check both plans; `listOpenTickets` is the API.
 */
export async function queuePage(
  db: Database,
  personId: number,
  options: Omit<QueueOptions, "now">,
): Promise<{ plan: "walk" | "units" | "none"; ids: number[] }> {
  const take = Math.min(200, Math.max(1, Math.floor(options.limit ?? 20)));
  const offset = Math.max(0, Math.floor(options.offset ?? 0));
  const statuses = statusesOf(options);
  const ranges = await handleRanges(db, personId);
  if (!ranges.length || !statuses.length) return { plan: "none", ids: [] };
  if (await walkSuits(db, ranges, offset + take)) {
    const ids = await idsByWalk(db, ranges, statuses, offset, take);
    if (ids) return { plan: "walk", ids };
  }
  return { plan: "units", ids: await idsByUnits(db, ranges, statuses, take, offset) };
}

/**
 * The open tickets (or those of `options.status`) whose current unit is in the person's
 * handle_tickets scope, overdue first then by due date, with the member's name, the unit's name,
 * the first message and whether it is overdue at `options.now`. Empty without the right.
 */
export async function listOpenTickets(db: Database, personId: number, options: QueueOptions): Promise<QueuedTicket[]> {
  const { ids } = await queuePage(db, personId, options);
  if (!ids.length) return [];
  const rows = await db.kysely
    .selectFrom("Ticket as t")
    .innerJoin("Person as p", "p.id", "t.personId")
    .innerJoin("Unit as u", "u.id", "t.unitId")
    .selectAll("t")
    .select((eb) => [
      "p.fullName as memberName",
      "u.name as unitName",
      eb
        .selectFrom("TicketMessage as m")
        .select("m.text")
        .whereRef("m.ticketId", "=", "t.id")
        .orderBy("m.id")
        .limit(1)
        .as("firstMessage"),
    ])
    .where((eb) => inIds(db.engine, eb.ref("t.id"), ids))
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const now = options.now.getTime();
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r
      ? [{ ...toTicketRow(r), firstMessage: r.firstMessage ?? "", overdue: r.status !== "closed" && r.dueAt < now }]
      : [];
  });
}

/**
 * How many tickets are open in the person's handle_tickets scope, and how many of them are past
 * their due date at `now`. Zeros without the right.
 */
export async function countOpenTickets(
  db: Database,
  personId: number,
  now: Date,
): Promise<{ open: number; overdue: number }> {
  const ranges = await handleRanges(db, personId);
  if (!ranges.length) return { open: 0, overdue: 0 };
  const row = await db.kysely
    .selectFrom("Unit as u")
    .crossJoin("Ticket as t")
    .select((eb) => [
      eb.fn.countAll<number>().as("open"),
      eb.fn.sum<number | null>(eb.case().when("t.dueAt", "<", now.getTime()).then(1).else(0).end()).as("overdue"),
    ])
    .whereRef("t.unitId", "=", "u.id")
    .where((eb) => pathInRanges(eb, eb.ref("u.path"), ranges))
    .where("t.status", "in", openTicketStatuses)
    .executeTakeFirstOrThrow();
  return { open: Number(row.open), overdue: Number(row.overdue ?? 0) };
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
  const above = [
    ...new Set(
      roots.flatMap((r) =>
        r.path
          .split("/")
          .filter(Boolean)
          .map(Number)
          .filter((id) => id !== r.unitId),
      ),
    ),
  ];
  const inScope = (path: string) => roots.some((r) => path.startsWith(r.path));
  const candidates = above.filter((id) => !roots.some((r) => r.unitId === id));
  if (!candidates.length) return [];
  const ranges = roots.map((r) => subtreeRange(r.path));
  const rows = await db.kysely
    .selectFrom("Ticket as t")
    .innerJoin("Unit as cu", "cu.id", "t.unitId")
    .innerJoin("Person as p", "p.id", "t.personId")
    .selectAll("t")
    .select(["p.fullName as memberName", "cu.name as unitName", "cu.path as unitPath"])
    .where((eb) => inIds(db.engine, eb.ref("t.unitId"), candidates))
    .where("t.status", "in", openTicketStatuses)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("TicketStatusChange as h")
          .innerJoin("Unit as fu", "fu.id", "h.fromUnitId")
          .select("h.id")
          .whereRef("h.ticketId", "=", "t.id")
          .where((e) => pathInRanges(e, e.ref("fu.path"), ranges)),
      ),
    )
    .orderBy("t.updatedAt", "desc")
    .orderBy("t.id", "desc")
    .limit(Math.max(1, Math.min(limit, 100)))
    .execute();
  return rows.filter((t) => !inScope(t.unitPath)).map(({ unitPath: _path, ...t }) => toTicketRow(t));
}
