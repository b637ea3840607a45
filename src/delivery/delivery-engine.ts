/**
 * The delivery engine: drains the outbox of each platform through its channel within the
 * platform's limits. 429 waits retry_after; 5xx and network errors retry with exponential backoff
 * and jitter, bounded by maxAttempts; 403 marks the account unreachable and, for a message meant
 * for a person, re-queues it to another reachable account of theirs. Every attempt is recorded.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "../storage/database.ts";
import type { RateLimits } from "../config.ts";
import type { Logger } from "../lib/logger.ts";
import { ChannelSendError, type Channel } from "../channels/channel.ts";
import {
  claim, dueCandidates, markFinal, markSent, nextDueAt, recoverExpiredLeases, reschedule, enqueue, type OutboxRow, type OutboxBody,
} from "../domain/deliveries/outbox-service.ts";
import { recordOutbound } from "../domain/messages/message-log.ts";
import { deliveryAccount, markUnreachable } from "../domain/accounts/account-service.ts";
import { RateLimiter } from "./rate-limiter.ts";

export interface DeliveryEngineOptions {
  concurrency: number;
  maxAttempts: number;
  limits: Record<string, RateLimits>;
  logger: Logger;
  /** How long a claim is held before another worker may take the row (crash recovery). */
  leaseMs?: number;
  now?: () => Date;
  /** First retry delay after a transient failure (doubles each attempt, with jitter). */
  backoffBaseMs?: number;
  /** Called after each row is finished (sent, failed, unreachable), for progress reporting. */
  onFinished?: (row: OutboxRow, status: "sent" | "failed" | "unreachable") => void;
}

const backoffBaseMs = 1000;
const backoffMaxMs = 5 * 60_000;

/** Exponential backoff with full jitter: attempt 1 → up to 1 s, 2 → 2 s, … capped at 5 min. */
export function backoffDelay(attempt: number, random = Math.random, base = backoffBaseMs): number {
  const ceiling = Math.min(backoffMaxMs, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

class PlatformWorker {
  readonly limiter: RateLimiter;
  readonly inFlight = new Set<number>();
  readonly chatsInFlight = new Set<string>();
  #wake?: () => void;
  #loop?: Promise<void>;
  #running = false;

  constructor(
    readonly channel: Channel,
    limits: RateLimits,
    readonly engine: DeliveryEngine,
  ) {
    this.limiter = new RateLimiter(limits);
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  kick(): void {
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.kick();
    await this.#loop;
  }

  async #sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
  }

  async #run(): Promise<void> {
    const { db, options } = this.engine;
    let lastSweep = 0;
    while (this.#running) {
      const now = this.engine.now().getTime();
      if (now - lastSweep > 5000) {
        recoverExpiredLeases(db, new Date(now), this.engine.workerId);
        this.limiter.sweep(now);
        lastSweep = now;
      }
      const free = options.concurrency - this.inFlight.size;
      // Claim in batches: with most slots busy, wait for a few more to free up (each finished send
      // wakes the loop) rather than querying the queue once per message.
      if (free <= 0 || (this.inFlight.size > 0 && free < Math.max(1, Math.floor(options.concurrency / 4)))) {
        await this.#sleep(1000);
        continue;
      }
      // Look a little past the free slots; if everything seen is held back by a rate limit (one busy
      // group, say), look further so that other chats are not starved behind it.
      let candidates: OutboxRow[] = [];
      const picked: OutboxRow[] = [];
      let earliest = Number.POSITIVE_INFINITY;
      for (let limit = free + 20; ; limit *= 8) {
        candidates = dueCandidates(db, this.channel.id, new Date(now), limit);
        picked.length = 0;
        earliest = Number.POSITIVE_INFINITY;
        const chatsPicked = new Set<string>();
        for (const row of candidates) {
          if (picked.length >= free) break;
          // One message at a time per chat keeps each chat's messages in order.
          if (this.chatsInFlight.has(row.chatId) || chatsPicked.has(row.chatId)) continue;
          chatsPicked.add(row.chatId);
          const fresh = this.#isNewRecipient(row);
          const at = Math.max(this.limiter.availableAt(row.chatId, row.chatType, row.priority, now), fresh ? this.limiter.newRecipientAvailableAt(now) : now);
          if (at > now) {
            earliest = Math.min(earliest, at);
            continue;
          }
          if (fresh) {
            this.limiter.reserveNewRecipient(now);
            this.#knownChats.add(row.chatId);
          }
          // Reserve at once, so the next row sees this one in the rate windows. (A retry of the
          // outer loop only happens when nothing was picked, so nothing is reserved twice.)
          this.limiter.reserve(row.chatId, row.chatType, row.priority, now);
          picked.push(row);
        }
        if (picked.length || candidates.length < limit || limit > 10_000) break;
      }
      const claimed = claim(db, picked.map((r) => r.id), this.engine.workerId, new Date(now + this.engine.leaseMs));
      for (const row of claimed) this.#dispatch(row);
      if (claimed.length) continue;
      let wait = 1000;
      if (Number.isFinite(earliest)) wait = Math.min(wait, earliest - now);
      else {
        const due = nextDueAt(db, this.channel.id);
        if (due !== null && due > now) wait = Math.min(wait, due - now);
        else if (due !== null && candidates.length) wait = Math.min(wait, 50);
      }
      await this.#sleep(Math.max(1, wait));
    }
    while (this.inFlight.size) await new Promise((r) => setTimeout(r, 10));
    this.flush();
  }

  #dispatch(row: OutboxRow): void {
    this.inFlight.add(row.id);
    this.chatsInFlight.add(row.chatId);
    // A sent row stays "in flight" until its success is committed (see #flushCompleted), so that
    // a crash can only resend what was really in flight: at most `concurrency` rows.
    void this.#deliver(row).then((recordedLater) => {
      if (!recordedLater) this.#release(row);
    });
  }

  #release(row: OutboxRow): void {
    this.inFlight.delete(row.id);
    this.chatsInFlight.delete(row.chatId);
    this.kick();
  }

  /** Sends one row; true when its success will be recorded by the next batch flush. */
  async #deliver(row: OutboxRow): Promise<boolean> {
    const { db } = this.engine;
    let body: OutboxBody;
    try {
      body = JSON.parse(row.body) as OutboxBody;
    } catch {
      markFinal(db, row.id, "failed", this.engine.now(), { error: "unreadable body" });
      return false;
    }
    try {
      const result = await this.channel.send({ chatId: row.chatId, chatType: row.chatType }, body);
      this.#completeLater(row, body, result.messageIds);
      return true;
    } catch (error) {
      try {
        this.#handleFailure(row, error);
      } catch (inner) {
        this.engine.logger.error({ err: inner, outboxId: row.id }, "could not record a failed send");
      }
      return false;
    }
  }

  readonly #knownChats = new Set<string>();

  /** A chat we have never exchanged a message with (only tracked where the platform limits those). */
  #isNewRecipient(row: OutboxRow): boolean {
    if (!this.limiter.limits.newRecipientsPerHour || this.#knownChats.has(row.chatId)) return false;
    const known = this.engine.db.sql.get(`SELECT 1 FROM MessageLog WHERE platform = ? AND chatId = ? LIMIT 1`, row.platform, row.chatId);
    if (known) this.#knownChats.add(row.chatId);
    return !known;
  }

  #completed: { row: OutboxRow; body: OutboxBody; messageIds: string[]; at: Date }[] = [];

  /**
   * Records successful sends in batches: all sends finished in the same tick commit in one
   * transaction (one commit per message was the engine's bottleneck).
   */
  #completeLater(row: OutboxRow, body: OutboxBody, messageIds: string[]): void {
    this.#completed.push({ row, body, messageIds, at: this.engine.now() });
    if (this.#completed.length === 1) setImmediate(() => this.#flushCompleted());
  }

  #flushCompleted(): void {
    const batch = this.#completed;
    this.#completed = [];
    const { options } = this.engine;
    try {
      this.#recordSent(batch);
    } catch (error) {
      // The rows stay "sending"; after their lease another worker (or a restart) will retry them.
      this.engine.logger.error({ err: error, count: batch.length }, "could not record sent messages");
      for (const { row } of batch) this.#release(row);
      return;
    }
    for (const { row } of batch) {
      this.#release(row);
      options.onFinished?.(row, "sent");
    }
  }

  #recordSent(batch: { row: OutboxRow; body: OutboxBody; messageIds: string[]; at: Date }[]): void {
    const { db } = this.engine;
    db.sql.transaction(() => {
      for (const { row, body, messageIds, at } of batch) {
        markSent(db, row.id, this.engine.workerId, messageIds.at(-1) ?? null, at);
        for (const messageId of messageIds.length ? messageIds : [null])
          recordOutbound(db, {
            platform: row.platform, chatId: row.chatId, chatType: row.chatType, chatAccountId: row.chatAccountId,
            personId: row.personId, text: body.text, payload: body.choices?.length ? JSON.stringify(body.choices) : null,
            platformMessageId: messageId, replyToMessageId: body.replyTo ?? null, entityType: row.entityType,
            entityId: row.entityId, outboxId: row.id, at,
          });
      }
    });
  }

  /** Writes any sends not yet recorded (before stopping). */
  flush(): void {
    if (this.#completed.length) this.#flushCompleted();
  }

  #handleFailure(row: OutboxRow, error: unknown): void {
    const { db, options, logger } = this.engine;
    const now = this.engine.now();
    const failure = error instanceof ChannelSendError ? error : new ChannelSendError("transient", error instanceof Error ? error.message : String(error), { cause: error });
    const detail = { errorCode: failure.options.errorCode, error: failure.message, retryAfter: failure.options.retryAfterSeconds };
    switch (failure.failure) {
      case "rate_limited": {
        const wait = Math.max(1, failure.options.retryAfterSeconds ?? 1) * 1000;
        this.limiter.pauseChat(row.chatId, now.getTime() + wait);
        if (failure.options.scope === "platform") this.limiter.pauseAll(now.getTime() + wait);
        this.engine.rateLimited++;
        db.sql.transaction(() => {
          reschedule(db, row.id, "rate_limited", new Date(now.getTime() + wait), now, detail);
          // A long back-off of one recipient (Zalo's code 123) is kept on the account, so that it
          // survives a restart and shows in the channel status.
          if (wait >= 60_000 && row.chatAccountId != null && failure.options.scope !== "platform")
            db.sql.run(`UPDATE ChatAccount SET backoffUntil = ? WHERE id = ?`, now.getTime() + wait, row.chatAccountId);
        });
        return;
      }
      case "unreachable": {
        db.sql.transaction(() => {
          markFinal(db, row.id, "unreachable", now, detail);
          if (row.chatAccountId != null && row.chatType === "private") markUnreachable(db, row.chatAccountId, now);
          // A message meant for a person goes to another reachable account of theirs, if any.
          if (row.personId != null && row.chatType === "private") {
            const other = deliveryAccount(db, row.personId);
            if (other && other.id !== row.chatAccountId)
              enqueue(db, {
                platform: other.platform, chatId: other.externalId, chatAccountId: other.id, personId: row.personId,
                priority: row.priority, body: JSON.parse(row.body) as OutboxBody, entityType: row.entityType, entityId: row.entityId,
                dedupeKey: row.dedupeKey ? `${row.dedupeKey}:fallback:${other.id}` : null,
              }, now);
          }
        });
        logger.info({ outboxId: row.id, platform: row.platform }, "recipient unreachable");
        options.onFinished?.(row, "unreachable");
        return;
      }
      case "permanent":
        markFinal(db, row.id, "failed", now, detail);
        logger.warn({ outboxId: row.id, error: failure.message }, "message refused by the platform");
        options.onFinished?.(row, "failed");
        return;
      case "transient":
        if (row.attempts >= options.maxAttempts) {
          markFinal(db, row.id, "failed", now, detail);
          logger.warn({ outboxId: row.id, attempts: row.attempts, error: failure.message }, "giving up after retries");
          options.onFinished?.(row, "failed");
          return;
        }
        reschedule(db, row.id, "retry", new Date(now.getTime() + backoffDelay(row.attempts, Math.random, options.backoffBaseMs)), now, detail);
        return;
    }
  }
}

export class DeliveryEngine {
  readonly workerId = `${process.pid}-${randomUUID().slice(0, 8)}`;
  readonly leaseMs: number;
  readonly logger: Logger;
  readonly now: () => Date;
  /** 429s met so far (for benchmarks and status). */
  rateLimited = 0;
  readonly #workers = new Map<string, PlatformWorker>();

  constructor(
    readonly db: Database,
    readonly options: DeliveryEngineOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.logger = options.logger.child({ module: "delivery" });
    this.now = options.now ?? (() => new Date());
  }

  /** Adds a channel; its outbox rows are delivered once `start` has run. */
  addChannel(channel: Channel): void {
    const limits = this.options.limits[channel.id] ?? { perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 };
    this.#workers.set(channel.id, new PlatformWorker(channel, limits, this));
  }

  start(): void {
    recoverExpiredLeases(this.db, this.now());
    for (const w of this.#workers.values()) w.start();
  }

  /** Wakes the worker of a platform (or all) after something was queued. */
  kick(platform?: string): void {
    if (platform) this.#workers.get(platform)?.kick();
    else for (const w of this.#workers.values()) w.kick();
  }

  /** Stops claiming and waits for in-flight sends to finish. */
  async stop(): Promise<void> {
    await Promise.all([...this.#workers.values()].map((w) => w.stop()));
  }
}
