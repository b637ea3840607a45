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

/**
 * The meetings of the units in `units` (a subtree) starting in each of `periods` (half-open
 * [from, to) in epoch ms; they may overlap): per period, the figures of the whole subtree. Summed
 * in SQL (invitees of a plain meeting are its unit's memberCount, read with the meeting; subtree
 * meetings come back per unit, their audience asked once). Periods that follow one another
 * without gap or overlap (a report's months) are read in one pass, each meeting put in its period
 * by a CASE; others a query per period.
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
  if (!periods.length) return out;
  const contiguous = periods.every(([from, to], i) => from < to && (i === 0 || from === periods[i - 1]![1]));
  const passes: { from: number; to: number; first: number }[] = contiguous
    ? [{ from: periods[0]![0], to: periods[periods.length - 1]![1], first: 0 }]
    : periods.map(([from, to], i) => ({ from, to, first: i }));
  for (const pass of passes) {
    const base = db.kysely.selectFrom("MeetingTally as t");
    // A large subtree walks the period's meetings and looks up each one's unit; a small one walks
    // its units and looks up each one's meetings.
    const joined =
      units.size <= UNITS_PER_LOOKUP
        ? base.innerJoin("Unit as u", "u.id", "t.unitId")
        : base.crossJoin("Unit as u").whereRef("u.id", "=", "t.unitId");
    const rows = await joined
      .where("t.startsAt", ">=", pass.from)
      .where("t.startsAt", "<", pass.to)
      .where("t.held", "=", 1)
      .where("u.path", ">=", lo)
      .where("u.path", "<", hi)
      .select((eb) => [
        // The index of the meeting's period (0 when a pass holds one period).
        (contiguous && periods.length > 1
          ? sql<number>`CASE ${sql.join(
              periods.slice(0, -1).map(([, to], i) => sql`WHEN ${eb.ref("t.startsAt")} < ${to} THEN ${sql.lit(i)}`),
              sql` `,
            )} ELSE ${sql.lit(periods.length - 1)} END`
          : sql<number>`0`
        ).as("period"),
        eb.case().when("t.subtree", "=", 1).then(eb.ref("t.unitId")).else(0).end().as("subtreeUnit"),
        eb.fn.countAll<number>().as("held"),
        eb.fn.sum<number>("u.memberCount").as("members"),
        eb.fn.sum<number>("t.answered").as("answered"),
        eb.fn.sum<number>("t.attending").as("attending"),
        eb.fn.sum<number>("t.recorded").as("recorded"),
        eb.fn.sum<number>("t.came").as("came"),
      ])
      .groupBy(["period", "subtreeUnit"])
      .execute();
    for (const r of rows) {
      const total = out[pass.first + Number(r.period)]!;
      const held = Number(r.held);
      total.held += held;
      total.invited += r.subtreeUnit ? held * (await audience(r.subtreeUnit)) : Number(r.members);
      total.answered += Number(r.answered);
      total.attending += Number(r.attending);
      total.recorded += Number(r.recorded);
      total.came += Number(r.came);
    }
  }
  return out;
}
