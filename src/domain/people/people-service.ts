/**
 * People (hội viên, cán bộ) and their memberships (person × unit × role). A person may belong to
 * several units with a role in each.
 */
import { actorSource, assertActorCan, type Actor } from "../access/actor.ts";
import { recordAudit } from "../audit/audit-service.ts";
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { normalisePhone } from "../../lib/phone.ts";
import { foldVietnamese, tidyText } from "../../lib/vietnamese.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";

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

const personColumns = `id, fullName, phone, birthYear, gender, note, locale, linkedAccounts`;

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
  if (p.phone && await db.sql.get(`SELECT 1 FROM Person WHERE phone = ?`, p.phone)) throw new AppError("phone_taken", {});
  const r = await db.sql.run(
    `INSERT INTO Person (fullName, nameKey, phone, birthYear, gender, note, locale, isDemo, createdAt, updatedAt)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    p.fullName, foldVietnamese(p.fullName), p.phone, p.birthYear, p.gender, p.note, input.locale ?? "vi",
    input.isDemo ? 1 : 0, now.getTime(), now.getTime(),
  );
  return getPerson(db, r.lastInsertRowid);
}

/**
 * Updates the given fields of a person. The phone links chat accounts (a shared contact matching
 * the roster), so the actor needs manage_people over every unit where the person holds a role,
 * and for a cadre, official or admin the right to appoint them there (see addMembership): nobody
 * re-points the phone of someone above them. Throws person_not_found, phone_taken, forbidden.
 */
export async function updatePerson(db: Database, actor: Actor, id: number, input: Partial<PersonInput>, now = new Date()): Promise<PersonRow> {
  const current = await getPerson(db, id);
  for (const m of await db.sql.all<{ unitId: number; role: Role }>(`SELECT unitId, role FROM Membership WHERE personId = ?`, id)) await assertMayAssign(db, actor, m.unitId, m.role);
  const p = cleanPerson({ ...current, locale: undefined, ...input, fullName: input.fullName ?? current.fullName });
  if (p.phone && await db.sql.get(`SELECT 1 FROM Person WHERE phone = ? AND id != ?`, p.phone, id)) throw new AppError("phone_taken", {});
  await db.sql.run(
    `UPDATE Person SET fullName = ?, nameKey = ?, phone = ?, birthYear = ?, gender = ?, note = ?, updatedAt = ? WHERE id = ?`,
    p.fullName, foldVietnamese(p.fullName), p.phone, p.birthYear, p.gender, p.note, now.getTime(), id,
  );
  return getPerson(db, id);
}

/** Returns a person. Throws person_not_found. */
export async function getPerson(db: Database, id: number): Promise<PersonRow> {
  const person = await db.sql.get<PersonRow>(`SELECT ${personColumns} FROM Person WHERE id = ?`, id);
  if (!person) throw new AppError("person_not_found", { person: String(id) });
  return person;
}

export async function findPersonByPhone(db: Database, phone: string): Promise<PersonRow | undefined> {
  const normal = normalisePhone(phone);
  if (!normal) return undefined;
  return await db.sql.get<PersonRow>(`SELECT ${personColumns} FROM Person WHERE phone = ?`, normal);
}

/** Sets the language a person reads replies in. */
export async function setPersonLocale(db: Database, id: number, locale: "vi" | "en"): Promise<void> {
  await db.sql.run(`UPDATE Person SET locale = ?, updatedAt = ? WHERE id = ?`, locale, Date.now(), id);
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
  if (parentId === null) throw new AppError("forbidden", { permission: role === "admin" ? "administer" : "manage_people" });
  await assertActorCan(db, actor, role === "admin" ? "administer" : "manage_people", parentId);
}

/**
 * Gives a person a role in a unit (idempotent), if the actor may (see `assertMayAssign`: members
 * by whoever manages the unit's people, cadres and officials from the level above, admins by an
 * admin above; the CLI's system actor may do all). A person keeps one membership row per role, so
 * a cadre of a branch is also listed as its member. Audited when a person acts. Throws
 * invalid_input (role), unit_not_found, not_found, forbidden.
 */
export async function addMembership(db: Database, actor: Actor, personId: number, unitId: number, role: Role, title?: string | null, now = new Date()): Promise<void> {
  if (!isRole(role)) throw new AppError("invalid_input", { field: "role" });
  await getUnit(db, unitId);
  await getPerson(db, personId);
  await assertMayAssign(db, actor, unitId, role);
  await db.sql.run(
    `INSERT INTO Membership (personId, unitId, role, title, createdAt) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (personId, unitId, role) DO UPDATE SET title = COALESCE(excluded.title, title)`,
    personId, unitId, role, title ?? null, now.getTime(),
  );
  if (actor.kind === "person") await recordAudit(db, { actorPersonId: actor.personId, source: actorSource(actor), action: "membership.add", entityType: "Person", entityId: personId, detail: { unitId, role } }, now);
}

/**
 * Takes a role (or, without `role`, every role) of a person in a unit, under the same rule as
 * `addMembership`. Returns how many rows went. Throws forbidden.
 */
export async function removeMembership(db: Database, actor: Actor, personId: number, unitId: number, role?: Role): Promise<number> {
  const roles = role ? [role] : (await db.sql.all<{ role: Role }>(`SELECT role FROM Membership WHERE personId = ? AND unitId = ?`, personId, unitId)).map((r) => r.role);
  for (const r of roles) await assertMayAssign(db, actor, unitId, r);
  const removed = role
    ? (await db.sql.run(`DELETE FROM Membership WHERE personId = ? AND unitId = ? AND role = ?`, personId, unitId, role)).changes
    : (await db.sql.run(`DELETE FROM Membership WHERE personId = ? AND unitId = ?`, personId, unitId)).changes;
  if (removed && actor.kind === "person") await recordAudit(db, { actorPersonId: actor.personId, source: actorSource(actor), action: "membership.remove", entityType: "Person", entityId: personId, detail: { unitId, role: role ?? null } });
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
  return await db.sql.all<MembershipRow>(
    `SELECT m.unitId, m.role, m.title, u.name AS unitName, u.path FROM Membership m JOIN Unit u ON u.id = m.unitId
     WHERE m.personId = ? ORDER BY u.path`,
    personId,
  );
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
export async function listMembers(db: Database, unitId: number, options: { subtree?: boolean } = {}): Promise<MemberListing[]> {
  const unit = await getUnit(db, unitId);
  const [lo, hi] = options.subtree ? subtreeRange(unit.path) : [unit.path, unit.path + "\u0000"];
  return db.sql.all<MemberListing>(
    `SELECT p.id, p.fullName, p.phone, p.birthYear, p.gender, p.note, p.locale, p.linkedAccounts,
            u.id AS unitId, u.name AS unitName,
            CASE MAX(CASE m.role WHEN 'admin' THEN 4 WHEN 'official' THEN 3 WHEN 'cadre' THEN 2 ELSE 1 END)
              WHEN 4 THEN 'admin' WHEN 3 THEN 'official' WHEN 2 THEN 'cadre' ELSE 'member' END AS role,
            MAX(m.title) AS title
     FROM Membership m JOIN Unit u ON u.id = m.unitId JOIN Person p ON p.id = m.personId
     WHERE u.path >= ? AND u.path < ?
     GROUP BY p.id, u.id ORDER BY u.path, p.nameKey`,
    lo, hi,
  );
}

/** Distinct people of a unit's subtree (the audience of a broadcast), optionally one organisation. */
export async function audienceIds(db: Database, unitId: number, options: { subtree?: boolean } = { subtree: true }): Promise<number[]> {
  const unit = await getUnit(db, unitId);
  const [lo, hi] = options.subtree === false ? [unit.path, unit.path + "\u0000"] : subtreeRange(unit.path);
  return (await db.sql
    .all<{ personId: number }>(
      `SELECT DISTINCT m.personId FROM Membership m JOIN Unit u ON u.id = m.unitId WHERE u.path >= ? AND u.path < ? ORDER BY m.personId`,
      lo, hi,
    ))
    .map((r) => r.personId);
}

/** Whether a person belongs to the demo data (the web chat's demo picker offers only those). */
export async function isDemoPerson(db: Database, personId: number): Promise<boolean> {
  return await db.sql.get(`SELECT 1 AS ok FROM Person WHERE id = ? AND isDemo = 1`, personId) !== undefined;
}
