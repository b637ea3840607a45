/**
 * Per-bot flood control, decided when a message is picked (the send follows in the same tick).
 * Every send of the bot counts, whatever its kind: replies to members, progress messages to the
 * sender and broadcast copies share one budget, as they do on the platform's side.
 *
 * The platform judges its limits strictly, on the time each request *arrives*: never more than
 * `perSecond` sends in any 1000 ms, never two sends to one chat within `chatIntervalMs`, never more
 * than `groupPerMinute` to one group in any 60 s. A token bucket that allows bursts breaks such a
 * window, so this keeps a sliding log of our own send times and adds `marginMs` to every window,
 * which absorbs the variation of network delay between two sends. Sends are also spaced evenly
 * (1000 / perSecond ms apart): a burst of 30 queued together on one connection arrives with more
 * jitter than 30 sends spaced out.
 *
 * The state sits behind {@link SendBudget} so that it can move to the database (one budget shared
 * by several processes) without changing the engine.
 */
import type { RateLimits } from "../config.ts";

/** Default margin added to each window: the spread of network delay it absorbs. */
export const defaultMarginMs = 10;

export type ChatKind = "private" | "group";

/** The flood-control state of one bot (platform account). */
export interface SendBudget {
  readonly limits: RateLimits;
  /** The earliest time (ms) at which any send may go (the bot-wide window and spacing). */
  globalAvailableAt(now: number): number;
  /** The earliest time (ms) at which a send to this chat may go. */
  availableAt(chatId: string, chatType: ChatKind, now: number): number;
  /** Books a send to this chat at `now` (call only when `availableAt` ≤ now). */
  reserve(chatId: string, chatType: ChatKind, now: number): void;
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

/** Drops the leading entries at or before `since` (the list is in ascending order). */
function prune(list: number[], since: number): void {
  let i = 0;
  while (i < list.length && list[i]! <= since) i++;
  if (i) list.splice(0, i);
}

/** The in-process budget: sliding logs in memory. */
export class RateLimiter implements SendBudget {
  readonly #sends: number[] = [];
  readonly #chatNext = new Map<string, number>();
  readonly #groupSends = new Map<string, number[]>();
  /** First messages to chats never written to before (Zalo: strangers), in the last hour. */
  readonly #newRecipients: number[] = [];
  #pausedUntil = 0;
  #lastSendAt = Number.NEGATIVE_INFINITY;
  readonly #margin: number;
  readonly #spacing: number;

  constructor(readonly limits: RateLimits) {
    this.#margin = limits.marginMs ?? defaultMarginMs;
    this.#spacing = Math.max(limits.minIntervalMs ?? 0, limits.perSecond > 0 ? 1000 / limits.perSecond : 0);
  }

  globalAvailableAt(now: number): number {
    let at = Math.max(now, this.#pausedUntil, this.#lastSendAt + this.#spacing);
    const window = 1000 + this.#margin;
    prune(this.#sends, now - window);
    if (this.#sends.length >= this.limits.perSecond) at = Math.max(at, this.#sends[this.#sends.length - this.limits.perSecond]! + window);
    return at;
  }

  availableAt(chatId: string, chatType: ChatKind, now: number): number {
    let at = Math.max(this.globalAvailableAt(now), this.#chatNext.get(chatId) ?? 0);
    if (chatType === "group") {
      const sends = this.#groupSends.get(chatId);
      if (sends) {
        const groupWindow = 60_000 + this.#margin;
        prune(sends, now - groupWindow);
        if (sends.length >= this.limits.groupPerMinute) at = Math.max(at, sends[sends.length - this.limits.groupPerMinute]! + groupWindow);
      }
    }
    return at;
  }

  reserve(chatId: string, chatType: ChatKind, now: number): void {
    this.#lastSendAt = now;
    this.#sends.push(now);
    if (this.limits.chatIntervalMs > 0) this.#chatNext.set(chatId, now + this.limits.chatIntervalMs + this.#margin);
    if (chatType === "group") {
      const sends = this.#groupSends.get(chatId) ?? [];
      sends.push(now);
      this.#groupSends.set(chatId, sends);
    }
  }

  heldChats(now: number): string[] {
    const held: string[] = [];
    for (const [chat, next] of this.#chatNext) if (next > now) held.push(chat);
    const groupWindow = 60_000 + this.#margin;
    for (const [chat, sends] of this.#groupSends) {
      prune(sends, now - groupWindow);
      if (sends.length >= this.limits.groupPerMinute) held.push(chat);
    }
    return held;
  }

  newRecipientAvailableAt(now: number): number {
    const limit = this.limits.newRecipientsPerHour;
    if (!limit) return now;
    prune(this.#newRecipients, now - 3_600_000);
    return this.#newRecipients.length >= limit ? this.#newRecipients[this.#newRecipients.length - limit]! + 3_600_000 : now;
  }

  reserveNewRecipient(now: number): void {
    if (this.limits.newRecipientsPerHour) this.#newRecipients.push(now);
  }

  pauseChat(chatId: string, until: number): void {
    this.#chatNext.set(chatId, Math.max(this.#chatNext.get(chatId) ?? 0, until));
  }

  pauseAll(until: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
  }

  sweep(now: number): void {
    for (const [chat, next] of this.#chatNext) if (next <= now) this.#chatNext.delete(chat);
    for (const [chat, sends] of this.#groupSends) {
      prune(sends, now - 60_000 - this.#margin);
      if (!sends.length) this.#groupSends.delete(chat);
    }
  }
}
