/**
 * Contract test: the ZaloChannel drives a real zca-js API (listener, sendMessage, keepAlive, cookie
 * jar) against a local WebSocket server and a fake fetch. Nothing logs in to Zalo.
 */
import { Writable } from "node:stream";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../../src/lib/logger.ts";
import { ChannelSendError, type InboundMessage } from "../../../src/channels/channel.ts";
import { ZaloChannel, mentionAllPrefix, type ZaloChannelOptions } from "../../../src/channels/zalo/zalo-channel.ts";
import { loadCredentials, saveCredentials, type ZaloCredentials } from "../../../src/channels/zalo/credential-store.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import {
  FakeZaloServer,
  createFakeZaloApi,
  createFakeZaloFetch,
  rawMessage,
  rawReaction,
  type FakeZaloFetch,
} from "../../fakes/zalo-ws-server.ts";

/** Reconnects and history replays can outlast waitFor's 1 s default on a loaded machine. */
const eventually = { timeout: 10_000, interval: 20 };

const key = "contract-test-key-0123456789";
const ownUid = "100";
const cookieSecret = "sek-ORIGINAL-c00kie-value";
const imei = "3f2b1c9e-imei-secret-d41d8cd98f00b204e9800998ecf8427e";
const credentials: ZaloCredentials = {
  cookie: [{ key: "zpw_sek", value: cookieSecret, domain: ".chat.zalo.me", path: "/", httpOnly: true, secure: true }],
  imei,
  userAgent: "Mozilla/5.0 (Test) Firefox/133.0",
  language: "vi",
};
const config = { credentialsKey: key, sendIntervalMs: 3000, newRecipientsPerHour: 60 };
const fastTiming = {
  backoffBaseMs: 5,
  backoffMaxMs: 20,
  connectTimeoutMs: 5_000,
  credentialsWatchMs: 10_000,
  keepWarmMs: 3_600_000,
};

function captureLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger("trace", stream), text: () => lines.join("") };
}

let db: TestDatabase;
let server: FakeZaloServer;
let fake: FakeZaloFetch;
let channel: ZaloChannel | undefined;
let received: InboundMessage[];

beforeEach(async () => {
  db = await createTestDatabase();
  await saveCredentials(db, key, credentials);
  await db.kysely
    .insertInto("ChatGroup")
    .values({ platform: "zalo", externalId: "g-1", title: "Chi hội 1", allowed: true, createdAt: Date.now() })
    .execute();
  server = new FakeZaloServer();
  fake = createFakeZaloFetch();
  received = [];
});

afterEach(async () => {
  await channel?.stop();
  channel = undefined;
  await server.stop();
  await db.destroy();
});

async function startChannel(extra: Partial<ZaloChannelOptions> = {}) {
  const wsUrl = await server.start();
  const apiFactory = vi.fn(async (c: ZaloCredentials) =>
    createFakeZaloApi(c, { wsUrl, fetch: fake.fetch, secretKey: fake.secretKey, uid: ownUid }),
  );
  const notifyAdmins = vi.fn(async (_text: string) => {});
  channel = new ZaloChannel({
    db,
    config,
    logger: createLogger("silent"),
    notifyAdmins,
    apiFactory,
    timing: fastTiming,
    random: () => 0.5,
    ...extra,
  });
  await channel.start(async (m) => {
    received.push(m);
  });
  await vi.waitFor(async () => expect((await channel!.status()).state).toBe("online"), eventually);
  return { apiFactory, notifyAdmins, channel };
}

function historyRequested(connection = server.current!) {
  return connection.requests.some((r) => r.cmd === 510) && connection.requests.some((r) => r.cmd === 511);
}

describe("ZaloChannel with a real zca-js API", () => {
  it("should receive DMs, addressed group messages and reactions, and send through the REST API", async () => {
    const log = captureLogger();
    await startChannel({ logger: log.logger });
    await server.until(() => historyRequested());
    expect(server.current!.cookie).toContain(`zpw_sek=${cookieSecret}`);

    server.pushDirect(rawMessage({ msgId: "7001", content: "có mặt" }));
    server.pushGroup(
      rawMessage({ msgId: "7002", idTo: "g-1", uidFrom: "201", content: "chuyện khác" }),
      rawMessage({
        msgId: "7003",
        idTo: "g-1",
        uidFrom: "201",
        dName: "Trần Bình",
        content: "@Chi Hội cho hỏi lịch họp",
        mentions: [{ uid: ownUid, pos: 0, len: 8, type: 0 }],
      }),
      rawMessage({
        msgId: "7004",
        idTo: "g-other",
        uidFrom: "201",
        content: "@Chi Hội hi",
        mentions: [{ uid: ownUid, pos: 0, len: 8, type: 0 }],
      }),
    );
    server.pushGarbage();
    server.pushReactions([rawReaction("9000001")]);
    server.pushDirect(rawMessage({ msgId: "7001", content: "có mặt" })); // a duplicate event
    await vi.waitFor(() => expect(received).toHaveLength(3), eventually);

    // DMs, group messages and reactions come on separate frames: their relative order is not fixed.
    const direct = received.find((m) => m.chatType === "private" && m.kind === "text");
    const group = received.find((m) => m.chatType === "group");
    const reaction = received.find((m) => m.kind === "reaction");
    expect(direct).toMatchObject({
      platform: "zalo",
      account: ownUid,
      chatId: "200",
      chatType: "private",
      kind: "text",
      text: "có mặt",
      eventId: "7001",
      sender: { id: "200", name: "Nguyễn Văn An" },
    });
    expect(group).toMatchObject({
      chatId: "g-1",
      chatType: "group",
      text: "cho hỏi lịch họp",
      addressedToBot: true,
      eventId: "7003",
      sender: { id: "201" },
    });
    expect(reaction).toMatchObject({ kind: "reaction", reaction: "👍", replyTo: "9000001", chatId: "200" });
    // The group no admin allowed is recorded (not allowed) so that an admin can find it.
    expect(
      await db.kysely
        .selectFrom("ChatGroup")
        .select("allowed")
        .where("platform", "=", "zalo")
        .where("externalId", "=", "g-other")
        .executeTakeFirst(),
    ).toEqual({ allowed: false });

    // A DM with choices, as numbered text; Zalo renews a cookie in its answer.
    fake.setCookieNext("zpw_sek=sek-RENEWED-value; Domain=chat.zalo.me; Path=/; Secure; HttpOnly");
    const sent = await channel!.send(
      { chatId: "200", chatType: "private" },
      {
        text: "Buổi họp 19:30",
        choices: [
          { label: "Có mặt", payload: "a" },
          { label: "Vắng", payload: "b" },
        ],
      },
    );
    expect(sent.messageIds).toHaveLength(1);
    const dm = fake.calls.find((c) => c.method === "POST" && c.path.endsWith("/api/message/sms"))!;
    expect(dm).toBeDefined();
    expect(dm.params).toMatchObject({ toid: "200", imei });
    expect(String(dm.params!.message)).toMatch(/^Buổi họp 19:30\n\n.*1.*Có mặt.*\n.*2.*Vắng/s);
    // The refreshed cookies are saved off the send path (the channel's background writes, which
    // status() does not wait for): wait until they are stored.
    await vi.waitFor(
      async () => expect(JSON.stringify((await loadCredentials(db, key))!.cookie)).toContain("sek-RENEWED-value"),
      eventually,
    );

    // A group reminder mentioning everyone, and a reply quoting the member's message.
    await channel!.send({ chatId: "g-1", chatType: "group" }, { text: `${mentionAllPrefix} Họp chi hội 19:30` });
    const mention = fake.calls.find((c) => c.path.endsWith("/api/group/mention"))!;
    expect(mention.params).toMatchObject({ grid: "g-1", message: "@All Họp chi hội 19:30" });
    expect(JSON.parse(String(mention.params!.mentionInfo))).toEqual([{ pos: 0, uid: "-1", len: 4, type: 1 }]);
    await channel!.send({ chatId: "g-1", chatType: "group" }, { text: "Họp lúc 19:30", replyTo: "7003" });
    expect(fake.calls.find((c) => c.path.endsWith("/api/group/quote"))!.params).toMatchObject({
      grid: "g-1",
      qmsgId: "7003",
      qmsg: "@Chi Hội cho hỏi lịch họp",
    });

    // Code 123 (stranger / rate limit) backs this recipient off for hours.
    fake.failNext("/api/message/sms", 123, "Không thể nhận tin nhắn từ bạn");
    const error = await channel!
      .send({ chatId: "300", chatType: "private" }, { text: "Xin chào" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelSendError);
    expect(error).toMatchObject({
      failure: "rate_limited",
      options: { retryAfterSeconds: 3 * 3600, scope: "chat", errorCode: 123 },
    });

    // Nothing secret reached the log.
    const output = log.text();
    expect(output.length).toBeGreaterThan(0);
    for (const secret of [cookieSecret, "sek-RENEWED-value", imei, key, fake.secretKey])
      expect(output).not.toContain(secret);
  });

  it("should catch up after a close: the listener restarts on the live session and replays missed history once", async () => {
    const { apiFactory } = await startChannel();
    await server.until(() => server.caughtUp());
    server.sendDirect(rawMessage({ msgId: "8001", content: "có mặt" }));
    await vi.waitFor(() => expect(received).toHaveLength(1), eventually);
    // Zalo renews a cookie in a REST answer: the next socket presents it, like a browser would.
    fake.setCookieNext("zpw_sek=sek-NEXT-value; Domain=chat.zalo.me; Path=/");
    await channel!.send({ chatId: "200", chatType: "private" }, { text: "ok" });

    server.close(1006);
    await server.until(() => server.open === undefined);
    expect(server.sendDirect(rawMessage({ msgId: "8002", content: "vắng" }))).toBe(false); // while the socket is down
    await server.until(() => server.connections.length === 2 && server.caughtUp(server.connections[1]));
    await vi.waitFor(() => expect(received.map((m) => m.eventId)).toEqual(["8001", "8002"]), eventually);

    // No new login: the same session opened the second socket, with the renewed cookie.
    expect(apiFactory).toHaveBeenCalledTimes(1);
    expect(server.connections[0]!.cookie).toContain(`zpw_sek=${cookieSecret}`);
    expect(server.connections[1]!.cookie).toContain("zpw_sek=sek-NEXT-value");
    await vi.waitFor(async () => expect((await channel!.status()).state).toBe("online"), eventually);
  });

  it("should log in again only when the session expired: the socket is refused and a REST call says so", async () => {
    let logins = 0;
    const wsUrl = await server.start();
    const apiFactory = vi.fn(async (c: ZaloCredentials) => {
      logins++;
      server.rejectUpgrades = null; // a fresh login gives a session Zalo accepts
      return createFakeZaloApi(c, { wsUrl, fetch: fake.fetch, secretKey: fake.secretKey, uid: ownUid });
    });
    channel = new ZaloChannel({
      db,
      config,
      logger: createLogger("silent"),
      apiFactory,
      timing: { ...fastTiming, restartFailuresBeforeCheck: 3 },
      random: () => 0.5,
    });
    await channel.start(async (m) => void received.push(m));
    await server.until(() => server.caughtUp());

    server.rejectUpgrades = 401;
    fake.failNext("/keepalive", 102, "The session key was improperly submitted or has reached its timeout");
    server.close(1006);
    await vi.waitFor(() => expect(logins).toBe(2), eventually);
    // Three refused restarts, then one session check, then one login: not a login per close.
    expect(server.rejected).toBe(3);
    expect(fake.calls.filter((c) => c.path.endsWith("/keepalive"))).toHaveLength(1);
    await server.until(() => server.connections.length === 2 && server.caughtUp(server.connections[1]));
    await vi.waitFor(async () => expect((await channel!.status()).state).toBe("online"), eventually);
  });

  it("should keep restarting the listener without logging in while the network is down", async () => {
    const { apiFactory } = await startChannel({ timing: { ...fastTiming, restartFailuresBeforeCheck: 2 } });
    await server.until(() => server.caughtUp());
    server.rejectUpgrades = 503;
    server.close(1006);
    await server.until(() => server.rejected >= 6);
    // The session check answered fine: the session is good, the socket is the problem.
    expect(fake.calls.filter((c) => c.path.endsWith("/keepalive")).length).toBeGreaterThanOrEqual(2);
    server.rejectUpgrades = null;
    await server.until(() => server.connections.length === 2 && server.caughtUp(server.connections[1]));
    expect(apiFactory).toHaveBeenCalledTimes(1);
    await vi.waitFor(async () => expect((await channel!.status()).state).toBe("online"), eventually);
  });

  it.each([
    ["the server closes with 3000", (s: FakeZaloServer) => s.close(3000)],
    ["the server announces a duplicate connection (cmd 3000)", (s: FakeZaloServer) => s.pushDuplicateConnection()],
    ["the server closes with 3003", (s: FakeZaloServer) => s.close(3003)],
  ])("should retry a few times when %s, then stop and tell the admins once", async (_name, kick) => {
    const { apiFactory, notifyAdmins } = await startChannel({
      timing: { ...fastTiming, kickRetryDelaysMs: [10, 20, 40] },
    });
    for (let i = 1; i <= 3; i++) {
      await server.until(() => server.connections.length === i && server.caughtUp(server.connections[i - 1]));
      kick(server);
      await server.until(() => server.connections[i - 1]!.closedAt !== null);
    }
    await server.until(() => server.connections.length === 4 && server.caughtUp(server.connections[3]));
    expect(notifyAdmins).not.toHaveBeenCalled();
    kick(server); // the fourth kick in a row: someone else really holds the session
    await vi.waitFor(async () => expect((await channel!.status()).state).toBe("taken_over"), eventually);
    // Kept: a fifth connection would come within the last kick retry delay (40 ms); one that does not
    // happen leaves nothing to wait on.
    await new Promise((r) => setTimeout(r, 150));
    expect(apiFactory).toHaveBeenCalledTimes(1);
    expect(server.connections).toHaveLength(4);
    expect(notifyAdmins).toHaveBeenCalledTimes(1);
    expect((await channel!.status()).lastError).toMatch(/30\d\d/);
    // Sends wait in the outbox instead of failing.
    await expect(channel!.send({ chatId: "200", chatType: "private" }, { text: "x" })).rejects.toMatchObject({
      failure: "rate_limited",
      options: { scope: "platform" },
    });
    expect(
      await db.kysely
        .selectFrom("AuditLog")
        .select("action")
        .where("action", "=", "zalo.taken_over")
        .executeTakeFirst(),
    ).toBeDefined();
  });

  it("should forget a kick after an ordinary close: one 3003 after an unclean restart costs a short wait, not the channel", async () => {
    const { notifyAdmins } = await startChannel({ timing: { ...fastTiming, kickRetryDelaysMs: [10] } });
    for (let i = 1; i <= 4; i++) {
      await server.until(() => server.connections.length === i && server.caughtUp(server.connections[i - 1]));
      server.close(i % 2 ? 3003 : 1006);
    }
    await server.until(() => server.connections.length === 5 && server.caughtUp(server.connections[4]));
    await vi.waitFor(async () => expect((await channel!.status()).state).toBe("online"), eventually);
    expect(notifyAdmins).not.toHaveBeenCalled();
  });

  it("should close the socket cleanly on stop and wait until it is closed", async () => {
    await startChannel();
    await server.until(() => server.caughtUp());
    const conn = server.current!;
    await channel!.stop();
    // Stopped when stop() resolves; the server sees a proper close frame (1000, not a dropped
    // socket's 1006). The server's own close event may come a moment after the client's (both
    // ends run in this process, their order is not fixed), so it is awaited, not assumed.
    expect((await channel!.status()).state).toBe("stopped");
    await server.until(() => conn.closedAt !== null);
    expect(conn.closeCode).toBe(1000);
    channel = undefined;
  });

  it("should give up a stalled WebSocket handshake at the connect deadline and try again, without a new login", async () => {
    // A TCP server that accepts and never answers the upgrade.
    const sockets: Socket[] = [];
    const stall: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => stall.listen(0, "127.0.0.1", () => r()));
    const wsUrl = `ws://127.0.0.1:${(stall.address() as AddressInfo).port}/`;
    const apiFactory = vi.fn(async (c: ZaloCredentials) =>
      createFakeZaloApi(c, { wsUrl, fetch: fake.fetch, secretKey: fake.secretKey, uid: ownUid }),
    );
    channel = new ZaloChannel({
      db,
      config,
      logger: createLogger("silent"),
      apiFactory,
      timing: { ...fastTiming, connectTimeoutMs: 50 },
      random: () => 0.5,
    });
    await channel.start(async () => {});
    await vi.waitFor(() => expect(sockets.length).toBeGreaterThanOrEqual(2), eventually);
    expect((await channel.status()).lastError).toMatch(/no connection within/);
    expect(apiFactory).toHaveBeenCalledTimes(1);
    await channel.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => stall.close(() => r()));
  });
});
