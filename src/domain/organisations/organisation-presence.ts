/**
 * Whether a database holds organisations yet (the service chooses demo mode on an empty one) and
 * small lookups the command line needs. Written on the typed data layer (both engines).
 */
import type { Database } from "../../storage/database.ts";

/** True when the database holds at least one real (not demo) organisation. */
export async function hasRealOrganisation(db: Database): Promise<boolean> {
  return (
    (await db.kysely
      .selectFrom("Organisation")
      .select("id")
      .where("isDemo", "=", false)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}

/** True when the database holds the demo organisation. */
export async function hasDemoOrganisation(db: Database): Promise<boolean> {
  return (
    (await db.kysely.selectFrom("Organisation").select("id").where("isDemo", "=", true).limit(1).executeTakeFirst()) !==
    undefined
  );
}

/** The code of an organisation, or undefined when there is no such organisation. */
export async function organisationCode(db: Database, organisationId: number): Promise<string | undefined> {
  return (await db.kysely.selectFrom("Organisation").select("code").where("id", "=", organisationId).executeTakeFirst())
    ?.code;
}
