/**
 * Who may do what. A role on unit U gives rights over U's whole subtree and nothing else: never a
 * sibling, never an ancestor.
 */
import type { Expression, ExpressionBuilder, ExpressionWrapper, SqlBool } from "kysely";
import type { Database } from "../../storage/database.ts";
import { inIds } from "../../storage/dialect.ts";
import { prepared, type Slots } from "../../storage/prepared.ts";
import { AppError } from "../../lib/app-error.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";
import type { Role } from "../people/people-service.ts";

export const permissions = [
  /** See the roster, meetings, reports and tickets of the subtree. */
  "read",
  /** Schedule, move and cancel meetings; record answers and attendance. */
  "manage_meetings",
  /** Compose and send directive summaries to the subtree. */
  "send_directives",
  /** Take, answer, escalate and close tickets. */
  "handle_tickets",
  /** Import rosters, add people, print link codes. */
  "manage_people",
  /** Change the unit tree, channels, admins, backups. */
  "administer",
] as const;
export type Permission = (typeof permissions)[number];

const grants: Record<Role, readonly Permission[]> = {
  member: [],
  cadre: ["read", "manage_meetings", "send_directives", "handle_tickets", "manage_people"],
  official: ["read", "manage_meetings", "send_directives", "handle_tickets", "manage_people"],
  admin: permissions,
};

export function roleGrants(role: Role, permission: Permission): boolean {
  return grants[role].includes(permission);
}

export interface ScopeEntry {
  unitId: number;
  path: string;
  role: Role;
}

// Read by every rights check: built once.
const scopeRows = prepared((k, p: Slots<{ personId: number }>) =>
  k
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .select(["m.unitId", "u.path", "m.role"])
    .where("m.personId", "=", p.personId),
);

/** The units a person holds a role on, with their paths. */
export async function scopeOf(db: Database, personId: number): Promise<ScopeEntry[]> {
  return (await scopeRows.all(db, { personId })).filter((r): r is ScopeEntry => isRole(r.role));
}

function isRole(role: string): role is Role {
  return Object.hasOwn(grants, role);
}

/** True when the person has `permission` on the unit through a role on it or on an ancestor. */
export async function can(db: Database, personId: number, permission: Permission, unitId: number): Promise<boolean> {
  const target = await getUnit(db, unitId);
  return (await scopeOf(db, personId)).some((s) => target.path.startsWith(s.path) && roleGrants(s.role, permission));
}

/** Throws forbidden unless `can(...)`. */
export async function assertCan(db: Database, personId: number, permission: Permission, unitId: number): Promise<void> {
  if (!(await can(db, personId, permission, unitId))) throw new AppError("forbidden", { permission });
}

/**
 * The top-most units where the person has `permission` (a unit inside another one of the list is
 * left out). Empty when the person has no such right.
 */
export async function scopeRoots(db: Database, personId: number, permission: Permission): Promise<ScopeEntry[]> {
  const entries = (await scopeOf(db, personId))
    .filter((s) => roleGrants(s.role, permission))
    .sort((a, b) => a.path.length - b.path.length);
  const roots: ScopeEntry[] = [];
  for (const e of entries) if (!roots.some((r) => e.path.startsWith(r.path))) roots.push(e);
  return roots;
}

/**
 * The path ranges (inclusive lower, exclusive upper) of the person's scope for a permission, for
 * `pathInRanges`. Empty when the person has no such right.
 */
export async function scopeRanges(db: Database, personId: number, permission: Permission): Promise<[string, string][]> {
  return (await scopeRoots(db, personId, permission)).map((r) => subtreeRange(r.path));
}

/**
 * A condition keeping the rows whose unit path (`column`, e.g. `eb.ref("u.path")`) lies in one of `ranges`
 * (from `scopeRanges`/`subtreeRange`): one indexed range scan per range. No range keeps nothing.
 */
export function pathInRanges<D, T extends keyof D>(
  eb: ExpressionBuilder<D, T>,
  column: Expression<string>,
  ranges: readonly (readonly [string, string])[],
): ExpressionWrapper<D, T, SqlBool> {
  return eb.or(ranges.map(([lo, hi]) => eb.and([eb(column, ">=", lo), eb(column, "<", hi)])));
}

/**
 * SQL text for the modules still on raw SQL (ticket-queue): prefer `scopeRanges` + `pathInRanges`.
 * SQL condition restricting a Unit alias to the person's scope for a permission, with its params.
 * Returns ["0", []] (nothing) when the person has no such right.
 */
export async function scopeCondition(
  db: Database,
  personId: number,
  permission: Permission,
  alias = "u",
): Promise<[string, string[]]> {
  const roots = await scopeRoots(db, personId, permission);
  if (!roots.length) return ["0", []];
  const parts: string[] = [];
  const params: string[] = [];
  for (const r of roots) {
    const [lo, hi] = subtreeRange(r.path);
    parts.push(`(${alias}.path >= ? AND ${alias}.path < ?)`);
    params.push(lo, hi);
  }
  return [`(${parts.join(" OR ")})`, params];
}

/**
 * The people responsible for a unit: its cadres, officials and admins, or, when it has none, those
 * of the nearest ancestor that has some. They get meeting tallies and new-ticket digests. Sorted by id.
 */
export async function responsiblePeople(db: Database, unitId: number): Promise<number[]> {
  const ids = (await getUnit(db, unitId)).path.split("/").filter(Boolean).map(Number);
  const rows = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .select(["m.personId", "u.depth"])
    .distinct()
    .where((eb) => inIds(db.engine, eb.ref("m.unitId"), ids))
    .where("m.role", "in", ["cadre", "official", "admin"])
    .orderBy("u.depth", "desc")
    .orderBy("m.personId")
    .execute();
  const deepest = rows[0]?.depth;
  return [...new Set(rows.filter((r) => r.depth === deepest).map((r) => r.personId))].sort((a, b) => a - b);
}
