/**
 * A local fake of the Telegram Bot API served over real HTTP (node:http only),
 * for end-to-end tests and benchmarks.
 *
 *   const tg = new FakeTelegramServer({ limits: {} });
 *   const apiRoot = await tg.start();
 *   const bot = new Bot(tg.token, { client: { apiRoot } });
 *   ...
 *   await tg.stop();
 *
 * Behaviour follows the real Bot API where it matters to callers: the
 * `{ ok, result }` / `{ ok: false, error_code, description, parameters }`
 * envelope with the HTTP status equal to `error_code`, update confirmation by
 * `offset`, long polling, webhook delivery with the secret header, Telegram's
 * error descriptions for the common failures, and (optionally) the documented
 * flood limits answered with 429 + `retry_after`.
 */
import http, { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Chat, Message, Update, User, UserFromGetMe } from "grammy/types";

// ────────────────────────────────────────────────────────────── public types

export const DEFAULT_FAKE_TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk";

export interface FakeTelegramLimits {
  /** Messages per second across all chats (sliding 1 s window). Default 30. */
  perSecond?: number;
  /** Interval between messages to the same chat. Default 1000 ms. */
  chatIntervalMs?: number;
  /**
   * Messages a single chat may receive back-to-back before the interval applies. Default 1: the
   * strict reading of Telegram's limit, never two messages to one chat within `chatIntervalMs`.
   */
  chatBurst?: number;
  /** Messages per minute to one group/supergroup (negative chat id; sliding 60 s window). Default 20. */
  groupPerMinute?: number;
}

export interface FakeTelegramOptions {
  /** Default {@link DEFAULT_FAKE_TOKEN}. */
  token?: string;
  /** Overrides for getMe. Default id = the token's numeric prefix, username "chihoi_test_bot". */
  botInfo?: Partial<UserFromGetMe>;
  /** Enforce Telegram's flood limits with 429 + retry_after (`{}` or `true` = Telegram's defaults). Default: off. */
  limits?: FakeTelegramLimits | boolean;
  /** Artificial latency added before every call is processed. Default 0. */
  latencyMs?: number;
  /** Webhook mode: how many times an update is re-sent after a non-2xx answer or network error. Default 3. */
  webhookRetries?: number;
  /** Webhook mode: delay before the n-th resend is n × this. Default 100 ms. */
  webhookRetryDelayMs?: number;
  /** Webhook mode: a delivery not answered within this time counts as failed. Default 10 000 ms. */
  webhookTimeoutMs?: number;
  /**
   * Clock in epoch milliseconds (rate limits, `at`, message `date`). Default: real time to a
   * fraction of a millisecond (Date.now's whole milliseconds would let two arrivals 999.2 ms apart
   * count as 1000 ms apart).
   */
  clock?: () => number;
  /**
   * Network delay on the way in, up to this many ms, drawn per request: the flood limits judge the
   * time a request *arrives*, which is later than the client sent it, by a varying amount. Default 0.
   */
  arrivalJitterMs?: number;
}

/**
 * A platform outage: `"refuse"` closes the listener and every open connection (connection refused
 * / reset), `"5xx"` answers every call with 502 Bad Gateway, as a failing front end does.
 */
export type FakeOutage = "refuse" | "5xx";

export interface FakeApiError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

export interface RecordedCall {
  /** Canonical method name (e.g. "sendMessage"), or the raw path segment when unknown. */
  method: string;
  /** Parameters as received (query + body; JSON-valued form fields parsed). */
  payload: any;
  /** Arrival time (clock ms). */
  at: number;
  /** HTTP status answered; 0 = no response (injected network failure, aborted long poll, server stopped). */
  status: number;
  /** "webhook-reply" when the call came back as the body of a webhook response. */
  via: "http" | "webhook-reply";
}

export interface SentMessage {
  chat_id: number | string;
  text: string;
  reply_markup?: any;
  message_id: number;
  reply_to_message_id?: number;
  parse_mode?: string;
  at: number;
  /** Full request payload of the sendMessage call. */
  payload: any;
}

export interface FakeUser {
  id: number;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export interface FakeTelegramCounters {
  /** HTTP requests received. */
  requests: number;
  /** Calls answered with ok: true. */
  served: number;
  /** Calls answered with ok: false (any code, including injected faults and 429s). */
  failed: number;
  /** 429s produced by the flood-limit simulation (not by failNext). */
  rateLimited: number;
  /** Calls failed by failNext (including "network"). */
  injected: number;
  /** Updates successfully delivered to the webhook (2xx). */
  webhookDelivered: number;
  /** Updates dropped after all webhook attempts failed. */
  webhookFailed: number;
  /** Updates not queued because allowed_updates excludes their type. */
  droppedUpdates: number;
}

export type PushableUpdate = Omit<Update, "update_id"> & { update_id?: number };

// ────────────────────────────────────────────────────────────── internals

type Params = Record<string, any>;
type ErrReply = { ok: false } & FakeApiError;
type Reply = { ok: true; result: unknown; description?: string } | ErrReply;
const ABORTED = Symbol("aborted");
type Aborted = typeof ABORTED;

const METHODS = [
  "getMe",
  "getUpdates",
  "setWebhook",
  "deleteWebhook",
  "getWebhookInfo",
  "setMyCommands",
  "getMyCommands",
  "deleteMyCommands",
  "sendMessage",
  "editMessageText",
  "editMessageReplyMarkup",
  "answerCallbackQuery",
  "sendChatAction",
  "getChat",
] as const;
type MethodName = (typeof METHODS)[number];
const METHOD_BY_LOWER = new Map<string, MethodName>(METHODS.map((m) => [m.toLowerCase(), m]));

/** Fields that Telegram accepts as JSON-serialised strings in query/form payloads. */
const JSON_FIELDS = new Set([
  "reply_markup",
  "reply_parameters",
  "link_preview_options",
  "entities",
  "commands",
  "scope",
  "allowed_updates",
]);

const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

/** Update types Telegram withholds unless explicitly listed in allowed_updates. */
const NOT_DELIVERED_BY_DEFAULT = new Set(["chat_member", "message_reaction", "message_reaction_count"]);

const HTML_TAGS = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "span",
  "tg-spoiler",
  "a",
  "tg-emoji",
  "tg-time",
  "code",
  "pre",
  "blockquote",
]);

const err = (error_code: number, description: string, parameters?: FakeApiError["parameters"]): ErrReply =>
  parameters ? { ok: false, error_code, description, parameters } : { ok: false, error_code, description };
const ok = (result: unknown, description?: string): Reply =>
  description === undefined ? { ok: true, result } : { ok: true, result, description };

const NOT_MODIFIED =
  "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

/** Drops times at or before `since` from a sorted list. */
function prune(list: number[], since: number): void {
  let i = 0;
  while (i < list.length && list[i]! <= since) i++;
  if (i) list.splice(0, i);
}

function insertSorted(list: number[], t: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1]! > t) i--;
  list.splice(i, 0, t);
}

/**
 * With `t` added to the sorted `list`, would some window of `windowMs` hold more than `max`
 * times? Returns 0 when not, else how long after `t` the window that is too full ends.
 */
function windowWait(list: number[], t: number, max: number, windowMs: number): number {
  let i = list.length;
  while (i > 0 && list[i - 1]! > t) i--;
  const merged = [...list.slice(Math.max(0, i - max), i), t, ...list.slice(i, i + max)];
  const at = Math.min(max, i);
  let wait = 0;
  for (let k = Math.max(0, at - max); k + max < merged.length && k <= at; k++)
    if (merged[k + max]! - merged[k]! < windowMs) wait = Math.max(wait, 1, Math.ceil(merged[k]! + windowMs - t));
  return wait;
}

function toInt(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === "string" && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}
function toBool(v: unknown): boolean {
  return v === true || v === "true" || v === "1" || v === 1;
}
function toObj(v: unknown): Params | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Params) : undefined;
}
/** Numeric ids become numbers; "@username" stays a string; anything else is undefined. */
function normChatId(v: unknown): number | string | undefined {
  const n = toInt(v);
  if (n !== undefined) return n;
  if (typeof v === "string" && /^@[A-Za-z0-9_]{1,64}$/.test(v.trim())) return v.trim();
  return undefined;
}
function byteOffset(s: string, i: number): number {
  return Buffer.byteLength(s.slice(0, i));
}

/** Validates Telegram-HTML; returns the visible text length or an error description. */
function parseHtml(text: string): { length: number } | { error: string } {
  const stack: string[] = [];
  let length = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 60 /* < */) {
      const m = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^>]*)?>/.exec(text.slice(i, i + 1024));
      const name = m?.[2]?.toLowerCase() ?? text.slice(i + 1, i + 2);
      if (!m || !HTML_TAGS.has(name)) {
        if (m?.[1]) return { error: `Unmatched end tag at byte offset ${byteOffset(text, i)}` };
        return { error: `Unsupported start tag "${name}" at byte offset ${byteOffset(text, i)}` };
      }
      if (m[1]) {
        const open = stack.pop();
        if (open !== name) {
          return {
            error: `Unmatched end tag at byte offset ${byteOffset(text, i)}, expected "</${open ?? ""}>", found "</${name}>"`,
          };
        }
      } else {
        stack.push(name);
      }
      i += m[0].length;
      continue;
    }
    if (c === 38 /* & */) {
      const m = /^&(lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});/.exec(text.slice(i, i + 12));
      if (m) {
        length += 1;
        i += m[0].length;
        continue;
      }
    }
    length += 1;
    i += 1;
  }
  const open = stack.pop();
  if (open !== undefined) return { error: `Can't find end tag corresponding to start tag "${open}"` };
  return { length };
}

/** Catches the classic MarkdownV2 mistake (unescaped reserved characters). Returns visible length or error. */
function parseMarkdownV2(text: string): { length: number } | { error: string } {
  let inCode = false;
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\") {
      i++;
      length++;
      continue;
    }
    if (c === "`") {
      inCode = !inCode;
      if (text.startsWith("``", i + 1)) i += 2;
      continue;
    }
    if (inCode) {
      length++;
      continue;
    }
    if (c === "(" && text[i - 1] === "]") {
      // link / custom emoji target: skip to the closing parenthesis
      let j = i + 1;
      while (j < text.length && text[j] !== ")") j += text[j] === "\\" ? 2 : 1;
      if (j >= text.length) return { error: `Can't find end of a URL at byte offset ${byteOffset(text, i)}` };
      i = j;
      continue;
    }
    if (".!-+=#{}()".includes(c) || (c === ">" && i > 0 && text[i - 1] !== "\n")) {
      if (c === "!" && text[i + 1] === "[") continue;
      return { error: `Character '${c}' is reserved and must be escaped with the preceding '\\'` };
    }
    if ("*_~|[]>".includes(c)) continue;
    length++;
  }
  if (inCode) return { error: "Can't find end of Code entity" };
  return { length };
}

/** Telegram's bot_command entities (needed by grammY's bot.command()). */
function commandEntities(text: string): Array<{ type: "bot_command"; offset: number; length: number }> | undefined {
  const out: Array<{ type: "bot_command"; offset: number; length: number }> = [];
  const re = /(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?![A-Za-z0-9_@])/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ type: "bot_command", offset: m.index + m[1]!.length, length: m[2]!.length });
  }
  return out.length ? out : undefined;
}

function updateType(u: PushableUpdate): string {
  for (const k of Object.keys(u)) if (k !== "update_id") return k;
  return "unknown";
}

/** Chat that an update belongs to, for per-chat ordering of webhook deliveries. */
function updateChatKey(u: Update): string | undefined {
  const anyU = u as Params;
  for (const k of Object.keys(anyU)) {
    if (k === "update_id") continue;
    const v = toObj(anyU[k]);
    if (!v) continue;
    const chat = toObj(v.chat) ?? toObj(toObj(v.message)?.chat);
    if (chat && chat.id !== undefined) return String(chat.id);
    const from = toObj(v.from);
    if (from && from.id !== undefined) return String(from.id);
  }
  return undefined;
}

interface StoredMessage {
  message: Message;
  fromBot: boolean;
}

interface ChatState {
  key: string;
  chat: Chat;
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  sent: SentMessage[];
  error?: FakeApiError;
  /** Arrival times of recent sends to this chat (sorted), for the per-chat limit. */
  chatSends: number[];
  /** The same for the per-group limit (a longer window). */
  groupSends: number[];
}

interface ResolvedLimits {
  perSecond: number;
  chatIntervalMs: number;
  chatBurst: number;
  groupPerMinute: number;
}

interface PendingPoll {
  limit: number;
  timer: NodeJS.Timeout;
  resolve: (r: Reply | Aborted) => void;
}

interface WebhookState {
  url: URL;
  secret?: string;
  maxConnections: number;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

interface Waiter {
  check: () => void;
  fail: (e: Error) => void;
}

// ────────────────────────────────────────────────────────────── the server

export class FakeTelegramServer {
  readonly token: string;
  readonly botInfo: UserFromGetMe;
  /** Every request, in completion order. Cleared in place by {@link clearRecords}. */
  readonly calls: RecordedCall[] = [];
  readonly counters: FakeTelegramCounters = {
    requests: 0,
    served: 0,
    failed: 0,
    rateLimited: 0,
    injected: 0,
    webhookDelivered: 0,
    webhookFailed: 0,
    droppedUpdates: 0,
  };

  private readonly now: () => number;
  private readonly latencyMs: number;
  private readonly arrivalJitterMs: number;
  /** Until then, requests are held on the way in and arrive together at that time (`delayArrivals`). */
  private heldUntil = 0;
  private outage: FakeOutage | undefined;
  private port = 0;
  private readonly webhookRetries: number;
  private readonly webhookRetryDelayMs: number;
  private readonly webhookTimeoutMs: number;
  private readonly botUser: User;

  private server: http.Server | undefined;
  private root: string | undefined;
  private stopped = false;

  private limits: ResolvedLimits | undefined;
  /** Arrival times of recent sends (sorted), for the global window. */
  private globalSends: number[] = [];

  private readonly chats = new Map<string, ChatState>();
  private readonly allSent: SentMessage[] = [];
  private readonly faults = new Map<string, Array<FakeApiError | "network">>();
  private readonly callbackQueries = new Map<string, { answered: boolean; answer?: Params }>();
  private readonly myCommands = new Map<string, unknown[]>();

  private nextUpdateId = 1;
  private updates: Update[] = [];
  private allowedUpdates: string[] | undefined;
  private pendingPoll: PendingPoll | undefined;
  private pollFlushScheduled = false;
  private callbackSeq = 0;

  private webhook: WebhookState | undefined;
  private webhookQueue: Update[] = [];
  private webhookInflight = 0;
  private readonly webhookBusyChats = new Set<string>();
  private readonly webhookRequests = new Set<http.ClientRequest>();
  private httpAgent: http.Agent | undefined;
  private httpsAgent: https.Agent | undefined;

  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<Waiter>();
  private waiterCheckScheduled = false;

  constructor(options: FakeTelegramOptions = {}) {
    this.token = options.token ?? DEFAULT_FAKE_TOKEN;
    this.now = options.clock ?? (() => performance.timeOrigin + performance.now());
    this.latencyMs = Math.max(0, options.latencyMs ?? 0);
    this.arrivalJitterMs = Math.max(0, options.arrivalJitterMs ?? 0);
    this.webhookRetries = Math.max(0, options.webhookRetries ?? 3);
    this.webhookRetryDelayMs = Math.max(0, options.webhookRetryDelayMs ?? 100);
    this.webhookTimeoutMs = Math.max(1, options.webhookTimeoutMs ?? 10_000);
    const idFromToken = Number(this.token.split(":")[0]);
    this.botInfo = {
      id: Number.isSafeInteger(idFromToken) && idFromToken > 0 ? idFromToken : 123456789,
      is_bot: true,
      first_name: "Chi Hội Test Bot",
      username: "chihoi_test_bot",
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
      ...options.botInfo,
    } as UserFromGetMe;
    this.botUser = {
      id: this.botInfo.id,
      is_bot: true,
      first_name: this.botInfo.first_name,
      username: this.botInfo.username,
    };
    this.setLimits(options.limits ?? false);
  }

  // ───────────────────────────────────────────── lifecycle

  /** Listens on 127.0.0.1 with an ephemeral port; returns the apiRoot (no trailing slash). */
  async start(): Promise<string> {
    if (this.server && this.root) return this.root;
    this.stopped = false;
    const server = http.createServer({ keepAliveTimeout: 65_000, noDelay: true }, this.onRequest);
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    this.port = port;
    this.server = server;
    this.root = `http://127.0.0.1:${port}`;
    return this.root;
  }

  /** Closes the listener and every socket (including held long polls and webhook deliveries). Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pendingPoll) {
      const p = this.pendingPoll;
      this.pendingPoll = undefined;
      clearTimeout(p.timer);
      p.resolve(ABORTED);
    }
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const r of this.webhookRequests) r.destroy();
    this.webhookRequests.clear();
    this.httpAgent?.destroy();
    this.httpsAgent?.destroy();
    this.httpAgent = this.httpsAgent = undefined;
    for (const w of [...this.waiters]) w.fail(new Error("FakeTelegramServer stopped"));
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /**
   * Starts (`"refuse"` / `"5xx"`) or ends (`false`) an outage. During `"refuse"` nothing listens on
   * the port; ending it listens again on the same port, with chats, messages and updates kept.
   */
  async setOutage(mode: FakeOutage | false): Promise<void> {
    const was = this.outage;
    this.outage = mode || undefined;
    if (mode === "refuse" && was !== "refuse") {
      const server = this.server;
      this.server = undefined;
      if (this.pendingPoll) {
        const p = this.pendingPoll;
        this.pendingPoll = undefined;
        clearTimeout(p.timer);
        p.resolve(ABORTED);
      }
      if (server)
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
    } else if (was === "refuse" && mode !== "refuse") {
      await this.start();
    }
  }

  get apiRoot(): string {
    if (!this.root) throw new Error("FakeTelegramServer: call start() first");
    return this.root;
  }

  /** Turns the flood-limit simulation on (`{}`/`true` = Telegram's defaults) or off (`false`). Resets its state. */
  setLimits(limits: FakeTelegramLimits | boolean): void {
    if (limits === false) {
      this.limits = undefined;
    } else {
      const l = limits === true ? {} : limits;
      this.limits = {
        perSecond: Math.max(1, Math.floor(l.perSecond ?? 30)),
        chatIntervalMs: Math.max(0, l.chatIntervalMs ?? 1000),
        chatBurst: Math.max(1, Math.floor(l.chatBurst ?? 1)),
        groupPerMinute: Math.max(1, Math.floor(l.groupPerMinute ?? 20)),
      };
    }
    this.globalSends = [];
    for (const cs of this.chats.values()) {
      cs.chatSends = [];
      cs.groupSends = [];
    }
  }

  /** Forgets recorded calls, sent messages and counters (chats, messages, queues and webhook stay). */
  clearRecords(): void {
    this.calls.length = 0;
    this.allSent.length = 0;
    for (const cs of this.chats.values()) cs.sent.length = 0;
    for (const k of Object.keys(this.counters) as Array<keyof FakeTelegramCounters>) this.counters[k] = 0;
  }

  // ───────────────────────────────────────────── inbound simulation (user → bot)

  /** Queues an update for getUpdates, or hands it to the webhook. Assigns an increasing update_id if absent. */
  pushUpdate(update: PushableUpdate): Update {
    let u: Update;
    if (update.update_id === undefined) {
      u = { ...update, update_id: this.nextUpdateId++ } as Update;
    } else {
      u = update as Update;
      this.nextUpdateId = Math.max(this.nextUpdateId, u.update_id + 1);
    }
    this.registerUpdate(u);
    if (!this.isAllowed(u)) {
      this.counters.droppedUpdates++;
      return u;
    }
    if (this.webhook) {
      this.webhookQueue.push(u);
      this.pumpWebhook();
    } else {
      const last = this.updates[this.updates.length - 1];
      if (!last || last.update_id < u.update_id) this.updates.push(u);
      else {
        const i = this.updates.findIndex((x) => x.update_id > u.update_id);
        this.updates.splice(i < 0 ? this.updates.length : i, 0, u);
      }
      this.schedulePollFlush();
    }
    this.scheduleWaiterCheck();
    return u;
  }

  /** A user writes `text` (private chat with them unless `opts.chat`). Commands get bot_command entities. */
  userSendsText(from: FakeUser, text: string, opts: { chat?: Chat; replyToMessageId?: number } = {}): Update {
    const msg: Params = this.incomingMessage(from, opts.chat);
    msg.text = text;
    const entities = commandEntities(text);
    if (entities) msg.entities = entities;
    if (opts.replyToMessageId !== undefined) {
      const cs = this.chatState(msg.chat.id)!;
      msg.reply_to_message = this.replyView(cs, opts.replyToMessageId);
    }
    return this.pushUpdate({ message: msg as Update["message"] });
  }

  /** A user presses an inline button with `data` on `message`. The callback query must then be answered. */
  userPressesButton(from: FakeUser, message: { message_id: number; chat: { id: number } }, data: string): Update {
    const cs = this.chatState(message.chat.id) ?? this.ensureChat(message.chat.id);
    const stored = cs.messages.get(message.message_id)?.message;
    const id = `${this.botInfo.id}${String(++this.callbackSeq).padStart(6, "0")}`;
    this.callbackQueries.set(id, { answered: false });
    const cq = {
      id,
      from: this.userObject(from),
      message: stored ?? {
        message_id: message.message_id,
        date: Math.floor(this.now() / 1000),
        chat: cs.chat,
        from: this.botUser,
      },
      chat_instance: String(4_000_000_000_000 + Math.abs(message.chat.id)),
      data,
    };
    return this.pushUpdate({ callback_query: cq as unknown as Update["callback_query"] });
  }

  /** A user shares a contact in their private chat with the bot (user_id is passed through as given). */
  userSharesContact(
    from: FakeUser,
    contact: { phone_number: string; user_id?: number; first_name: string; last_name?: string },
  ): Update {
    const msg: Params = this.incomingMessage(from, undefined);
    msg.contact = { ...contact };
    return this.pushUpdate({ message: msg as Update["message"] });
  }

  /**
   * One POST of `update` to the current webhook (no queueing, no retries); resolves with the HTTP status.
   * Rejects if no webhook is set or on a network error. A JSON method call in a 2xx body is executed.
   */
  async deliverToWebhook(update: PushableUpdate): Promise<number> {
    const wh = this.webhook;
    if (!wh) throw new Error("FakeTelegramServer: no webhook is set");
    const u: Update =
      update.update_id === undefined ? ({ ...update, update_id: this.nextUpdateId++ } as Update) : (update as Update);
    if (update.update_id !== undefined) this.nextUpdateId = Math.max(this.nextUpdateId, u.update_id + 1);
    this.registerUpdate(u);
    const r = await this.postWebhook(wh, u);
    if (r.status >= 200 && r.status < 300) {
      this.counters.webhookDelivered++;
      this.runWebhookReply(r.body);
    }
    this.scheduleWaiterCheck();
    return r.status;
  }

  // ───────────────────────────────────────────── observation

  /** Successful sendMessage calls, optionally for one chat (indexed; O(result)). Returns a copy. */
  sent(chatId?: number | string): SentMessage[] {
    if (chatId === undefined) return this.allSent.slice();
    const cs = this.chatState(chatId);
    return cs ? cs.sent.slice() : [];
  }

  /** Number of successful sendMessage calls (O(1)). */
  sentCount(chatId?: number | string): number {
    if (chatId === undefined) return this.allSent.length;
    return this.chatState(chatId)?.sent.length ?? 0;
  }

  /** Current state of a message (after edits), as the bot would see it. */
  message(chatId: number | string, messageId: number): Message | undefined {
    return this.chatState(chatId)?.messages.get(messageId)?.message;
  }

  /** The answerCallbackQuery payload for a query id, undefined while unanswered. */
  callbackAnswer(callbackQueryId: string): Params | undefined {
    return this.callbackQueries.get(callbackQueryId)?.answer;
  }

  /** Commands stored by setMyCommands for a scope/language (default scope, no language by default). */
  commands(scope?: object, languageCode?: string): unknown[] {
    return this.myCommands.get(this.commandsKey(scope, languageCode)) ?? [];
  }

  /** Updates waiting in the getUpdates queue (unconfirmed) or for webhook delivery. */
  get pendingUpdateCount(): number {
    return this.updates.length + this.webhookQueue.length + this.webhookInflight;
  }

  /** True while a getUpdates long poll is being held open. */
  get isLongPolling(): boolean {
    return this.pendingPoll !== undefined;
  }

  get webhookUrl(): string {
    return this.webhook?.url.href ?? "";
  }

  /**
   * Resolves once `predicate()` returns true. Re-checked after every call/update and every 10 ms,
   * so it may depend on external state. A throwing predicate counts as false (its last error is
   * reported on timeout).
   */
  waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, what = "condition"): Promise<void> {
    let lastError: unknown;
    // Predicates may query the database (asynchronous): one check at a time.
    let checking = false;
    const test = async (): Promise<boolean> => {
      try {
        return await predicate();
      } catch (e) {
        lastError = e;
        return false;
      }
    };
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearInterval(interval);
        clearTimeout(timer);
        this.waiters.delete(waiter);
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
        fail: (e) => {
          done();
          reject(e);
        },
      };
      const interval = setInterval(waiter.check, 10);
      const timer = setTimeout(() => {
        const recent = this.calls
          .slice(-8)
          .map((c) => `${c.method}→${c.status}`)
          .join(", ");
        const why = lastError instanceof Error ? `; last predicate error: ${lastError.message}` : "";
        waiter.fail(
          new Error(
            `waitFor(${what}) timed out after ${timeoutMs} ms${why}; ${this.calls.length} calls, ` +
              `${this.allSent.length} sent; recent: ${recent || "none"}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  /** Resolves when at least `count` messages were sent (to `chatId`, if given). */
  waitForSent(count: number, timeoutMs = 5000, chatId?: number | string): Promise<void> {
    return this.waitFor(
      () => this.sentCount(chatId) >= count,
      timeoutMs,
      `${count} sent${chatId === undefined ? "" : ` to ${chatId}`}`,
    );
  }

  // ───────────────────────────────────────────── fault injection

  /**
   * The next `times` calls of `method` ("*" = any method) fail with `response`
   * (HTTP status = error_code), or with a destroyed socket for "network".
   */
  failNext(method: string, response: FakeApiError | "network", times = 1): void {
    const key = method === "*" ? "*" : method.toLowerCase();
    let q = this.faults.get(key);
    if (!q) this.faults.set(key, (q = []));
    for (let i = 0; i < times; i++) q.push(response);
  }

  /** sendMessage/sendChatAction to this chat → 403 "Forbidden: bot was blocked by the user". */
  blockChat(chatId: number | string): void {
    this.setChatError(chatId, { error_code: 403, description: "Forbidden: bot was blocked by the user" });
  }

  /** sendMessage/sendChatAction to this chat → 403 "Forbidden: user is deactivated". */
  deactivateChat(chatId: number | string): void {
    this.setChatError(chatId, { error_code: 403, description: "Forbidden: user is deactivated" });
  }

  /** sendMessage/sendChatAction to this group → 403 "Forbidden: bot was kicked from the (super)group chat". */
  kickFromChat(chatId: number | string): void {
    const cs = this.ensureChat(chatId);
    const kind =
      cs.chat.type === "supergroup" ? "supergroup chat" : cs.chat.type === "channel" ? "channel chat" : "group chat";
    this.setChatError(chatId, { error_code: 403, description: `Forbidden: bot was kicked from the ${kind}` });
  }

  /** Clears blockChat/deactivateChat/kickFromChat/setChatError. */
  unblockChat(chatId: number | string): void {
    this.setChatError(chatId, undefined);
  }

  /**
   * A hiccup on the way in: every request that comes in during the next `ms` milliseconds arrives
   * (and is judged by the flood limits, and answered) only when they are over, all together, as a
   * congested link or a stalled machine delivers them.
   */
  delayArrivals(ms: number): void {
    this.heldUntil = this.now() + ms;
  }

  /** Any error for sendMessage/sendChatAction to a chat (e.g. 400 "Bad Request: chat not found"); undefined clears. */
  setChatError(chatId: number | string, error: FakeApiError | undefined): void {
    const cs = this.ensureChat(chatId);
    if (error) cs.error = error;
    else delete cs.error;
  }

  // ───────────────────────────────────────────── HTTP plumbing

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // The arrival, judged by the flood limits: taken as soon as the request is seen (plus, when
    // asked, a random network delay on the way in), with no tolerance.
    const at = Math.max(this.now(), this.heldUntil) + (this.arrivalJitterMs ? Math.random() * this.arrivalJitterMs : 0);
    this.counters.requests++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body =
        chunks.length === 0
          ? ""
          : chunks.length === 1
            ? chunks[0]!.toString("utf8")
            : Buffer.concat(chunks).toString("utf8");
      // Never answer before the (jittered) arrival: an answer cannot precede its request.
      const delay = Math.max(this.latencyMs, Math.ceil(at - this.now()));
      if (delay > 0) {
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.process(req, res, body, at);
        }, delay);
        this.timers.add(t);
      } else {
        this.process(req, res, body, at);
      }
    });
  };

  private process(req: IncomingMessage, res: ServerResponse, body: string, at: number): void {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const m = /^\/bot([^/]*)\/([A-Za-z0-9_]*)$/.exec(path);
    let payload: Params;
    try {
      payload = parsePayload(q < 0 ? "" : url.slice(q + 1), String(req.headers["content-type"] ?? ""), body);
    } catch (e) {
      this.respond(res, m?.[2] ?? path, {}, at, err(400, `Bad Request: ${(e as Error).message}`));
      return;
    }
    if (!m) {
      this.respond(res, path, payload, at, err(404, "Not Found"));
      return;
    }
    const rawMethod = m[2]!;
    let token = m[1]!;
    if (token.includes("%")) {
      try {
        token = decodeURIComponent(token);
      } catch {
        /* keep raw */
      }
    }
    if (token !== this.token) {
      this.respond(res, rawMethod, payload, at, err(401, "Unauthorized"));
      return;
    }
    const method = METHOD_BY_LOWER.get(rawMethod.toLowerCase());
    if (!method) {
      this.respond(res, rawMethod, payload, at, err(404, "Not Found: method not found"));
      return;
    }
    if (this.outage === "5xx") {
      this.respond(res, method, payload, at, err(502, "Bad Gateway"));
      return;
    }
    const fault = this.takeFault(method);
    if (fault !== undefined) {
      this.counters.injected++;
      if (fault === "network") {
        this.record(method, payload, at, 0, "http");
        req.socket.destroy();
        return;
      }
      this.respond(res, method, payload, at, { ok: false, ...fault });
      return;
    }
    if (method === "getUpdates") {
      const r = this.getUpdates(payload, res);
      if (r instanceof Promise) {
        void r.then((x) => {
          if (x === ABORTED) this.record(method, payload, at, 0, "http");
          else this.respond(res, method, payload, at, x);
        });
      } else {
        this.respond(res, method, payload, at, r);
      }
      return;
    }
    let reply: Reply;
    try {
      reply = this.execute(method, payload, at);
    } catch (e) {
      reply = err(500, `Internal Server Error: ${(e as Error).message}`);
    }
    this.respond(res, method, payload, at, reply);
  }

  private respond(res: ServerResponse, method: string, payload: Params, at: number, reply: Reply): void {
    const status = reply.ok ? 200 : reply.error_code >= 400 && reply.error_code < 600 ? reply.error_code : 500;
    this.record(method, payload, at, status, "http");
    if (reply.ok) this.counters.served++;
    else this.counters.failed++;
    if (res.destroyed || res.writableEnded) return;
    const s = JSON.stringify(reply);
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(s) });
    res.end(s);
  }

  private record(method: string, payload: Params, at: number, status: number, via: RecordedCall["via"]): void {
    this.calls.push({ method, payload, at, status, via });
    this.scheduleWaiterCheck();
  }

  private takeFault(method: string): FakeApiError | "network" | undefined {
    if (this.faults.size === 0) return undefined;
    for (const key of [method.toLowerCase(), "*"]) {
      const q = this.faults.get(key);
      if (q?.length) {
        const f = q.shift();
        if (!q.length) this.faults.delete(key);
        return f;
      }
    }
    return undefined;
  }

  private scheduleWaiterCheck(): void {
    if (this.waiterCheckScheduled || this.waiters.size === 0) return;
    this.waiterCheckScheduled = true;
    setImmediate(() => {
      this.waiterCheckScheduled = false;
      for (const w of [...this.waiters]) w.check();
    });
  }

  // ───────────────────────────────────────────── method implementations

  /** `at`: when the request arrived, which is what the flood limits judge. */
  private execute(method: MethodName, p: Params, at = this.now()): Reply {
    switch (method) {
      case "getMe":
        return ok(this.botInfo);
      case "sendMessage":
        return this.sendMessage(p, at);
      case "editMessageText":
        return this.editMessage(p, true);
      case "editMessageReplyMarkup":
        return this.editMessage(p, false);
      case "answerCallbackQuery":
        return this.answerCallbackQuery(p);
      case "sendChatAction":
        return this.sendChatAction(p);
      case "getChat":
        return this.getChat(p);
      case "setWebhook":
        return this.setWebhook(p);
      case "deleteWebhook":
        return this.deleteWebhook(p);
      case "getWebhookInfo":
        return this.getWebhookInfo();
      case "setMyCommands":
        return this.setMyCommands(p);
      case "getMyCommands":
        return ok(this.myCommands.get(this.commandsKey(toObj(p.scope), p.language_code)) ?? []);
      case "deleteMyCommands":
        this.myCommands.delete(this.commandsKey(toObj(p.scope), p.language_code));
        return ok(true);
      case "getUpdates":
        return err(400, "Bad Request: getUpdates can't be used here");
    }
  }

  private sendMessage(p: Params, arrivedAt = this.now()): Reply {
    const target = this.resolveChat(p.chat_id);
    if ("error" in target) return target.error;
    const cs = target.cs;
    if (cs.error) return { ok: false, ...cs.error };
    const text = typeof p.text === "string" ? p.text : p.text == null ? "" : String(p.text);
    const textErr = validateText(text, p.parse_mode, "Bad Request: message is too long");
    if (textErr) return textErr;
    const markup = parseMarkup(p.reply_markup);
    if ("error" in markup) return markup.error;
    const rp = toObj(p.reply_parameters);
    const replyTo = toInt(p.reply_to_message_id) ?? toInt(rp?.message_id);
    const allowWithoutReply = toBool(p.allow_sending_without_reply) || toBool(rp?.allow_sending_without_reply);
    const replied = replyTo === undefined ? undefined : cs.messages.get(replyTo);
    if (replyTo !== undefined && !replied && !allowWithoutReply) {
      return err(400, "Bad Request: message to be replied not found");
    }
    const now = arrivedAt;
    if (this.limits) {
      const waitMs = this.rateLimit(cs, now);
      if (waitMs > 0) {
        const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
        this.counters.rateLimited++;
        return err(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
      }
    }
    const message_id = cs.nextMessageId++;
    const message: Params = {
      message_id,
      from: this.botUser,
      chat: cs.chat,
      date: Math.floor(now / 1000),
      text,
    };
    if (replied) message.reply_to_message = stripReply(replied.message);
    if (markup.markup && Array.isArray(markup.markup.inline_keyboard)) message.reply_markup = markup.markup;
    cs.messages.set(message_id, { message: message as Message, fromBot: true });
    const record: SentMessage = { chat_id: cs.chat.id, text, message_id, at: now, payload: p };
    if (markup.markup !== undefined) record.reply_markup = markup.markup;
    if (replyTo !== undefined && replied) record.reply_to_message_id = replyTo;
    if (typeof p.parse_mode === "string") record.parse_mode = p.parse_mode;
    cs.sent.push(record);
    this.allSent.push(record);
    return ok(message);
  }

  /**
   * Returns 0 when the message may go out now (and books it), otherwise ms until a slot frees.
   * Strict sliding windows over arrival times (which need not come in order): never more than
   * `perSecond` in any 1000 ms, never more than `groupPerMinute` to one group in any 60 s, and per
   * chat at most `chatBurst` within `chatIntervalMs` (1 by default: no two within the interval).
   */
  private rateLimit(cs: ChatState, now: number): number {
    const l = this.limits!;
    let wait = 0;
    prune(this.globalSends, now - 5000);
    wait = Math.max(wait, windowWait(this.globalSends, now, l.perSecond, 1000));
    prune(cs.chatSends, now - l.chatIntervalMs * 2 - 5000);
    wait = Math.max(wait, windowWait(cs.chatSends, now, l.chatBurst, l.chatIntervalMs));
    const isGroup = typeof cs.chat.id === "number" && cs.chat.id < 0;
    if (isGroup) {
      prune(cs.groupSends, now - 120_000);
      wait = Math.max(wait, windowWait(cs.groupSends, now, l.groupPerMinute, 60_000));
    }
    if (wait > 0) return wait;
    insertSorted(this.globalSends, now);
    insertSorted(cs.chatSends, now);
    if (isGroup) insertSorted(cs.groupSends, now);
    return 0;
  }

  private editMessage(p: Params, withText: boolean): Reply {
    if (p.inline_message_id !== undefined && p.chat_id === undefined) {
      if (withText) {
        const e = validateText(String(p.text ?? ""), p.parse_mode, "Bad Request: MESSAGE_TOO_LONG");
        if (e) return e;
      }
      const markup = parseMarkup(p.reply_markup);
      if ("error" in markup) return markup.error;
      return ok(true);
    }
    const target = this.resolveChat(p.chat_id);
    if ("error" in target) return target.error;
    const cs = target.cs;
    const messageId = toInt(p.message_id);
    if (messageId === undefined) return err(400, "Bad Request: message identifier is not specified");
    const stored = cs.messages.get(messageId);
    if (!stored) return err(400, "Bad Request: message to edit not found");
    if (!stored.fromBot) return err(400, "Bad Request: message can't be edited");
    const markup = parseMarkup(p.reply_markup);
    if ("error" in markup) return markup.error;
    const old = stored.message as Params;
    let text: string = old.text ?? "";
    if (withText) {
      text = typeof p.text === "string" ? p.text : p.text == null ? "" : String(p.text);
      const e = validateText(text, p.parse_mode, "Bad Request: MESSAGE_TOO_LONG");
      if (e) return e;
    }
    // Like Telegram, an edit without reply_markup removes the inline keyboard.
    const newMarkup = markup.markup && Array.isArray(markup.markup.inline_keyboard) ? markup.markup : undefined;
    if (text === old.text && JSON.stringify(newMarkup) === JSON.stringify(old.reply_markup)) {
      return err(400, NOT_MODIFIED);
    }
    const updated: Params = { ...old, text, edit_date: Math.floor(this.now() / 1000) };
    if (newMarkup) updated.reply_markup = newMarkup;
    else delete updated.reply_markup;
    stored.message = updated as Message;
    return ok(updated);
  }

  private answerCallbackQuery(p: Params): Reply {
    const id = p.callback_query_id == null ? "" : String(p.callback_query_id);
    const q = this.callbackQueries.get(id);
    if (!q || q.answered) {
      return err(400, "Bad Request: query is too old and response timeout expired or query ID is invalid");
    }
    if (typeof p.text === "string" && p.text.length > 200) return err(400, "Bad Request: MESSAGE_TOO_LONG");
    q.answered = true;
    q.answer = p;
    return ok(true);
  }

  private sendChatAction(p: Params): Reply {
    const target = this.resolveChat(p.chat_id);
    if ("error" in target) return target.error;
    if (target.cs.error) return { ok: false, ...target.cs.error };
    if (typeof p.action !== "string" || !CHAT_ACTIONS.has(p.action)) {
      return err(400, "Bad Request: wrong parameter action in request");
    }
    return ok(true);
  }

  private getChat(p: Params): Reply {
    const target = this.resolveChat(p.chat_id);
    if ("error" in target) return target.error;
    return ok({ ...target.cs.chat, accent_color_id: 0, max_reaction_count: 11 });
  }

  private setWebhook(p: Params): Reply {
    const urlStr = p.url == null ? "" : String(p.url);
    if (urlStr === "") {
      const had = this.webhook !== undefined;
      this.removeWebhook(toBool(p.drop_pending_updates));
      return ok(true, had ? "Webhook was deleted" : "Webhook is already deleted");
    }
    let url: URL;
    try {
      url = new URL(urlStr);
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("bad protocol");
    } catch {
      return err(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
    }
    const secret = p.secret_token == null || p.secret_token === "" ? undefined : String(p.secret_token);
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
      return err(400, "Bad Request: secret token contains unallowed characters");
    }
    const maxConnections = Math.min(100, Math.max(1, toInt(p.max_connections) ?? 40));
    if (Array.isArray(p.allowed_updates)) this.allowedUpdates = p.allowed_updates.map(String);
    const wasSet = this.webhook !== undefined;
    const same = wasSet && this.webhook!.url.href === url.href && this.webhook!.secret === secret;
    this.webhook = { url, maxConnections, ...(secret !== undefined ? { secret } : {}) };
    if (toBool(p.drop_pending_updates)) {
      this.updates = [];
      this.webhookQueue = [];
    } else if (this.updates.length) {
      this.webhookQueue.push(...this.updates);
      this.updates = [];
    }
    if (this.pendingPoll) {
      const poll = this.pendingPoll;
      this.pendingPoll = undefined;
      clearTimeout(poll.timer);
      poll.resolve(this.webhookConflict());
    }
    this.pumpWebhook();
    return ok(true, same ? "Webhook is already set" : "Webhook was set");
  }

  private deleteWebhook(p: Params): Reply {
    const had = this.webhook !== undefined;
    this.removeWebhook(toBool(p.drop_pending_updates));
    return ok(true, had ? "Webhook was deleted" : "Webhook is already deleted");
  }

  private removeWebhook(drop: boolean): void {
    this.webhook = undefined;
    if (drop) {
      this.updates = [];
      this.webhookQueue = [];
      return;
    }
    // undelivered updates become available to getUpdates again
    for (const u of this.webhookQueue) this.requeueForPolling(u);
    this.webhookQueue = [];
  }

  private getWebhookInfo(): Reply {
    const wh = this.webhook;
    if (!wh) return ok({ url: "", has_custom_certificate: false, pending_update_count: this.updates.length });
    const info: Params = {
      url: wh.url.href,
      has_custom_certificate: false,
      pending_update_count: this.webhookQueue.length + this.webhookInflight,
      max_connections: wh.maxConnections,
      ip_address: "127.0.0.1",
    };
    if (wh.lastErrorDate !== undefined) {
      info.last_error_date = wh.lastErrorDate;
      info.last_error_message = wh.lastErrorMessage;
    }
    if (this.allowedUpdates?.length) info.allowed_updates = this.allowedUpdates;
    return ok(info);
  }

  private setMyCommands(p: Params): Reply {
    const commands = p.commands;
    if (!Array.isArray(commands)) return err(400, "Bad Request: can't parse commands JSON object");
    if (commands.length > 100) return err(400, "Bad Request: too many commands");
    for (const c of commands) {
      const cmd = toObj(c);
      if (!cmd || typeof cmd.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(cmd.command)) {
        return err(400, "Bad Request: BOT_COMMAND_INVALID");
      }
      if (typeof cmd.description !== "string" || cmd.description.length < 1 || cmd.description.length > 256) {
        return err(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
      }
    }
    this.myCommands.set(this.commandsKey(toObj(p.scope), p.language_code), commands);
    return ok(true);
  }

  private commandsKey(scope: object | undefined, languageCode: unknown): string {
    const s = scope && Object.keys(scope).length ? scope : { type: "default" };
    return `${JSON.stringify(s)}|${languageCode == null ? "" : String(languageCode)}`;
  }

  // ───────────────────────────────────────────── getUpdates / long polling

  private webhookConflict(): ErrReply {
    return err(
      409,
      "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
  }

  private getUpdates(p: Params, res: ServerResponse): Reply | Promise<Reply | Aborted> {
    if (this.webhook) return this.webhookConflict();
    if (this.pendingPoll) {
      // Like Telegram: a newer getUpdates terminates the one still waiting.
      const old = this.pendingPoll;
      this.pendingPoll = undefined;
      clearTimeout(old.timer);
      old.resolve(
        err(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"),
      );
    }
    if (Array.isArray(p.allowed_updates)) this.allowedUpdates = p.allowed_updates.map(String);
    const offset = toInt(p.offset);
    if (offset !== undefined && offset !== 0) {
      if (offset < 0) {
        this.updates = this.updates.slice(offset); // keep the last -offset updates, forget the rest
      } else {
        let k = 0;
        while (k < this.updates.length && this.updates[k]!.update_id < offset) k++;
        if (k) this.updates.splice(0, k);
      }
    }
    const limit = Math.min(100, Math.max(1, toInt(p.limit) ?? 100));
    const timeout = Math.max(0, Number(p.timeout ?? 0) || 0);
    if (this.updates.length || timeout === 0 || this.stopped) return ok(this.updates.slice(0, limit));
    return new Promise<Reply | Aborted>((resolve) => {
      let settled = false;
      const poll: PendingPoll = {
        limit,
        timer: setTimeout(() => {
          if (this.pendingPoll === poll) this.pendingPoll = undefined;
          finish(ok(this.updates.slice(0, limit)));
        }, timeout * 1000),
        resolve: (r) => finish(r),
      };
      const finish = (r: Reply | Aborted): void => {
        if (settled) return;
        settled = true;
        clearTimeout(poll.timer);
        res.off("close", onClose);
        resolve(r);
      };
      const onClose = (): void => {
        if (this.pendingPoll === poll) this.pendingPoll = undefined;
        finish(ABORTED);
      };
      res.on("close", onClose);
      this.pendingPoll = poll;
    });
  }

  private schedulePollFlush(): void {
    if (this.pollFlushScheduled || !this.pendingPoll) return;
    this.pollFlushScheduled = true;
    // setImmediate batches updates pushed synchronously together into one response
    setImmediate(() => {
      this.pollFlushScheduled = false;
      const poll = this.pendingPoll;
      if (!poll || !this.updates.length) return;
      this.pendingPoll = undefined;
      poll.resolve(ok(this.updates.slice(0, poll.limit)));
    });
  }

  private requeueForPolling(u: Update): void {
    const i = this.updates.findIndex((x) => x.update_id > u.update_id);
    this.updates.splice(i < 0 ? this.updates.length : i, 0, u);
    this.schedulePollFlush();
  }

  private isAllowed(u: PushableUpdate): boolean {
    const type = updateType(u);
    const allowed = this.allowedUpdates;
    if (!allowed || allowed.length === 0) return !NOT_DELIVERED_BY_DEFAULT.has(type);
    return allowed.includes(type);
  }

  // ───────────────────────────────────────────── webhook delivery

  private pumpWebhook(): void {
    const wh = this.webhook;
    if (!wh || this.stopped) return;
    while (this.webhookInflight < wh.maxConnections && this.webhookQueue.length) {
      // updates of one chat are delivered one after another, different chats concurrently
      let idx = -1;
      const scan = Math.min(this.webhookQueue.length, 1000);
      for (let i = 0; i < scan; i++) {
        const k = updateChatKey(this.webhookQueue[i]!);
        if (k === undefined || !this.webhookBusyChats.has(k)) {
          idx = i;
          break;
        }
      }
      if (idx < 0) return;
      const u = this.webhookQueue.splice(idx, 1)[0]!;
      const key = updateChatKey(u);
      if (key !== undefined) this.webhookBusyChats.add(key);
      this.webhookInflight++;
      void this.deliverWithRetries(u).finally(() => {
        this.webhookInflight--;
        if (key !== undefined) this.webhookBusyChats.delete(key);
        this.scheduleWaiterCheck();
        this.pumpWebhook();
      });
    }
  }

  private async deliverWithRetries(u: Update): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return;
      const wh = this.webhook;
      if (!wh) {
        this.requeueForPolling(u);
        return;
      }
      try {
        const r = await this.postWebhook(wh, u);
        if (r.status >= 200 && r.status < 300) {
          this.counters.webhookDelivered++;
          this.runWebhookReply(r.body);
          return;
        }
        wh.lastErrorMessage = `Wrong response from the webhook: ${r.status} ${STATUS_CODES[r.status] ?? ""}`.trim();
      } catch (e) {
        if (this.stopped) return;
        wh.lastErrorMessage = (e as Error).message || "Connection failed";
      }
      wh.lastErrorDate = Math.floor(this.now() / 1000);
      if (attempt >= this.webhookRetries) {
        this.counters.webhookFailed++;
        return;
      }
      await this.sleep(this.webhookRetryDelayMs * (attempt + 1));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private postWebhook(wh: WebhookState, u: Update): Promise<{ status: number; body: string }> {
    const body = JSON.stringify(u);
    const isHttps = wh.url.protocol === "https:";
    const headers: Record<string, string | number> = {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(body),
    };
    if (wh.secret !== undefined) headers["X-Telegram-Bot-Api-Secret-Token"] = wh.secret;
    return new Promise((resolve, reject) => {
      const agent = isHttps
        ? (this.httpsAgent ??= new https.Agent({ keepAlive: true, maxSockets: 100 }))
        : (this.httpAgent ??= new http.Agent({ keepAlive: true, maxSockets: 100 }));
      const req = (isHttps ? https : http).request(wh.url, { method: "POST", agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          this.webhookRequests.delete(req);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", (e) => {
          this.webhookRequests.delete(req);
          reject(e);
        });
      });
      req.setTimeout(this.webhookTimeoutMs, () => req.destroy(new Error("Read timeout expired")));
      req.on("error", (e) => {
        this.webhookRequests.delete(req);
        reject(e);
      });
      this.webhookRequests.add(req);
      req.end(body);
    });
  }

  /** A webhook may answer with a method call in its body; Telegram executes it. */
  private runWebhookReply(body: string): void {
    if (body?.[0] !== "{") return;
    let p: Params;
    try {
      p = JSON.parse(body) as Params;
    } catch {
      return;
    }
    const method = typeof p.method === "string" ? METHOD_BY_LOWER.get(p.method.toLowerCase()) : undefined;
    if (!method || method === "getUpdates") return;
    const { method: _m, ...payload } = p;
    const at = this.now();
    const reply = this.execute(method, payload);
    if (reply.ok) this.counters.served++;
    else this.counters.failed++;
    this.record(method, payload, at, reply.ok ? 200 : reply.error_code, "webhook-reply");
  }

  // ───────────────────────────────────────────── chats & messages

  private chatState(chatId: number | string): ChatState | undefined {
    const id = normChatId(chatId);
    return id === undefined ? undefined : this.chats.get(String(id));
  }

  /** Known chat, or a synthesized one for any numeric id (private if > 0, group/supergroup if < 0). */
  private ensureChat(chatId: number | string): ChatState {
    const id = normChatId(chatId);
    if (id === undefined) throw new Error(`FakeTelegramServer: invalid chat id ${String(chatId)}`);
    const existing = this.chats.get(String(id));
    if (existing) return existing;
    if (typeof id === "string") throw new Error(`FakeTelegramServer: unknown chat ${id}`);
    let chat: Chat;
    if (id > 0) chat = { id, type: "private", first_name: `User ${id}` };
    else if (id <= -1_000_000_000_000) chat = { id, type: "supergroup", title: `Supergroup ${id}` };
    else chat = { id, type: "group", title: `Group ${id}` };
    return this.addChat(chat);
  }

  private addChat(chat: Chat): ChatState {
    const cs: ChatState = {
      key: String(chat.id),
      chat,
      nextMessageId: 1,
      messages: new Map(),
      sent: [],
      chatSends: [],
      groupSends: [],
    };
    this.chats.set(cs.key, cs);
    return cs;
  }

  private resolveChat(raw: unknown): { cs: ChatState } | { error: ErrReply } {
    if (raw === undefined || raw === null || raw === "") return { error: err(400, "Bad Request: chat_id is empty") };
    const id = normChatId(raw);
    if (id === undefined || id === 0) return { error: err(400, "Bad Request: chat not found") };
    const known = this.chats.get(String(id));
    if (known) return { cs: known };
    if (typeof id === "string") return { error: err(400, "Bad Request: chat not found") };
    return { cs: this.ensureChat(id) };
  }

  /** Records chats and messages contained in an inbound update so replies/edits/buttons can refer to them. */
  private registerUpdate(u: Update): void {
    const anyU = u as Params;
    for (const key of ["message", "edited_message", "channel_post", "edited_channel_post"]) {
      const msg = toObj(anyU[key]);
      if (msg) this.registerMessage(msg);
    }
    const cqMsg = toObj(toObj(anyU.callback_query)?.message);
    if (cqMsg) this.registerMessage(cqMsg);
  }

  private registerMessage(msg: Params): void {
    const chat = toObj(msg.chat);
    if (!chat || typeof chat.id !== "number") return;
    let cs = this.chats.get(String(chat.id));
    if (!cs) cs = this.addChat(chat as Chat);
    else if (chat.type) cs.chat = { ...cs.chat, ...(chat as Chat) } as Chat;
    if (typeof chat.username === "string" && chat.type !== "private") this.chats.set(`@${chat.username}`, cs);
    const id = toInt(msg.message_id);
    if (id === undefined) return;
    cs.nextMessageId = Math.max(cs.nextMessageId, id + 1);
    const existing = cs.messages.get(id);
    if (!existing) {
      const fromBot = toObj(msg.from)?.id === this.botInfo.id;
      cs.messages.set(id, { message: msg as Message, fromBot });
    }
  }

  private userObject(from: FakeUser): User {
    const u: User = { id: from.id, is_bot: false, first_name: from.first_name ?? `User ${from.id}` };
    if (from.last_name !== undefined) u.last_name = from.last_name;
    if (from.username !== undefined) u.username = from.username;
    if (from.language_code !== undefined) u.language_code = from.language_code;
    return u;
  }

  private incomingMessage(from: FakeUser, chat: Chat | undefined): Params {
    const user = this.userObject(from);
    let cs: ChatState;
    if (chat) {
      cs = this.chats.get(String(chat.id)) ?? this.addChat(chat);
      cs.chat = { ...cs.chat, ...chat } as Chat;
    } else {
      const privateChat: Chat = { id: from.id, type: "private", first_name: user.first_name };
      if (user.last_name !== undefined) privateChat.last_name = user.last_name;
      if (user.username !== undefined) privateChat.username = user.username;
      cs = this.chats.get(String(from.id)) ?? this.addChat(privateChat);
      if (cs.chat.type === "private") cs.chat = { ...cs.chat, ...privateChat };
    }
    return { message_id: cs.nextMessageId++, from: user, chat: cs.chat, date: Math.floor(this.now() / 1000) };
  }

  private replyView(cs: ChatState, messageId: number): Params {
    const stored = cs.messages.get(messageId);
    if (stored) return stripReply(stored.message);
    return { message_id: messageId, chat: cs.chat, date: Math.floor(this.now() / 1000) };
  }
}

// ────────────────────────────────────────────────────────────── helpers

function stripReply(m: Message): Params {
  const { reply_to_message: _r, ...rest } = m as Params;
  return rest;
}

function validateText(text: string, parseMode: unknown, tooLong: string): ErrReply | undefined {
  let visible = text.length;
  let blank = text.trim() === "";
  if (parseMode === "HTML" || parseMode === "MarkdownV2") {
    const r = parseMode === "HTML" ? parseHtml(text) : parseMarkdownV2(text);
    if ("error" in r) return err(400, `Bad Request: can't parse entities: ${r.error}`);
    visible = r.length;
    if (visible === 0) blank = true;
  }
  if (blank) return err(400, "Bad Request: message text is empty");
  if (visible > 4096) return err(400, tooLong);
  return undefined;
}

function parseMarkup(raw: unknown): { markup?: Params } | { error: ErrReply } {
  if (raw === undefined || raw === null || raw === "") return {};
  const bad = { error: err(400, "Bad Request: can't parse reply keyboard markup JSON object") };
  const markup = toObj(raw);
  if (!markup) return bad;
  if (markup.inline_keyboard !== undefined) {
    if (!Array.isArray(markup.inline_keyboard)) return bad;
    for (const row of markup.inline_keyboard) {
      if (!Array.isArray(row)) return bad;
      for (const b of row) {
        const button = toObj(b);
        if (!button || typeof button.text !== "string") {
          return { error: err(400, "Bad Request: can't parse inline keyboard button: Text is not specified") };
        }
        if (button.callback_data !== undefined) {
          const bytes = Buffer.byteLength(String(button.callback_data));
          if (bytes < 1 || bytes > 64) return { error: err(400, "Bad Request: BUTTON_DATA_INVALID") };
        }
        if (button.url !== undefined) {
          try {
            new URL(String(button.url));
          } catch {
            return { error: err(400, "Bad Request: BUTTON_URL_INVALID") };
          }
        }
        const kinds = Object.keys(button).filter((k) => k !== "text" && button[k] !== undefined);
        if (kinds.length === 0) {
          return {
            error: err(
              400,
              "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
            ),
          };
        }
      }
    }
  } else if (markup.keyboard !== undefined && !Array.isArray(markup.keyboard)) {
    return bad;
  }
  return { markup };
}

function parsePayload(query: string, contentType: string, body: string): Params {
  const p: Params = {};
  if (query) for (const [k, v] of new URLSearchParams(query)) p[k] = v;
  let fromForm = query !== "";
  if (body) {
    if (contentType.startsWith("application/json") || (!contentType && body[0] === "{")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new Error("can't parse JSON object");
      }
      const obj = toObj(parsed);
      if (!obj) throw new Error("can't parse JSON object");
      Object.assign(p, obj);
    } else if (contentType.startsWith("application/x-www-form-urlencoded") || !contentType) {
      for (const [k, v] of new URLSearchParams(body)) p[k] = v;
      fromForm = true;
    } else if (contentType.startsWith("multipart/form-data")) {
      throw new Error("multipart/form-data is not supported by FakeTelegramServer");
    } else {
      throw new Error(`unsupported Content-Type ${contentType}`);
    }
  }
  if (fromForm) {
    for (const k of JSON_FIELDS) {
      const v = p[k];
      if (typeof v === "string" && v !== "") {
        try {
          p[k] = JSON.parse(v);
        } catch {
          /* left as string; handlers report the error */
        }
      }
    }
  }
  return p;
}
