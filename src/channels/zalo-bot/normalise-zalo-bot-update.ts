/**
 * Turns a Zalo Bot Platform update into our InboundMessage, or null for what we cannot take
 * (garbage, an `ok: false` envelope, a message from a bot, a message without a chat or sender).
 *
 * Accepts the enveloped form `{ ok: true, result: { event_name, message } }` (documented for webhooks)
 * and the bare `{ event_name, message }` (getUpdates result), `photo` or `photo_url`, `display_name` or
 * `name`, and dates in milliseconds or seconds. An unknown `event_name` is not an error: with a chat
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

function dateOf(value: unknown, now: () => Date): Date {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
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
  if (eventName !== undefined) {
    const kind = kindByEvent[eventName] ?? "unsupported";
    // A text event whose text is not a string (an object, a number) is not something we can read.
    if (kind === "text" && typeof message.text !== "string") return "unsupported";
    return kind;
  }
  if (typeof message.text === "string") return "text";
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
  const message = update.message;
  if (!isObject(message)) return null;
  const from = isObject(message.from) ? message.from : undefined;
  const chat = isObject(message.chat) ? message.chat : undefined;
  const senderId = idOf(from?.id);
  const chatId = idOf(chat?.id);
  if (!from || !senderId || !chatId) return null;
  if (from.is_bot === true) return null;

  const eventName = stringOf(update.event_name);
  const kind = kindOf(eventName, message);
  const rawName = stringOf(from.display_name) ?? stringOf(from.name);
  const name = rawName?.trim() ? rawName.trim().slice(0, 100) : undefined;
  const chatType = String(chat?.chat_type ?? "").toUpperCase() === "GROUP" ? "group" : "private";
  const text = kind === "text" ? stringOf(message.text) : kind === "photo" ? stringOf(message.caption) : undefined;
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
    eventId: messageId ? `${chatId}:${messageId}` : `h:${createHash("sha256").update(JSON.stringify(update)).digest("hex").slice(0, 32)}`,
    messageId,
    at: dateOf(message.date, now),
    addressedToBot: chatType === "private",
  };
}
