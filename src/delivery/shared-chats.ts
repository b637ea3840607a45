/**
 * A platform's per-chat limits shared by every process on one database (chat-sends.ts), as the
 * delivery engine uses them beside the bot's shared budget (shared-budget.ts): each send's answer
 * time is recorded with the row it finishes, and a process that has just claimed rows learns the
 * recent sends of their chats made elsewhere, which its gate then counts (one message a second to a
 * chat, `groupPerMinute` to a group, whatever process sent the ones before).
 *
 * Why this is enough: a chat's rows are sent one at a time across processes (the claim skips a
 * chat while another of its rows is being sent), and a row is marked sent in the transaction that
 * records its answer's time. So whoever claims the chat's next row finds the previous send's time
 * already there.
 */
import type { RateLimits } from "../config.ts";
import type { Logger } from "../lib/logger.ts";
import type { Database } from "../storage/database.ts";
import { addChatSends, chatSends, forgetChatSends } from "../domain/coordination/chat-sends.ts";
import type { ChatKind, SendBudget } from "./rate-limiter.ts";

export interface ChatSend {
  chatId: string;
  chatType: ChatKind;
  /** When the answers to its requests came back (the gate's clock: epoch ms). */
  untils: readonly number[];
}

export class SharedChatLimits {
  readonly #groupWindowMs: number;

  constructor(
    readonly db: Database,
    readonly platform: string,
    readonly limits: RateLimits,
    readonly logger: Logger,
  ) {
    this.#groupWindowMs = 60_000 + (limits.marginMs ?? 0);
  }

  /**
   * Tells `budget` the recent sends made elsewhere to these chats (call after claiming their rows).
   * A database error is logged: the rows then go on this process's own limits.
   */
  async learn(budget: SendBudget, chats: readonly { chatId: string; chatType: ChatKind }[]): Promise<void> {
    if (!chats.length) return;
    try {
      const known = await chatSends(
        this.db,
        this.platform,
        chats.map((c) => c.chatId),
      );
      for (const c of chats) {
        const times = known.get(c.chatId);
        if (times) budget.noteChatSends(c.chatId, c.chatType, times);
      }
    } catch (error) {
      this.logger.error(
        { err: error, platform: this.platform },
        "could not read the chats' recent sends; sending on this process's own limits",
      );
    }
  }

  /** Records finished sends: call in the transaction that marks their rows sent (or failed). */
  async record(sends: readonly ChatSend[]): Promise<void> {
    await addChatSends(
      this.db,
      this.platform,
      sends.map((s) => ({
        chatId: s.chatId,
        times: s.untils.filter((t) => Number.isFinite(t)),
        windowMs: s.chatType === "group" ? this.#groupWindowMs : 0,
      })),
    );
  }

  /** Forgets chats no limit can hold any more (last sent over a group window ago). */
  async forget(now: number): Promise<void> {
    try {
      await forgetChatSends(
        this.db,
        this.platform,
        now - Math.max(this.#groupWindowMs, this.limits.chatIntervalMs + (this.limits.marginMs ?? 0)) - 5000,
      );
    } catch (error) {
      this.logger.warn({ err: error, platform: this.platform }, "could not forget old chat sends");
    }
  }
}
