/**
 * The channel contract: every chat platform turns its events into one InboundMessage and renders
 * one OutboundMessage back. Adapters render choices as buttons where the platform has them and as
 * numbered text ("Trả lời 1 để …") where it has not, and split text that is too long.
 */
import type { Platform } from "../domain/accounts/account-service.ts";
import { translator, type Locale } from "../lib/i18n.ts";

export type { Platform };

export type ChatType = "private" | "group";

/** What kind of thing the member sent. Anything but text/callback/contact gets a polite "text only". */
export type InboundKind =
  | "text"
  | "callback"
  | "contact"
  | "sticker"
  | "photo"
  | "voice"
  | "video"
  | "document"
  | "location"
  | "reaction"
  | "unsupported";

export interface InboundMessage {
  platform: Platform;
  /** Our own account on the platform that received it (bot username, Zalo account id). */
  account: string;
  chatId: string;
  chatType: ChatType;
  sender: { id: string; name?: string };
  kind: InboundKind;
  text?: string;
  /** Button payload (Telegram callback_data). */
  payload?: string;
  /** Platform id of the message this one replies to. */
  replyTo?: string;
  /** Platform event id, unique per platform: duplicates are recognised by it. */
  eventId: string;
  /** Platform id of this message, when it has one. */
  messageId?: string;
  at: Date;
  /** A shared contact: phone, and the platform user it belongs to (if the platform says). */
  contact?: { phone: string; userId?: string };
  /** In groups: the group's name, when the platform gives it. */
  chatTitle?: string;
  /** In groups: the message mentions our bot or replies to one of its messages. */
  addressedToBot?: boolean;
  /** A reaction (emoji) on one of our messages, identified by replyTo. */
  reaction?: string;
  /** Network address the message came from, where the channel is reached directly (web chat). */
  sourceAddress?: string;
}

export interface Choice {
  label: string;
  payload: string;
  /** A link button instead (Telegram: opens the private chat with the bot); shown as "label: url" as text. */
  url?: string;
}

export interface OutboundMessage {
  text: string;
  choices?: Choice[];
  /** Platform message id to reply to. */
  replyTo?: string;
  /** Language of the text, for the numbered-choices fallback. */
  locale?: Locale;
}

export interface ChannelCapabilities {
  buttons: boolean;
  /** Longest text one message may carry. */
  maxLength: number;
  groups: boolean;
}

export interface SendTarget {
  chatId: string;
  chatType: ChatType;
}

export interface SendResult {
  /** Platform ids of the messages sent (several when the text was split). */
  messageIds: string[];
}

export type InboundHandler = (message: InboundMessage) => Promise<void>;

/** One chat platform. Small on purpose: id, capabilities, start, send, stop. */
export interface Channel {
  readonly id: Platform;
  readonly capabilities: ChannelCapabilities;
  /** Starts receiving; each inbound message is passed to `handler`, which stores it before it resolves. */
  start(handler: InboundHandler): Promise<void>;
  /**
   * Sends one message. Throws ChannelSendError describing what the delivery engine should do.
   * `pace`, when given, is awaited right before each request that the platform counts against
   * its flood limits (so the delivery engine's budget sees the moment it really leaves).
   */
  send(target: SendTarget, message: OutboundMessage, pace?: () => Promise<void>): Promise<SendResult>;
  stop(): Promise<void>;
  /**
   * False while this process may not send on the channel (another process holds its lease, see
   * LeasedChannel): the delivery engine then leaves the channel's queue to that process. Absent
   * means always true.
   */
  readonly canSend?: boolean;
  /**
   * Asks the platform whether it answers at all (Telegram: getMe), without sending anything to
   * anyone; rejects when it does not. Used to tell an outage from a failure about one recipient.
   */
  probe?(): Promise<void>;
}

export type SendFailure =
  /** Flood control: wait `retryAfterSeconds`, then try again. */
  | "rate_limited"
  /** The person blocked the bot or the account is gone: stop trying this account. */
  | "unreachable"
  /** Server error, network error, timeout: retry with backoff. */
  | "transient"
  /** The platform refused this message (bad request): retrying will not help. */
  | "permanent";

/** A send that failed, classified for the delivery engine. */
export class ChannelSendError extends Error {
  override readonly name = "ChannelSendError";
  constructor(
    readonly failure: SendFailure,
    message: string,
    readonly options: {
      retryAfterSeconds?: number;
      errorCode?: number;
      cause?: unknown;
      /** What a rate limit applies to: this chat only (default) or every send of the platform. */
      scope?: "chat" | "platform";
    } = {},
  ) {
    super(message, { cause: options.cause });
  }
}

/**
 * Splits text into parts of at most `maxLength` characters, preferring paragraph, line, sentence
 * and word boundaries, never splitting a surrogate pair.
 */
export function splitText(text: string, maxLength: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > maxLength) {
    const window = rest.slice(0, maxLength);
    let cut = -1;
    for (const sep of ["\n\n", "\n", ". ", " "]) {
      const at = window.lastIndexOf(sep);
      if (at >= maxLength * 0.5) {
        cut = at + sep.length;
        break;
      }
    }
    if (cut <= 0) {
      cut = maxLength;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
    }
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length || !parts.length) parts.push(rest);
  return parts.filter((p, i) => p.length > 0 || i === 0);
}

/** The numbered-text form of choices, for platforms without buttons: "Trả lời 1 để Có mặt". */
export function choicesAsText(message: OutboundMessage): string {
  if (!message.choices?.length) return message.text;
  const t = translator(message.locale ?? "vi");
  const numbered = message.choices.filter((c) => !c.url);
  const lines = numbered.map((c, i) => t("chat.choice_line", { n: i + 1, label: c.label }));
  for (const c of message.choices) if (c.url) lines.push(`${c.label}: ${c.url}`);
  return `${message.text}\n\n${lines.join("\n")}`;
}
