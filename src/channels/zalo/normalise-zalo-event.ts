/**
 * Turns a zca-js listener event (UserMessage, GroupMessage, Reaction, Undo) into our
 * InboundMessage, or says why it is skipped: our own messages, recalls, groups an admin has not
 * allowed, group chatter not addressed to the account, removed reactions, and events too broken to
 * identify (no message id, no sender). Nothing here throws on odd input: object content, missing
 * fields, a reaction whose content is still a JSON string (history), or big-number ids.
 *
 * Also the one bridge to zca-js's types: its package declares `export * from "./dist"`, which
 * NodeNext resolution cannot follow, so values come from the runtime module and types from the
 * declaration files by path (type-only, erased at run time).
 */
import * as zcaRuntime from "zca-js";
import type * as Zca from "../../../node_modules/zca-js/dist/index.js";
import type { InboundKind, InboundMessage } from "../channel.ts";

/** zca-js's exports, typed (see the file comment). */
export const zca = zcaRuntime as unknown as typeof Zca;
export type {
  API as ZcaApi,
  Credentials as ZcaCredentials,
  GroupMessage,
  Message as ZcaMessage,
  MessageContent,
  Reaction,
  SendMessageQuote,
  TMessage,
  UserMessage,
  Undo,
} from "../../../node_modules/zca-js/dist/index.js";

/** A listener event this module understands. */
export type ZaloEvent = Zca.UserMessage | Zca.GroupMessage | Zca.Reaction | Zca.Undo;

export interface ZaloSelf {
  /** Our account's uid (api.getOwnId()). */
  uid: string;
  /** Our display name, to recognise "@Name" typed without a real mention. */
  displayName?: string;
}

export interface NormaliseZaloOptions {
  self: ZaloSelf;
  /** True when an admin allowed this group (ChatGroup.allowed). */
  isGroupAllowed: (groupId: string) => boolean | Promise<boolean>;
  /** For group reactions: true when `msgId` is a message we sent. Without it, every reaction passes. */
  isOwnMessage?: (chatId: string, msgId: string) => boolean | Promise<boolean>;
}

export type ZaloSkipReason =
  | "malformed"
  | "self"
  | "undo"
  | "group_not_allowed"
  | "group_not_addressed"
  | "reaction_removed"
  | "unknown_event";

export type ZaloInterpretation = { message: InboundMessage } | { skip: ZaloSkipReason; chatId?: string };

/** zca-js reaction codes → emoji. Codes not listed are kept as they are. */
export const zaloReactionEmoji: Readonly<Record<string, string>> = {
  "/-strong": "👍",
  "/-weak": "👎",
  "/-heart": "❤️",
  "/-break": "💔",
  "/-ok": "👌",
  "/-v": "✌️",
  "_()_": "🙏",
  "/-rose": "🌹",
  "/-thanks": "🙏",
  "/-li": "☀️",
  "/-bd": "🎂",
  "/-beer": "🍺",
  "/-punch": "👊",
  "/-no": "🙅",
  ":>": "😆",
  ":o": "😮",
  ":-((": "😢",
  ":-h": "😡",
  ":-*": "😘",
  ":')": "😂",
  ":handclap": "👏",
};

/** The emoji for a zca-js reaction code, or the code itself. */
export function reactionEmoji(icon: string): string {
  return zaloReactionEmoji[icon] ?? icon;
}

const kindByMsgType: Readonly<Record<string, InboundKind>> = {
  "chat.photo": "photo",
  "chat.doodle": "photo",
  "chat.sticker": "sticker",
  "chat.gif": "video",
  "chat.voice": "voice",
  "chat.video.msg": "video",
  "share.file": "document",
  "chat.location.new": "location",
};

type Loose = Record<string, unknown>;

function isObject(value: unknown): value is Loose {
  return typeof value === "object" && value !== null;
}

/** An id as a string: zca-js gives strings, numbers, or json-bigint objects for big ones. */
function idOf(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() ? value.trim() : undefined;
  if (typeof value === "number") return Number.isFinite(value) && value !== 0 ? String(value) : undefined;
  if (typeof value === "bigint") return String(value);
  if (isObject(value)) {
    const s = String(value);
    return /^\d+$/.test(s) && s !== "0" ? s : undefined;
  }
  return undefined;
}

function timeOf(value: unknown): Date {
  const ms = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
  return Number.isFinite(ms) && ms > 0 ? new Date(ms) : new Date();
}

function nameOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const name = value.trim();
  return name ? name.slice(0, 100) : undefined;
}

function fold(text: string): string {
  return text.normalize("NFC").toLocaleLowerCase("vi");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Kind and text of a message's content. */
function contentOf(data: Loose): { kind: InboundKind; text?: string } {
  const content = data.content;
  const msgType = typeof data.msgType === "string" ? data.msgType : "";
  if (typeof content === "string") return { kind: "text", text: content };
  const c = isObject(content) ? content : {};
  // A message with a link is a text message with a preview: its text is in `title`.
  if (msgType === "chat.recommended" || msgType === "chat.link") {
    const action = typeof c.action === "string" ? c.action : "";
    if (msgType === "chat.link" || action.includes("link")) {
      const text =
        typeof c.title === "string" && c.title.trim() ? c.title : typeof c.href === "string" ? c.href : undefined;
      if (text) return { kind: "text", text };
    }
    return { kind: "unsupported" };
  }
  const kind = kindByMsgType[msgType] ?? "unsupported";
  // A photo's caption is its title.
  if (kind === "photo" && typeof c.title === "string" && c.title.trim()) return { kind, text: c.title };
  return { kind };
}

interface Mention {
  uid: string;
  pos: number;
  len: number;
}

function mentionsOf(data: Loose): Mention[] {
  if (!Array.isArray(data.mentions)) return [];
  const out: Mention[] = [];
  for (const m of data.mentions) {
    if (!isObject(m)) continue;
    const uid = idOf(m.uid) ?? (m.uid === "-1" || m.uid === -1 ? "-1" : undefined);
    const pos = Number(m.pos);
    const len = Number(m.len);
    if (uid && Number.isInteger(pos) && Number.isInteger(len) && pos >= 0 && len > 0) out.push({ uid, pos, len });
  }
  return out;
}

/** Removes the mentions of our account from a group message's text. */
function stripOwnMentions(text: string, mentions: Mention[], self: ZaloSelf): string {
  let out = text;
  for (const m of [...mentions].filter((x) => x.uid === self.uid).sort((a, b) => b.pos - a.pos)) {
    if (m.pos + m.len <= out.length) out = out.slice(0, m.pos) + out.slice(m.pos + m.len);
  }
  if (self.displayName) out = out.replace(new RegExp(`@${escapeRegExp(self.displayName.normalize("NFC"))}`, "giu"), "");
  return out.replace(/[ \t]+/g, " ").replace(/^\s+|\s+$/g, "");
}

function kindOfEvent(event: Loose): "message" | "reaction" | "undo" | null {
  const data = event.data;
  if (!isObject(data)) return null;
  if (typeof event.isGroup === "boolean") {
    let content = data.content;
    if (typeof content === "string") {
      try {
        content = JSON.parse(content);
      } catch {
        /* not JSON: not a reaction */
      }
    }
    if (isObject(content) && "deleteMsg" in content) return "undo";
    if (isObject(content) && ("rIcon" in content || "rMsg" in content)) return "reaction";
    return null;
  }
  if (event.type === 0 || event.type === 1) {
    if (isObject(data.content) && "deleteMsg" in data.content) return "undo";
    return "message";
  }
  return null;
}

/**
 * Interprets one listener event: the InboundMessage to handle, or why it is skipped. Never throws.
 */
export async function interpretZaloEvent(event: unknown, options: NormaliseZaloOptions): Promise<ZaloInterpretation> {
  if (!isObject(event)) return { skip: "malformed" };
  const kind = kindOfEvent(event);
  if (!kind) return { skip: isObject(event.data) ? "unknown_event" : "malformed" };
  const data = event.data as Loose;
  const isGroup = kind === "message" ? event.type === 1 : event.isGroup === true;
  const chatId = idOf(event.threadId);
  if (event.isSelf === true) return { skip: "self", chatId };
  if (kind === "undo") return { skip: "undo", chatId };

  const msgId = idOf(data.msgId);
  const senderId = idOf(data.uidFrom);
  if (!chatId || !msgId || !senderId) return { skip: "malformed", chatId };
  if (senderId === options.self.uid) return { skip: "self", chatId };
  if (isGroup && !(await options.isGroupAllowed(chatId))) return { skip: "group_not_allowed", chatId };

  const base = {
    platform: "zalo" as const,
    account: options.self.uid,
    chatId,
    chatType: isGroup ? ("group" as const) : ("private" as const),
    sender: { id: senderId, name: nameOf(data.dName) },
    at: timeOf(data.ts),
  };

  if (kind === "reaction") {
    let content: unknown = data.content;
    if (typeof content === "string") {
      try {
        content = JSON.parse(content);
      } catch {
        return { skip: "malformed", chatId };
      }
    }
    if (!isObject(content)) return { skip: "malformed", chatId };
    const icon = typeof content.rIcon === "string" ? content.rIcon : "";
    if (!icon || Number(content.rType) === -1) return { skip: "reaction_removed", chatId };
    const target = Array.isArray(content.rMsg) && isObject(content.rMsg[0]) ? idOf(content.rMsg[0].gMsgID) : undefined;
    if (!target) return { skip: "malformed", chatId };
    if (isGroup && options.isOwnMessage && !(await options.isOwnMessage(chatId, target)))
      return { skip: "group_not_addressed", chatId };
    return {
      message: {
        ...base,
        kind: "reaction",
        reaction: reactionEmoji(icon),
        replyTo: target,
        eventId: `react:${msgId}`,
        messageId: msgId,
        addressedToBot: true,
      },
    };
  }

  const quote = isObject(data.quote) ? data.quote : undefined;
  const replyTo = quote ? idOf(quote.globalMsgId) : undefined;
  const content = contentOf(data);
  const messageKind = content.kind;
  let text = content.text;
  let addressed = true;
  if (isGroup) {
    const mentions = mentionsOf(data);
    const mentioned = mentions.some((m) => m.uid === options.self.uid);
    const quotesUs = quote !== undefined && idOf(quote.ownerId) === options.self.uid;
    const named = Boolean(
      options.self.displayName && text !== undefined && fold(text).includes(fold(`@${options.self.displayName}`)),
    );
    addressed = mentioned || quotesUs || named;
    if (!addressed) return { skip: "group_not_addressed", chatId };
    if (text !== undefined && messageKind === "text") text = stripOwnMentions(text, mentions, options.self);
  }
  return {
    message: {
      ...base,
      kind: messageKind,
      text,
      replyTo,
      eventId: msgId,
      messageId: msgId,
      addressedToBot: addressed,
    },
  };
}

/** The InboundMessage for a listener event, or null when it is skipped (see interpretZaloEvent). */
export async function normaliseZaloEvent(
  event: ZaloEvent | unknown,
  options: NormaliseZaloOptions,
): Promise<InboundMessage | null> {
  const result = await interpretZaloEvent(event, options);
  return "message" in result ? result.message : null;
}
