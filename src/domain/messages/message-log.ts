/**
 * The message log: every message in and out. An inbound message is stored before the platform is
 * acknowledged, keyed by (platform, platform event id) so that a platform's duplicate is recognised.
 */
import type { Kysely } from "kysely";
import type { Database, DB } from "../../storage/database.ts";
import { prepared, preparedRows, type Slots } from "../../storage/prepared.ts";

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
  /** A second copy of an event within one `recordInboundMany` call (its first copy is handled). */
  sameBatch?: boolean;
}

type InboundSlots = Slots<{
  platform: string;
  chatId: string;
  chatType: string;
  sender: string;
  kind: string;
  text: string | null;
  payload: string | null;
  eventId: string;
  messageId: string | null;
  replyTo: string | null;
  at: number;
}>;

/** A MessageLog row of a received message (one copy of the mapping for the single and the batch insert). */
const inboundRow = (p: InboundSlots) => ({
  direction: "in",
  platform: p.platform,
  chatId: p.chatId,
  chatType: p.chatType,
  senderExternalId: p.sender,
  kind: p.kind,
  text: p.text,
  payload: p.payload,
  platformEventId: p.eventId,
  platformMessageId: p.messageId,
  replyToMessageId: p.replyTo,
  status: "received",
  createdAt: p.at,
});

const inboundQ = prepared((k, p: InboundSlots) =>
  k
    .insertInto("MessageLog")
    .values(inboundRow(p))
    .onConflict((oc) => oc.columns(["platform", "platformEventId"]).doNothing())
    .returning("id"),
);

// The inbox's group commit: a whole batch in one statement (chunks of 50), one round trip.
const inboundManyQ = preparedRows((k, rows: InboundSlots[]) =>
  k
    .insertInto("MessageLog")
    .values(rows.map(inboundRow))
    .onConflict((oc) => oc.columns(["platform", "platformEventId"]).doNothing())
    .returning(["id", "platform", "platformEventId"]),
);

function inboundValues(m: InboundRecord) {
  return {
    platform: m.platform,
    chatId: m.chatId,
    chatType: m.chatType,
    sender: m.senderExternalId,
    kind: m.kind,
    text: clip(m.text),
    payload: clip(m.payload),
    eventId: m.platformEventId,
    messageId: m.platformMessageId ?? null,
    replyTo: m.replyToMessageId ?? null,
    at: m.at.getTime(),
  };
}

const storedQ = prepared((k, p: Slots<{ platform: string; eventId: string }>) =>
  k
    .selectFrom("MessageLog")
    .select(["id", "status"])
    .where("platform", "=", p.platform)
    .where("platformEventId", "=", p.eventId),
);

/** Stores an inbound message once. A duplicate returns the existing row with duplicate = true. */
export async function recordInbound(db: Database, m: InboundRecord): Promise<StoredInbound> {
  const inserted = await inboundQ.first(db, inboundValues(m));
  if (inserted) return { id: inserted.id, duplicate: false, status: "received" };
  return await storedCopy(db, m);
}

async function storedCopy(db: Database, m: InboundRecord): Promise<StoredInbound> {
  const existing = await storedQ.first(db, { platform: m.platform, eventId: m.platformEventId });
  if (!existing) throw new Error(`message log: event ${m.platform}:${m.platformEventId} neither stored nor found`);
  return { id: existing.id, duplicate: true, status: existing.status };
}

/**
 * Stores inbound messages once each, in multi-row statements (the inbox's batch: one round trip
 * rather than one per message); the results are in the order of `records`. A record whose event
 * was stored before comes back as `recordInbound` returns it (duplicate, with the stored status);
 * a second copy of an event within `records` comes back with `sameBatch` (its first copy is the
 * caller's to handle). Rows are inserted in the order of `records` (their ids keep the order of
 * arrival: chat history). Two PostgreSQL transactions storing copies of the same two events in
 * opposite orders could deadlock; PostgreSQL then fails one, whose platform retries its updates.
 */
export async function recordInboundMany(db: Database, records: readonly InboundRecord[]): Promise<StoredInbound[]> {
  const key = (platform: string, eventId: string) => `${platform}\u0000${eventId}`;
  const keys = records.map((m) => key(m.platform, m.platformEventId));
  const inserted = await inboundManyQ.all(
    db,
    records.map((m) => inboundValues(m)),
  );
  const fresh = new Map(inserted.map((r) => [key(r.platform, r.platformEventId ?? ""), r.id]));
  const first = new Map<string, number>();
  const out: StoredInbound[] = [];
  for (const [i, m] of records.entries()) {
    const k = keys[i]!;
    const earlier = first.get(k);
    if (earlier !== undefined) {
      out.push({ id: earlier, duplicate: true, status: "received", sameBatch: true });
      continue;
    }
    const id = fresh.get(k);
    const stored = id !== undefined ? { id, duplicate: false, status: "received" } : await storedCopy(db, m);
    first.set(k, stored.id);
    out.push(stored);
  }
  return out;
}

export interface InboundCompletion {
  id: number;
  status: "handled" | "failed" | "ignored";
  chatAccountId?: number | null;
  personId?: number | null;
  entityType?: string | null;
  entityId?: number | null;
}

type CompleteSlots = Slots<{
  id: number;
  status: string;
  chatAccountId: number | null;
  personId: number | null;
  entityType: string | null;
  entityId: number | null;
}>;

/** A completion's parameters: what it leaves out keeps the row's value. */
const completionValues = (u: InboundCompletion) => ({
  id: u.id,
  status: u.status,
  chatAccountId: u.chatAccountId ?? null,
  personId: u.personId ?? null,
  entityType: u.entityType ?? null,
  entityId: u.entityId ?? null,
});

// Once per handled message: built once.
const completeQ = prepared((k, p: CompleteSlots) =>
  k
    .updateTable("MessageLog")
    .set((eb) => ({
      status: p.status,
      chatAccountId: eb.fn.coalesce(eb.val(p.chatAccountId), eb.ref("chatAccountId")),
      personId: eb.fn.coalesce(eb.val(p.personId), eb.ref("personId")),
      entityType: eb.fn.coalesce(eb.val(p.entityType), eb.ref("entityType")),
      entityId: eb.fn.coalesce(eb.val(p.entityId), eb.ref("entityId")),
    }))
    .where("id", "=", p.id),
);

/** Notes who sent an inbound message, what it concerned and that it was handled (or failed). */
export async function completeInbound(db: Database, id: number, update: Omit<InboundCompletion, "id">): Promise<void> {
  await completeQ.run(db, completionValues({ ...update, id }));
}

// completeInbound for a batch: one UPDATE whose values are picked by id (CASE id WHEN … THEN …).
const completeManyQ = preparedRows((k, rows: CompleteSlots[]) =>
  k
    .updateTable("MessageLog")
    .set((eb) => {
      const byId = <T>(value: (r: CompleteSlots) => T, type: "integer" | "text") => {
        let c = eb
          .case(eb.ref("id"))
          .when(rows[0]!.id)
          .then(eb.cast(eb.val(value(rows[0]!)), type));
        for (const r of rows.slice(1)) c = c.when(r.id).then(eb.cast(eb.val(value(r)), type));
        return c.end().$castTo<T>();
      };
      return {
        status: byId((r) => r.status, "text"),
        chatAccountId: eb.fn.coalesce(
          byId((r) => r.chatAccountId, "integer"),
          eb.ref("chatAccountId"),
        ),
        personId: eb.fn.coalesce(
          byId((r) => r.personId, "integer"),
          eb.ref("personId"),
        ),
        entityType: eb.fn.coalesce(
          byId((r) => r.entityType, "text"),
          eb.ref("entityType"),
        ),
        entityId: eb.fn.coalesce(
          byId((r) => r.entityId, "integer"),
          eb.ref("entityId"),
        ),
      };
    })
    .where(
      "id",
      "in",
      rows.map((r) => r.id),
    ),
);

/** `completeInbound` for many messages in multi-row statements (the inbox's batch). */
export async function completeInboundMany(db: Database, updates: readonly InboundCompletion[]): Promise<void> {
  await completeManyQ.run(db, updates.map(completionValues));
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

export type OutboundSlots = Slots<{
  platform: string;
  chatId: string;
  chatType: string;
  chatAccountId: number | null;
  personId: number | null;
  text: string | null;
  payload: string | null;
  messageId: string | null;
  replyTo: string | null;
  entityType: string | null;
  entityId: number | null;
  outboxId: number | null;
  at: number;
}>;

/**
 * A MessageLog row of a sent text (one copy of the mapping for the single and the batch insert,
 * and for the delivery engine's one-statement record on PostgreSQL).
 */
export const outboundRow = (p: OutboundSlots) => ({
  direction: "out",
  platform: p.platform,
  chatId: p.chatId,
  chatType: p.chatType,
  chatAccountId: p.chatAccountId,
  personId: p.personId,
  kind: "text",
  text: p.text,
  payload: p.payload,
  platformMessageId: p.messageId,
  replyToMessageId: p.replyTo,
  entityType: p.entityType,
  entityId: p.entityId,
  outboxId: p.outboxId,
  status: "sent",
  createdAt: p.at,
});
const outboundInsert = (k: Kysely<DB>, p: OutboundSlots) => k.insertInto("MessageLog").values(outboundRow(p));
const outboundQ = prepared((k, p: OutboundSlots) => outboundInsert(k, p).returning("id"));
const outboundLogQ = preparedRows(
  (k, rows: OutboundSlots[]) => k.insertInto("MessageLog").values(rows.map(outboundRow)),
  50,
  { serverPrepared: true },
);

export function outboundValues(m: OutboundRecord) {
  return {
    platform: m.platform,
    chatId: m.chatId,
    chatType: m.chatType,
    chatAccountId: m.chatAccountId ?? null,
    personId: m.personId ?? null,
    text: clip(m.text),
    payload: m.payload ?? null,
    messageId: m.platformMessageId ?? null,
    replyTo: m.replyToMessageId ?? null,
    entityType: m.entityType ?? null,
    entityId: m.entityId ?? null,
    outboxId: m.outboxId ?? null,
    at: m.at.getTime(),
  };
}

/** Logs an outbound message; returns its id. */
export async function recordOutbound(db: Database, m: OutboundRecord): Promise<number> {
  const row = await outboundQ.first(db, outboundValues(m));
  if (!row) throw new Error("message log: the insert returned no id");
  return row.id;
}

/** Logs an outbound message when its id is not needed (no RETURNING to read). */
export async function logOutbound(db: Database, m: OutboundRecord): Promise<void> {
  await logOutboundMany(db, [m]);
}

/**
 * Logs outbound messages whose ids are not needed, in multi-row statements (the delivery engine's
 * batches: one round trip on PostgreSQL rather than one per message).
 */
export async function logOutboundMany(db: Database, lines: readonly OutboundRecord[]): Promise<void> {
  await outboundLogQ.run(db, lines.map(outboundValues));
}

const knownChatQ = prepared((k, p: Slots<{ platform: string; chatId: string }>) =>
  k.selectFrom("MessageLog").select("id").where("platform", "=", p.platform).where("chatId", "=", p.chatId).limit(1),
);

/** Whether any message was exchanged with a chat (Zalo limits first messages to new people). */
export async function hasExchangedMessages(db: Database, platform: string, chatId: string): Promise<boolean> {
  return (await knownChatQ.first(db, { platform, chatId })) !== undefined;
}

/** The entity an outbound message concerned, found by its platform message id (for reply-to). */
export async function entityOfMessage(
  db: Database,
  platform: string,
  chatId: string,
  platformMessageId: string,
): Promise<{ entityType: string; entityId: number } | undefined> {
  const row = await db.kysely
    .selectFrom("MessageLog")
    .select(["entityType", "entityId"])
    .where("platform", "=", platform)
    .where("chatId", "=", chatId)
    .where("platformMessageId", "=", platformMessageId)
    .where("direction", "=", "out")
    .where("entityType", "is not", null)
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row && row.entityType !== null && row.entityId !== null
    ? { entityType: row.entityType, entityId: row.entityId }
    : undefined;
}

/** Inbound messages stored but not handled (a crash between storing and handling). */
export async function unhandledInbound(
  db: Database,
  olderThan: Date,
  limit = 100,
): Promise<(InboundRecord & { id: number })[]> {
  const rows = await db.kysely
    .selectFrom("MessageLog")
    .select([
      "id",
      "platform",
      "chatId",
      "chatType",
      "senderExternalId",
      "kind",
      "text",
      "payload",
      "platformEventId",
      "platformMessageId",
      "replyToMessageId",
      "createdAt",
    ])
    .where("status", "=", "received")
    .where("direction", "=", "in")
    .where("createdAt", "<", olderThan.getTime())
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    ...r,
    senderExternalId: r.senderExternalId ?? "",
    platformEventId: r.platformEventId ?? "",
    at: new Date(r.createdAt),
  }));
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
  const rows = await db.kysely
    .selectFrom("MessageLog")
    .select(["id", "direction", "text", "payload", "createdAt"])
    .where("platform", "=", platform)
    .where("chatId", "=", chatId)
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.reverse().map((r) => ({ ...r, direction: r.direction === "out" ? "out" : "in" }));
}

/** Marks an inbound message kept but not handled because its sender was flooding. */
export async function markThrottled(db: Database, logId: number): Promise<void> {
  await throttledQ.run(db, { id: logId });
}

const throttledQ = prepared((k, p: Slots<{ id: number }>) =>
  k.updateTable("MessageLog").set({ status: "throttled" }).where("id", "=", p.id),
);
