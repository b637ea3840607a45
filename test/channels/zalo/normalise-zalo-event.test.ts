import { describe, expect, it } from "vitest";
import {
  interpretZaloEvent,
  normaliseZaloEvent,
  reactionEmoji,
  zca,
  type NormaliseZaloOptions,
} from "../../../src/channels/zalo/normalise-zalo-event.ts";

const ownUid = "100";
const options: NormaliseZaloOptions = {
  self: { uid: ownUid, displayName: "Chi Hội" },
  isGroupAllowed: (id) => id === "g-1",
};

// Fixtures are built with zca-js's own classes, so threadId/isSelf follow its rules.
function tmessage(fields: Record<string, unknown> = {}) {
  return {
    actionId: "1",
    msgId: "7001",
    cliMsgId: "7002",
    msgType: "webchat",
    uidFrom: "200",
    idTo: "0",
    dName: "Nguyễn Văn An",
    ts: "1795000000000",
    status: 1,
    content: "có mặt",
    notify: "1",
    ttl: 0,
    userId: "0",
    uin: "0",
    topOut: "0",
    topOutTimeOut: "0",
    topOutImprTimeOut: "0",
    propertyExt: undefined,
    paramsExt: { countUnread: 1, containType: 0, platformType: 1 },
    cmd: 501,
    st: 3,
    at: 5,
    realMsgId: "0",
    quote: undefined,
    ...fields,
  } as never;
}
const dm = (fields: Record<string, unknown> = {}) => new zca.UserMessage(ownUid, tmessage(fields));
const group = (fields: Record<string, unknown> = {}) =>
  new zca.GroupMessage(ownUid, tmessage({ idTo: "g-1", uidFrom: "201", dName: "Trần Bình", ...fields }));
function reaction(fields: Record<string, unknown> = {}, content: Record<string, unknown> = {}, isGroup = false) {
  const data = {
    actionId: "1",
    msgId: "8001",
    cliMsgId: "8002",
    msgType: "reaction",
    uidFrom: "200",
    idTo: isGroup ? "g-1" : "0",
    dName: "An",
    content: {
      rMsg: [{ gMsgID: "9001", cMsgID: "9002", msgType: 1 }],
      rIcon: "/-strong",
      rType: 3,
      source: 6,
      ...content,
    },
    ts: "1795000000000",
    ttl: 0,
    ...fields,
  };
  return new zca.Reaction(ownUid, data as never, isGroup);
}

describe("normaliseZaloEvent", () => {
  it("should turn a direct text message into an InboundMessage", async () => {
    const m = (await normaliseZaloEvent(dm(), options))!;
    expect(m).toEqual({
      platform: "zalo",
      account: ownUid,
      chatId: "200",
      chatType: "private",
      sender: { id: "200", name: "Nguyễn Văn An" },
      kind: "text",
      text: "có mặt",
      replyTo: undefined,
      eventId: "7001",
      messageId: "7001",
      addressedToBot: true,
      at: new Date(1_795_000_000_000),
    });
  });

  it("should keep the quoted message as replyTo", async () => {
    const m = (await normaliseZaloEvent(
      dm({
        quote: {
          ownerId: 100,
          cliMsgId: 1,
          globalMsgId: 6_000_123,
          cliMsgType: 1,
          ts: 1,
          msg: "Họp 19:30",
          attach: "",
          fromD: "Chi Hội",
          ttl: 0,
        },
      }),
      options,
    ))!;
    expect(m.replyTo).toBe("6000123");
  });

  it("should skip our own messages and recalled messages", async () => {
    expect(await interpretZaloEvent(dm({ uidFrom: "0", idTo: "200" }), options)).toEqual({
      skip: "self",
      chatId: "200",
    });
    const undo = new zca.Undo(
      ownUid,
      tmessage({ content: { globalMsgId: 7001, cliMsgId: 7002, deleteMsg: 1, srcId: 200, destId: 100 } }),
      false,
    );
    expect(await interpretZaloEvent(undo, options)).toEqual({ skip: "undo", chatId: "200" });
    // A recall that came back through history as a plain UserMessage.
    expect(
      await normaliseZaloEvent(
        dm({ content: { globalMsgId: 1, cliMsgId: 2, deleteMsg: 1, srcId: 1, destId: 2 } }),
        options,
      ),
    ).toBeNull();
  });

  it("should classify attachments by msgType without crashing on object content", async () => {
    const kind = (msgType: string, content: unknown) => normaliseZaloEvent(dm({ msgType, content }), options);
    expect(
      await kind("chat.photo", {
        title: "ảnh họp",
        href: "https://x/p.jpg",
        thumb: "",
        description: "",
        childnumber: 0,
        action: "",
        params: "",
        type: "",
      }),
    ).toMatchObject({ kind: "photo", text: "ảnh họp" });
    expect(await kind("chat.photo", { href: "https://x/p.jpg" })).toMatchObject({ kind: "photo", text: undefined });
    expect((await kind("chat.sticker", { id: 1, catId: 2, type: 7 }))!.kind).toBe("sticker");
    expect((await kind("chat.voice", { href: "https://x/v.aac", params: "{}" }))!.kind).toBe("voice");
    expect((await kind("chat.video.msg", { href: "https://x/v.mp4" }))!.kind).toBe("video");
    expect((await kind("share.file", { title: "bao-cao.pdf" }))!.kind).toBe("document");
    expect((await kind("chat.location.new", { lat: 21, lng: 105 }))!.kind).toBe("location");
    expect(
      await kind("chat.recommended", { action: "recommened.link", title: "xem https://x.vn", href: "https://x.vn" }),
    ).toMatchObject({ kind: "text", text: "xem https://x.vn" });
    expect((await kind("webchat", { unexpected: { nested: true } }))!.kind).toBe("unsupported");
    expect((await kind("chat.todo", null))!.kind).toBe("unsupported");
    expect((await kind("group.poll", 42))!.kind).toBe("unsupported");
  });

  it("should skip events with missing fields and never throw on junk", async () => {
    expect(await interpretZaloEvent(dm({ msgId: undefined }), options)).toMatchObject({ skip: "malformed" });
    expect(await interpretZaloEvent(dm({ msgId: "" }), options)).toMatchObject({ skip: "malformed" });
    expect(
      await interpretZaloEvent({ type: 0, threadId: "200", isSelf: false, data: { msgId: "1" } }, options),
    ).toMatchObject({ skip: "malformed" });
    for (const junk of [
      null,
      undefined,
      42,
      "text",
      [],
      {},
      { type: 0 },
      { type: 1, data: null },
      { isGroup: true, data: { content: "not json" } },
    ])
      expect(await normaliseZaloEvent(junk, options)).toBeNull();
    // A missing timestamp falls back to now; a missing name to none.
    const m = (await normaliseZaloEvent(dm({ ts: undefined, dName: undefined }), options))!;
    expect(m.sender.name).toBeUndefined();
    expect(Math.abs(m.at.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("should read big-number ids as their digits", async () => {
    const big = { toString: () => "7390123456789012345678" };
    expect((await normaliseZaloEvent(dm({ msgId: big }), options))!.eventId).toBe("7390123456789012345678");
  });

  it("should take group messages only from allowed groups and only when addressed to the account", async () => {
    expect(await interpretZaloEvent(group({ content: "chào cả nhà" }), options)).toEqual({
      skip: "group_not_addressed",
      chatId: "g-1",
    });
    expect(
      await interpretZaloEvent(
        group({ idTo: "g-2", content: "@Chi Hội có mặt", mentions: [{ uid: ownUid, pos: 0, len: 8, type: 0 }] }),
        options,
      ),
    ).toEqual({ skip: "group_not_allowed", chatId: "g-2" });

    const mentioned = (await normaliseZaloEvent(
      group({ content: "@Chi Hội có mặt ạ", mentions: [{ uid: ownUid, pos: 0, len: 8, type: 0 }] }),
      options,
    ))!;
    expect(mentioned).toMatchObject({
      chatId: "g-1",
      chatType: "group",
      text: "có mặt ạ",
      addressedToBot: true,
      sender: { id: "201", name: "Trần Bình" },
    });

    const otherMention = group({ content: "@Lan có mặt", mentions: [{ uid: "555", pos: 0, len: 4, type: 0 }] });
    expect(await normaliseZaloEvent(otherMention, options)).toBeNull();

    const quoting = (await normaliseZaloEvent(
      group({
        content: "có mặt",
        quote: {
          ownerId: ownUid,
          cliMsgId: 1,
          globalMsgId: 6001,
          cliMsgType: 1,
          ts: 1,
          msg: "Họp",
          attach: "",
          fromD: "",
          ttl: 0,
        },
      }),
      options,
    ))!;
    expect(quoting).toMatchObject({ text: "có mặt", replyTo: "6001", addressedToBot: true });
    const quotingSomeoneElse = group({
      content: "đồng ý",
      quote: {
        ownerId: "555",
        cliMsgId: 1,
        globalMsgId: 6002,
        cliMsgType: 1,
        ts: 1,
        msg: "x",
        attach: "",
        fromD: "",
        ttl: 0,
      },
    });
    expect(await normaliseZaloEvent(quotingSomeoneElse, options)).toBeNull();

    // Our name typed by hand, without a real mention.
    expect(await normaliseZaloEvent(group({ content: "@chi hội cho hỏi lịch" }), options)).toMatchObject({
      text: "cho hỏi lịch",
      addressedToBot: true,
    });
    // A sticker that quotes our message is still taken, as a sticker.
    const sticker = group({
      msgType: "chat.sticker",
      content: { id: 1 },
      quote: {
        ownerId: ownUid,
        cliMsgId: 1,
        globalMsgId: 6003,
        cliMsgType: 1,
        ts: 1,
        msg: "",
        attach: "",
        fromD: "",
        ttl: 0,
      },
    });
    expect(await normaliseZaloEvent(sticker, options)).toMatchObject({ kind: "sticker", replyTo: "6003" });
  });

  it("should turn a 👍 reaction into a reaction on the reacted message", async () => {
    expect(await normaliseZaloEvent(reaction(), options)).toMatchObject({
      kind: "reaction",
      reaction: "👍",
      replyTo: "9001",
      eventId: "react:8001",
      chatId: "200",
      chatType: "private",
      sender: { id: "200" },
    });
    expect((await normaliseZaloEvent(reaction({}, { rIcon: "/-heart" }), options))!.reaction).toBe("❤️");
    expect((await normaliseZaloEvent(reaction({}, { rIcon: "/-custom" }), options))!.reaction).toBe("/-custom");
    expect(reactionEmoji("/-strong")).toBe("👍");
  });

  it("should skip removed reactions, our own, and broken ones", async () => {
    expect(await interpretZaloEvent(reaction({}, { rIcon: "", rType: -1 }), options)).toMatchObject({
      skip: "reaction_removed",
    });
    expect(await interpretZaloEvent(reaction({ uidFrom: "0", idTo: "200" }), options)).toMatchObject({ skip: "self" });
    expect(await interpretZaloEvent(reaction({}, { rMsg: [] }), options)).toMatchObject({ skip: "malformed" });
    expect(await interpretZaloEvent(reaction({}, { rMsg: "x" }), options)).toMatchObject({ skip: "malformed" });
  });

  it("should read a reaction whose content is still a JSON string (history)", async () => {
    const r = reaction();
    (r.data as unknown as { content: string }).content = JSON.stringify(r.data.content);
    expect(await normaliseZaloEvent(r, options)).toMatchObject({ kind: "reaction", reaction: "👍", replyTo: "9001" });
  });

  it("should take group reactions only in allowed groups and, when told, only on our messages", async () => {
    expect(await normaliseZaloEvent(reaction({}, {}, true), options)).toMatchObject({
      chatId: "g-1",
      chatType: "group",
      kind: "reaction",
    });
    expect(await normaliseZaloEvent(reaction({ idTo: "g-2" }, {}, true), options)).toBeNull();
    const ours = { ...options, isOwnMessage: (_chat: string, msgId: string) => msgId === "9001" };
    expect(await normaliseZaloEvent(reaction({}, {}, true), ours)).not.toBeNull();
    expect(
      await normaliseZaloEvent(reaction({}, { rMsg: [{ gMsgID: "4444", cMsgID: "1", msgType: 1 }] }, true), ours),
    ).toBeNull();
  });
});
