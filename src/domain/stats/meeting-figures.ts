/**
 * Meeting figures for the reports, read from the per-meeting counts that triggers keep in
 * MeetingTally (migration report_tallies) in one grouped query per period, instead of counting
 * answers meeting by meeting. The figures are those of `unitMeetingStats` (domain/meetings):
 * meetings of the unit itself (not cancelled) starting in the period; invitees are today's
 * members of the unit, or of its subtree for a meeting that includes the subtree.
 */
import { sql } from "kysely";
import type { Database } from "../../storage/database.ts";
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
  const row = await db.kysely.selectFrom("Membership as m").innerJoin("Unit as u", "u.id", "m.unitId")
    .where("u.path", ">=", lo).where("u.path", "<", hi)
    .select((eb) => eb.fn.count<number>("m.personId").distinct().as("n"))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * The meetings of the subtree [lo, hi) (a path range) starting in each of `periods` (half-open
 * [from, to) in epoch ms), grouped by `slot(period index)` and by the unit holding them: one
 * query over Meeting ⋈ MeetingTally per call. Returns, per period index, each unit's own figures.
 */
export async function meetingFiguresByPeriod(db: Database, lo: string, hi: string, periods: readonly [number, number][]): Promise<Map<number, MeetingFigures>[]> {
  const out = periods.map(() => new Map<number, MeetingFigures>());
  if (!periods.length) return out;
  const min = Math.min(...periods.map((p) => p[0]));
  const max = Math.max(...periods.map((p) => p[1]));
  // Which period a meeting falls in (the periods passed together never overlap). Literals, not
  // parameters: PostgreSQL matches the GROUP BY expression with the selected one by its text.
  for (const n of [...periods.flat()]) if (!Number.isSafeInteger(n)) throw new Error(`meetingFiguresByPeriod: not an integer time: ${n}`);
  const startsAt = sql.ref("mt.startsAt");
  const slot = sql<number>`CASE ${sql.join(periods.map(([a, b], i) => sql`WHEN ${startsAt} >= ${sql.lit(a)} AND ${startsAt} < ${sql.lit(b)} THEN ${sql.lit(i)}`), sql` `)} ELSE -1 END`;
  const rows = await db.kysely.selectFrom("Meeting as mt")
    .innerJoin("Unit as u", "u.id", "mt.unitId")
    .leftJoin("MeetingTally as t", "t.meetingId", "mt.id")
    .where("u.path", ">=", lo).where("u.path", "<", hi)
    .where("mt.status", "=", "scheduled").where("mt.startsAt", ">=", min).where("mt.startsAt", "<", max)
    .select((eb) => [
      slot.as("slot"), "mt.unitId", "mt.includeSubtree", "u.memberCount", "u.path",
      eb.fn.countAll<number>().as("held"),
      eb.fn.sum<number | null>("t.answered").as("answered"),
      eb.fn.sum<number | null>("t.attending").as("attending"),
      eb.fn.sum<number | null>("t.recorded").as("recorded"),
      eb.fn.sum<number | null>("t.came").as("came"),
    ])
    .groupBy([slot, "mt.unitId", "mt.includeSubtree", "u.memberCount", "u.path"])
    .execute();
  const audience = new Map<string, number>();
  for (const r of rows) {
    const i = Number(r.slot);
    if (i < 0) continue;
    let invitees = r.memberCount;
    if (r.includeSubtree) {
      let n = audience.get(r.path);
      if (n === undefined) audience.set(r.path, (n = await subtreeAudience(db, r.path)));
      invitees = n;
    }
    const held = Number(r.held);
    const figures: MeetingFigures = {
      held, invited: held * invitees, answered: Number(r.answered ?? 0), attending: Number(r.attending ?? 0),
      recorded: Number(r.recorded ?? 0), came: Number(r.came ?? 0),
    };
    const map = out[i]!;
    const own = map.get(r.unitId);
    if (own) addMeetingFigures(own, figures);
    else map.set(r.unitId, figures);
  }
  return out;
}
