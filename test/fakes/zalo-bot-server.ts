/**
 * A local fake of the Zalo Bot Platform API over real HTTP (node:http only), on 127.0.0.1:0.
 *
 *   const zb = new FakeZaloBotServer();
 *   const apiRoot = await zb.start();
 *   zb.userSendsText({ id: "u1", name: "An" }, "xin chào");
 *   await zb.waitForSent(1);
 *   await zb.stop();
 *
 * Follows notes/zalo.md §2: `POST /bot<TOKEN>/<method>` with JSON, the `{ ok, result }` /
 * `{ ok: false, error_code, description }` envelope, getUpdates long-polling ONE update per call
 * (408 when nothing came in time), no getUpdates while a webhook is set, sendMessage text of
 * 1–2000 characters, setWebhook secret_token of 8–256 characters, webhook deliveries with the
 * `X-Bot-Api-Secret-Token` header, one update per request. Assumptions where the docs are silent:
 * the HTTP status of an error equals its error_code (option `errorStatus: "200"` answers 200
 * instead), getUpdates while a webhook is set answers 409, and any chat id may be written to. Like
 * the real platform, setWebhook refuses a URL that is not https:// unless `allowHttpWebhook` is set
 * (for tests that deliver to a local http server).
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const DEFAULT_FAKE_ZALO_BOT_TOKEN = "1234567890:zb-FAKE-secret-only-for-tests";

export interface FakeZaloBotError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number };
}

export interface FakeZaloBotOptions {
  token?: string;
  /** Overrides for getMe. */
  botInfo?: Record<string, unknown>;
  /** "mirror" (default): HTTP status = error_code; "200": errors come with HTTP 200. */
  errorStatus?: "mirror" | "200";
  /** Longest getUpdates hold, whatever the client asks (seconds). Default 30. */
  maxPollSeconds?: number;
  /** Accept http:// webhook URLs (the real platform does not). Default false. */
  allowHttpWebhook?: boolean;
  clock?: () => number;
}

export interface ZaloBotRecordedCall {
  method: string;
  /** The JSON body as received ({} when empty). */
  payload: any;
  /** HTTP status answered; 0 = no answer (network fault, aborted long poll, server stopped). */
  status: number;
  at: number;
}

export interface ZaloBotSent {
  chat_id: string;
  text: string;
  message_id: string;
  date: number;
}

export interface FakeZaloUser {
  id: string;
  name?: string;
}

export interface ZaloBotUpdateBody {
  event_name: string;
  message: Record<string, unknown>;
}

type Reply = { ok: true; result?: unknown } | ({ ok: false } & FakeZaloBotError);

interface PendingPoll {
  res: ServerResponse;
  payload: any;
  at: number;
  timer: NodeJS.Timeout;
}

interface Waiter {
  check(): void;
  fail(error: Error): void;
}

const methods = new Set([
  "getMe",
  "getUpdates",
  "setWebhook",
  "deleteWebhook",
  "getWebhookInfo",
  "sendMessage",
  "sendChatAction",
  "sendPhoto",
  "sendSticker",
]);

const isObject = (v: unknown): v is Record<string, any> => typeof v === "object" && v !== null && !Array.isArray(v);
const fail = (error_code: number, description: string, parameters?: FakeZaloBotError["parameters"]): Reply =>
  parameters ? { ok: false, error_code, description, parameters } : { ok: false, error_code, description };

export class FakeZaloBotServer {
  readonly token: string;
  readonly botInfo: Record<string, unknown>;
  /** Every API call, in the order answered. */
  readonly calls: ZaloBotRecordedCall[] = [];
  /** Status of every webhook delivery made by pushUpdate/deliverToWebhook (0 = network error). */
  readonly webhookDeliveries: { update: unknown; status: number }[] = [];

  readonly #errorStatus: "mirror" | "200";
  readonly #maxPollSeconds: number;
  readonly #allowHttpWebhook: boolean;
  readonly #now: () => number;
  #server?: http.Server;
  #root?: string;
  #updates: unknown[] = [];
  #poll?: PendingPoll;
  #webhook?: { url: string; secret: string; updatedAt: number };
  #sent: ZaloBotSent[] = [];
  #faults = new Map<string, (FakeZaloBotError | "network")[]>();
  #chatErrors = new Map<string, FakeZaloBotError>();
  #messageSeq = 0;
  #deliveries = new Set<http.ClientRequest>();
  #waiters = new Set<Waiter>();

  constructor(options: FakeZaloBotOptions = {}) {
    this.token = options.token ?? DEFAULT_FAKE_ZALO_BOT_TOKEN;
    this.#errorStatus = options.errorStatus ?? "mirror";
    this.#maxPollSeconds = options.maxPollSeconds ?? 30;
    this.#allowHttpWebhook = options.allowHttpWebhook ?? false;
    this.#now = options.clock ?? Date.now;
    this.botInfo = {
      id: this.token.split(":")[0] ?? "1",
      account_name: "Bot Chi Hội Test",
      account_type: "BASIC",
      can_join_groups: false,
      ...options.botInfo,
    };
  }

  // ───────────────────────────────────────────── lifecycle

  /** Listens on 127.0.0.1 with an ephemeral port; returns the apiRoot (no trailing slash). */
  async start(): Promise<string> {
    if (this.#root) return this.#root;
    const server = http.createServer((req, res) => this.#onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
    this.#root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.#root;
  }

  /** Closes the listener and every socket, the held long poll and webhook deliveries. Idempotent. */
  async stop(): Promise<void> {
    const poll = this.#poll;
    this.#poll = undefined;
    if (poll) {
      clearTimeout(poll.timer);
      this.#record("getUpdates", poll.payload, 0, poll.at);
      poll.res.destroy();
    }
    for (const r of this.#deliveries) r.destroy();
    this.#deliveries.clear();
    for (const w of [...this.#waiters]) w.fail(new Error("FakeZaloBotServer stopped"));
    const server = this.#server;
    this.#server = undefined;
    this.#root = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  get apiRoot(): string {
    if (!this.#root) throw new Error("FakeZaloBotServer: call start() first");
    return this.#root;
  }

  // ───────────────────────────────────────────── inbound (user → bot)

  /**
   * Queues an update for getUpdates, or, when a webhook is set, POSTs it there once (no retries;
   * the status lands in `webhookDeliveries`). Returns the update.
   */
  pushUpdate<T>(update: T): T {
    if (this.#webhook) {
      void this.deliverToWebhook(update).catch(() => undefined);
    } else {
      this.#updates.push(update);
      this.#flushPoll();
    }
    this.#checkWaiters();
    return update;
  }

  /** A bare `{ event_name, message }` from a user in their private chat (or `chat`). */
  messageFrom(
    user: FakeZaloUser,
    eventName: string,
    content: Record<string, unknown>,
    chat?: { id: string; chat_type: "PRIVATE" | "GROUP" },
  ): ZaloBotUpdateBody {
    return {
      event_name: eventName,
      message: {
        from: { id: user.id, display_name: user.name ?? `User ${user.id}`, is_bot: false },
        chat: chat ?? { id: user.id, chat_type: "PRIVATE" },
        message_id: this.#nextMessageId(),
        date: this.#now(),
        ...content,
      },
    };
  }

  userSendsText(user: FakeZaloUser, text: string): ZaloBotUpdateBody {
    return this.pushUpdate(this.messageFrom(user, "message.text.received", { text }));
  }

  userSendsImage(user: FakeZaloUser, caption?: string): ZaloBotUpdateBody {
    return this.pushUpdate(
      this.messageFrom(user, "message.image.received", {
        photo: "https://example.invalid/p.jpg",
        ...(caption ? { caption } : {}),
      }),
    );
  }

  /** One POST of `update` to the webhook; resolves with the HTTP status. `secret: null` omits the header. */
  async deliverToWebhook(update: unknown, options: { secret?: string | null; body?: string } = {}): Promise<number> {
    const webhook = this.#webhook;
    if (!webhook) throw new Error("FakeZaloBotServer: no webhook is set");
    const secret = options.secret === undefined ? webhook.secret : options.secret;
    const body = options.body ?? JSON.stringify(update);
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
    };
    if (secret !== null) headers["x-bot-api-secret-token"] = secret;
    const status = await new Promise<number>((resolve) => {
      const req = http.request(webhook.url, { method: "POST", headers, agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", () => resolve(0));
      });
      this.#deliveries.add(req);
      req.on("close", () => this.#deliveries.delete(req));
      req.on("error", () => resolve(0));
      req.end(body);
    });
    this.webhookDeliveries.push({ update, status });
    this.#checkWaiters();
    return status;
  }

  // ───────────────────────────────────────────── observation

  /** Successful sendMessage calls, optionally to one chat. A copy. */
  sent(chatId?: string): ZaloBotSent[] {
    return chatId === undefined ? this.#sent.slice() : this.#sent.filter((s) => s.chat_id === chatId);
  }

  callsOf(method: string): ZaloBotRecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  get webhook(): { url: string; secret: string } | undefined {
    return this.#webhook ? { url: this.#webhook.url, secret: this.#webhook.secret } : undefined;
  }

  get pendingUpdateCount(): number {
    return this.#updates.length;
  }

  /** True while a getUpdates call is being held open. */
  get isLongPolling(): boolean {
    return this.#poll !== undefined;
  }

  /** Resolves once `predicate()` is true; checked after every call and every 10 ms. */
  waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, what = "condition"): Promise<void> {
    // Predicates may query the database (asynchronous): one check at a time.
    let checking = false;
    const test = async (): Promise<boolean> => {
      try {
        return await predicate();
      } catch {
        return false;
      }
    };
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        clearInterval(interval);
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        check: () => {
          if (checking) return;
          checking = true;
          void test().then((ok) => {
            checking = false;
            if (ok) {
              done();
              resolve();
            }
          });
        },
        fail: (error) => {
          done();
          reject(error);
        },
      };
      const interval = setInterval(waiter.check, 10);
      const timer = setTimeout(() => {
        const recent = this.calls
          .slice(-8)
          .map((c) => `${c.method}→${c.status}`)
          .join(", ");
        waiter.fail(new Error(`waitFor(${what}) timed out after ${timeoutMs} ms; recent calls: ${recent || "none"}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
      waiter.check();
    });
  }

  waitForSent(count: number, timeoutMs = 5000, chatId?: string): Promise<void> {
    return this.waitFor(
      () => this.sent(chatId).length >= count,
      timeoutMs,
      `${count} sent${chatId ? ` to ${chatId}` : ""}`,
    );
  }

  // ───────────────────────────────────────────── fault injection

  /** The next `times` calls of `method` ("*" = any) fail with `response`, or with a destroyed socket for "network". */
  failNext(method: string, response: FakeZaloBotError | "network", times = 1): void {
    const queue = this.#faults.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(response);
    this.#faults.set(method, queue);
  }

  /** sendMessage/sendChatAction to this chat → 403 (the user blocked the bot). */
  blockChat(chatId: string): void {
    this.#chatErrors.set(chatId, { error_code: 403, description: "Forbidden: the user has blocked the bot" });
  }

  /** Any error for sendMessage/sendChatAction to a chat; undefined clears it. */
  setChatError(chatId: string, error: FakeZaloBotError | undefined): void {
    if (error) this.#chatErrors.set(chatId, error);
    else this.#chatErrors.delete(chatId);
  }

  // ───────────────────────────────────────────── HTTP plumbing

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const at = this.#now();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec((req.url ?? "/").split("?")[0]!);
      let payload: any = {};
      const raw = Buffer.concat(chunks).toString("utf8");
      if (raw) {
        try {
          payload = JSON.parse(raw);
        } catch {
          this.#respond(res, match?.[2] ?? "?", raw, at, fail(400, "Bad Request: body is not JSON"));
          return;
        }
      }
      if (req.method !== "POST")
        return this.#respond(res, match?.[2] ?? "?", payload, at, fail(405, "Method Not Allowed"));
      if (!match) return this.#respond(res, "?", payload, at, fail(404, "Not Found"));
      const method = match[2]!;
      if (decodeURIComponent(match[1]!) !== this.token)
        return this.#respond(res, method, payload, at, fail(401, "Unauthorized"));
      if (!methods.has(method))
        return this.#respond(res, method, payload, at, fail(404, "Not Found: method not found"));
      if (!isObject(payload))
        return this.#respond(res, method, payload, at, fail(400, "Bad Request: body must be a JSON object"));
      const fault = this.#takeFault(method);
      if (fault === "network") {
        this.#record(method, payload, 0, at);
        req.socket.destroy();
        return;
      }
      if (fault) return this.#respond(res, method, payload, at, { ok: false, ...fault });
      if (method === "getUpdates") return this.#getUpdates(res, payload, at);
      this.#respond(res, method, payload, at, this.#execute(method, payload));
    });
  }

  #respond(res: ServerResponse, method: string, payload: unknown, at: number, reply: Reply): void {
    const status =
      reply.ok || this.#errorStatus === "200"
        ? 200
        : reply.error_code >= 400 && reply.error_code < 600
          ? reply.error_code
          : 400;
    this.#record(method, payload, status, at);
    if (res.destroyed || res.writableEnded) return;
    const body = JSON.stringify(reply);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  }

  #record(method: string, payload: unknown, status: number, at: number): void {
    this.calls.push({ method, payload, status, at });
    this.#checkWaiters();
  }

  #takeFault(method: string): FakeZaloBotError | "network" | undefined {
    for (const key of [method, "*"]) {
      const queue = this.#faults.get(key);
      if (queue?.length) {
        const fault = queue.shift();
        if (!queue.length) this.#faults.delete(key);
        return fault;
      }
    }
    return undefined;
  }

  #checkWaiters(): void {
    if (!this.#waiters.size) return;
    setImmediate(() => {
      for (const w of [...this.#waiters]) w.check();
    });
  }

  #nextMessageId(): string {
    return (++this.#messageSeq).toString(16).padStart(20, "0");
  }

  // ───────────────────────────────────────────── methods

  #getUpdates(res: ServerResponse, payload: any, at: number): void {
    if (this.#webhook)
      return this.#respond(
        res,
        "getUpdates",
        payload,
        at,
        fail(409, "Conflict: can't use getUpdates while a webhook is active"),
      );
    if (this.#poll) {
      // A second concurrent poll replaces the first, which gets the timeout answer.
      const previous = this.#poll;
      this.#poll = undefined;
      clearTimeout(previous.timer);
      this.#respond(previous.res, "getUpdates", previous.payload, previous.at, fail(408, "Request timeout"));
    }
    if (this.#updates.length)
      return this.#respond(res, "getUpdates", payload, at, { ok: true, result: this.#updates.shift() });
    const requested = Number(payload.timeout ?? 30);
    const seconds = Math.min(this.#maxPollSeconds, Number.isFinite(requested) && requested >= 0 ? requested : 30);
    const poll: PendingPoll = {
      res,
      payload,
      at,
      timer: setTimeout(() => {
        if (this.#poll !== poll) return;
        this.#poll = undefined;
        this.#respond(res, "getUpdates", payload, at, fail(408, "Request timeout"));
      }, seconds * 1000),
    };
    this.#poll = poll;
    // A client that gives up (abort, timeout) must not swallow the next update.
    res.on("close", () => {
      if (this.#poll !== poll) return;
      this.#poll = undefined;
      clearTimeout(poll.timer);
      this.#record("getUpdates", payload, 0, at);
    });
    this.#checkWaiters();
  }

  #flushPoll(): void {
    const poll = this.#poll;
    if (!poll || !this.#updates.length || poll.res.destroyed) return;
    this.#poll = undefined;
    clearTimeout(poll.timer);
    this.#respond(poll.res, "getUpdates", poll.payload, poll.at, { ok: true, result: this.#updates.shift() });
  }

  #execute(method: string, p: Record<string, any>): Reply {
    const now = this.#now();
    switch (method) {
      case "getMe":
        return { ok: true, result: this.botInfo };
      case "setWebhook": {
        if (typeof p.url !== "string" || !/^https?:\/\/\S+$/.test(p.url))
          return fail(400, "Bad Request: url is invalid");
        if (!p.url.startsWith("https://") && !this.#allowHttpWebhook)
          return fail(400, "Bad Request: url must be https");
        if (typeof p.secret_token !== "string" || p.secret_token.length < 8 || p.secret_token.length > 256)
          return fail(400, "Bad Request: secret_token must be 8-256 characters");
        this.#webhook = { url: p.url, secret: p.secret_token, updatedAt: now };
        // A held poll ends when the webhook takes over.
        const poll = this.#poll;
        this.#poll = undefined;
        if (poll) {
          clearTimeout(poll.timer);
          this.#respond(poll.res, "getUpdates", poll.payload, poll.at, fail(409, "Conflict: a webhook was set"));
        }
        return { ok: true, result: { url: p.url, updated_at: now } };
      }
      case "deleteWebhook":
        this.#webhook = undefined;
        return { ok: true, result: { url: "", updated_at: now } };
      case "getWebhookInfo":
        return { ok: true, result: { url: this.#webhook?.url ?? "", updated_at: this.#webhook?.updatedAt ?? 0 } };
      case "sendMessage": {
        const chatId = typeof p.chat_id === "string" || typeof p.chat_id === "number" ? String(p.chat_id) : "";
        if (!chatId) return fail(400, "Bad Request: chat_id is required");
        if (typeof p.text !== "string" || p.text.length < 1 || p.text.length > 2000)
          return fail(400, "Bad Request: text must be 1-2000 characters");
        const chatError = this.#chatErrors.get(chatId);
        if (chatError) return { ok: false, ...chatError };
        const sent: ZaloBotSent = { chat_id: chatId, text: p.text, message_id: this.#nextMessageId(), date: now };
        this.#sent.push(sent);
        return { ok: true, result: { message_id: sent.message_id, date: sent.date } };
      }
      case "sendChatAction": {
        const chatId = typeof p.chat_id === "string" || typeof p.chat_id === "number" ? String(p.chat_id) : "";
        if (!chatId) return fail(400, "Bad Request: chat_id is required");
        if (p.action !== "typing") return fail(400, "Bad Request: action is not supported");
        const chatError = this.#chatErrors.get(chatId);
        if (chatError) return { ok: false, ...chatError };
        return { ok: true };
      }
      default:
        return fail(501, `Not Implemented: ${method} is not faked`);
    }
  }
}
