/**
 * Small read-only facts about one person for the web workplace's pages (a name in a message, the
 * accounts and units shown beside a concern). Written on the typed data layer (both engines).
 */
import type { Database } from "../../storage/database.ts";

/** The person's full name, or "" when there is no such person. */
export async function personName(db: Database, personId: number): Promise<string> {
  return (
    (await db.kysely.selectFrom("Person").select("fullName").where("id", "=", personId).executeTakeFirst())?.fullName ??
    ""
  );
}

/** The person's chat accounts (platform and shown name), preferred first, then by age. */
export async function personChatAccounts(
  db: Database,
  personId: number,
): Promise<{ platform: string; displayName: string | null }[]> {
  return await db.kysely
    .selectFrom("ChatAccount")
    .select(["platform", "displayName"])
    .where("personId", "=", personId)
    .orderBy("preferred", "desc")
    .orderBy("id")
    .execute();
}

/** The names of the units the person is a member of (once each), in tree order. */
export async function personUnitNames(db: Database, personId: number): Promise<{ name: string }[]> {
  const rows = await db.kysely
    .selectFrom("Membership as m")
    .innerJoin("Unit as u", "u.id", "m.unitId")
    .select(["u.name", "u.path"])
    .where("m.personId", "=", personId)
    .orderBy("u.path")
    .execute();
  // Once per unit name, as the former SELECT DISTINCT did (PostgreSQL refuses DISTINCT with an
  // ORDER BY on a column not selected, so the order column is selected and the repeats dropped here).
  const seen = new Set<string>();
  return rows.flatMap((r) => (seen.has(r.name) ? [] : (seen.add(r.name), [{ name: r.name }])));
}
