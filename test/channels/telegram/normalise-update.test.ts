import { describe, expect, it } from "vitest";
import type { Update, UserFromGetMe } from "grammy/types";
import { normaliseUpdate } from "../../../src/channels/telegram/normalise-update.ts";

const me = {
  id: 999,
  is_bot: true,
  first_name: "Chi Hội",
  username: "chihoi_bot",
  can_join_groups: true,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as UserFromGetMe;
const from = { id: 42, is_bot: false, first_name: "Văn", last_name: "An", language_code: "vi" };
const privateChat = { id: 42, type: "private" as const, first_name: "Văn" };
const group = { id: -100123, type: "supergroup" as const, title: "Chi hội 1" };

function message(extra: Record<string, unknown>, chat: object = privateChat): Update {
  return { update_id: 7, message: { message_id: 5, date: 1_795_000_000, chat, from, ...extra } } as unknown as Update;
}

describe("normaliseUpdate", () => {
  it("should turn a private text message into an InboundMessage", () => {
    const m = normaliseUpdate(message({ text: "có mặt" }), me)!;
    expect(m).toMatchObject({
      platform: "telegram",
      chatId: "42",
      chatType: "private",
      sender: { id: "42", name: "Văn An" },
      kind: "text",
      text: "có mặt",
      eventId: "999:7",
      messageId: "5",
      addressedToBot: true,
    });
    expect(m.at.toISOString()).toBe(new Date(1_795_000_000_000).toISOString());
  });

  it("should keep a callback query's payload and the message it belongs to", () => {
    const update = {
      update_id: 8,
      callback_query: {
        id: "cb1",
        from,
        chat_instance: "x",
        data: "rsvp:3:attend",
        message: { message_id: 77, date: 1, chat: privateChat },
      },
    } as unknown as Update;
    expect(normaliseUpdate(update, me)).toMatchObject({
      kind: "callback",
      payload: "rsvp:3:attend",
      replyTo: "77",
      chatId: "42",
      eventId: "999:8",
    });
  });

  it("should keep a shared contact with the user it belongs to", () => {
    const m = normaliseUpdate(
      message({ contact: { phone_number: "+84912345678", first_name: "An", user_id: 42 } }),
      me,
    )!;
    expect(m).toMatchObject({ kind: "contact", contact: { phone: "+84912345678", userId: "42" } });
    const forged = normaliseUpdate(message({ contact: { phone_number: "+84912345678", first_name: "Bình" } }), me)!;
    expect(forged.contact).toEqual({ phone: "+84912345678", userId: undefined });
  });

  it("should classify stickers, photos, voice and locations", () => {
    expect(normaliseUpdate(message({ sticker: { file_id: "s" } }), me)!.kind).toBe("sticker");
    expect(normaliseUpdate(message({ photo: [{ file_id: "p" }], caption: "ảnh" }), me)).toMatchObject({
      kind: "photo",
      text: "ảnh",
    });
    expect(normaliseUpdate(message({ voice: { file_id: "v" } }), me)!.kind).toBe("voice");
    expect(normaliseUpdate(message({ location: { latitude: 1, longitude: 2 } }), me)!.kind).toBe("location");
    expect(normaliseUpdate(message({ dice: { emoji: "🎲", value: 3 } }), me)!.kind).toBe("unsupported");
  });

  it("should take group messages only when they mention or reply to the bot", () => {
    expect(normaliseUpdate(message({ text: "chào cả nhà" }, group), me)).toBeNull();
    expect(normaliseUpdate(message({ text: "@chihoi_bot có mặt" }, group), me)).toMatchObject({
      chatType: "group",
      text: "có mặt",
      chatId: "-100123",
    });
    const reply = normaliseUpdate(
      message(
        {
          text: "có mặt",
          reply_to_message: {
            message_id: 3,
            date: 1,
            chat: group,
            from: { id: 999, is_bot: true, first_name: "Chi Hội" },
          },
        },
        group,
      ),
      me,
    );
    expect(reply).toMatchObject({ text: "có mặt", replyTo: "3", addressedToBot: true });
    expect(normaliseUpdate(message({ text: "/lich@chihoi_bot" }, group), me)).toMatchObject({ text: "/lich" });
  });

  it("should ignore updates it does not take", () => {
    expect(
      normaliseUpdate(
        { update_id: 9, edited_message: { message_id: 1, date: 1, chat: privateChat, text: "x" } } as unknown as Update,
        me,
      ),
    ).toBeNull();
    expect(
      normaliseUpdate(
        {
          update_id: 10,
          channel_post: { message_id: 1, date: 1, chat: { id: -1, type: "channel", title: "c" }, text: "x" },
        } as unknown as Update,
        me,
      ),
    ).toBeNull();
    expect(normaliseUpdate({ update_id: 11 } as Update, me)).toBeNull();
    expect(
      normaliseUpdate(
        message({ text: "bot" }, privateChat) as Update & { message: { from: { is_bot: boolean } } },
        { ...me, id: 42 } as UserFromGetMe,
      ),
    ).not.toBeNull();
  });
});
