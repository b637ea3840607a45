/**
 * What a channel keeps between runs in the Setting table (the Zalo login, encrypted, and the Zalo
 * channel's status): one text value per key, with the time it was written. The channels hold no
 * SQL; they read and write through here. Written on the typed data layer (both engines).
 */
import type { Database } from "../../storage/database.ts";

/** The stored value and when it was written, or undefined when the key was never written. */
export async function readChannelSetting(
  db: Database,
  key: string,
): Promise<{ value: string; updatedAt: number } | undefined> {
  return await db.kysely.selectFrom("Setting").select(["value", "updatedAt"]).where("key", "=", key).executeTakeFirst();
}

/** Writes (inserts or replaces) the value of `key`, stamped `now`. One statement: atomic on both engines. */
export async function writeChannelSetting(db: Database, key: string, value: string, now: Date): Promise<void> {
  await db.kysely
    .insertInto("Setting")
    .values({ key, value, updatedAt: now.getTime() })
    .onConflict((oc) =>
      oc
        .column("key")
        .doUpdateSet((eb) => ({ value: eb.ref("excluded.value"), updatedAt: eb.ref("excluded.updatedAt") })),
    )
    .execute();
}

/**
 * Writes the value of `key` only if it was last written at `expectedUpdatedAt` (null: only if it
 * is not there). One statement, atomic on both engines. Returns true when it wrote; false when
 * another writer came first.
 */
export async function replaceChannelSetting(
  db: Database,
  { key, value, now, expectedUpdatedAt }: { key: string; value: string; now: Date; expectedUpdatedAt: number | null },
): Promise<boolean> {
  if (expectedUpdatedAt === null) {
    const row = await db.kysely
      .insertInto("Setting")
      .values({ key, value, updatedAt: now.getTime() })
      .onConflict((oc) => oc.column("key").doNothing())
      .returning("key")
      .executeTakeFirst();
    return row !== undefined;
  }
  const result = await db.kysely
    .updateTable("Setting")
    .set({ value, updatedAt: now.getTime() })
    .where("key", "=", key)
    .where("updatedAt", "=", expectedUpdatedAt)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Removes `key` (nothing happens when it is not there). */
export async function deleteChannelSetting(db: Database, key: string): Promise<void> {
  await db.kysely.deleteFrom("Setting").where("key", "=", key).execute();
}
