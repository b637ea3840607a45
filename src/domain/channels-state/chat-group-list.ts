/**
 * The chat groups the bots have seen, for `chihoi groups list`. Written on the typed data layer
 * (both engines).
 */
import type { Database } from "../../storage/database.ts";

/** A chat group with the name of the unit it is tied to (if any). */
export interface ChatGroupListing {
  id: number;
  platform: string;
  title: string | null;
  externalId: string;
  unitName: string | null;
  allowed: boolean;
}

/** Every chat group, oldest first. */
export async function listChatGroups(db: Database): Promise<ChatGroupListing[]> {
  return await db.kysely
    .selectFrom("ChatGroup as g")
    .leftJoin("Unit as u", "u.id", "g.unitId")
    .select(["g.id", "g.platform", "g.title", "g.externalId", "u.name as unitName", "g.allowed"])
    .orderBy("g.id")
    .execute();
}
