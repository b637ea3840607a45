/**
 * ZaloChannel's inbound path (error boundary, dedupe, history cutoff) and its sends, driving the
 * real zca-js `API` and `Listener` against the fake Zalo: nothing logs in to Zalo.
 */
import { describe, expect, it, vi } from "vitest";
import type { InboundMessage } from "../../../src/channels/channel.ts";
import { mentionAllPrefix, withMentionAll } from "../../../src/channels/zalo/zalo-channel.ts";
import { saveCredentials, writeZaloStatus } from "../../../src/channels/zalo/credential-store.ts";
import { rawMessage } from "../../fakes/zalo-ws-server.ts";
import {
  captureLogger,
  creds,
  db,
  eventually,
  key,
  makeChannel,
  online,
  realApi,
  sentTexts,
  server,
  timing,
  useZaloChannelHarness,
} from "../../helpers/zalo-channel-harness.ts";

useZaloChannelHarness();

describe("ZaloChannel inbound", () => {
  it("should log listener errors without the socket they carry (its headers hold the cookies)", async () => {
    const log = captureLogger();
    await online({ logger: log.logger });
    server.pushUndecryptable();
    server.pushGarbage();
    await vi.waitFor(() => expect(log.text().match(/Zalo listener error/g)?.length).toBe(2), eventually);
    server.rejectUpgrades = 401;
    server.close(1006);
    await server.until(() => server.rejected >= 1);
    await vi.waitFor(() => expect(log.text()).toContain("401"), eventually);
    for (const secret of ["SECRET-cookie-v1", "SECRET-imei-777", key]) expect(log.text()).not.toContain(secret);
  });

  it("should survive a handler that throws and deliver the next events", async () => {
    const received: InboundMessage[] = [];
    let first = true;
    await saveCredentials(db, key, creds);
    const { channel } = makeChannel({ apiFactory: async (c) => realApi(c) });
    await channel.start(async (m) => {
      if (first) {
        first = false;
        throw new Error("database is locked");
      }
      received.push(m);
    });
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("online"), eventually);
    await server.until(() => server.caughtUp());
    server.sendDirect(rawMessage({ msgId: "1" }));
    server.sendDirect(rawMessage({ msgId: "9", content: { deleteMsg: 1 } }));
    server.sendDirect(rawMessage({ msgId: "2" }));
    server.sendDirect(rawMessage({ msgId: "2" }));
    await vi.waitFor(() => expect(received.map((m) => m.eventId)).toContain("2"), eventually);
    // The one that failed is not marked seen: the history after the next connection brings it again
    // (on a loaded machine a reconnection of its own may already have brought it: hence no order).
    server.close(1006);
    await vi.waitFor(() => expect(received.map((m) => m.eventId).sort()).toEqual(["1", "2"]), eventually);
  });

  it("should not replay history from before the service last saw an event", async () => {
    await writeZaloStatus(db, { lastEventAt: Date.now() - 60 * 60_000 });
    server.history.user = [
      rawMessage({ msgId: "old", ts: String(Date.now() - 3 * 60 * 60_000) }),
      rawMessage({ msgId: "missed", ts: String(Date.now() - 30 * 60_000) }),
    ];
    const { received, channel } = await online();
    await vi.waitFor(() => expect(received.map((m) => m.eventId)).toEqual(["missed"]), eventually);
    expect((await channel.status()).lastEventAt).not.toBeNull();
  });
});

describe("ZaloChannel.send", () => {
  it("should split long text, mention everyone only in groups, and return every message id", async () => {
    const { channel } = await online();
    const long = `${"Nội dung ".repeat(300)}`.trim();
    const r = await channel.send({ chatId: "g-1", chatType: "group" }, { text: withMentionAll(long) });
    const sent = sentTexts();
    expect(sent.length).toBe(2);
    expect(r.messageIds).toHaveLength(2);
    expect(sent.every((s) => String(s.params.message).length <= 2000 && s.params.grid === "g-1")).toBe(true);
    expect(sent[0]!.path).toMatch(/\/api\/group\/mention$/);
    expect(JSON.parse(String(sent[0]!.params.mentionInfo))).toEqual([
      { pos: 0, uid: "-1", len: mentionAllPrefix.length, type: 1 },
    ]);
    expect(sent[1]!.params.mentionInfo).toBeUndefined();

    await channel.send({ chatId: "200", chatType: "private" }, { text: `${mentionAllPrefix} Họp 19:30` });
    const dm = sentTexts()[2]!;
    expect(dm.path).toMatch(/\/api\/message\/sms$/);
    expect(dm.params).toMatchObject({ message: "Họp 19:30", toid: "200" });
  });

  it("should keep sending while the socket is down between two connections", async () => {
    const { channel } = await online({ timing: { ...timing, backoffBaseMs: 60_000, backoffMaxMs: 60_000 } });
    server.close(1006);
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("connecting"), eventually);
    await expect(channel.send({ chatId: "200", chatType: "private" }, { text: "Nhắc họp" })).resolves.toMatchObject({
      messageIds: [expect.any(String)],
    });
  });
});
