/**
 * The local web chat: a real channel adapter at /chat on the service's port. A browser session is
 * a chat account (platform "web", external id = session id). Messages in go through the same inbox
 * as Telegram's; messages out come from the outbox and are pushed to the open page over
 * Server-Sent Events. A page that was closed loads its history from the message log on return.
 *
 * Sessions are issued by the server only: a random 256-bit secret in an HttpOnly, SameSite=Strict
 * cookie (never in the URL or in the page's storage), expiring after `sessionIdleDays` without use.
 * The database keeps a hash of the secret (WebSession), which is also the account's external id,
 * so the message log never holds a usable secret. A cookie the server did not issue, or one that
 * expired, is refused and replaced. New sessions are limited per network address.
 */
import { openWebChatSession, touchWebChatSession } from "../../domain/web-chat/web-chat-sessions.ts";
import { createHash, randomBytes } from "node:crypto";
import type { Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { bodyLimit } from "hono/body-limit";
import { getCookie, setCookie } from "hono/cookie";
import { getConnInfo } from "@hono/node-server/conninfo";
import { z } from "zod";
import type { Database } from "../../storage/database.ts";
import type {
  Channel,
  ChannelCapabilities,
  InboundHandler,
  OutboundMessage,
  SendResult,
  SendTarget,
} from "../channel.ts";
import { chatHistory } from "../../domain/messages/message-log.ts";
import { ensureChatAccount, findAccount } from "../../domain/accounts/account-service.ts";
import { issueLinkCode, redeemLinkCode, unlinkAccount } from "../../domain/linking/link-service.ts";
import { isDemoPerson, listMembers } from "../../domain/people/people-service.ts";
import { listRoots } from "../../domain/units/unit-service.ts";
import { renderChatPage } from "./chat-page.ts";
import { pageHistory } from "./chat-history.ts";
import { maxMessageText } from "../../domain/messages/message-log.ts";
import { isLocale, translator, type Locale } from "../../lib/i18n.ts";

export const webMaxLength = 4000;
/** Messages the page shows after a reload. */
const historyLines = 100;
/** Longest message kept whole; the page warns before sending more, the inbox cuts the rest with a note. */
export const webMaxInbound = maxMessageText;
/** Largest request body of /chat/api/send: the longest message in 4-byte characters, plus JSON. */
export const webSendMaxBytes = 4 * webMaxInbound + 4096;
/** Largest request body of the other web chat routes. */
export const webSmallMaxBytes = 1024;

export const sessionCookie = "chihoi_session";
/** A session ends after this many days without use. */
export const sessionIdleDays = 30;
/** New sessions one network address may open in an hour. */
export const sessionsPerAddressPerHour = 30;

interface Subscriber {
  push(event: { id: string; text: string; choices?: { label: string; payload: string }[] }): void;
}

const secretPattern = /^[A-Za-z0-9_-]{43}$/;
const sendSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  // No length cap here: the body limit bounds it, and the inbox cuts a text past maxMessageText.
  text: z.string().optional(),
  payload: z.string().max(64).optional(),
  name: z.string().max(100).optional(),
});
const demoLoginSchema = z.object({ personId: z.number().int().positive() });

/** The account's external id for a session secret: a hash, so the database holds nothing usable. */
function sessionId(secret: string): string {
  return `s${createHash("sha256").update(secret).digest("base64url").slice(0, 32)}`;
}

/** The network address of the request's peer (not X-Forwarded-For, which anyone can write). */
function peerAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

export interface WebChatOptions {
  db: Database;
  demo: boolean;
  defaultLocale: Locale;
}

export class WebChatChannel implements Channel {
  readonly id = "web" as const;
  readonly capabilities: ChannelCapabilities = { buttons: true, maxLength: webMaxLength, groups: false };
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  #handler?: InboundHandler;
  #counter = 0;

  constructor(readonly options: WebChatOptions) {}

  async start(handler: InboundHandler): Promise<void> {
    this.#handler = handler;
  }

  async stop(): Promise<void> {
    this.#handler = undefined;
    this.#subscribers.clear();
  }

  async send(target: SendTarget, message: OutboundMessage): Promise<SendResult> {
    const id = `w${Date.now().toString(36)}${(this.#counter++).toString(36)}`;
    for (const s of this.#subscribers.get(target.chatId) ?? [])
      s.push({ id, text: message.text, choices: message.choices });
    return { messageIds: [id] };
  }

  /** The session of a request: its id when the cookie holds a live session the server issued. */
  async #session(c: Context): Promise<string | undefined> {
    const secret = getCookie(c, sessionCookie);
    if (!secret || !secretPattern.test(secret)) return undefined;
    const id = sessionId(secret);
    return (await touchWebChatSession(this.options.db, id, sessionIdleDays * 86_400_000)) ? id : undefined;
  }

  /** Issues a new session in a cookie; undefined when this address opened too many lately. */
  async #issueSession(c: Context): Promise<string | undefined> {
    const secret = randomBytes(32).toString("base64url");
    const id = sessionId(secret);
    if (
      !(await openWebChatSession(this.options.db, {
        id,
        source: peerAddress(c),
        idleMs: sessionIdleDays * 86_400_000,
        perAddressPerHour: sessionsPerAddressPerHour,
      }))
    )
      return undefined;
    setCookie(c, sessionCookie, secret, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/chat",
      maxAge: sessionIdleDays * 86_400,
      secure: new URL(c.req.url).protocol === "https:",
    });
    return id;
  }

  /** Mounts the page and its API on the web server. */
  mount(app: Hono): void {
    const tooLarge = (c: Context) => c.json({ error: "too_large" }, 413);
    app.use("/chat/api/*", async (c, next) => {
      const max = c.req.path === "/chat/api/send" ? webSendMaxBytes : webSmallMaxBytes;
      return bodyLimit({ maxSize: max, onError: tooLarge })(c, next);
    });
    app.get("/chat", async (c) => {
      const lang = c.req.query("lang");
      const locale: Locale = isLocale(lang) ? lang : this.options.defaultLocale;
      if (!(await this.#session(c)) && !(await this.#issueSession(c)))
        return c.text(translator(locale)("web.too_many_sessions"), 429);
      c.header("Cache-Control", "no-store");
      return c.html(renderChatPage({ locale, demo: this.options.demo, maxLength: webMaxInbound }));
    });

    app.get("/chat/api/demo-members", async (c) => {
      if (!this.options.demo) return c.json({ error: "demo_only" }, 404);
      const root = (await listRoots(this.options.db))[0];
      if (!root) return c.json({ members: [] });
      const members = (await listMembers(this.options.db, root.id, { subtree: true })).map((m) => ({
        id: m.id,
        name: m.fullName,
        unit: m.unitName,
        role: m.role,
        title: m.title,
      }));
      return c.json({ members });
    });

    app.post("/chat/api/demo-login", async (c) => {
      if (!this.options.demo) return c.json({ error: "demo_only" }, 404);
      const session = await this.#session(c);
      if (!session) return c.json({ error: "no_session" }, 401);
      const parsed = demoLoginSchema.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success) return c.json({ error: "invalid_input" }, 400);
      const { db } = this.options;
      if (!(await isDemoPerson(db, parsed.data.personId))) return c.json({ error: "not_found" }, 400);
      const account = await ensureChatAccount(db, { platform: "web", externalId: session });
      if (account.personId !== parsed.data.personId) {
        if (account.personId !== null) await unlinkAccount(db, account.id);
        // The demo links through the same code path a member uses, without typing the code.
        const code = await issueLinkCode(db, parsed.data.personId, { ttlDays: 1 });
        await redeemLinkCode(db, { accountId: account.id, code: code.code });
      }
      return c.json({ ok: true });
    });

    app.post("/chat/api/send", async (c) => {
      const session = await this.#session(c);
      if (!session) return c.json({ error: "no_session" }, 401);
      const body = await c.req.json().catch(() => null);
      const parsed = sendSchema.safeParse(body);
      if (!parsed.success) return c.json({ error: "invalid_input" }, 400);
      if (!this.#handler) return c.json({ error: "unavailable" }, 503);
      const { id, text, payload, name } = parsed.data;
      await this.#handler({
        platform: "web",
        account: "web",
        chatId: session,
        chatType: "private",
        sender: { id: session, name },
        kind: payload ? "callback" : "text",
        text: payload ? undefined : (text ?? ""),
        payload,
        eventId: `${session}:${id}`,
        messageId: id,
        at: new Date(),
        sourceAddress: peerAddress(c),
      });
      return c.json({ ok: true });
    });

    app.get("/chat/api/history", async (c) => {
      const session = await this.#session(c);
      if (!session) return c.json({ error: "no_session" }, 401);
      const account = await findAccount(this.options.db, "web", session);
      const lang = c.req.query("lang");
      const t = translator(isLocale(lang) ? lang : this.options.defaultLocale);
      const lines = pageHistory(
        await chatHistory(this.options.db, "web", session, historyLines + 50),
        historyLines,
        t("web.button_pressed"),
      );
      return c.json({ linked: Boolean(account?.personId), lines });
    });

    app.get("/chat/api/events", async (c) => {
      const chatId = await this.#session(c);
      if (!chatId) return c.json({ error: "no_session" }, 401);
      return streamSSE(c, async (stream) => {
        const subscriber: Subscriber = {
          push: (event) => void stream.writeSSE({ event: "message", data: JSON.stringify(event), id: event.id }),
        };
        let set = this.#subscribers.get(chatId);
        if (!set) this.#subscribers.set(chatId, (set = new Set()));
        set.add(subscriber);
        stream.onAbort(() => {
          set!.delete(subscriber);
          if (!set!.size) this.#subscribers.delete(chatId);
        });
        await stream.writeSSE({ event: "ready", data: "{}" });
        // Keep the connection open with a heartbeat until the browser goes away.
        while (!stream.aborted && !stream.closed) {
          await stream.sleep(15_000);
          await stream.writeSSE({ event: "ping", data: "{}" });
        }
      });
    });
  }

  /** For tests: the translator the page uses. */
  static t(locale: Locale) {
    return translator(locale);
  }
}
