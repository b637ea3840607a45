/**
 * The roster of a unit's subtree as people (not memberships): each person once, with every role
 * they hold in the subtree — the branch head who is also a commune official is one line with both.
 */
import type { Database } from "../../storage/database.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";
import { isRole, type Role } from "./people-service.ts";

export interface PersonRole {
  unitId: number;
  unitName: string;
  role: Role;
  title: string | null;
}

export interface DirectoryEntry {
  personId: number;
  fullName: string;
  phone: string | null;
  linkedAccounts: number;
  /** Roles in tree order; "member" is left out where the person holds a higher role in the same unit. */
  roles: PersonRole[];
}

const rank: Record<Role, number> = { member: 1, cadre: 2, official: 3, admin: 4 };

/**
 * Everyone with a membership in the unit's subtree, ordered by the first unit they appear in, then
 * by name. Throws unit_not_found.
 */
export async function memberDirectory(db: Database, unitId: number): Promise<DirectoryEntry[]> {
  const unit = await getUnit(db, unitId);
  const [lo, hi] = subtreeRange(unit.path);
  const rows = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .innerJoin("Person as p", "p.id", "m.personId")
    .select([
      "p.id as personId",
      "p.fullName",
      "p.phone",
      "p.linkedAccounts",
      "u.id as unitId",
      "u.name as unitName",
      "m.role",
      "m.title",
    ])
    .where("u.path", ">=", lo)
    .where("u.path", "<", hi)
    .orderBy("u.path")
    .orderBy("p.nameKey")
    .orderBy("p.id")
    .orderBy("m.id")
    .execute();
  const byPerson = new Map<number, DirectoryEntry>();
  for (const { role, ...r } of rows) {
    if (!isRole(role)) continue;
    let entry = byPerson.get(r.personId);
    if (!entry)
      byPerson.set(
        r.personId,
        (entry = {
          personId: r.personId,
          fullName: r.fullName,
          phone: r.phone,
          linkedAccounts: r.linkedAccounts,
          roles: [],
        }),
      );
    entry.roles.push({ unitId: r.unitId, unitName: r.unitName, role, title: r.title });
  }
  for (const entry of byPerson.values()) {
    const top = new Map<number, number>();
    for (const r of entry.roles) top.set(r.unitId, Math.max(top.get(r.unitId) ?? 0, rank[r.role]));
    entry.roles = entry.roles
      .filter((r) => r.role !== "member" || top.get(r.unitId) === rank.member)
      .sort((a, b) => (a.unitId === b.unitId ? rank[b.role] - rank[a.role] : 0));
  }
  return [...byPerson.values()];
}
