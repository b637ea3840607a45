/**
 * The officials' ticket list with filters and text search (the web workplace's queue). Unlike
 * `listOpenTickets` (the chat queue: open tickets, most urgent first) it filters by status, unit,
 * category, overdue, assignee, satisfaction, date range and words, and sorts by due date or age.
 *
 * Text search goes through the search index TicketMessageSearch (src/storage/ticket-text-search.ts:
 * FTS5 on SQLite, a trigram-indexed folded copy on PostgreSQL, the same matches on both; kept by
 * triggers on TicketMessage: the member's messages and the answers, never internal notes), which
 * folds case and tone marks, so "duong ngap" finds "Đường … ngập". Scope: the tickets whose CURRENT
 * unit lies in the person's handle_tickets scope, as everywhere else.
 *
 * Plans (bench/web-admin.bench.ts: a province of 1,000,000 concerns; every first page within
 * 150 ms, a search within 300 ms):
 * - no condition but the statuses: each status is walked in sort order through
 *   Ticket(status, dueAt) or Ticket(status, createdAt) and the pages merged;
 * - a date range sorted by due date: the range is read from Ticket(createdAt, status, unitId,
 *   dueAt) alone (no table row read) and sorted;
 * - words that few messages contain (under `rareWords`): their tickets, read by id, sorted;
 * - very common words (20,000 messages or more, each word of 2–6 letters): each status's first
 *   rows in sort order checked one by one against the index, when enough of them match (else
 *   the next plan);
 * - common words: the set of matching tickets read once, then the same walk in sort order as
 *   without words, in growing batches, keeping the tickets of the set and stopping at the page: a
 *   word found in one concern of ten fills a page after ~250 rows instead of sorting 100,000
 *   matches;
 * - any other condition: one query, the planner starts from that condition's index.
 *
 * Measured (bench/web-admin.bench.ts on SQLite, server time, 2026-11-30; before under load ~2,
 * after under load ~7 on 2 cores): 30-day date range 594 → 96 ms; searches 'duong ngap' open
 * 281 → 73, 'đường ngập' all 311 → 156, 'karaoke' 751 → 200, 'dong loc tro cap' 331 → 177,
 * 'thang 12' 864 → 304 (→ ~180-250 in later domain runs with the bounded walk), a commune's
 * 'duong ngap' 166 → 31; every other first page 37–95 ms (was 61–126). A word in nearly every
 * message ("tro": trợ, trong…) took 1.5–4.4 s reading a million matches; with the per-ticket
 * checks ~30 ms (domain time).
 */
import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import type { Database, DB } from "../../storage/database.ts";
import { inIds, unindexed } from "../../storage/dialect.ts";
import {
  countTicketTextMessages,
  ticketHasText,
  ticketTextCheckIsCheap,
  ticketTextHits,
} from "../../storage/ticket-text-search.ts";
import { AppError } from "../../lib/app-error.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { scopeRoots } from "../access/access-scope.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";
import { pathInRanges, type PathRanges } from "./ticket-queue.ts";
import {
  openTicketStatuses,
  ticketCategories,
  ticketStatuses,
  toTicketRow,
  type TicketRow,
  type TicketStatus,
} from "./ticket-service.ts";

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

export type TicketListRow = TicketRow & {
  memberName: string;
  unitName: string;
  assigneeName: string | null;
  overdue: boolean;
  firstMessage: string;
};

/** The folded words of a search (letters and digits, at most 8). */
export function searchWords(text: string): string[] {
  return foldVietnamese(text)
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .slice(0, 8);
}

/** The FTS5 query for typed words: each folded word as a prefix, all required. Empty when no word. */
export function ticketSearchQuery(text: string): string {
  return searchWords(text)
    .map((w) => `"${w}"*`)
    .join(" ");
}

/** The person's scope and the filters (except status), resolved. */
interface Conditions {
  personId: number;
  /** Path ranges of the units to list; null: every unit (no unit condition needed). */
  ranges: PathRanges | null;
  filters: TicketFilters;
  now: number;
  /** Search words; null without text, empty when the text has no word (nothing matches). */
  words: string[] | null;
}

type TicketEB = ExpressionBuilder<DB & { t: DB["Ticket"] }, "t">;

/** The filters (except status and words) as one condition on Ticket t. */
function filterCondition(eb: TicketEB, c: Conditions): Expression<SqlBool> {
  const f = c.filters;
  const parts: Expression<SqlBool>[] = [];
  const ranges = c.ranges;
  if (ranges)
    parts.push(
      eb(
        "t.unitId",
        "in",
        eb
          .selectFrom("Unit as u")
          .select("u.id")
          .where((e) => pathInRanges(e, e.ref("u.path"), ranges)),
      ),
    );
  if (f.category) parts.push(eb("t.category", "=", f.category));
  if (f.overdue) parts.push(eb("t.status", "in", openTicketStatuses), eb("t.dueAt", "<", c.now));
  if (f.assignee === "me") parts.push(eb("t.assigneeId", "=", c.personId));
  else if (f.assignee === "none") parts.push(eb("t.assigneeId", "is", null));
  if (f.satisfaction === "yes") parts.push(eb("t.satisfied", "=", true));
  else if (f.satisfaction === "no") parts.push(eb("t.satisfied", "=", false));
  else if (f.satisfaction === "unsaid") parts.push(eb("t.satisfied", "is", null));
  if (f.from !== undefined) parts.push(eb("t.createdAt", ">=", f.from));
  if (f.to !== undefined) parts.push(eb("t.createdAt", "<", f.to));
  return eb.and(parts);
}

/** Whether any condition besides statuses and words applies. */
function hasFilter(c: Conditions): boolean {
  const f = c.filters;
  return (
    c.ranges !== null ||
    Boolean(f.category) ||
    Boolean(f.overdue) ||
    f.assignee !== undefined ||
    f.satisfaction !== undefined ||
    f.from !== undefined ||
    f.to !== undefined
  );
}

/** The person's scope and the filters, checked. Null without the right. */
async function conditions(
  db: Database,
  personId: number,
  filters: TicketFilters,
  now: Date,
): Promise<Conditions | null> {
  const roots = await scopeRoots(db, personId, "handle_tickets");
  if (!roots.length) return null;
  let ranges: PathRanges = roots.map((r) => subtreeRange(r.path));
  if (filters.unitId !== undefined) {
    const unit = await getUnit(db, filters.unitId);
    if (!roots.some((r) => unit.path.startsWith(r.path)))
      throw new AppError("forbidden", { permission: "handle_tickets" });
    ranges = [subtreeRange(unit.path)];
  }
  if (filters.category && !(ticketCategories as readonly string[]).includes(filters.category))
    throw new AppError("invalid_input", { field: "category" });
  // A scope that covers every unit needs no unit condition (a province official, the admin).
  const count = async (where?: PathRanges) =>
    Number(
      (
        await db.kysely
          .selectFrom("Unit as u")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .$if(where !== undefined, (q) => q.where((eb) => pathInRanges(eb, eb.ref("u.path"), where ?? [])))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const covered = await count(ranges);
  const whole = covered >= (await count());
  return {
    personId,
    ranges: whole ? null : ranges,
    filters,
    now: now.getTime(),
    words: filters.text ? searchWords(filters.text) : null,
  };
}

function statusesOf(filters: TicketFilters): TicketStatus[] {
  return filters.status?.length ? ticketStatuses.filter((s) => filters.status!.includes(s)) : [...ticketStatuses];
}

/**
 * Where the plans switch (tests move them to run every plan on small data):
 * - `smallDateRange`: below this many tickets in a date range, the range is read through its
 *   covering index and sorted;
 * - `rareWords`: below this many matching messages, words are rare: their tickets are read by id
 *   and sorted;
 * - `commonWords`: from this many matching messages on, words are very common: the first tickets
 *   in order are checked one by one (when that is cheap), before reading every match.
 */
export const ticketSearchPlans = { smallDateRange: 200_000, rareWords: 2_000, commonWords: 20_000 };

type Sort = { column: "dueAt" | "createdAt"; dir: "asc" | "desc" };

function sortOf(filters: TicketFilters): Sort {
  const byAge = filters.sort === "age" || filters.sort === "newest";
  return { column: byAge ? "createdAt" : "dueAt", dir: filters.sort === "newest" ? "desc" : "asc" };
}

/**
 * Very common words: for each status, its first rows in sort order (2.5 per row wanted, up to the
 * last row of the page so far), those with a matching message kept. Null when a status had more
 * rows than that and too few of them matched (the words are not that common there).
 */
async function pageByChecks(
  db: Database,
  words: string[],
  statuses: TicketStatus[],
  sort: Sort,
  need: number,
): Promise<number[] | null> {
  const budget = Math.ceil(need * 2.5);
  const merged: [number, number][] = [];
  const sign = sort.dir === "desc" ? -1 : 1;
  const upTo = sort.dir === "asc" ? "<=" : ">=";
  for (const status of sort.dir === "asc" ? [...statuses].reverse() : statuses) {
    const bound = merged.length >= need ? merged[need - 1] : undefined;
    const rows = await db.kysely
      .selectFrom("Ticket as t")
      .select(["t.id", `t.${sort.column} as k`])
      .where("t.status", "=", status)
      .$if(bound !== undefined, (q) =>
        q.where((eb) => eb(eb.refTuple(`t.${sort.column}`, "t.id"), upTo, eb.tuple(bound![0], bound![1]))),
      )
      .orderBy(`t.${sort.column}`, sort.dir)
      .orderBy("t.id", sort.dir)
      .limit(budget)
      .execute();
    if (!rows.length) continue;
    const matching = new Set(
      (
        await db.kysely
          .selectFrom("Ticket as t")
          .select("t.id")
          .where((eb) =>
            inIds(
              db.engine,
              eb.ref("t.id"),
              rows.map((r) => r.id),
            ),
          )
          .where((eb) => ticketHasText(db, words, eb.ref("t.id")))
          .execute()
      ).map((r) => r.id),
    );
    const kept = rows.filter((r) => matching.has(r.id)).slice(0, need);
    if (kept.length < need && rows.length === budget) return null;
    for (const r of kept) merged.push([r.k, r.id]);
    merged.sort((x, y) => sign * (x[0] - y[0] || x[1] - y[1]));
  }
  return merged.slice(0, need).map((r) => r[1]);
}

/** The ids of the first `need` tickets in order (see the plans above). */
async function pageIds(
  db: Database,
  c: Conditions,
  statuses: TicketStatus[],
  sort: Sort,
  need: number,
): Promise<number[]> {
  const words = c.words;
  if ((words && !words.length) || !statuses.length) return [];
  const allStatuses = statuses.length === ticketStatuses.length;
  const ordered = <Q extends { orderBy: (ref: `t.${Sort["column"]}` | "t.id", dir: Sort["dir"]) => Q }>(q: Q) =>
    q.orderBy(`t.${sort.column}`, sort.dir).orderBy("t.id", sort.dir);
  const base = () =>
    db.kysely
      .selectFrom("Ticket as t")
      .select("t.id")
      .where((eb) => filterCondition(eb, c));
  const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

  if (words) {
    // One count, stopped at the larger threshold (cheap: it never reads more matches than that).
    const matches = await countTicketTextMessages(
      db,
      words,
      Math.max(ticketSearchPlans.rareWords, ticketSearchPlans.commonWords),
    );
    if (matches < ticketSearchPlans.rareWords) {
      // Few matches: start from them (CROSS JOIN keeps SQLite from starting anywhere else).
      return ids(
        await ordered(
          db.kysely
            .selectFrom(ticketTextHits(db, words).as("h"))
            .crossJoin("Ticket as t")
            .select("t.id")
            .whereRef("t.id", "=", "h.tid")
            .where((eb) => filterCondition(eb, c))
            .$if(!allStatuses, (q) => q.where("t.status", "in", statuses)),
        )
          .limit(need)
          .execute(),
      );
    }
    if (hasFilter(c)) {
      // The other condition's index leads; each row is checked against the matching tickets.
      return ids(
        await ordered(
          base()
            .$if(!allStatuses, (q) => q.where("t.status", "in", statuses))
            .where((eb) =>
              eb(
                unindexed(db.engine, eb.ref("t.id")),
                "in",
                eb.selectFrom(ticketTextHits(db, words, false).as("h")).select("h.tid"),
              ),
            ),
        )
          .limit(need)
          .execute(),
      );
    }
    // Very common words (most concerns have them): each status walked in sort order, its first
    // rows checked one by one against the index. Too few found: the set below.
    if (need <= 100 && matches >= ticketSearchPlans.commonWords && ticketTextCheckIsCheap(db, words)) {
      const checked = await pageByChecks(db, words, statuses, sort, need);
      if (checked) return checked;
    }
    // Common words, no other condition: the matching tickets read once (a set), then each status
    // walked in sort order through Ticket(status, dueAt|createdAt) in growing batches, keeping the
    // tickets of the set, until the page is full: no sort of all the matches.
    const hits = new Set(
      (
        await db.kysely
          .selectFrom(ticketTextHits(db, words, false).as("h"))
          .select("h.tid")
          .execute()
      ).map((r) => Number(r.tid)),
    );
    const merged: [number, number][] = [];
    const sign = sort.dir === "desc" ? -1 : 1;
    const after = sort.dir === "asc" ? ">" : "<";
    const upTo = sort.dir === "asc" ? "<=" : ">=";
    // Once `need` rows are found, a later status is walked only up to the last of them (exact: a
    // row past it could not enter the page). Closed concerns, the oldest and most numerous, first
    // when the oldest come first; the open ones first when the newest do.
    for (const status of sort.dir === "asc" ? [...statuses].reverse() : statuses) {
      const bound = merged.length >= need ? merged[need - 1] : undefined;
      let found = 0;
      let last: [number, number] | null = null;
      for (let batch = 256; found < need; batch = Math.min(batch * 4, 65_536)) {
        const from: [number, number] | null = last;
        const rows: { id: number; k: number }[] = await ordered(
          db.kysely
            .selectFrom("Ticket as t")
            .select(["t.id", `t.${sort.column} as k`])
            .where("t.status", "=", status)
            .$if(from !== null, (q) =>
              q.where((eb) => eb(eb.refTuple(`t.${sort.column}`, "t.id"), after, eb.tuple(from![0], from![1]))),
            )
            .$if(bound !== undefined, (q) =>
              q.where((eb) => eb(eb.refTuple(`t.${sort.column}`, "t.id"), upTo, eb.tuple(bound![0], bound![1]))),
            ),
        )
          .limit(batch)
          .execute();
        for (const r of rows) {
          if (found >= need) break;
          if (hits.has(r.id)) {
            merged.push([r.k, r.id]);
            found++;
          }
        }
        const end: { id: number; k: number } | undefined = rows.at(-1);
        if (!end || rows.length < batch) break;
        last = [end.k, end.id];
      }
      merged.sort((x, y) => sign * (x[0] - y[0] || x[1] - y[1]));
    }
    return merged.slice(0, need).map((r) => r[1]);
  }

  if (sort.column === "dueAt" && (c.filters.from !== undefined || c.filters.to !== undefined)) {
    const inRange = Number(
      (
        await db.kysely
          .selectFrom("Ticket")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("createdAt", ">=", c.filters.from ?? 0)
          .where("createdAt", "<", c.filters.to ?? Number.MAX_SAFE_INTEGER)
          .executeTakeFirstOrThrow()
      ).n,
    );
    // The range's rows from Ticket(createdAt, status, unitId, dueAt) alone, sorted: the status
    // condition must not pull the planner onto Ticket(status, …) (a table read per row).
    if (inRange <= ticketSearchPlans.smallDateRange)
      return ids(
        await ordered(base().where((eb) => eb(unindexed(db.engine, eb.ref("t.status")), "in", statuses)))
          .limit(need)
          .execute(),
      );
  }
  // Any other condition (a unit, a category, an assignee…): the planner starts from its index.
  if (hasFilter(c))
    return ids(
      await ordered(base().$if(!allStatuses, (q) => q.where("t.status", "in", statuses)))
        .limit(need)
        .execute(),
    );
  // Statuses only: each status in sort order through Ticket(status, dueAt|createdAt), merged.
  const merged: [number, number][] = [];
  for (const status of statuses) {
    const rows = await ordered(
      db.kysely
        .selectFrom("Ticket as t")
        .select(["t.id", `t.${sort.column} as k`])
        .where("t.status", "=", status),
    )
      .limit(need)
      .execute();
    for (const r of rows) merged.push([r.k, r.id]);
  }
  const sign = sort.dir === "desc" ? -1 : 1;
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
  const ids = (await pageIds(db, cond, statusesOf(filters), sortOf(filters), offset + limit + 1)).slice(offset);
  const more = ids.length > limit;
  const pageIdList = ids.slice(0, limit);
  if (!pageIdList.length) return { rows: [], more: false };
  const rows = await db.kysely
    .selectFrom("Ticket as t")
    .innerJoin("Person as p", "p.id", "t.personId")
    .innerJoin("Unit as u", "u.id", "t.unitId")
    .leftJoin("Person as a", "a.id", "t.assigneeId")
    .selectAll("t")
    .select((eb) => [
      "p.fullName as memberName",
      "u.name as unitName",
      "a.fullName as assigneeName",
      eb
        .selectFrom("TicketMessage as m")
        .select("m.text")
        .whereRef("m.ticketId", "=", "t.id")
        .orderBy("m.id")
        .limit(1)
        .as("firstMessage"),
    ])
    .where((eb) => inIds(db.engine, eb.ref("t.id"), pageIdList))
    .execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const at = page.now.getTime();
  return {
    more,
    rows: pageIdList.flatMap((id) => {
      const r = byId.get(id);
      return r
        ? [{ ...toTicketRow(r), firstMessage: r.firstMessage ?? "", overdue: r.status !== "closed" && r.dueAt < at }]
        : [];
    }),
  };
}

/** How many of the person's tickets match the filters (status aside), per status. Zeros without the right. */
export async function countTicketsByStatus(
  db: Database,
  personId: number,
  filters: TicketFilters,
  now: Date,
): Promise<Record<TicketStatus, number>> {
  const counts: Record<TicketStatus, number> = { new: 0, in_progress: 0, answered: 0, closed: 0 };
  const cond = await conditions(db, personId, filters, now);
  if (!cond) return counts;
  const words = cond.words;
  if (words && !words.length) return counts;
  const rows = await db.kysely
    .selectFrom("Ticket as t")
    .select((eb) => ["t.status", eb.fn.countAll<number>().as("n")])
    .where((eb) => filterCondition(eb, cond))
    .$if(words !== null, (q) =>
      q.where("t.id", "in", (eb) => eb.selectFrom(ticketTextHits(db, words ?? [], false).as("h")).select("h.tid")),
    )
    .groupBy("t.status")
    .execute();
  for (const r of rows) {
    const status = ticketStatuses.find((s) => s === r.status);
    if (status) counts[status] = Number(r.n);
  }
  return counts;
}
