/**
 * Reports (báo cáo) of a unit for a period, for the web pages, the CLI (`chihoi report`) and the
 * API: the unit and each of its child units side by side, a monthly series over the 12 months up
 * to the end of the period, the read rate of each directive, concerns by category and status, and
 * the ten slowest units. Every figure is a plain number (rates are fractions 0…1 or null when
 * there is nothing to divide by; times are epoch milliseconds), so a page can chart it and an
 * export can write it as numbers.
 *
 * Rights: the actor needs "read" on the unit (a role on it or an ancestor); the system actor (CLI)
 * may read any unit. Figures cover the unit's subtree only.
 *
 * Months are calendar months in the service's time zone (APP_TIMEZONE, Vietnam by default).
 */
import type { Database } from "../../storage/database.ts";
import { assertActorCan, type Actor } from "../access/actor.ts";
import { AppError } from "../../lib/app-error.ts";
import { subtreeRange } from "../units/unit-service.ts";
import { concernCounts, findUnit, unitStatsAndMonths, type UnitStats } from "../stats/unit-stats.ts";
import { meetingRate, meetingTotalsByPeriod, type MeetingFigures } from "../stats/meeting-figures.ts";
import { readRates } from "../directives/read-rates.ts";
import { inIds } from "../../storage/dialect.ts";
import { fromLocal, toLocal } from "../../lib/zoned-time.ts";

export const reportPlatforms = ["telegram", "zalo", "zalo_bot", "web"] as const;

/** One unit's figures (over its whole subtree) plus the shares derived from them. */
export interface ReportRow extends UnitStats {
  /** linked / members, 0…1, or null without members. */
  linkedShare: number | null;
  /** Per platform: people with an account there / members, 0…1, or null without members. */
  linkedShareByPlatform: Record<(typeof reportPlatforms)[number], number | null>;
}

export interface MonthPoint {
  /** "2026-11" */
  month: string;
  /** Start of the month (00:00 in the report's time zone), epoch ms. */
  start: number;
  meetingsHeld: number;
  responseRate: number | null;
  attendanceRate: number | null;
}

export interface DirectiveReadRate {
  directiveId: number;
  title: string;
  kind: string;
  number: string;
  sentAt: number;
  /** Copies delivered to people of the subtree, and of those read. */
  delivered: number;
  read: number;
  readRate: number | null;
}

export interface ConcernCount {
  category: string;
  status: string;
  count: number;
}

export interface SlowUnit {
  unitId: number;
  name: string;
  levelLabel: string;
  /** Median time to the first answer of the concerns this unit itself handled in the period. */
  medianFirstAnswerMs: number;
  concernsOpened: number;
  overdueConcerns: number;
}

export interface UnitReport {
  unitId: number;
  name: string;
  levelLabel: string;
  from: number;
  to: number;
  generatedAt: number;
  /** The zone of the months (and of dates in exports). */
  timeZone: string;
  /** The unit itself. */
  unit: ReportRow;
  /** Its direct child units, in tree order. */
  children: ReportRow[];
  /** The 12 months ending with the month of `to`, oldest first. */
  monthly: MonthPoint[];
  /** Directives sent in the period reaching the subtree, newest first. */
  directives: DirectiveReadRate[];
  /** Concerns raised in the period, by category and status. */
  concerns: ConcernCount[];
  /** Up to ten units of the subtree with the slowest median first answer, slowest first. */
  slowestUnits: SlowUnit[];
}

export interface ReportOptions {
  /** Start of the period (default: 365 days before `to`). */
  from?: Date;
  /** End of the period, exclusive (default: now). */
  to?: Date;
  now?: Date;
  /** Zone of the calendar months (default Asia/Ho_Chi_Minh). */
  timeZone?: string;
}

/** Longest period a report covers: figures over decades mean little and cost a lot. */
export const MAX_REPORT_DAYS = 3 * 366;
const DAY_MS = 86_400_000;
export const defaultReportTimeZone = "Asia/Ho_Chi_Minh";

/** The period of a report, checked: throws report_period_invalid when from ≥ to or it is longer than MAX_REPORT_DAYS. */
export function reportPeriod(options: ReportOptions): { from: Date; to: Date; now: Date } {
  const now = options.now ?? new Date();
  const to = options.to ?? now;
  const from = options.from ?? new Date(to.getTime() - 365 * DAY_MS);
  if (
    Number.isNaN(from.getTime()) ||
    Number.isNaN(to.getTime()) ||
    from.getTime() >= to.getTime() ||
    to.getTime() - from.getTime() > MAX_REPORT_DAYS * DAY_MS
  )
    throw new AppError("report_period_invalid", { max: MAX_REPORT_DAYS });
  return { from, to, now };
}

function withShares(s: UnitStats): ReportRow {
  const share = (n: number) => (s.members ? n / s.members : null);
  return {
    ...s,
    linkedShare: share(s.linked),
    linkedShareByPlatform: Object.fromEntries(
      reportPlatforms.map((p) => [p, share(s.linkedByPlatform[p] ?? 0)]),
    ) as ReportRow["linkedShareByPlatform"],
  };
}

/** The calendar month `delta` months after the one holding `instant` in the zone: its start (ms) and "YYYY-MM". */
function monthOf(instant: number, delta: number, zone: string): { start: number; key: string } {
  const local = toLocal(new Date(instant), zone);
  const m = new Date(Date.UTC(local.year, local.month - 1 + delta, 1));
  const year = m.getUTCFullYear();
  const month = m.getUTCMonth() + 1;
  return {
    start: fromLocal({ year, month, day: 1, hour: 0, minute: 0 }, zone).getTime(),
    key: `${year}-${String(month).padStart(2, "0")}`,
  };
}

/** The 12 calendar months (in the zone) ending with the month holding `to - 1 ms`, oldest first. */
function reportMonths(to: Date, zone: string): { key: string; start: number; end: number }[] {
  const last = to.getTime() - 1;
  const months: { key: string; start: number; end: number }[] = [];
  for (let delta = -11; delta <= 0; delta++) {
    const { start, key } = monthOf(last, delta, zone);
    months.push({ key, start, end: monthOf(last, delta + 1, zone).start });
  }
  return months;
}

function monthPoints(months: { key: string; start: number }[], totals: MeetingFigures[]): MonthPoint[] {
  return months.map((m, i) => ({
    month: m.key,
    start: m.start,
    meetingsHeld: totals[i]!.held,
    responseRate: meetingRate(totals[i]!.answered, totals[i]!.invited),
    attendanceRate: meetingRate(totals[i]!.came, totals[i]!.recorded),
  }));
}

/**
 * Attendance and response rate of the subtree per month, 12 months ending with the month holding
 * `to - 1 ms`, summed in SQL from the meetings' counts kept in MeetingTally.
 */
export async function monthlySeries(
  db: Database,
  unitId: number,
  to: Date,
  zone = defaultReportTimeZone,
): Promise<MonthPoint[]> {
  const [lo, hi] = subtreeRange((await findUnit(db, unitId)).path);
  const units = await db.kysely
    .selectFrom("Unit")
    .select(["id", "memberCount", "path"])
    .where("path", ">=", lo)
    .where("path", "<", hi)
    .execute();
  const months = reportMonths(to, zone);
  const totals = await meetingTotalsByPeriod(db, {
    units: new Map(units.map((u) => [u.id, u])),
    lo,
    hi,
    periods: months.map((m) => [m.start, m.end]),
  });
  return monthPoints(months, totals);
}

/** Read rate over the subtree of each directive sent in [from, to) by the unit, an ancestor or a descendant. */
export async function directiveReadRates(
  db: Database,
  unitId: number,
  from: Date,
  to: Date,
): Promise<DirectiveReadRate[]> {
  const root = await findUnit(db, unitId);
  const [lo, hi] = subtreeRange(root.path);
  const ancestors = root.path.split("/").filter(Boolean).map(Number);
  const directives = await db.kysely
    .selectFrom("Directive as x")
    .select(["x.id", "x.title", "x.kind", "x.number", "x.sentAt"])
    .where("x.status", "!=", "draft")
    .where("x.sentAt", ">=", from.getTime())
    .where("x.sentAt", "<", to.getTime())
    .where((eb) =>
      eb.or([
        inIds(db.engine, eb.ref("x.unitId"), ancestors),
        eb("x.unitId", "in", eb.selectFrom("Unit").select("id").where("path", ">=", lo).where("path", "<", hi)),
      ]),
    )
    .orderBy("x.sentAt", "desc")
    .orderBy("x.id", "desc")
    .execute();
  return Promise.all(
    directives.map(async (d) => {
      const r = (await readRates(db, unitId, { directiveId: d.id }))[0]!;
      return {
        directiveId: d.id,
        title: d.title,
        kind: d.kind,
        number: d.number,
        sentAt: d.sentAt!,
        delivered: r.deliveredTotal,
        read: r.readTotal,
        readRate: r.rateTotal,
      };
    }),
  );
}

/** Concerns the subtree handles that were raised in [from, to), by category and status (in that order, alphabetical). */
export async function concernsByCategory(db: Database, unitId: number, from: Date, to: Date): Promise<ConcernCount[]> {
  return alphabetical(await concernCounts(db, unitId, from, to));
}

function alphabetical(counts: ConcernCount[]): ConcernCount[] {
  return counts.sort((a, b) =>
    a.category < b.category ? -1 : a.category > b.category ? 1 : a.status < b.status ? -1 : a.status > b.status ? 1 : 0,
  );
}

/**
 * The report of a unit for a period. Throws forbidden when the actor may not read the unit,
 * unit_not_found, report_period_invalid.
 */
export async function unitReport(
  db: Database,
  actor: Actor,
  unitId: number,
  options: ReportOptions = {},
): Promise<UnitReport> {
  const unit = await findUnit(db, unitId);
  await assertActorCan(db, actor, "read", unit.id);
  const { from, to, now } = reportPeriod(options);
  const timeZone = options.timeZone ?? defaultReportTimeZone;
  // The period's figures, its concerns by category and status, and the 12 months' meetings.
  const months = reportMonths(to, timeZone);
  // The directives' read rates apart from the rest (on PostgreSQL, side by side).
  const [{ stats, months: monthTotals, concerns }, directives] = await Promise.all([
    unitStatsAndMonths(db, {
      unitId: unit.id,
      now,
      period: { from, to },
      months: months.map((m) => [m.start, m.end]),
    }),
    directiveReadRates(db, unit.id, from, to),
  ]);
  const slowestUnits = stats
    .filter((s) => s.ownMedianFirstAnswerMs !== null)
    .sort((a, b) => b.ownMedianFirstAnswerMs! - a.ownMedianFirstAnswerMs! || a.unitId - b.unitId)
    .slice(0, 10)
    .map((s) => ({
      unitId: s.unitId,
      name: s.name,
      levelLabel: s.levelLabel,
      medianFirstAnswerMs: s.ownMedianFirstAnswerMs!,
      concernsOpened: s.concernsOpened,
      overdueConcerns: s.overdueConcerns,
    }));
  const childDepth = unit.depth + 1;
  return {
    unitId: unit.id,
    name: unit.name,
    levelLabel: unit.levelLabel,
    from: from.getTime(),
    to: to.getTime(),
    generatedAt: now.getTime(),
    timeZone,
    unit: withShares(stats[0]!),
    children: stats.filter((r) => r.depth === childDepth).map(withShares),
    monthly: monthPoints(months, monthTotals),
    directives,
    concerns: alphabetical(concerns),
    slowestUnits,
  };
}
