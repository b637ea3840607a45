/**
 * Meeting figures for the reports, read from the per-meeting rows that triggers keep in
 * MeetingTally (migration report_tallies) in one pass, instead of counting answers meeting by
 * meeting. The figures are those of `unitMeetingStats` (domain/meetings):
 * meetings of the unit itself (not cancelled) starting in the period; invitees are today's
 * members of the unit, or of its subtree for a meeting that includes the subtree.
 */
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

/**
 * The meetings of the units in `units` (a subtree) starting in each of `periods` (half-open
 * [from, to) in epoch ms; they may overlap): per period index, each unit's own figures. One pass
 * over MeetingTally (a row per meeting: unit, start, held or cancelled, and its counts) from the
 * earliest start to the latest end.
 */
export async function meetingFiguresByPeriod(
  db: Database,
  units: ReadonlyMap<number, MeetingUnit>,
  periods: readonly [number, number][],
): Promise<Map<number, MeetingFigures>[]> {
  const out = periods.map(() => new Map<number, MeetingFigures>());
  if (!periods.length) return out;
  const min = Math.min(...periods.map((p) => p[0]));
  const max = Math.max(...periods.map((p) => p[1]));
  // A large subtree walks the meetings of the time range (an index holds every column read); a
  // small one asks for its units' meetings.
  let query = db.kysely
    .selectFrom("MeetingTally as t")
    .where("t.startsAt", ">=", min)
    .where("t.startsAt", "<", max)
    .where("t.held", "=", 1)
    .select(["t.unitId", "t.startsAt", "t.subtree", "t.answered", "t.attending", "t.recorded", "t.came"]);
  if (units.size <= UNITS_PER_LOOKUP)
    query = query.where((eb) => inIds(db.engine, eb.ref("t.unitId"), [...units.keys()]));
  const rows = await query.execute();
  const audience = new Map<number, number>();
  for (const r of rows) {
    const unit = units.get(r.unitId);
    if (!unit) continue;
    let invitees = unit.memberCount;
    if (r.subtree) {
      let n = audience.get(r.unitId);
      if (n === undefined) audience.set(r.unitId, (n = await subtreeAudience(db, unit.path)));
      invitees = n;
    }
    for (let i = 0; i < periods.length; i++) {
      const [from, to] = periods[i]!;
      if (r.startsAt < from || r.startsAt >= to) continue;
      const map = out[i]!;
      let own = map.get(r.unitId);
      if (!own) map.set(r.unitId, (own = emptyMeetingFigures()));
      own.held++;
      own.invited += invitees;
      own.answered += r.answered;
      own.attending += r.attending;
      own.recorded += r.recorded;
      own.came += r.came;
    }
  }
  return out;
}
