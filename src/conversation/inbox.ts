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
  recordInbound,
  completeInbound,
  unhandledInbound,
  markThrottled,
  maxMessageText,
} from "../domain/messages/message-log.ts";
import { ensureChatAccount } from "../domain/accounts/account-service.ts";
import { getPerson } from "../domain/people/people-service.ts";
import { enqueue, priorities } from "../domain/deliveries/outbox-service.ts";
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
   * Messages arriving together are committed together (group commit): each is stored and handled
   * in its own savepoint inside one transaction per batch, one message after another; the next
   * batch's transaction waits for this one to commit, so two copies of one update can never be
   * handled at the same time.
   */
  receive(message: InboundMessage): Promise<ReceiveResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ message, resolve, reject });
      if (this.#queue.length === 1) setImmediate(() => void this.#flush()); // #flush never rejects
    });
  }

  #queue: { message: InboundMessage; resolve: (r: ReceiveResult) => void; reject: (e: unknown) => void }[] = [];

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    const { db } = this.options;
    let results: ReceiveResult[];
    try {
      results = await db.transaction(async () => {
        const stored: ReceiveResult[] = [];
        for (const { message } of batch) stored.push(await this.#store(message));
        return stored;
      });
    } catch (error) {
      this.#log.error({ err: error, count: batch.length }, "could not store inbound messages");
      for (const item of batch) item.reject(error);
      return;
    }
    const platforms = new Set<string>();
    batch.forEach((item, i) => {
      if (results[i] !== "duplicate") platforms.add(item.message.platform);
      item.resolve(results[i]!);
    });
    for (const platform of platforms) this.options.onQueued?.(platform);
  }

  readonly #buckets = new Map<string, Bucket>();

  /** Takes one token from the sender's bucket; false when the sender is over the limit. */
  #admit(message: InboundMessage, now: number): { ok: boolean; notice: boolean } {
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

  async #store(received: InboundMessage): Promise<ReceiveResult> {
    const { db } = this.options;
    // PostgreSQL's text cannot hold U+0000: it becomes U+FFFD, on both engines alike.
    const original =
      hasNul(received.text) || hasNul(received.payload)
        ? { ...received, text: withoutNul(received.text), payload: withoutNul(received.payload) }
        : received;
    const message =
      original.text !== undefined && original.text.length > maxMessageText
        ? { ...original, text: this.#cut(original.text) }
        : original;
    const stored = await recordInbound(db, {
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
    });
    // A duplicate is handled again only if its first copy was stored but never handled (a crash).
    if (stored.duplicate && stored.status !== "received") return "duplicate";
    const admitted = this.#admit(message, this.#now().getTime());
    if (!admitted.ok) return this.#throttle(message, stored.id, admitted.notice);
    return this.#handle(message, stored.id);
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

  /** Handles a stored message; call inside a transaction. Never throws. */
  async #handle(message: InboundMessage, logId: number): Promise<ReceiveResult> {
    const { db, settings } = this.options;
    const now = this.#now();
    let accountId: number | null = null;
    let personId: number | null = null;
    try {
      await db.transaction(async () => {
        const account = await ensureChatAccount(db, {
          platform: message.platform,
          externalId: message.sender.id,
          displayName: message.sender.name ?? null,
          now,
        });
        accountId = account.id;
        personId = account.personId;
        const person = account.personId !== null ? await getPerson(db, account.personId) : null;
        const outcome = await converse(db, settings, message, account, person, logId, now);
        for (const [i, reply] of outcome.replies.entries())
          await enqueue(
            db,
            {
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
            },
            now,
          );
        await completeInbound(db, logId, {
          status: "handled",
          chatAccountId: account.id,
          personId: account.personId,
          entityType: outcome.entityType,
          entityId: outcome.entityId,
        });
      });
      return "handled";
    } catch (error) {
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
      await this.options.db.transaction(() => this.#handle(message, row.id));
      this.options.onQueued?.(message.platform);
    }
    return rows.length;
  }
}

function hasNul(text: string | undefined): boolean {
  return text?.includes("\u0000") ?? false;
}

/** The text with each U+0000 replaced by U+FFFD (the replacement character). */
function withoutNul(text: string | undefined): string | undefined {
  return text === undefined ? undefined : text.replaceAll("\u0000", "\uFFFD");
}
