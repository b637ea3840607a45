/**
 * Who can appear in a subtree's audit log as the one who acted: the people holding cadre,
 * official or admin rights on the unit, inside its subtree or above it (a province official
 * answers a commune's concern). For the "who" filter of the audit page.
 */
import type { Database } from "../../storage/database.ts";
import { assertActorCan, type Actor } from "../access/actor.ts";
import { findUnit, subtreeRange } from "../units/unit-service.ts";

export interface AuditActorChoice {
  personId: number;
  fullName: string;
}

/** At most this many choices (by name). */
export const MAX_AUDIT_ACTOR_CHOICES = 500;

/**
 * The rights holders of the unit's subtree and of its ancestors, by name. Throws unit_not_found,
 * forbidden unless the actor may read the unit.
 */
export async function auditActorChoices(db: Database, actor: Actor, unitId: number): Promise<AuditActorChoice[]> {
  const unit = await findUnit(db, unitId);
  await assertActorCan(db, actor, "read", unit.id);
  const [lo, hi] = subtreeRange(unit.path);
  const ancestors = unit.path.split("/").filter(Boolean).map(Number);
  return db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .innerJoin("Person as p", "p.id", "m.personId")
    .select(["p.id as personId", "p.fullName", "p.nameKey"])
    .distinct()
    .where("m.role", "in", ["cadre", "official", "admin"])
    .where((eb) => eb.or([eb("u.id", "in", ancestors), eb.and([eb("u.path", ">=", lo), eb("u.path", "<", hi)])]))
    .orderBy("p.nameKey")
    .orderBy("p.id")
    .limit(MAX_AUDIT_ACTOR_CHOICES)
    .execute()
    .then((rows) => rows.map((r) => ({ personId: r.personId, fullName: r.fullName })));
}
