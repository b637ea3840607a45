/**
 * The way in for every channel: store the message (before the platform is acknowledged), recognise
 * a platform's duplicate, find the chat account and person, run the conversation, and queue the
 * replies in the outbox with the highest priority. Replies are keyed by the inbound message, so
 * handling a message again after a crash never sends its replies twice.
 */
import type { Database } from "../storage/database.ts";
import type { InboundMessage } from "../channels/channel.ts";
import type { Logger } from "../lib/logger.ts";
import {
  recordInboundMany,
  completeInbound,
  completeInboundMany,
  unhandledInbound,
  markThrottled,
  maxMessageText,
  type InboundCompletion,
} from "../domain/messages/message-log.ts";
import { accountWithPerson, ensureChatAccount, touchChatAccounts } from "../domain/accounts/account-service.ts";
import { getPerson } from "../domain/people/people-service.ts";
import { enqueue, enqueueRows, priorities, type OutboxItem } from "../domain/deliveries/outbox-service.ts";
import { converse, type ConversationSettings } from "./conversation.ts";
import { translator } from "../lib/i18n.ts";

export interface InboxOptions {
  db: Database;
  settings: ConversationSettings;
  logger: Logger;
  now?: () => Date;
  /** Called after replies were queued, to wake the delivery engine. */
  onQueued?: (platform: string) => void;
  /**
   * Per-sender flood limit: a sender may send `burst` messages at once, then one every
   * `intervalMs`. Messages past it are stored (status "throttled") but not handled, and the sender
   * is told once. Absent: no limit (tests of the conversation).
   */
  inboundLimit?: { burst: number; intervalMs: number };
  /**
   * Batches committed at the same time (default: 1 on SQLite, whose one connection runs one
   * transaction at a time; 3 on PostgreSQL). The next batch takes every message queued meanwhile.
   */
  parallel?: number;
}

/** Most messages in one batch (one transaction). */
const maxBatch = 200;

/** What a batch writes once all its messages were handled: their replies and their log status. */
interface BatchWrites {
  replies: { item: OutboxItem; now: Date }[];
  completions: InboundCompletion[];
}

interface Queued {
  message: InboundMessage;
  resolve: (r: ReceiveResult) => void;
  reject: (e: unknown) => void;
}

interface Bucket {
  tokens: number;
  at: number;
  /** The flood notice was sent since the sender was last let through. */
  noticed: boolean;
}

export type ReceiveResult = "handled" | "duplicate" | "failed" | "throttled";

export class Inbox {
  readonly #log: Logger;
  readonly #now: () => Date;

  constructor(readonly options: InboxOptions) {
    this.#log = options.logger.child({ module: "inbox" });
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Stores and handles one inbound message. Resolves once the message is stored and handled (and
   * its replies queued); a failure while handling is logged and answered politely, never thrown to
   * the channel. Rejects only when the database could not store it, so that the platform retries.
   *
   * Messages arriving together are committed together (group commit): a batch is stored in
   * multi-row statements, then each message is handled in its own savepoint, one after another,
   * and the batch's replies and log statuses are written in multi-row statements before the one
   * commit. A batch starts when fewer than `parallel` run and takes every message queued by then.
   * Two copies of one update can never be handled at the same time: within a batch the second
   * copy is a duplicate; in another batch its insert waits (unique index) until the first commits.
   */
  receive(message: InboundMessage): Promise<ReceiveResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ message, resolve, reject });
      this.#schedule();
    });
  }

  #queue: Queued[] = [];
  #running = 0;
  #scheduled = false;

  get #parallel(): number {
    return this.options.parallel ?? (this.options.db.engine === "postgresql" ? 3 : 1);
  }

  /** Starts a batch on the next turn of the event loop, unless one is about to start or enough run. */
  #schedule(): void {
    if (this.#scheduled || this.#running >= this.#parallel || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush(); // never rejects
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#take();
    if (!batch.length) return;
    this.#running++;
    const senders = new Set(batch.map((item) => senderKey(item.message)));
    for (const key of senders) this.#busySenders.add(key);
    this.#schedule(); // another lane for what is left
    const { db } = this.options;
    let results: ReceiveResult[];
    const messages = batch.map((item) => item.message);
    // Each sender's flood allowance is taken once per message, however often the batch runs.
    const admissions: Admission[] = [];
    // Batches running side by side (PostgreSQL) can still deadlock on shared rows (a meeting's
    // tally, say); the server then aborts one, which is stored and handled again from the start.
    const run = (careful: boolean) =>
      db.transaction(() => this.#storeAll(messages, admissions, careful), { retryConflicts: 3 });
    try {
      try {
        results = await run(false);
      } catch (error) {
        // A message failed while handled without a savepoint of its own: the whole batch is rolled
        // back and runs again, each message in its savepoint, so that only that one fails.
        if (!(error instanceof HandledCarelessly)) throw error;
        results = await run(true);
      }
    } catch (error) {
      this.#log.error({ err: error, count: batch.length }, "could not store inbound messages");
      for (const item of batch) item.reject(error);
      return;
    } finally {
      for (const key of senders) this.#busySenders.delete(key);
      this.#running--;
      this.#schedule();
    }
    const platforms = new Set<string>();
    batch.forEach((item, i) => {
      if (results[i] !== "duplicate") platforms.add(item.message.platform);
      item.resolve(results[i]!);
    });
    for (const platform of platforms) this.options.onQueued?.(platform);
  }

  /** Senders with a message in a running batch. */
  readonly #busySenders = new Set<string>();

  /**
   * The next batch: up to maxBatch queued messages, in arrival order, leaving in the queue those
   * whose sender has a message in a running batch. A sender's messages are thus handled one after
   * another, in order, each seeing what the one before committed, even when batches run side by
   * side; and two copies of one update never run in two batches at once.
   */
  #take(): Queued[] {
    // Queued messages are shared among the lanes free to take them (PostgreSQL): a burst runs
    // side by side instead of in one batch after another.
    const free = Math.max(1, this.#parallel - this.#running);
    const size = Math.min(maxBatch, Math.ceil(this.#queue.length / free));
    if (this.#busySenders.size === 0) return this.#queue.splice(0, size);
    const batch: Queued[] = [];
    const rest: Queued[] = [];
    for (const item of this.#queue) {
      if (batch.length < size && !this.#busySenders.has(senderKey(item.message))) batch.push(item);
      else rest.push(item);
    }
    this.#queue = rest;
    return batch;
  }

  readonly #buckets = new Map<string, Bucket>();

  /** Takes one token from the sender's bucket; false when the sender is over the limit. */
  #admit(message: InboundMessage, now: number): Admission {
    const limit = this.options.inboundLimit;
    if (!limit) return { ok: true, notice: false };
    const key = `${message.platform}:${message.sender.id}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      // Forget senders whose bucket has refilled, so the map stays small.
      if (this.#buckets.size > 10_000)
        for (const [k, b] of this.#buckets)
          if (b.tokens + (now - b.at) / limit.intervalMs >= limit.burst) this.#buckets.delete(k);
      bucket = { tokens: limit.burst, at: now, noticed: false };
      this.#buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(limit.burst, bucket.tokens + Math.max(0, now - bucket.at) / limit.intervalMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      bucket.noticed = false;
      return { ok: true, notice: false };
    }
    const notice = !bucket.noticed;
    bucket.noticed = true;
    return { ok: false, notice };
  }

  /** Cuts a text longer than maxMessageText, with a note saying how much was cut. */
  #cut(text: string | undefined): string | undefined {
    if (text === undefined || text.length <= maxMessageText) return text;
    const note = translator(this.options.settings.defaultLocale)("security.message_cut", {
      max: maxMessageText,
      rest: text.length - maxMessageText,
    });
    return `${text.slice(0, maxMessageText)}\n${note}`;
  }

  /** The message as stored: no U+0000, a text longer than maxMessageText cut. */
  #clean(received: InboundMessage): InboundMessage {
    // PostgreSQL's text cannot hold U+0000: it becomes U+FFFD, on both engines alike.
    const original =
      hasNul(received.text) || hasNul(received.payload)
        ? { ...received, text: withoutNul(received.text), payload: withoutNul(received.payload) }
        : received;
    return original.text !== undefined && original.text.length > maxMessageText
      ? { ...original, text: this.#cut(original.text) }
      : original;
  }

  /**
   * Stores and handles a batch, in its transaction; the results in the batch's order. `admissions`
   * keeps each message's flood decision (by its place in the batch) for the batch's next run.
   * Unless `careful`, messages are handled without a savepoint each (two statements fewer per
   * message), and the first that fails throws HandledCarelessly for the batch to run again.
   */
  async #storeAll(received: InboundMessage[], admissions: Admission[], careful: boolean): Promise<ReceiveResult[]> {
    const { db } = this.options;
    const messages = received.map((m) => this.#clean(m));
    const stored = await recordInboundMany(
      db,
      messages.map((message) => ({
        platform: message.platform,
        chatId: message.chatId,
        chatType: message.chatType,
        senderExternalId: message.sender.id,
        kind: message.kind,
        text: message.text ?? null,
        payload: message.payload ?? null,
        platformEventId: message.eventId,
        platformMessageId: message.messageId ?? null,
        replyToMessageId: message.replyTo ?? null,
        at: message.at,
      })),
    );
    const results: ReceiveResult[] = [];
    const toHandle: number[] = [];
    for (const [i, message] of messages.entries()) {
      const copy = stored[i]!;
      // A duplicate is handled again only if its first copy was stored but never handled (a crash).
      if (copy.duplicate && (copy.sameBatch || copy.status !== "received")) {
        results[i] = "duplicate";
        continue;
      }
      admissions[i] ??= this.#admit(message, this.#now().getTime());
      const admitted = admissions[i]!;
      if (!admitted.ok) results[i] = await this.#throttle(message, copy.id, admitted.notice);
      else toHandle.push(i);
    }
    // Every sender's account found or created (and its last-seen time noted) in two statements.
    await touchChatAccounts(
      db,
      toHandle.map((i) => ({
        platform: messages[i]!.platform,
        externalId: messages[i]!.sender.id,
        displayName: messages[i]!.sender.name ?? null,
        now: this.#now(),
      })),
    );
    const writes: BatchWrites = { replies: [], completions: [] };
    for (const i of toHandle) results[i] = await this.#handle(messages[i]!, stored[i]!.id, { writes, careful });
    await enqueueRows(db, writes.replies);
    await completeInboundMany(db, writes.completions);
    return results;
  }

  /** A flooding sender's message: kept in the log, not handled; the sender is told once. */
  async #throttle(message: InboundMessage, logId: number, notice: boolean): Promise<ReceiveResult> {
    const { db, settings } = this.options;
    const now = this.#now();
    await markThrottled(db, logId);
    if (notice && message.chatType === "private") {
      const account = await ensureChatAccount(db, {
        platform: message.platform,
        externalId: message.sender.id,
        displayName: message.sender.name ?? null,
        now,
      });
      const locale =
        account.personId !== null
          ? (await getPerson(db, account.personId)).locale === "en"
            ? "en"
            : "vi"
          : settings.defaultLocale;
      await enqueue(
        db,
        {
          platform: message.platform,
          chatId: message.chatId,
          chatType: message.chatType,
          chatAccountId: account.id,
          personId: account.personId,
          priority: priorities.reply,
          body: { text: translator(locale)("security.flood_notice"), locale },
          dedupeKey: `reply:${logId}:flood`,
        },
        now,
      );
      this.#log.warn(
        { platform: message.platform, accountId: account.id },
        "a sender is flooding; their messages are stored but not handled for now",
      );
    }
    return "throttled";
  }

  /**
   * Handles a stored message; call inside a transaction. Throws only when the database aborted
   * the transaction to break a deadlock (to be run again), or, in a batch that is not `careful`,
   * HandledCarelessly when the message failed. In a batch, its replies and its log status are
   * added to `batch.writes` for the batch to write (in the same transaction) instead of written
   * at once.
   */
  async #handle(
    message: InboundMessage,
    logId: number,
    batch?: { writes: BatchWrites; careful: boolean },
  ): Promise<ReceiveResult> {
    const { db, settings } = this.options;
    const now = this.#now();
    let accountId: number | null = null;
    let personId: number | null = null;
    // Carelessly: in the batch's transaction itself, which a failure leaves to be rolled back.
    const isolated = <T>(fn: () => Promise<T>): Promise<T> => (batch?.careful === false ? fn() : db.transaction(fn));
    try {
      const writes = await isolated(async () => {
        // In a batch the account exists already (touchChatAccounts): read it with its person.
        const found = batch ? await accountWithPerson(db, message.platform, message.sender.id, now) : undefined;
        const account =
          found?.account ??
          (await ensureChatAccount(db, {
            platform: message.platform,
            externalId: message.sender.id,
            displayName: message.sender.name ?? null,
            now,
          }));
        accountId = account.id;
        personId = account.personId;
        const person = found ? found.person : account.personId !== null ? await getPerson(db, account.personId) : null;
        const outcome = await converse(
          db,
          settings,
          message,
          account,
          person,
          logId,
          now,
          found && { open: found.question },
        );
        const replies = outcome.replies.map(
          (reply, i): OutboxItem => ({
            platform: message.platform,
            chatId: message.chatId,
            chatType: message.chatType,
            chatAccountId: account.id,
            personId: account.personId,
            priority: priorities.reply,
            body: { text: reply.text, choices: reply.choices, replyTo: reply.replyTo, locale: reply.locale },
            entityType: reply.entityType ?? outcome.entityType ?? null,
            entityId: reply.entityId ?? outcome.entityId ?? null,
            dedupeKey: `reply:${logId}:${i}`,
          }),
        );
        const completion: InboundCompletion = {
          id: logId,
          status: "handled",
          chatAccountId: account.id,
          personId: account.personId,
          entityType: outcome.entityType,
          entityId: outcome.entityId,
        };
        if (batch) return { replies, completion };
        for (const item of replies) await enqueue(db, item, now);
        await completeInbound(db, logId, completion);
        return undefined;
      });
      if (writes && batch) {
        for (const item of writes.replies) batch.writes.replies.push({ item, now });
        batch.writes.completions.push(writes.completion);
      }
      return "handled";
    } catch (error) {
      // Not the message's fault: the whole transaction runs again (retryConflicts).
      if (db.isTransientConflict(error)) throw error;
      if (batch?.careful === false) throw new HandledCarelessly(error);
      this.#log.error({ err: error, platform: message.platform, logId }, "failed to handle a message");
      try {
        await completeInbound(db, logId, { status: "failed", chatAccountId: accountId, personId });
        const locale =
          personId !== null ? ((await getPerson(db, personId)).locale === "en" ? "en" : "vi") : settings.defaultLocale;
        await enqueue(
          db,
          {
            platform: message.platform,
            chatId: message.chatId,
            chatType: message.chatType,
            chatAccountId: accountId,
            personId,
            priority: priorities.reply,
            body: { text: translator(locale)("chat.error"), locale },
            dedupeKey: `reply:${logId}:error`,
          },
          now,
        );
      } catch (inner) {
        this.#log.error({ err: inner }, "could not record the failure");
      }
      return "failed";
    }
  }

  /** Handles messages stored but left unhandled by a crash. Returns how many. */
  async recover(olderThanMs = 5_000): Promise<number> {
    const rows = await unhandledInbound(this.options.db, new Date(this.#now().getTime() - olderThanMs));
    for (const row of rows) {
      const message: InboundMessage = {
        platform: row.platform as InboundMessage["platform"],
        account: "",
        chatId: row.chatId,
        chatType: row.chatType === "group" ? "group" : "private",
        sender: { id: row.senderExternalId },
        kind: row.kind as InboundMessage["kind"],
        text: row.text ?? undefined,
        payload: row.payload ?? undefined,
        eventId: row.platformEventId,
        messageId: row.platformMessageId ?? undefined,
        replyTo: row.replyToMessageId ?? undefined,
        at: row.at,
      };
      await this.options.db.transaction(() => this.#handle(message, row.id), { retryConflicts: 3 });
      this.options.onQueued?.(message.platform);
    }
    return rows.length;
  }
}

/** A message of a batch failed while handled without its own savepoint (see #storeAll). */
class HandledCarelessly extends Error {
  constructor(cause: unknown) {
    super("a message failed in a batch handled without savepoints", { cause });
  }
}

/** A sender's flood decision for one message. */
interface Admission {
  ok: boolean;
  /** The sender is to be told, once, that they are over the limit. */
  notice: boolean;
}

function senderKey(message: InboundMessage): string {
  return `${message.platform}:${message.sender.id}`;
}

function hasNul(text: string | undefined): boolean {
  return text?.includes("\u0000") ?? false;
}

/** The text with each U+0000 replaced by U+FFFD (the replacement character). */
function withoutNul(text: string | undefined): string | undefined {
  return text === undefined ? undefined : text.replaceAll("\u0000", "\uFFFD");
}
