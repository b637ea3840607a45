/**
 * The one rendering rule for long texts in chat: a message longer than the platform allows
 * (Telegram 4,096 characters, Zalo 2,000, …) is shown once, cut at a paragraph, line or word
 * boundary, with a note of how much was cut and, when the message is about something that can be
 * read whole elsewhere (a concern: `chihoi tickets show N`), where. Never several messages.
 */
import { translator, type Locale } from "../lib/i18n.ts";
import { choicesAsText, type ChannelCapabilities, type OutboundMessage } from "./channel.ts";

/** What a message is about (the outbox row's entity), to say where its whole text can be read. */
export interface AboutEntity {
  type: string;
  id: number;
}

/** Room kept for what a channel adds around the text (mentions, its own markers). */
const reserve = 40;

function whereToRead(about: AboutEntity | undefined, locale: Locale): string | undefined {
  if (about?.type === "Ticket") return translator(locale)("delivery.where_ticket", { id: about.id });
  return undefined;
}

/** Cuts `text` to at most `max` characters at a sensible boundary, never inside a surrogate pair. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const window = text.slice(0, max);
  for (const sep of ["\n\n", "\n", ". ", " "]) {
    const at = window.lastIndexOf(sep);
    if (at >= max * 0.8) return window.slice(0, at + (sep === ". " ? 1 : 0)).trimEnd();
  }
  let cut = max;
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
  return text.slice(0, cut);
}

/** The message as it can be shown in one piece on a platform with these capabilities. */
export function fitMessage(
  message: OutboundMessage,
  capabilities: Pick<ChannelCapabilities, "maxLength" | "buttons">,
  about?: AboutEntity,
): OutboundMessage {
  // Platforms without buttons get the choices as numbered lines after the text: keep room for them.
  const extra = capabilities.buttons ? 0 : choicesAsText({ ...message, text: "" }).length;
  const limit = capabilities.maxLength - extra - reserve;
  if (message.text.length <= limit) return message;
  const locale = message.locale ?? "vi";
  const t = translator(locale);
  const where = whereToRead(about, locale);
  const noteFor = (count: number) =>
    where
      ? t("delivery.cut_note_where", { count: count.toLocaleString(locale === "vi" ? "vi-VN" : "en-GB"), where })
      : t("delivery.cut_note", { count: count.toLocaleString(locale === "vi" ? "vi-VN" : "en-GB") });
  // The note's length depends on the count; the longest count bounds it.
  const room = Math.max(0, limit - noteFor(message.text.length).length - 2);
  const kept = cutText(message.text, room);
  return { ...message, text: `${kept}…\n\n${noteFor(message.text.length - kept.length)}` };
}
