/**
 * The officials' view of people: search by name (with or without diacritics) or phone, a unit's
 * roster with link status, last activity and roles, and one person's page. Everything is limited
 * to the viewer's "read" scope: a person is visible when one of their units lies in it.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { normalisePhone } from "../../lib/phone.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { assertCan, pathInRanges, scopeRanges } from "../access/access-scope.ts";
import { inIds, likeKey } from "../../storage/dialect.ts";
import { roleOfRank, roleRank } from "./people-service.ts";
import { getUnit } from "../units/unit-service.ts";

export interface RosterRow {
  id: number;
  fullName: string;
  phone: string | null;
  /** Highest role in the unit. */
  role: string;
  title: string | null;
  /** Linked platforms, comma-separated ("telegram,zalo"), or empty. */
  platforms: string;
  /** Last message from any of their accounts (epoch ms), or null. */
  lastSeenAt: number | null;
}

/** Each person's linked platforms ("telegram,zalo", in the order they were first seen) and last message. */
async function accountSummaries(
  db: Database,
  personIds: number[],
): Promise<Map<number, { platforms: string; lastSeenAt: number | null }>> {
  const out = new Map<number, { platforms: string[]; lastSeenAt: number | null }>();
  if (!personIds.length) return new Map();
  const rows = await db.kysely
    .selectFrom("ChatAccount")
    .select(["personId", "platform", "lastSeenAt"])
    .where((eb) => inIds(db.engine, eb.ref("personId"), personIds))
    .orderBy("id")
    .execute();
  for (const r of rows) {
    if (r.personId === null) continue;
    let s = out.get(r.personId);
    if (!s) out.set(r.personId, (s = { platforms: [], lastSeenAt: null }));
    if (!s.platforms.includes(r.platform)) s.platforms.push(r.platform);
    if (r.lastSeenAt !== null && (s.lastSeenAt === null || r.lastSeenAt > s.lastSeenAt)) s.lastSeenAt = r.lastSeenAt;
  }
  return new Map([...out].map(([id, s]) => [id, { platforms: s.platforms.join(","), lastSeenAt: s.lastSeenAt }]));
}

/**
 * The people with a membership in the unit itself (not its children), by name, one page at a time
 * (`more` says whether another follows). Throws forbidden, unit_not_found.
 */
export async function unitRoster(
  db: Database,
  viewerId: number,
  unitId: number,
  page: { limit?: number; offset?: number } = {},
): Promise<{ rows: RosterRow[]; more: boolean }> {
  const unit = await getUnit(db, unitId);
  await assertCan(db, viewerId, "read", unit.id);
  const limit = Math.min(5000, Math.max(1, Math.floor(page.limit ?? 500)));
  const offset = Math.max(0, Math.floor(page.offset ?? 0));
  const rows = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Person as p", "p.id", "m.personId")
    .select((eb) => [
      "p.id",
      "p.fullName",
      "p.phone",
      eb.fn.max(roleRank(eb)).as("rank"),
      eb.fn.max("m.title").as("title"),
    ])
    .where("m.unitId", "=", unit.id)
    .groupBy("p.id")
    .orderBy("p.nameKey")
    .orderBy("p.id")
    .limit(limit + 1)
    .offset(offset)
    .execute();
  const shown = rows.slice(0, limit);
  const accounts = await accountSummaries(
    db,
    shown.map((r) => r.id),
  );
  return {
    rows: shown.map(({ rank, ...r }) => ({
      ...r,
      role: roleOfRank(rank),
      platforms: accounts.get(r.id)?.platforms ?? "",
      lastSeenAt: accounts.get(r.id)?.lastSeenAt ?? null,
    })),
    more: rows.length > limit,
  };
}

export interface PersonHit {
  id: number;
  fullName: string;
  phone: string | null;
  units: string;
  linkedAccounts: number;
}

/**
 * People in the viewer's read scope whose name contains the words typed (without diacritics or
 * case) or whose phone is the number typed. At most `limit` (default 50). Empty for empty input.
 */
export async function searchPeople(db: Database, viewerId: number, text: string, limit = 50): Promise<PersonHit[]> {
  const ranges = await scopeRanges(db, viewerId, "read");
  if (!ranges.length) return [];
  const phone = /\d{6,}/.test(text.replace(/[\s.+()-]/g, "")) ? normalisePhone(text) : null;
  const key = foldVietnamese(text).replace(/[%_\\]/g, "");
  if (!phone && key.length < 2) return [];
  const people = await db.kysely
    .selectFrom("Person as p")
    .select(["p.id", "p.fullName", "p.phone", "p.linkedAccounts"])
    .where((eb) => (phone ? eb("p.phone", "=", phone) : likeKey(eb.ref("p.nameKey"), key)))
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("Membership as m")
          .innerJoin("Unit as u", "u.id", "m.unitId")
          .select("m.id")
          .whereRef("m.personId", "=", "p.id")
          .where((eb2) => pathInRanges(eb2, eb2.ref("u.path"), ranges)),
      ),
    )
    .orderBy("p.nameKey")
    .orderBy("p.id")
    .limit(Math.min(200, Math.max(1, limit)))
    .execute();
  if (!people.length) return [];
  // Their units inside the scope, in tree order, each once.
  const units = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .select(["m.personId", "u.name"])
    .where((eb) =>
      inIds(
        db.engine,
        eb.ref("m.personId"),
        people.map((p) => p.id),
      ),
    )
    .where((eb) => pathInRanges(eb, eb.ref("u.path"), ranges))
    .orderBy("u.path")
    .orderBy("m.id")
    .execute();
  const unitsOf = new Map<number, string[]>();
  for (const u of units) {
    const list = unitsOf.get(u.personId) ?? [];
    if (!list.includes(u.name)) list.push(u.name);
    unitsOf.set(u.personId, list);
  }
  return people.map((p) => ({
    id: p.id,
    fullName: p.fullName,
    phone: p.phone,
    units: (unitsOf.get(p.id) ?? []).join(","),
    linkedAccounts: p.linkedAccounts,
  }));
}

export interface PersonProfile {
  person: {
    id: number;
    fullName: string;
    phone: string | null;
    birthYear: number | null;
    gender: string | null;
    note: string | null;
    locale: string;
  };
  memberships: { unitId: number; unitName: string; role: string; title: string | null }[];
  accounts: {
    platform: string;
    displayName: string | null;
    linkedAt: number | null;
    lastSeenAt: number | null;
    unreachable: boolean;
    preferred: boolean;
  }[];
  rsvps: { meetingId: number; title: string; startsAt: number; answer: string; reason: string | null; late: boolean }[];
  reads: { directiveId: number; title: string; sentAt: number | null; readAt: number | null; status: string }[];
  tickets: { id: number; status: string; createdAt: number; text: string | null }[];
}

/**
 * One person as an official sees them: memberships, chat accounts, their last 20 meeting answers,
 * directives and concerns. Throws person_not_found, forbidden (none of their units in the scope).
 */
export async function personProfile(db: Database, viewerId: number, personId: number): Promise<PersonProfile> {
  const person = Number.isSafeInteger(personId)
    ? await db.kysely
        .selectFrom("Person")
        .select(["id", "fullName", "phone", "birthYear", "gender", "note", "locale"])
        .where("id", "=", personId)
        .executeTakeFirst()
    : undefined;
  if (!person) throw new AppError("person_not_found", { person: String(personId) });
  const memberships = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .select(["m.unitId", "u.name as unitName", "m.role", "m.title"])
    .where("m.personId", "=", personId)
    .orderBy("u.path")
    .orderBy("m.role")
    .execute();
  const ranges = await scopeRanges(db, viewerId, "read");
  const visible =
    ranges.length > 0 &&
    (await db.kysely
      .selectFrom("Membership as m")
      .innerJoin("Unit as u", "u.id", "m.unitId")
      .select("m.id")
      .where("m.personId", "=", personId)
      .where((eb) => pathInRanges(eb, eb.ref("u.path"), ranges))
      .limit(1)
      .executeTakeFirst());
  if (!visible) throw new AppError("forbidden", { permission: "read" });
  return {
    person,
    memberships,
    accounts: await db.kysely
      .selectFrom("ChatAccount")
      .select(["platform", "displayName", "linkedAt", "lastSeenAt", "unreachable", "preferred"])
      .where("personId", "=", personId)
      .orderBy("preferred", "desc")
      .orderBy("id")
      .execute(),
    rsvps: await db.kysely
      .selectFrom("Rsvp as r")
      .innerJoin("Meeting as mt", "mt.id", "r.meetingId")
      .select(["r.meetingId", "mt.title", "mt.startsAt", "r.answer", "r.reason", "r.late"])
      .where("r.personId", "=", personId)
      .orderBy("mt.startsAt", "desc")
      .orderBy("r.id", "desc")
      .limit(20)
      .execute(),
    reads: await db.kysely
      .selectFrom("DirectiveDelivery as d")
      .innerJoin("Directive as x", "x.id", "d.directiveId")
      .select(["d.directiveId", "x.title", "d.sentAt", "d.readAt", "d.status"])
      .where("d.personId", "=", personId)
      .orderBy("d.id", "desc")
      .limit(20)
      .execute(),
    tickets: await db.kysely
      .selectFrom("Ticket as t")
      .select((eb) => [
        "t.id",
        "t.status",
        "t.createdAt",
        eb
          .selectFrom("TicketMessage as tm")
          .select("tm.text")
          .whereRef("tm.ticketId", "=", "t.id")
          .orderBy("tm.id")
          .limit(1)
          .as("text"),
      ])
      .where("t.personId", "=", personId)
      .orderBy("t.id", "desc")
      .limit(20)
      .execute(),
  };
}
