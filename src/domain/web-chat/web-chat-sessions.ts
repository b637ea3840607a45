/**
 * Server-issued sessions of the local web chat (table WebSession). The cookie holds a random
 * secret; only its hash (the session id) is stored. Sessions slide on use and expire when idle.
 * Written on the typed data layer (both engines).
 */
import type { Database } from "../../storage/database.ts";

/** The session when it exists and has not expired; its expiry slides, written at most once a minute. */
export async function touchWebChatSession(
  db: Database,
  id: string,
  idleMs: number,
  now = Date.now(),
): Promise<boolean> {
  const row = await db.kysely
    .selectFrom("WebSession")
    .select(["expiresAt", "lastSeenAt"])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row || row.expiresAt <= now) return false;
  if (now - row.lastSeenAt > 60_000)
    await db.kysely
      .updateTable("WebSession")
      .set({ lastSeenAt: now, expiresAt: now + idleMs })
      .where("id", "=", id)
      .execute();
  return true;
}

/**
 * Opens a session for a source address, unless that address opened `perAddressPerHour` or more in
 * the last hour (then false). Expired sessions are removed on the way.
 */
export async function openWebChatSession(
  db: Database,
  {
    id,
    source,
    idleMs,
    perAddressPerHour,
    now = Date.now(),
  }: { id: string; source: string; idleMs: number; perAddressPerHour: number; now?: number },
): Promise<boolean> {
  return await db.transaction(async () => {
    const { recent } = await db.kysely
      .selectFrom("WebSession")
      .select((eb) => eb.fn.countAll<number>().as("recent"))
      .where("source", "=", source)
      .where("createdAt", ">", now - 3_600_000)
      .executeTakeFirstOrThrow();
    if (Number(recent) >= perAddressPerHour) return false;
    await db.kysely.deleteFrom("WebSession").where("expiresAt", "<=", now).execute();
    await db.kysely
      .insertInto("WebSession")
      .values({ id, source, createdAt: now, expiresAt: now + idleMs, lastSeenAt: now })
      .execute();
    return true;
  });
}
