/**
 * The demo's one-click sign-in: which demo people with workplace rights the sign-in page offers.
 * Written on the typed data layer (both engines).
 */
import type { Database } from "../../storage/database.ts";

/** A demo person the sign-in page offers, with one of their workplace roles and its unit. */
export interface DemoWorkplacePerson {
  id: number;
  fullName: string;
  role: string;
  unitName: string;
}

/**
 * Every workplace role held by demo people, highest role first (admin, official, cadre), then by
 * person id. The caller picks one person per role.
 */
export async function demoWorkplaceRoles(db: Database): Promise<DemoWorkplacePerson[]> {
  return await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Person as p", "p.id", "m.personId")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .select(["p.id", "p.fullName", "m.role", "u.name as unitName"])
    .where("p.isDemo", "=", true)
    .where("m.role", "in", ["cadre", "official", "admin"])
    .orderBy((eb) =>
      eb.case().when("m.role", "=", "admin").then(0).when("m.role", "=", "official").then(1).else(2).end(),
    )
    .orderBy("p.id")
    .execute();
}
