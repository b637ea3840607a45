/**
 * Pages of a subtree's units, people, memberships, meetings (with their tallies) and directives
 * (with read rates), for the API and the web pages. Every function checks that the actor may read
 * the unit, and returns rows of its subtree only. Pages are keyset pages ordered by id: pass the
 * last page's `nextCursor` as `after` to get the next one (stable while rows are added).
 */
import { sql } from "kysely";
import type { Database } from "../../storage/database.ts";
import { inIds } from "../../storage/dialect.ts";
import { assertActorCan, type Actor } from "../access/actor.ts";
import { AppError } from "../../lib/app-error.ts";
import { membersInSubtree, subtreeRange, type UnitRow } from "../units/unit-service.ts";
import { findUnit } from "../stats/unit-stats.ts";
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

/** The unit and its subtree's range after checking the actor may read the unit. */
async function readableUnit(
  db: Database,
  actor: Actor,
  unitId: number,
): Promise<{ unit: UnitRow; lo: string; hi: string }> {
  const unit = await findUnit(db, unitId);
  await assertActorCan(db, actor, "read", unit.id);
  const [lo, hi] = subtreeRange(unit.path);
  return { unit, lo, hi };
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

export async function listUnitsPage(
  db: Database,
  actor: Actor,
  unitId: number,
  request: PageRequest = {},
): Promise<Page<UnitListing>> {
  const { lo, hi } = await readableUnit(db, actor, unitId);
  const { after, limit } = pageBounds(request, MAX_PAGE);
  return finish(
    await db.kysely
      .selectFrom("Unit")
      .select(["id", "parentId", "name", "levelLabel", "depth", "path", "memberCount", "linkedCount"])
      .where("path", ">=", lo)
      .where("path", "<", hi)
      .where("id", ">", after)
      .orderBy("id")
      .limit(limit + 1)
      .execute(),
    limit,
  );
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

/**
 * Below this many memberships in the subtree (the units' own counts added up), a page of people is
 * found from the subtree's memberships; above, by walking all people in id order and keeping those
 * with a membership there (most of them, for a province).
 */
const membershipDrivenBelow = 50_000;

/**
 * People with at least one membership in the subtree. `plan` (tests): how the page is found, else
 * chosen from the subtree's size; both give the same page.
 */
export async function listPeoplePage(
  db: Database,
  actor: Actor,
  unitId: number,
  request: PageRequest = {},
  plan?: "memberships" | "people",
): Promise<Page<PersonListing>> {
  const { lo, hi } = await readableUnit(db, actor, unitId);
  const { after, limit } = pageBounds(request, MAX_PAGE);
  const columns = [
    "p.id",
    "p.fullName",
    "p.phone",
    "p.birthYear",
    "p.gender",
    "p.linkedAccounts",
    "p.updatedAt",
  ] as const;
  if (
    (plan ?? ((await membersInSubtree(db, lo, hi)) < membershipDrivenBelow ? "memberships" : "people")) ===
    "memberships"
  ) {
    // A commune among a province's people: walking everyone in id order would look at a hundred
    // people for each one kept.
    return finish(
      await db.kysely
        .selectFrom(
          db.kysely
            .selectFrom("Unit as u")
            .innerJoin("Membership as m", "m.unitId", "u.id")
            .select("m.personId")
            .distinct()
            .where("u.path", ">=", lo)
            .where("u.path", "<", hi)
            .where("m.personId", ">", after)
            .orderBy("m.personId")
            .limit(limit + 1)
            .as("k"),
        )
        .innerJoin("Person as p", "p.id", "k.personId")
        .select(columns)
        .orderBy("p.id")
        .execute(),
      limit,
    );
  }
  return finish(
    await db.kysely
      .selectFrom("Person as p")
      .select(columns)
      .where("p.id", ">", after)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom("Membership as m")
            .innerJoin("Unit as u", "u.id", "m.unitId")
            .select(sql.lit(1).as("one"))
            .whereRef("m.personId", "=", "p.id")
            .where("u.path", ">=", lo)
            .where("u.path", "<", hi),
        ),
      )
      .orderBy("p.id")
      .limit(limit + 1)
      .execute(),
    limit,
  );
}

export interface MembershipListing {
  id: number;
  personId: number;
  unitId: number;
  role: string;
  title: string | null;
  createdAt: number;
}

export async function listMembershipsPage(
  db: Database,
  actor: Actor,
  unitId: number,
  request: PageRequest = {},
): Promise<Page<MembershipListing>> {
  const { lo, hi } = await readableUnit(db, actor, unitId);
  const { after, limit } = pageBounds(request, MAX_PAGE);
  return finish(
    await db.kysely
      .selectFrom("Membership as m")
      .innerJoin("Unit as u", "u.id", "m.unitId")
      .select(["m.id", "m.personId", "m.unitId", "m.role", "m.title", "m.createdAt"])
      .where("u.path", ">=", lo)
      .where("u.path", "<", hi)
      .where("m.id", ">", after)
      .orderBy("m.id")
      .limit(limit + 1)
      .execute(),
    limit,
  );
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
export async function listMeetingsPage(
  db: Database,
  actor: Actor,
  unitId: number,
  request: PageRequest & { from?: Date; to?: Date } = {},
): Promise<Page<MeetingListing>> {
  const { lo, hi } = await readableUnit(db, actor, unitId);
  const { after, limit } = pageBounds(request, MAX_COUNTED_PAGE);
  const rows = await db.kysely
    .selectFrom("Meeting as mt")
    .innerJoin("Unit as u", "u.id", "mt.unitId")
    .select(["mt.id", "mt.unitId", "mt.title", "mt.place", "mt.startsAt", "mt.endsAt", "mt.status"])
    .where("u.path", ">=", lo)
    .where("u.path", "<", hi)
    .where("mt.id", ">", after)
    .where("mt.startsAt", ">=", request.from?.getTime() ?? 0)
    .where("mt.startsAt", "<", request.to?.getTime() ?? Number.MAX_SAFE_INTEGER)
    .orderBy("mt.id")
    .limit(limit + 1)
    .execute();
  const page = finish(rows, limit);
  return {
    nextCursor: page.nextCursor,
    items: await Promise.all(
      page.items.map(async (m) => {
        const { meetingId: _id, title: _t, startsAt: _s, ...tally } = await meetingStats(db, m.id);
        return { ...m, tally };
      }),
    ),
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
export async function listDirectivesPage(
  db: Database,
  actor: Actor,
  unitId: number,
  request: PageRequest = {},
): Promise<Page<DirectiveListing>> {
  const { unit, lo, hi } = await readableUnit(db, actor, unitId);
  const { after, limit } = pageBounds(request, MAX_COUNTED_PAGE);
  const ancestors = unit.path.split("/").filter(Boolean).map(Number);
  const rows = await db.kysely
    .selectFrom("Directive as x")
    .select(["x.id", "x.unitId", "x.kind", "x.number", "x.issuer", "x.title", "x.status", "x.sentAt"])
    .where("x.id", ">", after)
    .where("x.status", "!=", "draft")
    .where((eb) =>
      eb.or([
        inIds(db.engine, eb.ref("x.unitId"), ancestors),
        eb("x.unitId", "in", eb.selectFrom("Unit").select("id").where("path", ">=", lo).where("path", "<", hi)),
      ]),
    )
    .orderBy("x.id")
    .limit(limit + 1)
    .execute();
  const page = finish(rows, limit);
  return {
    nextCursor: page.nextCursor,
    items: await Promise.all(
      page.items.map(async (d) => {
        const r = (await readRates(db, unitId, { directiveId: d.id }))[0]!;
        return { ...d, delivered: r.deliveredTotal, read: r.readTotal, readRate: r.rateTotal };
      }),
    ),
  };
}
