/**
 * The supervisor and the send path of ZaloChannel, driving the real zca-js `API` and `Listener`
 * against the fake Zalo (encrypted WebSocket frames, fake REST fetch): nothing logs in to Zalo.
 */
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../../src/lib/logger.ts";
import { ChannelSendError, type InboundMessage } from "../../../src/channels/channel.ts";
import {
  ZaloChannel,
  classifyZaloError,
  mentionAllPrefix,
  withMentionAll,
  type ZaloAlert,
  type ZaloApi,
  type ZaloChannelOptions,
} from "../../../src/channels/zalo/zalo-channel.ts";
import {
  loadCredentials,
  saveCredentials,
  writeZaloStatus,
  type ZaloCredentials,
} from "../../../src/channels/zalo/credential-store.ts";
import { zca } from "../../../src/channels/zalo/normalise-zalo-event.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import {
  FakeZaloServer,
  createFakeZaloApi,
  createFakeZaloFetch,
  rawMessage,
  type FakeZaloFetch,
} from "../../fakes/zalo-ws-server.ts";

/** Reconnects wait 0.5–1 s and history replays follow: on a loaded machine that outlasts waitFor's 1 s default. */
const eventually = { timeout: 10_000, interval: 20 };

const key = "channel-test-key-0123456789";
const creds: ZaloCredentials = {
  cookie: [{ key: "zpw_sek", value: "SECRET-cookie-v1", domain: "chat.zalo.me", path: "/" }],
  imei: "SECRET-imei-777",
  userAgent: "Mozilla/5.0 Test",
};
const config = { credentialsKey: key, sendIntervalMs: 3000, newRecipientsPerHour: 60 };
const timing = {
  backoffBaseMs: 2,
  backoffMaxMs: 10,
  connectTimeoutMs: 5_000,
  credentialsWatchMs: 10,
  maxLoginFailures: 3,
  keepWarmMs: 3_600_000,
};

function captureLogger() {
  let text = "";
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { logger: createLogger("trace", stream), text: () => text };
}

let db: TestDatabase;
let server: FakeZaloServer;
let wsUrl: string;
let fake: FakeZaloFetch;
let channel: ZaloChannel | undefined;

beforeEach(async () => {
  db = await createTestDatabase();
  server = new FakeZaloServer();
  wsUrl = await server.start();
  fake = createFakeZaloFetch();
});
afterEach(async () => {
  await channel?.stop();
  channel = undefined;
  await server.stop();
  await db.destroy();
});

/** Logs in the way the fake allows: a real API on the credentials it is given. */
function realApi(c: ZaloCredentials): ZaloApi {
  return createFakeZaloApi(c, { wsUrl, fetch: fake.fetch, secretKey: fake.secretKey, uid: "100" });
}

function makeChannel(extra: Partial<ZaloChannelOptions>) {
  const notifyAdmins = vi.fn(async (_text: string) => {});
  channel = new ZaloChannel({
    db,
    config,
    logger: createLogger("silent"),
    notifyAdmins,
    timing,
    random: () => 0.5,
    ...extra,
  });
  return { channel, notifyAdmins };
}

async function online(extra: Partial<ZaloChannelOptions> = {}, received: InboundMessage[] = []) {
  await saveCredentials(db, key, creds);
  const apiFactory = vi.fn(async (c: ZaloCredentials) => realApi(c));
  const made = makeChannel({ apiFactory, ...extra });
  await made.channel.start(async (m) => {
    received.push(m);
  });
  await vi.waitFor(async () => expect((await made.channel.status()).state).toBe("online"), eventually);
  await server.until(() => server.caughtUp());
  return { ...made, apiFactory, received };
}

/** The texts the account sent, in order (decrypted from the fake REST calls). */
function sentTexts(): { path: string; params: Record<string, unknown> }[] {
  return fake.calls
    .filter((c) => c.method === "POST" && /\/api\/(message|group)\/(sms|sendmsg|mention|quote)$/.test(c.path))
    .map((c) => ({ path: c.path, params: c.params ?? {} }));
}

describe("ZaloChannel supervisor", () => {
  it("should record needs_login and tell the admins when no login is stored, then resume once one is", async () => {
    const apiFactory = vi.fn(async (c: ZaloCredentials) => realApi(c));
    const { channel, notifyAdmins } = makeChannel({
      apiFactory,
      alertText: (a) => `ALERT ${a.kind} ${"reason" in a ? a.reason : ""}`,
    });
    await channel.start(async () => {});
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("needs_login"), eventually);
    expect(notifyAdmins).toHaveBeenCalledWith("ALERT needs_login missing");
    expect(apiFactory).not.toHaveBeenCalled();
    await expect(channel.send({ chatId: "1", chatType: "private" }, { text: "x" })).rejects.toMatchObject({
      failure: "rate_limited",
      options: { scope: "platform" },
    });

    await saveCredentials(db, key, creds); // `chihoi zalo login` in another process
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("online"), eventually);
    expect(apiFactory).toHaveBeenCalledTimes(1);
    expect(notifyAdmins).toHaveBeenCalledTimes(1);
    expect(server.connections).toHaveLength(1);
  });

  it("should treat undecryptable credentials as needs_login without logging secrets", async () => {
    await saveCredentials(db, "the-old-key-that-was-replaced", creds);
    const log = captureLogger();
    const apiFactory = vi.fn(async (c: ZaloCredentials) => realApi(c));
    const alerts: ZaloAlert[] = [];
    const { channel, notifyAdmins } = makeChannel({
      apiFactory,
      logger: log.logger,
      alertText: (a) => (alerts.push(a), "alert"),
    });
    await channel.start(async () => {});
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("needs_login"), eventually);
    expect((await channel.status()).lastError).toMatch(/ZALO_CREDENTIALS_KEY/);
    expect(notifyAdmins).toHaveBeenCalledTimes(1);
    expect(alerts).toEqual([{ kind: "needs_login", reason: "wrong_key" }]);
    expect(apiFactory).not.toHaveBeenCalled();
    for (const secret of ["SECRET-cookie-v1", "SECRET-imei-777", key]) expect(log.text()).not.toContain(secret);
  });

  it("should stop after repeated login rejections instead of looping", async () => {
    await saveCredentials(db, key, creds);
    const apiFactory = vi.fn(async (): Promise<ZaloApi> => {
      throw new zca.ZaloApiError("Đăng nhập thất bại");
    });
    const alerts: ZaloAlert[] = [];
    const { channel, notifyAdmins } = makeChannel({ apiFactory, alertText: (a) => (alerts.push(a), "alert") });
    await channel.start(async () => {});
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("needs_login"), eventually);
    expect(apiFactory).toHaveBeenCalledTimes(3);
    expect((await channel.status()).lastError).toMatch(/Đăng nhập thất bại/);
    await new Promise((r) => setTimeout(r, 60));
    expect(apiFactory).toHaveBeenCalledTimes(3);
    expect(notifyAdmins).toHaveBeenCalledTimes(1);
    expect(alerts).toEqual([{ kind: "login_failed", attempts: 3 }]);
  });

  it("should keep retrying through network failures, which are not the login's fault", async () => {
    await saveCredentials(db, key, creds);
    let calls = 0;
    const apiFactory = vi.fn(async (c: ZaloCredentials): Promise<ZaloApi> => {
      if (++calls <= 5)
        throw new TypeError("fetch failed", {
          cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
        });
      return realApi(c);
    });
    const { channel, notifyAdmins } = makeChannel({ apiFactory });
    await channel.start(async () => {});
    await vi.waitFor(async () => expect((await channel.status()).state).toBe("online"), eventually);
    expect(apiFactory).toHaveBeenCalledTimes(6);
    expect(notifyAdmins).not.toHaveBeenCalled();
  });

  it("should log in again from the latest stored credentials after a session error, and only then", async () => {
    const { apiFactory } = await online();
    await saveCredentials(db, key, {
      ...creds,
      cookie: [{ key: "zpw_sek", value: "SECRET-cookie-v2", domain: "chat.zalo.me", path: "/" }],
    });
    server.close(1006);
    await server.until(() => server.connections.length === 2 && server.caughtUp(server.connections[1]));
    expect(apiFactory).toHaveBeenCalledTimes(1); // a close is not a reason to log in

    fake.failNext("/api/message/sms", 102, "The session key was improperly submitted or has reached its timeout");
    await expect(channel!.send({ chatId: "200", chatType: "private" }, { text: "x" })).rejects.toMatchObject({
      failure: "transient",
      options: { errorCode: 102 },
    });
    await vi.waitFor(() => expect(apiFactory).toHaveBeenCalledTimes(2), eventually);
    expect(JSON.stringify(apiFactory.mock.calls[1]![0])).toContain("SECRET-cookie-v2");
    await server.until(() => server.connections.length === 3 && server.caughtUp(server.connections[2]));
    expect(server.connections[2]!.cookie).toContain("SECRET-cookie-v2");
    // The old socket was closed before the new one opened: Zalo never sees two.
    expect(server.connections[1]!.closedAt).not.toBeNull();
    expect(server.connections[1]!.closedAt!).toBeLessThanOrEqual(server.connections[2]!.openedAt);
    expect(server.duplicates).toBe(0);
  });

  it("should stop promptly: no reconnect after stop()", async () => {
    const { channel, apiFactory } = await online();
    await channel.stop();
    await new Promise((r) => setTimeout(r, 40));
    expect(apiFactory).toHaveBeenCalledTimes(1);
    expect(server.connections).toHaveLength(1);
    expect(server.connections[0]!.closeCode).toBe(1000);
    expect((await channel.status()).state).toBe("stopped");
  });

  it("should keep the session warm and save renewed cookies only when they changed", async () => {
    await online({ timing: { ...timing, keepWarmMs: 5 } });
    fake.setCookieNext("zpw_sek=SECRET-cookie-warm; Domain=chat.zalo.me; Path=/");
    await vi.waitFor(
      () => expect(fake.calls.filter((c) => c.path.endsWith("/keepalive")).length).toBeGreaterThanOrEqual(1),
      eventually,
    );
    await vi.waitFor(
      async () => expect(JSON.stringify(await loadCredentials(db, key))).toContain("SECRET-cookie-warm"),
      eventually,
    );
  });
});

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
    await vi.waitFor(() => expect(received.map((m) => m.eventId)).toEqual(["2"]), eventually);
    // The one that failed is not marked seen: the history after the next connection brings it again.
    server.close(1006);
    await vi.waitFor(() => expect(received.map((m) => m.eventId)).toEqual(["2", "1"]), eventually);
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

describe("classifyZaloError", () => {
  it("should classify Zalo errors for the delivery engine", () => {
    const c = (e: unknown) => classifyZaloError(e);
    expect(c(new zca.ZaloApiError("Không thể nhận tin nhắn từ bạn", 123))).toMatchObject({
      failure: "rate_limited",
      options: { retryAfterSeconds: 10800, scope: "chat", errorCode: 123 },
    });
    expect(c(new zca.ZaloApiError("session", 102)).failure).toBe("transient");
    expect(c(new zca.ZaloApiError("Request failed with status code 502")).failure).toBe("transient");
    expect(c(new zca.ZaloApiError("Request failed with status code 429"))).toMatchObject({
      failure: "rate_limited",
      options: { scope: "platform" },
    });
    expect(c(new zca.ZaloApiError("Failed to parse response data")).failure).toBe("transient");
    expect(c(new zca.ZaloApiError("Tham số không hợp lệ", 114))).toMatchObject({
      failure: "permanent",
      options: { errorCode: 114 },
    });
    expect(c(new zca.ZaloApiError("Missing message content")).failure).toBe("permanent");
    expect(
      c(new TypeError("fetch failed", { cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }) })).failure,
    ).toBe("transient");
    expect(c(Object.assign(new Error("The operation was aborted"), { name: "AbortError" })).failure).toBe("transient");
    expect(c(new RangeError("bad")).failure).toBe("permanent");
    const already = new ChannelSendError("unreachable", "x");
    expect(c(already)).toBe(already);
  });
});
