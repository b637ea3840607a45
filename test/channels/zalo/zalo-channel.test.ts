/**
 * The supervisor and the send path of ZaloChannel, with an in-memory stand-in for the zca-js API
 * (the real API against a fake server is covered by zalo-contract.test.ts).
 */
import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../../src/lib/logger.ts";
import { ChannelSendError, type InboundMessage } from "../../../src/channels/channel.ts";
import {
  ZaloChannel, classifyZaloError, mentionAllPrefix, withMentionAll, type ZaloAlert, type ZaloApi, type ZaloChannelOptions,
} from "../../../src/channels/zalo/zalo-channel.ts";
import { loadCredentials, saveCredentials, writeZaloStatus, type ZaloCredentials } from "../../../src/channels/zalo/credential-store.ts";
import { zca } from "../../../src/channels/zalo/normalise-zalo-event.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";

const key = "channel-test-key-0123456789";
const creds: ZaloCredentials = {
  cookie: [{ key: "zpw_sek", value: "SECRET-cookie-v1", domain: "chat.zalo.me", path: "/" }],
  imei: "SECRET-imei-777",
  userAgent: "Mozilla/5.0 Test",
};
const config = { credentialsKey: key, sendIntervalMs: 3000, newRecipientsPerHour: 60 };
const timing = { backoffBaseMs: 2, backoffMaxMs: 10, connectTimeoutMs: 5_000, credentialsWatchMs: 10, maxLoginFailures: 3, keepWarmMs: 3_600_000 };

/** Just enough of zca-js's API: a listener that "connects" on start, and recorded sends. */
class FakeApi {
  readonly listener = Object.assign(new EventEmitter(), {
    started: 0,
    historyRequests: [] as number[],
    start: () => {
      this.listener.started++;
      setImmediate(() => {
        this.listener.emit("connected");
        this.listener.emit("cipher_key", "k");
      });
    },
    stop: vi.fn(),
    requestOldMessages: (type: number) => {
      this.listener.historyRequests.push(type);
    },
  });
  readonly sent: { content: { msg: string; mentions?: unknown[]; urgency?: number; quote?: unknown }; threadId: string; type: number }[] = [];
  sendError?: unknown;
  cookieValue = "SECRET-cookie-v1";
  keepAlive = vi.fn(async () => ({}));
  sendMessage = vi.fn(async (content: FakeApi["sent"][number]["content"], threadId: string, type: number) => {
    if (this.sendError) {
      const e = this.sendError;
      this.sendError = undefined;
      throw e;
    }
    this.sent.push({ content, threadId, type });
    return { message: { msgId: `m${this.sent.length}` }, attachment: [] };
  });
  getOwnId = () => "100";
  getContext = () => ({
    cookie: { toJSON: () => ({ cookies: [{ key: "zpw_sek", value: this.cookieValue, domain: "chat.zalo.me", path: "/" }] }) },
    imei: creds.imei,
    userAgent: creds.userAgent,
    language: "vi",
  });
  asApi(): ZaloApi {
    return this as unknown as ZaloApi;
  }
}

function dmEvent(msgId: string, fields: Record<string, unknown> = {}) {
  return new zca.UserMessage("100", { msgId, cliMsgId: msgId, msgType: "webchat", uidFrom: "200", idTo: "0", dName: "An", ts: String(Date.now()), content: "có mặt", ...fields } as never);
}

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
let channel: ZaloChannel | undefined;

beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await channel?.stop();
  channel = undefined;
  await db.destroy();
});

function makeChannel(extra: Partial<ZaloChannelOptions>) {
  const notifyAdmins = vi.fn(async (_text: string) => {});
  channel = new ZaloChannel({ db, config, logger: createLogger("silent"), notifyAdmins, timing, random: () => 0.5, ...extra });
  return { channel, notifyAdmins };
}

async function online(extra: Partial<ZaloChannelOptions> = {}, received: InboundMessage[] = []) {
  saveCredentials(db, key, creds);
  const api = new FakeApi();
  const apiFactory = vi.fn(async (_c: ZaloCredentials) => api.asApi());
  const made = makeChannel({ apiFactory, ...extra });
  await made.channel.start(async (m) => {
    received.push(m);
  });
  await vi.waitFor(() => expect(made.channel.status().state).toBe("online"));
  return { ...made, api, apiFactory, received };
}

describe("ZaloChannel supervisor", () => {
  it("should record needs_login and tell the admins when no login is stored, then resume once one is", async () => {
    const api = new FakeApi();
    const apiFactory = vi.fn(async (_c: ZaloCredentials) => api.asApi());
    const { channel, notifyAdmins } = makeChannel({ apiFactory, alertText: (a) => `ALERT ${a.kind} ${"reason" in a ? a.reason : ""}` });
    await channel.start(async () => {});
    await vi.waitFor(() => expect(channel.status().state).toBe("needs_login"));
    expect(notifyAdmins).toHaveBeenCalledWith("ALERT needs_login missing");
    expect(apiFactory).not.toHaveBeenCalled();
    await expect(channel.send({ chatId: "1", chatType: "private" }, { text: "x" })).rejects.toMatchObject({ failure: "rate_limited", options: { scope: "platform" } });

    saveCredentials(db, key, creds); // `chihoi zalo login` in another process
    await vi.waitFor(() => expect(channel.status().state).toBe("online"));
    expect(apiFactory).toHaveBeenCalledTimes(1);
    expect(notifyAdmins).toHaveBeenCalledTimes(1);
  });

  it("should treat undecryptable credentials as needs_login without logging secrets", async () => {
    saveCredentials(db, "the-old-key-that-was-replaced", creds);
    const log = captureLogger();
    const apiFactory = vi.fn(async () => new FakeApi().asApi());
    const alerts: ZaloAlert[] = [];
    const { channel, notifyAdmins } = makeChannel({ apiFactory, logger: log.logger, alertText: (a) => (alerts.push(a), "alert") });
    await channel.start(async () => {});
    await vi.waitFor(() => expect(channel.status().state).toBe("needs_login"));
    expect(channel.status().lastError).toMatch(/ZALO_CREDENTIALS_KEY/);
    expect(notifyAdmins).toHaveBeenCalledTimes(1);
    expect(alerts).toEqual([{ kind: "needs_login", reason: "wrong_key" }]);
    expect(apiFactory).not.toHaveBeenCalled();
    for (const secret of ["SECRET-cookie-v1", "SECRET-imei-777", key]) expect(log.text()).not.toContain(secret);
  });

  it("should stop after repeated login rejections instead of looping", async () => {
    saveCredentials(db, key, creds);
    const apiFactory = vi.fn(async (): Promise<ZaloApi> => {
      throw new zca.ZaloApiError("Đăng nhập thất bại");
    });
    const alerts: ZaloAlert[] = [];
    const { channel, notifyAdmins } = makeChannel({ apiFactory, alertText: (a) => (alerts.push(a), "alert") });
    await channel.start(async () => {});
    await vi.waitFor(() => expect(channel.status().state).toBe("needs_login"));
    expect(apiFactory).toHaveBeenCalledTimes(3);
    expect(channel.status().lastError).toMatch(/Đăng nhập thất bại/);
    await new Promise((r) => setTimeout(r, 60));
    expect(apiFactory).toHaveBeenCalledTimes(3);
    expect(notifyAdmins).toHaveBeenCalledTimes(1);
    expect(alerts).toEqual([{ kind: "login_failed", attempts: 3 }]);
  });

  it("should keep retrying through network failures, which are not the login's fault", async () => {
    saveCredentials(db, key, creds);
    const api = new FakeApi();
    let calls = 0;
    const apiFactory = vi.fn(async (): Promise<ZaloApi> => {
      if (++calls <= 5) throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
      return api.asApi();
    });
    const { channel, notifyAdmins } = makeChannel({ apiFactory });
    await channel.start(async () => {});
    await vi.waitFor(() => expect(channel.status().state).toBe("online"));
    expect(apiFactory).toHaveBeenCalledTimes(6);
    expect(notifyAdmins).not.toHaveBeenCalled();
  });

  it("should log in again from the latest stored credentials after a close", async () => {
    const { api, apiFactory } = await online();
    await vi.waitFor(() => expect(api.listener.historyRequests).toEqual([zca.ThreadType.User, zca.ThreadType.Group]));
    saveCredentials(db, key, { ...creds, cookie: [{ key: "zpw_sek", value: "SECRET-cookie-v2", domain: "chat.zalo.me", path: "/" }] });
    api.listener.emit("closed", 1006, "");
    await vi.waitFor(() => expect(apiFactory).toHaveBeenCalledTimes(2));
    expect(JSON.stringify(apiFactory.mock.calls[1]![0])).toContain("SECRET-cookie-v2");
    await vi.waitFor(() => expect(api.listener.historyRequests).toHaveLength(4));
  });

  it("should stop promptly: no reconnect after stop()", async () => {
    const { channel, api, apiFactory } = await online();
    await channel.stop();
    api.listener.emit("closed", 1006, "");
    await new Promise((r) => setTimeout(r, 40));
    expect(apiFactory).toHaveBeenCalledTimes(1);
    expect(api.listener.stop).toHaveBeenCalled();
    expect(channel.status().state).toBe("stopped");
  });

  it("should keep the session warm and save renewed cookies only when they changed", async () => {
    const { api } = await online({ timing: { ...timing, keepWarmMs: 5 } });
    await vi.waitFor(() => expect(api.keepAlive.mock.calls.length).toBeGreaterThanOrEqual(1));
    api.cookieValue = "SECRET-cookie-warm";
    await vi.waitFor(() => expect(JSON.stringify(loadCredentials(db, key))).toContain("SECRET-cookie-warm"));
  });
});

describe("ZaloChannel inbound", () => {
  it("should log listener errors without the socket they carry (its headers hold the cookies)", async () => {
    const log = captureLogger();
    const { api } = await online({ logger: log.logger });
    api.listener.emit("error", { type: "error", message: "connect ECONNREFUSED", target: { _req: { _header: "GET / HTTP/1.1\r\ncookie: zpw_sek=SECRET-cookie-v1\r\n" } } });
    api.listener.emit("error", new Error("Invalid header"));
    await vi.waitFor(() => expect(log.text()).toContain("Invalid header"));
    expect(log.text()).toContain("connect ECONNREFUSED");
    for (const secret of ["SECRET-cookie-v1", "SECRET-imei-777", key]) expect(log.text()).not.toContain(secret);
  });

  it("should survive a handler that throws and deliver the next events", async () => {
    const received: InboundMessage[] = [];
    let first = true;
    saveCredentials(db, key, creds);
    const api = new FakeApi();
    const { channel } = makeChannel({ apiFactory: async () => api.asApi() });
    await channel.start(async (m) => {
      if (first) {
        first = false;
        throw new Error("database is locked");
      }
      received.push(m);
    });
    await vi.waitFor(() => expect(channel.status().state).toBe("online"));
    api.listener.emit("message", dmEvent("1"));
    api.listener.emit("message", { type: 0, data: null });
    api.listener.emit("undo", new zca.Undo("100", { msgId: "9", uidFrom: "200", idTo: "0", content: { deleteMsg: 1 } } as never, false));
    api.listener.emit("message", dmEvent("2"));
    api.listener.emit("message", dmEvent("2"));
    await vi.waitFor(() => expect(received.map((m) => m.eventId)).toEqual(["2"]));
    // The one that failed is not marked seen: history brings it again.
    api.listener.emit("old_messages", [dmEvent("1"), dmEvent("2")], zca.ThreadType.User);
    await vi.waitFor(() => expect(received.map((m) => m.eventId)).toEqual(["2", "1"]));
  });

  it("should not replay history from before the service last saw an event", async () => {
    writeZaloStatus(db, { lastEventAt: Date.now() - 60 * 60_000 });
    const { api, received, channel } = await online();
    api.listener.emit("old_messages", [dmEvent("old", { ts: String(Date.now() - 3 * 60 * 60_000) }), dmEvent("missed", { ts: String(Date.now() - 30 * 60_000) })], 0);
    await vi.waitFor(() => expect(received.map((m) => m.eventId)).toEqual(["missed"]));
    expect(channel.status().lastEventAt).not.toBeNull();
  });
});

describe("ZaloChannel.send", () => {
  it("should split long text, mention everyone only in groups, and return every message id", async () => {
    const { api, channel } = await online();
    const long = `${"Nội dung ".repeat(300)}`.trim();
    const r = await channel.send({ chatId: "g-1", chatType: "group" }, { text: withMentionAll(long) });
    expect(api.sent.length).toBe(2);
    expect(r.messageIds).toEqual(["m1", "m2"]);
    expect(api.sent.every((s) => s.content.msg.length <= 2000 && s.type === zca.ThreadType.Group)).toBe(true);
    expect(api.sent[0]!.content).toMatchObject({ mentions: [{ pos: 0, uid: "-1", len: mentionAllPrefix.length }], urgency: zca.Urgency.Important });
    expect(api.sent[1]!.content.mentions).toBeUndefined();

    await channel.send({ chatId: "200", chatType: "private" }, { text: `${mentionAllPrefix} Họp 19:30` });
    expect(api.sent[2]).toMatchObject({ content: { msg: "Họp 19:30" }, threadId: "200", type: zca.ThreadType.User });
    expect(api.sent[2]!.content.mentions).toBeUndefined();
  });

  it("should log in again after a session error while sending", async () => {
    const { api, apiFactory, channel } = await online();
    api.sendError = new zca.ZaloApiError("The session key was improperly submitted or has reached its timeout", 102);
    await expect(channel.send({ chatId: "200", chatType: "private" }, { text: "x" })).rejects.toMatchObject({ failure: "transient", options: { errorCode: 102 } });
    await vi.waitFor(() => expect(apiFactory).toHaveBeenCalledTimes(2));
  });
});

describe("classifyZaloError", () => {
  it("should classify Zalo errors for the delivery engine", () => {
    const c = (e: unknown) => classifyZaloError(e);
    expect(c(new zca.ZaloApiError("Không thể nhận tin nhắn từ bạn", 123))).toMatchObject({ failure: "rate_limited", options: { retryAfterSeconds: 10800, scope: "chat", errorCode: 123 } });
    expect(c(new zca.ZaloApiError("session", 102)).failure).toBe("transient");
    expect(c(new zca.ZaloApiError("Request failed with status code 502")).failure).toBe("transient");
    expect(c(new zca.ZaloApiError("Request failed with status code 429"))).toMatchObject({ failure: "rate_limited", options: { scope: "platform" } });
    expect(c(new zca.ZaloApiError("Failed to parse response data")).failure).toBe("transient");
    expect(c(new zca.ZaloApiError("Tham số không hợp lệ", 114))).toMatchObject({ failure: "permanent", options: { errorCode: 114 } });
    expect(c(new zca.ZaloApiError("Missing message content")).failure).toBe("permanent");
    expect(c(new TypeError("fetch failed", { cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }) })).failure).toBe("transient");
    expect(c(Object.assign(new Error("The operation was aborted"), { name: "AbortError" })).failure).toBe("transient");
    expect(c(new RangeError("bad")).failure).toBe("permanent");
    const already = new ChannelSendError("unreachable", "x");
    expect(c(already)).toBe(already);
  });
});
