/**
 * Chat accounts: one row per (platform, external id). An account links to at most one person; a
 * person may link several accounts, one of them preferred for broadcasts.
 */
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";

export const platforms = ["telegram", "zalo", "zalo_bot", "web"] as const;
export type Platform = (typeof platforms)[number];

export interface ChatAccountRow {
  id: number;
  platform: Platform;
  externalId: string;
  personId: number | null;
  displayName: string | null;
  preferred: number;
  unreachable: number;
  backoffUntil: number | null;
  linkedAt: number | null;
}

const accountColumns = `id, platform, externalId, personId, displayName, preferred, unreachable, backoffUntil, linkedAt`;

/** Finds or creates the account of a platform user and notes when it was last seen. */
export async function ensureChatAccount(
  db: Database,
  platform: Platform,
  externalId: string,
  displayName: string | null = null,
  now = new Date(),
): Promise<ChatAccountRow> {
  // Most messages come from an account seen a moment ago: read it without writing.
  const seen = await db.sql.get<ChatAccountRow & { lastSeenAt: number | null; unreachable: number }>(
    `SELECT ${accountColumns}, lastSeenAt FROM ChatAccount WHERE platform = ? AND externalId = ?`,
    platform, externalId,
  );
  if (seen && !seen.unreachable && (seen.lastSeenAt ?? 0) > now.getTime() - 60_000 && (displayName === null || displayName === seen.displayName)) {
    const { lastSeenAt: _ignored, ...row } = seen;
    return row;
  }
  return (await db.sql.get<ChatAccountRow>(
    `INSERT INTO ChatAccount (platform, externalId, displayName, createdAt, lastSeenAt) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (platform, externalId) DO UPDATE SET lastSeenAt = excluded.lastSeenAt,
       displayName = COALESCE(excluded.displayName, displayName),
       unreachable = 0
     RETURNING ${accountColumns}`,
    platform, externalId, displayName, now.getTime(), now.getTime(),
  ))!;
}

/** Returns an account. Throws not_found. */
export async function getAccount(db: Database, id: number): Promise<ChatAccountRow> {
  const row = await db.sql.get<ChatAccountRow>(`SELECT ${accountColumns} FROM ChatAccount WHERE id = ?`, id);
  if (!row) throw new AppError("not_found", { what: "account" });
  return row;
}

export async function findAccount(db: Database, platform: string, externalId: string): Promise<ChatAccountRow | undefined> {
  return await db.sql.get<ChatAccountRow>(`SELECT ${accountColumns} FROM ChatAccount WHERE platform = ? AND externalId = ?`, platform, externalId);
}

export async function accountsOfPerson(db: Database, personId: number): Promise<ChatAccountRow[]> {
  return await db.sql.all<ChatAccountRow>(
    `SELECT ${accountColumns} FROM ChatAccount WHERE personId = ? ORDER BY preferred DESC, linkedAt`,
    personId,
  );
}

/**
 * The account a broadcast to this person should use: the preferred one when reachable, otherwise
 * another reachable linked account (web chat last), or undefined when none is reachable.
 */
export async function deliveryAccount(db: Database, personId: number): Promise<ChatAccountRow | undefined> {
  return await db.sql.get<ChatAccountRow>(
    `SELECT ${accountColumns} FROM ChatAccount WHERE personId = ? AND unreachable = 0
     ORDER BY preferred DESC, CASE platform WHEN 'web' THEN 1 ELSE 0 END, linkedAt LIMIT 1`,
    personId,
  );
}

/** Marks an account unreachable (blocked the bot, deactivated): broadcasts fall back to another. */
export async function markUnreachable(db: Database, accountId: number, now = new Date()): Promise<void> {
  await db.sql.run(`UPDATE ChatAccount SET unreachable = 1, unreachableAt = ? WHERE id = ?`, now.getTime(), accountId);
}

/** Makes one of a person's accounts the preferred one. Throws not_found. */
export async function setPreferredAccount(db: Database, personId: number, accountId: number): Promise<void> {
  await db.transaction(async () => {
    const acc = await getAccount(db, accountId);
    if (acc.personId !== personId) throw new AppError("not_found", { what: "account" });
    await db.sql.run(`UPDATE ChatAccount SET preferred = (id = ?) WHERE personId = ?`, accountId, personId);
  });
}
