/**
 * A local fake of Zalo Web for contract tests of the zca-js channel, offline:
 *
 * - FakeZaloServer: a `ws` server speaking zca-js's frame format (4-byte header: version u8,
 *   cmd u16le, subCmd u8; then JSON). Like Zalo it sends a fresh cipher key on each connection and
 *   then encrypts every event (`encrypt: 2`: the JSON deflated, then AES-GCM with that key, IV and
 *   additional data in front, base64, URI-encoded: what zca-js's decodeEventData undoes). It pushes
 *   501 DMs, 521 group messages and 612 reactions, keeps a mailbox so that what a member sends
 *   while no socket is open is served by the history requests (510/511 messages, 610/611
 *   reactions), can refuse the upgrade (an expired session), and closes with any code (1006 by
 *   dropping the socket), recording when each connection opened and closed.
 * - createFakeZaloFetch: a `fetch` for the service-map URLs that decrypts each call's `params`
 *   (AES-CBC, zero IV, the session key, as zca-js encrypts them), records it, and answers like
 *   Zalo (`{error_code, data: AES(JSON)}`), with injectable errors and Set-Cookie headers.
 * - createFakeZaloApi: a real zca-js `API` on a fake session context pointing at both (the
 *   pattern of notes §1.10; nothing logs in).
 *
 *   const server = new FakeZaloServer();
 *   const wsUrl = await server.start();
 *   const fake = createFakeZaloFetch();
 *   const api = createFakeZaloApi(credentials, { wsUrl, fetch: fake.fetch, uid: "100" });
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from "node:crypto";
import { deflateSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import { CookieJar, Cookie } from "tough-cookie";
import { WebSocketServer, type WebSocket } from "ws";
import { zca, type ZcaApi } from "../../src/channels/zalo/normalise-zalo-event.ts";
import type { ZaloCredentials } from "../../src/channels/zalo/credential-store.ts";

// ────────────────────────────────────────────────────────────── frames

export interface ZaloFrame {
  version: number;
  cmd: number;
  subCmd: number;
  data: Record<string, unknown>;
}

export function encodeFrame(version: number, cmd: number, subCmd: number, body: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(body), "utf8");
  const header = Buffer.alloc(4);
  header.writeUInt8(version, 0);
  header.writeUInt16LE(cmd, 1);
  header.writeUInt8(subCmd, 3);
  return Buffer.concat([header, json]);
}

export function decodeFrame(buf: Buffer): ZaloFrame {
  return {
    version: buf[0]!,
    cmd: buf.readUInt16LE(1),
    subCmd: buf[3]!,
    data: JSON.parse(buf.subarray(4).toString("utf8") || "{}"),
  };
}

/**
 * An event frame. Without a cipher key it is sent in the clear (`encrypt: 0`); with one, the way
 * Zalo Web's socket sends it (`encrypt: 2`): `{"data": payload}` deflated (zlib), encrypted with
 * AES-GCM under the base64 key (16-byte IV, 16 bytes of additional data, 128-bit tag after the
 * ciphertext), the whole `IV | AAD | ciphertext | tag` base64- then URI-encoded.
 */
export function eventFrame(cmd: number, subCmd: number, payload: unknown, cipherKey?: string): Buffer {
  const json = JSON.stringify({ data: payload });
  if (!cipherKey) return encodeFrame(1, cmd, subCmd, { encrypt: 0, data: json });
  return encodeFrame(1, cmd, subCmd, { encrypt: 2, data: encryptEventData(cipherKey, json) });
}

export function encryptEventData(cipherKey: string, json: string): string {
  const key = Buffer.from(cipherKey, "base64");
  const iv = randomBytes(16);
  const aad = randomBytes(16);
  const cipher = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, iv, { authTagLength: 16 });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(deflateSync(Buffer.from(json, "utf8"))), cipher.final()]);
  return encodeURIComponent(Buffer.concat([iv, aad, body, cipher.getAuthTag()]).toString("base64"));
}

// ────────────────────────────────────────────────────────────── fixtures

let nextId = 5_000_000;

/** A TMessage-shaped raw message as Zalo sends it (uidFrom "0" = our own account). */
export function rawMessage(fields: Record<string, unknown> = {}): Record<string, unknown> {
  const id = String(nextId++);
  return {
    actionId: id,
    msgId: id,
    cliMsgId: String(Number(id) + 1),
    msgType: "webchat",
    uidFrom: "200",
    idTo: "0",
    dName: "Nguyễn Văn An",
    ts: String(Date.now()),
    status: 1,
    content: "có mặt",
    notify: "1",
    ttl: 0,
    userId: "0",
    uin: "0",
    topOut: "0",
    topOutTimeOut: "0",
    topOutImprTimeOut: "0",
    propertyExt: undefined,
    paramsExt: { countUnread: 1, containType: 0, platformType: 1 },
    cmd: 501,
    st: 3,
    at: 5,
    realMsgId: "0",
    quote: undefined,
    ...fields,
  };
}

/** A TReaction-shaped raw reaction; `content` is sent as a JSON string, like Zalo does. */
export function rawReaction(
  targetMsgId: string,
  fields: Record<string, unknown> = {},
  icon = "/-strong",
): Record<string, unknown> {
  const id = String(nextId++);
  return {
    actionId: id,
    msgId: id,
    cliMsgId: id,
    msgType: "reaction",
    uidFrom: "200",
    idTo: "0",
    dName: "Nguyễn Văn An",
    content: JSON.stringify({
      rMsg: [{ gMsgID: targetMsgId, cMsgID: "1", msgType: 1 }],
      rIcon: icon,
      rType: 3,
      source: 6,
    }),
    ts: String(Date.now()),
    ttl: 0,
    ...fields,
  };
}

// ────────────────────────────────────────────────────────────── WebSocket server

export interface FakeConnection {
  socket: WebSocket;
  /** The Cookie header zca-js sent when connecting (which credentials it logged in with). */
  cookie: string;
  url: string;
  requests: ZaloFrame[];
  /** The key this connection's events are encrypted with (null: sent in the clear). */
  cipherKey: string | null;
  /** Date.now() when the socket opened, and when it closed (null while open). */
  openedAt: number;
  closedAt: number | null;
  /** The close code this connection ended with. */
  closeCode: number | null;
}

export interface FakeZaloServerOptions {
  /** Send the cipher-key frame on connect (zca-js starts pinging after it). Default true. */
  sendCipherKey?: boolean;
  /** Encrypt events like Zalo (`encrypt: 2`) or send them in the clear (`encrypt: 0`). Default true. */
  encrypt?: boolean;
  /** How many recent messages/reactions a history request returns, like Zalo's window. Default 50. */
  historyWindow?: number;
}

/** Raw events of one kind in the mailbox, with the cmd that pushes them live. */
interface Mailbox {
  user: Record<string, unknown>[];
  group: Record<string, unknown>[];
  reacts: Record<string, unknown>[];
  reactGroups: Record<string, unknown>[];
}

export class FakeZaloServer {
  readonly connections: FakeConnection[] = [];
  /** What the history requests receive: everything sent to the account, live or not (Zalo's recent window). */
  history: Mailbox = { user: [], group: [], reacts: [], reactGroups: [] };
  /** When set, upgrades are refused with this HTTP status (an expired session: Zalo answers 401/403). */
  rejectUpgrades: number | null = null;
  /** Upgrade attempts refused. */
  rejected = 0;
  /** Sockets opened while an earlier one was still open (each got the cmd 3000 notice). */
  duplicates = 0;
  #wss?: WebSocketServer;
  #waiters: (() => void)[] = [];

  constructor(readonly options: FakeZaloServerOptions = {}) {}

  async start(): Promise<string> {
    const wss = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      verifyClient: (_info, done) => {
        if (this.rejectUpgrades === null) return done(true);
        this.rejected++;
        done(false, this.rejectUpgrades);
        this.#notify();
      },
    });
    this.#wss = wss;
    await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
    wss.on("connection", (socket, req) => {
      const sendKey = this.options.sendCipherKey !== false;
      const cipherKey = sendKey && this.options.encrypt !== false ? randomBytes(16).toString("base64") : null;
      const conn: FakeConnection = {
        socket,
        cookie: String(req.headers.cookie ?? ""),
        url: req.url ?? "",
        requests: [],
        cipherKey,
        openedAt: Date.now(),
        closedAt: null,
        closeCode: null,
      };
      // Like Zalo: a second socket on the session makes it tell the older one "another connection is opened".
      for (const other of this.connections) {
        if (other.closedAt === null && other.socket.readyState === other.socket.OPEN) {
          this.duplicates++;
          other.socket.send(encodeFrame(1, 3000, 0, {}));
        }
      }
      this.connections.push(conn);
      socket.on("message", (data: Buffer) =>
        this.#onFrame(conn, decodeFrame(Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer))),
      );
      socket.on("error", () => {});
      socket.on("close", (code) => {
        conn.closedAt ??= Date.now();
        conn.closeCode ??= code;
        this.#notify();
      });
      if (sendKey) socket.send(encodeFrame(1, 1, 1, { key: cipherKey ?? randomBytes(16).toString("base64") }));
      this.#notify();
    });
    const { port } = wss.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/`;
  }

  #window<T>(list: T[]): T[] {
    return list.slice(-(this.options.historyWindow ?? 50));
  }

  #onFrame(conn: FakeConnection, frame: ZaloFrame): void {
    conn.requests.push(frame);
    const reply = (cmd: number, payload: unknown) =>
      conn.socket.send(eventFrame(cmd, 1, payload, conn.cipherKey ?? undefined));
    if (frame.subCmd === 1) {
      if (frame.cmd === 510) reply(510, { msgs: this.#window(this.history.user) });
      if (frame.cmd === 511) reply(511, { groupMsgs: this.#window(this.history.group) });
      if (frame.cmd === 610) reply(610, { reacts: this.#window(this.history.reacts) });
      if (frame.cmd === 611) reply(611, { reactGroups: this.#window(this.history.reactGroups) });
    }
    this.#notify();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once `predicate` holds (checked on every connection, frame and close). */
  async until(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  get current(): FakeConnection | undefined {
    return this.connections.at(-1);
  }

  /** The current connection, when its socket is open. */
  get open(): FakeConnection | undefined {
    const conn = this.current;
    return conn && conn.closedAt === null && conn.socket.readyState === conn.socket.OPEN ? conn : undefined;
  }

  /** How many connections have completed history requests for messages and reactions. */
  caughtUp(conn = this.current): boolean {
    return Boolean(conn && [510, 511, 610, 611].every((cmd) => conn.requests.some((r) => r.cmd === cmd)));
  }

  #send(cmd: number, payload: unknown): void {
    const conn = this.current;
    if (!conn) throw new Error("no client connected");
    conn.socket.send(eventFrame(cmd, 0, payload, conn.cipherKey ?? undefined));
  }

  /** Pushes on the open socket if there is one; the mailbox keeps it for history either way. */
  #deliver(kind: keyof Mailbox, cmd: number, payload: () => unknown, items: Record<string, unknown>[]): boolean {
    this.history[kind].push(...items);
    if (!this.open) return false;
    this.#send(cmd, payload());
    return true;
  }

  /** A member sends DMs to the account: live when a socket is open, else only via history. Returns whether pushed live. */
  sendDirect(...msgs: Record<string, unknown>[]): boolean {
    return this.#deliver("user", 501, () => ({ msgs }), msgs);
  }

  /** A member posts in a group (live when open, history always). */
  sendGroup(...groupMsgs: Record<string, unknown>[]): boolean {
    return this.#deliver("group", 521, () => ({ groupMsgs }), groupMsgs);
  }

  /** A member reacts in a direct chat (live when open, history always). */
  sendReaction(...reacts: Record<string, unknown>[]): boolean {
    return this.#deliver("reacts", 612, () => ({ reacts, reactGroups: [] }), reacts);
  }

  /** cmd 501 on the current socket only (no mailbox). */
  pushDirect(...msgs: Record<string, unknown>[]): void {
    this.#send(501, { msgs });
  }

  /** cmd 521 on the current socket only. */
  pushGroup(...groupMsgs: Record<string, unknown>[]): void {
    this.#send(521, { groupMsgs });
  }

  /** cmd 612: reactions in direct chats and in groups, on the current socket only. */
  pushReactions(reacts: Record<string, unknown>[], reactGroups: Record<string, unknown>[] = []): void {
    this.#send(612, { reacts, reactGroups });
  }

  /** A frame zca-js cannot decode (it emits "error" and keeps the connection). */
  pushGarbage(): void {
    this.#send(501, { msgs: null });
  }

  /** An event encrypted with the wrong key (the GCM tag check fails; zca-js emits "error"). */
  pushUndecryptable(): void {
    const conn = this.current;
    if (!conn) throw new Error("no client connected");
    conn.socket.send(eventFrame(501, 0, { msgs: [] }, randomBytes(16).toString("base64")));
  }

  /** cmd 3000: Zalo's "another connection is opened" notice; zca-js then closes with 3000. */
  pushDuplicateConnection(): void {
    const conn = this.current;
    if (!conn) throw new Error("no client connected");
    conn.socket.send(encodeFrame(1, 3000, 0, {}));
  }

  /** Closes the current connection: 1006 drops the socket without a close frame. */
  close(code: number, reason = ""): void {
    const conn = this.current;
    if (!conn) throw new Error("no client connected");
    conn.closedAt = Date.now();
    conn.closeCode = code;
    if (code === 1006) conn.socket.terminate();
    else conn.socket.close(code, reason);
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    await new Promise<void>((resolve) => (this.#wss ? this.#wss.close(() => resolve()) : resolve()));
  }
}

// ────────────────────────────────────────────────────────────── fetch

export interface FakeFetchCall {
  method: string;
  url: string;
  path: string;
  /** The decrypted `params` (JSON), when the call had any. */
  params: Record<string, unknown> | null;
}

export interface FakeZaloFetch {
  fetch: typeof fetch;
  calls: FakeFetchCall[];
  secretKey: string;
  /** Answers the next matching call with `{ error_code: code }`. */
  failNext(pathSuffix: string, code: number, message?: string): void;
  /** Answers the next matching call with this HTTP status. */
  httpErrorNext(pathSuffix: string, status: number): void;
  /** Adds a Set-Cookie header to the next answer (Zalo renewing a cookie). */
  setCookieNext(cookie: string): void;
}

function aesKey(secretKey: string): Buffer {
  return Buffer.from(secretKey, "base64");
}

function aesAlgo(key: Buffer): string {
  return `aes-${key.length * 8}-cbc`;
}

export function encryptForZca(secretKey: string, text: string): string {
  const key = aesKey(secretKey);
  const cipher = createCipheriv(aesAlgo(key), key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(text, "utf8"), cipher.final()]).toString("base64");
}

export function decryptFromZca(secretKey: string, data: string): string {
  const key = aesKey(secretKey);
  const decipher = createDecipheriv(aesAlgo(key), key, Buffer.alloc(16));
  return Buffer.concat([decipher.update(Buffer.from(decodeURIComponent(data), "base64")), decipher.final()]).toString(
    "utf8",
  );
}

export function createFakeZaloFetch(options: { secretKey?: string } = {}): FakeZaloFetch {
  const secretKey = options.secretKey ?? randomBytes(16).toString("base64");
  const calls: FakeFetchCall[] = [];
  const failures: { suffix: string; code?: number; status?: number; message?: string }[] = [];
  let pendingCookie: string | undefined;
  let msgId = 9_000_000;

  const json = (body: unknown, status = 200): Response => {
    const headers = new Headers({ "content-type": "application/json" });
    if (pendingCookie) {
      headers.append("set-cookie", pendingCookie);
      pendingCookie = undefined;
    }
    return new Response(JSON.stringify(body), { status, headers });
  };
  const ok = (data: unknown) =>
    json({
      error_code: 0,
      error_message: "",
      data: encryptForZca(secretKey, JSON.stringify({ error_code: 0, error_message: "", data })),
    });

  const fakeFetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    if (!url.hostname.endsWith(".zalo.test"))
      throw new TypeError(`fetch failed: the fake Zalo does not serve ${url.hostname}`);
    const method = (init?.method ?? "GET").toUpperCase();
    let encrypted = url.searchParams.get("params");
    if (!encrypted && init?.body instanceof URLSearchParams) encrypted = init.body.get("params");
    let params: Record<string, unknown> | null = null;
    if (encrypted) {
      try {
        params = JSON.parse(decryptFromZca(secretKey, encrypted)) as Record<string, unknown>;
      } catch {
        params = null;
      }
    }
    calls.push({ method, url: url.href, path: url.pathname, params });
    const failure = failures.findIndex((f) => url.pathname.endsWith(f.suffix));
    if (failure >= 0) {
      const [f] = failures.splice(failure, 1);
      if (f!.status) return json({}, f!.status);
      return json({ error_code: f!.code, error_message: f!.message ?? "error" });
    }
    if (url.pathname.endsWith("/keepalive"))
      return json({ error_code: 0, error_message: "", data: { config_vesion: 1 } });
    if (url.pathname.endsWith("/api/social/profile/me-v2"))
      return ok({ profile: { userId: "100", displayName: "Chi Hội", zaloName: "Chi Hội" } });
    if (/\/api\/(message|group)\/(sms|sendmsg|mention|quote)$/.test(url.pathname))
      return ok({ msgId: String(msgId++) });
    return ok({});
  }) as typeof fetch;

  return {
    fetch: fakeFetch,
    calls,
    secretKey,
    failNext: (suffix, code, message) => failures.push({ suffix, code, message }),
    httpErrorNext: (suffix, status) => failures.push({ suffix, status }),
    setCookieNext: (cookie) => {
      pendingCookie = cookie;
    },
  };
}

// ────────────────────────────────────────────────────────────── API

/** A cookie jar from stored credentials, the way zca-js's Zalo.login builds it. */
export function cookieJarFrom(credentials: ZaloCredentials): CookieJar {
  const list = (Array.isArray(credentials.cookie) ? credentials.cookie : credentials.cookie.cookies) as Record<
    string,
    unknown
  >[];
  const jar = new CookieJar();
  for (const each of list) {
    const domain = typeof each.domain === "string" ? each.domain.replace(/^\./, "") : "chat.zalo.me";
    const cookie = Cookie.fromJSON({ ...each, domain, key: each.key ?? each.name });
    if (cookie) jar.setCookieSync(cookie, `https://${cookie.domain ?? "chat.zalo.me"}`);
  }
  return jar;
}

const serviceBase = "https://fake.zalo.test";

/**
 * A real zca-js API on a fake session: REST calls go to `fetch` (service map on *.zalo.test), the
 * listener to `wsUrl`. Throws like zca-js does for credentials without imei or user agent.
 */
export function createFakeZaloApi(
  credentials: ZaloCredentials,
  options: { wsUrl: string; fetch: typeof fetch; secretKey: string; uid?: string },
): ZcaApi {
  if (!credentials.imei || !credentials.userAgent || !credentials.cookie)
    throw new zca.ZaloApiError("Missing required params");
  // Every service name resolves to a path on the fake host.
  const serviceMap = new Proxy({} as Record<string, string[]>, {
    get: (_, name) => [`${serviceBase}/${String(name)}`],
  });
  const ctx = {
    API_TYPE: 30,
    API_VERSION: 685,
    uploadCallbacks: new Map(),
    options: { selfListen: false, checkUpdate: false, logging: false, polyfill: options.fetch },
    secretKey: options.secretKey,
    uid: options.uid ?? "100",
    imei: credentials.imei,
    cookie: cookieJarFrom(credentials),
    userAgent: credentials.userAgent,
    language: credentials.language ?? "vi",
    zpwServiceMap: serviceMap,
    settings: {
      features: {
        socket: {
          rotate_error_codes: [],
          retries: {},
          close_and_retry_codes: [],
          ping_interval: 3_600_000,
          reset_endpoint: 0,
          max_msg_size: 1_000_000,
          debug: { enable: false },
          queue_ctrl_actionid_map: {},
          enable_ctrl_socket: true,
          reconnect_after_fallback: false,
          enable_chat_socket: true,
          submit_wss_log: false,
          disable_lp: true,
          offline_monitor: { enable: false },
        },
        sharefile: {
          big_file_domain_list: [],
          max_size_share_file_v2: 100,
          max_size_share_file_v3: 100,
          file_upload_show_icon_1GB: false,
          restricted_ext: "",
          next_file_time: 0,
          max_file: 20,
          max_size_photo: 10,
          max_size_share_file: 100,
          max_size_resize_photo: 10,
          max_size_gif: 10,
          max_size_original_photo: 10,
          chunk_size_file: 1_048_576,
          restricted_ext_file: [],
        },
      },
      keepalive: { alway_keepalive: 1, keepalive_duration: 60, time_deactive: 600 },
    },
    loginInfo: { zpw_service_map_v3: serviceMap },
    extraVer: {},
  };
  return new zca.API(ctx as unknown as ConstructorParameters<typeof zca.API>[0], serviceMap as never, [options.wsUrl]);
}
