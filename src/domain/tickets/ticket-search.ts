/**
 * The officials' ticket list with filters and text search (the web workplace's queue). Unlike
 * `listOpenTickets` (the chat queue: open tickets, most urgent first) it filters by status, unit,
 * category, overdue, assignee, satisfaction, date range and words, and sorts by due date or age.
 *
 * Text search goes through the full-text index TicketMessageSearch (FTS5, kept by triggers on
 * TicketMessage: the member's messages and the answers, never internal notes), which folds case and
 * tone marks, so "duong ngap" finds "Đường … ngập". Scope: the tickets whose CURRENT unit lies in
 * the person's handle_tickets scope, as everywhere else.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { scopeRoots } from "../access/access-scope.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";
import { ticketCategories, ticketColumns, ticketStatuses, type TicketRow, type TicketStatus } from "./ticket-service.ts";

export interface TicketFilters {
  /** Statuses to list; empty or absent: all. */
  status?: TicketStatus[];
  /** Only this unit's subtree (must lie in the person's scope). */
  unitId?: number;
  category?: string;
  /** Open and past its due date. */
  overdue?: boolean;
  /** "me": assigned to the viewer; "none": nobody has taken it. */
  assignee?: "me" | "none";
  /** The member said satisfied (yes), not satisfied (no), or nothing yet (unsaid). */
  satisfaction?: "yes" | "no" | "unsaid";
  /** Raised on or after / before (epoch ms). */
  from?: number;
  to?: number;
  /** Words to find in the member's messages and the answers, with or without diacritics. */
  text?: string;
  /** "due": by due date (default); "age": oldest first; "newest": newest first. */
  sort?: "due" | "age" | "newest";
}

export type TicketListRow = TicketRow & { memberName: string; unitName: string; assigneeName: string | null; overdue: boolean; firstMessage: string };

/** The FTS5 query for typed words: each folded word as a prefix, all required. Empty when no word. */
export function ticketSearchQuery(text: string): string {
  const words = foldVietnamese(text).split(/[^a-z0-9]+/).filter(Boolean).slice(0, 8);
  return words.map((w) => `"${w}"*`).join(" ");
}

/** The SQL condition on Ticket t for the person's scope and the filters (except status), with params. */
async function conditions(db: Database, personId: number, filters: TicketFilters, now: Date): Promise<{ where: string[]; params: unknown[] } | null> {
  const roots = await scopeRoots(db, personId, "handle_tickets");
  if (!roots.length) return null;
  let ranges = roots.map((r) => subtreeRange(r.path));
  if (filters.unitId !== undefined) {
    const unit = await getUnit(db, filters.unitId);
    if (!roots.some((r) => unit.path.startsWith(r.path))) throw new AppError("forbidden", { permission: "handle_tickets" });
    ranges = [subtreeRange(unit.path)];
  }
  const where: string[] = [];
  const params: unknown[] = [];
  // A scope that covers every unit needs no unit condition (a province official, the admin).
  const total = (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Unit`))!.n;
  let inScope = 0;
  for (const [lo, hi] of ranges) inScope += (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Unit WHERE path >= ? AND path < ?`, lo, hi))!.n;
  if (inScope < total) {
    where.push(`t.unitId IN (SELECT u.id FROM Unit u WHERE ${ranges.map(() => "(u.path >= ? AND u.path < ?)").join(" OR ")})`);
    for (const [lo, hi] of ranges) params.push(lo, hi);
  }
  if (filters.category) {
    if (!(ticketCategories as readonly string[]).includes(filters.category)) throw new AppError("invalid_input", { field: "category" });
    where.push(`t.category = ?`);
    params.push(filters.category);
  }
  if (filters.overdue) {
    where.push(`t.status IN ('new', 'in_progress', 'answered') AND t.dueAt < ?`);
    params.push(now.getTime());
  }
  if (filters.assignee === "me") {
    where.push(`t.assigneeId = ?`);
    params.push(personId);
  } else if (filters.assignee === "none") where.push(`t.assigneeId IS NULL`);
  if (filters.satisfaction === "yes") where.push(`t.satisfied = 1`);
  else if (filters.satisfaction === "no") where.push(`t.satisfied = 0`);
  else if (filters.satisfaction === "unsaid") where.push(`t.satisfied IS NULL`);
  if (filters.from !== undefined) {
    where.push(`t.createdAt >= ?`);
    params.push(filters.from);
  }
  if (filters.to !== undefined) {
    where.push(`t.createdAt < ?`);
    params.push(filters.to);
  }
  const query = filters.text ? ticketSearchQuery(filters.text) : "";
  if (filters.text && !query) where.push("0");
  if (query) {
    where.push(`t.id IN (SELECT m.ticketId FROM TicketMessage m WHERE m.id IN (SELECT rowid FROM TicketMessageSearch WHERE TicketMessageSearch MATCH ?))`);
    params.push(query);
  }
  return { where, params };
}

function statusesOf(filters: TicketFilters): TicketStatus[] {
  return filters.status?.length ? ticketStatuses.filter((s) => filters.status!.includes(s)) : [...ticketStatuses];
}

/** Below this many tickets in a date range, the range is read through Ticket(createdAt) and sorted. */
const smallDateRange = 200_000;

/**
 * The ids of one page, in order. With no condition but the statuses (the province-wide queue), each
 * status is read on its own and the pages merged: an index that starts with the status and
 * continues with the sort column (Ticket(status, dueAt), Ticket(status, createdAt)) yields rows
 * already in order, so a page of a million tickets is found after a few rows instead of sorting
 * all open ones. Any other condition (scope, unit, category, assignee, words) goes into one query
 * whose planner starts from that condition's index. A narrow date range sorted by due date: its rows are fewer than the walk would pass, so they are read through
 * Ticket(createdAt) and sorted (the unary + keeps the planner off the status index).
 */
async function pageIds(db: Database, where: string[], params: unknown[], statuses: TicketStatus[], filters: TicketFilters, need: number): Promise<number[]> {
  const byAge = filters.sort === "age" || filters.sort === "newest";
  const column = byAge ? "createdAt" : "dueAt";
  const dir = filters.sort === "newest" ? "DESC" : "";
  const order = `t.${column} ${dir}, t.id ${dir}`;
  const extra = where.length ? ` AND ${where.join(" AND ")}` : "";
  const single = async (statusCondition: string) =>
    (await db.sql
      .raw<[number]>(`SELECT t.id FROM Ticket t WHERE ${statusCondition}${extra} ORDER BY ${order} LIMIT ?`, ...(statusCondition === "1" ? [] : statuses), ...params, need))
      .map((r) => r[0]);
  if (!byAge && (filters.from !== undefined || filters.to !== undefined)) {
    const inRange = (await db.sql.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM Ticket WHERE createdAt >= ? AND createdAt < ?`, filters.from ?? 0, filters.to ?? Number.MAX_SAFE_INTEGER,
    ))!.n;
    if (inRange <= smallDateRange) return single(`+t.status IN (${statuses.map(() => "?").join(", ")})`);
  }
  // Any other condition (a unit, a category, an assignee, words…) is left to the planner, which
  // starts from that condition's index.
  if (where.length) return single(statuses.length === ticketStatuses.length ? "1" : `t.status IN (${statuses.map(() => "?").join(", ")})`);
  const merged: [number, number][] = [];
  for (const status of statuses)
    for (const row of await db.sql.raw<[number, number]>(`SELECT t.id, t.${column} FROM Ticket t WHERE t.status = ?${extra} ORDER BY ${order} LIMIT ?`, status, ...params, need))
      merged.push([row[1], row[0]]);
  const sign = dir ? -1 : 1;
  merged.sort((a, b) => sign * (a[0] - b[0] || a[1] - b[1]));
  return merged.slice(0, need).map((r) => r[1]);
}

/**
 * One page of the person's tickets matching the filters, with the member's, unit's and assignee's
 * names, the first message and the overdue flag; `more` says whether a next page exists. Empty
 * without the right. Throws forbidden (unit outside the scope), unit_not_found, invalid_input.
 */
export async function searchTickets(
  db: Database,
  personId: number,
  filters: TicketFilters,
  page: { limit?: number; offset?: number; now: Date },
): Promise<{ rows: TicketListRow[]; more: boolean }> {
  const limit = Math.min(200, Math.max(1, Math.floor(page.limit ?? 25)));
  const offset = Math.max(0, Math.floor(page.offset ?? 0));
  const cond = await conditions(db, personId, filters, page.now);
  if (!cond) return { rows: [], more: false };
  const ids = (await pageIds(db, cond.where, cond.params, statusesOf(filters), filters, offset + limit + 1)).slice(offset);
  const more = ids.length > limit;
  const pageIdList = ids.slice(0, limit);
  if (!pageIdList.length) return { rows: [], more: false };
  const rows = await db.sql.all<TicketRow & { memberName: string; unitName: string; assigneeName: string | null; firstMessage: string | null }>(
    `SELECT ${ticketColumns.split(", ").map((c) => `t.${c}`).join(", ")}, p.fullName AS memberName, u.name AS unitName, a.fullName AS assigneeName,
            (SELECT m.text FROM TicketMessage m WHERE m.ticketId = t.id ORDER BY m.id LIMIT 1) AS firstMessage
     FROM Ticket t JOIN Person p ON p.id = t.personId JOIN Unit u ON u.id = t.unitId LEFT JOIN Person a ON a.id = t.assigneeId
     WHERE t.id IN (SELECT value FROM json_each(?))`,
    JSON.stringify(pageIdList),
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const at = page.now.getTime();
  return {
    more,
    rows: pageIdList.flatMap((id) => {
      const r = byId.get(id);
      return r ? [{ ...r, firstMessage: r.firstMessage ?? "", overdue: r.status !== "closed" && r.dueAt < at }] : [];
    }),
  };
}

/** How many of the person's tickets match the filters (status aside), per status. Zeros without the right. */
export async function countTicketsByStatus(db: Database, personId: number, filters: TicketFilters, now: Date): Promise<Record<TicketStatus, number>> {
  const counts = Object.fromEntries(ticketStatuses.map((s) => [s, 0])) as Record<TicketStatus, number>;
  const cond = await conditions(db, personId, filters, now);
  if (!cond) return counts;
  const rows = await db.sql.all<{ status: TicketStatus; n: number }>(
    `SELECT t.status, COUNT(*) AS n FROM Ticket t ${cond.where.length ? `WHERE ${cond.where.join(" AND ")}` : ""} GROUP BY t.status`,
    ...cond.params,
  );
  for (const r of rows) if (r.status in counts) counts[r.status] = r.n;
  return counts;
}
