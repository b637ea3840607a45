/**
 * People (hội viên, cán bộ) and their memberships (person × unit × role). A person may belong to
 * several units with a role in each.
 */
import type { ExpressionBuilder, ExpressionWrapper } from "kysely";
import { actorSource, assertActorCan, type Actor } from "../access/actor.ts";
import { recordAudit } from "../audit/audit-service.ts";
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { normalisePhone } from "../../lib/phone.ts";
import { foldVietnamese, tidyText } from "../../lib/vietnamese.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";
import { prepared, type Slots } from "../../storage/prepared.ts";

export const roles = ["member", "cadre", "official", "admin"] as const;
export type Role = (typeof roles)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (roles as readonly string[]).includes(value);
}

export interface PersonRow {
  id: number;
  fullName: string;
  phone: string | null;
  birthYear: number | null;
  gender: string | null;
  note: string | null;
  locale: string;
  linkedAccounts: number;
}

/** The columns of a PersonRow (also read with an account: accountWithPerson). */
export const personColumns = [
  "id",
  "fullName",
  "phone",
  "birthYear",
  "gender",
  "note",
  "locale",
  "linkedAccounts",
] as const;

// Read on every message of a linked member: built once.
const personById = prepared((k, p: Slots<{ id: number }>) =>
  k.selectFrom("Person").select(personColumns).where("id", "=", p.id),
);

export interface PersonInput {
  fullName: string;
  phone?: string | null;
  birthYear?: number | null;
  gender?: string | null;
  note?: string | null;
  locale?: "vi" | "en";
  isDemo?: boolean;
}

function cleanPerson(input: PersonInput): Required<Omit<PersonInput, "locale" | "isDemo">> {
  const fullName = tidyText(input.fullName ?? "");
  if (!fullName || fullName.length > 200) throw new AppError("invalid_input", { field: "fullName" });
  let phone: string | null = null;
  if (input.phone != null && String(input.phone).trim() !== "") {
    phone = normalisePhone(input.phone);
    if (!phone) throw new AppError("invalid_input", { field: "phone" });
  }
  return {
    fullName,
    phone,
    birthYear: input.birthYear ?? null,
    gender: input.gender ?? null,
    note: input.note ? tidyText(input.note) : null,
  };
}

/** Creates a person. Throws phone_taken when another person has the phone. */
export async function createPerson(db: Database, input: PersonInput, now = new Date()): Promise<PersonRow> {
  const p = cleanPerson(input);
  if (p.phone && (await db.kysely.selectFrom("Person").select("id").where("phone", "=", p.phone).executeTakeFirst()))
    throw new AppError("phone_taken", {});
  return await db.kysely
    .insertInto("Person")
    .values({
      fullName: p.fullName,
      nameKey: foldVietnamese(p.fullName),
      phone: p.phone,
      birthYear: p.birthYear,
      gender: p.gender,
      note: p.note,
      locale: input.locale ?? "vi",
      isDemo: input.isDemo ?? false,
      createdAt: now.getTime(),
      updatedAt: now.getTime(),
    })
    .returning(personColumns)
    .executeTakeFirstOrThrow();
}

/**
 * Updates the given fields of a person. The phone links chat accounts (a shared contact matching
 * the roster), so the actor needs manage_people over every unit where the person holds a role,
 * and for a cadre, official or admin the right to appoint them there (see addMembership): nobody
 * re-points the phone of someone above them. Throws person_not_found, phone_taken, forbidden.
 */
export async function updatePerson(
  db: Database,
  { actor, id, input, now = new Date() }: { actor: Actor; id: number; input: Partial<PersonInput>; now?: Date },
): Promise<PersonRow> {
  const current = await getPerson(db, id);
  const memberships = await db.kysely
    .selectFrom("Membership")
    .select(["unitId", "role"])
    .where("personId", "=", id)
    .execute();
  for (const m of memberships) await assertMayAssign(db, actor, m.unitId, isRole(m.role) ? m.role : "admin");
  const p = cleanPerson({ ...current, locale: undefined, ...input, fullName: input.fullName ?? current.fullName });
  if (
    p.phone &&
    (await db.kysely
      .selectFrom("Person")
      .select("id")
      .where("phone", "=", p.phone)
      .where("id", "!=", id)
      .executeTakeFirst())
  )
    throw new AppError("phone_taken", {});
  await db.kysely
    .updateTable("Person")
    .set({
      fullName: p.fullName,
      nameKey: foldVietnamese(p.fullName),
      phone: p.phone,
      birthYear: p.birthYear,
      gender: p.gender,
      note: p.note,
      updatedAt: now.getTime(),
    })
    .where("id", "=", id)
    .execute();
  return getPerson(db, id);
}

/** Returns a person. Throws person_not_found. */
export async function getPerson(db: Database, id: number): Promise<PersonRow> {
  const person = Number.isSafeInteger(id) ? await personById.first(db, { id }) : undefined;
  if (!person) throw new AppError("person_not_found", { person: String(id) });
  return person;
}

export async function findPersonByPhone(db: Database, phone: string): Promise<PersonRow | undefined> {
  const normal = normalisePhone(phone);
  if (!normal) return undefined;
  return await db.kysely.selectFrom("Person").select(personColumns).where("phone", "=", normal).executeTakeFirst();
}

/** Sets the language a person reads replies in. */
export async function setPersonLocale(db: Database, id: number, locale: "vi" | "en"): Promise<void> {
  await db.kysely.updateTable("Person").set({ locale, updatedAt: Date.now() }).where("id", "=", id).execute();
}

/**
 * Checks that the actor may give or take `role` in the unit: a member role needs manage_people on
 * the unit; a cadre or official role needs manage_people on the unit's parent, and an admin role
 * administer on it — nobody appoints their own peers or raises themself. A root unit's roles are
 * set by the system (CLI) only. Throws forbidden.
 */
export async function assertMayAssign(db: Database, actor: Actor, unitId: number, role: Role): Promise<void> {
  if (role === "member") return assertActorCan(db, actor, "manage_people", unitId);
  if (actor.kind === "system") return;
  const parentId = (await getUnit(db, unitId)).parentId;
  if (parentId === null)
    throw new AppError("forbidden", { permission: role === "admin" ? "administer" : "manage_people" });
  await assertActorCan(db, actor, role === "admin" ? "administer" : "manage_people", parentId);
}

/**
 * Gives a person a role in a unit (idempotent), if the actor may (see `assertMayAssign`: members
 * by whoever manages the unit's people, cadres and officials from the level above, admins by an
 * admin above; the CLI's system actor may do all). A person keeps one membership row per role, so
 * a cadre of a branch is also listed as its member. Audited when a person acts. Throws
 * invalid_input (role), unit_not_found, not_found, forbidden.
 */
export async function addMembership(
  db: Database,
  {
    actor,
    personId,
    unitId,
    role,
    title,
    now = new Date(),
  }: { actor: Actor; personId: number; unitId: number; role: Role; title?: string | null; now?: Date },
): Promise<void> {
  if (!isRole(role)) throw new AppError("invalid_input", { field: "role" });
  await getUnit(db, unitId);
  await getPerson(db, personId);
  await assertMayAssign(db, actor, unitId, role);
  await db.kysely
    .insertInto("Membership")
    .values({ personId, unitId, role, title: title ?? null, createdAt: now.getTime() })
    .onConflict((oc) =>
      oc
        .columns(["personId", "unitId", "role"])
        .doUpdateSet((eb) => ({ title: eb.fn.coalesce("excluded.title", "Membership.title") })),
    )
    .execute();
  if (actor.kind === "person")
    await recordAudit(
      db,
      {
        actorPersonId: actor.personId,
        source: actorSource(actor),
        action: "membership.add",
        entityType: "Person",
        entityId: personId,
        detail: { unitId, role },
      },
      now,
    );
}

/**
 * Takes a role (or, without `role`, every role) of a person in a unit, under the same rule as
 * `addMembership`. Returns how many rows went. Throws forbidden.
 */
export async function removeMembership(
  db: Database,
  { actor, personId, unitId, role }: { actor: Actor; personId: number; unitId: number; role?: Role },
): Promise<number> {
  // A role this code does not know is checked as the highest one.
  const roles = role
    ? [role]
    : (
        await db.kysely
          .selectFrom("Membership")
          .select("role")
          .where("personId", "=", personId)
          .where("unitId", "=", unitId)
          .execute()
      ).map((r) => (isRole(r.role) ? r.role : "admin"));
  for (const r of roles) await assertMayAssign(db, actor, unitId, r);
  let remove = db.kysely.deleteFrom("Membership").where("personId", "=", personId).where("unitId", "=", unitId);
  if (role) remove = remove.where("role", "=", role);
  const removed = Number((await remove.executeTakeFirst()).numDeletedRows);
  if (removed && actor.kind === "person")
    await recordAudit(db, {
      actorPersonId: actor.personId,
      source: actorSource(actor),
      action: "membership.remove",
      entityType: "Person",
      entityId: personId,
      detail: { unitId, role: role ?? null },
    });
  return removed;
}

export interface MembershipRow {
  unitId: number;
  role: Role;
  title: string | null;
  unitName: string;
  path: string;
}

export async function listMemberships(db: Database, personId: number): Promise<MembershipRow[]> {
  const rows = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .select(["m.unitId", "m.role", "m.title", "u.name as unitName", "u.path"])
    .where("m.personId", "=", personId)
    .orderBy("u.path")
    .orderBy("m.role")
    .execute();
  return rows.flatMap(({ role, ...r }) => (isRole(role) ? [{ ...r, role }] : []));
}

/** A role as a number that orders roles (member 1 … admin 4), for "the highest role" in SQL. */
export function roleRank(
  eb: ExpressionBuilder<{ m: { role: string } }, "m">,
): ExpressionWrapper<{ m: { role: string } }, "m", number> {
  return eb
    .case("m.role")
    .when("admin")
    .then(eb.lit(4))
    .when("official")
    .then(eb.lit(3))
    .when("cadre")
    .then(eb.lit(2))
    .else(eb.lit(1))
    .end();
}

/** The role of a `roleRank` (anything unknown is a member). */
export function roleOfRank(rank: number | null): Role {
  return rank === 4 ? "admin" : rank === 3 ? "official" : rank === 2 ? "cadre" : "member";
}

export interface MemberListing extends PersonRow {
  unitId: number;
  unitName: string;
  role: Role;
  title: string | null;
}

/**
 * People with a membership in the unit (or its whole subtree), one row per person and unit (their
 * highest role there), ordered by unit then name.
 */
export async function listMembers(
  db: Database,
  unitId: number,
  options: { subtree?: boolean } = {},
): Promise<MemberListing[]> {
  const unit = await getUnit(db, unitId);
  const [lo, hi] = subtreeRange(unit.path);
  const rows = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .innerJoin("Person as p", "p.id", "m.personId")
    .select((eb) => [
      "p.id",
      "p.fullName",
      "p.phone",
      "p.birthYear",
      "p.gender",
      "p.note",
      "p.locale",
      "p.linkedAccounts",
      "u.id as unitId",
      "u.name as unitName",
      eb.fn.max(roleRank(eb)).as("rank"),
      eb.fn.max("m.title").as("title"),
    ])
    .where((eb) =>
      options.subtree ? eb.and([eb("u.path", ">=", lo), eb("u.path", "<", hi)]) : eb("u.id", "=", unit.id),
    )
    .groupBy(["p.id", "u.id"])
    .orderBy("u.path")
    .orderBy("p.nameKey")
    .orderBy("p.id")
    .execute();
  return rows.map(({ rank, ...r }) => ({ ...r, role: roleOfRank(rank) }));
}

/** Whether a person belongs to the demo data (the web chat's demo picker offers only those). */
export async function isDemoPerson(db: Database, personId: number): Promise<boolean> {
  return (
    (await db.kysely
      .selectFrom("Person")
      .select("id")
      .where("id", "=", personId)
      .where("isDemo", "=", true)
      .executeTakeFirst()) !== undefined
  );
}
