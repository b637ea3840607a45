/**
 * Per-bot flood control. Every send of the bot counts, whatever its kind: replies to members,
 * progress messages to the sender and broadcast copies share one budget, as they do on the
 * platform's side (Telegram counts sendMessage and the like; getMe, getUpdates and
 * answerCallbackQuery are not sends).
 *
 * The platform judges its limits strictly, on the time each request *arrives*: never more than
 * `perSecond` sends in any 1000 ms, never two sends to one chat within `chatIntervalMs`, never
 * more than `groupPerMinute` to one group in any 60 s. We cannot see that moment, but we can bound
 * it: a request arrives after we started writing it and before its answer comes back. So each send
 * is kept as that interval ({@link Booking}: `at` = taken right before the request is written,
 * `until` = taken once its answer is in; a request still in flight can arrive at any time). A new
 * send may start when, with its own arrival at the earliest (now) and every other at the latest
 * (`until`), no window holds too many: whatever the latency, it then starts at least 1000 ms after
 * the answer of the send it replaces in the window, and the platform saw that one before it
 * answered. No assumption about the network is made; `marginMs` can add a safety margin on top.
 *
 * Lateness (timers, a busy machine) cannot pile up in the bookkeeping: the window is computed from
 * the recorded answers, never from when a send was meant to go. The moment a send goes is decided
 * by {@link SendGate}: one timer per bot, woken a little early, then polling the clock, releasing
 * everything that is due at once in priority order (replies before broadcast copies).
 *
 * The state sits behind {@link SendBudget}, so it can move to the database (one budget shared by
 * several processes) without changing the engine.
 */
import type { RateLimits } from "../config.ts";

/** Default margin added to each window. 0: the answer bounds the arrival exactly (see above). */
export const defaultMarginMs = 0;

export type ChatKind = "private" | "group";

/** One request of the bot, from the moment it left to its answer. */
export interface Booking {
  readonly chatId: string;
  readonly chatType: ChatKind;
  /** Earliest possible arrival: taken right before the request was written. */
  readonly at: number;
  /** Latest possible arrival: when its answer (or failure) came back; Infinity while in flight. */
  until: number;
}

/** The flood-control state of one bot (platform account). */
export interface SendBudget {
  readonly limits: RateLimits;
  /** The earliest time (ms) at which any send may start (the bot-wide window, spacing, pause). */
  globalAvailableAt(now: number): number;
  /** The earliest time (ms) at which a send to this chat may start, as far as the chat goes. */
  chatAvailableAt(chatId: string, chatType: ChatKind, now: number): number;
  /** Both of the above. */
  availableAt(chatId: string, chatType: ChatKind, now: number): number;
  /** How many sends could start at `at` (≥ now) as far as the bot-wide limits go, if none starts before. */
  openSlots(at: number): number;
  /** The earliest time (≥ now) at which `count` sends could start together (bot-wide; Infinity if never). */
  slotsOpenAt(count: number, now: number): number;
  /** A request starts now (call only when `availableAt` ≤ now). */
  start(chatId: string, chatType: ChatKind, now: number): Booking;
  /** Its answer came back at `now` (success or failure): the request arrived before that. */
  complete(booking: Booking, now: number): void;
  /** Chats that cannot be sent to at `now` (interval, group window or pause), to skip in the queue. */
  heldChats(now: number): string[];
  /** The earliest time a first message to a new recipient may go (Zalo personal accounts). */
  newRecipientAvailableAt(now: number): number;
  reserveNewRecipient(now: number): void;
  /**
   * Sends to a chat made by another process (the times their answers came back): the chat's own
   * limits (interval, group window) count them as this process's own. Times already known are
   * not counted twice.
   */
  noteChatSends(chatId: string, chatType: ChatKind, untils: readonly number[]): void;
  /** After a 429 for a chat: nothing more to it until `until`. */
  pauseChat(chatId: string, until: number): void;
  /** After a 429 for the whole bot: every send waits until `until`. */
  pauseAll(until: number): void;
  /** Forgets what no longer matters, so the state does not grow without bound. */
  sweep(now: number): void;
}

/**
 * The first moment `t` with `t − from ≥ ms` as the platform will compute it: `from + ms` can round
 * to a hair less (fractions of a millisecond on epoch times), so step up to the next float if so.
 */
function after(from: number, ms: number): number {
  let t = from + ms;
  while (t - from < ms) t += Math.max(Math.abs(t) * Number.EPSILON, Number.MIN_VALUE);
  return t;
}

/** When a window of `windowMs` allows one more send, given the sends' latest arrival times. */
function windowOpensAt(sends: Booking[], limit: number, windowMs: number, now: number): number {
  if (sends.length < limit) return now;
  const since = now - windowMs;
  const recent: number[] = [];
  for (const b of sends) if (b.until > since) recent.push(b.until);
  if (recent.length < limit) return now;
  recent.sort((a, b) => a - b);
  // The window has room once all but limit − 1 of them are out of it.
  return after(recent[recent.length - limit]!, windowMs);
}

/** The in-process budget: sliding logs in memory. */
export class RateLimiter implements SendBudget {
  /** Sends that may still be in the bot-wide window (in flight, or answered within the last window). */
  #sends: Booking[] = [];
  readonly #lastToChat = new Map<string, Booking>();
  readonly #chatPause = new Map<string, number>();
  readonly #groupSends = new Map<string, Booking[]>();
  /** First messages to chats never written to before (Zalo: strangers), in the last hour. */
  readonly #newRecipients: number[] = [];
  #pausedUntil = 0;
  #lastStart = Number.NEGATIVE_INFINITY;
  readonly #window: number;
  readonly #spacing: number;
  readonly #margin: number;

  constructor(readonly limits: RateLimits) {
    this.#margin = limits.marginMs ?? defaultMarginMs;
    this.#window = 1000 + this.#margin;
    this.#spacing = limits.minIntervalMs ?? 0;
  }

  #prune(now: number): void {
    const since = now - this.#window;
    if (!this.#sends.some((b) => b.until <= since)) return;
    this.#sends = this.#sends.filter((b) => b.until > since);
  }

  globalAvailableAt(now: number): number {
    this.#prune(now);
    const opens = windowOpensAt(this.#sends, this.limits.perSecond, this.#window, now);
    return Math.max(now, this.#pausedUntil, this.#lastStart + this.#spacing, opens);
  }

  chatAvailableAt(chatId: string, chatType: ChatKind, now: number): number {
    let at = Math.max(now, this.#chatPause.get(chatId) ?? 0);
    const last = this.#lastToChat.get(chatId);
    if (last && this.limits.chatIntervalMs > 0)
      at = Math.max(at, after(last.until, this.limits.chatIntervalMs + this.#margin));
    if (chatType === "group") {
      const sends = this.#groupSends.get(chatId);
      if (sends) at = Math.max(at, windowOpensAt(sends, this.limits.groupPerMinute, 60_000 + this.#margin, now));
    }
    return at;
  }

  availableAt(chatId: string, chatType: ChatKind, now: number): number {
    return Math.max(this.globalAvailableAt(now), this.chatAvailableAt(chatId, chatType, now));
  }

  openSlots(at: number): number {
    if (this.#pausedUntil > at) return 0;
    const since = at - this.#window;
    let inWindow = 0;
    for (const b of this.#sends) if (b.until > since) inWindow++;
    const free = Math.max(0, this.limits.perSecond - inWindow);
    // With a minimum interval between sends, at most one can be about to go.
    if (this.#spacing > 0) return this.#lastStart + this.#spacing <= at ? Math.min(1, free) : 0;
    return free;
  }

  slotsOpenAt(count: number, now: number): number {
    if (count <= 0) return now;
    if (count > this.limits.perSecond || (this.#spacing > 0 && count > 1)) return Number.POSITIVE_INFINITY;
    this.#prune(now);
    const untils = this.#sends.map((b) => b.until).sort((a, b) => a - b);
    // All but perSecond − count of them must have left the window.
    const leave = untils.length - (this.limits.perSecond - count);
    const opens = leave > 0 ? after(untils[leave - 1]!, this.#window) : now;
    return Math.max(now, this.#pausedUntil, this.#lastStart + this.#spacing, opens);
  }

  start(chatId: string, chatType: ChatKind, now: number): Booking {
    const booking: Booking = { chatId, chatType, at: now, until: Number.POSITIVE_INFINITY };
    this.#lastStart = Math.max(this.#lastStart, now);
    this.#sends.push(booking);
    this.#lastToChat.set(chatId, booking);
    if (chatType === "group") {
      const sends = this.#groupSends.get(chatId) ?? [];
      sends.push(booking);
      this.#groupSends.set(chatId, sends);
    }
    return booking;
  }

  complete(booking: Booking, now: number): void {
    if (booking.until === Number.POSITIVE_INFINITY) booking.until = Math.max(booking.at, now);
  }

  heldChats(now: number): string[] {
    const held = new Set<string>();
    for (const [chat, until] of this.#chatPause) if (until > now) held.add(chat);
    if (this.limits.chatIntervalMs > 0)
      for (const [chat, last] of this.#lastToChat)
        if (last.until + this.limits.chatIntervalMs + this.#margin > now) held.add(chat);
    for (const [chat, sends] of this.#groupSends)
      if (windowOpensAt(sends, this.limits.groupPerMinute, 60_000 + this.#margin, now) > now) held.add(chat);
    return [...held];
  }

  newRecipientAvailableAt(now: number): number {
    const limit = this.limits.newRecipientsPerHour;
    if (!limit) return now;
    const since = now - 3_600_000;
    while (this.#newRecipients.length && this.#newRecipients[0]! <= since) this.#newRecipients.shift();
    return this.#newRecipients.length >= limit
      ? this.#newRecipients[this.#newRecipients.length - limit]! + 3_600_000
      : now;
  }

  reserveNewRecipient(now: number): void {
    if (this.limits.newRecipientsPerHour) this.#newRecipients.push(now);
  }

  noteChatSends(chatId: string, chatType: ChatKind, untils: readonly number[]): void {
    for (const until of untils) {
      const booking: Booking = { chatId, chatType, at: until, until };
      const last = this.#lastToChat.get(chatId);
      // A send of ours still in flight stays the chat's last: it ends later than any answer known.
      if (!last || last.until < until) this.#lastToChat.set(chatId, booking);
      if (chatType === "group") {
        const sends = this.#groupSends.get(chatId) ?? [];
        if (!sends.some((b) => b.until === until)) sends.push(booking);
        this.#groupSends.set(chatId, sends);
      }
    }
  }

  pauseChat(chatId: string, until: number): void {
    this.#chatPause.set(chatId, Math.max(this.#chatPause.get(chatId) ?? 0, until));
  }

  pauseAll(until: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
  }

  sweep(now: number): void {
    const keep = (b: Booking, windowMs: number) => b.until > now - windowMs - this.#margin;
    this.#prune(now);
    for (const [chat, pause] of this.#chatPause) if (pause <= now) this.#chatPause.delete(chat);
    for (const [chat, last] of this.#lastToChat)
      if (!keep(last, this.limits.chatIntervalMs)) this.#lastToChat.delete(chat);
    for (const [chat, sends] of this.#groupSends) {
      const kept = sends.filter((b) => keep(b, 60_000));
      if (kept.length) this.#groupSends.set(chat, kept);
      else this.#groupSends.delete(chat);
    }
  }
}

/** The time source of a {@link SendGate}: milliseconds, and a timer on the same scale. */
export interface PacingClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): () => void;
}

interface Waiter {
  chatId: string;
  chatType: ChatKind;
  priority: number;
  resolve(booking: Booking): void;
}

/** How early the gate's timer is set, at least and at most (it then polls the clock). */
const minEarlyMs = 1;
const maxEarlyMs = 4;

/**
 * Lets each request of a bot go at the first moment its budget allows, in priority order (lower
 * first, then first come): a reply that arrives while broadcast copies wait for the window takes
 * the next free place before them. Sends to a chat held by its own limit (interval, group window,
 * pause) do not hold up the others.
 *
 * Timing: one timer for the bot, set a little before the next moment something may go (by how late
 * timers have recently fired, within 1–4 ms: polling longer makes a busy machine treat the process
 * as a CPU hog and preempt it), then polling the clock on each turn of the event
 * loop (setImmediate, so answers arriving meanwhile are still read at once) until that moment. Then
 * what is due goes one request per turn of the event loop, each written before the next is
 * prepared (preparing thirty first would hold the first back by all their work). A late wake-up
 * delays that one moment only: the next is computed again from the recorded answers.
 */
export class SendGate {
  /** In the order they go: by priority, then first come. */
  readonly #waiting: Waiter[] = [];
  #cancelTimer?: () => void;
  #armedAt = Number.POSITIVE_INFINITY;
  /** Bumped whenever the wake-up changes, so that a stale poll stops. */
  #generation = 0;
  /** Recent timer lateness (ms), to wake early by about that much. */
  readonly #lateness: number[] = [];
  #early = 2;
  /** A look for the next request to let go is due on the next turn of the event loop. */
  #draining = false;

  constructor(
    readonly budget: SendBudget,
    readonly clock: PacingClock,
    /** Called after requests were let go (places in the window were taken). */
    readonly onRelease?: () => void,
  ) {}

  /** Waits for this request's turn, then starts it in the budget. */
  acquire(chatId: string, chatType: ChatKind, priority: number): Promise<Booking> {
    return new Promise((resolve) => {
      const w: Waiter = { chatId, chatType, priority, resolve };
      let i = this.#waiting.length;
      while (i > 0 && this.#waiting[i - 1]!.priority > priority) i--;
      this.#waiting.splice(i, 0, w);
      this.#release();
    });
  }

  /** The request's answer (or failure) is in. */
  complete(booking: Booking): void {
    if (booking.until !== Number.POSITIVE_INFINITY) return;
    this.budget.complete(booking, this.clock.now());
    if (this.#waiting.length) this.#release();
  }

  /** Requests waiting for their turn with this priority or a more urgent one. */
  waitingAhead(priority: number): number {
    let n = 0;
    for (const w of this.#waiting) if (w.priority <= priority) n++;
    return n;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Starts the first request that may go now, if any; with more waiting, looks again on the next
   * turn of the event loop (so this request is written first, and answers that came in meanwhile
   * are read); otherwise sets the timer for the next moment something may go.
   */
  #release(): void {
    if (this.#draining) return;
    const now = this.clock.now();
    // When nothing may go now: the bot-wide window's opening, or the first chat's own moment.
    let next = this.budget.globalAvailableAt(now);
    if (next <= now) {
      next = Number.POSITIVE_INFINITY;
      const i = this.#waiting.findIndex((w) => {
        const chat = this.budget.chatAvailableAt(w.chatId, w.chatType, now);
        next = Math.min(next, chat);
        return chat <= now;
      });
      if (i >= 0) {
        const [w] = this.#waiting.splice(i, 1);
        w!.resolve(this.budget.start(w!.chatId, w!.chatType, now));
        this.onRelease?.();
        this.#arm(Number.POSITIVE_INFINITY, now);
        if (this.#waiting.length) {
          this.#draining = true;
          setImmediate(() => {
            this.#draining = false;
            this.#release();
          });
        }
        return;
      }
    }
    this.#arm(this.#waiting.length ? next : Number.POSITIVE_INFINITY, now);
  }

  #arm(at: number, now: number): void {
    if (at === this.#armedAt) return;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#armedAt = at;
    const generation = ++this.#generation;
    // Infinity: a request in flight holds the window; its answer calls #release again.
    if (at === Number.POSITIVE_INFINITY) return;
    let pollingSince = 0;
    const poll = () => {
      if (generation !== this.#generation) return;
      if (this.clock.now() >= at) {
        this.#armedAt = Number.POSITIVE_INFINITY;
        this.#release();
        return;
      }
      // Poll on every turn of the event loop for a short while; should the clock not get there
      // (a clock that stands still in a test), fall back to a timer rather than spin.
      pollingSince ||= performance.now();
      if (performance.now() - pollingSince < maxEarlyMs * 3) setImmediate(poll);
      else setTimeout(poll, 1);
    };
    const delay = at - now - this.#early;
    if (delay <= 0) {
      setImmediate(poll);
      return;
    }
    const intended = now + delay;
    this.#cancelTimer = this.clock.setTimeout(() => {
      this.#cancelTimer = undefined;
      this.#observe(this.clock.now() - intended);
      poll();
    }, delay);
  }

  /** Keeps the wake-up margin near the recent 90th percentile of timer lateness. */
  #observe(late: number): void {
    this.#lateness.push(Math.max(0, late));
    if (this.#lateness.length > 50) this.#lateness.shift();
    const sorted = [...this.#lateness].sort((a, b) => a - b);
    const p90 = sorted[Math.floor(sorted.length * 0.9)] ?? 0;
    this.#early = Math.min(maxEarlyMs, Math.max(minEarlyMs, p90 + 1));
  }
}
