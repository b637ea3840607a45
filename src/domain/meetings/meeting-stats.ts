/**
 * Meeting figures for cadres and officials: one meeting's answers and attendance, a member's
 * attendance over the last year, and per-unit figures rolled up the tree (meetings held, response
 * rate, attendance rate) like the member counts of `rollUpCounts`.
 *
 * Rates are fractions in 0…1, or null when there is nothing to divide by.
 */
import type { Database } from "../../storage/database.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";
import { getMeeting, invitedIds } from "./meeting-queries.ts";
import { attendanceRecorded, inviteeAnswers } from "./rsvp-service.ts";

export interface MeetingStats {
  meetingId: number;
  title: string;
  startsAt: number;
  invited: number;
  answered: number;
  attending: number;
  /** Answered "absent" (xin vắng). */
  excused: number;
  unsure: number;
  /** Present at the meeting, once attendance is recorded; null until then. */
  came: number | null;
}

/** Answers and attendance of one meeting, counted over its current invitees. Throws not_found. */
export async function meetingStats(db: Database, meetingId: number): Promise<MeetingStats> {
  const meeting = await getMeeting(db, meetingId);
  const rows = await inviteeAnswers(db, meeting);
  const recorded = await attendanceRecorded(db, meetingId);
  const stats: MeetingStats = {
    meetingId,
    title: meeting.title,
    startsAt: meeting.startsAt,
    invited: rows.length,
    answered: 0,
    attending: 0,
    excused: 0,
    unsure: 0,
    came: recorded ? 0 : null,
  };
  for (const r of rows) {
    if (r.answer) stats.answered++;
    if (r.answer === "attend") stats.attending++;
    else if (r.answer === "absent") stats.excused++;
    else if (r.answer === "unsure") stats.unsure++;
    if (stats.came !== null && r.present) stats.came++;
  }
  return stats;
}

const YEAR_MS = 365 * 86_400_000;

function rate(part: number, whole: number): number | null {
  return whole > 0 ? Math.min(1, part / whole) : null;
}

/**
 * A member's attendance over the last 12 months (365 days up to `now`): the meetings whose
 * attendance was recorded with them among the invitees, and how many of those they came to.
 */
export async function memberAttendanceRate(
  db: Database,
  personId: number,
  now: Date,
): Promise<{ meetings: number; came: number; rate: number | null }> {
  const row = await db.kysely
    .selectFrom("Attendance as a")
    .innerJoin("Meeting as mt", "mt.id", "a.meetingId")
    .select((eb) => [
      eb.fn.countAll<number>().as("meetings"),
      eb.fn.count<number>("a.id").filterWhere("a.present", "=", true).as("came"),
    ])
    .where("a.personId", "=", personId)
    .where("mt.status", "=", "scheduled")
    .where("mt.startsAt", ">", now.getTime() - YEAR_MS)
    .where("mt.startsAt", "<=", now.getTime())
    .executeTakeFirstOrThrow();
  return { meetings: row.meetings, came: row.came, rate: rate(row.came, row.meetings) };
}

export interface UnitMeetingStats {
  unitId: number;
  name: string;
  depth: number;
  /** Meetings of the unit itself (not cancelled) starting in the period. */
  meetingsHeld: number;
  /** Invitations: the invitees of each of those meetings, summed. */
  invited: number;
  answered: number;
  attending: number;
  /** Present, over the meetings whose attendance was recorded. */
  came: number;
  /** Attendance rows recorded (present or not): the denominator of the attendance rate. */
  recorded: number;
  /** answered / invited. */
  responseRate: number | null;
  /** came / recorded. */
  attendanceRate: number | null;
}

export interface UnitMeetingStatsTotals {
  meetingsHeldTotal: number;
  invitedTotal: number;
  answeredTotal: number;
  attendingTotal: number;
  cameTotal: number;
  recordedTotal: number;
  responseRateTotal: number | null;
  attendanceRateTotal: number | null;
}

/**
 * Meeting figures of every unit of the subtree (path order: parents before children), for the
 * meetings starting in [from, to): each unit's own, and the *Total fields over its whole subtree.
 * Invitees are today's members (past invitation lists are not kept). Throws unit_not_found.
 */
export async function unitMeetingStats(
  db: Database,
  unitId: number,
  options: { from: Date; to: Date },
): Promise<(UnitMeetingStats & UnitMeetingStatsTotals)[]> {
  const root = await getUnit(db, unitId);
  const [lo, hi] = subtreeRange(root.path);
  const units = await db.kysely
    .selectFrom("Unit")
    .select(["id", "parentId", "name", "depth", "memberCount", "path"])
    .where("path", ">=", lo)
    .where("path", "<", hi)
    .orderBy("path")
    .execute();
  const meetings = await db.kysely
    .selectFrom("Unit as u")
    .innerJoin("Meeting as mt", "mt.unitId", "u.id")
    .select((eb) => [
      "mt.unitId",
      "mt.includeSubtree",
      eb
        .selectFrom("Rsvp as r")
        .select((e) => e.fn.countAll<number>().as("n"))
        .whereRef("r.meetingId", "=", "mt.id")
        .as("answered"),
      eb
        .selectFrom("Rsvp as r")
        .select((e) => e.fn.countAll<number>().as("n"))
        .whereRef("r.meetingId", "=", "mt.id")
        .where("r.answer", "=", "attend")
        .as("attending"),
      eb
        .selectFrom("Attendance as a")
        .select((e) => e.fn.countAll<number>().as("n"))
        .whereRef("a.meetingId", "=", "mt.id")
        .as("recorded"),
      eb
        .selectFrom("Attendance as a")
        .select((e) => e.fn.countAll<number>().as("n"))
        .whereRef("a.meetingId", "=", "mt.id")
        .where("a.present", "=", true)
        .as("came"),
    ])
    .where("u.path", ">=", lo)
    .where("u.path", "<", hi)
    .where("mt.status", "=", "scheduled")
    .where("mt.startsAt", ">=", options.from.getTime())
    .where("mt.startsAt", "<", options.to.getTime())
    .execute();

  type Row = UnitMeetingStats & UnitMeetingStatsTotals & { parentId: number | null; memberCount: number; path: string };
  const out: Row[] = new Array(units.length);
  const byId = new Map<number, Row>();
  for (let i = 0; i < units.length; i++) {
    const { id, parentId, name, depth, memberCount, path } = units[i]!;
    const row: Row = {
      unitId: id,
      name,
      depth,
      parentId,
      memberCount,
      path,
      meetingsHeld: 0,
      invited: 0,
      answered: 0,
      attending: 0,
      came: 0,
      recorded: 0,
      responseRate: null,
      attendanceRate: null,
      meetingsHeldTotal: 0,
      invitedTotal: 0,
      answeredTotal: 0,
      attendingTotal: 0,
      cameTotal: 0,
      recordedTotal: 0,
      responseRateTotal: null,
      attendanceRateTotal: null,
    };
    out[i] = row;
    byId.set(id, row);
  }
  const subtreeAudience = new Map<number, number>();
  for (const { unitId: mUnitId, includeSubtree, answered, attending, recorded, came } of meetings) {
    const row = byId.get(mUnitId)!;
    let invited = row.memberCount;
    if (includeSubtree) {
      let n = subtreeAudience.get(mUnitId);
      if (n === undefined) {
        const [a, b] = subtreeRange(row.path);
        n = (
          await db.kysely
            .selectFrom("Person as p")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("p.id", "in", invitedIds(db.kysely, a, b))
            .executeTakeFirstOrThrow()
        ).n;
        subtreeAudience.set(mUnitId, n);
      }
      invited = n;
    }
    row.meetingsHeld++;
    row.invited += invited;
    row.answered += answered ?? 0;
    row.attending += attending ?? 0;
    row.recorded += recorded ?? 0;
    row.came += came ?? 0;
  }
  for (const row of out) {
    row.meetingsHeldTotal = row.meetingsHeld;
    row.invitedTotal = row.invited;
    row.answeredTotal = row.answered;
    row.attendingTotal = row.attending;
    row.cameTotal = row.came;
    row.recordedTotal = row.recorded;
  }
  // Path order lists parents before children, so walking it backwards finishes every child first.
  for (let i = out.length - 1; i > 0; i--) {
    const c = out[i]!;
    const parent = c.parentId != null ? byId.get(c.parentId) : undefined;
    if (!parent) continue;
    parent.meetingsHeldTotal += c.meetingsHeldTotal;
    parent.invitedTotal += c.invitedTotal;
    parent.answeredTotal += c.answeredTotal;
    parent.attendingTotal += c.attendingTotal;
    parent.cameTotal += c.cameTotal;
    parent.recordedTotal += c.recordedTotal;
  }
  return out.map(({ parentId: _p, memberCount: _m, path: _path, ...row }) => ({
    ...row,
    responseRate: rate(row.answered, row.invited),
    attendanceRate: rate(row.came, row.recorded),
    responseRateTotal: rate(row.answeredTotal, row.invitedTotal),
    attendanceRateTotal: rate(row.cameTotal, row.recordedTotal),
  }));
}
