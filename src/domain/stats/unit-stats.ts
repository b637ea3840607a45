/**
 * The figures of `chihoi stats`: for every unit of a subtree (path order), over the unit and all
 * its descendants — members, linked members, concerns (open, overdue, median time to the first
 * answer), directives' read rate and meetings of the last 12 months.
 *
 * Members are people, not roles: a person counts once, at their home unit (the deepest unit of the
 * subtree where they are a member or cadre), so the branch head who is also a commune official is
 * one member; officials and admins without a member or cadre role are not members.
 */
import type { Database } from "../../storage/database.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";
import { readRates } from "../directives/read-rates.ts";
import { unitMeetingStats } from "../meetings/meeting-stats.ts";

export interface UnitStats {
  unitId: number;
  name: string;
  levelLabel: string;
  depth: number;
  /** People whose home unit is in this unit's subtree. */
  members: number;
  /** Of those, people with at least one linked chat account. */
  linked: number;
  /** Concerns the subtree is handling now (new or in progress). */
  openConcerns: number;
  /** Of those, past their due time. */
  overdueConcerns: number;
  /** Median time from a concern to its first answer (concerns raised in the last 12 months), ms; null when none was answered. */
  medianFirstAnswerMs: number | null;
  /** Directives of the last 12 months: copies read / copies delivered, 0…1; null when none was delivered. */
  readRate: number | null;
  meetingsHeld: number;
  /** Meetings of the last 12 months: invitees who answered, 0…1, or null. */
  responseRate: number | null;
  /** Meetings of the last 12 months with attendance recorded: present / invited, 0…1, or null. */
  attendanceRate: number | null;
}

const YEAR_MS = 365 * 86_400_000;

function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Figures of every unit of the subtree of `unitId`, rolled up. Throws unit_not_found. */
export function unitStats(db: Database, unitId: number, now = new Date()): UnitStats[] {
  const root = getUnit(db, unitId);
  const [lo, hi] = subtreeRange(root.path);
  const from = new Date(now.getTime() - YEAR_MS);
  const units = db.sql.raw<[number, number | null, string, string, number]>(
    `SELECT id, parentId, name, levelLabel, depth FROM Unit WHERE path >= ? AND path < ? ORDER BY path`,
    lo, hi,
  );
  const rows: (UnitStats & { parentId: number | null; answerTimes: number[] })[] = units.map(([id, parentId, name, levelLabel, depth]) => ({
    unitId: id, parentId, name, levelLabel, depth, members: 0, linked: 0, openConcerns: 0, overdueConcerns: 0,
    medianFirstAnswerMs: null, readRate: null, meetingsHeld: 0, responseRate: null, attendanceRate: null, answerTimes: [],
  }));
  const byId = new Map(rows.map((r) => [r.unitId, r]));

  // Each person once, at the deepest unit where they are a member or cadre (lower id on a tie).
  const homes = db.sql.raw<[number, number, number]>(
    `SELECT h.unitId, COUNT(*), SUM(h.linked) FROM (
       SELECT u.id AS unitId, MAX(u.depth * 1000000000 - u.id) AS rank, p.linkedAccounts > 0 AS linked
       FROM Membership m JOIN Unit u ON u.id = m.unitId JOIN Person p ON p.id = m.personId
       WHERE u.path >= ? AND u.path < ? AND m.role IN ('member', 'cadre')
       GROUP BY m.personId
     ) h GROUP BY h.unitId`,
    lo, hi,
  );
  for (const [id, members, linked] of homes) {
    const r = byId.get(id);
    if (r) Object.assign(r, { members, linked });
  }

  const concerns = db.sql.raw<[number, string, number, number, number | null]>(
    `SELECT t.unitId, t.status, t.dueAt, t.createdAt, t.firstAnsweredAt FROM Ticket t JOIN Unit u ON u.id = t.unitId
     WHERE u.path >= ? AND u.path < ? AND (t.status IN ('new', 'in_progress') OR t.createdAt >= ?)`,
    lo, hi, from.getTime(),
  );
  for (const [id, status, dueAt, createdAt, firstAnsweredAt] of concerns) {
    const r = byId.get(id)!;
    if (status === "new" || status === "in_progress") {
      r.openConcerns++;
      if (dueAt < now.getTime()) r.overdueConcerns++;
    }
    if (createdAt >= from.getTime() && firstAnsweredAt !== null) r.answerTimes.push(firstAnsweredAt - createdAt);
  }

  // Path order lists parents before children: walking backwards finishes every child first.
  for (let i = rows.length - 1; i > 0; i--) {
    const r = rows[i]!;
    const parent = r.parentId !== null ? byId.get(r.parentId) : undefined;
    if (!parent) continue;
    parent.members += r.members;
    parent.linked += r.linked;
    parent.openConcerns += r.openConcerns;
    parent.overdueConcerns += r.overdueConcerns;
    for (const ms of r.answerTimes) parent.answerTimes.push(ms);
  }

  const reads = new Map(readRates(db, unitId, { since: from }).map((r) => [r.unitId, r.rateTotal]));
  const meetings = new Map(unitMeetingStats(db, unitId, { from, to: now }).map((m) => [m.unitId, m]));
  return rows.map(({ parentId: _p, answerTimes, ...r }) => {
    const m = meetings.get(r.unitId);
    return {
      ...r,
      medianFirstAnswerMs: median(answerTimes),
      readRate: reads.get(r.unitId) ?? null,
      meetingsHeld: m?.meetingsHeldTotal ?? 0,
      responseRate: m?.responseRateTotal ?? null,
      attendanceRate: m?.attendanceRateTotal ?? null,
    };
  });
}
