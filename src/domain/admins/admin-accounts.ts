/**
 * Where to reach the admins in chat (service alerts: a platform down or back, the Zalo login lost).
 * Written on the typed data layer (both engines).
 */
import type { Database } from "../../storage/database.ts";

/** A reachable chat account of a person holding an admin role somewhere. */
export interface AdminChatAccount {
  id: number;
  platform: string;
  externalId: string;
  personId: number;
  /** The person's language ("vi" or "en" as stored). */
  locale: string;
}

/**
 * The reachable chat accounts of every admin, on any platform except those in `exceptPlatforms`,
 * by account id.
 */
export async function adminChatAccounts(db: Database, exceptPlatforms: readonly string[]): Promise<AdminChatAccount[]> {
  let q = db.kysely
    .selectFrom("ChatAccount as a")
    .innerJoin("Person as p", "p.id", "a.personId")
    .select(["a.id", "a.platform", "a.externalId", "p.id as personId", "p.locale"])
    .where("a.unreachable", "=", false)
    .where("a.personId", "in", (eb) => eb.selectFrom("Membership").select("personId").where("role", "=", "admin"))
    .orderBy("a.id");
  if (exceptPlatforms.length) q = q.where("a.platform", "not in", exceptPlatforms);
  return await q.execute();
}
