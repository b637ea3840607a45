/**
 * The delivery engine: drains the outbox of each platform through its channel within the
 * platform's limits. 429 waits retry_after; 403 marks the account unreachable and, for a message
 * meant for a person, re-queues it to another reachable account of theirs. Every attempt is recorded.
 *
 * A platform that fails as a whole (network errors, 5xx, timeouts across chats, and a probe such
 * as getMe that fails too) is *down*: its queue pauses, a probe runs with backoff until it answers,
 * then one message goes first as a canary; none of this spends the recipients' attempts, and a
 * message waits as long as it is worth sending (see `expiryOf`). Only a failure while the platform
 * answers counts against that message (up to maxAttempts, with exponential backoff and jitter).
 *
 * Fairness: rows come in priority order (replies first), broadcasts interleave (fair order), and
 * chats that are busy or held by a limit are skipped in the query, so no chat's backlog delays
 * another chat's message.
 *
 * Several processes on one database (PostgreSQL): each claims rows with one skip-locked statement
 * (never a row another holds, never a chat another is sending to), and after its own gate takes
 * each send from the bot's budget shared through the database (shared-budget.ts), so that together
 * they keep the platform's limit. A dead process's rows are taken back by the others (its
 * heartbeat stops, or its process is gone on this host).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Database } from "../storage/database.ts";
import type { RateLimits } from "../config.ts";
import type { Logger } from "../lib/logger.ts";
import { ChannelSendError, type Channel } from "../channels/channel.ts";
import {
  backOffAccount,
  claim,
  claimDue,
  dueCandidates,
  expiryOf,
  heartbeat,
  markFinal,
  nextDueAt,
  platformHealth,
  recordSends,
  recoverDeadOwners,
  recoverExpiredLeases,
  registerWorker,
  reschedule,
  unclaim,
  enqueue,
  setPlatformHealth,
  unregisterWorker,
  priorities,
  type OutboxRow,
  type OutboxBody,
} from "../domain/deliveries/outbox-service.ts";
import { announceQueued, listenForQueued, type Listening } from "../domain/deliveries/outbox-wakeup.ts";
import { fitMessage } from "../channels/fit-message.ts";
import { hasExchangedMessages } from "../domain/messages/message-log.ts";
import { deliveryAccount, markUnreachable } from "../domain/accounts/account-service.ts";
import { RateLimiter, SendGate, type PacingClock, type SendBudget } from "./rate-limiter.ts";
import { SharedBudget, sharedHoldMs } from "./shared-budget.ts";
import { SharedChatLimits, type ChatSend } from "./shared-chats.ts";
import { takeFromBudget } from "../domain/coordination/rate-budget.ts";

/** Time as the engine sees it; tests pass a faster one to play a 10-minute outage in seconds. */
export interface EngineClock {
  now(): number;
  /** Runs `fn` after `ms` of this clock's time; returns a cancel function. */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const realClock: EngineClock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/**
 * Real time to a fraction of a millisecond, on the monotonic clock: what the flood budget measures
 * a request's departure and answer with (the dates written to the database stay on Date.now).
 */
const preciseClock: PacingClock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: realClock.setTimeout,
};

export type PlatformEvent =
  | { kind: "down"; platform: string; since: Date; error: string | null }
  | { kind: "up"; platform: string; since: Date; at: Date };

/** Worker ids of the engines running in this process (so a restart can tell an earlier run by its pid). */
const liveWorkers = new Set<string>();

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
  /** Called after each row is finished (sent, failed, unreachable, expired), for progress reporting. */
  onFinished?: (row: OutboxRow, status: "sent" | "failed" | "unreachable" | "expired") => void;
  /** Time source for scheduling (default: real time; `now`, when given, still supplies the date). */
  clock?: EngineClock;
  /** A platform down this long is reported (once) through `onPlatformEvent`; its return too. Default 2 min. */
  outageNoticeMs?: number;
  /** Told when a platform has been down for `outageNoticeMs`, and when it is back after that. */
  onPlatformEvent?: (event: PlatformEvent) => void;
  /** Longest wait between two probes of a platform that is down. Default 30 s. */
  probeMaxIntervalMs?: number;
  /**
   * Also take every send from the bot's budget shared through the database (rate-budget.ts), so
   * that several processes on one database together keep the platform's limit. Default: on
   * PostgreSQL (where several service processes may share the work), off on SQLite (one process).
   * Needs real time: a test clock that runs faster than real time turns it off.
   */
  sharedBudget?: boolean;
  /**
   * Tell the other processes on the database when this one queues messages (`kick`), and wake up
   * when they do (PostgreSQL LISTEN/NOTIFY), rather than find the rows at the next look at the
   * queue (up to `idlePollMs` later). Default: as `sharedBudget`.
   */
  wakeOthers?: boolean;
  /** Longest wait between two looks at an idle queue. Default 1000 ms. */
  idlePollMs?: number;
}

/** Shortest time between two notifications of one engine (the others' looks at the queue). */
const announceEveryMs = 50;

/** Distinct chats failing in a row (no success between) that mean the platform itself fails. */
const outageStreak = 3;
const heartbeatEveryMs = 2000;
/** How long finished sends gather before they are recorded in one transaction. */
const flushDelayMs = 20;
/**
 * How far ahead of its turn a row is claimed and prepared, so that reading the queue never delays
 * a request: it waits at the gate and leaves the moment the window allows (see SendGate). The loop
 * wakes when the next turn not yet covered is `wakeAheadMs` away and then claims every row whose
 * turn is within `lookaheadMs`: a few queue reads a second rather than one per send (each read
 * holds the event loop, and with it the answers that time the next sends).
 */
const lookaheadMs = 300;
const wakeAheadMs = 100;
/**
 * With other processes: a claimed row whose chat another process sent to so recently that the
 * chat's own limit holds it longer than this goes back to the queue until then, rather than wait
 * at the gate holding its claim (a group's minute window can hold it for most of a minute).
 */
const maxChatWaitMs = 2000;

const backoffBaseMs = 1000;
const backoffMaxMs = 5 * 60_000;

/** Exponential backoff with full jitter: attempt 1 → up to 1 s, 2 → 2 s, … capped at 5 min. */
export function backoffDelay(attempt: number, random = Math.random, base = backoffBaseMs): number {
  const ceiling = Math.min(backoffMaxMs, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

class PlatformWorker {
  readonly limiter: SendBudget;
  readonly gate: SendGate;
  /** The bot's budget shared with other processes (see `sharedBudget`), after the gate. */
  readonly shared: SharedBudget | undefined;
  /** The chats' own limits shared with other processes (with `shared`). */
  readonly chats: SharedChatLimits | undefined;
  /** The flood budget's clock: real time (finer than Date.now), or the engine's clock in tests. */
  readonly #pacing: PacingClock;
  readonly inFlight = new Set<number>();
  readonly chatsInFlight = new Set<string>();
  #wake?: () => void;
  #loop?: Promise<void>;
  #running = false;
  /** Health: up, or down since a time (then the queue pauses and a probe runs with backoff). */
  #downSince: number | null = null;
  #downError: string | null = null;
  #downNotified = false;
  #probeAt = 0;
  #probeInterval = 1000;
  #probing?: Promise<boolean>;
  /** A canary sent while down: the first message after a probe answered. */
  #canary: number | null = null;
  /** Chats whose sends failed transiently with no success since (an outage shows across chats). */
  readonly #failingChats = new Set<string>();

  constructor(
    readonly channel: Channel,
    limits: RateLimits,
    readonly engine: DeliveryEngine,
  ) {
    this.limiter = new RateLimiter(limits);
    this.#pacing = engine.options.clock ?? preciseClock;
    this.gate = new SendGate(this.limiter, this.#pacing);
    const { options } = engine;
    if (options.sharedBudget ?? (engine.db.engine === "postgresql" && !options.clock)) {
      // Zalo's spacing (one send per interval) is the stricter rule where it is set.
      const interval = limits.minIntervalMs ?? 0;
      const rule =
        interval > 1000 / limits.perSecond
          ? { limit: 1, windowMs: interval, holdMs: sharedHoldMs }
          : { limit: limits.perSecond, windowMs: 1000 + (limits.marginMs ?? 0), holdMs: sharedHoldMs };
      this.shared = new SharedBudget(engine.db, `send:${channel.id}`, rule, engine.logger);
      // A platform without per-chat spacing (the web chat; limits turned off) has nothing to share.
      if (limits.chatIntervalMs > 0) this.chats = new SharedChatLimits(engine.db, channel.id, limits, engine.logger);
    }
  }

  get down(): boolean {
    return this.#downSince !== null;
  }

  start(): void {
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Something was queued (or came back to the queue): the loop reads the queue again. */
  kick(): void {
    this.#queued = true;
    this.#wakeUp();
  }

  /** Wakes the loop to look again (a slot came free, an answer came back); not lost if it is busy. */
  #wakeUp(): void {
    this.#woken = true;
    this.#wake?.();
  }

  #woken = false;

  /** Queued since the loop last read the queue. */
  #queued = true;

  async stop(): Promise<void> {
    this.#running = false;
    this.kick();
    await this.#loop;
  }

  async #sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.#woken) {
      this.#woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const cancel = this.engine.clock.setTimeout(done, ms);
      function done() {
        cancel();
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
    this.#woken = false;
  }

  /** Asks the platform whether it answers (one probe at a time); true when it does. */
  #probe(): Promise<boolean> {
    if (!this.channel.probe) return Promise.resolve(this.#failingChats.size < outageStreak);
    return (this.#probing ??= this.channel
      .probe()
      .then(
        () => true,
        (error: unknown) => {
          this.#downError = error instanceof Error ? error.message : String(error);
          return false;
        },
      )
      .finally(() => (this.#probing = undefined)));
  }

  async #markDown(error: string | null): Promise<void> {
    if (this.#downSince !== null) return;
    const now = this.engine.clock.now();
    this.#downSince = now;
    this.#downError = error;
    this.#downNotified = false;
    this.#probeInterval = 1000;
    this.#probeAt = now + this.#probeInterval;
    this.engine.logger.warn(
      { platform: this.channel.id, error },
      "platform is not answering; its queue is paused and probed",
    );
    await this.#saveHealth();
  }

  async #markUp(): Promise<void> {
    this.#failingChats.clear();
    if (this.#downSince === null) return;
    const since = this.#downSince;
    const now = this.engine.clock.now();
    this.#downSince = null;
    this.#canary = null;
    this.engine.logger.info(
      { platform: this.channel.id, downMs: now - since },
      "platform answers again; its queue resumes",
    );
    await this.#saveHealth();
    if (this.#downNotified)
      this.engine.options.onPlatformEvent?.({
        kind: "up",
        platform: this.channel.id,
        since: new Date(since),
        at: new Date(now),
      });
    this.#downNotified = false;
    this.kick();
  }

  async #saveHealth(): Promise<void> {
    try {
      await setPlatformHealth(this.engine.db, {
        platform: this.channel.id,
        state: this.#downSince === null ? "up" : "down",
        downSince: this.#downSince,
        lastError: this.#downError,
        downNotifiedAt: this.#downNotified ? this.engine.clock.now() : null,
        updatedAt: this.engine.clock.now(),
      });
    } catch (error) {
      this.engine.logger.error({ err: error }, "could not record platform health");
    }
  }

  /**
   * While down: probe with backoff (1 s doubling to 30 s, with jitter); once the probe answers,
   * let one message through as a canary. Returns how many rows may be claimed now (0 or 1).
   */
  async #whileDown(now: number): Promise<number> {
    const { options } = this.engine;
    if (!this.#downNotified && now - this.#downSince! >= (options.outageNoticeMs ?? 120_000)) {
      this.#downNotified = true;
      await this.#saveHealth();
      options.onPlatformEvent?.({
        kind: "down",
        platform: this.channel.id,
        since: new Date(this.#downSince!),
        error: this.#downError,
      });
    }
    if (this.#canary !== null || now < this.#probeAt) return 0;
    const answers = this.channel.probe ? await this.#probe() : true;
    const after = this.engine.clock.now();
    this.#probeInterval = Math.min(options.probeMaxIntervalMs ?? 30_000, this.#probeInterval * 2);
    this.#probeAt = after + this.#probeInterval / 2 + (Math.random() * this.#probeInterval) / 2;
    if (answers) {
      const due = await nextDueAt(this.engine.db, this.channel.id);
      // Nothing queued to try: the probe is the proof.
      if (due === null || due > after) await this.#markUp();
      return 1;
    }
    return 0;
  }

  async #run(): Promise<void> {
    const { db, options } = this.engine;
    let lastSweep = 0;
    while (this.#running) {
      let now = this.engine.clock.now();
      if (now - lastSweep > 5000) {
        await this.engine.maintain(now);
        this.limiter.sweep(this.#pacing.now());
        await this.chats?.forget(this.#pacing.now());
        lastSweep = now;
      }
      // A channel another process runs (it holds the channel's lease): its rows are that process's
      // to claim. Look again shortly (the lease may come here).
      if (this.channel.canSend === false) {
        await this.#sleep(1000);
        continue;
      }
      let free = options.concurrency - this.inFlight.size;
      if (this.down) {
        free = Math.min(free, await this.#whileDown(now));
        now = this.engine.clock.now();
        if (free <= 0) {
          await this.#sleep(Math.max(1, Math.min(1000, this.#probeAt - now)));
          continue;
        }
      }
      // Every slot busy, or nearly with nothing newly queued: wait for a few to free up (each
      // finished send wakes the loop) rather than reading the queue once per message.
      if (
        free <= 0 ||
        (!this.#queued && this.inFlight.size > 0 && free < Math.max(1, Math.floor(options.concurrency / 4)))
      ) {
        await this.#sleep(1000);
        continue;
      }
      // Rows are claimed once their turn is at most `lookaheadMs` away: as many as the window will
      // have room for by then, less those already waiting at the gate with the same or a higher
      // priority. A reply therefore is claimed even when broadcast copies fill the next opening,
      // and takes its place at the gate before them.
      const pnow = this.#pacing.now();
      const horizon = pnow + lookaheadMs;
      const slots = this.limiter.openSlots(horizon);
      // Nothing queued since the last read, and the gate already holds enough for the window's
      // openings: read the queue again when one more opening comes near. So too when something
      // was queued but the gate holds replies (the first priority) enough for every opening: a
      // row read now, whatever its priority, would wait behind them (as during a burst of
      // messages, whose replies are queued faster than the platform lets them out).
      const waiting = this.#queued ? this.gate.waitingAhead(priorities.reply) : this.gate.waiting;
      if (!this.down && waiting >= slots) {
        const opens = this.limiter.slotsOpenAt(waiting + 1, pnow);
        await this.#sleep(Math.max(1, Math.min(1000, opens - wakeAheadMs - pnow)));
        continue;
      }
      this.#queued = false;
      // Chats that are busy or held by a limit are skipped in the query itself, so that a chat with
      // thousands of queued messages (or a full group) never hides another chat's message.
      const skip = new Set([...this.chatsInFlight, ...this.limiter.heldChats(horizon)]);
      let earliest = Number.POSITIVE_INFINITY;
      let gateFull = false;
      const chatsPicked = new Set<string>();
      let claimed: OutboxRow[];
      let found: number;
      if (
        // The window has room for every row a claim can take, nothing holds the whole bot, and no
        // cap on new recipients applies: every due row found would be sent, so find and claim in
        // one statement (and processes claiming together take different rows).
        slots - this.gate.waiting >= free &&
        this.limiter.globalAvailableAt(pnow) <= horizon &&
        !this.limiter.limits.newRecipientsPerHour
      ) {
        this.engine.queueReads++;
        const rows = await claimDue(db, {
          platform: this.channel.id,
          now: new Date(now),
          limit: free,
          excludeChats: skip,
          workerId: this.engine.workerId,
          leaseUntil: new Date(now + this.engine.leaseMs),
        });
        found = rows.length;
        claimed = [];
        // What the claim cannot tell (checked as for the rows found below): a second row of a
        // chat goes back to the queue, as does a row whose chat turns out to be held.
        const back: OutboxRow[] = [];
        for (const row of rows) {
          if (chatsPicked.has(row.chatId)) {
            back.push(row);
            continue;
          }
          chatsPicked.add(row.chatId);
          if (expiryOf(row) <= now) {
            await this.#expire(row, now);
            continue;
          }
          const at = this.limiter.availableAt(row.chatId, row.chatType, pnow);
          if (at > horizon) {
            earliest = Math.min(earliest, at - wakeAheadMs);
            back.push(row);
            continue;
          }
          claimed.push(row);
        }
        if (back.length)
          await unclaim(
            db,
            this.engine.workerId,
            back.map((row) => ({ id: row.id, notBefore: new Date(Number(row.notBefore)) })),
          );
      } else {
        this.engine.queueReads++;
        const candidates = await dueCandidates(db, {
          platform: this.channel.id,
          now: new Date(now),
          limit: free + 20,
          excludeChats: skip,
        });
        found = candidates.length;
        const picked: OutboxRow[] = [];
        for (const row of candidates) {
          if (picked.length >= free) break;
          // One message at a time per chat keeps each chat's messages in order.
          if (chatsPicked.has(row.chatId)) continue;
          chatsPicked.add(row.chatId);
          if (expiryOf(row) <= now) {
            await this.#expire(row, now);
            continue;
          }
          // Rows come in priority order: every one picked before this one goes before it.
          const ahead = this.gate.waitingAhead(row.priority) + picked.length;
          if (ahead >= slots) {
            // Look again when the window will have room for this one too.
            gateFull = true;
            earliest = Math.min(earliest, this.limiter.slotsOpenAt(ahead + 1, pnow) - wakeAheadMs);
            break;
          }
          const fresh = await this.#isNewRecipient(row);
          const at = Math.max(
            this.limiter.availableAt(row.chatId, row.chatType, pnow),
            fresh ? Math.max(this.limiter.newRecipientAvailableAt(pnow), this.#newRecipientsAt) : pnow,
          );
          if (at > horizon) {
            earliest = Math.min(earliest, at - wakeAheadMs);
            // Held by the bot-wide window or spacing: so is every row after it.
            if (this.limiter.globalAvailableAt(pnow) > horizon) break;
            continue;
          }
          // With other processes, the account's hourly cap on strangers is theirs too (and outlives a
          // takeover of the account by another process).
          if (fresh && this.shared && !(await this.#takeNewRecipient(pnow))) {
            earliest = Math.min(earliest, this.#newRecipientsAt - wakeAheadMs);
            continue;
          }
          if (fresh) {
            this.limiter.reserveNewRecipient(pnow);
            this.#knownChats.add(row.chatId);
          }
          picked.push(row);
        }
        claimed = await claim(
          db,
          picked.map((r) => r.id),
          this.engine.workerId,
          new Date(now + this.engine.leaseMs),
        );
      }
      if (this.chats && claimed.length) claimed = await this.#withinChatLimits(claimed, now);
      if (this.down && claimed.length) this.#canary = claimed[0]!.id;
      for (const row of claimed) this.#dispatch(row);
      if (claimed.length) continue;
      // Wait for the next moment something may be claimed; an answer coming back, a request let go
      // or a message queued wakes the loop sooner.
      let wait = this.engine.idlePollMs;
      if (Number.isFinite(earliest)) wait = Math.min(wait, earliest - pnow);
      else if (!gateFull) {
        const due = await nextDueAt(db, this.channel.id);
        if (due !== null && due > now) wait = Math.min(wait, due - now);
        else if (due !== null && found) wait = Math.min(wait, 50);
        else if (due !== null) wait = Math.min(wait, 100);
      }
      await this.#sleep(Math.max(1, wait));
    }
    while (this.inFlight.size) await new Promise((r) => setTimeout(r, 10));
    await this.flush();
    await this.shared?.stop();
  }

  /**
   * With other processes: learns their recent sends to the claimed rows' chats (the gate counts
   * them), and gives back to the queue the rows whose chat is held for more than `maxChatWaitMs`.
   * Returns the rows to send.
   */
  async #withinChatLimits(rows: OutboxRow[], now: number): Promise<OutboxRow[]> {
    await this.chats!.learn(this.limiter, rows);
    const pnow = this.#pacing.now();
    const keep: OutboxRow[] = [];
    const back: { row: OutboxRow; notBefore: Date }[] = [];
    for (const row of rows) {
      const wait = this.limiter.chatAvailableAt(row.chatId, row.chatType, pnow) - pnow;
      if (wait > maxChatWaitMs) back.push({ row, notBefore: new Date(now + Math.ceil(wait)) });
      else keep.push(row);
    }
    if (!back.length) return keep;
    try {
      await unclaim(
        this.engine.db,
        this.engine.workerId,
        back.map((b) => ({ id: b.row.id, notBefore: b.notBefore })),
      );
    } catch (error) {
      // Still claimed here: they wait at the gate instead.
      this.engine.logger.error({ err: error }, "could not give rows held by their chat's limit back to the queue");
      return rows;
    }
    return keep;
  }

  async #expire(row: OutboxRow, now: number): Promise<void> {
    await markFinal(this.engine.db, {
      id: row.id,
      status: "expired",
      now: new Date(now),
      detail: { error: "no longer worth sending" },
    });
    this.engine.logger.info({ outboxId: row.id, platform: row.platform }, "message expired before it could be sent");
    this.engine.options.onFinished?.(row, "expired");
  }

  #dispatch(row: OutboxRow): void {
    this.inFlight.add(row.id);
    this.chatsInFlight.add(row.chatId);
    // A sent row stays "in flight" until its success is committed (see #flushCompleted), so that
    // a crash can only resend what was really in flight: at most `concurrency` rows.
    this.#awaiting++;
    void this.#deliver(row).then((recordedLater) => {
      if (!recordedLater) this.#release(row, true);
    });
  }

  /** Rows dispatched whose requests have not all been answered yet (at the gate or on the wire). */
  #awaiting = 0;

  /** The row is no longer held; `requeued` when it may be back in the queue (a failure). */
  #release(row: OutboxRow, requeued: boolean): void {
    this.inFlight.delete(row.id);
    this.chatsInFlight.delete(row.chatId);
    if (requeued) this.kick();
    else this.#wakeUp();
  }

  /** Sends one row; true when its success will be recorded by the next batch flush. */
  async #deliver(row: OutboxRow): Promise<boolean> {
    let answered = false;
    const settle = () => {
      if (answered) return;
      answered = true;
      this.#awaiting--;
    };
    try {
      return await this.#send(row, settle);
    } finally {
      settle();
    }
  }

  /** `#deliver`'s work; calls `answered` once the platform has answered (or failed) the last request. */
  async #send(row: OutboxRow, answered: () => void): Promise<boolean> {
    const { db } = this.engine;
    let body: OutboxBody;
    /** When the answers to this row's requests came back (one per part of a split text). */
    const untils: number[] = [];
    try {
      body = JSON.parse(row.body) as OutboxBody;
    } catch {
      await markFinal(db, {
        id: row.id,
        status: "failed",
        now: this.engine.now(),
        detail: { error: "unreadable body" },
      });
      return false;
    }
    try {
      // One rendering rule for every feature: a text longer than the platform allows is shown once,
      // cut, with a note of how much was cut and where to read it whole.
      const message = fitMessage(
        body,
        this.channel.capabilities,
        row.entityType && row.entityId != null ? { type: row.entityType, id: row.entityId } : undefined,
      );
      // Wait for its turn in the bot's budget; the request is written in the same turn of the
      // event loop (a channel that splits a text asks again through `pace` for each further part).
      // Then, with other processes on the database, its place in the bot's shared budget.
      let booking = await this.gate.acquire(row.chatId, row.chatType, row.priority);
      let use = this.shared ? await this.shared.take() : null;
      let first = true;
      const pace = async () => {
        if (first) {
          first = false;
          return;
        }
        // The previous part's answer is in: it arrived before now.
        this.gate.complete(booking);
        untils.push(booking.until);
        this.shared?.settle(use);
        booking = await this.gate.acquire(row.chatId, row.chatType, row.priority);
        use = this.shared ? await this.shared.take() : null;
      };
      let result: Awaited<ReturnType<Channel["send"]>>;
      try {
        result = await this.channel.send({ chatId: row.chatId, chatType: row.chatType }, message, pace);
      } finally {
        // The request arrived before its answer came back (or its failure showed).
        this.gate.complete(booking);
        untils.push(booking.until);
        this.shared?.settle(use);
        answered();
      }
      this.#failingChats.clear();
      if (this.down) await this.#markUp();
      this.#completeLater(row, body, result.messageIds, untils);
      return true;
    } catch (error) {
      // The requests made may have reached the platform: they count for the chat, elsewhere too.
      if (this.chats && untils.length)
        await this.chats
          .record([{ ...row, untils }])
          .catch((inner: unknown) =>
            this.engine.logger.error({ err: inner, outboxId: row.id }, "could not record a failed send's chat"),
          );
      try {
        await this.#handleFailure(row, error);
      } catch (inner) {
        this.engine.logger.error({ err: inner, outboxId: row.id }, "could not record a failed send");
      }
      return false;
    }
  }

  readonly #knownChats = new Set<string>();

  /** When the shared hourly cap on new recipients lets the next one go (gate clock). */
  #newRecipientsAt = 0;

  /**
   * Takes a first message to a new recipient from the account's hourly cap shared through the
   * database; false (and when to try again in `#newRecipientsAt`) when it is spent. A database
   * error leaves it to this process's own count.
   */
  async #takeNewRecipient(pnow: number): Promise<boolean> {
    const limit = this.limiter.limits.newRecipientsPerHour;
    if (!limit) return true;
    try {
      const grant = await takeFromBudget(this.engine.db, `new-recipients:${this.channel.id}`, 1, {
        limit,
        windowMs: 3_600_000,
      });
      if (grant.granted) return true;
      this.#newRecipientsAt = pnow + Math.max(1000, (grant.retryAt ?? grant.now) - grant.now);
      return false;
    } catch (error) {
      this.engine.logger.error({ err: error }, "could not take from the shared cap on new recipients");
      return true;
    }
  }

  /** A chat we have never exchanged a message with (only tracked where the platform limits those). */
  async #isNewRecipient(row: OutboxRow): Promise<boolean> {
    if (!this.limiter.limits.newRecipientsPerHour || this.#knownChats.has(row.chatId)) return false;
    const known = await hasExchangedMessages(this.engine.db, row.platform, row.chatId);
    if (known) this.#knownChats.add(row.chatId);
    return !known;
  }

  #completed: { row: OutboxRow; body: OutboxBody; messageIds: string[]; at: Date; untils: number[] }[] = [];

  /** A flush is due on the next turn of the event loop; or the cancel of the one due later. */
  #flushSoon = false;
  #flushLater?: NodeJS.Timeout;

  /**
   * Records successful sends in batches: one transaction for the sends answered together (a
   * commit per message was the engine's bottleneck, and on PostgreSQL every statement of a flush
   * is a round trip whatever the batch's size). Once no other request awaits its answer, at once
   * (after the answers already read): the rows make room for the next ones. While others still
   * await theirs, at most `flushDelayMs` later, so that their answers commit in the same
   * transaction (and, while the window is full, bound the next window first).
   */
  #completeLater(row: OutboxRow, body: OutboxBody, messageIds: string[], untils: number[]): void {
    this.#completed.push({ row, body, messageIds, at: this.engine.now(), untils });
    if (this.#flushSoon) return;
    if (this.#awaiting === 0) {
      this.#flushSoon = true;
      setImmediate(() => this.#flushCompleted());
    } else this.#flushLater ??= setTimeout(() => this.#flushCompleted(), flushDelayMs);
  }

  /** Flushes run one after another; `flush()` waits for the one under way. Never rejects. */
  #flushing: Promise<void> = Promise.resolve();
  #queueFlush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushCompleted());
    return this.#flushing;
  }

  async #flushCompleted(): Promise<void> {
    this.#flushSoon = false;
    clearTimeout(this.#flushLater);
    this.#flushLater = undefined;
    const batch = this.#completed;
    this.#completed = [];
    if (!batch.length) return;
    const { options } = this.engine;
    try {
      await this.#recordSent(batch);
    } catch (error) {
      // The rows stay "sending"; after their lease another worker (or a restart) will retry them.
      this.engine.logger.error({ err: error, count: batch.length }, "could not record sent messages");
      for (const { row } of batch) this.#release(row, true);
      return;
    }
    for (const { row } of batch) {
      this.#release(row, false);
      options.onFinished?.(row, "sent");
    }
  }

  async #recordSent(
    batch: { row: OutboxRow; body: OutboxBody; messageIds: string[]; at: Date; untils: number[] }[],
  ): Promise<void> {
    const chats = this.chats;
    if (chats) {
      // The chats' send times go with the rows marked sent: visible to whoever claims a chat next.
      const sends: ChatSend[] = batch.map(({ row, untils }) => ({ ...row, untils }));
      await this.engine.db.transaction(async () => {
        await chats.record(sends);
        await this.#markSent(batch);
      });
    } else await this.#markSent(batch);
  }

  async #markSent(batch: { row: OutboxRow; body: OutboxBody; messageIds: string[]; at: Date }[]): Promise<void> {
    await recordSends(
      this.engine.db,
      this.engine.workerId,
      batch.map(({ row, body, messageIds, at }) => ({
        id: row.id,
        platformMessageId: messageIds.at(-1) ?? null,
        at,
        log: (messageIds.length ? messageIds : [null]).map((messageId) => ({
          platform: row.platform,
          chatId: row.chatId,
          chatType: row.chatType,
          chatAccountId: row.chatAccountId,
          personId: row.personId,
          text: body.text,
          payload: body.choices?.length ? JSON.stringify(body.choices) : null,
          platformMessageId: messageId,
          replyToMessageId: body.replyTo ?? null,
          entityType: row.entityType,
          entityId: row.entityId,
          outboxId: row.id,
          at,
        })),
      })),
    );
  }

  /** Writes any sends not yet recorded (before stopping). */
  async flush(): Promise<void> {
    await this.#flushing;
    if (this.#completed.length) await this.#queueFlush();
  }

  async #handleFailure(row: OutboxRow, error: unknown): Promise<void> {
    const { db, options, logger } = this.engine;
    const now = this.engine.now();
    const failure =
      error instanceof ChannelSendError
        ? error
        : new ChannelSendError("transient", error instanceof Error ? error.message : String(error), { cause: error });
    const detail = {
      errorCode: failure.options.errorCode,
      error: failure.message,
      retryAfter: failure.options.retryAfterSeconds,
    };
    switch (failure.failure) {
      case "rate_limited": {
        const wait = Math.max(1, failure.options.retryAfterSeconds ?? 1) * 1000;
        const resume = this.#pacing.now() + wait;
        this.limiter.pauseChat(row.chatId, resume);
        if (failure.options.scope === "platform") this.limiter.pauseAll(resume);
        this.engine.rateLimited++;
        await db.transaction(async () => {
          await reschedule(db, {
            id: row.id,
            outcome: "rate_limited",
            notBefore: new Date(now.getTime() + wait),
            now,
            detail,
          });
          // A long back-off of one recipient (Zalo's code 123) is kept on the account, so that it
          // survives a restart and shows in the channel status.
          if (wait >= 60_000 && row.chatAccountId != null && failure.options.scope !== "platform")
            await backOffAccount(db, row.chatAccountId, new Date(now.getTime() + wait));
        });
        return;
      }
      case "unreachable": {
        this.#failingChats.clear();
        await db.transaction(async () => {
          await markFinal(db, { id: row.id, status: "unreachable", now, detail });
          if (row.chatAccountId != null && row.chatType === "private")
            await markUnreachable(db, row.chatAccountId, now);
          // A message meant for a person goes to another reachable account of theirs, if any.
          if (row.personId != null && row.chatType === "private") {
            const other = await deliveryAccount(db, row.personId);
            if (other && other.id !== row.chatAccountId)
              await enqueue(
                db,
                {
                  platform: other.platform,
                  chatId: other.externalId,
                  chatAccountId: other.id,
                  personId: row.personId,
                  priority: row.priority,
                  body: JSON.parse(row.body) as OutboxBody,
                  entityType: row.entityType,
                  entityId: row.entityId,
                  dedupeKey: row.dedupeKey ? `${row.dedupeKey}:fallback:${other.id}` : null,
                },
                now,
              );
          }
        });
        logger.info({ outboxId: row.id, platform: row.platform }, "recipient unreachable");
        options.onFinished?.(row, "unreachable");
        return;
      }
      case "permanent":
        await markFinal(db, { id: row.id, status: "failed", now, detail });
        logger.warn({ outboxId: row.id, error: failure.message }, "message refused by the platform");
        options.onFinished?.(row, "failed");
        return;
      case "transient": {
        // Is it the platform (down for everyone) or this message? A probe decides; while the
        // platform is down, nothing counts against the recipients.
        this.#failingChats.add(row.chatId);
        if (this.#canary === row.id) this.#canary = null;
        const platformFails = this.down || this.#failingChats.size >= outageStreak || !(await this.#probe());
        if (platformFails) {
          await this.#markDown(failure.message);
          await reschedule(db, {
            id: row.id,
            outcome: "platform_down",
            notBefore: this.engine.now(),
            now: this.engine.now(),
            detail,
          });
          return;
        }
        if (row.attempts >= options.maxAttempts) {
          await markFinal(db, { id: row.id, status: "failed", now, detail });
          logger.warn({ outboxId: row.id, attempts: row.attempts, error: failure.message }, "giving up after retries");
          options.onFinished?.(row, "failed");
          return;
        }
        await reschedule(db, {
          id: row.id,
          outcome: "retry",
          notBefore: new Date(now.getTime() + backoffDelay(row.attempts, Math.random, options.backoffBaseMs)),
          now,
          detail,
        });
        return;
      }
    }
  }
}

export class DeliveryEngine {
  readonly host = hostname();
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly leaseMs: number;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly clock: EngineClock;
  /** 429s met so far (for benchmarks and status). */
  rateLimited = 0;
  /** Reads of the queue so far, every platform's (for tests and benchmarks). */
  queueReads = 0;
  readonly #workers = new Map<string, PlatformWorker>();
  #heartbeatTimer?: () => void;
  readonly idlePollMs: number;
  /** Whether this engine tells the others of rows it queues and listens for theirs. */
  readonly #wakeOthers: boolean;
  #listening?: Listening;
  /** Platforms to announce to the other processes ("" for all), at the next announcement. */
  readonly #toAnnounce = new Set<string>();
  /** When the last announcement went (gate clock), and whether the next one is scheduled. */
  #announcedAt = Number.NEGATIVE_INFINITY;
  #announceScheduled = false;

  constructor(
    readonly db: Database,
    readonly options: DeliveryEngineOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 60_000;
    this.idlePollMs = options.idlePollMs ?? 1000;
    this.#wakeOthers = db.engine === "postgresql" && (options.wakeOthers ?? options.sharedBudget ?? !options.clock);
    this.logger = options.logger.child({ module: "delivery" });
    const now = options.now;
    this.clock = options.clock ?? (now ? { ...realClock, now: () => now().getTime() } : realClock);
    this.now = now ?? (() => new Date(this.clock.now()));
  }

  /** Adds a channel; its outbox rows are delivered once `start` has run. */
  addChannel(channel: Channel): void {
    const limits = this.options.limits[channel.id] ?? { perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 };
    this.#workers.set(channel.id, new PlatformWorker(channel, limits, this));
  }

  async start(): Promise<void> {
    liveWorkers.add(this.workerId);
    await registerWorker(this.db, { id: this.workerId, host: this.host, pid: process.pid }, this.now());
    await this.maintain(this.clock.now());
    this.#beat();
    if (this.#wakeOthers)
      this.#listening = await listenForQueued(
        this.db,
        (platform) => this.#wake(platform || undefined),
        (error) => this.logger.warn({ err: error }, "outbox notifications: connection lost; polling meanwhile"),
      );
    for (const w of this.#workers.values()) w.start();
  }

  /** The heartbeat runs on its own timer, so a long outage or an idle queue never makes it stale. */
  #beat(): void {
    this.#heartbeatTimer = this.clock.setTimeout(() => void this.#heartbeat(), heartbeatEveryMs);
  }

  async #heartbeat(): Promise<void> {
    try {
      await heartbeat(this.db, this.workerId, this.now());
    } catch (error) {
      this.logger.error({ err: error }, "could not write the delivery heartbeat");
    }
    this.#beat();
  }

  /**
   * Returns abandoned rows to the queue: at once those of owners known to be dead (stale heartbeat,
   * stopped, or a dead process on this host), otherwise when their lease ends.
   */
  async maintain(now: number): Promise<void> {
    try {
      const self = { id: this.workerId, host: this.host, pid: process.pid };
      const isAlive = (pid: number) => {
        if (pid === process.pid) return true;
        try {
          process.kill(pid, 0);
          return true;
        } catch (error) {
          return (error as NodeJS.ErrnoException).code === "EPERM";
        }
      };
      const recovered =
        (await recoverDeadOwners(this.db, {
          now: new Date(now),
          self,
          isAlive: (pid) => isAlive(pid),
          liveHere: liveWorkers,
        })) + (await recoverExpiredLeases(this.db, new Date(now), this.workerId));
      if (recovered) {
        this.logger.info({ recovered }, "messages left in flight by a stopped worker are queued again");
        this.kick();
      }
    } catch (error) {
      this.logger.error({ err: error }, "could not recover abandoned messages");
    }
  }

  /**
   * Wakes the worker of a platform (or all) after something was queued, and tells the other
   * processes on the database (see `wakeOthers`).
   */
  kick(platform?: string): void {
    this.#wake(platform);
    if (!this.#wakeOthers) return;
    this.#toAnnounce.add(platform ?? "");
    if (this.#announceScheduled) return;
    this.#announceScheduled = true;
    // At most one announcement every `announceEveryMs`: a burst of replies (each kicks) costs the
    // others one look at the queue, not one per reply. The first goes at once.
    const wait = Math.max(0, this.#announcedAt + announceEveryMs - performance.now());
    const go = () => {
      this.#announceScheduled = false;
      if (!this.#listening) return; // stopped (or never started)
      this.#announcedAt = performance.now();
      const platforms = this.#toAnnounce.has("") ? [""] : [...this.#toAnnounce];
      this.#toAnnounce.clear();
      for (const p of platforms)
        announceQueued(this.db, p).catch((error: unknown) =>
          this.logger.warn({ err: error }, "could not tell the other processes of queued messages"),
        );
    };
    if (wait > 0) setTimeout(go, wait);
    else setImmediate(go);
  }

  #wake(platform?: string): void {
    if (platform) this.#workers.get(platform)?.kick();
    else for (const w of this.#workers.values()) w.kick();
  }

  /** Platforms currently down (their queues paused), with since when. */
  async downPlatforms(): Promise<{ platform: string; since: Date }[]> {
    return (await platformHealth(this.db))
      .filter((h) => h.state === "down" && h.downSince != null)
      .map((h) => ({ platform: h.platform, since: new Date(Number(h.downSince)) }));
  }

  /** Stops claiming and waits for in-flight sends to finish. */
  async stop(): Promise<void> {
    await this.#listening?.stop();
    this.#listening = undefined;
    await Promise.all([...this.#workers.values()].map((w) => w.stop()));
    this.#heartbeatTimer?.();
    liveWorkers.delete(this.workerId);
    try {
      await unregisterWorker(this.db, this.workerId, this.now());
    } catch (error) {
      this.logger.warn({ err: error }, "could not unregister the delivery worker");
    }
  }
}
