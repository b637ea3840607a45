/**
 * Server-issued sessions of the local web chat (table WebSession). The cookie holds a random
 * secret; only its hash (the session id) is stored. Sessions slide on use and expire when idle.
 */
import type { Database } from "../../storage/database.ts";

/** The session when it exists and has not expired; its expiry slides, written at most once a minute. */
export async function touchWebChatSession(db: Database, id: string, idleMs: number, now = Date.now()): Promise<boolean> {
  const row = await db.sql.get<{ expiresAt: number; lastSeenAt: number }>(`SELECT expiresAt, lastSeenAt FROM WebSession WHERE id = ?`, id);
  if (!row || row.expiresAt <= now) return false;
  if (now - row.lastSeenAt > 60_000) await db.sql.run(`UPDATE WebSession SET lastSeenAt = ?, expiresAt = ? WHERE id = ?`, now, now + idleMs, id);
  return true;
}

/**
 * Opens a session for a source address, unless that address opened `perAddressPerHour` or more in
 * the last hour (then false). Expired sessions are removed on the way.
 */
export async function openWebChatSession(db: Database, id: string, source: string, idleMs: number, perAddressPerHour: number, now = Date.now()): Promise<boolean> {
  return await db.transaction(async () => {
    const recent = (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM WebSession WHERE source = ? AND createdAt > ?`, source, now - 3_600_000))!.n;
    if (recent >= perAddressPerHour) return false;
    await db.sql.run(`DELETE FROM WebSession WHERE expiresAt <= ?`, now);
    await db.sql.run(`INSERT INTO WebSession (id, source, createdAt, expiresAt, lastSeenAt) VALUES (?, ?, ?, ?, ?)`, id, source, now, now + idleMs, now);
    return true;
  });
}
