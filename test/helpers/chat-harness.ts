/**
 * The whole chat stack on a real database — inbox, conversation, outbox, delivery engine and the
 * real TelegramChannel — with Telegram's servers replaced by a capturing API transformer (grammY's
 * recommended way). Updates go in through `bot.handleUpdate`, exactly as a webhook would deliver them
 * (webhook mode, so that nothing polls).
 */
import type { Update, UserFromGetMe } from "grammy/types";
import { createTestDatabase, type TestDatabase } from "./test-db.ts";
import { silentLogger } from "./telegram.ts";
import { TelegramChannel } from "../../src/channels/telegram/telegram-channel.ts";
import { Inbox } from "../../src/conversation/inbox.ts";
import { DeliveryEngine } from "../../src/delivery/delivery-engine.ts";

export const harnessBot: UserFromGetMe = {
  id: 999,
  is_bot: true,
  first_name: "Chi Hội",
  username: "chihoi_test_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as UserFromGetMe;

export interface CapturedCall {
  method: string;
  payload: Record<string, any>;
}

export class ChatHarness {
  readonly calls: CapturedCall[] = [];
  #updateId = 1;
  #messageId = 1000;
  now = () => new Date();
  /** Make the next calls of a method fail with this Bot API error. */
  readonly failures: { method: string; error_code: number; description: string; parameters?: object }[] = [];

  private constructor(
    readonly db: TestDatabase,
    readonly channel: TelegramChannel,
    readonly inbox: Inbox,
    readonly engine: DeliveryEngine,
  ) {}

  static async create(options: { now?: () => Date } = {}): Promise<ChatHarness> {
    const db = await createTestDatabase();
    const channel = new TelegramChannel({
      config: {
        token: "123:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefgh",
        mode: "webhook",
        webhookUrl: "https://example.invalid",
        webhookSecret: "test-secret",
        apiRoot: "http://127.0.0.1:9",
      },
      logger: silentLogger,
      botInfo: harnessBot,
    });
    const holder: { harness?: ChatHarness } = {};
    const now = () => (holder.harness ? holder.harness.now() : new Date());
    const engine = new DeliveryEngine(db, {
      concurrency: 4,
      maxAttempts: 3,
      logger: silentLogger,
      backoffBaseMs: 10,
      now,
      limits: { telegram: { perSecond: 1000, chatIntervalMs: 0, groupPerMinute: 1000 } },
    });
    const inbox = new Inbox({
      db,
      logger: silentLogger,
      now,
      settings: { timeZone: "Asia/Ho_Chi_Minh", defaultLocale: "vi", linkCodeTtlDays: 30 },
      onQueued: (p) => engine.kick(p),
    });
    const harness = new ChatHarness(db, channel, inbox, engine);
    holder.harness = harness;
    if (options.now) harness.now = options.now;
    channel.bot.api.config.use(async (_prev, method, payload) => {
      const failure = harness.failures.findIndex((f) => f.method === method);
      if (failure >= 0) {
        const f = harness.failures.splice(failure, 1)[0]!;
        return { ok: false, error_code: f.error_code, description: f.description, parameters: f.parameters } as never;
      }
      harness.calls.push({ method, payload: payload as Record<string, any> });
      if (method === "sendMessage") {
        const p = payload as { chat_id: number | string; text: string };
        return {
          ok: true,
          result: {
            message_id: harness.#messageId++,
            date: 0,
            chat: { id: Number(p.chat_id), type: Number(p.chat_id) > 0 ? "private" : "group" },
            text: p.text,
          },
        } as never;
      }
      return { ok: true, result: true } as never;
    });
    engine.addChannel(channel);
    await channel.start((m) => inbox.receive(m).then(() => undefined));
    await engine.start();
    return harness;
  }

  #from(userId: number) {
    return { id: userId, is_bot: false, first_name: `User${userId}`, language_code: "vi" };
  }

  async update(update: Omit<Update, "update_id">): Promise<Update> {
    const full = { update_id: this.#updateId++, ...update } as Update;
    await this.channel.bot.handleUpdate(full);
    return full;
  }

  async text(userId: number, text: string, options: { chatId?: number; replyTo?: number } = {}): Promise<Update> {
    const chatId = options.chatId ?? userId;
    return this.update({
      message: {
        message_id: this.#messageId++,
        date: Math.floor(Date.now() / 1000),
        text,
        chat:
          chatId > 0
            ? { id: chatId, type: "private", first_name: "U" }
            : { id: chatId, type: "supergroup", title: "Chi hội" },
        from: this.#from(userId),
        ...(options.replyTo
          ? {
              reply_to_message: {
                message_id: options.replyTo,
                date: 0,
                chat: { id: chatId, type: "private", first_name: "U" },
                from: { id: harnessBot.id, is_bot: true, first_name: "Chi Hội" },
              },
            }
          : {}),
      },
    } as Omit<Update, "update_id">);
  }

  async press(userId: number, data: string, messageId: number, chatId = userId): Promise<Update> {
    return this.update({
      callback_query: {
        id: `cb${this.#updateId}`,
        from: this.#from(userId),
        chat_instance: "ci",
        data,
        message: { message_id: messageId, date: 0, chat: { id: chatId, type: "private", first_name: "U" } },
      },
    } as Omit<Update, "update_id">);
  }

  async contact(userId: number, phone: string, contactUserId?: number): Promise<Update> {
    return this.update({
      message: {
        message_id: this.#messageId++,
        date: 0,
        chat: { id: userId, type: "private", first_name: "U" },
        from: this.#from(userId),
        contact: { phone_number: phone, first_name: "X", ...(contactUserId ? { user_id: contactUserId } : {}) },
      },
    } as Omit<Update, "update_id">);
  }

  /** Waits until the outbox has nothing pending or in flight, then returns sendMessage calls to a chat. */
  async sent(chatId: number, timeoutMs = 5000): Promise<CapturedCall[]> {
    const until = Date.now() + timeoutMs;
    while ((await this.#outstanding()) > 0) {
      if (Date.now() > until) throw new Error("outbox did not drain");
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.calls.filter((c) => c.method === "sendMessage" && String(c.payload.chat_id) === String(chatId));
  }

  /** Outbox rows pending or in flight that are due now. */
  async #outstanding(): Promise<number> {
    const row = await this.db.kysely
      .selectFrom("Outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("status", "in", ["pending", "sending"])
      .where("notBefore", "<=", this.now().getTime())
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Texts sent to a chat since the last call to `take` for it. */
  readonly #taken = new Map<number, number>();
  async take(chatId: number): Promise<CapturedCall[]> {
    const all = await this.sent(chatId);
    const from = this.#taken.get(chatId) ?? 0;
    this.#taken.set(chatId, all.length);
    return all.slice(from);
  }

  async lastText(chatId: number): Promise<string> {
    const all = await this.take(chatId);
    return all.map((c) => c.payload.text as string).join("\n---\n");
  }

  async destroy(): Promise<void> {
    await this.engine.stop();
    await this.channel.stop();
    await this.db.destroy();
  }
}
