import { describe, expect, it } from "vitest";
import {
  normaliseZaloBotUpdate,
  unwrapZaloBotUpdate,
} from "../../../src/channels/zalo-bot/normalise-zalo-bot-update.ts";

const account = "1234567890";
const fixedNow = new Date("2026-12-05T12:30:00.000Z");
const now = () => fixedNow;
const normalise = (body: unknown) => normaliseZaloBotUpdate(body, { account, now });

/** The official sample (notes/zalo.md §2.3). */
const sampleMessage = {
  from: { id: "6ede9afa66b88fe6d6a9", display_name: "Ted", is_bot: false },
  chat: { id: "6ede9afa66b88fe6d6a9", chat_type: "PRIVATE" },
  text: "Xin chào",
  message_id: "2d758cb5e222177a4e35",
  date: 1750316131602,
};

function bare(eventName: string, message: Record<string, unknown>) {
  return { event_name: eventName, message };
}

describe("normaliseZaloBotUpdate", () => {
  it("should turn the documented enveloped text update into an InboundMessage", () => {
    const m = normalise({ ok: true, result: bare("message.text.received", sampleMessage) });
    expect(m).toEqual({
      platform: "zalo_bot",
      account,
      chatId: "6ede9afa66b88fe6d6a9",
      chatType: "private",
      sender: { id: "6ede9afa66b88fe6d6a9", name: "Ted" },
      kind: "text",
      text: "Xin chào",
      eventId: "6ede9afa66b88fe6d6a9:2d758cb5e222177a4e35",
      messageId: "2d758cb5e222177a4e35",
      at: new Date(1750316131602),
      addressedToBot: true,
    });
  });

  it("should read the bare form exactly like the enveloped one", () => {
    const enveloped = normalise({ ok: true, result: bare("message.text.received", sampleMessage) });
    const plain = normalise(bare("message.text.received", sampleMessage));
    expect(plain).toEqual(enveloped);
  });

  it("should give the same eventId every time the same message is delivered", () => {
    const a = normalise(bare("message.text.received", sampleMessage))!;
    const b = normalise(
      JSON.parse(JSON.stringify({ ok: true, result: bare("message.text.received", sampleMessage) })),
    )!;
    expect(a.eventId).toBe(b.eventId);
    const other = normalise(bare("message.text.received", { ...sampleMessage, message_id: "ffff" }))!;
    expect(other.eventId).not.toBe(a.eventId);
  });

  it("should turn an image into a photo with its caption, whether the field is photo or photo_url", () => {
    const withPhoto = normalise(
      bare("message.image.received", {
        ...sampleMessage,
        text: undefined,
        photo: "https://x.invalid/a.jpg",
        caption: "biên bản họp",
      }),
    );
    const withPhotoUrl = normalise(
      bare("message.image.received", { ...sampleMessage, text: undefined, photo_url: "https://x.invalid/a.jpg" }),
    );
    expect(withPhoto).toMatchObject({ kind: "photo", text: "biên bản họp" });
    expect(withPhotoUrl).toMatchObject({ kind: "photo", text: undefined });
    const { event_name: _e, ...noEvent } = bare("message.image.received", {
      ...sampleMessage,
      text: undefined,
      photo_url: "https://x.invalid/a.jpg",
    });
    expect(normalise(noEvent)!.kind).toBe("photo");
  });

  it("should classify stickers, voice and the protected-user unsupported event", () => {
    const { text: _t, ...noText } = sampleMessage;
    expect(normalise(bare("message.sticker.received", { ...noText, sticker: "abc" }))).toMatchObject({
      kind: "sticker",
      text: undefined,
    });
    expect(
      normalise(bare("message.voice.received", { ...noText, voice_url: "https://x.invalid/v.aac" })),
    ).toMatchObject({ kind: "voice", text: undefined });
    expect(normalise(bare("message.unsupported.received", noText))).toMatchObject({
      kind: "unsupported",
      chatId: sampleMessage.chat.id,
      text: undefined,
    });
  });

  it("should read dates in seconds and in milliseconds as the same instant", () => {
    const ms = normalise(bare("message.text.received", { ...sampleMessage, date: 1_750_316_131_000 }))!;
    const s = normalise(bare("message.text.received", { ...sampleMessage, date: 1_750_316_131 }))!;
    const str = normalise(bare("message.text.received", { ...sampleMessage, date: "1750316131" }))!;
    expect(ms.at.toISOString()).toBe("2025-06-19T06:55:31.000Z");
    expect(s.at.toISOString()).toBe("2025-06-19T06:55:31.000Z");
    expect(str.at.toISOString()).toBe("2025-06-19T06:55:31.000Z");
  });

  it("should fall back to the clock for a missing or nonsensical date", () => {
    for (const date of [undefined, "yesterday", -5, { at: 1 }, Number.NaN]) {
      expect(normalise(bare("message.text.received", { ...sampleMessage, date }))!.at).toBe(fixedNow);
    }
  });

  it("should turn an unknown event type with a chat and a sender into an unsupported message", () => {
    const m = normalise(bare("message.location.received", { ...sampleMessage, text: undefined, location: { lat: 1 } }));
    expect(m).toMatchObject({
      kind: "unsupported",
      chatId: "6ede9afa66b88fe6d6a9",
      sender: { id: "6ede9afa66b88fe6d6a9" },
      text: undefined,
    });
  });

  it("should refuse an unknown event type without a chat or a sender", () => {
    expect(normalise(bare("user.follow", { from: { id: "u1" } }))).toBeNull();
    expect(normalise(bare("user.follow", { chat: { id: "u1" } }))).toBeNull();
    expect(normalise({ event_name: "bot.added" })).toBeNull();
  });

  it("should take display_name, else name, and leave out a blank name", () => {
    expect(
      normalise(bare("message.text.received", { ...sampleMessage, from: { id: "u1", name: "Bình" } }))!.sender,
    ).toEqual({ id: "u1", name: "Bình" });
    expect(
      normalise(bare("message.text.received", { ...sampleMessage, from: { id: "u1", display_name: "  ", name: 5 } }))!
        .sender,
    ).toEqual({ id: "u1" });
    expect(
      normalise(bare("message.text.received", { ...sampleMessage, from: { id: 42, display_name: { first: "x" } } }))!
        .sender,
    ).toEqual({ id: "42" });
  });

  it("should read the sender's name from first_name (and last_name) when there is no display name", () => {
    expect(
      normalise(bare("message.text.received", { ...sampleMessage, from: { id: "u1", first_name: "Bình" } }))!.sender,
    ).toEqual({ id: "u1", name: "Bình" });
    expect(
      normalise(
        bare("message.text.received", { ...sampleMessage, from: { id: "u1", first_name: " Lê ", last_name: "Bình" } }),
      )!.sender,
    ).toEqual({ id: "u1", name: "Lê Bình" });
    expect(
      normalise(
        bare("message.text.received", {
          ...sampleMessage,
          from: { id: "u1", display_name: "Ted", first_name: "Bình" },
        }),
      )!.sender,
    ).toEqual({ id: "u1", name: "Ted" });
  });

  it("should treat a link message as text carrying the link", () => {
    const link = "https://hoi.example.vn/lich-hop";
    const only = normalise(bare("message.link.received", { ...sampleMessage, text: undefined, url: link }))!;
    expect(only).toMatchObject({ kind: "text", text: link });
    const said = normalise(bare("message.link.received", { ...sampleMessage, text: "Lịch họp đây", url: link }))!;
    expect(said).toMatchObject({ kind: "text", text: `Lịch họp đây\n${link}` });
    // The link already in the text is not repeated; a bare body with only a url is a link too.
    expect(normalise(bare("message.link.received", { ...sampleMessage, text: `xem ${link}`, url: link }))!.text).toBe(
      `xem ${link}`,
    );
    expect(normalise({ message: { ...sampleMessage, text: undefined, url: link } })).toMatchObject({
      kind: "text",
      text: link,
    });
    // A link event with nothing to read is unsupported, not empty text.
    expect(normalise(bare("message.link.received", { ...sampleMessage, text: undefined }))!.kind).toBe("unsupported");
  });

  it("should take an unsupported message that carries no message object, so the member gets an answer", () => {
    const m = normalise({
      ok: true,
      result: {
        event_name: "message.unsupported.received",
        from: { id: "u7", display_name: "Bé Na" },
        chat: { id: "u7", chat_type: "PRIVATE" },
        message_id: "m-77",
        date: 1750316131,
      },
    });
    expect(m).toMatchObject({
      kind: "unsupported",
      chatId: "u7",
      chatType: "private",
      sender: { id: "u7", name: "Bé Na" },
      eventId: "u7:m-77",
      at: new Date(1750316131000),
    });
    // Only a sender: the private chat with them.
    expect(normalise({ event_name: "message.unsupported.received", sender: { id: "u8" } })).toMatchObject({
      kind: "unsupported",
      chatId: "u8",
      sender: { id: "u8" },
    });
    expect(normalise({ event_name: "message.unsupported.received" })).toBeNull();
  });

  it("should map GROUP to a group chat that is not addressed to the bot", () => {
    const m = normalise(bare("message.text.received", { ...sampleMessage, chat: { id: "g1", chat_type: "GROUP" } }))!;
    expect(m).toMatchObject({ chatId: "g1", chatType: "group", addressedToBot: false });
  });

  it("should make a text event whose text is an object unsupported, never throw", () => {
    const m = normalise(bare("message.text.received", { ...sampleMessage, text: { body: "có mặt" } }));
    expect(m).toMatchObject({ kind: "unsupported", text: undefined });
    expect(normalise(bare("message.image.received", { ...sampleMessage, caption: ["x"] }))).toMatchObject({
      kind: "photo",
      text: undefined,
    });
  });

  it("should ignore messages from bots", () => {
    expect(
      normalise(bare("message.text.received", { ...sampleMessage, from: { ...sampleMessage.from, is_bot: true } })),
    ).toBeNull();
  });

  it("should return null for garbage, failed envelopes and wrong types, never throw", () => {
    const garbage: unknown[] = [
      null,
      undefined,
      42,
      "text",
      [],
      [bare("message.text.received", sampleMessage)],
      {},
      { ok: false, error_code: 408, description: "timeout" },
      { ok: true },
      { ok: true, result: "x" },
      { result: bare("message.text.received", sampleMessage) },
      { event_name: "message.text.received", message: "hello" },
      { event_name: "message.text.received", message: { ...sampleMessage, from: "u1" } },
      { event_name: "message.text.received", message: { ...sampleMessage, chat: { id: {} } } },
      { event_name: "message.text.received", message: { ...sampleMessage, from: { id: "" } } },
      { event_name: 12, message: null },
    ];
    for (const body of garbage) expect(normalise(body)).toBeNull();
  });

  it("should still give a stable eventId to a message without a message_id", () => {
    const { message_id: _m, ...noId } = sampleMessage;
    const a = normalise(bare("message.text.received", noId))!;
    const b = normalise({ ok: true, result: bare("message.text.received", noId) })!;
    expect(a.eventId).toMatch(/^h:[0-9a-f]{32}$/);
    expect(b.eventId).toBe(a.eventId);
    expect(a.messageId).toBeUndefined();
    expect(normalise(bare("message.text.received", { ...noId, text: "khác" }))!.eventId).not.toBe(a.eventId);
  });
});

describe("unwrapZaloBotUpdate", () => {
  it("should unwrap an ok envelope and pass a bare update through", () => {
    const update = bare("message.text.received", sampleMessage);
    expect(unwrapZaloBotUpdate({ ok: true, result: update })).toBe(update);
    expect(unwrapZaloBotUpdate(update)).toBe(update);
    expect(unwrapZaloBotUpdate({ ok: false, result: update })).toBeNull();
  });
});
