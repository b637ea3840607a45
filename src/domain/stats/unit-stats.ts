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
/** Units whose concerns are read by one query (see unitStats). */
const concernUnitsPerQuery = 500;

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

/**
 * Figures of every unit of the subtree of `unitId`, rolled up, for the period (default: the 365
 * days up to `now`). No rights check: callers outside the CLI go through domain/reports, which
 * checks the actor. Throws unit_not_found.
 */
export async function unitStats(db: Database, unitId: number, now = new Date(), period?: StatsPeriod): Promise<UnitStats[]> {
  const root = await getUnit(db, unitId);
  const [lo, hi] = subtreeRange(root.path);
  const from = period?.from ?? new Date(now.getTime() - YEAR_MS);
  const to = period?.to ?? now;
  const units = await db.sql.raw<[number, number | null, string, string, number]>(
    `SELECT id, parentId, name, levelLabel, depth FROM Unit WHERE path >= ? AND path < ? ORDER BY path`,
    lo, hi,
  );
  const rows: (UnitStats & { parentId: number | null; answerTimes: number[] })[] = units.map(([id, parentId, name, levelLabel, depth]) => ({
    unitId: id, parentId, name, levelLabel, depth, members: 0, linked: 0, linkedByPlatform: {}, openConcerns: 0, overdueConcerns: 0,
    concernsOpened: 0, concernsAnswered: 0, concernsRated: 0, concernsSatisfied: 0, satisfactionRate: null,
    medianFirstAnswerMs: null, ownMedianFirstAnswerMs: null, readRate: null, meetingsHeld: 0, responseRate: null, attendanceRate: null, answerTimes: [],
  }));
  const byId = new Map(rows.map((r) => [r.unitId, r]));

  // Each person once, at the deepest unit where they are a member or cadre (lower id on a tie).
  // The platforms are looked up only for linked people (most are not, in a large tree).
  const homes = await db.sql.raw<[number, string | null, number, number]>(
    `SELECT h.unitId, h.platforms, COUNT(*), SUM(h.linked) FROM (
       SELECT u.id AS unitId, MAX(u.depth * 1000000000 - u.id) AS rank, p.linkedAccounts > 0 AS linked,
              CASE WHEN p.linkedAccounts > 0 THEN (SELECT group_concat(DISTINCT a.platform) FROM ChatAccount a WHERE a.personId = p.id) END AS platforms
       FROM Membership m JOIN Unit u ON u.id = m.unitId JOIN Person p ON p.id = m.personId
       WHERE u.path >= ? AND u.path < ? AND m.role IN ('member', 'cadre')
       GROUP BY m.personId
     ) h GROUP BY h.unitId, h.platforms`,
    lo, hi,
  );
  for (const [id, platforms, members, linked] of homes) {
    const r = byId.get(id);
    if (!r) continue;
    r.members += members;
    r.linked += linked;
    for (const platform of platforms ? platforms.split(",") : []) r.linkedByPlatform[platform] = (r.linkedByPlatform[platform] ?? 0) + members;
  }

  // A province holds a million concerns: they are read a few hundred units at a time, so their
  // rows never sit in memory together (the service runs with a 128 MB heap).
  for (let i = 0; i < units.length; i += concernUnitsPerQuery) {
    const concerns = await db.sql.raw<[number, string, number, number, number | null, number | null]>(
      `SELECT t.unitId, t.status, t.dueAt, t.createdAt, t.firstAnsweredAt, t.satisfied FROM Ticket t
       WHERE t.unitId IN (SELECT value FROM json_each(?)) AND (t.status IN ('new', 'in_progress') OR (t.createdAt >= ? AND t.createdAt < ?))`,
      JSON.stringify(units.slice(i, i + concernUnitsPerQuery).map((u) => u[0])), from.getTime(), to.getTime(),
    );
    for (const [id, status, dueAt, createdAt, firstAnsweredAt, satisfied] of concerns) {
      const r = byId.get(id)!;
      if (status === "new" || status === "in_progress") {
        r.openConcerns++;
        if (dueAt < now.getTime()) r.overdueConcerns++;
      }
      if (createdAt < from.getTime() || createdAt >= to.getTime()) continue;
      r.concernsOpened++;
      if (firstAnsweredAt !== null) {
        r.concernsAnswered++;
        r.answerTimes.push(firstAnsweredAt - createdAt);
      }
      if (satisfied !== null) {
        r.concernsRated++;
        if (satisfied) r.concernsSatisfied++;
      }
    }
  }
  for (const r of rows) r.ownMedianFirstAnswerMs = median(r.answerTimes);

  // Path order lists parents before children: walking backwards finishes every child first.
  for (let i = rows.length - 1; i > 0; i--) {
    const r = rows[i]!;
    const parent = r.parentId !== null ? byId.get(r.parentId) : undefined;
    if (!parent) continue;
    parent.members += r.members;
    parent.linked += r.linked;
    for (const [platform, n] of Object.entries(r.linkedByPlatform)) parent.linkedByPlatform[platform] = (parent.linkedByPlatform[platform] ?? 0) + n;
    parent.openConcerns += r.openConcerns;
    parent.overdueConcerns += r.overdueConcerns;
    parent.concernsOpened += r.concernsOpened;
    parent.concernsAnswered += r.concernsAnswered;
    parent.concernsRated += r.concernsRated;
    parent.concernsSatisfied += r.concernsSatisfied;
    for (const ms of r.answerTimes) parent.answerTimes.push(ms);
  }

  const reads = new Map((await readRates(db, unitId, { since: from, until: to })).map((r) => [r.unitId, r.rateTotal]));
  const meetings = new Map((await unitMeetingStats(db, unitId, { from, to })).map((m) => [m.unitId, m]));
  return rows.map(({ parentId: _p, answerTimes, ...r }) => {
    const m = meetings.get(r.unitId);
    return {
      ...r,
      medianFirstAnswerMs: median(answerTimes),
      satisfactionRate: r.concernsRated ? r.concernsSatisfied / r.concernsRated : null,
      readRate: reads.get(r.unitId) ?? null,
      meetingsHeld: m?.meetingsHeldTotal ?? 0,
      responseRate: m?.responseRateTotal ?? null,
      attendanceRate: m?.attendanceRateTotal ?? null,
    };
  });
}
