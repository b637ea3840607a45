/**
 * What a channel keeps between runs in the Setting table (the Zalo login, encrypted, and the Zalo
 * channel's status): one text value per key, with the time it was written. The channels hold no
 * SQL; they read and write through here. Written on the typed data layer (both engines).
 */
import type { Database } from "../../storage/database.ts";

/** The stored value and when it was written, or undefined when the key was never written. */
export async function readChannelSetting(db: Database, key: string): Promise<{ value: string; updatedAt: number } | undefined> {
  return await db.kysely.selectFrom("Setting").select(["value", "updatedAt"]).where("key", "=", key).executeTakeFirst();
}

/** Writes (inserts or replaces) the value of `key`, stamped `now`. One statement: atomic on both engines. */
export async function writeChannelSetting(db: Database, key: string, value: string, now: Date): Promise<void> {
  await db.kysely
    .insertInto("Setting")
    .values({ key, value, updatedAt: now.getTime() })
    .onConflict((oc) => oc.column("key").doUpdateSet((eb) => ({ value: eb.ref("excluded.value"), updatedAt: eb.ref("excluded.updatedAt") })))
    .execute();
}

/** Removes `key` (nothing happens when it is not there). */
export async function deleteChannelSetting(db: Database, key: string): Promise<void> {
  await db.kysely.deleteFrom("Setting").where("key", "=", key).execute();
}
