/**
 * Per chat account conversation context: at most one pending question, with an expiry, so that a
 * bare "1", "có" or "ok" is understood while a question is open and not otherwise.
 */
import type { Database } from "../storage/database.ts";

export interface PendingQuestion<T = Record<string, unknown>> {
  kind: string;
  data: T & { choices?: string[] };
  expiresAt: number;
}

/** The open question of an account, or undefined when none is open (or it expired). */
export async function getPendingQuestion(db: Database, chatAccountId: number, now = new Date()): Promise<PendingQuestion | undefined> {
  const row = await db.sql.get<{ kind: string; data: string; expiresAt: number }>(
    `SELECT kind, data, expiresAt FROM ConversationState WHERE chatAccountId = ?`,
    chatAccountId,
  );
  if (!row || row.expiresAt <= now.getTime()) return undefined;
  try {
    return { kind: row.kind, data: JSON.parse(row.data), expiresAt: row.expiresAt };
  } catch {
    return undefined;
  }
}

/** Opens a question for an account, replacing any other. */
export async function setPendingQuestion(db: Database, chatAccountId: number, kind: string, data: Record<string, unknown>, expiresAt: Date, now = new Date()): Promise<void> {
  await db.sql.run(
    `INSERT INTO ConversationState (chatAccountId, kind, data, expiresAt, updatedAt) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (chatAccountId) DO UPDATE SET kind = excluded.kind, data = excluded.data, expiresAt = excluded.expiresAt, updatedAt = excluded.updatedAt`,
    chatAccountId, kind, JSON.stringify(data), expiresAt.getTime(), now.getTime(),
  );
}

/** Closes the account's question (only if it is still of `kind`, when given). */
export async function clearPendingQuestion(db: Database, chatAccountId: number, kind?: string): Promise<void> {
  if (kind) await db.sql.run(`DELETE FROM ConversationState WHERE chatAccountId = ? AND kind = ?`, chatAccountId, kind);
  else await db.sql.run(`DELETE FROM ConversationState WHERE chatAccountId = ?`, chatAccountId);
}

/**
 * Flows a person is in the middle of (typing a meeting, a directive, attendance, an answer to a
 * ticket): a broadcast's one-tap question does not replace them until they expire. Every other
 * question (a concern confirmation, a language choice, an earlier reminder…) gives way to the
 * newest one, so that "1" or "có" answers the message the person just received.
 */
export const protectedQuestionKinds = ["meeting_new", "directive_new", "attendance", "ticket_answer", "ticket_escalate", "rsvp_reason"] as const;
const protectedList = protectedQuestionKinds.map((k) => `'${k}'`).join(", ");

/** The tail of an INSERT INTO ConversationState that respects `protectedQuestionKinds`. */
export const upsertQuestionTail = `ON CONFLICT (chatAccountId) DO UPDATE SET kind = excluded.kind, data = excluded.data, expiresAt = excluded.expiresAt, updatedAt = excluded.updatedAt
  WHERE ConversationState.expiresAt <= excluded.updatedAt OR ConversationState.kind NOT IN (${protectedList})`;

/**
 * Opens a one-tap question on an account unless the person is in the middle of a multi-step flow
 * (see `protectedQuestionKinds`).
 */
export async function offerQuestion(db: Database, chatAccountId: number, kind: string, data: Record<string, unknown>, expiresAt: Date, now: Date): Promise<void> {
  await db.sql.run(
    `INSERT INTO ConversationState (chatAccountId, kind, data, expiresAt, updatedAt) VALUES (?, ?, ?, ?, ?) ${upsertQuestionTail}`,
    chatAccountId, kind, JSON.stringify(data), expiresAt.getTime(), now.getTime(),
  );
}
