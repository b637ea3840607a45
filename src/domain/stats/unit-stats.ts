/**
 * The figures of `chihoi stats` and of the reports (domain/reports): for every unit of a subtree
 * (path order), over the unit and all its descendants — members, linked members (and per platform),
 * concerns (open and overdue now; opened, answered, satisfaction and the median time to the first
 * answer in the period), directives' read rate and meetings of the period (by default the 12
 * months up to now).
 *
 * Members are people, not roles: a person counts once, at their home unit (the deepest unit of the
 * subtree where they are a member or cadre), so the branch head who is also a commune official is
 * one member; officials and admins without a member or cadre role are not members.
 *
 * Nothing here reads every concern, answer or membership: the figures come from summaries that
 * triggers keep on every write (migrations report_tallies, ticket_tally_256): people per home
 * unit (UnitMemberTally), concerns per unit and day, 32-day or 256-day block of their creation
 * (TicketTally, with a histogram of first-answer times), open concerns per unit
 * (TicketOpenTally) and answers and attendance per meeting (MeetingTally). A period is read as
 * whole 256-day blocks, then whole 32-day blocks, then whole days, then the concerns themselves
 * for the partial days at its ends (periodParts).
 *
 * Medians of the time to a first answer are exact (read from the concerns) when the subtree
 * answered at most EXACT_MEDIAN_LIMIT concerns in the period; above that they come from the
 * histogram: within the bucket of the exact median, at most 41 % off (answer-time-buckets.ts).
 */
import { sql, type ExpressionBuilder, type SqlBool, type Expression } from "kysely";
import type { Database } from "../../storage/database.ts";
import { inIds } from "../../storage/dialect.ts";
import { prepared, type Slots } from "../../storage/prepared.ts";
import type { DB } from "../../generated/kysely/types.ts";
import { subtreeRange, type UnitRow } from "../units/unit-service.ts";
import { AppError } from "../../lib/app-error.ts";
import { directivesReaching, readRates } from "../directives/read-rates.ts";
import { ticketCategories } from "../tickets/ticket-service.ts";
import { ANSWER_BUCKETS, answerBucket, answerBucketColumns, histogramMedian } from "./answer-time-buckets.ts";
import {
  addMeetingFigures,
  emptyMeetingFigures,
  meetingFiguresByUnit,
  meetingRate,
  meetingTotalsByPeriod,
  type MeetingFigures,
} from "./meeting-figures.ts";

export interface UnitStats {
  unitId: number;
  name: string;
  levelLabel: string;
  depth: number;
  /** People whose home unit is in this unit's subtree. */
  members: number;
  /** Of those, people with at least one linked chat account. */
  linked: number;
  /** Of those, people with an account on each platform (telegram, zalo, zalo_bot, web). */
  linkedByPlatform: Record<string, number>;
  /** Concerns the subtree is handling now (new or in progress). */
  openConcerns: number;
  /** Of those, past their due time. */
  overdueConcerns: number;
  /** Concerns raised in the period (at the unit now responsible for them). */
  concernsOpened: number;
  /** Of those, answered at least once. */
  concernsAnswered: number;
  /** Of those raised in the period, how many the member rated, and how many of those "satisfied". */
  concernsRated: number;
  concernsSatisfied: number;
  /** satisfied / rated, 0…1, or null. */
  satisfactionRate: number | null;
  /** Median time from a concern to its first answer (concerns raised in the period), ms; null when none was answered. */
  medianFirstAnswerMs: number | null;
  /** The same over the concerns this very unit handles (not its descendants): ranks the slowest units. */
  ownMedianFirstAnswerMs: number | null;
  /** Directives sent in the period: copies read / copies delivered, 0…1; null when none was delivered. */
  readRate: number | null;
  meetingsHeld: number;
  /** Meetings of the period: invitees who answered, 0…1, or null. */
  responseRate: number | null;
  /** Meetings of the period with attendance recorded: present / invited, 0…1, or null. */
  attendanceRate: number | null;
}

const YEAR_MS = 365 * 86_400_000;
const DAY_MS = 86_400_000;
/** Spans of the TicketTally rows, in days, coarsest first (the triggers' spans; each divides the one before). */
const SPANS = [256, 32, 1] as const;
/** Up to this many answered concerns in the period, medians are exact (read from the concerns). */
export const EXACT_MEDIAN_LIMIT = 20_000;

export interface StatsPeriod {
  from: Date;
  to: Date;
}

export function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The statuses a concern goes through, in the order reports list them. */
export const ticketStatuses = ["new", "in_progress", "answered", "closed"] as const;

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
/** The TicketTally column counting concerns of a category in a status ("doiSongInProgress"). */
export function categoryStatusColumn(category: string, status: string) {
  const pascal = camel(status).replace(/^./, (c) => c.toUpperCase());
  return `${camel(category)}${pascal}` as `${string}` & keyof DB["TicketTally"];
}

/**
 * How [from, to) (epoch ms) is read from TicketTally: rows of each span (256-day blocks, then
 * 32-day blocks, then days) whose start lies in [from, to) (in days) wholly inside the period,
 * coarsest first, then the concerns themselves for what is left at the ends (parts of days).
 */
export function periodParts(
  from: number,
  to: number,
): { tallies: { span: number; from: number; to: number }[]; raw: [number, number][] } {
  const dayFrom = Math.ceil(from / DAY_MS);
  const dayTo = Math.floor(to / DAY_MS);
  if (dayFrom >= dayTo) return { tallies: [], raw: from < to ? [[from, to]] : [] };
  const raw: [number, number][] = [];
  if (from < dayFrom * DAY_MS) raw.push([from, dayFrom * DAY_MS]);
  if (dayTo * DAY_MS < to) raw.push([dayTo * DAY_MS, to]);
  const tallies: { span: number; from: number; to: number }[] = [];
  // The days still to cover: one range, then (once a span fits) the ranges left on either side.
  let left: [number, number][] = [[dayFrom, dayTo]];
  for (const span of SPANS) {
    const next: [number, number][] = [];
    for (const [a, b] of left) {
      const blockFrom = Math.ceil(a / span) * span;
      const blockTo = Math.floor(b / span) * span;
      if (blockFrom >= blockTo) {
        next.push([a, b]);
        continue;
      }
      tallies.push({ span, from: blockFrom, to: blockTo });
      if (a < blockFrom) next.push([a, blockFrom]);
      if (blockTo < b) next.push([blockTo, b]);
    }
    left = next;
  }
  return { tallies, raw };
}

/** The TicketTally rows (alias c) that make up the whole days of a period. */
function tallyRowsOf(parts: ReturnType<typeof periodParts>) {
  return (eb: ExpressionBuilder<DB & { c: DB["TicketTally"] }, "c">): Expression<SqlBool> =>
    eb.or(
      parts.tallies.map((t) =>
        eb.and([eb("c.span", "=", t.span), eb("c.start", ">=", t.from), eb("c.start", "<", t.to)]),
      ),
    );
}

/** The concerns (alias t) created in the raw parts of a period. */
function rawTicketsOf(parts: ReturnType<typeof periodParts>) {
  return (eb: ExpressionBuilder<DB & { t: DB["Ticket"] }, "t">): Expression<SqlBool> =>
    eb.or(parts.raw.map(([a, b]) => eb.and([eb("t.createdAt", ">=", a), eb("t.createdAt", "<", b)])));
}

/** Subtrees up to this many units name their units; larger ones are matched by path. */
const UNITS_PER_LOOKUP = 500;

/**
 * The subtree condition on TicketTally rows (alias c joined with Unit u): by unit id for a small
 * subtree (the primary key (unitId, span, start) finds its rows), by path for a large one (the
 * (span, start) index walks the period).
 */
function tallyScope(db: Database, lo: string, hi: string, unitIds: readonly number[] | null) {
  return (eb: ExpressionBuilder<DB & { c: DB["TicketTally"]; u: DB["Unit"] }, "c" | "u">): Expression<SqlBool> =>
    unitIds && unitIds.length <= UNITS_PER_LOOKUP
      ? inIds(db.engine, eb.ref("c.unitId"), unitIds)
      : eb.and([eb("u.path", ">=", lo), eb("u.path", "<", hi)]);
}

async function subtreeUnitIds(db: Database, lo: string, hi: string, limit: number): Promise<number[] | null> {
  const rows = await db.kysely
    .selectFrom("Unit")
    .select("id")
    .where("path", ">=", lo)
    .where("path", "<", hi)
    .limit(limit + 1)
    .execute();
  return rows.length > limit ? null : rows.map((r) => r.id);
}

interface ConcernFigures {
  opened: number;
  answered: number;
  rated: number;
  satisfied: number;
  /** First-answer times per bucket (answer-time-buckets.ts). */
  histogram: number[];
}

/** Every category × status, categories in ticketCategories order, then statuses in ticketStatuses order. */
const categoryStatusPairs = ticketCategories.flatMap((c) =>
  ticketStatuses.map((s) => ({ category: c as string, status: s as string, column: categoryStatusColumn(c, s) })),
);
const pairIndex = new Map(categoryStatusPairs.map((p, i) => [`${p.category}\u0000${p.status}`, i]));

/** The TicketTally columns concernFigures sums, in the order of its JSON array: `opened` first. */
const tallyColumns = [
  "opened",
  "answered",
  "rated",
  "satisfiedCount",
  ...answerBucketColumns,
  ...categoryStatusPairs.map((p) => p.column),
] as const;

/**
 * Two column sums packed in one number as a + b·PACK (2^26). Exact while each sum is below PACK
 * and the whole below 2^53 (JavaScript numbers): every column counts some of a unit's concerns,
 * so each sum is at most the unit's `opened`, which is summed on its own and checked.
 */
const PACK = 2 ** 26;

/** Counts in `categoryStatusPairs` order as concernCounts lists them (zero counts left out). */
function categoryCounts(byCategory: readonly number[]): { category: string; status: string; count: number }[] {
  return categoryStatusPairs
    .map((p, i) => ({ category: p.category, status: p.status, count: byCategory[i]! }))
    .filter((c) => c.count > 0);
}

/**
 * Concerns raised in [from, to) at each unit of the subtree [lo, hi) (its own, not rolled up), and
 * over the whole subtree per category and current status (in `categoryStatusPairs` order).
 */
async function concernFigures(
  db: Database,
  { lo, hi, unitIds, from, to }: { lo: string; hi: string; unitIds: readonly number[]; from: number; to: number },
): Promise<{ units: Map<number, ConcernFigures>; byCategory: number[] }> {
  const byCategory = new Array<number>(categoryStatusPairs.length).fill(0);
  const inside = (path: string) => path >= lo && path < hi;
  const out = new Map<number, ConcernFigures>();
  const of = (unitId: number) => {
    let f = out.get(unitId);
    if (!f)
      out.set(
        unitId,
        (f = {
          opened: 0,
          answered: 0,
          rated: 0,
          satisfied: 0,
          histogram: new Array<number>(ANSWER_BUCKETS).fill(0),
        }),
      );
    return f;
  };
  const parts = periodParts(from, to);
  if (parts.tallies.length) {
    // The sums come back as one JSON array per unit: a row of 64 columns costs more to build in
    // JavaScript than the query itself. The counts by category and status come from the same rows
    // (reading them is most of the cost on a large database). Each SQL aggregate costs about as
    // much as reading its column, so the columns after `opened` are summed two to a number (see
    // PACK); a subtree where a unit raised PACK concerns or more in the period is summed column by
    // column instead.
    const sumsOf = async (packed: boolean) => {
      const rest = tallyColumns.slice(1);
      const terms = [sql`sum(${sql.ref("c.opened")})`];
      for (let k = 0; k < rest.length; k += packed ? 2 : 1) {
        const low = sql.ref(`c.${rest[k]}`);
        terms.push(
          packed && k + 1 < rest.length
            ? sql`sum(${low} + CAST(${sql.ref(`c.${rest[k + 1]}`)} AS bigint) * ${sql.lit(PACK)})`
            : sql`sum(${low})`,
        );
      }
      const sums = sql.join(terms);
      return db.kysely
        .selectFrom("TicketTally as c")
        .innerJoin("Unit as u", "u.id", "c.unitId")
        .where(tallyScope(db, lo, hi, unitIds))
        .where(tallyRowsOf(parts))
        .select([
          "c.unitId",
          (db.engine === "postgresql"
            ? sql<number[] | string>`json_build_array(${sums})`
            : sql<number[] | string>`json_array(${sums})`
          ).as("sums"),
        ])
        .groupBy("c.unitId")
        .execute();
    };
    const rowsOf = async (packed: boolean) =>
      (await sumsOf(packed)).map((r) => ({
        unitId: r.unitId,
        sums: (typeof r.sums === "string" ? JSON.parse(r.sums) : r.sums) as (number | string)[],
      }));
    let rows = await rowsOf(true);
    const packed = !rows.some((r) => Number(r.sums[0]) >= PACK);
    if (!packed) rows = await rowsOf(false);
    // One row's sums in tallyColumns order (reused from row to row).
    const values = new Array<number>(tallyColumns.length).fill(0);
    for (const { unitId, sums } of rows) {
      if (packed) {
        // [opened, a + b·PACK, …] → [opened, a, b, …]
        values[0] = Number(sums[0]);
        for (let k = 1, j = 1; k < sums.length; k++) {
          const v = Number(sums[k]);
          const high = Math.floor(v / PACK);
          values[j++] = v - high * PACK;
          if (j < values.length) values[j++] = high;
        }
      } else for (let k = 0; k < values.length; k++) values[k] = Number(sums[k]);
      const f = of(unitId);
      f.opened += values[0]!;
      f.answered += values[1]!;
      f.rated += values[2]!;
      f.satisfied += values[3]!;
      for (let k = 0; k < ANSWER_BUCKETS; k++) f.histogram[k]! += values[4 + k]!;
      for (let k = 0; k < byCategory.length; k++) byCategory[k]! += values[4 + ANSWER_BUCKETS + k]!;
    }
  }
  if (parts.raw.length) {
    // Parts of at most two days: found by creation time alone (the subtree is checked here; with
    // the path in the query SQLite would walk every unit's concerns instead).
    const rows = await db.kysely
      .selectFrom("Ticket as t")
      .innerJoin("Unit as u", "u.id", "t.unitId")
      .where(rawTicketsOf(parts))
      .select(["t.unitId", "u.path", "t.createdAt", "t.firstAnsweredAt", "t.satisfied", "t.category", "t.status"])
      .execute();
    for (const r of rows) {
      if (!inside(r.path)) continue;
      const f = of(r.unitId);
      f.opened++;
      const pair = pairIndex.get(`${r.category}\u0000${r.status}`);
      if (pair !== undefined) byCategory[pair]!++;
      if (r.firstAnsweredAt !== null) {
        f.answered++;
        f.histogram[answerBucket(r.firstAnsweredAt - r.createdAt)]!++;
      }
      if (r.satisfied !== null) {
        f.rated++;
        if (r.satisfied) f.satisfied++;
      }
    }
  }
  return { units: out, byCategory };
}

/** First-answer times (ms) of the concerns raised in [from, to) in the subtree, per unit: for exact medians. */
async function answerTimes(
  db: Database,
  lo: string,
  hi: string,
  from: number,
  to: number,
): Promise<Map<number, number[]>> {
  const rows = await db.kysely
    .selectFrom("Ticket as t")
    .innerJoin("Unit as u", "u.id", "t.unitId")
    .where("u.path", ">=", lo)
    .where("u.path", "<", hi)
    .where("t.createdAt", ">=", from)
    .where("t.createdAt", "<", to)
    .where("t.firstAnsweredAt", "is not", null)
    .select(["t.unitId", "t.createdAt", "t.firstAnsweredAt"])
    .execute();
  const out = new Map<number, number[]>();
  for (const r of rows) {
    let list = out.get(r.unitId);
    if (!list) out.set(r.unitId, (list = []));
    list.push(r.firstAnsweredAt! - r.createdAt);
  }
  return out;
}

/**
 * Concerns raised in [from, to) in the subtree of `unitId`, by category and current status (from
 * the summaries; categories in ticketCategories order, then statuses in ticketStatuses order;
 * zero counts left out). Throws unit_not_found.
 */
export async function concernCounts(
  db: Database,
  unitId: number,
  from: Date,
  to: Date,
): Promise<{ category: string; status: string; count: number }[]> {
  const [lo, hi] = subtreeRange((await findUnit(db, unitId)).path);
  const counts = new Map<string, number>();
  const key = (c: string, s: string) => `${c}\u0000${s}`;
  const parts = periodParts(from.getTime(), to.getTime());
  const pairs = ticketCategories.flatMap((c) => ticketStatuses.map((s) => ({ c, s, col: categoryStatusColumn(c, s) })));
  if (parts.tallies.length) {
    const unitIds = await subtreeUnitIds(db, lo, hi, UNITS_PER_LOOKUP);
    const row = await db.kysely
      .selectFrom("TicketTally as c")
      .innerJoin("Unit as u", "u.id", "c.unitId")
      .where(tallyScope(db, lo, hi, unitIds))
      .where(tallyRowsOf(parts))
      .select((eb) => pairs.map((p) => eb.fn.sum<number | null>(sql.ref(`c.${p.col}`)).as(p.col)))
      .executeTakeFirst();
    const values: Record<string, unknown> = row ?? {};
    for (const p of pairs) counts.set(key(p.c, p.s), Number(values[p.col] ?? 0));
  }
  if (parts.raw.length) {
    // Parts of at most two days, found by creation time alone (see concernFigures).
    const rows = await db.kysely
      .selectFrom("Ticket as t")
      .innerJoin("Unit as u", "u.id", "t.unitId")
      .where(rawTicketsOf(parts))
      .select((eb) => ["u.path", "t.category", "t.status", eb.fn.countAll<number>().as("n")])
      .groupBy(["u.path", "t.category", "t.status"])
      .execute();
    for (const r of rows)
      if (r.path >= lo && r.path < hi)
        counts.set(key(r.category, r.status), (counts.get(key(r.category, r.status)) ?? 0) + Number(r.n));
  }
  return pairs
    .map((p) => ({ category: p.c as string, status: p.s as string, count: counts.get(key(p.c, p.s)) ?? 0 }))
    .filter((c) => c.count > 0);
}

/**
 * A unit by id, as `getUnit` of unit-service but on the typed data layer (both engines), for the
 * report modules. Throws unit_not_found.
 */
export async function findUnit(db: Database, id: number): Promise<UnitRow> {
  const unit = await db.kysely
    .selectFrom("Unit")
    .select(["id", "organisationId", "parentId", "name", "levelLabel", "path", "depth"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!unit) throw new AppError("unit_not_found", { unit: String(id) });
  return unit;
}

/**
 * The units of the subtree [lo, hi) in path order, and the people per home unit there: read as
 * arrays (SQLite's raw rows: no object per unit, for 10,000 units of a province), the queries
 * compiled once.
 */
const subtreeUnits = prepared((k, p: Slots<{ lo: string; hi: string }>) =>
  k
    .selectFrom("Unit")
    .select(["id", "parentId", "name", "levelLabel", "depth", "memberCount", "path"])
    .where("path", ">=", p.lo)
    .where("path", "<", p.hi)
    .orderBy("path"),
);
const subtreeUnitColumns = ["id", "parentId", "name", "levelLabel", "depth", "memberCount", "path"] as const;
const subtreeHomes = prepared((k, p: Slots<{ lo: string; hi: string }>) =>
  k
    .selectFrom("UnitMemberTally as t")
    .innerJoin("Unit as u", "u.id", "t.unitId")
    .where("u.path", ">=", p.lo)
    .where("u.path", "<", p.hi)
    .where("t.members", ">", 0)
    .select(["t.unitId", "t.members", "t.linked", "t.telegram", "t.zalo", "t.zaloBot", "t.web"]),
);
const subtreeHomeColumns = ["unitId", "members", "linked", "telegram", "zalo", "zaloBot", "web"] as const;

/**
 * Figures of every unit of the subtree of `unitId`, rolled up, for the period (default: the 365
 * days up to `now`). No rights check: callers outside the CLI go through domain/reports, which
 * checks the actor. `exactMedianLimit` (default EXACT_MEDIAN_LIMIT): up to this many answered
 * concerns, medians are read exactly from the concerns, above it from the histograms. Throws
 * unit_not_found.
 */
export async function unitStats(
  db: Database,
  {
    unitId,
    now = new Date(),
    period,
    exactMedianLimit,
  }: { unitId: number; now?: Date; period?: StatsPeriod; exactMedianLimit?: number },
): Promise<UnitStats[]> {
  return (await unitStatsAndMonths(db, { unitId, now, period, exactMedianLimit, months: [] })).stats;
}

/**
 * unitStats, the subtree's meeting figures in each of `months` ([from, to) in epoch ms) and its
 * concerns raised in the period by category and status (as concernCounts, from the same pass):
 * what a report needs.
 */
export async function unitStatsAndMonths(
  db: Database,
  {
    unitId,
    now,
    period,
    months,
    ...options
  }: { unitId: number; now: Date; period: StatsPeriod | undefined; months: readonly [number, number][] } & {
    exactMedianLimit?: number;
  },
): Promise<{
  stats: UnitStats[];
  months: MeetingFigures[];
  concerns: { category: string; status: string; count: number }[];
}> {
  const root = await findUnit(db, unitId);
  const [lo, hi] = subtreeRange(root.path);
  const from = (period?.from ?? new Date(now.getTime() - YEAR_MS)).getTime();
  const to = (period?.to ?? now).getTime();
  const units = await subtreeUnits.tuples(db, { lo, hi }, subtreeUnitColumns);
  type Row = UnitStats & {
    parentId: number | null;
    /** null: no answered concern in the subtree (so far). */
    histogram: number[] | null;
    times: number[] | null;
    meetings: MeetingFigures | null;
    /** Whether a child unit was added in (else the subtree's median is the unit's own). */
    hasChildren: boolean;
    /** For the meeting figures (MeetingUnit). */
    memberCount: number;
    path: string;
  };
  const rows: Row[] = units.map(([id, parentId, name, levelLabel, depth, memberCount, path]) => ({
    unitId: id,
    parentId,
    name,
    levelLabel,
    depth,
    members: 0,
    linked: 0,
    linkedByPlatform: {},
    openConcerns: 0,
    overdueConcerns: 0,
    concernsOpened: 0,
    concernsAnswered: 0,
    concernsRated: 0,
    concernsSatisfied: 0,
    satisfactionRate: null,
    medianFirstAnswerMs: null,
    ownMedianFirstAnswerMs: null,
    readRate: null,
    meetingsHeld: 0,
    responseRate: null,
    attendanceRate: null,
    histogram: null,
    times: null,
    meetings: null,
    hasChildren: false,
    memberCount,
    path,
  }));
  const byId = new Map<number, Row>();
  for (const r of rows) byId.set(r.unitId, r);
  const addLinked = (r: Row, platform: string, n: number) => {
    if (n) r.linkedByPlatform[platform] = (r.linkedByPlatform[platform] ?? 0) + n;
  };
  /** People of a unit: their count, the linked ones, and per platform (in reportPlatforms order). */
  const addPeople = (
    r: Row,
    members: number,
    linked: number,
    telegram: number,
    zalo: number,
    zaloBot: number,
    web: number,
  ) => {
    r.members += members;
    r.linked += linked;
    addLinked(r, "telegram", telegram);
    addLinked(r, "zalo", zalo);
    addLinked(r, "zalo_bot", zaloBot);
    addLinked(r, "web", web);
  };

  // The queries below do not depend on one another: they are all started at once (on PostgreSQL
  // they run side by side on the pool's connections), then their rows are added up in turn.
  const unitMap: ReadonlyMap<number, Row> = byId;
  const readPeriod = { since: new Date(from), until: new Date(to) };
  const [homes, strays, open, notDue, concerns, meetings, monthTotals, reads] = await Promise.all([
    // Each person once, at their home unit (PersonHome: the deepest unit where they are a member
    // or cadre).
    subtreeHomes.tuples(db, { lo, hi }, subtreeHomeColumns),
    // People whose home lies outside this subtree but who also hold such a role inside it (few:
    // PersonHome.units > 1) count at their deepest unit inside, as if the subtree were all.
    (async () => {
      const multi = await db.kysely
        .selectFrom("PersonHome as h")
        .innerJoin("Unit as hu", "hu.id", "h.unitId")
        .where("h.units", ">", 1)
        .where((eb) => eb.or([eb("hu.path", "<", lo), eb("hu.path", ">=", hi)]))
        .select(["h.personId", "h.linked", "h.telegram", "h.zalo", "h.zaloBot", "h.web"])
        .execute();
      if (!multi.length) return [];
      const multiById = new Map(multi.map((h) => [h.personId, h]));
      return (
        await db.kysely
          .selectFrom("Membership as m")
          .innerJoin("Unit as u", "u.id", "m.unitId")
          .where((eb) => inIds(db.engine, eb.ref("m.personId"), [...multiById.keys()]))
          .where("m.role", "in", ["member", "cadre"])
          .where("u.path", ">=", lo)
          .where("u.path", "<", hi)
          .select(["m.personId", "u.id", "u.depth"])
          .execute()
      ).map((m) => ({ ...multiById.get(m.personId)!, ...m }));
    })(),
    // Open concerns from their per-unit count; overdue = open minus those not due yet (the recent
    // ones, read from the (status, dueAt, unitId) index alone).
    db.kysely
      .selectFrom("TicketOpenTally as o")
      .innerJoin("Unit as u", "u.id", "o.unitId")
      .where("u.path", ">=", lo)
      .where("u.path", "<", hi)
      .where("o.open", ">", 0)
      .select(["o.unitId", "o.open"])
      .execute(),
    db.kysely
      .selectFrom("Ticket as t")
      .innerJoin("Unit as u", "u.id", "t.unitId")
      .where("t.status", "in", ["new", "in_progress"])
      .where("t.dueAt", ">=", now.getTime())
      .where("u.path", ">=", lo)
      .where("u.path", "<", hi)
      .select((eb) => ["t.unitId", eb.fn.countAll<number>().as("n")])
      .groupBy("t.unitId")
      .execute(),
    concernFigures(db, { lo, hi, unitIds: rows.map((r) => r.unitId), from, to }),
    meetingFiguresByUnit(db, unitMap, from, to),
    months.length ? meetingTotalsByPeriod(db, { units: unitMap, lo, hi, periods: months }) : [],
    // Read rates only when a directive of the period reaches the subtree (else all null).
    (async () =>
      (await directivesReaching(db, root.path, readPeriod)).length
        ? new Map((await readRates(db, unitId, readPeriod)).map((r) => [r.unitId, r.rateTotal]))
        : new Map<number, number | null>())(),
  ]);

  for (const [id, members, linked, telegram, zalo, zaloBot, web] of homes) {
    const r = byId.get(id);
    if (r) addPeople(r, members, linked, telegram, zalo, zaloBot, web);
  }
  const strayHome = new Map<number, (typeof strays)[number]>();
  for (const s of strays) {
    const best = strayHome.get(s.personId);
    if (!best || s.depth > best.depth || (s.depth === best.depth && s.id < best.id)) strayHome.set(s.personId, s);
  }
  for (const s of strayHome.values()) addPeople(byId.get(s.id)!, 1, s.linked, s.telegram, s.zalo, s.zaloBot, s.web);

  for (const o of open) {
    const r = byId.get(o.unitId);
    if (!r) continue;
    r.openConcerns += o.open;
    r.overdueConcerns += o.open;
  }
  for (const n of notDue) {
    const r = byId.get(n.unitId);
    if (r) r.overdueConcerns -= Number(n.n);
  }

  let answeredInPeriod = 0;
  for (const [id, f] of concerns.units) {
    const r = byId.get(id);
    if (!r) continue;
    r.concernsOpened = f.opened;
    r.concernsAnswered = f.answered;
    r.concernsRated = f.rated;
    r.concernsSatisfied = f.satisfied;
    r.histogram = f.histogram;
    answeredInPeriod += f.answered;
  }
  if (answeredInPeriod <= (options.exactMedianLimit ?? EXACT_MEDIAN_LIMIT)) {
    const times = await answerTimes(db, lo, hi, from, to);
    for (const r of rows) r.times = times.get(r.unitId) ?? [];
  }
  for (const r of rows)
    r.ownMedianFirstAnswerMs = r.times ? median(r.times) : r.histogram && histogramMedian(r.histogram);

  for (const [id, m] of meetings) {
    const r = byId.get(id);
    if (r) r.meetings = m;
  }

  // Path order lists parents before children: walking backwards finishes every child first.
  for (let i = rows.length - 1; i > 0; i--) {
    const r = rows[i]!;
    const parent = r.parentId !== null ? byId.get(r.parentId) : undefined;
    if (!parent) continue;
    parent.hasChildren = true;
    parent.members += r.members;
    parent.linked += r.linked;
    const into = parent.linkedByPlatform;
    for (const platform in r.linkedByPlatform) into[platform] = (into[platform] ?? 0) + r.linkedByPlatform[platform]!;
    parent.openConcerns += r.openConcerns;
    parent.overdueConcerns += r.overdueConcerns;
    parent.concernsOpened += r.concernsOpened;
    parent.concernsAnswered += r.concernsAnswered;
    parent.concernsRated += r.concernsRated;
    parent.concernsSatisfied += r.concernsSatisfied;
    if (parent.times && r.times) for (const ms of r.times) parent.times.push(ms);
    if (r.histogram) {
      const into = (parent.histogram ??= new Array<number>(ANSWER_BUCKETS).fill(0));
      for (let k = 0; k < ANSWER_BUCKETS; k++) into[k]! += r.histogram[k]!;
    }
    if (r.meetings) addMeetingFigures((parent.meetings ??= emptyMeetingFigures()), r.meetings);
  }

  const none = emptyMeetingFigures();
  const stats = rows.map((r): UnitStats => {
    const m = r.meetings ?? none;
    return {
      unitId: r.unitId,
      name: r.name,
      levelLabel: r.levelLabel,
      depth: r.depth,
      members: r.members,
      linked: r.linked,
      linkedByPlatform: r.linkedByPlatform,
      openConcerns: r.openConcerns,
      overdueConcerns: r.overdueConcerns,
      concernsOpened: r.concernsOpened,
      concernsAnswered: r.concernsAnswered,
      concernsRated: r.concernsRated,
      concernsSatisfied: r.concernsSatisfied,
      satisfactionRate: r.concernsRated ? r.concernsSatisfied / r.concernsRated : null,
      // A unit without children: its subtree's answers are its own.
      medianFirstAnswerMs: !r.hasChildren
        ? r.ownMedianFirstAnswerMs
        : r.times
          ? median(r.times)
          : r.histogram && histogramMedian(r.histogram),
      ownMedianFirstAnswerMs: r.ownMedianFirstAnswerMs,
      readRate: reads.get(r.unitId) ?? null,
      meetingsHeld: m.held,
      responseRate: meetingRate(m.answered, m.invited),
      attendanceRate: meetingRate(m.came, m.recorded),
    };
  });
  return { stats, months: monthTotals, concerns: categoryCounts(concerns.byCategory) };
}
