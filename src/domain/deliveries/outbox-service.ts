/**
 * The outbox: a durable queue of outbound messages. Rows move pending → sending (claimed with a
 * lease) → sent | failed | unreachable. A crash leaves claimed rows to be re-claimed when their
 * lease ends, so at most the messages in flight at the crash can be sent twice; everything else is
 * sent exactly once.
 */
import type { Database } from "../../storage/database.ts";

export const priorities = { reply: 0, normal: 5, broadcast: 9 } as const;

export interface OutboxBody {
  text: string;
  choices?: { label: string; payload: string }[];
  replyTo?: string;
  locale?: "vi" | "en";
}

export interface OutboxItem {
  platform: string;
  chatId: string;
  chatType?: "private" | "group";
  chatAccountId?: number | null;
  personId?: number | null;
  priority?: number;
  body: OutboxBody;
  entityType?: string | null;
  entityId?: number | null;
  /** Enqueueing the same key twice is a no-op. */
  dedupeKey?: string | null;
  notBefore?: Date;
}

export interface OutboxRow {
  id: number;
  platform: string;
  chatId: string;
  chatType: "private" | "group";
  chatAccountId: number | null;
  personId: number | null;
  priority: number;
  body: string;
  entityType: string | null;
  entityId: number | null;
  attempts: number;
  notBefore: number;
  dedupeKey: string | null;
}

const rowColumns = `id, platform, chatId, chatType, chatAccountId, personId, priority, body, entityType, entityId, attempts, notBefore, dedupeKey`;

const insertSql = `INSERT INTO Outbox (platform, chatId, chatType, chatAccountId, personId, priority, body, entityType, entityId, dedupeKey, status, attempts, notBefore, createdAt)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (dedupeKey) DO NOTHING`;

function insert(db: Database, item: OutboxItem, now: Date): number | null {
  const r = db.sql.run(
    insertSql,
    item.platform, item.chatId, item.chatType ?? "private", item.chatAccountId ?? null, item.personId ?? null,
    item.priority ?? priorities.normal, JSON.stringify(item.body), item.entityType ?? null, item.entityId ?? null,
    item.dedupeKey ?? null, (item.notBefore ?? now).getTime(), now.getTime(),
  );
  return r.changes ? r.lastInsertRowid : null;
}

/** Queues one message. Returns its id, or null when its dedupe key was already queued. */
export function enqueue(db: Database, item: OutboxItem, now = new Date()): number | null {
  return insert(db, item, now);
}

/** Queues many messages in one transaction (a broadcast). Returns how many were new. */
export function enqueueMany(db: Database, items: Iterable<OutboxItem>, now = new Date()): number {
  return db.sql.transaction(() => {
    let n = 0;
    for (const item of items) if (insert(db, item, now) !== null) n++;
    return n;
  });
}

/** Pending rows of a platform that are due, best first (priority, then age). */
export function dueCandidates(db: Database, platform: string, now: Date, limit: number): OutboxRow[] {
  return db.sql.all<OutboxRow>(
    `SELECT ${rowColumns} FROM Outbox WHERE status = 'pending' AND platform = ? AND notBefore <= ?
     ORDER BY priority, id LIMIT ?`,
    platform, now.getTime(), limit,
  );
}

/**
 * Claims the given rows for a worker. Only rows still pending are claimed (another process may
 * have taken some), so the result can be shorter than `ids`.
 */
export function claim(db: Database, ids: number[], workerId: string, leaseUntil: Date): OutboxRow[] {
  if (!ids.length) return [];
  // One statement: atomic on its own, and cheaper than a transaction of single-row updates.
  const rows = db.sql.all<OutboxRow>(
    `UPDATE Outbox SET status = 'sending', claimedBy = ?, leaseUntil = ?, attempts = attempts + 1
     WHERE id IN (${ids.map(() => "?").join(",")}) AND status = 'pending' RETURNING ${rowColumns}`,
    workerId, leaseUntil.getTime(), ...ids,
  );
  // RETURNING gives no order guarantee; keep the caller's (priority) order.
  const order = new Map(ids.map((id, i) => [id, i]));
  return rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

export type AttemptOutcome = "sent" | "retry" | "rate_limited" | "unreachable" | "failed";

function recordAttempt(db: Database, outboxId: number, outcome: AttemptOutcome, now: Date, detail: { errorCode?: number; error?: string; retryAfter?: number } = {}): void {
  db.sql.run(
    `INSERT INTO DeliveryAttempt (outboxId, outcome, errorCode, error, retryAfter, createdAt) VALUES (?, ?, ?, ?, ?, ?)`,
    outboxId, outcome, detail.errorCode ?? null, detail.error?.slice(0, 500) ?? null, detail.retryAfter ?? null, now.getTime(),
  );
}

/** Marks a claimed row sent (only if this worker still holds it) and records the attempt. */
export function markSent(db: Database, id: number, workerId: string, platformMessageId: string | null, now = new Date()): boolean {
  const r = db.sql.run(
    `UPDATE Outbox SET status = 'sent', sentAt = ?, platformMessageId = ?, leaseUntil = NULL, lastError = NULL
     WHERE id = ? AND claimedBy = ? AND status = 'sending'`,
    now.getTime(), platformMessageId, id, workerId,
  );
  recordAttempt(db, id, "sent", now);
  return r.changes > 0;
}

/** Puts a claimed row back to pending, to be tried at `notBefore`. */
export function reschedule(
  db: Database,
  id: number,
  outcome: "retry" | "rate_limited",
  notBefore: Date,
  now: Date,
  detail: { errorCode?: number; error?: string; retryAfter?: number } = {},
): void {
  db.sql.run(
    `UPDATE Outbox SET status = 'pending', notBefore = ?, leaseUntil = NULL, claimedBy = NULL, lastError = ?,
       attempts = CASE WHEN ? = 'rate_limited' THEN MAX(attempts - 1, 0) ELSE attempts END
     WHERE id = ?`,
    notBefore.getTime(), detail.error?.slice(0, 500) ?? null, outcome, id,
  );
  recordAttempt(db, id, outcome, now, detail);
}

/** Ends a row without sending it: failed (gave up) or unreachable (blocked, deactivated). */
export function markFinal(db: Database, id: number, status: "failed" | "unreachable", now: Date, detail: { errorCode?: number; error?: string } = {}): void {
  db.sql.run(
    `UPDATE Outbox SET status = ?, leaseUntil = NULL, lastError = ? WHERE id = ?`,
    status, detail.error?.slice(0, 500) ?? null, id,
  );
  recordAttempt(db, id, status === "failed" ? "failed" : "unreachable", now, detail);
}

/**
 * Returns rows whose lease ended (their worker died) to pending. Returns how many. A live worker
 * passes its own id: rows it holds are in flight, not abandoned, however long the send takes.
 */
export function recoverExpiredLeases(db: Database, now = new Date(), ownWorkerId = ""): number {
  return db.sql.run(
    `UPDATE Outbox SET status = 'pending', claimedBy = NULL, leaseUntil = NULL WHERE status = 'sending' AND leaseUntil < ? AND claimedBy IS NOT ?`,
    now.getTime(), ownWorkerId,
  ).changes;
}

/** When the next pending row of the platform becomes due (ms), or null when none is pending. */
export function nextDueAt(db: Database, platform: string): number | null {
  return db.sql.get<{ t: number | null }>(`SELECT MIN(notBefore) AS t FROM Outbox WHERE status = 'pending' AND platform = ?`, platform)?.t ?? null;
}

export function getOutboxRow(db: Database, id: number): (OutboxRow & { status: string; sentAt: number | null; lastError: string | null; platformMessageId: string | null }) | undefined {
  return db.sql.get(`SELECT ${rowColumns}, status, sentAt, lastError, platformMessageId FROM Outbox WHERE id = ?`, id);
}

/** Row counts by status, optionally for one platform. */
export function outboxCounts(db: Database, platform?: string): Record<string, number> {
  const rows = platform
    ? db.sql.all<{ status: string; n: number }>(`SELECT status, COUNT(*) AS n FROM Outbox WHERE platform = ? GROUP BY status`, platform)
    : db.sql.all<{ status: string; n: number }>(`SELECT status, COUNT(*) AS n FROM Outbox GROUP BY status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
