/**
 * Pages of a subtree's units, people, memberships, meetings (with their tallies) and directives
 * (with read rates), for the API and the web pages. Every function checks that the actor may read
 * the unit, and returns rows of its subtree only. Pages are keyset pages ordered by id: pass the
 * last page's `nextCursor` as `after` to get the next one (stable while rows are added).
 */
import type { Database } from "../../storage/database.ts";
import { assertActorCan, type Actor } from "../access/actor.ts";
import { AppError } from "../../lib/app-error.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";
import { meetingStats, type MeetingStats } from "../meetings/meeting-stats.ts";
import { readRates } from "../directives/read-rates.ts";

export interface PageRequest {
  /** Rows with an id greater than this (the previous page's nextCursor). */
  after?: number;
  /** Rows per page, 1…max. */
  limit?: number;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; null on the last page. */
  nextCursor: number | null;
}

/** Largest page of units, people and memberships. */
export const MAX_PAGE = 1000;
/** Largest page of meetings and directives (each row is counted over its audience). */
export const MAX_COUNTED_PAGE = 100;

function pageBounds(request: PageRequest, max: number): { after: number; limit: number } {
  const limit = request.limit ?? Math.min(100, max);
  const after = request.after ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new AppError("invalid_input", { field: "limit" });
  if (!Number.isInteger(after) || after < 0) throw new AppError("invalid_input", { field: "after" });
  return { after, limit };
}

function finish<T extends { id: number }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
}

/** The subtree's range after checking the actor may read the unit. */
async function readableRange(db: Database, actor: Actor, unitId: number): Promise<[string, string]> {
  const unit = await getUnit(db, unitId);
  await assertActorCan(db, actor, "read", unit.id);
  return subtreeRange(unit.path);
}

export interface UnitListing {
  id: number;
  parentId: number | null;
  name: string;
  levelLabel: string;
  depth: number;
  path: string;
  /** Distinct people with a membership in the unit itself, and of those linked. */
  memberCount: number;
  linkedCount: number;
}

export async function listUnitsPage(db: Database, actor: Actor, unitId: number, request: PageRequest = {}): Promise<Page<UnitListing>> {
  const [lo, hi] = await readableRange(db, actor, unitId);
  const { after, limit } = pageBounds(request, MAX_PAGE);
  return finish(await db.sql.all<UnitListing>(
    `SELECT id, parentId, name, levelLabel, depth, path, memberCount, linkedCount FROM Unit
     WHERE path >= ? AND path < ? AND id > ? ORDER BY id LIMIT ?`,
    lo, hi, after, limit + 1,
  ), limit);
}

export interface PersonListing {
  id: number;
  fullName: string;
  /** National form (0912345678), or null. */
  phone: string | null;
  birthYear: number | null;
  gender: string | null;
  /** Number of linked chat accounts. */
  linkedAccounts: number;
  updatedAt: number;
}

/** People with at least one membership in the subtree. */
export async function listPeoplePage(db: Database, actor: Actor, unitId: number, request: PageRequest = {}): Promise<Page<PersonListing>> {
  const [lo, hi] = await readableRange(db, actor, unitId);
  const { after, limit } = pageBounds(request, MAX_PAGE);
  return finish(await db.sql.all<PersonListing>(
    `SELECT p.id, p.fullName, p.phone, p.birthYear, p.gender, p.linkedAccounts, p.updatedAt FROM Person p
     WHERE p.id > ? AND EXISTS (SELECT 1 FROM Membership m JOIN Unit u ON u.id = m.unitId WHERE m.personId = p.id AND u.path >= ? AND u.path < ?)
     ORDER BY p.id LIMIT ?`,
    after, lo, hi, limit + 1,
  ), limit);
}

export interface MembershipListing {
  id: number;
  personId: number;
  unitId: number;
  role: string;
  title: string | null;
  createdAt: number;
}

export async function listMembershipsPage(db: Database, actor: Actor, unitId: number, request: PageRequest = {}): Promise<Page<MembershipListing>> {
  const [lo, hi] = await readableRange(db, actor, unitId);
  const { after, limit } = pageBounds(request, MAX_PAGE);
  return finish(await db.sql.all<MembershipListing>(
    `SELECT m.id, m.personId, m.unitId, m.role, m.title, m.createdAt FROM Membership m JOIN Unit u ON u.id = m.unitId
     WHERE u.path >= ? AND u.path < ? AND m.id > ? ORDER BY m.id LIMIT ?`,
    lo, hi, after, limit + 1,
  ), limit);
}

export interface MeetingListing {
  id: number;
  unitId: number;
  title: string;
  place: string;
  startsAt: number;
  endsAt: number;
  status: string;
  tally: Omit<MeetingStats, "meetingId" | "title" | "startsAt">;
}

/** Meetings of the subtree's units starting in [from, to) (all when left out), with their tallies. */
export async function listMeetingsPage(db: Database, actor: Actor, unitId: number, request: PageRequest & { from?: Date; to?: Date } = {}): Promise<Page<MeetingListing>> {
  const [lo, hi] = await readableRange(db, actor, unitId);
  const { after, limit } = pageBounds(request, MAX_COUNTED_PAGE);
  const rows = await db.sql.all<Omit<MeetingListing, "tally">>(
    `SELECT mt.id, mt.unitId, mt.title, mt.place, mt.startsAt, mt.endsAt, mt.status FROM Meeting mt JOIN Unit u ON u.id = mt.unitId
     WHERE u.path >= ? AND u.path < ? AND mt.id > ? AND mt.startsAt >= ? AND mt.startsAt < ? ORDER BY mt.id LIMIT ?`,
    lo, hi, after, request.from?.getTime() ?? 0, request.to?.getTime() ?? Number.MAX_SAFE_INTEGER, limit + 1,
  );
  const page = finish(rows, limit);
  return {
    nextCursor: page.nextCursor,
    items: await Promise.all(page.items.map(async (m) => {
      const { meetingId: _id, title: _t, startsAt: _s, ...tally } = await meetingStats(db, m.id);
      return { ...m, tally };
    })),
  };
}

export interface DirectiveListing {
  id: number;
  unitId: number;
  kind: string;
  number: string;
  issuer: string;
  title: string;
  status: string;
  sentAt: number | null;
  /** Copies delivered to people of the requested subtree, read, and the rate. */
  delivered: number;
  read: number;
  readRate: number | null;
}

/** Directives sent by the unit's subtree or its ancestors (what its people received), with read rates over the subtree. */
export async function listDirectivesPage(db: Database, actor: Actor, unitId: number, request: PageRequest = {}): Promise<Page<DirectiveListing>> {
  const [lo, hi] = await readableRange(db, actor, unitId);
  const { after, limit } = pageBounds(request, MAX_COUNTED_PAGE);
  const ancestors = JSON.stringify((await getUnit(db, unitId)).path.split("/").filter(Boolean).map(Number));
  const rows = await db.sql.all<Omit<DirectiveListing, "delivered" | "read" | "readRate">>(
    `SELECT x.id, x.unitId, x.kind, x.number, x.issuer, x.title, x.status, x.sentAt FROM Directive x
     WHERE x.id > ? AND x.status != 'draft'
       AND (x.unitId IN (SELECT value FROM json_each(?)) OR x.unitId IN (SELECT id FROM Unit WHERE path >= ? AND path < ?))
     ORDER BY x.id LIMIT ?`,
    after, ancestors, lo, hi, limit + 1,
  );
  const page = finish(rows, limit);
  return {
    nextCursor: page.nextCursor,
    items: await Promise.all(page.items.map(async (d) => {
      const r = (await readRates(db, unitId, { directiveId: d.id }))[0]!;
      return { ...d, delivered: r.deliveredTotal, read: r.readTotal, readRate: r.rateTotal };
    })),
  };
}
