/**
 * The outbox: a durable queue of outbound messages. Rows move pending → sending (claimed with a
 * lease) → sent | failed | unreachable | expired. A crash leaves claimed rows to be re-claimed when
 * their owner is known to be dead (its heartbeat stopped, or an earlier run of the same process on
 * this host) or, failing that, when their lease ends; so at most the messages in flight at the crash
 * can be sent twice, and everything else is sent exactly once.
 */
import type { Database } from "../../storage/database.ts";

export const priorities = { reply: 0, normal: 5, broadcast: 9 } as const;

const hourMs = 3_600_000;
/**
 * How long a message stays worth sending while its platform is down, by kind, unless the row has
 * its own `expiresAt` (a meeting reminder: until the meeting starts). See README "Delivery guarantees".
 */
export const horizons = { reply: 24 * hourMs, other: 7 * 24 * hourMs } as const;

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
  /** After this the message is no longer worth sending (e.g. a reminder: when the meeting starts). */
  expiresAt?: Date | null;
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
  createdAt: number;
  expiresAt: number | null;
}

const rowColumns = `id, platform, chatId, chatType, chatAccountId, personId, priority, body, entityType, entityId, attempts, notBefore, dedupeKey, createdAt, expiresAt`;

const insertSql = `INSERT INTO Outbox (platform, chatId, chatType, chatAccountId, personId, priority, body, entityType, entityId, dedupeKey, status, attempts, notBefore, createdAt, expiresAt)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (dedupeKey) DO NOTHING`;

/** When a row stops being worth sending (epoch ms): its own expiry, else its kind's horizon. */
export function expiryOf(row: Pick<OutboxRow, "expiresAt" | "createdAt" | "priority">): number {
  if (row.expiresAt != null) return Number(row.expiresAt);
  return Number(row.createdAt) + (row.priority === priorities.reply ? horizons.reply : horizons.other);
}

async function insert(db: Database, item: OutboxItem, now: Date): Promise<number | null> {
  const r = await db.sql.run(
    insertSql,
    item.platform, item.chatId, item.chatType ?? "private", item.chatAccountId ?? null, item.personId ?? null,
    item.priority ?? priorities.normal, JSON.stringify(item.body), item.entityType ?? null, item.entityId ?? null,
    item.dedupeKey ?? null, (item.notBefore ?? now).getTime(), now.getTime(), item.expiresAt?.getTime() ?? null,
  );
  return r.changes ? r.lastInsertRowid : null;
}

/** Queues one message. Returns its id, or null when its dedupe key was already queued. */
export async function enqueue(db: Database, item: OutboxItem, now = new Date()): Promise<number | null> {
  return await insert(db, item, now);
}

/** Queues many messages in one transaction (a broadcast). Returns how many were new. */
export async function enqueueMany(db: Database, items: Iterable<OutboxItem>, now = new Date()): Promise<number> {
  return await db.transaction(async () => {
    let n = 0;
    for (const item of items) if (await insert(db, item, now) !== null) n++;
    return n;
  });
}

/**
 * Pending rows of a platform that are due, best first: priority, then fair order (broadcasts
 * interleave), then age. Rows to `excludeChats` (busy or held by a rate limit) are skipped, so a
 * chat with thousands of queued messages never hides another chat's message behind them.
 */
export async function dueCandidates(db: Database, platform: string, now: Date, limit: number, excludeChats: Iterable<string> = []): Promise<OutboxRow[]> {
  const excluded = [...excludeChats];
  return await db.sql.all<OutboxRow>(
    `SELECT ${rowColumns} FROM Outbox WHERE status = 'pending' AND platform = ? AND notBefore <= ?
       ${excluded.length ? "AND chatId NOT IN (SELECT value FROM json_each(?))" : ""}
     ORDER BY priority, ord, id LIMIT ?`,
    platform, now.getTime(), ...(excluded.length ? [JSON.stringify(excluded)] : []), limit,
  );
}

/**
 * Claims the given rows for a worker. Only rows still pending are claimed (another process may
 * have taken some), so the result can be shorter than `ids`.
 */
export async function claim(db: Database, ids: number[], workerId: string, leaseUntil: Date): Promise<OutboxRow[]> {
  if (!ids.length) return [];
  // One statement: atomic on its own, and cheaper than a transaction of single-row updates.
  const rows = await db.sql.all<OutboxRow>(
    `UPDATE Outbox SET status = 'sending', claimedBy = ?, leaseUntil = ?, attempts = attempts + 1
     WHERE id IN (${ids.map(() => "?").join(",")}) AND status = 'pending' RETURNING ${rowColumns}`,
    workerId, leaseUntil.getTime(), ...ids,
  );
  // RETURNING gives no order guarantee; keep the caller's (priority) order.
  const order = new Map(ids.map((id, i) => [id, i]));
  return rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

export type AttemptOutcome = "sent" | "retry" | "rate_limited" | "platform_down" | "unreachable" | "failed" | "expired";

async function recordAttempt(db: Database, outboxId: number, outcome: AttemptOutcome, now: Date, detail: { errorCode?: number; error?: string; retryAfter?: number } = {}): Promise<void> {
  await db.sql.run(
    `INSERT INTO DeliveryAttempt (outboxId, outcome, errorCode, error, retryAfter, createdAt) VALUES (?, ?, ?, ?, ?, ?)`,
    outboxId, outcome, detail.errorCode ?? null, detail.error?.slice(0, 500) ?? null, detail.retryAfter ?? null, now.getTime(),
  );
}

/** Marks a claimed row sent (only if this worker still holds it) and records the attempt. */
export async function markSent(db: Database, id: number, workerId: string, platformMessageId: string | null, now = new Date()): Promise<boolean> {
  const r = await db.sql.run(
    `UPDATE Outbox SET status = 'sent', sentAt = ?, platformMessageId = ?, leaseUntil = NULL, lastError = NULL
     WHERE id = ? AND claimedBy = ? AND status = 'sending'`,
    now.getTime(), platformMessageId, id, workerId,
  );
  await recordAttempt(db, id, "sent", now);
  return r.changes > 0;
}

/** Puts a claimed row back to pending, to be tried at `notBefore`. */
export async function reschedule(
  db: Database,
  id: number,
  /** rate_limited and platform_down do not spend the message's attempts. */
  outcome: "retry" | "rate_limited" | "platform_down",
  notBefore: Date,
  now: Date,
  detail: { errorCode?: number; error?: string; retryAfter?: number } = {},
): Promise<void> {
  await db.sql.run(
    `UPDATE Outbox SET status = 'pending', notBefore = ?, leaseUntil = NULL, claimedBy = NULL, lastError = ?,
       attempts = CASE WHEN ? IN ('rate_limited', 'platform_down') THEN MAX(attempts - 1, 0) ELSE attempts END
     WHERE id = ?`,
    notBefore.getTime(), detail.error?.slice(0, 500) ?? null, outcome, id,
  );
  await recordAttempt(db, id, outcome, now, detail);
}

/** Ends a row without sending it: failed (gave up), unreachable (blocked, deactivated) or expired (no longer worth sending). */
export async function markFinal(db: Database, id: number, status: "failed" | "unreachable" | "expired", now: Date, detail: { errorCode?: number; error?: string } = {}): Promise<void> {
  await db.sql.run(
    `UPDATE Outbox SET status = ?, leaseUntil = NULL, lastError = ? WHERE id = ?`,
    status, detail.error?.slice(0, 500) ?? null, id,
  );
  await recordAttempt(db, id, status, now, detail);
}

/**
 * Returns rows whose lease ended (their worker died) to pending. Returns how many. A live worker
 * passes its own id: rows it holds are in flight, not abandoned, however long the send takes.
 */
export async function recoverExpiredLeases(db: Database, now = new Date(), ownWorkerId = ""): Promise<number> {
  return (await db.sql.run(
    `UPDATE Outbox SET status = 'pending', claimedBy = NULL, leaseUntil = NULL WHERE status = 'sending' AND leaseUntil < ? AND claimedBy IS NOT ?`,
    now.getTime(), ownWorkerId,
  )).changes;
}

// ─── Worker heartbeats: who owns a claimed row, and whether it is still alive

/** A worker whose heartbeat is older than this is dead; its claimed rows are recovered at once. */
export const heartbeatStaleMs = 15_000;

/** Registers a delivery worker (one per process) and its first heartbeat. */
export async function registerWorker(db: Database, worker: { id: string; host: string; pid: number }, now: Date): Promise<void> {
  await db.sql.run(
    `INSERT INTO DeliveryWorker (id, host, pid, startedAt, heartbeatAt) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET heartbeatAt = excluded.heartbeatAt, stoppedAt = NULL`,
    worker.id, worker.host, worker.pid, now.getTime(), now.getTime(),
  );
}

export async function heartbeat(db: Database, workerId: string, now: Date): Promise<void> {
  await db.sql.run(`UPDATE DeliveryWorker SET heartbeatAt = ? WHERE id = ?`, now.getTime(), workerId);
}

/** A clean stop: the worker's rows (none should be left) are free at once, and old rows are forgotten. */
export async function unregisterWorker(db: Database, workerId: string, now: Date): Promise<void> {
  await db.sql.run(`UPDATE DeliveryWorker SET stoppedAt = ? WHERE id = ?`, now.getTime(), workerId);
  await db.sql.run(`DELETE FROM DeliveryWorker WHERE stoppedAt IS NOT NULL AND stoppedAt < ?`, now.getTime() - 7 * 24 * hourMs);
}

/**
 * Returns to pending the rows whose owner is known to be dead, without waiting for their lease:
 * a worker that stopped, whose heartbeat is older than `heartbeatStaleMs`, or (on this host) whose
 * process no longer exists or was an earlier run of a process id now reused by `self`. Rows of
 * live owners keep their lease however long it is. Returns how many rows were recovered.
 */
export async function recoverDeadOwners(
  db: Database,
  now: Date,
  self: { id: string; host: string; pid: number },
  isAlive: (pid: number) => boolean,
  /** Workers running in this very process (several engines may share one in tests). */
  liveHere: ReadonlySet<string> = new Set([self.id]),
): Promise<number> {
  const workers = await db.sql.all<{ id: string; host: string; pid: number; heartbeatAt: number; stoppedAt: number | null }>(
    `SELECT id, host, pid, heartbeatAt, stoppedAt FROM DeliveryWorker
     WHERE id IN (SELECT DISTINCT claimedBy FROM Outbox WHERE status = 'sending' AND claimedBy IS NOT NULL)`,
  );
  const dead = workers.filter((w) => w.id !== self.id && (
    w.stoppedAt != null || Number(w.heartbeatAt) < now.getTime() - heartbeatStaleMs ||
    (w.host === self.host && (w.pid === self.pid ? !liveHere.has(w.id) : !isAlive(w.pid)))
  )).map((w) => w.id);
  if (!dead.length) return 0;
  return (await db.sql.run(
    `UPDATE Outbox SET status = 'pending', claimedBy = NULL, leaseUntil = NULL
     WHERE status = 'sending' AND claimedBy IN (SELECT value FROM json_each(?))`,
    JSON.stringify(dead),
  )).changes;
}

// ─── Platform health: a platform that fails as a whole pauses its queue

export interface PlatformHealthRow {
  platform: string;
  state: "up" | "down";
  downSince: number | null;
  lastError: string | null;
  downNotifiedAt: number | null;
  updatedAt: number;
}

export async function platformHealth(db: Database, platform?: string): Promise<PlatformHealthRow[]> {
  return platform
    ? await db.sql.all<PlatformHealthRow>(`SELECT * FROM PlatformHealth WHERE platform = ?`, platform)
    : await db.sql.all<PlatformHealthRow>(`SELECT * FROM PlatformHealth ORDER BY platform`);
}

export async function setPlatformHealth(db: Database, row: PlatformHealthRow): Promise<void> {
  await db.sql.run(
    `INSERT INTO PlatformHealth (platform, state, downSince, lastError, downNotifiedAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (platform) DO UPDATE SET state = excluded.state, downSince = excluded.downSince, lastError = excluded.lastError,
       downNotifiedAt = excluded.downNotifiedAt, updatedAt = excluded.updatedAt`,
    row.platform, row.state, row.downSince, row.lastError?.slice(0, 300) ?? null, row.downNotifiedAt, row.updatedAt,
  );
}

/** When the next pending row of the platform becomes due (ms), or null when none is pending. */
export async function nextDueAt(db: Database, platform: string): Promise<number | null> {
  return (await db.sql.get<{ t: number | null }>(`SELECT MIN(notBefore) AS t FROM Outbox WHERE status = 'pending' AND platform = ?`, platform))?.t ?? null;
}

export async function getOutboxRow(db: Database, id: number): Promise<(OutboxRow & { status: string; sentAt: number | null; lastError: string | null; platformMessageId: string | null }) | undefined> {
  return await db.sql.get(`SELECT ${rowColumns}, status, sentAt, lastError, platformMessageId FROM Outbox WHERE id = ?`, id);
}

/** Row counts by status, optionally for one platform. */
export async function outboxCounts(db: Database, platform?: string): Promise<Record<string, number>> {
  const rows = platform
    ? await db.sql.all<{ status: string; n: number }>(`SELECT status, COUNT(*) AS n FROM Outbox WHERE platform = ? GROUP BY status`, platform)
    : await db.sql.all<{ status: string; n: number }>(`SELECT status, COUNT(*) AS n FROM Outbox GROUP BY status`);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}
