/**
 * Per-bot flood control. Every send of the bot counts, whatever its kind: replies to members,
 * progress messages to the sender and broadcast copies share one budget, as they do on the
 * platform's side (Telegram counts sendMessage and the like; getMe, getUpdates and
 * answerCallbackQuery are not sends).
 *
 * The platform judges its limits strictly, on the time each request *arrives*: never more than
 * `perSecond` sends in any 1000 ms, never two sends to one chat within `chatIntervalMs`, never
 * more than `groupPerMinute` to one group in any 60 s. A token bucket that allows bursts breaks
 * such a window; so does a log of the times we *meant* to send, because the time between deciding
 * and the request's arrival varies (claiming, building the request, a busy machine, the network:
 * tens of milliseconds). So each send is kept as the interval in which it can have arrived: not
 * before the moment its request left (`confirm`), not after its answer came back (`complete`)
 * less half the shortest round trip seen lately (the way back takes at least that much). While a
 * request is in flight its arrival is unknown and it counts as arriving at any time. A new send is
 * allowed when, even with the earliest arrival for it and the latest for the others, no window
 * can hold too many, plus `marginMs`.
 *
 * The state sits behind {@link SendBudget}, so it can move to the database (one budget shared by
 * several processes) without changing the engine.
 */
import type { RateLimits } from "../config.ts";

/** Default margin added to each window (timer rounding, clock granularity). */
export const defaultMarginMs = 2;

export type ChatKind = "private" | "group";

/** One send of the bot, from booking to answer. */
export interface Booking {
  chatId: string;
  chatType: ChatKind;
  /** Earliest possible arrival: when it was booked, then when its request left. */
  at: number;
  /** Latest possible arrival: unknown (Infinity) until the answer came back. */
  until: number;
  confirmed: boolean;
  /** The bot's previous send before this booking (for a minimum interval between sends). */
  previous: number;
}

/** The flood-control state of one bot (platform account). */
export interface SendBudget {
  readonly limits: RateLimits;
  /** The earliest time (ms) at which any send may go (the bot-wide window and spacing). */
  globalAvailableAt(now: number): number;
  /** The earliest time (ms) at which a send to this chat may go. */
  availableAt(chatId: string, chatType: ChatKind, now: number): number;
  /** Books a send to this chat at `now` (call only when `availableAt` ≤ now). */
  reserve(chatId: string, chatType: ChatKind, now: number): Booking;
  /**
   * Right before the request is written: moves the booking to `now` if the limits allow and
   * returns 0; otherwise returns how long to wait before asking again.
   */
  confirm(booking: Booking, now: number): number;
  /** The answer came back at `now` (success or failure): the request arrived before that. */
  complete(booking: Booking, now: number): void;
  /** The booking was not used (claimed by another process, or its request never left). */
  cancel(booking: Booking): void;
  /** Chats that cannot be sent to at `now` (interval, group window or pause), to skip in the queue. */
  heldChats(now: number): string[];
  /** The earliest time a first message to a new recipient may go (Zalo personal accounts). */
  newRecipientAvailableAt(now: number): number;
  reserveNewRecipient(now: number): void;
  /** After a 429 for a chat: nothing more to it until `until`. */
  pauseChat(chatId: string, until: number): void;
  /** After a 429 for the whole bot: every send waits until `until`. */
  pauseAll(until: number): void;
  /** Forgets what no longer matters, so the state does not grow without bound. */
  sweep(now: number): void;
}

/** When the window of `windowMs` allows one more send, given the sends' latest arrival times. */
function windowOpensAt(sends: Booking[], limit: number, windowMs: number, now: number): number {
  if (sends.length < limit) return now;
  const since = now - windowMs;
  const recent: number[] = [];
  for (const b of sends) if (b.until > since) recent.push(b.until);
  if (recent.length < limit) return now;
  recent.sort((a, b) => a - b);
  // The oldest of the sends that must leave the window first.
  return recent[recent.length - limit]! + windowMs;
}

/** The in-process budget: sliding logs in memory. */
export class RateLimiter implements SendBudget {
  readonly #sends: Booking[] = [];
  readonly #lastToChat = new Map<string, Booking>();
  readonly #chatPause = new Map<string, number>();
  readonly #groupSends = new Map<string, Booking[]>();
  /** First messages to chats never written to before (Zalo: strangers), in the last hour. */
  readonly #newRecipients: number[] = [];
  #pausedUntil = 0;
  #lastSendAt = Number.NEGATIVE_INFINITY;
  /** Recent round trips (ms), for the shortest one. */
  readonly #roundTrips: number[] = [];
  readonly #margin: number;
  readonly #spacing: number;

  constructor(readonly limits: RateLimits) {
    this.#margin = limits.marginMs ?? defaultMarginMs;
    this.#spacing = limits.minIntervalMs ?? 0;
  }

  globalAvailableAt(now: number): number {
    if (this.#sends.length > 4 * this.limits.perSecond + 100) this.#prune(now);
    const opens = windowOpensAt(this.#sends, this.limits.perSecond, 1000 + this.#margin, now);
    return Math.max(now, this.#pausedUntil, this.#lastSendAt + this.#spacing, opens);
  }

  #chatAvailableAt(chatId: string, chatType: ChatKind, now: number): number {
    let at = this.#chatPause.get(chatId) ?? 0;
    const last = this.#lastToChat.get(chatId);
    if (last && this.limits.chatIntervalMs > 0) at = Math.max(at, last.until + this.limits.chatIntervalMs + this.#margin);
    if (chatType === "group") {
      const sends = this.#groupSends.get(chatId);
      if (sends) at = Math.max(at, windowOpensAt(sends, this.limits.groupPerMinute, 60_000 + this.#margin, now));
    }
    return at;
  }

  availableAt(chatId: string, chatType: ChatKind, now: number): number {
    return Math.max(this.globalAvailableAt(now), this.#chatAvailableAt(chatId, chatType, now));
  }

  reserve(chatId: string, chatType: ChatKind, now: number): Booking {
    const booking: Booking = { chatId, chatType, at: now, until: Number.POSITIVE_INFINITY, confirmed: false, previous: this.#lastSendAt };
    this.#add(booking);
    return booking;
  }

  #add(booking: Booking): void {
    this.#lastSendAt = Math.max(this.#lastSendAt, booking.at);
    this.#sends.push(booking);
    this.#lastToChat.set(booking.chatId, booking);
    if (booking.chatType === "group") {
      const sends = this.#groupSends.get(booking.chatId) ?? [];
      sends.push(booking);
      this.#groupSends.set(booking.chatId, sends);
    }
  }

  #remove(booking: Booking): void {
    const i = this.#sends.indexOf(booking);
    if (i >= 0) this.#sends.splice(i, 1);
    if (this.#lastToChat.get(booking.chatId) === booking) this.#lastToChat.delete(booking.chatId);
    const group = this.#groupSends.get(booking.chatId);
    const j = group?.indexOf(booking) ?? -1;
    if (j >= 0) group!.splice(j, 1);
    if (this.#lastSendAt === booking.at) this.#lastSendAt = booking.previous;
  }

  confirm(booking: Booking, now: number): number {
    if (booking.confirmed) {
      // A further request for the same message (a text sent in parts): a booking of its own.
      const at = this.availableAt(booking.chatId, booking.chatType, now);
      if (at > now) return at - now;
      Object.assign(booking, { at: now, until: Number.POSITIVE_INFINITY, previous: this.#lastSendAt });
      this.#add(booking);
      return 0;
    }
    // Judge the send without its own booking, then book it again at the real time.
    this.#remove(booking);
    const at = this.availableAt(booking.chatId, booking.chatType, now);
    booking.previous = this.#lastSendAt;
    booking.at = Math.max(now, at);
    this.#add(booking);
    if (at > now) return at - now;
    booking.confirmed = true;
    return 0;
  }

  complete(booking: Booking, now: number): void {
    // A channel that does not pace its requests sent it when it was booked.
    booking.confirmed = true;
    const roundTrip = now - booking.at;
    this.#roundTrips.push(roundTrip);
    if (this.#roundTrips.length > 200) this.#roundTrips.shift();
    // The answer needs at least half the shortest round trip to come back (once enough round trips
    // were seen for the shortest to mean something; until then, the answer's own time).
    const back = this.#roundTrips.length >= 30 ? Math.min(...this.#roundTrips) / 2 : 0;
    booking.until = Math.max(booking.at, now - back);
  }

  cancel(booking: Booking): void {
    this.#remove(booking);
  }

  heldChats(now: number): string[] {
    const held = new Set<string>();
    for (const [chat, until] of this.#chatPause) if (until > now) held.add(chat);
    if (this.limits.chatIntervalMs > 0)
      for (const [chat, last] of this.#lastToChat) if (last.until + this.limits.chatIntervalMs + this.#margin > now) held.add(chat);
    for (const [chat, sends] of this.#groupSends)
      if (windowOpensAt(sends, this.limits.groupPerMinute, 60_000 + this.#margin, now) > now) held.add(chat);
    return [...held];
  }

  newRecipientAvailableAt(now: number): number {
    const limit = this.limits.newRecipientsPerHour;
    if (!limit) return now;
    const since = now - 3_600_000;
    while (this.#newRecipients.length && this.#newRecipients[0]! <= since) this.#newRecipients.shift();
    return this.#newRecipients.length >= limit ? this.#newRecipients[this.#newRecipients.length - limit]! + 3_600_000 : now;
  }

  reserveNewRecipient(now: number): void {
    if (this.limits.newRecipientsPerHour) this.#newRecipients.push(now);
  }

  pauseChat(chatId: string, until: number): void {
    this.#chatPause.set(chatId, Math.max(this.#chatPause.get(chatId) ?? 0, until));
  }

  pauseAll(until: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
  }

  #prune(now: number): void {
    const since = now - 1000 - this.#margin;
    let kept = 0;
    for (const b of this.#sends) if (b.until > since) this.#sends[kept++] = b;
    this.#sends.length = kept;
  }

  sweep(now: number): void {
    const keep = (b: Booking, windowMs: number) => b.until > now - windowMs - this.#margin;
    this.#prune(now);
    for (const [chat, pause] of this.#chatPause) if (pause <= now) this.#chatPause.delete(chat);
    for (const [chat, last] of this.#lastToChat) if (!keep(last, this.limits.chatIntervalMs)) this.#lastToChat.delete(chat);
    for (const [chat, sends] of this.#groupSends) {
      const kept = sends.filter((b) => keep(b, 60_000));
      if (kept.length) this.#groupSends.set(chat, kept);
      else this.#groupSends.delete(chat);
    }
  }
}
