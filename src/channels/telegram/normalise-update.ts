/**
 * Turns a Telegram update into our InboundMessage, or null for updates we do not take (channel
 * posts, edits, group chatter not addressed to the bot, unknown update types).
 */
import type { Update, UserFromGetMe, Message } from "grammy/types";
import type { InboundKind, InboundMessage } from "../channel.ts";

function kindOf(message: Message): InboundKind {
  if (message.text !== undefined) return "text";
  if (message.contact) return "contact";
  if (message.sticker) return "sticker";
  if (message.photo) return "photo";
  if (message.voice || message.audio) return "voice";
  if (message.video || message.video_note || message.animation) return "video";
  if (message.document) return "document";
  if (message.location || message.venue) return "location";
  return "unsupported";
}

function displayName(user: { first_name?: string; last_name?: string } | undefined): string | undefined {
  if (!user) return undefined;
  const name = [user.first_name, user.last_name].filter(Boolean).join(" ").trim();
  return name ? name.slice(0, 100) : undefined;
}

/** In a group: the message replies to the bot, mentions it, or is a command addressed to it. */
function isAddressedToBot(message: Message, me: UserFromGetMe): boolean {
  if (message.reply_to_message?.from?.id === me.id) return true;
  const text = message.text ?? message.caption ?? "";
  const mention = `@${me.username}`.toLowerCase();
  if (text.toLowerCase().includes(mention)) return true;
  for (const e of message.entities ?? []) if (e.type === "text_mention" && e.user.id === me.id) return true;
  return false;
}

function stripMention(text: string, me: UserFromGetMe): string {
  const re = new RegExp(`@${me.username.replace(/[^A-Za-z0-9_]/g, "")}\\b`, "gi");
  return text.replace(re, "").replace(/\s+/g, " ").trim();
}

export function normaliseUpdate(update: Update, me: UserFromGetMe): InboundMessage | null {
  const eventId = `${me.id}:${update.update_id}`;
  if (update.callback_query) {
    const q = update.callback_query;
    const chat = q.message?.chat;
    if (!chat || !q.data) return null;
    return {
      platform: "telegram",
      account: me.username,
      chatId: String(chat.id),
      chatType: chat.type === "private" ? "private" : "group",
      sender: { id: String(q.from.id), name: displayName(q.from) },
      kind: "callback",
      payload: q.data.slice(0, 64),
      replyTo: q.message ? String(q.message.message_id) : undefined,
      eventId,
      at: new Date(),
      addressedToBot: true,
      ...(q.from.language_code ? { languageCode: q.from.language_code } : {}),
    } as InboundMessage;
  }
  const message = update.message;
  if (!message?.from || message.from.is_bot) return null;
  const chatType: "private" | "group" = message.chat.type === "private" ? "private" : "group";
  const addressed = chatType === "private" || isAddressedToBot(message, me);
  if (!addressed) return null;
  const kind = kindOf(message);
  let text = message.text ?? message.caption;
  if (text !== undefined && chatType === "group") text = stripMention(text, me);
  return {
    platform: "telegram",
    account: me.username,
    chatId: String(message.chat.id),
    chatType,
    ...(chatType === "group" && "title" in message.chat && message.chat.title
      ? { chatTitle: message.chat.title.slice(0, 200) }
      : {}),
    sender: { id: String(message.from.id), name: displayName(message.from) },
    kind,
    text,
    replyTo: message.reply_to_message ? String(message.reply_to_message.message_id) : undefined,
    eventId,
    messageId: String(message.message_id),
    at: new Date(message.date * 1000),
    contact: message.contact
      ? {
          phone: message.contact.phone_number,
          userId: message.contact.user_id !== undefined ? String(message.contact.user_id) : undefined,
        }
      : undefined,
    addressedToBot: addressed,
    ...(message.from.language_code ? { languageCode: message.from.language_code } : {}),
  } as InboundMessage;
}
