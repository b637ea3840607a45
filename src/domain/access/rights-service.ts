/**
 * Who holds cadre, official or admin rights where, and granting and revoking them. Granting by
 * phone shows the person the phone belongs to: when the name typed differs from theirs, nothing is
 * granted until the caller confirms (the old `admin add` silently gave rights to whoever owned the
 * phone). Every grant and revoke is audited with its source.
 *
 * Who may: the rule of `assertMayAssign` (cadres and officials appointed from the level above,
 * admins by an admin above); from the command line (the server's operator), actor null.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { normalisePhone } from "../../lib/phone.ts";
import { foldVietnamese, tidyText } from "../../lib/vietnamese.ts";
import { assertCan, pathInRanges, scopeRoots } from "./access-scope.ts";
import { personActor, systemActor, type Actor } from "./actor.ts";
import { recordAudit, type AuditSource } from "../audit/audit-service.ts";
import { addMembership, assertMayAssign, createPerson, removeMembership } from "../people/people-service.ts";
import { getUnit, subtreeRange } from "../units/unit-service.ts";

function actorOf(actorId: number | null, source: AuditSource): Actor {
  return actorId === null ? systemActor("cli") : personActor(actorId, source);
}

export const rightRoles = ["cadre", "official", "admin"] as const;
export type RightRole = (typeof rightRoles)[number];

export function isRightRole(value: unknown): value is RightRole {
  return typeof value === "string" && (rightRoles as readonly string[]).includes(value);
}

export interface RightHolder {
  personId: number;
  fullName: string;
  phone: string | null;
  unitId: number;
  unitName: string;
  unitPath: string;
  role: RightRole;
  linkedAccounts: number;
  since: number;
}

/**
 * The rights held in a unit's subtree (or, with `actorId`, in the actor's "administer" scope; or
 * everywhere for the CLI), by unit then name.
 */
export async function listRights(
  db: Database,
  options: { actorId?: number | null; unitId?: number },
): Promise<RightHolder[]> {
  let ranges: [string, string][];
  if (options.unitId !== undefined) {
    if (options.actorId != null) await assertCan(db, options.actorId, "administer", options.unitId);
    ranges = [subtreeRange((await getUnit(db, options.unitId)).path)];
  } else if (options.actorId != null) {
    ranges = (await scopeRoots(db, options.actorId, "administer")).map((r) => subtreeRange(r.path));
    if (!ranges.length) return [];
  } else ranges = [["/", "0"]];
  const rows = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .innerJoin("Person as p", "p.id", "m.personId")
    .select([
      "p.id as personId",
      "p.fullName",
      "p.phone",
      "u.id as unitId",
      "u.name as unitName",
      "u.path as unitPath",
      "m.role",
      "p.linkedAccounts",
      "m.createdAt as since",
    ])
    .where("m.role", "in", rightRoles)
    .where((eb) => pathInRanges(eb, eb.ref("u.path"), ranges))
    .orderBy("u.path")
    .orderBy("p.nameKey")
    .orderBy("m.role")
    .execute();
  return rows.flatMap(({ role, ...r }) => (isRightRole(role) ? [{ ...r, role }] : []));
}

export interface GrantInput {
  unitId: number;
  role: RightRole;
  phone: string;
  /** The name the official typed; compared with the phone owner's. */
  fullName: string;
  /** Grant even though the names differ (after the person was shown). */
  confirmed?: boolean;
}

export type GrantResult =
  | { status: "granted"; personId: number; fullName: string; created: boolean }
  | { status: "already"; personId: number; fullName: string }
  | { status: "confirm"; personId: number; fullName: string; units: string[] };

/**
 * Gives a role on a unit to the person with this phone, creating them (with the typed name) when
 * nobody has it. When the phone's owner has another name (compared without diacritics or case),
 * returns "confirm" with who they are and grants nothing unless `confirmed`. Throws forbidden,
 * invalid_input (phone, fullName, role), unit_not_found.
 */
export async function grantRight(
  db: Database,
  { actorId, input, now, source }: { actorId: number | null; input: GrantInput; now: Date; source: AuditSource },
): Promise<GrantResult> {
  if (!isRightRole(input.role)) throw new AppError("invalid_input", { field: "role" });
  const phone = normalisePhone(input.phone ?? "");
  if (!phone) throw new AppError("invalid_input", { field: "phone" });
  const name = tidyText(input.fullName ?? "");
  if (!name || name.length > 200) throw new AppError("invalid_input", { field: "fullName" });
  const unit = await getUnit(db, input.unitId);
  const actor = actorOf(actorId, source);
  // Checked before anything is looked up: nobody without the right learns whose phone it is.
  await assertMayAssign(db, actor, unit.id, input.role);
  return db.transaction(async (): Promise<GrantResult> => {
    const owner = await db.kysely
      .selectFrom("Person")
      .select(["id", "fullName"])
      .where("phone", "=", phone)
      .executeTakeFirst();
    if (owner && foldVietnamese(owner.fullName) !== foldVietnamese(name) && !input.confirmed) {
      // One name per unit, in tree order (a person may hold several roles on one unit).
      const rows = await db.kysely
        .selectFrom("Membership as m")
        .innerJoin("Unit as u", "u.id", "m.unitId")
        .select(["u.name", "u.path"])
        .distinct()
        .where("m.personId", "=", owner.id)
        .orderBy("u.path")
        .execute();
      const units = [...new Set(rows.map((u) => u.name))];
      return { status: "confirm", personId: owner.id, fullName: owner.fullName, units };
    }
    const person = owner ?? (await createPerson(db, { fullName: name, phone }, now));
    if (
      await db.kysely
        .selectFrom("Membership")
        .select("id")
        .where("personId", "=", person.id)
        .where("unitId", "=", unit.id)
        .where("role", "=", input.role)
        .executeTakeFirst()
    )
      return { status: "already", personId: person.id, fullName: person.fullName };
    await addMembership(db, { actor, personId: person.id, unitId: unit.id, role: input.role, title: null, now });
    await recordAudit(
      db,
      {
        actorPersonId: actorId,
        source,
        action: "rights.grant",
        entityType: "Person",
        entityId: person.id,
        detail: { unitId: unit.id, role: input.role },
      },
      now,
    );
    return { status: "granted", personId: person.id, fullName: person.fullName, created: !owner };
  });
}

/**
 * Takes a role on a unit away from a person (their other memberships stay; their web sessions
 * end with their last right, as sessions check rights on every request). Returns false when they
 * did not hold it. Throws forbidden (see `assertMayAssign`: an admin's right is taken only by an
 * admin above, so nobody revokes their own last one), invalid_input (role), unit_not_found.
 */
export async function revokeRight(
  db: Database,
  {
    actorId,
    input,
    now,
    source,
  }: {
    actorId: number | null;
    input: { personId: number; unitId: number; role: RightRole };
    now: Date;
    source: AuditSource;
  },
): Promise<boolean> {
  if (!isRightRole(input.role)) throw new AppError("invalid_input", { field: "role" });
  const unit = await getUnit(db, input.unitId);
  const actor = actorOf(actorId, source);
  await assertMayAssign(db, actor, unit.id, input.role);
  return db.transaction(async () => {
    const removed =
      (await removeMembership(db, { actor, personId: input.personId, unitId: unit.id, role: input.role })) > 0;
    if (removed)
      await recordAudit(
        db,
        {
          actorPersonId: actorId,
          source,
          action: "rights.revoke",
          entityType: "Person",
          entityId: input.personId,
          detail: { unitId: unit.id, role: input.role },
        },
        now,
      );
    return removed;
  });
}
