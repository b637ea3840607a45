/**
 * The official Zalo Bot Platform as a channel: a 1:1 notification channel (group support is beta
 * or unavailable, so group messages are not taken), text only, choices as numbered text, 2000
 * characters per message.
 *
 * Polling (default, for development): the webhook is deleted, then getUpdates is long-polled one
 * update at a time; each update is handed to the handler, which stores it, before the next poll.
 * Webhook (production): `POST /zalo-bot/webhook` on the web server checks the body size and the
 * `X-Bot-Api-Secret-Token` header (constant time), and answers 200 only after the handler resolved.
 * setWebhook is retried with a growing delay (up to `webhookRetryMaxMs`) until the platform accepts
 * it; status() says where that stands, for the admins' /trangthai.
 * Either way one bad update or a failing handler never stops the listener.
 */
import { sameSecret } from "../../lib/same-secret.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { createHash } from "node:crypto";
import { LeasedWork } from "../../domain/coordination/leased-work.ts";
import type { Database } from "../../storage/database.ts";
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Config } from "../../config.ts";
import type { Logger } from "../../lib/logger.ts";
import {
  ChannelSendError,
  choicesAsText,
  splitText,
  type Channel,
  type ChannelCapabilities,
  type InboundHandler,
  type InboundMessage,
  type OutboundMessage,
  type SendResult,
  type SendTarget,
} from "../channel.ts";
import { ZaloBotApiError, ZaloBotClient, ZaloBotHttpError, zaloBotDefaultPollSeconds } from "./zalo-bot-client.ts";
import { normaliseZaloBotUpdate } from "./normalise-zalo-bot-update.ts";

export type ZaloBotConfig = NonNullable<Config["zaloBot"]>;

export const zaloBotMaxLength = 2000;
export const zaloBotWebhookPath = "/zalo-bot/webhook";
/** One update is a few hundred bytes; anything near this is not from Zalo. */
export const zaloBotWebhookMaxBytes = 64 * 1024;
/** When a 429 does not say how long to wait. */
const defaultRetryAfterSeconds = 60;

export interface ZaloBotChannelOptions {
  config: ZaloBotConfig;
  logger: Logger;
  /** The web server to mount the webhook on (webhook mode). */
  app?: Hono;
  fetch?: typeof fetch;
  /** Long-poll time per getUpdates call, in seconds. Default 30. */
  pollTimeoutSeconds?: number;
  /**
   * How long stop() lets a poll under way finish before cutting it. Default: the poll's own time
   * + 5 s, i.e. never cut (an aborted poll can lose the update written to it: see #poll). Tests
   * that are not about stopping set 0.
   */
  stopGraceMs?: number;
  /** First wait after a failed poll (doubles per failure, with jitter, up to `retryMaxMs`). Default 1 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Longest wait between two setWebhook attempts. Default 5 minutes. */
  webhookRetryMaxMs?: number;
  random?: () => number;
  now?: () => Date;
  /**
   * Long polling only while this process holds the bot's lease in `db` (several processes on one
   * database): exactly one process polls, another takes over when it dies. Sends and the webhook
   * work in every process. Without it (one process) the channel polls from the start.
   */
  lease?: { db: Database; ttlMs?: number; intervalMs?: number };
}

const rateLimitHint = /too many|rate.?limit|quota|flood|spam/i;
const unreachableHint =
  /block|(chat|user|recipient|conversation)\b[^.]*\bnot found|not found\b[^.]*\b(chat|user|recipient)|not (a )?(follower|friend)|unfollow/i;

/** Where the channel stands, for the admins' /trangthai. */
export interface ZaloBotStatus {
  mode: "polling" | "webhook";
  /**
   * polling: long-polling runs; webhook_pending: setWebhook not accepted yet (retrying);
   * webhook_set: Zalo delivers to the webhook; not_configured: webhook mode without URL or secret;
   * stopped: not started or stopped.
   */
  state: "polling" | "webhook_pending" | "webhook_set" | "not_configured" | "stopped";
  /** setWebhook attempts so far (webhook mode) or polls failed in a row (polling). */
  failures: number;
  /** The last error, token redacted; null after a success. */
  lastError: string | null;
  /** When the state was entered (ms). */
  since: number;
}

/** Classifies a failed Bot Platform call for the delivery engine. */
export function classifyZaloBotError(error: unknown): ChannelSendError {
  if (error instanceof ZaloBotApiError) {
    const code = error.errorCode;
    const message = `${error.method}: ${code} ${error.description}`;
    const base = { errorCode: code, cause: error };
    if (code === 429 || rateLimitHint.test(error.description))
      return new ChannelSendError("rate_limited", message, {
        ...base,
        retryAfterSeconds: error.retryAfterSeconds ?? defaultRetryAfterSeconds,
        scope: "chat",
      });
    if (code === 403 || (code >= 400 && code < 500 && unreachableHint.test(error.description)))
      return new ChannelSendError("unreachable", message, base);
    // 401: our token is wrong or revoked; fixing the configuration should let the queue drain.
    if (code >= 500 || code === 401 || code === 408) return new ChannelSendError("transient", message, base);
    return new ChannelSendError("permanent", message, base);
  }
  if (error instanceof ZaloBotHttpError) return new ChannelSendError("transient", error.message, { cause: error });
  if (error instanceof ChannelSendError) return error;
  return new ChannelSendError("transient", error instanceof Error ? error.message : String(error), { cause: error });
}

export class ZaloBotChannel implements Channel {
  readonly id = "zalo_bot" as const;
  readonly capabilities: ChannelCapabilities = { buttons: false, maxLength: zaloBotMaxLength, groups: false };
  readonly client: ZaloBotClient;
  /** Our bot's id: the numeric part of the token (not secret). */
  readonly account: string;
  readonly #log: Logger;
  readonly #config: ZaloBotConfig;
  #handler?: InboundHandler;
  #abort?: AbortController;
  #loop?: Promise<void>;
  #leased?: LeasedWork;
  #status: ZaloBotStatus;

  constructor(readonly options: ZaloBotChannelOptions) {
    this.#config = options.config;
    this.#log = options.logger.child({ module: "zalo-bot" });
    this.client = new ZaloBotClient({
      token: options.config.token,
      apiRoot: options.config.apiRoot,
      fetch: options.fetch,
      logger: options.logger,
    });
    const prefix = /^(\d+):/.exec(options.config.token)?.[1];
    this.account = prefix ?? "zalo_bot";
    if (options.app) this.#mountWebhook(options.app);
    this.#status = { mode: options.config.mode, state: "stopped", failures: 0, lastError: null, since: this.#nowMs() };
  }

  #nowMs(): number {
    return (this.options.now?.() ?? new Date()).getTime();
  }

  #setStatus(state: ZaloBotStatus["state"], failures: number, lastError: string | null): void {
    const since = state === this.#status.state ? this.#status.since : this.#nowMs();
    this.#status = { mode: this.#config.mode, state, failures, lastError, since };
  }

  /** Where the channel stands (polling, webhook set or still being set, and the last error). */
  status(): ZaloBotStatus {
    return { ...this.#status };
  }

  #normalise(body: unknown): InboundMessage | null {
    return normaliseZaloBotUpdate(body, { account: this.account, now: this.options.now });
  }

  /**
   * Normalises and hands one update to the handler. Returns false when it was not taken (garbage,
   * group) and throws only what the handler threw.
   */
  async #dispatch(body: unknown, handler: InboundHandler): Promise<boolean> {
    const message = this.#normalise(body);
    if (!message) {
      this.#log.debug("update ignored: not a message we can take");
      return false;
    }
    if (message.chatType === "group") {
      this.#log.debug({ eventId: message.eventId }, "group message ignored: this channel is 1:1 only");
      return false;
    }
    await handler(message);
    return true;
  }

  #mountWebhook(app: Hono): void {
    app.post(
      zaloBotWebhookPath,
      bodyLimit({ maxSize: zaloBotWebhookMaxBytes, onError: (c) => c.json({ error: "payload_too_large" }, 413) }),
      async (c) => {
        const secret = this.#config.webhookSecret;
        if (this.#config.mode !== "webhook" || !secret) return c.json({ error: "not_found" }, 404);
        if (!sameSecret(c.req.header("x-bot-api-secret-token"), secret)) return c.json({ error: "unauthorized" }, 401);
        const handler = this.#handler;
        if (!handler) return c.json({ error: "starting" }, 503);
        let body: unknown;
        try {
          body = JSON.parse(await c.req.text());
        } catch {
          return c.json({ error: "bad_request" }, 400);
        }
        // One update per request; a batch or a non-object is not from Zalo.
        if (typeof body !== "object" || body === null || Array.isArray(body))
          return c.json({ error: "bad_request" }, 400);
        try {
          await this.#dispatch(body, handler);
        } catch (error) {
          // Not stored: a non-2xx answer lets the platform deliver it again.
          this.#log.error({ err: error }, "error while handling a webhook update");
          return c.json({ error: "internal" }, 500);
        }
        return c.json({ ok: true });
      },
    );
  }

  async start(handler: InboundHandler): Promise<void> {
    this.#handler = handler;
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    if (this.#config.mode === "webhook") {
      if (!this.options.app) this.#log.error("webhook mode without a web server to mount the webhook on");
      const base = (this.#config.webhookUrl ?? "").replace(/\/+$/, "");
      if (!base || !this.#config.webhookSecret) {
        this.#setStatus("not_configured", 0, "ZALO_BOT_WEBHOOK_URL / ZALO_BOT_WEBHOOK_SECRET missing");
        this.#log.error(
          "webhook mode needs ZALO_BOT_WEBHOOK_URL and ZALO_BOT_WEBHOOK_SECRET; Zalo will not deliver updates",
        );
        return;
      }
      this.#setStatus("webhook_pending", 0, null);
      // The first attempt is awaited (a healthy start is ready when start() returns); retries run on.
      let firstAttempt!: () => void;
      const attempted = new Promise<void>((resolve) => (firstAttempt = resolve));
      this.#loop = this.#setWebhookUntilAccepted(
        `${base}${zaloBotWebhookPath}`,
        this.#config.webhookSecret,
        signal,
        firstAttempt,
      );
      await attempted;
      return;
    }
    if (this.options.lease) {
      await this.#pollUnderLease(handler, this.options.lease);
      return;
    }
    this.#setStatus("polling", 0, null);
    this.#loop = this.#poll(handler, signal);
  }

  /** The lease's name: the bot's token identifies it, so a digest of it (never the token itself). */
  get pollLeaseName(): string {
    return `zalo-bot:poll:${createHash("sha256").update(this.#config.token).digest("hex").slice(0, 16)}`;
  }

  async #pollUnderLease(
    handler: InboundHandler,
    { db, ttlMs, intervalMs }: NonNullable<ZaloBotChannelOptions["lease"]>,
  ): Promise<void> {
    let pollAbort: AbortController | undefined;
    const leased = new LeasedWork(db, this.pollLeaseName, {
      ttlMs,
      intervalMs,
      begin: () => {
        this.#log.info("this process holds the Zalo Bot polling lease; polling");
        pollAbort = new AbortController();
        this.#abort?.signal.addEventListener("abort", () => pollAbort?.abort(), { once: true });
        this.#setStatus("polling", 0, null);
        this.#loop = this.#poll(handler, pollAbort.signal);
      },
      end: async () => {
        // The poll under way finishes (see #poll): another process may start polling meanwhile,
        // which at worst hands one update to either of the two, and inbound dedupe holds.
        this.#log.info("Zalo Bot polling lease given up or lost; not polling");
        pollAbort?.abort();
        await this.#loop;
        this.#loop = undefined;
      },
      onError: (error) => this.#log.warn({ err: error }, "Zalo Bot polling lease: database error"),
    });
    this.#leased = leased;
    await leased.start();
  }

  /** True while this process long-polls (for tests and status). */
  get polling(): boolean {
    return this.#loop !== undefined && this.#config.mode !== "webhook";
  }

  /**
   * Sets the webhook, retrying with a growing delay until the platform accepts it: a network
   * blip or a platform outage at start-up must not leave the bot deaf until the next restart.
   */
  async #setWebhookUntilAccepted(
    url: string,
    secret: string,
    signal: AbortSignal,
    attempted: () => void,
  ): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.client.setWebhook({ url, secret_token: secret }, { signal });
        this.#setStatus("webhook_set", failures, null);
        this.#log.info({ attempts: failures + 1 }, "webhook set");
        return attempted();
      } catch (error) {
        attempted();
        if (signal.aborted) return;
        failures++;
        const wait = this.#backoff(failures, this.options.webhookRetryMaxMs ?? 5 * 60_000);
        const message = error instanceof Error ? error.message : String(error);
        this.#setStatus("webhook_pending", failures, message.slice(0, 300));
        this.#log.error(
          { err: error, failures, retryInMs: wait },
          "setWebhook failed; retrying (Zalo delivers nothing until it succeeds)",
        );
        await this.#pause(wait, signal);
      }
    }
    attempted();
  }

  #backoff(failures: number, max = this.options.retryMaxMs ?? 30_000): number {
    const base = this.options.retryBaseMs ?? 1000;
    const ceiling = Math.min(max, base * 2 ** Math.min(failures - 1, 10));
    return Math.round(ceiling / 2 + ((this.options.random ?? Math.random)() * ceiling) / 2);
  }

  async #pause(ms: number, signal: AbortSignal): Promise<void> {
    await sleep(ms, undefined, { signal }).catch(() => undefined);
  }

  /**
   * Long-polls until `signal` is aborted. A poll under way when it is aborted is left to finish
   * (at most its poll time + 5 s): getUpdates has no offset to confirm, so the platform counts an
   * update as delivered once it has written it to the poll's connection, and an aborted poll could
   * take a member's message with it. Only the pauses between attempts are cut short.
   */
  async #poll(handler: InboundHandler, signal: AbortSignal): Promise<void> {
    // getUpdates does not work while a webhook is set; a failure here shows up as poll errors.
    await this.client.deleteWebhook({ signal }).catch((error) => {
      if (!signal.aborted) this.#log.warn({ err: error }, "deleteWebhook failed; polling anyway");
    });
    const pollSeconds = this.options.pollTimeoutSeconds ?? zaloBotDefaultPollSeconds;
    const cut = new AbortController();
    let cutTimer: NodeJS.Timeout | undefined;
    const stopping = () =>
      (cutTimer = setTimeout(() => cut.abort(), this.options.stopGraceMs ?? (pollSeconds + 5) * 1000));
    signal.addEventListener("abort", stopping, { once: true });
    try {
      await this.#pollUntil(handler, signal, pollSeconds, cut.signal);
    } finally {
      signal.removeEventListener("abort", stopping);
      clearTimeout(cutTimer);
    }
  }

  async #pollUntil(handler: InboundHandler, signal: AbortSignal, pollSeconds: number, cut: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let update: unknown;
      const started = Date.now();
      try {
        update = await this.client.getUpdates({ timeoutSeconds: pollSeconds, signal: cut });
        if (failures) this.#setStatus("polling", 0, null);
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures++;
        const wait = this.#backoff(failures);
        this.#setStatus("polling", failures, (error instanceof Error ? error.message : String(error)).slice(0, 300));
        this.#log.error({ err: error, failures, retryInMs: wait }, "getUpdates failed");
        await this.#pause(wait, signal);
        continue;
      }
      if (update === null) {
        // A platform that answers "no update" at once instead of holding the poll must not be hammered.
        if (Date.now() - started < 1000) await this.#pause(this.options.retryBaseMs ?? 1000, signal);
        continue;
      }
      // The error boundary: a bad update or a failing handler is logged and polling goes on. An
      // update that arrived as stop() was called is still handed over: the platform will not resend it.
      try {
        await this.#dispatch(update, handler);
      } catch (error) {
        this.#log.error({ err: error }, "error while handling an update");
      }
    }
  }

  /**
   * Sends text (choices as numbered lines) in parts of at most 2000 characters, in order. The
   * platform has no reply-to or buttons, so `replyTo` is not used. Throws ChannelSendError.
   */
  async send(target: SendTarget, message: OutboundMessage): Promise<SendResult> {
    const text = choicesAsText(message);
    if (!text.trim()) throw new ChannelSendError("permanent", "sendMessage: empty text");
    const ids: string[] = [];
    for (const part of splitText(text, zaloBotMaxLength)) {
      try {
        const sent = await this.client.sendMessage({ chat_id: target.chatId, text: part });
        ids.push(sent.message_id);
      } catch (error) {
        throw classifyZaloBotError(error);
      }
    }
    return { messageIds: ids };
  }

  /** getMe: tells a Zalo Bot Platform outage from a failure about one recipient (delivery engine). */
  async probe(): Promise<void> {
    await this.client.getMe({ timeoutMs: 10_000 });
  }

  /**
   * Stops polling: no new poll starts, the poll under way finishes (at most its poll time + 5 s)
   * and an update it brings is handled (see #poll), then the lease is given up.
   */
  async stop(): Promise<void> {
    this.#handler = undefined;
    this.#abort?.abort();
    await this.#leased?.stop();
    this.#leased = undefined;
    await this.#loop;
    this.#loop = undefined;
    this.#setStatus("stopped", 0, null);
  }
}
