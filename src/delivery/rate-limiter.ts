/**
 * Per-platform flood control, decided before a message is claimed: a sliding one-second window for
 * bulk messages across chats, a minimum interval per chat, a sliding one-minute window per group,
 * and pauses after a 429. Replies to a member (priority 0) skip the bulk window: Telegram's 30/s
 * applies to broadcasts, not to answers.
 */
import type { RateLimits } from "../config.ts";

/** Margin added to the one-second window so that network jitter does not push us over the cap. */
const windowMarginMs = 30;

export class RateLimiter {
  readonly #bulk: number[] = [];
  readonly #chatNext = new Map<string, number>();
  readonly #groupSends = new Map<string, number[]>();
  /** First messages to chats never written to before (Zalo: strangers), in the last hour. */
  readonly #newRecipients: number[] = [];
  #pausedUntil = 0;
  #lastSendAt = Number.NEGATIVE_INFINITY;

  constructor(readonly limits: RateLimits) {}

  #prune(list: number[], since: number): void {
    let i = 0;
    while (i < list.length && list[i]! <= since) i++;
    if (i) list.splice(0, i);
  }

  /** The earliest time (ms) at which a message to this chat may go, given its priority. */
  availableAt(chatId: string, chatType: "private" | "group", priority: number, now: number): number {
    let at = Math.max(now, this.#pausedUntil, this.#chatNext.get(chatId) ?? 0, this.#lastSendAt + (this.limits.minIntervalMs ?? 0));
    if (priority > 0) {
      this.#prune(this.#bulk, now - 1000 - windowMarginMs);
      if (this.#bulk.length >= this.limits.perSecond) at = Math.max(at, this.#bulk[this.#bulk.length - this.limits.perSecond]! + 1000 + windowMarginMs);
    }
    if (chatType === "group") {
      const sends = this.#groupSends.get(chatId) ?? [];
      this.#prune(sends, now - 60_000);
      if (sends.length >= this.limits.groupPerMinute) at = Math.max(at, sends[sends.length - this.limits.groupPerMinute]! + 60_000);
    }
    return at;
  }

  /**
   * The earliest time a first message to a new recipient may go (Zalo locks accounts that write to
   * too many strangers). Unlimited when the platform sets no such limit.
   */
  newRecipientAvailableAt(now: number): number {
    const limit = this.limits.newRecipientsPerHour;
    if (!limit) return now;
    this.#prune(this.#newRecipients, now - 3_600_000);
    return this.#newRecipients.length >= limit ? this.#newRecipients[this.#newRecipients.length - limit]! + 3_600_000 : now;
  }

  reserveNewRecipient(now: number): void {
    if (this.limits.newRecipientsPerHour) this.#newRecipients.push(now);
  }

  /** Books a send to this chat now. */
  reserve(chatId: string, chatType: "private" | "group", priority: number, now: number): void {
    this.#lastSendAt = now;
    if (priority > 0) this.#bulk.push(now);
    this.#chatNext.set(chatId, now + this.limits.chatIntervalMs);
    if (chatType === "group") {
      const sends = this.#groupSends.get(chatId) ?? [];
      sends.push(now);
      this.#groupSends.set(chatId, sends);
    }
  }

  /** After a 429 for a chat: nothing more to it until `until`. */
  pauseChat(chatId: string, until: number): void {
    this.#chatNext.set(chatId, Math.max(this.#chatNext.get(chatId) ?? 0, until));
  }

  /** After repeated 429s: the whole platform waits. */
  pauseAll(until: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
  }

  /** Forgets chats whose interval has passed, so the maps do not grow without bound. */
  sweep(now: number): void {
    for (const [chat, next] of this.#chatNext) if (next <= now) this.#chatNext.delete(chat);
    for (const [chat, sends] of this.#groupSends) {
      this.#prune(sends, now - 60_000);
      if (!sends.length) this.#groupSends.delete(chat);
    }
  }
}
