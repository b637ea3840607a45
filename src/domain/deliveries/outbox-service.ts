/**
 * The outbox: a durable queue of outbound messages. Rows move pending → sending (claimed with a
 * lease) → sent | failed | unreachable | expired. A crash leaves claimed rows to be re-claimed when
 * their owner is known to be dead (its heartbeat stopped, or an earlier run of the same process on
 * this host) or, failing that, when their lease ends; so at most the messages in flight at the crash
 * can be sent twice, and everything else is sent exactly once.
 */
import type { Database } from "../../storage/database.ts";
import {
  inList,
  isDistinctFrom,
  keyPrefix,
  listParam,
  notIndexed,
  skipLocked,
  typedValue,
  writesInWith,
} from "../../storage/dialect.ts";
import { sql, type ExpressionBuilder, type Kysely } from "kysely";
import type { DB } from "../../generated/kysely/types.ts";
import { perEngine, prepared, preparedRows, type Prepared, type Slots } from "../../storage/prepared.ts";
import {
  logOutboundMany,
  outboundRow,
  outboundValues,
  type OutboundRecord,
  type OutboundSlots,
} from "../messages/message-log.ts";

export const priorities = { reply: 0, normal: 5, broadcast: 9 } as const;

/**
 * Fair order: the n-th row of a broadcast (0, 1, 2 …) sorts as if queued n × this later (about 30
 * a second), so broadcasts queued at about the same time interleave instead of one waiting behind
 * the other. The `Outbox_fair_order` trigger sets it on rows inserted one by one; a bulk insert
 * sets `ord` itself (the trigger's update rewrote every row of a 100,000-row broadcast once more).
 */
export const fairOrderSpacingMs = 34;

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

const rowColumns = [
  "id",
  "platform",
  "chatId",
  "chatType",
  "chatAccountId",
  "personId",
  "priority",
  "body",
  "bodyId",
  "entityType",
  "entityId",
  "attempts",
  "notBefore",
  "dedupeKey",
  "createdAt",
  "expiresAt",
] as const;

/** A row as stored: its own body, or (a broadcast's copy) the id of the body its copies share. */
type StoredRow = Omit<OutboxRow, "chatType" | "body"> & {
  chatType: string;
  body: string | null;
  bodyId: number | null;
};

/**
 * Shared bodies read lately, per database (a body never changes once written): a broadcast's
 * copies are sent with one read of their body, not one each.
 */
const sharedBodies = new WeakMap<Database, Map<number, string>>();
const sharedBodiesKept = 64;

/**
 * The rows with their bodies: a copy's shared body is read (once for all the rows that share it)
 * unless read lately. A body that cannot be found reads as "" (the engine records the row as
 * failed: unreadable body) — the foreign key makes that impossible short of a damaged database.
 * Bodies read inside a transaction are not kept: a rollback could give their ids to other bodies.
 */
async function withBodies<R extends StoredRow>(
  db: Database,
  rows: R[],
): Promise<(Omit<R, "chatType" | "body" | "bodyId"> & { chatType: OutboxRow["chatType"]; body: string })[]> {
  const kept = sharedBodies.get(db) ?? new Map<number, string>();
  // This call's bodies, whatever the cache keeps or drops meanwhile.
  const found = new Map<number, string>();
  const missing: number[] = [];
  for (const r of rows) {
    if (r.body !== null || r.bodyId === null || found.has(r.bodyId)) continue;
    const body = kept.get(r.bodyId);
    if (body === undefined) missing.push(r.bodyId);
    else {
      found.set(r.bodyId, body);
      // Used again: the last to be dropped (a Map iterates in insertion order, oldest first).
      kept.delete(r.bodyId);
      kept.set(r.bodyId, body);
    }
  }
  if (missing.length) {
    const read = await db.kysely
      .selectFrom("OutboxBody")
      .select(["id", "body"])
      .where((eb) => inList(db.engine, eb.ref("id"), listParam(db.engine, [...new Set(missing)]), "int"))
      .execute();
    for (const b of read) found.set(b.id, b.body);
    if (!db.inTransaction) {
      for (const b of read) kept.set(b.id, b.body);
      for (const id of kept.keys()) {
        if (kept.size <= sharedBodiesKept) break;
        kept.delete(id);
      }
      sharedBodies.set(db, kept);
    }
  }
  return rows.map(({ body, bodyId, chatType, ...r }) => ({
    ...r,
    chatType: chatType === "group" ? "group" : "private",
    body: body ?? (bodyId !== null ? found.get(bodyId) : undefined) ?? "",
  }));
}

/**
 * Stores `bodies` once each (as OutboxBody rows) for the copies of a broadcast to share; their
 * ids, in order. Queue the copies with `bodyId` set and `body` null.
 */
export async function storeSharedBodies(db: Database, bodies: readonly OutboxBody[], now: Date): Promise<number[]> {
  const ids: number[] = [];
  for (const body of bodies) {
    const row = await db.kysely
      .insertInto("OutboxBody")
      .values({ body: JSON.stringify(body), createdAt: now.getTime() })
      .returning("id")
      .executeTakeFirstOrThrow();
    ids.push(row.id);
  }
  return ids;
}

/** When a row stops being worth sending (epoch ms): its own expiry, else its kind's horizon. */
export function expiryOf(row: Pick<OutboxRow, "expiresAt" | "createdAt" | "priority">): number {
  if (row.expiresAt != null) return Number(row.expiresAt);
  return Number(row.createdAt) + (row.priority === priorities.reply ? horizons.reply : horizons.other);
}

type InsertSlots = Slots<{
  platform: string;
  chatId: string;
  chatType: string;
  chatAccountId: number | null;
  personId: number | null;
  priority: number;
  body: string;
  entityType: string | null;
  entityId: number | null;
  dedupeKey: string | null;
  notBefore: number;
  createdAt: number;
  expiresAt: number | null;
}>;

/** An Outbox row to queue (one copy of the mapping for the single and the multi-row insert). */
const outboxRow = (p: InsertSlots) => ({
  platform: p.platform,
  chatId: p.chatId,
  chatType: p.chatType,
  chatAccountId: p.chatAccountId,
  personId: p.personId,
  priority: p.priority,
  body: p.body,
  entityType: p.entityType,
  entityId: p.entityId,
  dedupeKey: p.dedupeKey,
  status: "pending",
  attempts: 0,
  notBefore: p.notBefore,
  createdAt: p.createdAt,
  expiresAt: p.expiresAt,
});

const insertQ = prepared((k, p: InsertSlots) =>
  k
    .insertInto("Outbox")
    .values(outboxRow(p))
    .onConflict((oc) => oc.column("dedupeKey").doNothing())
    .returning("id"),
);

const insertRowsQ = preparedRows((k, rows: InsertSlots[]) =>
  k
    .insertInto("Outbox")
    .values(rows.map(outboxRow))
    .onConflict((oc) => oc.column("dedupeKey").doNothing()),
);

function insertValues(item: OutboxItem, now: Date) {
  return {
    platform: item.platform,
    chatId: item.chatId,
    chatType: item.chatType ?? "private",
    chatAccountId: item.chatAccountId ?? null,
    personId: item.personId ?? null,
    priority: item.priority ?? priorities.normal,
    body: JSON.stringify(item.body),
    entityType: item.entityType ?? null,
    entityId: item.entityId ?? null,
    dedupeKey: item.dedupeKey ?? null,
    notBefore: (item.notBefore ?? now).getTime(),
    createdAt: now.getTime(),
    expiresAt: item.expiresAt?.getTime() ?? null,
  };
}

async function insert(db: Database, item: OutboxItem, now: Date): Promise<number | null> {
  const row = await insertQ.first(db, insertValues(item, now));
  return row?.id ?? null;
}

/** Queues one message. Returns its id, or null when its dedupe key was already queued. */
export async function enqueue(db: Database, item: OutboxItem, now = new Date()): Promise<number | null> {
  return await insert(db, item, now);
}

/**
 * Queues messages whose ids are not needed in multi-row statements (the inbox's replies to a whole
 * batch: one round trip on PostgreSQL rather than one per reply), in their order. A message whose
 * dedupe key was already queued is skipped, as by `enqueue`; each is queued as by `enqueue(db, item,
 * now)`. Returns how many were new.
 */
export async function enqueueRows(db: Database, items: readonly { item: OutboxItem; now: Date }[]): Promise<number> {
  return await insertRowsQ.run(
    db,
    items.map(({ item, now }) => insertValues(item, now)),
  );
}

/** Queues many messages in one transaction (a broadcast). Returns how many were new. */
export async function enqueueMany(db: Database, items: Iterable<OutboxItem>, now = new Date()): Promise<number> {
  return await db.transaction(async () => {
    let n = 0;
    for (const item of items) if ((await insert(db, item, now)) !== null) n++;
    return n;
  });
}

const dueQ = perEngine((engine) =>
  prepared(
    (k, p: Slots<{ platform: string; now: number; excluded: unknown; n: number }>) =>
      k
        .selectFrom("Outbox")
        .select(rowColumns)
        .where("status", "=", "pending")
        .where("platform", "=", p.platform)
        .where("notBefore", "<=", p.now)
        .where((eb) => eb.not(inList(engine, eb.ref("chatId"), p.excluded, "text")))
        .orderBy("priority")
        .orderBy("ord")
        .orderBy("id")
        .limit(p.n),
    { serverPrepared: true },
  ),
);

/**
 * Pending rows of a platform that are due, best first: priority, then fair order (broadcasts
 * interleave), then age. Rows to `excludeChats` (busy or held by a rate limit) are skipped, so a
 * chat with thousands of queued messages never hides another chat's message behind them.
 */
export async function dueCandidates(
  db: Database,
  {
    platform,
    now,
    limit,
    excludeChats = [],
  }: { platform: string; now: Date; limit: number; excludeChats?: Iterable<string> },
): Promise<OutboxRow[]> {
  const rows = await dueQ(db).all(db, {
    platform,
    now: now.getTime(),
    excluded: listParam(db.engine, [...excludeChats]),
    n: limit,
  });
  return await withBodies(db, rows);
}

/** What a claim writes on a row: sending, by `worker` until `leaseUntil`, one attempt more. */
const claimedBy = (p: { worker: string; leaseUntil: number }) => (eb: ExpressionBuilder<DB, "Outbox">) => ({
  status: "sending",
  claimedBy: p.worker,
  leaseUntil: p.leaseUntil,
  attempts: eb("attempts", "+", 1),
});

/** No message of row `o`'s chat is being sent (by any process): a chat's messages go one at a time. */
const chatNotBusy = (w: ExpressionBuilder<DB & { o: DB["Outbox"] }, "o">) =>
  w.not(
    w.exists(
      w
        .selectFrom("Outbox as busy")
        .select("busy.id")
        .where("busy.status", "=", "sending")
        .where("busy.platform", "=", w.ref("o.platform"))
        .where("busy.chatId", "=", w.ref("o.chatId")),
    ),
  );

/**
 * The claim, one statement on both engines: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
 * LOCKED) RETURNING`. Of the rows asked for, it takes those still pending that no other claimer
 * is taking at this moment (PostgreSQL skips rows another transaction has locked; SQLite's single
 * writer makes the statement exclusive), and none whose chat already has a message being sent
 * (by any process: a chat's messages go one at a time, in order).
 */
const claimQ = perEngine((engine) =>
  prepared(
    (k, p: Slots<{ ids: unknown; n: number; worker: string; leaseUntil: number }>) =>
      k
        .updateTable("Outbox")
        .set(claimedBy(p))
        .where("id", "in", (eb) =>
          skipLocked(
            engine,
            eb
              .selectFrom("Outbox as o")
              .select("o.id")
              .where((w) => inList(engine, w.ref("o.id"), p.ids, "int"))
              // By id: not by scanning the status index through every queued row.
              .where((w) => w(notIndexed(engine, w.ref("o.status")), "=", "pending"))
              .where(chatNotBusy)
              .orderBy("o.priority")
              .orderBy("o.ord")
              .orderBy("o.id")
              .limit(p.n),
          ),
        )
        .returning(rowColumns),
    { serverPrepared: true },
  ),
);

/**
 * Claims the given rows for a worker. Only rows still pending are claimed (another process may
 * have taken some), so the result can be shorter than `ids`.
 */
export async function claim(db: Database, ids: number[], workerId: string, leaseUntil: Date): Promise<OutboxRow[]> {
  if (!ids.length) return [];
  const rows = await claimQ(db).all(db, {
    ids: listParam(db.engine, ids),
    n: ids.length,
    worker: workerId,
    leaseUntil: leaseUntil.getTime(),
  });
  // RETURNING gives no order guarantee; keep the caller's (priority) order.
  const order = new Map(ids.map((id, i) => [id, i]));
  return (await withBodies(db, rows)).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

/**
 * Finds and claims in ONE statement: the due rows of a platform, best first (as `dueCandidates`),
 * that no other claimer is taking at this moment (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so
 * processes claiming together take different rows rather than race for the same ones) and whose
 * chat has no message being sent. For a worker that would send every due row it finds (its limits
 * leave room for all of them): half the round trips of `dueCandidates` then `claim`.
 */
const claimDueQ = perEngine((engine) =>
  prepared(
    (
      k,
      p: Slots<{
        platform: string;
        now: number;
        excluded: unknown;
        n: number;
        scan: number;
        worker: string;
        leaseUntil: number;
      }>,
    ) =>
      k
        .updateTable("Outbox")
        .set(claimedBy(p))
        .where("id", "in", (eb) =>
          eb
            // The first of each chat (a chat's messages go one at a time, in order) …
            .selectFrom((f) =>
              f
                .selectFrom((l) =>
                  // … of the first due rows no other claimer is taking (locked until the end of the
                  // statement, the others skip them), in the queue's order.
                  skipLocked(
                    engine,
                    l
                      .selectFrom("Outbox as o")
                      .select(["o.id", "o.chatId", "o.priority", "o.ord"])
                      .where("o.status", "=", "pending")
                      .where("o.platform", "=", p.platform)
                      .where("o.notBefore", "<=", p.now)
                      .where((w) => w.not(inList(engine, w.ref("o.chatId"), p.excluded, "text")))
                      .where(chatNotBusy)
                      .orderBy("o.priority")
                      .orderBy("o.ord")
                      .orderBy("o.id")
                      .limit(p.scan),
                  ).as("due"),
                )
                .select((s) => [
                  "due.id",
                  "due.priority",
                  "due.ord",
                  s.fn
                    .agg<number>("row_number")
                    .over((o) =>
                      o.partitionBy("due.chatId").orderBy("due.priority").orderBy("due.ord").orderBy("due.id"),
                    )
                    .as("nth"),
                ])
                .as("firsts"),
            )
            .select("firsts.id")
            .where("firsts.nth", "=", 1)
            .orderBy("firsts.priority")
            .orderBy("firsts.ord")
            .orderBy("firsts.id")
            .limit(p.n),
        )
        .returning([...rowColumns, "ord"]),
    { serverPrepared: true },
  ),
);

/**
 * Claims up to `limit` due rows of a platform for a worker, best first (priority, fair order,
 * age), skipping `excludeChats`, rows other claimers hold and chats with a message being sent.
 */
export async function claimDue(
  db: Database,
  {
    platform,
    now,
    limit,
    excludeChats = [],
    workerId,
    leaseUntil,
  }: {
    platform: string;
    now: Date;
    limit: number;
    excludeChats?: Iterable<string>;
    workerId: string;
    leaseUntil: Date;
  },
): Promise<OutboxRow[]> {
  if (limit <= 0) return [];
  const rows = await claimDueQ(db).all(db, {
    platform,
    now: now.getTime(),
    excluded: listParam(db.engine, [...excludeChats]),
    n: limit,
    // A few more, as `dueCandidates` reads, for the chats that have several.
    scan: limit + 20,
    worker: workerId,
    leaseUntil: leaseUntil.getTime(),
  });
  // RETURNING gives no order guarantee: back to the queue's order.
  rows.sort((a, b) => a.priority - b.priority || Number(a.ord ?? 0) - Number(b.ord ?? 0) || a.id - b.id);
  return await withBodies(
    db,
    rows.map(({ ord: _ord, ...row }) => row),
  );
}

export type AttemptOutcome = "sent" | "retry" | "rate_limited" | "platform_down" | "unreachable" | "failed" | "expired";

type AttemptDetail = { errorCode?: number; error?: string; retryAfter?: number };

/** A delivery attempt as written: by one send, by a batch of them, or inside a batch's one statement. */
type AttemptSlots = Slots<{
  outboxId: number;
  outcome: string;
  errorCode: number | null;
  error: string | null;
  retryAfter: number | null;
  at: number;
}>;

const attemptRow = (p: AttemptSlots) => ({
  outboxId: p.outboxId,
  outcome: p.outcome,
  errorCode: p.errorCode,
  error: p.error,
  retryAfter: p.retryAfter,
  createdAt: p.at,
});

const attemptQ = prepared((k, p: AttemptSlots) => k.insertInto("DeliveryAttempt").values(attemptRow(p)));

const attemptsQ = preparedRows(
  (k, rows: AttemptSlots[]) => k.insertInto("DeliveryAttempt").values(rows.map(attemptRow)),
  50,
  { serverPrepared: true },
);

async function recordAttempt(
  db: Database,
  {
    outboxId,
    outcome,
    now,
    detail = {},
  }: { outboxId: number; outcome: AttemptOutcome; now: Date; detail?: AttemptDetail },
): Promise<void> {
  await attemptQ.run(db, {
    outboxId,
    outcome,
    errorCode: detail.errorCode ?? null,
    error: detail.error?.slice(0, 500) ?? null,
    retryAfter: detail.retryAfter ?? null,
    at: now.getTime(),
  });
}

/**
 * Marks the rows of a batch sent, each with its own time and message id, only where this worker
 * still holds the row: one statement for the batch (`CASE id WHEN …`).
 */
type SentSlots = Slots<{ id: number; worker: string; at: number; messageId: string | null }>;
const markSentUpdate = (k: Kysely<DB>, rows: SentSlots[]) =>
  k
    .updateTable("Outbox")
    .set((eb) => {
      const [first, ...rest] = rows;
      let sentAt = eb.case().when("id", "=", first!.id).then(typedValue(first!.at, "bigint"));
      let messageId = eb.case().when("id", "=", first!.id).then(typedValue(first!.messageId, "text"));
      for (const r of rest) {
        sentAt = sentAt.when("id", "=", r.id).then(typedValue(r.at, "bigint"));
        messageId = messageId.when("id", "=", r.id).then(typedValue(r.messageId, "text"));
      }
      return {
        status: "sent",
        sentAt: sentAt.end(),
        platformMessageId: messageId.end(),
        leaseUntil: null,
        lastError: null,
      };
    })
    .where(
      "id",
      "in",
      rows.map((r) => r.id),
    )
    .where("claimedBy", "=", rows[0]!.worker)
    .where("status", "=", "sending");
const markSentQ = preparedRows((k, rows: SentSlots[]) => markSentUpdate(k, rows), 50, { serverPrepared: true });

/**
 * PostgreSQL: a batch's record as ONE statement (rows marked, attempts, log lines; atomic without a
 * transaction of its own), instead of five round trips (begin, three statements, commit). Prepared
 * once per number of sends and of log lines.
 */
const recordSendsQ = new Map<string, Prepared<Record<string, unknown>, { n: number }>>();
function recordSendsStatement(sends: number, lines: number) {
  const key = `${sends}:${lines}`;
  let q = recordSendsQ.get(key);
  if (!q) {
    const rowsOf = <T>(p: Slots<Record<string, unknown>>, prefix: string, n: number) =>
      Array.from(
        { length: n },
        (_, i) => new Proxy({} as T & object, { get: (_, name) => p[`${prefix}${String(name)}__${i}`] }),
      );
    q = prepared(
      (k, p: Slots<Record<string, unknown>>) =>
        k
          .with("marked", (w) => markSentUpdate(w as Kysely<DB>, rowsOf<SentSlots>(p, "s_", sends)).returning("id"))
          .with("attempts", (w) =>
            w
              .insertInto("DeliveryAttempt")
              .values(rowsOf<AttemptSlots>(p, "a_", sends).map(attemptRow))
              .returning("id"),
          )
          .with("logged", (w) =>
            w
              .insertInto("MessageLog")
              .values(rowsOf<OutboundSlots>(p, "l_", lines).map(outboundRow))
              .returning("id"),
          )
          .selectFrom("marked")
          .select((eb) => eb.fn.countAll<number>().as("n")),
      { serverPrepared: true },
    );
    recordSendsQ.set(key, q);
  }
  return q;
}

/** A finished send, as `recordSends` writes it. */
export interface SentRecord {
  id: number;
  /** The platform's id of the (last) message sent. */
  platformMessageId: string | null;
  at: Date;
  /** What goes into the message log (one line per platform message). */
  log: OutboundRecord[];
}

/**
 * Records a batch of finished sends in ONE transaction (a PostgreSQL commit per message was the
 * engine's bottleneck): each row marked sent (only if this worker still holds it), its attempt
 * and its message-log lines. Returns how many rows were marked. Throws (nothing recorded) when
 * the database fails; the rows then stay "sending" until their lease ends.
 */
export async function recordSends(db: Database, workerId: string, sends: readonly SentRecord[]): Promise<number> {
  if (!sends.length) return 0;
  const lines = sends.flatMap((send) => send.log);
  if (writesInWith(db.engine) && sends.length <= 100 && lines.length >= 1 && lines.length <= 200) {
    const params: Record<string, unknown> = {};
    sends.forEach((send, i) => {
      params[`s_id__${i}`] = send.id;
      params[`s_worker__${i}`] = workerId;
      params[`s_at__${i}`] = send.at.getTime();
      params[`s_messageId__${i}`] = send.platformMessageId;
      params[`a_outboxId__${i}`] = send.id;
      params[`a_outcome__${i}`] = "sent";
      params[`a_errorCode__${i}`] = null;
      params[`a_error__${i}`] = null;
      params[`a_retryAfter__${i}`] = null;
      params[`a_at__${i}`] = send.at.getTime();
    });
    lines.forEach((line, i) => {
      for (const [name, value] of Object.entries(outboundValues(line))) params[`l_${name}__${i}`] = value;
    });
    const row = await recordSendsStatement(sends.length, lines.length).first(db, params);
    return Number(row?.n ?? 0);
  }
  return await db.transaction(async () => {
    // A statement per kind of row for the whole batch: on PostgreSQL each statement is a round trip.
    const marked = await markSentQ.run(
      db,
      sends.map((send) => ({
        id: send.id,
        worker: workerId,
        at: send.at.getTime(),
        messageId: send.platformMessageId,
      })),
    );
    await attemptsQ.run(
      db,
      sends.map((send) => ({
        outboxId: send.id,
        outcome: "sent",
        errorCode: null,
        error: null,
        retryAfter: null,
        at: send.at.getTime(),
      })),
    );
    await logOutboundMany(
      db,
      sends.flatMap((send) => send.log),
    );
    return marked;
  });
}

/** Marks a claimed row sent (only if this worker still holds it) and records the attempt. */
export async function markSent(
  db: Database,
  {
    id,
    workerId,
    platformMessageId,
    now = new Date(),
  }: { id: number; workerId: string; platformMessageId: string | null; now?: Date },
): Promise<boolean> {
  return (await recordSends(db, workerId, [{ id, platformMessageId, at: now, log: [] }])) > 0;
}

/** Puts a claimed row back to pending, to be tried at `notBefore`. */
export async function reschedule(
  db: Database,
  {
    id,
    outcome,
    notBefore,
    now,
    detail = {},
  }: {
    id: number;
    /** rate_limited and platform_down do not spend the message's attempts. */
    outcome: "retry" | "rate_limited" | "platform_down";
    notBefore: Date;
    now: Date;
    detail?: AttemptDetail;
  },
): Promise<void> {
  const refund = outcome === "rate_limited" || outcome === "platform_down";
  await db.transaction(async () => {
    await db.kysely
      .updateTable("Outbox")
      .set((eb) => ({
        status: "pending",
        notBefore: notBefore.getTime(),
        leaseUntil: null,
        claimedBy: null,
        lastError: detail.error?.slice(0, 500) ?? null,
        attempts: refund
          ? eb
              .case()
              .when("attempts", ">", 0)
              .then(eb("attempts", "-", 1))
              .else(0)
              .end()
          : eb.ref("attempts"),
      }))
      .where("id", "=", id)
      .execute();
    await recordAttempt(db, { outboxId: id, outcome, now, detail });
  });
}

/**
 * Gives claimed rows back to the queue unsent, due again at their `notBefore`: the claim's attempt
 * is not spent and none is recorded (nothing was tried). Only rows this worker still holds.
 */
export async function unclaim(
  db: Database,
  workerId: string,
  rows: readonly { id: number; notBefore: Date }[],
): Promise<void> {
  if (!rows.length) return;
  await db.transaction(async () => {
    for (const row of rows)
      await db.kysely
        .updateTable("Outbox")
        .set((eb) => ({
          status: "pending",
          notBefore: row.notBefore.getTime(),
          leaseUntil: null,
          claimedBy: null,
          attempts: eb
            .case()
            .when("attempts", ">", 0)
            .then(eb("attempts", "-", 1))
            .else(0)
            .end(),
        }))
        .where("id", "=", row.id)
        .where("claimedBy", "=", workerId)
        .where("status", "=", "sending")
        .execute();
  });
}

/** Ends a row without sending it: failed (gave up), unreachable (blocked, deactivated) or expired (no longer worth sending). */
export async function markFinal(
  db: Database,
  {
    id,
    status,
    now,
    detail = {},
  }: {
    id: number;
    status: "failed" | "unreachable" | "expired";
    now: Date;
    detail?: { errorCode?: number; error?: string };
  },
): Promise<void> {
  await db.transaction(async () => {
    await db.kysely
      .updateTable("Outbox")
      .set({ status, leaseUntil: null, lastError: detail.error?.slice(0, 500) ?? null })
      .where("id", "=", id)
      .execute();
    await recordAttempt(db, { outboxId: id, outcome: status, now, detail });
  });
}

/** Keeps a long back-off of one recipient on its account (Zalo's code 123), so that it survives a restart. */
export async function backOffAccount(db: Database, chatAccountId: number, until: Date): Promise<void> {
  await db.kysely
    .updateTable("ChatAccount")
    .set({ backoffUntil: until.getTime() })
    .where("id", "=", chatAccountId)
    .execute();
}

/**
 * Returns rows whose lease ended (their worker died) to pending. Returns how many. A live worker
 * passes its own id: rows it holds are in flight, not abandoned, however long the send takes.
 */
export async function recoverExpiredLeases(db: Database, now = new Date(), ownWorkerId = ""): Promise<number> {
  const r = await db.kysely
    .updateTable("Outbox")
    .set({ status: "pending", claimedBy: null, leaseUntil: null })
    .where("status", "=", "sending")
    .where("leaseUntil", "<", now.getTime())
    .where((eb) => isDistinctFrom(db.engine, eb.ref("claimedBy"), eb.val(ownWorkerId)))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

// ─── Worker heartbeats: who owns a claimed row, and whether it is still alive

/** A worker whose heartbeat is older than this is dead; its claimed rows are recovered at once. */
export const heartbeatStaleMs = 15_000;

/** Registers a delivery worker (one per process) and its first heartbeat. */
export async function registerWorker(
  db: Database,
  worker: { id: string; host: string; pid: number },
  now: Date,
): Promise<void> {
  await db.kysely
    .insertInto("DeliveryWorker")
    .values({ id: worker.id, host: worker.host, pid: worker.pid, startedAt: now.getTime(), heartbeatAt: now.getTime() })
    .onConflict((oc) =>
      oc.column("id").doUpdateSet((eb) => ({ heartbeatAt: eb.ref("excluded.heartbeatAt"), stoppedAt: null })),
    )
    .execute();
}

export async function heartbeat(db: Database, workerId: string, now: Date): Promise<void> {
  await db.kysely
    .updateTable("DeliveryWorker")
    .set({ heartbeatAt: now.getTime() })
    .where("id", "=", workerId)
    .execute();
}

/** A clean stop: the worker's rows (none should be left) are free at once, and old rows are forgotten. */
export async function unregisterWorker(db: Database, workerId: string, now: Date): Promise<void> {
  await db.kysely.updateTable("DeliveryWorker").set({ stoppedAt: now.getTime() }).where("id", "=", workerId).execute();
  await db.kysely
    .deleteFrom("DeliveryWorker")
    .where("stoppedAt", "is not", null)
    .where("stoppedAt", "<", now.getTime() - 7 * 24 * hourMs)
    .execute();
}

/**
 * Returns to pending the rows whose owner is known to be dead, without waiting for their lease:
 * a worker that stopped, whose heartbeat is older than `heartbeatStaleMs`, or (on this host) whose
 * process no longer exists or was an earlier run of a process id now reused by `self`. Rows of
 * live owners keep their lease however long it is. Returns how many rows were recovered.
 */
export async function recoverDeadOwners(
  db: Database,
  {
    now,
    self,
    isAlive,
    liveHere = new Set([self.id]),
  }: {
    now: Date;
    self: { id: string; host: string; pid: number };
    isAlive: (pid: number) => boolean;
    /** Workers running in this very process (several engines may share one in tests). */
    liveHere?: ReadonlySet<string>;
  },
): Promise<number> {
  const workers = await db.kysely
    .selectFrom("DeliveryWorker")
    .select(["id", "host", "pid", "heartbeatAt", "stoppedAt"])
    .where("id", "in", (eb) =>
      eb
        .selectFrom("Outbox")
        .select("claimedBy")
        .distinct()
        .where("status", "=", "sending")
        .where("claimedBy", "is not", null),
    )
    .execute();
  const dead = workers
    .filter(
      (w) =>
        w.id !== self.id &&
        (w.stoppedAt != null ||
          Number(w.heartbeatAt) < now.getTime() - heartbeatStaleMs ||
          (w.host === self.host && (w.pid === self.pid ? !liveHere.has(w.id) : !isAlive(w.pid)))),
    )
    .map((w) => w.id);
  if (!dead.length) return 0;
  // Only rows still held by a dead owner: a row that finished or was re-claimed meanwhile is left alone.
  const r = await db.kysely
    .updateTable("Outbox")
    .set({ status: "pending", claimedBy: null, leaseUntil: null })
    .where("status", "=", "sending")
    .where((eb) => inList(db.engine, eb.ref("claimedBy"), listParam(db.engine, dead), "text"))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
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
  let q = db.kysely
    .selectFrom("PlatformHealth")
    .select(["platform", "state", "downSince", "lastError", "downNotifiedAt", "updatedAt"])
    .orderBy("platform");
  if (platform) q = q.where("platform", "=", platform);
  return (await q.execute()).map((r) => ({ ...r, state: r.state === "down" ? "down" : "up" }));
}

export async function setPlatformHealth(db: Database, row: PlatformHealthRow): Promise<void> {
  await db.kysely
    .insertInto("PlatformHealth")
    .values({
      platform: row.platform,
      state: row.state,
      downSince: row.downSince,
      lastError: row.lastError?.slice(0, 300) ?? null,
      downNotifiedAt: row.downNotifiedAt,
      updatedAt: row.updatedAt,
    })
    .onConflict((oc) =>
      oc.column("platform").doUpdateSet((eb) => ({
        state: eb.ref("excluded.state"),
        downSince: eb.ref("excluded.downSince"),
        lastError: eb.ref("excluded.lastError"),
        downNotifiedAt: eb.ref("excluded.downNotifiedAt"),
        updatedAt: eb.ref("excluded.updatedAt"),
      })),
    )
    .execute();
}

const nextDueQ = prepared((k, p: Slots<{ platform: string }>) =>
  k
    .selectFrom("Outbox")
    .select((eb) => eb.fn.min("notBefore").as("t"))
    .where("status", "=", "pending")
    .where("platform", "=", p.platform),
);

/** When the next pending row of the platform becomes due (ms), or null when none is pending. */
export async function nextDueAt(db: Database, platform: string): Promise<number | null> {
  const t = (await nextDueQ.first(db, { platform }))?.t;
  return t == null ? null : Number(t);
}

export async function getOutboxRow(
  db: Database,
  id: number,
): Promise<
  | (OutboxRow & { status: string; sentAt: number | null; lastError: string | null; platformMessageId: string | null })
  | undefined
> {
  const row = await db.kysely
    .selectFrom("Outbox")
    .select([...rowColumns, "status", "sentAt", "lastError", "platformMessageId"])
    .where("id", "=", id)
    .executeTakeFirst();
  return row && (await withBodies(db, [row]))[0];
}

/** Row counts by status, optionally for one platform. */
export async function outboxCounts(db: Database, platform?: string): Promise<Record<string, number>> {
  let q = db.kysely
    .selectFrom("Outbox")
    .select((eb) => ["status", eb.fn.countAll<number>().as("n")])
    .groupBy("status");
  if (platform) q = q.where("platform", "=", platform);
  const rows = await q.execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** People sent (queued) a message whose dedupe key starts with `prefix`, queued since `since`. */
export async function peopleSentByKeyPrefix(db: Database, prefix: string, since: number): Promise<number[]> {
  const rows = await db.kysely
    .selectFrom("Outbox")
    .select("personId")
    .where(keyPrefix(db.engine, sql.ref("dedupeKey"), prefix))
    .where("createdAt", ">=", since)
    .where("personId", "is not", null)
    .execute();
  return rows.flatMap((r) => (r.personId === null ? [] : [r.personId]));
}
