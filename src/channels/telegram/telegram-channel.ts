/**
 * Telegram on grammY: long polling by default or a webhook (secret checked on every request),
 * a configurable Bot API root, inline keyboards with answered callback queries, private chats and
 * branch groups (only messages addressed to the bot). An update is stored (by the inbox) before
 * grammY acknowledges it: polling confirms an offset only after the middleware finished, and the
 * webhook answers 200 only after the handler resolved.
 *
 * Several service processes on one database: given `lease`, a process long-polls only while it
 * holds the bot's lease ("telegram:poll:<bot id>"), so exactly one polls (Telegram allows one
 * getUpdates per bot) and another takes over when it dies. Sends and webhooks work in every process.
 */
import { Bot, GrammyError, HttpError, InlineKeyboard, webhookCallback } from "grammy";
import type { Update, UserFromGetMe } from "grammy/types";
import { autoRetry } from "@grammyjs/auto-retry";
import type { Context, Hono } from "hono";
import type { TelegramConfig } from "../../config.ts";
import type { Logger } from "../../lib/logger.ts";
import {
  ChannelSendError,
  splitText,
  type Channel,
  type ChannelCapabilities,
  type InboundHandler,
  type OutboundMessage,
  type SendResult,
  type SendTarget,
} from "../channel.ts";
import { normaliseUpdate } from "./normalise-update.ts";
import { botApiFetch } from "./bot-api-fetch.ts";
import { translator } from "../../lib/i18n.ts";
import type { Database } from "../../storage/database.ts";
import { LeasedWork } from "../../domain/coordination/leased-work.ts";

export const telegramMaxLength = 4096;
export const webhookPath = "/telegram/webhook";
const allowedUpdates = ["message", "callback_query", "my_chat_member"] as const;

/** A webhook body that is not JSON or not an update. */
class BadUpdate extends Error {}

/**
 * grammY's webhook handling on Hono, answering as this service does: 401 and 400 with a JSON error,
 * 200 {"ok":true} once the update was handled. grammY checks the secret before reading the body.
 */
const honoAdapter: Parameters<typeof webhookCallback>[1] = (c: Context) => {
  let answer: (response: Response) => void = () => {};
  const handlerReturn = new Promise<Response>((resolve) => {
    answer = resolve;
  });
  return {
    get update() {
      return c.req.json<Update>().then(
        (update) => {
          if (!update || typeof update !== "object" || typeof update.update_id !== "number") throw new BadUpdate();
          return update;
        },
        () => {
          throw new BadUpdate();
        },
      );
    },
    header: c.req.header("x-telegram-bot-api-secret-token"),
    end: () => answer(c.json({ ok: true })),
    respond: (json: string) => answer(c.body(json, 200, { "content-type": "application/json" })),
    unauthorized: () => answer(c.json({ error: "unauthorized" }, 401)),
    handlerReturn,
  };
};

export interface TelegramChannelOptions {
  config: TelegramConfig;
  logger: Logger;
  /** The web server to mount the webhook on (webhook mode). */
  app?: Hono;
  /** Known bot identity (tests); otherwise fetched with getMe. */
  botInfo?: UserFromGetMe;
  /**
   * Long polling only while this process holds the bot's lease in `db` (several processes on one
   * database). Without it (one process) the channel polls from the start. Lease timing defaults
   * to LeaseKeeper's (30 s, renewed every 10 s).
   */
  lease?: { db: Database; ttlMs?: number; intervalMs?: number };
}

/** Classifies a failed Bot API call for the delivery engine. */
export function classifyTelegramError(error: unknown): ChannelSendError {
  if (error instanceof GrammyError) {
    const code = error.error_code;
    const message = `${error.method}: ${error.description}`;
    if (code === 429)
      return new ChannelSendError("rate_limited", message, {
        retryAfterSeconds: error.parameters.retry_after ?? 1,
        errorCode: code,
        cause: error,
      });
    if (code === 403) return new ChannelSendError("unreachable", message, { errorCode: code, cause: error });
    if (
      code === 400 &&
      /chat not found|user not found|PEER_ID_INVALID|bot was kicked|chat was deleted/i.test(error.description)
    )
      return new ChannelSendError("unreachable", message, { errorCode: code, cause: error });
    if (code >= 500 || code === 401 || code === 409)
      return new ChannelSendError("transient", message, { errorCode: code, cause: error });
    return new ChannelSendError("permanent", message, { errorCode: code, cause: error });
  }
  if (error instanceof HttpError)
    return new ChannelSendError("transient", `network: ${error.message}`, { cause: error });
  return new ChannelSendError("transient", error instanceof Error ? error.message : String(error), { cause: error });
}

export function keyboardFor(message: OutboundMessage): InlineKeyboard | undefined {
  if (!message.choices?.length) return undefined;
  const keyboard = new InlineKeyboard();
  const short = message.choices.every((c) => c.label.length <= 14);
  message.choices.forEach((c, i) => {
    if (c.url) keyboard.url(c.label, c.url);
    else keyboard.text(c.label, c.payload);
    if (!short || i % 3 === 2) keyboard.row();
  });
  return keyboard;
}

export class TelegramChannel implements Channel {
  readonly id = "telegram" as const;
  readonly capabilities: ChannelCapabilities = { buttons: true, maxLength: telegramMaxLength, groups: true };
  readonly bot: Bot;
  readonly #log: Logger;
  #handler?: InboundHandler;
  #ready = false;
  #stopping = false;
  #polling?: Promise<void>;
  /** Polling wanted: always without a lease, while the lease is held with one. */
  #pollOn = true;
  #leased?: LeasedWork;

  constructor(readonly options: TelegramChannelOptions) {
    this.#log = options.logger.child({ module: "telegram" });
    this.bot = new Bot(options.config.token, {
      botInfo: options.botInfo,
      client: { apiRoot: options.config.apiRoot, timeoutSeconds: 30, fetch: botApiFetch as unknown as typeof fetch },
    });
    // Short 429 waits are absorbed here; longer ones and every other failure go back to the outbox.
    // Sends are never retried here: a retry would bypass the delivery engine's flood budget.
    const retry = autoRetry({
      maxRetryAttempts: 2,
      maxDelaySeconds: 5,
      rethrowInternalServerErrors: true,
      rethrowHttpErrors: true,
    });
    this.bot.api.config.use((prev, method, payload, signal) =>
      method === "sendMessage" ? prev(method, payload, signal) : retry(prev, method, payload, signal),
    );
    this.bot.use(async (ctx) => {
      const message = normaliseUpdate(ctx.update, ctx.me);
      if (message && this.#handler) await this.#handler(message);
      // Stop the button's progress spinner; a failure here is harmless.
      if (ctx.callbackQuery)
        await ctx.answerCallbackQuery().catch((e) => this.#log.debug({ err: e }, "answerCallbackQuery failed"));
    });
    // The error boundary: one bad update never stops the listener.
    this.bot.catch((err) =>
      this.#log.error({ err: err.error, updateId: err.ctx?.update?.update_id }, "error while handling an update"),
    );
    if (options.app) this.#mountWebhook(options.app);
  }

  #mountWebhook(app: Hono): void {
    const secret = this.options.config.webhookSecret;
    // Only in webhook mode: webhookCallback takes the bot over (its bot.start() then throws).
    const handle =
      this.options.config.mode === "webhook" && secret
        ? webhookCallback(this.bot, honoAdapter, {
            // grammY compares the secret-token header in constant time.
            secretToken: secret,
            // The update is stored (by the handler) before Telegram gets its 200, however long that takes.
            timeoutMilliseconds: Number.POSITIVE_INFINITY,
          })
        : undefined;
    app.post(webhookPath, async (c) => {
      if (!handle) return c.json({ error: "not_found" }, 404);
      if (!this.#ready) return c.json({ error: "starting" }, 503);
      try {
        return await handle(c);
      } catch (error) {
        if (error instanceof BadUpdate) return c.json({ error: "bad_request" }, 400);
        throw error;
      }
    });
  }

  async #init(): Promise<void> {
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        await this.bot.init();
        return;
      } catch (error) {
        const wait = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
        this.#log.error({ err: error, attempt, retryInMs: wait }, "getMe failed; Telegram is not reachable yet");
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  async start(handler: InboundHandler): Promise<void> {
    this.#handler = handler;
    if (!this.options.botInfo) {
      // Not fatal: keep trying in the background so the rest of the service runs.
      void this.#init().then(() => this.#afterInit());
      return;
    }
    await this.#afterInit();
  }

  async #afterInit(): Promise<void> {
    if (this.#stopping) return;
    this.#ready = true;
    const t = translator("vi");
    const commands = [
      { command: "start", description: "Bắt đầu / Start" },
      { command: "lich", description: "Lịch sinh hoạt / Meetings" },
      { command: "vanban", description: "Văn bản / Directives" },
      { command: "ykien", description: "Gửi ý kiến / Send a concern" },
      { command: "ngonngu", description: "Ngôn ngữ / Language" },
      { command: "trogiup", description: "Trợ giúp / Help" },
    ];
    void t;
    await this.bot.api
      .setMyCommands(commands)
      .catch((e) => this.#log.warn({ err: e }, "setMyCommands failed (optional)"));
    if (this.options.config.mode === "webhook") {
      await this.bot.api
        .setWebhook(`${this.options.config.webhookUrl!.replace(/\/+$/, "")}${webhookPath}`, {
          secret_token: this.options.config.webhookSecret,
          allowed_updates: [...allowedUpdates],
        })
        .catch((e) =>
          this.#log.error({ err: e }, "setWebhook failed; Telegram will not deliver updates until it succeeds"),
        );
      return;
    }
    if (this.options.lease) {
      await this.#pollUnderLease(this.options.lease);
      return;
    }
    this.#polling = this.#poll();
  }

  async #pollUnderLease({ db, ttlMs, intervalMs }: NonNullable<TelegramChannelOptions["lease"]>): Promise<void> {
    this.#pollOn = false;
    const leased = new LeasedWork(db, `telegram:poll:${this.bot.botInfo.id}`, {
      ttlMs,
      intervalMs,
      begin: () => {
        this.#log.info("this process holds the Telegram polling lease; polling");
        this.#pollOn = true;
        this.#polling = this.#poll();
      },
      end: async () => {
        this.#log.info("Telegram polling lease given up or lost; not polling");
        this.#pollOn = false;
        if (this.bot.isRunning())
          await this.bot.stop().catch((e) => this.#log.debug({ err: e }, "stopping the long poll failed"));
        await this.#polling;
      },
      onError: (error) => this.#log.warn({ err: error }, "Telegram polling lease: database error"),
    });
    this.#leased = leased;
    await leased.start();
    // stop() came while the lease was being taken: give it up again.
    if (this.#stopping) await leased.stop();
  }

  /** True while this process long-polls (for tests and status). */
  get polling(): boolean {
    return this.bot.isRunning();
  }

  async #poll(): Promise<void> {
    while (!this.#stopping && this.#pollOn) {
      try {
        await this.bot.start({ allowed_updates: [...allowedUpdates], drop_pending_updates: false });
        return;
      } catch (error) {
        if (this.#stopping || !this.#pollOn) return;
        this.#log.error({ err: error }, "long polling stopped; restarting in 5 s");
        await new Promise((r) => setTimeout(r, 5000));
      }
    }
  }

  async send(target: SendTarget, message: OutboundMessage, pace?: () => Promise<void>): Promise<SendResult> {
    const parts = splitText(message.text || " ", telegramMaxLength);
    const ids: string[] = [];
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      // Counted by Telegram's flood limits (getMe, answerCallbackQuery, setMyCommands are not).
      await pace?.();
      try {
        const sent = await this.bot.api.sendMessage(target.chatId, part, {
          reply_markup: last ? keyboardFor(message) : undefined,
          reply_parameters:
            i === 0 && message.replyTo
              ? { message_id: Number(message.replyTo), allow_sending_without_reply: true }
              : undefined,
          link_preview_options: { is_disabled: true },
        });
        ids.push(String(sent.message_id));
      } catch (error) {
        throw classifyTelegramError(error);
      }
    }
    return { messageIds: ids };
  }

  /** getMe with a short timeout: answers without sending anything (not counted by the flood limits). */
  async probe(): Promise<void> {
    // grammY types its signal with the abort-controller polyfill; Node's own is what it uses.
    await this.bot.api.getMe(AbortSignal.timeout(10_000) as unknown as Parameters<Bot["api"]["getMe"]>[0]);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#handler = undefined;
    await this.#leased?.stop();
    if (this.bot.isRunning()) await this.bot.stop();
    await this.#polling;
  }
}
