/**
 * The supervisor of the Zalo personal account's session (zca-js): it owns the login, the listener
 * and the timers, and hands each listener event, in order, to the channel.
 *
 * - logs in from the stored (encrypted) credentials and re-saves refreshed cookies after sends and
 *   on a keep-warm timer, writing only when they changed;
 * - starts the listener without zca-js's own retry, with a connect deadline. Zalo closes the socket
 *   (1006) every 22–65 s whatever the pings (zca-js issue #333, PR #371): on a close the listener is
 *   simply started again on the live session after about a second, with no new login; the backoff
 *   grows only while reconnecting fails and starts over as soon as a connection works. After a few
 *   failed restarts one REST call checks the session, and only an expired one is logged in again
 *   (logging in on every close is the pattern that gets accounts flagged);
 * - after each connection it asks for recent messages and reactions (requestOldMessages,
 *   requestOldReactions) and hands them over like live events, so nothing sent during a gap is lost;
 *   it keeps when the service last saw an event, so that older history is never replayed;
 * - close 3000/3003 ("duplicate"/"kicked") also follow an unclean restart (zca-js issues #95, #293,
 *   #331): it waits and reconnects a few times with growing delays, and only when the kicks go on
 *   decides that another session took over; then, as on repeated login rejection or without usable
 *   credentials, it stops, records the state and tells the admins once, instead of looping; it
 *   resumes by itself when `chihoi zalo login` stores new credentials;
 * - stop() closes the socket and waits until it is closed, so the next start is not kicked.
 */
import type { Config } from "../../config.ts";
import type { Database } from "../../storage/database.ts";
import type { Logger } from "../../lib/logger.ts";
import { bilingual } from "../../lib/i18n.ts";
import { recordAudit } from "../../domain/audit/audit-service.ts";
import {
  CredentialStoreError,
  credentialsUpdatedAt,
  loadCredentials,
  readZaloStatus,
  saveCredentials,
  writeZaloStatus,
  type ZaloCredentials,
  type ZaloState,
  type ZaloStatus,
} from "./credential-store.ts";
import { zca, type ZaloSelf, type ZcaApi, type ZcaCredentials } from "./normalise-zalo-event.ts";
import { isNetworkError, isSessionError, loggable } from "./zalo-errors.ts";

/** The part of zca-js's API the channel uses; tests pass a real API built against a fake server. */
export type ZaloApi = Pick<ZcaApi, "listener" | "sendMessage" | "getContext" | "getOwnId"> &
  Partial<Pick<ZcaApi, "keepAlive" | "fetchAccountInfo" | "getGroupInfo">>;

export type ZaloApiFactory = (credentials: ZaloCredentials) => Promise<ZaloApi>;

/** Something the admins must act on. */
export type ZaloAlert =
  | { kind: "needs_login"; reason: "missing" | "wrong_key" | "corrupted" | "invalid" }
  | { kind: "login_failed"; attempts: number }
  | { kind: "taken_over"; code: number };

export interface ZaloTiming {
  /** A login, and a WebSocket open, must each finish within this. */
  connectTimeoutMs: number;
  /**
   * First wait before reconnecting; it doubles (with jitter) while attempts keep failing, and falls
   * back to this as soon as a connection completes its handshake (Zalo sends the session key).
   */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Consecutive login rejections before giving up (network errors and timeouts do not count). */
  maxLoginFailures: number;
  /**
   * Consecutive listener restarts that did not reach a working connection before the session is
   * checked with one REST call (an expired session then means a full login; anything else, more
   * restarts).
   */
  restartFailuresBeforeCheck: number;
  /**
   * Waits before reconnecting after close 3000/3003 ("kicked"), one per consecutive kick; one kick
   * more than listed means another session really took over: stop and tell the admins.
   */
  kickRetryDelaysMs: readonly number[];
  /** A connection that lasted this long forgets earlier kicks. */
  kickForgetMs: number;
  /** stop() waits this long for the socket to close before dropping it. */
  closeTimeoutMs: number;
  /** How often to call keepAlive/fetchAccountInfo so the cookies stay fresh. */
  keepWarmMs: number;
  /** While stopped (needs_login, taken_over), how often to look for newly stored credentials. */
  credentialsWatchMs: number;
  /** History older than this is never replayed. */
  historyMaxAgeMs: number;
  /** lastEventAt is written at most this often. */
  statusWriteMs: number;
}

export const defaultZaloTiming: ZaloTiming = {
  connectTimeoutMs: 30_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  maxLoginFailures: 5,
  restartFailuresBeforeCheck: 3,
  kickRetryDelaysMs: [5_000, 20_000, 60_000],
  kickForgetMs: 10 * 60_000,
  closeTimeoutMs: 5_000,
  keepWarmMs: 6 * 3600_000,
  credentialsWatchMs: 60_000,
  historyMaxAgeMs: 3 * 24 * 3600_000,
  statusWriteMs: 10_000,
};

export interface ZaloSupervisorOptions {
  db: Database;
  config: NonNullable<Config["zalo"]>;
  logger: Logger;
  /** Tells the admins in chat (the service queues a message to each admin). */
  notifyAdmins?: (text: string) => Promise<void>;
  /** Logs in; production uses zca-js `new Zalo(…).login(credentials)`. */
  apiFactory?: ZaloApiFactory;
  /** Text of an admin alert; default: the bilingual `service.zalo_*` messages. */
  alertText?: (alert: ZaloAlert) => string;
  timing?: Partial<ZaloTiming>;
  random?: () => number;
  now?: () => Date;
  /**
   * Handles one listener event (a message, reaction or undo), live or from the history asked for
   * after a connection. Called one at a time in arrival order; must not throw.
   */
  handleEvent: (event: unknown, source: ZaloEventSource) => Promise<void>;
}

/** Where an event came from: the open socket, or the history asked for after a connection. */
export type ZaloEventSource = "live" | "history";

/** The production login: zca-js with its update check, console logging and self-listen off. */
export const defaultZaloApiFactory: ZaloApiFactory = async (credentials) =>
  new zca.Zalo({ checkUpdate: false, logging: false, selfListen: false }).login({
    ...credentials,
    language: credentials.language ?? "vi",
  } as ZcaCredentials);

const takeoverCodes = new Set([3000, 3003]);

type Listener = ZcaApi["listener"];

/** One logged-in session: its API and the listener restarted on it after each close. */
interface Session {
  api: ZaloApi;
  listener: Listener;
  /** Zalo sent the session key on the current socket: the connection works. */
  handshake: boolean;
  openedAt: number;
  historyRequested: boolean;
  /** The current socket did not open within the connect deadline. */
  timedOut: boolean;
}

function defaultAlertText(alert: ZaloAlert): string {
  switch (alert.kind) {
    case "needs_login":
      return bilingual(`service.zalo_needs_login_${alert.reason}`);
    case "login_failed":
      return bilingual("service.zalo_login_failed", { attempts: alert.attempts });
    case "taken_over":
      return bilingual("service.zalo_taken_over", { code: alert.code });
  }
}

export class ZaloSupervisor {
  readonly #log: Logger;
  readonly #timing: ZaloTiming;
  readonly #factory: ZaloApiFactory;
  readonly #random: () => number;
  readonly #now: () => Date;

  #stopping = true;
  /** Bumped whenever a login attempt is abandoned; a late answer to an older one compares it. */
  #gen = 0;
  /** The logged-in API, for sends; it outlives socket closes (only a new login replaces it). */
  #api?: ZaloApi;
  /** The live session's listener; restarted after each close while the session is valid. */
  #session?: Session;
  #self?: ZaloSelf;
  #state: ZaloState = "stopped";
  /** Failed attempts since the last working connection (drives the backoff). */
  #attempt = 0;
  #loginFailures = 0;
  /** Listener restarts in a row that did not reach a working connection. */
  #restartFailures = 0;
  /** Closes with 3000/3003 in a row. */
  #kicks = 0;
  #historyCutoff = 0;
  #lastEventAt: number | null = null;
  #lastEventWritten = 0;
  #alerted: ZaloState | null = null;
  #deadlineTimer?: NodeJS.Timeout;
  #reconnectTimer?: NodeJS.Timeout;
  #keepWarmTimer?: NodeJS.Timeout;
  #watchTimer?: NodeJS.Timeout;
  /** When the stored credentials this session logged in with were written (null: none; undefined: not read). */
  #credentialsAt: number | null | undefined;
  #historyTimer?: NodeJS.Timeout;
  #closing: Promise<void> = Promise.resolve();
  #queue: Promise<void> = Promise.resolve();

  constructor(readonly options: ZaloSupervisorOptions) {
    this.#log = options.logger.child({ module: "zalo" });
    this.#timing = { ...defaultZaloTiming, ...options.timing };
    this.#factory = options.apiFactory ?? defaultZaloApiFactory;
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? (() => new Date());
  }

  /** The logged-in API, for sends (it outlives socket closes); undefined while there is none. */
  get api(): ZaloApi | undefined {
    return this.#api;
  }

  /** Not started, or stop() was called. */
  get stopping(): boolean {
    return this.#stopping;
  }

  get state(): ZaloState {
    return this.#state;
  }

  /** The account's own id and name, once logged in. */
  get self(): ZaloSelf | undefined {
    return this.#self;
  }

  /** The channel's status as stored (shared with `chihoi zalo status`). */
  async status(): Promise<ZaloStatus> {
    // Not waiting for the background writes (this may be asked inside a transaction, which they
    // would wait for): the stored status with this process's writes still under way on top.
    const stored = { ...(await readZaloStatus(this.options.db)), ...this.#pendingStatus };
    const last = Math.max(stored.lastEventAt ?? 0, this.#lastEventAt ?? 0);
    return { ...stored, lastEventAt: last || null };
  }

  /**
   * Starts the supervisor and returns at once; never throws. Without usable credentials it records
   * needs_login, tells the admins and waits for new credentials while the rest of the service runs.
   */
  async start(): Promise<void> {
    this.#stopping = false;
    const stored = await readZaloStatus(this.options.db);
    this.#lastEventAt = stored.lastEventAt;
    // No replay of history from before this service ever saw an event.
    this.#historyCutoff = stored.lastEventAt ?? this.#now().getTime();
    void this.#connect();
  }

  /**
   * Stops the supervisor and closes the socket cleanly, waiting (up to `closeTimeoutMs`) until it
   * is closed: a socket left half-open is what makes Zalo kick the next start with 3003.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#gen++;
    this.#clearTimers();
    this.#dropSession();
    await this.#closing;
    await this.#queue;
    this.#api = undefined;
    if (this.#state === "online" || this.#state === "connecting") this.#setState("stopped", null);
    this.#flushLastEvent(true);
    await this.#writes;
  }

  /**
   * The channel's own database writes (status, audit, refreshed cookies), in order, off the
   * supervisor's path: its state changes stay synchronous, as its timers and handlers expect.
   * `stop()` and `status()` wait for them. Never rejects.
   */
  #writes: Promise<void> = Promise.resolve();
  #pendingStatus: Partial<ZaloStatus> = {};
  #pendingStatusWrites = 0;
  #writeStatus(patch: Partial<ZaloStatus>): void {
    const at = this.#now();
    this.#pendingStatus = { ...this.#pendingStatus, ...patch };
    this.#pendingStatusWrites++;
    this.#background("could not write the Zalo status", async () => {
      try {
        await writeZaloStatus(this.options.db, patch, at);
      } finally {
        if (--this.#pendingStatusWrites === 0) this.#pendingStatus = {};
      }
    });
  }
  #background(what: string, write: () => Promise<unknown>): void {
    this.#writes = this.#writes.then(write).then(
      () => undefined,
      (error: unknown) => this.#log.warn({ err: loggable(error) }, what),
    );
  }

  // ──────────────────────────────────────────────────────────── supervisor

  #clearTimers(): void {
    for (const t of [
      this.#deadlineTimer,
      this.#reconnectTimer,
      this.#keepWarmTimer,
      this.#watchTimer,
      this.#historyTimer,
    ])
      if (t) clearTimeout(t);
    this.#deadlineTimer =
      this.#reconnectTimer =
      this.#keepWarmTimer =
      this.#watchTimer =
      this.#historyTimer =
        undefined;
  }

  #clearDeadline(): void {
    if (this.#deadlineTimer) clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
  }

  #armDeadline(onTimeout: () => void): void {
    this.#clearDeadline();
    this.#deadlineTimer = setTimeout(() => {
      this.#deadlineTimer = undefined;
      if (!this.#stopping) onTimeout();
    }, this.#timing.connectTimeoutMs);
    this.#deadlineTimer.unref?.();
  }

  #setState(state: ZaloState, lastError: string | null | undefined): void {
    this.#state = state;
    const patch: Partial<ZaloStatus> = { state };
    if (lastError !== undefined) patch.lastError = lastError;
    if (this.#lastEventAt !== null) patch.lastEventAt = this.#lastEventAt;
    this.#writeStatus(patch);
  }

  /**
   * Abandons the current session's listener: its events are no longer handled, and its socket is
   * closed; `#closing` settles once it is (or after `closeTimeoutMs`). A new listener is only
   * started after that (zca-js issue #331: start again only once the old socket has closed).
   */
  #dropSession(): void {
    const session = this.#session;
    this.#session = undefined;
    if (!session) return;
    const previous = this.#closing;
    this.#closing = Promise.all([previous, this.#closeListener(session.listener)]).then(() => undefined);
  }

  async #closeListener(listener: Listener): Promise<void> {
    listener.removeAllListeners();
    // zca-js emits "error" while a socket is being aborted; an EventEmitter without a handler would throw.
    listener.on("error", () => {});
    // zca-js keeps the socket in a private field and clears it once the socket has closed.
    const ws = (listener as unknown as { ws: { terminate?: () => void } | null }).ws;
    if (!ws) return;
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<boolean>((resolve) => {
      listener.once("disconnected", () => resolve(true));
      timer = setTimeout(() => resolve(false), this.#timing.closeTimeoutMs);
    });
    try {
      listener.stop();
    } catch (error) {
      this.#log.debug({ err: loggable(error) }, "listener.stop failed");
    }
    const clean = await closed;
    clearTimeout(timer);
    if (!clean) {
      this.#log.warn({ waitedMs: this.#timing.closeTimeoutMs }, "the Zalo socket did not close in time; dropped");
      try {
        ws.terminate?.();
      } catch {
        /* already gone */
      }
    }
  }

  #backoffDelay(): number {
    const ceiling = Math.min(this.#timing.backoffMaxMs, this.#timing.backoffBaseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  /** A full login after `delay` (default: the backoff). */
  #scheduleLogin(reason: string, delay = this.#backoffDelay()): void {
    if (this.#stopping || this.#reconnectTimer) return;
    this.#setState("connecting", reason);
    this.#log[this.#attempt > 2 ? "warn" : "info"](
      { reason, retryInMs: delay, attempt: this.#attempt },
      "Zalo: logging in again",
    );
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#connect();
    }, delay);
    this.#reconnectTimer.unref?.();
  }

  /** Starts the live session's listener again after `delay`: no login. */
  #scheduleRestart(session: Session, reason: string, delay: number): void {
    if (this.#stopping || this.#session !== session) return;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#setState("connecting", reason);
    // Zalo drops sockets every minute or so (1006): routine, unless reconnecting keeps failing.
    this.#log[this.#attempt > 2 ? "warn" : "debug"](
      { reason, retryInMs: delay, attempt: this.#attempt },
      "Zalo socket closed; reconnecting",
    );
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#startListener(session);
    }, delay);
    this.#reconnectTimer.unref?.();
  }

  /** Drops the session and logs in again soon (the session expired). */
  requestRelogin(reason: string): void {
    if (this.#stopping || (this.#state !== "online" && this.#state !== "connecting")) return;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#gen++;
    this.#clearDeadline();
    this.#dropSession();
    this.#api = undefined;
    this.#scheduleLogin(reason);
  }

  /** Stops trying, records why, and tells the admins once. */
  #halt(state: "needs_login" | "taken_over", lastError: string, alert: ZaloAlert): void {
    this.#gen++;
    this.#clearTimers();
    this.#dropSession();
    this.#api = undefined;
    this.#setState(state, lastError);
    const at = this.#now();
    this.#background("could not audit the Zalo state", () =>
      recordAudit(this.options.db, { source: "system", action: `zalo.${state}`, detail: { reason: lastError } }, at),
    );
    this.#log.error(
      { state, reason: lastError },
      state === "taken_over"
        ? "Zalo session taken over by another login; stopped. Close the other Zalo Web session, then `chihoi zalo login` or restart."
        : "Zalo needs a new login (`chihoi zalo login` or `chihoi zalo import`); Zalo stopped, the rest of the service runs.",
    );
    if (this.#alerted !== state) {
      this.#alerted = state;
      const text = (this.options.alertText ?? defaultAlertText)(alert);
      void this.options
        .notifyAdmins?.(text)
        .catch((error) => this.#log.error({ err: loggable(error) }, "could not tell the admins about Zalo"));
    }
    this.#watchCredentials();
  }

  /** While halted: resume when new credentials are stored (`chihoi zalo login` in another process). */
  #watchCredentials(): void {
    if (this.#stopping) return;
    const schedule = (seen: number | null) => {
      if (this.#stopping) return;
      this.#watchTimer = setTimeout(() => void check(seen), this.#timing.credentialsWatchMs);
      this.#watchTimer.unref?.();
    };
    const read = async (fallback: number | null): Promise<number | null> => {
      try {
        return await credentialsUpdatedAt(this.options.db);
      } catch (error) {
        this.#log.warn({ err: loggable(error) }, "could not read the stored Zalo credentials");
        return fallback;
      }
    };
    const check = async (seen: number | null): Promise<void> => {
      this.#watchTimer = undefined;
      if (this.#stopping) return;
      const now = await read(seen);
      if (this.#stopping) return;
      if (now !== null && now !== seen) {
        this.#log.info("new Zalo credentials stored; logging in");
        this.#alerted = null;
        this.#loginFailures = 0;
        this.#attempt = 0;
        this.#kicks = 0;
        this.#restartFailures = 0;
        void this.#connect();
        return;
      }
      schedule(seen);
    };
    void read(null).then(schedule);
  }

  /** A full login from the latest stored credentials, then the listener. */
  async #connect(): Promise<void> {
    if (this.#stopping) return;
    const gen = ++this.#gen;
    this.#dropSession();
    await this.#closing;
    if (gen !== this.#gen || this.#stopping) return;

    let credentials: ZaloCredentials | null;
    try {
      // When the record was written: the session's refreshed cookies replace only that record.
      this.#credentialsAt = await credentialsUpdatedAt(this.options.db);
      credentials = await loadCredentials(this.options.db, this.options.config.credentialsKey);
    } catch (error) {
      const problem = error instanceof CredentialStoreError ? error.problem : "corrupted";
      return this.#halt("needs_login", error instanceof Error ? error.message : String(error), {
        kind: "needs_login",
        reason: problem,
      });
    }
    if (!credentials)
      return this.#halt("needs_login", "no Zalo login stored", { kind: "needs_login", reason: "missing" });

    this.#setState("connecting", undefined);
    this.#armDeadline(() => {
      if (gen !== this.#gen) return;
      this.#gen++;
      this.#scheduleLogin(`no login within ${Math.round(this.#timing.connectTimeoutMs / 1000)} s`);
    });

    let api: ZaloApi;
    try {
      api = await this.#factory(credentials);
    } catch (error) {
      if (gen !== this.#gen || this.#stopping) return;
      this.#clearDeadline();
      const rejected = !isNetworkError(error);
      if (rejected) this.#loginFailures++;
      const reason = `login failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300);
      this.#log.warn(
        { err: loggable(error), loginFailures: this.#loginFailures, network: !rejected },
        "Zalo login failed",
      );
      if (this.#loginFailures >= this.#timing.maxLoginFailures)
        return this.#halt("needs_login", reason, { kind: "login_failed", attempts: this.#loginFailures });
      return this.#scheduleLogin(reason);
    }
    if (gen !== this.#gen || this.#stopping) return;
    this.#clearDeadline();
    this.#loginFailures = 0;
    this.#restartFailures = 0;
    this.#api = api;
    try {
      this.#self = { uid: String(api.getOwnId()), displayName: this.#self?.displayName };
    } catch (error) {
      this.#log.warn({ err: loggable(error) }, "could not read the Zalo account id");
    }
    this.snapshotCredentials(api);
    void this.#learnDisplayName(api);

    const session: Session = {
      api,
      listener: api.listener,
      handshake: false,
      openedAt: 0,
      historyRequested: false,
      timedOut: false,
    };
    this.#session = session;
    this.#attachListener(session);
    this.#startListener(session);
  }

  #attachListener(session: Session): void {
    const listener = session.listener;
    const live = () => this.#session === session;
    listener.on("connected", () => live() && this.#onConnected(session));
    listener.on("cipher_key", () => live() && this.#onHandshake(session));
    listener.on("closed", (code, reason) => live() && this.#onClosed(session, Number(code), String(reason ?? "")));
    listener.on("error", (error) => {
      if (live()) this.#log.warn({ err: loggable(error) }, "Zalo listener error");
    });
    listener.on("message", (m) => this.#enqueue(m, "live"));
    listener.on("reaction", (r) => this.#enqueue(r, "live"));
    listener.on("undo", (u) => this.#enqueue(u, "live"));
    listener.on("old_messages", (messages) => {
      for (const m of Array.isArray(messages) ? messages : []) this.#enqueue(m, "history");
    });
    // Reactions given while the socket was down (live 612 frames only reach an open socket).
    listener.on("old_reactions", (reactions) => {
      for (const r of Array.isArray(reactions) ? reactions : []) this.#enqueue(r, "history");
    });
  }

  /**
   * A browser reconnecting sends its current cookies; zca-js's Listener keeps the Cookie header it
   * built when the session started. Renewed cookies (Set-Cookie on REST answers) go into the API's
   * jar, so the header is rebuilt from it before each (re)start.
   */
  #refreshListenerCookie(session: Session): void {
    try {
      const fresh = session.api.getContext().cookie?.getCookieStringSync("https://chat.zalo.me");
      const listener = session.listener as unknown as { cookie?: unknown };
      if (typeof fresh === "string" && fresh && typeof listener.cookie === "string") listener.cookie = fresh;
    } catch (error) {
      this.#log.debug({ err: loggable(error) }, "could not refresh the listener's cookies");
    }
  }

  /** Opens the session's socket (zca-js's own retry off: this supervisor decides). */
  #startListener(session: Session): void {
    if (this.#stopping || this.#session !== session) return;
    this.#refreshListenerCookie(session);
    session.handshake = false;
    session.openedAt = 0;
    session.historyRequested = false;
    session.timedOut = false;
    this.#armDeadline(() => {
      if (this.#session !== session) return;
      session.timedOut = true;
      // Closing a socket that is still connecting makes zca-js emit "closed" (1006), which reschedules.
      this.#log.warn({ timeoutMs: this.#timing.connectTimeoutMs }, "Zalo socket did not open in time");
      try {
        session.listener.stop();
      } catch (error) {
        this.#log.debug({ err: loggable(error) }, "listener.stop failed");
      }
    });
    try {
      session.listener.start({ retryOnClose: false });
    } catch (error) {
      this.#log.warn({ err: loggable(error) }, "Zalo listener did not start");
      this.#clearDeadline();
      this.#restartFailures++;
      this.#scheduleRestart(session, "listener did not start", this.#backoffDelay());
    }
  }

  #onConnected(session: Session): void {
    this.#clearDeadline();
    session.openedAt = this.#now().getTime();
    this.#alerted = null;
    this.#setState("online", null);
    this.#log.debug({ uid: this.#self?.uid }, "Zalo connected");
    // History is asked for once the session key arrives; a server that never sends one still gets asked.
    if (this.#historyTimer) clearTimeout(this.#historyTimer);
    this.#historyTimer = setTimeout(() => {
      if (this.#session === session) this.#requestHistory(session);
    }, 3000);
    this.#historyTimer.unref?.();
    if (!this.#keepWarmTimer) this.#scheduleKeepWarm();
  }

  /** The session key arrived: the connection works, so the backoff starts over. */
  #onHandshake(session: Session): void {
    session.handshake = true;
    this.#attempt = 0;
    this.#restartFailures = 0;
    this.#requestHistory(session);
  }

  /** Catch-up after each connection: messages and reactions sent while the socket was down. */
  #requestHistory(session: Session): void {
    if (session.historyRequested) return;
    session.historyRequested = true;
    if (this.#historyTimer) clearTimeout(this.#historyTimer);
    this.#historyTimer = undefined;
    try {
      session.listener.requestOldMessages(zca.ThreadType.User);
      session.listener.requestOldMessages(zca.ThreadType.Group);
      session.listener.requestOldReactions(zca.ThreadType.User);
      session.listener.requestOldReactions(zca.ThreadType.Group);
    } catch (error) {
      this.#log.warn({ err: loggable(error) }, "could not ask Zalo for recent history");
    }
  }

  /**
   * The socket closed. 3000/3003 ("kicked"): wait with growing delays and reconnect a few times (an
   * unclean restart or a stale socket causes them too), then stop and alert. Anything else (1006
   * every minute or so is normal): restart the listener on the live session; after repeated failed
   * restarts check the session with one REST call and log in again only if it expired.
   */
  #onClosed(session: Session, code: number, reason: string): void {
    this.#clearDeadline();
    const lasted = session.openedAt ? this.#now().getTime() - session.openedAt : 0;
    const worked = session.handshake;
    const why = session.timedOut
      ? `no connection within ${Math.round(this.#timing.connectTimeoutMs / 1000)} s`
      : `connection closed (${code}${reason ? `: ${reason.slice(0, 100)}` : ""})`;
    if (takeoverCodes.has(code)) {
      if (lasted >= this.#timing.kickForgetMs) this.#kicks = 0;
      this.#kicks++;
      const delays = this.#timing.kickRetryDelaysMs;
      if (this.#kicks > delays.length)
        return this.#halt(
          "taken_over",
          `closed with ${code} ${this.#kicks} times in a row: another Zalo session took over`,
          { kind: "taken_over", code },
        );
      const delay = delays[this.#kicks - 1]!;
      this.#log.warn(
        { code, kick: this.#kicks, of: delays.length, retryInMs: delay },
        "Zalo closed the socket as a duplicate/kicked session; retrying before deciding it is a takeover",
      );
      return this.#scheduleRestart(session, `${why}; retry ${this.#kicks}/${delays.length}`, delay);
    }
    if (worked) this.#kicks = 0;
    else this.#restartFailures++;
    if (this.#restartFailures >= this.#timing.restartFailuresBeforeCheck) {
      this.#restartFailures = 0;
      void this.#checkSession(session, why);
      return;
    }
    this.#scheduleRestart(session, why, this.#backoffDelay());
  }

  /** After repeated failed restarts: one REST call tells an expired session from a network problem. */
  async #checkSession(session: Session, reason: string): Promise<void> {
    this.#setState("connecting", reason);
    const api = session.api;
    let timer: NodeJS.Timeout | undefined;
    try {
      const check = api.keepAlive ? api.keepAlive() : api.fetchAccountInfo?.();
      // zca-js's requests have no timeout of their own: a black-holed network must not stall the supervisor.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error("session check timed out"), { name: "TimeoutError" })),
          this.#timing.connectTimeoutMs,
        );
      });
      await Promise.race([check, timeout]);
    } catch (error) {
      if (this.#session !== session) return;
      if (isSessionError(error)) return this.requestRelogin(`session expired (${reason})`);
      this.#log.warn({ err: loggable(error) }, "Zalo session check failed; reconnecting anyway");
    } finally {
      clearTimeout(timer);
    }
    if (this.#session !== session) return;
    this.#scheduleRestart(session, reason, this.#backoffDelay());
  }

  #scheduleKeepWarm(): void {
    this.#keepWarmTimer = setTimeout(() => {
      this.#keepWarmTimer = undefined;
      void this.#keepWarm().finally(() => {
        if (!this.#stopping && this.#state !== "needs_login" && this.#state !== "taken_over") this.#scheduleKeepWarm();
      });
    }, this.#timing.keepWarmMs);
    this.#keepWarmTimer.unref?.();
  }

  /** One authenticated call so Zalo renews the cookies, then saves them if they changed. */
  async #keepWarm(): Promise<void> {
    const api = this.#api;
    if (!api) return;
    try {
      if (api.keepAlive) await api.keepAlive();
      else if (api.fetchAccountInfo) await api.fetchAccountInfo();
      this.snapshotCredentials(api);
    } catch (error) {
      this.#log.warn({ err: loggable(error) }, "Zalo keep-alive failed");
      if (isSessionError(error)) this.requestRelogin("session expired (keep-alive)");
    }
  }

  async #learnDisplayName(api: ZaloApi): Promise<void> {
    if (!api.fetchAccountInfo) return;
    try {
      const info = await api.fetchAccountInfo();
      const name = info?.profile?.displayName || info?.profile?.zaloName;
      if (name && this.#self) this.#self = { ...this.#self, displayName: name };
      this.snapshotCredentials(api);
    } catch (error) {
      this.#log.debug({ err: loggable(error) }, "could not read the Zalo account profile");
    }
  }

  /** Saves the API's current cookies when they differ from the stored ones. */
  snapshotCredentials(api: ZaloApi): void {
    // Only the current session may write: a late answer to an abandoned one must not look like a new login.
    if (api !== this.#api) return;
    try {
      const ctx = api.getContext();
      const cookies = ctx.cookie?.toJSON()?.cookies;
      if (!cookies?.length || !ctx.imei || !ctx.userAgent) return;
      const credentials = { cookie: cookies, imei: ctx.imei, userAgent: ctx.userAgent, language: ctx.language };
      const at = this.#now();
      this.#background("could not save refreshed Zalo cookies", async () => {
        // Only over the record this session logged in with: a newer login stored meanwhile (by
        // `chihoi zalo login`) wins, and the next login uses it.
        if (api !== this.#api || this.#credentialsAt === undefined) return;
        if (
          await saveCredentials(
            this.options.db,
            this.options.config.credentialsKey,
            credentials,
            at,
            this.#credentialsAt,
          )
        ) {
          this.#credentialsAt = at.getTime();
          this.#log.debug("refreshed Zalo cookies saved");
        }
      });
    } catch (error) {
      this.#log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        "could not save refreshed Zalo cookies",
      );
    }
  }

  // ──────────────────────────────────────────────────────────── events

  #enqueue(event: unknown, source: ZaloEventSource): void {
    if (this.#stopping) return;
    this.#queue = this.#queue.then(() => this.options.handleEvent(event, source));
  }

  /** A live event was handled: the service saw Zalo up to now (written at most every statusWriteMs). */
  noteLiveEvent(): void {
    this.#lastEventAt = this.#now().getTime();
    this.#flushLastEvent(false);
  }

  /**
   * Whether a history event from `at` is new enough to replay: not from before the service last saw
   * an event (less 5 minutes of clock skew), nor older than historyMaxAgeMs.
   */
  isReplayable(at: Date): boolean {
    const cutoff = Math.max(this.#historyCutoff - 5 * 60_000, this.#now().getTime() - this.#timing.historyMaxAgeMs);
    return at.getTime() >= cutoff;
  }

  /** A history event was handled: history up to it need not be replayed again. */
  noteHistoryHandled(at: Date): void {
    this.#historyCutoff = Math.max(this.#historyCutoff, at.getTime());
  }

  #flushLastEvent(force: boolean): void {
    if (this.#lastEventAt === null) return;
    if (!force && this.#lastEventAt - this.#lastEventWritten < this.#timing.statusWriteMs) return;
    this.#lastEventWritten = this.#lastEventAt;
    this.#writeStatus({ lastEventAt: this.#lastEventAt });
  }
}
