/**
 * The message log: every message in and out. An inbound message is stored before the platform is
 * acknowledged, keyed by (platform, platform event id) so that a platform's duplicate is recognised.
 */
import type { Database } from "../../storage/database.ts";

export interface InboundRecord {
  platform: string;
  chatId: string;
  chatType: string;
  senderExternalId: string;
  kind: string;
  text?: string | null;
  payload?: string | null;
  platformEventId: string;
  platformMessageId?: string | null;
  replyToMessageId?: string | null;
  at: Date;
}

/**
 * Longest message text kept whole (characters). The inbox cuts a longer text to this length and
 * appends a note saying how much was cut, before storing and handling it (README "Security").
 */
export const maxMessageText = 20_000;

/** Safety net for callers that bypass the inbox: nothing longer than this reaches the log. */
export const maxLoggedText = maxMessageText + 500;

function clip(text: string | null | undefined): string | null {
  if (text == null) return null;
  return text.length > maxLoggedText ? `${text.slice(0, maxLoggedText)}…[+${text.length - maxLoggedText}]` : text;
}

export interface StoredInbound {
  id: number;
  /** True when this event was already stored (a platform duplicate). */
  duplicate: boolean;
  status: string;
}

/** Stores an inbound message once. A duplicate returns the existing row with duplicate = true. */
export async function recordInbound(db: Database, m: InboundRecord): Promise<StoredInbound> {
  const inserted = await db.sql.get<{ id: number }>(
    `INSERT INTO MessageLog (direction, platform, chatId, chatType, senderExternalId, kind, text, payload,
       platformEventId, platformMessageId, replyToMessageId, status, createdAt)
     VALUES ('in', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?)
     ON CONFLICT (platform, platformEventId) DO NOTHING RETURNING id`,
    m.platform, m.chatId, m.chatType, m.senderExternalId, m.kind, clip(m.text), clip(m.payload),
    m.platformEventId, m.platformMessageId ?? null, m.replyToMessageId ?? null, m.at.getTime(),
  );
  if (inserted) return { id: inserted.id, duplicate: false, status: "received" };
  const existing = (await db.sql.get<{ id: number; status: string }>(
    `SELECT id, status FROM MessageLog WHERE platform = ? AND platformEventId = ?`,
    m.platform, m.platformEventId,
  ))!;
  return { id: existing.id, duplicate: true, status: existing.status };
}

/** Notes who sent an inbound message, what it concerned and that it was handled (or failed). */
export async function completeInbound(
  db: Database,
  id: number,
  update: { status: "handled" | "failed" | "ignored"; chatAccountId?: number | null; personId?: number | null; entityType?: string | null; entityId?: number | null },
): Promise<void> {
  await db.sql.run(
    `UPDATE MessageLog SET status = ?, chatAccountId = COALESCE(?, chatAccountId), personId = COALESCE(?, personId),
       entityType = COALESCE(?, entityType), entityId = COALESCE(?, entityId) WHERE id = ?`,
    update.status, update.chatAccountId ?? null, update.personId ?? null, update.entityType ?? null, update.entityId ?? null, id,
  );
}

export interface OutboundRecord {
  platform: string;
  chatId: string;
  chatType: string;
  chatAccountId?: number | null;
  personId?: number | null;
  text: string;
  payload?: string | null;
  platformMessageId?: string | null;
  replyToMessageId?: string | null;
  entityType?: string | null;
  entityId?: number | null;
  outboxId?: number | null;
  at: Date;
}

export async function recordOutbound(db: Database, m: OutboundRecord): Promise<number> {
  return (await db.sql.run(
    `INSERT INTO MessageLog (direction, platform, chatId, chatType, chatAccountId, personId, kind, text, payload,
       platformMessageId, replyToMessageId, entityType, entityId, outboxId, status, createdAt)
     VALUES ('out', ?, ?, ?, ?, ?, 'text', ?, ?, ?, ?, ?, ?, ?, 'sent', ?)`,
    m.platform, m.chatId, m.chatType, m.chatAccountId ?? null, m.personId ?? null, clip(m.text), m.payload ?? null,
    m.platformMessageId ?? null, m.replyToMessageId ?? null, m.entityType ?? null, m.entityId ?? null, m.outboxId ?? null, m.at.getTime(),
  )).lastInsertRowid;
}

/** The entity an outbound message concerned, found by its platform message id (for reply-to). */
export async function entityOfMessage(db: Database, platform: string, chatId: string, platformMessageId: string): Promise<{ entityType: string; entityId: number } | undefined> {
  return await db.sql.get<{ entityType: string; entityId: number }>(
    `SELECT entityType, entityId FROM MessageLog WHERE platform = ? AND chatId = ? AND platformMessageId = ? AND direction = 'out' AND entityType IS NOT NULL
     ORDER BY id DESC LIMIT 1`,
    platform, chatId, platformMessageId,
  );
}

/** Inbound messages stored but not handled (a crash between storing and handling). */
export async function unhandledInbound(db: Database, olderThan: Date, limit = 100): Promise<(InboundRecord & { id: number })[]> {
  return (await db.sql
    .all<{ id: number; platform: string; chatId: string; chatType: string; senderExternalId: string; kind: string; text: string | null; payload: string | null; platformEventId: string; platformMessageId: string | null; replyToMessageId: string | null; createdAt: number }>(
      `SELECT id, platform, chatId, chatType, senderExternalId, kind, text, payload, platformEventId, platformMessageId, replyToMessageId, createdAt
       FROM MessageLog WHERE status = 'received' AND direction = 'in' AND createdAt < ? ORDER BY id LIMIT ?`,
      olderThan.getTime(), limit,
    ))
    .map((r) => ({ ...r, at: new Date(r.createdAt) }));
}

export interface ChatLine {
  id: number;
  direction: "in" | "out";
  text: string | null;
  payload: string | null;
  createdAt: number;
}

/** The last messages of a chat, oldest first (web chat history). */
export async function chatHistory(db: Database, platform: string, chatId: string, limit = 50): Promise<ChatLine[]> {
  return (await db.sql
    .all<ChatLine>(
      `SELECT id, direction, text, payload, createdAt FROM MessageLog WHERE platform = ? AND chatId = ? ORDER BY id DESC LIMIT ?`,
      platform, chatId, limit,
    ))
    .reverse();
}

/** Marks an inbound message kept but not handled because its sender was flooding. */
export async function markThrottled(db: Database, logId: number): Promise<void> {
  await db.sql.run(`UPDATE MessageLog SET status = 'throttled' WHERE id = ?`, logId);
}
