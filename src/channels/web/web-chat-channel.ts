/**
 * The local web chat: a real channel adapter at /chat on the service's port. A browser session is
 * a chat account (platform "web", external id = session id). Messages in go through the same inbox
 * as Telegram's; messages out come from the outbox and are pushed to the open page over
 * Server-Sent Events. A page that was closed loads its history from the message log on return.
 */
import { randomUUID } from "node:crypto";
import type { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { Database } from "../../storage/database.ts";
import type { Channel, ChannelCapabilities, InboundHandler, OutboundMessage, SendResult, SendTarget } from "../channel.ts";
import { chatHistory } from "../../domain/messages/message-log.ts";
import { ensureChatAccount, findAccount } from "../../domain/accounts/account-service.ts";
import { issueLinkCode, redeemLinkCode, unlinkAccount } from "../../domain/linking/link-service.ts";
import { listMembers } from "../../domain/people/people-service.ts";
import { listRoots } from "../../domain/units/unit-service.ts";
import { renderChatPage } from "./chat-page.ts";
import { pageHistory } from "./chat-history.ts";
import { isLocale, translator, type Locale } from "../../lib/i18n.ts";

export const webMaxLength = 4000;
/** Messages the page shows after a reload. */
const historyLines = 100;
/** Longest message the page may send; a longer one is refused with a message (the page also checks). */
export const webMaxInbound = 100_000;

interface Subscriber {
  push(event: { id: string; text: string; choices?: { label: string; payload: string }[] }): void;
}

const sessionSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/);
const sendSchema = z.object({
  session: sessionSchema,
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  text: z.string().max(webMaxInbound).optional(),
  payload: z.string().max(64).optional(),
  name: z.string().max(100).optional(),
});
const demoLoginSchema = z.object({ session: sessionSchema, personId: z.number().int().positive() });

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
    for (const s of this.#subscribers.get(target.chatId) ?? []) s.push({ id, text: message.text, choices: message.choices });
    return { messageIds: [id] };
  }

  /** Mounts the page and its API on the web server. */
  mount(app: Hono): void {
    app.get("/chat", (c) => {
      const lang = c.req.query("lang");
      const locale: Locale = isLocale(lang) ? lang : this.options.defaultLocale;
      return c.html(renderChatPage({ locale, demo: this.options.demo, maxLength: webMaxInbound }));
    });

    app.get("/chat/api/demo-members", (c) => {
      if (!this.options.demo) return c.json({ error: "demo_only" }, 404);
      const root = listRoots(this.options.db)[0];
      if (!root) return c.json({ members: [] });
      const members = listMembers(this.options.db, root.id, { subtree: true }).map((m) => ({
        id: m.id, name: m.fullName, unit: m.unitName, role: m.role, title: m.title,
      }));
      return c.json({ members });
    });

    app.post("/chat/api/demo-login", async (c) => {
      if (!this.options.demo) return c.json({ error: "demo_only" }, 404);
      const parsed = demoLoginSchema.safeParse(await c.req.json().catch(() => null));
      if (!parsed.success) return c.json({ error: "invalid_input" }, 400);
      const { db } = this.options;
      if (!db.sql.get(`SELECT 1 FROM Person WHERE id = ? AND isDemo = 1`, parsed.data.personId)) return c.json({ error: "not_found" }, 400);
      const account = ensureChatAccount(db, "web", parsed.data.session);
      if (account.personId !== parsed.data.personId) {
        if (account.personId !== null) unlinkAccount(db, account.id);
        // The demo links through the same code path a member uses, without typing the code.
        const code = issueLinkCode(db, parsed.data.personId, { ttlDays: 1 });
        redeemLinkCode(db, account.id, code.code);
      }
      return c.json({ ok: true });
    });

    app.post("/chat/api/send", async (c) => {
      const body = await c.req.json().catch(() => null);
      const parsed = sendSchema.safeParse(body);
      if (!parsed.success) {
        const tooLong = typeof body?.text === "string" && body.text.length > webMaxInbound;
        return c.json({ error: tooLong ? "too_long" : "invalid_input" }, tooLong ? 413 : 400);
      }
      if (!this.#handler) return c.json({ error: "unavailable" }, 503);
      const { session, id, text, payload, name } = parsed.data;
      await this.#handler({
        platform: "web",
        account: "web",
        chatId: session,
        chatType: "private",
        sender: { id: session, name },
        kind: payload ? "callback" : "text",
        text: payload ? undefined : text ?? "",
        payload,
        eventId: `${session}:${id}`,
        messageId: id,
        at: new Date(),
      });
      return c.json({ ok: true });
    });

    app.get("/chat/api/history", (c) => {
      const session = sessionSchema.safeParse(c.req.query("session"));
      if (!session.success) return c.json({ error: "invalid_input" }, 400);
      const account = findAccount(this.options.db, "web", session.data);
      const lang = c.req.query("lang");
      const t = translator(isLocale(lang) ? lang : this.options.defaultLocale);
      const lines = pageHistory(chatHistory(this.options.db, "web", session.data, historyLines + 50), historyLines, t("web.button_pressed"));
      return c.json({ linked: Boolean(account?.personId), lines });
    });

    app.get("/chat/api/events", (c) => {
      const session = sessionSchema.safeParse(c.req.query("session"));
      if (!session.success) return c.json({ error: "invalid_input" }, 400);
      const chatId = session.data;
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

  /** A fresh session id for a browser. */
  static newSession(): string {
    return randomUUID().replace(/-/g, "");
  }

  /** For tests: the translator the page uses. */
  static t(locale: Locale) {
    return translator(locale);
  }
}
