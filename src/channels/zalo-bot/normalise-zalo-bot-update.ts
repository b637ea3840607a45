/**
 * Turns a Zalo Bot Platform update into our InboundMessage, or null for what we cannot take
 * (garbage, an `ok: false` envelope, a message from a bot, a message without a chat or sender).
 *
 * Accepts the enveloped form `{ ok: true, result: { event_name, message } }` (documented for webhooks)
 * and the bare `{ event_name, message }` (getUpdates result), `photo` or `photo_url`, `display_name`,
 * `name` or `first_name`/`last_name`, and dates in milliseconds or seconds. A link message
 * (`message.link.received`, or a message carrying only a `url`) is text: its text and the link.
 * An unsupported message may come without a `message` object (the sender and chat then sit on the
 * update itself); it is still taken, so that the member gets an answer. An unknown `event_name` is not an error: with a chat
 * and a sender it becomes kind "unsupported", so it is stored and the member gets a polite "text only"
 * answer. `message.unsupported.received` is what Zalo sends instead of the content for protected
 * users (such as children). Never throws.
 */
import { createHash } from "node:crypto";
import type { InboundKind, InboundMessage } from "../channel.ts";

type Json = Record<string, unknown>;

const kindByEvent: Record<string, InboundKind> = {
  "message.text.received": "text",
  "message.image.received": "photo",
  "message.sticker.received": "sticker",
  "message.voice.received": "voice",
  "message.unsupported.received": "unsupported",
};

/** Dates below this are seconds (1e12 ms is 2001-09-09; 1e12 s is 33658 AD). */
const secondsBelow = 1e12;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function idOf(value: unknown): string | undefined {
  if (typeof value === "string") {
    const s = value.trim();
    return s ? s.slice(0, 128) : undefined;
  }
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function objectOf(value: unknown): Json | undefined {
  return isObject(value) ? value : undefined;
}

/** The link a link message carries, if any. */
function linkOf(message: Json): string | undefined {
  for (const field of ["url", "link", "href"]) {
    const value = stringOf(message[field])?.trim();
    if (value) return value;
  }
  const nested = objectOf(message.link) ?? objectOf(message.attachment);
  const url = nested ? stringOf(nested.url)?.trim() : undefined;
  return url || undefined;
}

/** A link message's text: what the member wrote (or the preview title) and the link, once. */
function linkText(message: Json, link: string): string {
  const said = (stringOf(message.text) ?? stringOf(message.caption) ?? stringOf(message.title) ?? "").trim();
  if (!said) return link;
  return said.includes(link) ? said : `${said}\n${link}`;
}

/** The sender's name: display name, name, or first and last name. */
function senderName(from: Json): string | undefined {
  const full = [stringOf(from.first_name), stringOf(from.last_name)]
    .map((p) => p?.trim())
    .filter(Boolean)
    .join(" ");
  const raw = stringOf(from.display_name)?.trim() || stringOf(from.name)?.trim() || full;
  return raw ? raw.slice(0, 100) : undefined;
}

function dateOf(value: unknown, now: () => Date): Date {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isFinite(n) || n <= 0) return now();
  const date = new Date(n < secondsBelow ? n * 1000 : n);
  return Number.isNaN(date.getTime()) ? now() : date;
}

/** The update inside an envelope, or the body itself when it is bare; null for a failed envelope. */
export function unwrapZaloBotUpdate(body: unknown): Json | null {
  if (!isObject(body)) return null;
  if ("ok" in body || "result" in body) {
    if (body.ok !== true || !isObject(body.result)) return null;
    return body.result;
  }
  return body;
}

/** Kind from the event name; without one (some bare bodies), from what the message carries. */
function kindOf(eventName: string | undefined, message: Json): InboundKind {
  const link = linkOf(message);
  if (eventName !== undefined && /^message\.link\./.test(eventName))
    return link || typeof message.text === "string" ? "text" : "unsupported";
  if (eventName !== undefined) {
    const kind = kindByEvent[eventName] ?? "unsupported";
    // A text event whose text is not a string (an object, a number) is not something we can read.
    if (kind === "text" && typeof message.text !== "string") return "unsupported";
    return kind;
  }
  if (typeof message.text === "string" || link) return "text";
  if (message.photo !== undefined || message.photo_url !== undefined) return "photo";
  if (message.sticker !== undefined) return "sticker";
  if (message.voice_url !== undefined || message.voice !== undefined) return "voice";
  return "unsupported";
}

export interface NormaliseZaloBotOptions {
  /** Our bot's id (the numeric part of the token), stored as the receiving account. */
  account: string;
  now?: () => Date;
}

export function normaliseZaloBotUpdate(body: unknown, options: NormaliseZaloBotOptions): InboundMessage | null {
  const update = unwrapZaloBotUpdate(body);
  if (!update) return null;
  // Without a message object (seen for unsupported content), the sender and chat sit on the update.
  const message = objectOf(update.message) ?? update;
  const from = objectOf(message.from) ?? objectOf(message.sender) ?? objectOf(update.from) ?? objectOf(update.sender);
  const senderId = idOf(from?.id);
  const eventName = stringOf(update.event_name);
  // A message event without a chat is the sender's private chat; other events need their chat.
  const privateChat =
    senderId && eventName?.startsWith("message.") ? { id: senderId, chat_type: "PRIVATE" } : undefined;
  const chat = objectOf(message.chat) ?? objectOf(update.chat) ?? privateChat;
  const chatId = idOf(chat?.id);
  if (!from || !senderId || !chatId) return null;
  if (from.is_bot === true) return null;

  const kind = kindOf(eventName, message);
  const name = senderName(from);
  const chatType = String(chat?.chat_type ?? "").toUpperCase() === "GROUP" ? "group" : "private";
  const link = kind === "text" ? linkOf(message) : undefined;
  const text = link
    ? linkText(message, link)
    : kind === "text"
      ? stringOf(message.text)
      : kind === "photo"
        ? stringOf(message.caption)
        : undefined;
  const messageId = idOf(message.message_id);
  const now = options.now ?? (() => new Date());
  return {
    platform: "zalo_bot",
    account: options.account,
    chatId,
    chatType,
    sender: name ? { id: senderId, name } : { id: senderId },
    kind,
    text,
    // Scoped by chat so that ids unique only per chat can never make two messages look like one.
    eventId: messageId
      ? `${chatId}:${messageId}`
      : `h:${createHash("sha256").update(JSON.stringify(update)).digest("hex").slice(0, 32)}`,
    messageId,
    at: dateOf(message.date, now),
    addressedToBot: chatType === "private",
  };
}
