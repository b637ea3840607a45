/**
 * Meeting figures for the reports, summed in SQL from the per-meeting rows that triggers keep in
 * MeetingTally (migration report_tallies), instead of counting answers meeting by meeting. The
 * figures are those of `unitMeetingStats` (domain/meetings): meetings of the unit itself (not
 * cancelled) starting in the period; invitees are today's members of the unit, or of its subtree
 * for a meeting that includes the subtree.
 */
import { sql } from "kysely";
import type { Database } from "../../storage/database.ts";
import { inIds } from "../../storage/dialect.ts";
import { subtreeRange } from "../units/unit-service.ts";

export interface MeetingFigures {
  held: number;
  /** Invitations: the invitees of each meeting, summed. */
  invited: number;
  /** Rsvp rows, and of those "attend". */
  answered: number;
  attending: number;
  /** Attendance rows recorded, and of those present. */
  recorded: number;
  came: number;
}

export function emptyMeetingFigures(): MeetingFigures {
  return { held: 0, invited: 0, answered: 0, attending: 0, recorded: 0, came: 0 };
}

export function addMeetingFigures(into: MeetingFigures, more: MeetingFigures): void {
  into.held += more.held;
  into.invited += more.invited;
  into.answered += more.answered;
  into.attending += more.attending;
  into.recorded += more.recorded;
  into.came += more.came;
}

/** part / whole capped at 1, or null when whole is 0 (as unitMeetingStats). */
export function meetingRate(part: number, whole: number): number | null {
  return whole > 0 ? Math.min(1, part / whole) : null;
}

/** Distinct people with a membership in the subtree of the unit at `path`: a subtree meeting's invitees. */
async function subtreeAudience(db: Database, path: string): Promise<number> {
  const [lo, hi] = subtreeRange(path);
  const row = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .where("u.path", ">=", lo)
    .where("u.path", "<", hi)
    .select((eb) => eb.fn.count<number>("m.personId").distinct().as("n"))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Subtrees up to this many units read their own meetings; larger ones walk the time range. */
const UNITS_PER_LOOKUP = 500;

/** A unit of the subtree as the meeting figures need it. */
export interface MeetingUnit {
  memberCount: number;
  path: string;
}

/** Distinct people of each subtree meeting's subtree, asked once per unit. */
function audienceOf(db: Database, units: ReadonlyMap<number, MeetingUnit>) {
  const cache = new Map<number, number>();
  return async (unitId: number): Promise<number> => {
    const unit = units.get(unitId);
    if (!unit) return 0;
    let n = cache.get(unitId);
    if (n === undefined) cache.set(unitId, (n = await subtreeAudience(db, unit.path)));
    return n;
  };
}

/**
 * The meetings of the units in `units` (a subtree) starting in [from, to) (epoch ms): each unit's
 * own figures. Counted in SQL per unit (MeetingTally holds each meeting's counts), so a row per
 * unit reaches JavaScript, not one per meeting.
 */
export async function meetingFiguresByUnit(
  db: Database,
  units: ReadonlyMap<number, MeetingUnit>,
  from: number,
  to: number,
): Promise<Map<number, MeetingFigures>> {
  const out = new Map<number, MeetingFigures>();
  // A large subtree walks the meetings of the time range (an index holds every column read); a
  // small one asks for its units' meetings.
  let query = db.kysely
    .selectFrom("MeetingTally as t")
    .where("t.startsAt", ">=", from)
    .where("t.startsAt", "<", to)
    .where("t.held", "=", 1)
    .select((eb) => [
      "t.unitId",
      "t.subtree",
      eb.fn.countAll<number>().as("held"),
      eb.fn.sum<number>("t.answered").as("answered"),
      eb.fn.sum<number>("t.attending").as("attending"),
      eb.fn.sum<number>("t.recorded").as("recorded"),
      eb.fn.sum<number>("t.came").as("came"),
    ])
    .groupBy(["t.unitId", "t.subtree"]);
  if (units.size <= UNITS_PER_LOOKUP)
    query = query.where((eb) => inIds(db.engine, eb.ref("t.unitId"), [...units.keys()]));
  const audience = audienceOf(db, units);
  for (const r of await query.execute()) {
    const unit = units.get(r.unitId);
    if (!unit) continue;
    const held = Number(r.held);
    let own = out.get(r.unitId);
    if (!own) out.set(r.unitId, (own = emptyMeetingFigures()));
    own.held += held;
    own.invited += held * (r.subtree ? await audience(r.unitId) : unit.memberCount);
    own.answered += Number(r.answered);
    own.attending += Number(r.attending);
    own.recorded += Number(r.recorded);
    own.came += Number(r.came);
  }
  return out;
}

/** Periods per statement: SQLite allows 500 terms in a compound SELECT. */
const PERIODS_PER_QUERY = 100;

/**
 * The meetings of the units in `units` (a subtree) starting in each of `periods` (half-open
 * [from, to) in epoch ms; they may overlap): per period, the figures of the whole subtree. Summed
 * in SQL, one plain aggregate per period joined by UNION ALL in one statement: a GROUP BY over
 * the period's meetings (a CASE or the subtree meetings' unit) would sort every meeting first,
 * about as costly as reading them (SQLite). Invitees of a plain meeting are its unit's
 * memberCount, read with the meeting; the subtree meetings (counted per period) are asked per
 * unit afterwards, only for periods that have some, their audience asked once per unit.
 */
export async function meetingTotalsByPeriod(
  db: Database,
  {
    units,
    lo,
    hi,
    periods,
  }: { units: ReadonlyMap<number, MeetingUnit>; lo: string; hi: string; periods: readonly [number, number][] },
): Promise<MeetingFigures[]> {
  const audience = audienceOf(db, units);
  const out = periods.map(() => emptyMeetingFigures());
  // The held meetings of the subtree starting in [from, to). A large subtree walks the period's
  // meetings and looks up each one's unit; a small one walks its units and looks up each one's
  // meetings.
  const meetingsIn = (from: number, to: number) => {
    const base = db.kysely.selectFrom("MeetingTally as t");
    const joined =
      units.size <= UNITS_PER_LOOKUP
        ? base.innerJoin("Unit as u", "u.id", "t.unitId")
        : base.crossJoin("Unit as u").whereRef("u.id", "=", "t.unitId");
    return joined
      .where("t.startsAt", ">=", from)
      .where("t.startsAt", "<", to)
      .where("t.held", "=", 1)
      .where("u.path", ">=", lo)
      .where("u.path", "<", hi);
  };
  /** Subtree meetings per period (index into `periods`). */
  const subtreeHeld: number[] = [];
  for (let first = 0; first < periods.length; first += PERIODS_PER_QUERY) {
    const arms = periods
      .slice(first, first + PERIODS_PER_QUERY)
      .map(([from, to], i) =>
        meetingsIn(from, to).select((eb) => [
          sql.lit(first + i).as("period"),
          eb.fn.countAll<number>().as("held"),
          eb.fn.sum<number | null>("t.subtree").as("subtree"),
          eb.fn
            .sum<number | null>(eb.case().when("t.subtree", "=", 0).then(eb.ref("u.memberCount")).else(0).end())
            .as("members"),
          eb.fn.sum<number | null>("t.answered").as("answered"),
          eb.fn.sum<number | null>("t.attending").as("attending"),
          eb.fn.sum<number | null>("t.recorded").as("recorded"),
          eb.fn.sum<number | null>("t.came").as("came"),
        ]),
      );
    const rows = await arms
      .slice(1)
      .reduce((q, arm) => q.unionAll(arm), arms[0]!)
      .execute();
    for (const r of rows) {
      const total = out[Number(r.period)]!;
      total.held += Number(r.held);
      total.invited += Number(r.members ?? 0);
      total.answered += Number(r.answered ?? 0);
      total.attending += Number(r.attending ?? 0);
      total.recorded += Number(r.recorded ?? 0);
      total.came += Number(r.came ?? 0);
      if (Number(r.subtree ?? 0) > 0) subtreeHeld.push(Number(r.period));
    }
  }
  // Invitees of the subtree meetings: each meeting's subtree audience, per unit.
  for (let first = 0; first < subtreeHeld.length; first += PERIODS_PER_QUERY) {
    const arms = subtreeHeld.slice(first, first + PERIODS_PER_QUERY).map((period) =>
      meetingsIn(periods[period]![0], periods[period]![1])
        .where("t.subtree", "=", 1)
        .select((eb) => [sql.lit(period).as("period"), "t.unitId", eb.fn.countAll<number>().as("held")])
        .groupBy("t.unitId"),
    );
    const rows = await arms
      .slice(1)
      .reduce((q, arm) => q.unionAll(arm), arms[0]!)
      .execute();
    for (const r of rows) out[Number(r.period)]!.invited += Number(r.held) * (await audience(r.unitId));
  }
  return out;
}
