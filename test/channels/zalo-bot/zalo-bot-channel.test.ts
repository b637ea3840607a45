import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Hono } from "hono";
import { FakeZaloBotServer } from "../../fakes/zalo-bot-server.ts";
import {
  ZaloBotChannel,
  classifyZaloBotError,
  zaloBotWebhookPath,
  type ZaloBotChannelOptions,
} from "../../../src/channels/zalo-bot/zalo-bot-channel.ts";
import { ZaloBotApiError, ZaloBotHttpError } from "../../../src/channels/zalo-bot/zalo-bot-client.ts";
import { ChannelSendError, type InboundMessage } from "../../../src/channels/channel.ts";
import { createWebServer, type WebServer } from "../../../src/web/server.ts";
import { createLogger } from "../../../src/lib/logger.ts";

const silent = createLogger("silent");
const secret = "webhook-s3cret-for-tests";
const an = { id: "a1b2c3d4e5f6a7b8c9d0", name: "Nguyễn Văn An" };

let fake: FakeZaloBotServer;
let channel: ZaloBotChannel | undefined;
let web: WebServer | undefined;

beforeEach(async () => {
  fake = new FakeZaloBotServer();
  await fake.start();
});
afterEach(async () => {
  await channel?.stop();
  channel = undefined;
  await web?.close();
  web = undefined;
  await fake.stop();
});

function pollingChannel(extra: Partial<ZaloBotChannelOptions> = {}): ZaloBotChannel {
  channel = new ZaloBotChannel({
    config: { token: fake.token, mode: "polling", apiRoot: fake.apiRoot },
    logger: silent,
    pollTimeoutSeconds: 20,
    // Stopping cuts the held poll at once: these tests are not about stopping (the two that are set it).
    stopGraceMs: 0,
    retryBaseMs: 1,
    retryMaxMs: 5,
    ...extra,
  });
  return channel;
}

function webhookChannel(
  app: Hono,
  extra: Partial<ZaloBotChannelOptions> & { webhookUrl?: string } = {},
): ZaloBotChannel {
  channel = new ZaloBotChannel({
    config: {
      token: fake.token,
      mode: "webhook",
      apiRoot: fake.apiRoot,
      webhookUrl: extra.webhookUrl ?? "https://chihoi.example/",
      webhookSecret: secret,
    },
    logger: silent,
    app,
    ...extra,
  });
  return channel;
}

/** A handler that records what it was given. */
function recorder(behaviour: (m: InboundMessage) => Promise<void> | void = () => undefined) {
  const received: InboundMessage[] = [];
  const handler = async (m: InboundMessage) => {
    received.push(m);
    await behaviour(m);
  };
  return { received, handler };
}

/** Waits until the channel is idle in a fresh long poll after `count` getUpdates calls were answered. */
async function idleAfter(count: number): Promise<void> {
  await fake.waitFor(() => fake.isLongPolling && fake.callsOf("getUpdates").length >= count, 5000, "idle long poll");
}

describe("ZaloBotChannel polling", () => {
  it("should delete the webhook, then hand each update to the handler exactly once, in order", async () => {
    const { received, handler } = recorder();
    await pollingChannel().start(handler);
    const updates = [
      fake.userSendsText(an, "có mặt"),
      fake.userSendsText(an, "xin vắng vì ốm"),
      fake.userSendsImage(an, "ảnh"),
    ];
    await fake.waitFor(() => received.length === 3, 5000, "3 handled");
    await idleAfter(3);
    expect(received.map((m) => [m.kind, m.text])).toEqual([
      ["text", "có mặt"],
      ["text", "xin vắng vì ốm"],
      ["photo", "ảnh"],
    ]);
    expect(received.map((m) => m.eventId)).toEqual(updates.map((u) => `${an.id}:${u.message.message_id}`));
    expect(new Set(received.map((m) => m.eventId)).size).toBe(3);
    expect(received[0]).toMatchObject({
      platform: "zalo_bot",
      account: "1234567890",
      chatId: an.id,
      chatType: "private",
      sender: an,
    });
    const methods = fake.calls.map((c) => c.method);
    expect(methods[0]).toBe("deleteWebhook");
    expect(methods.slice(1).every((m) => m === "getUpdates")).toBe(true);
    expect(fake.callsOf("getUpdates")[0]!.payload).toEqual({ timeout: "20" });
  });

  it("should give a redelivered message the same eventId, so the inbox can drop it", async () => {
    const { received, handler } = recorder();
    await pollingChannel().start(handler);
    const update = fake.userSendsText(an, "có mặt");
    fake.pushUpdate(JSON.parse(JSON.stringify(update)));
    await fake.waitFor(() => received.length === 2, 5000, "2 handled");
    expect(received[1]!.eventId).toBe(received[0]!.eventId);
  });

  it("should keep polling after a handler failure and after updates it cannot read", async () => {
    const { received, handler } = recorder((m) => {
      if (m.text === "boom") throw new Error("handler failed");
    });
    await pollingChannel().start(handler);
    fake.userSendsText(an, "boom");
    fake.pushUpdate({ foo: 1 });
    fake.pushUpdate({ event_name: "message.text.received", message: { text: "no sender" } });
    fake.userSendsText(an, "vẫn nghe");
    await fake.waitFor(() => received.length === 2, 5000, "2 handled");
    await idleAfter(4);
    expect(received.map((m) => m.text)).toEqual(["boom", "vẫn nghe"]);
  });

  it("should back off and go on polling after API errors, network errors and a failed deleteWebhook", async () => {
    fake.failNext("deleteWebhook", { error_code: 500, description: "Internal Server Error" });
    fake.failNext("getUpdates", { error_code: 502, description: "Bad Gateway" }, 2);
    fake.failNext("getUpdates", "network");
    fake.failNext("getUpdates", { error_code: 408, description: "Request timeout" });
    const { received, handler } = recorder();
    await pollingChannel().start(handler);
    fake.userSendsText(an, "sau sự cố");
    await fake.waitFor(() => received.length === 1, 5000, "handled after errors");
    expect(received[0]!.text).toBe("sau sự cố");
    expect(
      fake
        .callsOf("getUpdates")
        .slice(0, 5)
        .map((c) => c.status),
    ).toEqual([502, 502, 0, 408, 200]);
  });

  it("should not hand group messages to the handler: the channel is 1:1 only", async () => {
    const { received, handler } = recorder();
    await pollingChannel().start(handler);
    fake.pushUpdate(
      fake.messageFrom(an, "message.text.received", { text: "@bot chào" }, { id: "group-1", chat_type: "GROUP" }),
    );
    fake.userSendsText(an, "riêng tư");
    await fake.waitFor(() => received.length === 1, 5000, "1 handled");
    await idleAfter(2);
    expect(received.map((m) => [m.chatId, m.text])).toEqual([[an.id, "riêng tư"]]);
  });

  it("should hand an unknown event type over as unsupported", async () => {
    const { received, handler } = recorder();
    await pollingChannel().start(handler);
    fake.pushUpdate(fake.messageFrom(an, "message.location.received", { location: { lat: 10.7, lng: 106.6 } }));
    await fake.waitFor(() => received.length === 1, 5000, "1 handled");
    expect(received[0]).toMatchObject({ kind: "unsupported", chatId: an.id, text: undefined });
  });

  it("should let the held long poll finish on stop and finish the update being handled", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let finished = false;
    const { received, handler } = recorder(async () => {
      await gate;
      finished = true;
    });
    const ch = pollingChannel({ pollTimeoutSeconds: 25, stopGraceMs: undefined });
    await ch.start(handler);
    fake.userSendsText(an, "đang xử lý");
    await fake.waitFor(() => received.length === 1, 5000, "handler entered");
    const stopped = ch.stop();
    release();
    await stopped;
    expect(finished).toBe(true);
    await ch.stop();
    channel = undefined;
    // Every getUpdates call was answered; none is left held and none started after stop().
    expect(fake.isLongPolling).toBe(false);
    const polls = fake.callsOf("getUpdates");
    expect(polls.length).toBe(1);
    expect(polls[0]!.status).toBe(200);
  });

  it("should not abort a held poll on stop: a message it brings meanwhile is handed over, not lost", async () => {
    // getUpdates has no offset: an update written to a poll the client has aborted is gone. So
    // stop() lets the held poll end (here with the member's message) and starts no new one.
    const { received, handler } = recorder();
    const ch = pollingChannel({ pollTimeoutSeconds: 25, stopGraceMs: undefined });
    await ch.start(handler);
    await idleAfter(0);
    const stopped = ch.stop();
    fake.userSendsText(an, "có mặt");
    await stopped;
    channel = undefined;
    expect(received.map((m) => m.text)).toEqual(["có mặt"]);
    expect(fake.callsOf("getUpdates").map((c) => c.status)).toEqual([200]);
    expect(fake.isLongPolling).toBe(false);
  });

  it("should cut a held poll after the stop grace, leaving it (status 0, not a 408)", async () => {
    const ch = pollingChannel({ pollTimeoutSeconds: 25, stopGraceMs: 200 });
    await ch.start(async () => undefined);
    await idleAfter(0);
    const began = Date.now();
    await ch.stop();
    const took = Date.now() - began;
    channel = undefined;
    await fake.waitFor(() => fake.callsOf("getUpdates").length === 1, 5000, "poll recorded");
    expect(fake.callsOf("getUpdates").map((c) => c.status)).toEqual([0]);
    expect(fake.isLongPolling).toBe(false);
    // Cut by the grace, not by the poll's own 25 s.
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(20_000);
  });

  it("should answer 404 on the webhook path in polling mode", async () => {
    const app = new Hono();
    channel = new ZaloBotChannel({
      config: { token: fake.token, mode: "polling", apiRoot: fake.apiRoot },
      logger: silent,
      app,
      pollTimeoutSeconds: 20,
    });
    const { received, handler } = recorder();
    await channel.start(handler);
    const r = await app.request(zaloBotWebhookPath, {
      method: "POST",
      headers: { "x-bot-api-secret-token": secret },
      body: JSON.stringify(fake.messageFrom(an, "message.text.received", { text: "x" })),
    });
    expect(r.status).toBe(404);
    expect(received).toHaveLength(0);
  });
});

describe("ZaloBotChannel webhook", () => {
  const post = (app: Hono, body: string, headers: Record<string, string> = { "x-bot-api-secret-token": secret }) =>
    app.request(zaloBotWebhookPath, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });

  it("should set the webhook to <url>/zalo-bot/webhook with the secret at start", async () => {
    const app = new Hono();
    await webhookChannel(app).start(async () => undefined);
    expect(fake.callsOf("setWebhook").map((c) => c.payload)).toEqual([
      { url: "https://chihoi.example/zalo-bot/webhook", secret_token: secret },
    ]);
    expect(fake.callsOf("getUpdates")).toHaveLength(0);
    expect(fake.callsOf("deleteWebhook")).toHaveLength(0);
  });

  it("should start even when setWebhook fails", async () => {
    fake.failNext("setWebhook", { error_code: 400, description: "Bad Request: url must be https" });
    const app = new Hono();
    const { received, handler } = recorder();
    await webhookChannel(app).start(handler);
    expect(fake.callsOf("setWebhook").map((c) => c.status)).toEqual([400]);
    const r = await post(app, JSON.stringify(fake.messageFrom(an, "message.text.received", { text: "vẫn nhận" })));
    expect(r.status).toBe(200);
    expect(received.map((m) => m.text)).toEqual(["vẫn nhận"]);
  });

  it("should answer 401 and hand nothing over when the secret is missing or wrong", async () => {
    const app = new Hono();
    const { received, handler } = recorder();
    await webhookChannel(app).start(handler);
    const body = JSON.stringify({
      ok: true,
      result: fake.messageFrom(an, "message.text.received", { text: "DK 123456" }),
    });
    const wrongSameLength = secret.slice(0, -1) + (secret.endsWith("x") ? "y" : "x");
    const variants: Record<string, string>[] = [
      {},
      { "x-bot-api-secret-token": "wrong" },
      { "x-bot-api-secret-token": wrongSameLength },
      { "x-bot-api-secret-token": `${secret}x` },
      { "x-bot-api-secret-token": "" },
    ];
    for (const headers of variants) {
      const r = await post(app, body, headers);
      expect(r.status).toBe(401);
    }
    expect(received).toHaveLength(0);
    const r = await post(app, body);
    expect(r.status).toBe(200);
    expect(received.map((m) => m.text)).toEqual(["DK 123456"]);
  });

  it("should take the enveloped and the bare form, and an unsupported event", async () => {
    const app = new Hono();
    const { received, handler } = recorder();
    await webhookChannel(app).start(handler);
    const enveloped = { ok: true, result: fake.messageFrom(an, "message.text.received", { text: "một" }) };
    const bare = fake.messageFrom(an, "message.text.received", { text: "hai" });
    const unsupported = fake.messageFrom(an, "message.unsupported.received", {});
    for (const body of [enveloped, bare, unsupported]) expect((await post(app, JSON.stringify(body))).status).toBe(200);
    expect(received.map((m) => [m.kind, m.text])).toEqual([
      ["text", "một"],
      ["text", "hai"],
      ["unsupported", undefined],
    ]);
  });

  it("should answer 400 to a batch, to non-JSON and to a non-object, and 200 to an object it ignores", async () => {
    const app = new Hono();
    const { received, handler } = recorder();
    await webhookChannel(app).start(handler);
    const one = fake.messageFrom(an, "message.text.received", { text: "x" });
    expect((await post(app, JSON.stringify([one, one]))).status).toBe(400);
    expect((await post(app, "{not json")).status).toBe(400);
    expect((await post(app, '"hello"')).status).toBe(400);
    expect((await post(app, "null")).status).toBe(400);
    expect((await post(app, JSON.stringify({ event_name: "bot.pinged" }))).status).toBe(200);
    expect(received).toHaveLength(0);
  });

  it("should answer 413 to a body over 64 KB and hand nothing over", async () => {
    const app = new Hono();
    const { received, handler } = recorder();
    await webhookChannel(app).start(handler);
    const big = JSON.stringify(fake.messageFrom(an, "message.text.received", { text: "x".repeat(70 * 1024) }));
    const r = await post(app, big);
    expect(r.status).toBe(413);
    expect(received).toHaveLength(0);
  });

  it("should answer 500 when the handler fails, so the platform may deliver again, and keep serving", async () => {
    const app = new Hono();
    const { received, handler } = recorder((m) => {
      if (m.text === "boom") throw new Error("database is locked");
    });
    await webhookChannel(app).start(handler);
    expect(
      (await post(app, JSON.stringify(fake.messageFrom(an, "message.text.received", { text: "boom" })))).status,
    ).toBe(500);
    expect(
      (await post(app, JSON.stringify(fake.messageFrom(an, "message.text.received", { text: "ổn" })))).status,
    ).toBe(200);
    expect(received.map((m) => m.text)).toEqual(["boom", "ổn"]);
  });

  it("should acknowledge only after the handler resolved", async () => {
    const app = new Hono();
    const order: string[] = [];
    await webhookChannel(app).start(async () => {
      await new Promise((r) => setImmediate(r));
      order.push("stored");
    });
    const r = await post(app, JSON.stringify(fake.messageFrom(an, "message.text.received", { text: "x" })));
    order.push(`answered ${r.status}`);
    expect(order).toEqual(["stored", "answered 200"]);
  });

  it("should answer 503 before start and after stop", async () => {
    const app = new Hono();
    const ch = webhookChannel(app);
    const body = JSON.stringify(fake.messageFrom(an, "message.text.received", { text: "x" }));
    expect((await post(app, body)).status).toBe(503);
    await ch.start(async () => undefined);
    expect((await post(app, body)).status).toBe(200);
    await ch.stop();
    expect((await post(app, body)).status).toBe(503);
  });

  it("should retry setWebhook with growing waits until Zalo accepts it, and say so in status()", async () => {
    const app = new Hono();
    fake.failNext("setWebhook", "network", 2);
    fake.failNext("setWebhook", { error_code: 500, description: "Internal Server Error" });
    const ch = webhookChannel(app, { retryBaseMs: 5, webhookRetryMaxMs: 40 });
    await ch.start(async () => undefined);
    expect(ch.status()).toMatchObject({ mode: "webhook", state: "webhook_pending", failures: 1 });
    expect(ch.status().lastError).not.toContain(fake.token);
    await fake.waitFor(() => ch.status().state === "webhook_set", 5000, "webhook set");
    expect(fake.callsOf("setWebhook")).toHaveLength(4);
    expect(ch.status()).toMatchObject({ state: "webhook_set", failures: 3, lastError: null });
    expect(fake.webhook?.url).toBe("https://chihoi.example/zalo-bot/webhook");
    await ch.stop();
    expect(ch.status().state).toBe("stopped");
  });

  it("should stop retrying setWebhook when stopped", async () => {
    const app = new Hono();
    fake.failNext("setWebhook", { error_code: 500, description: "Internal Server Error" }, 1000);
    const ch = webhookChannel(app, { retryBaseMs: 5, webhookRetryMaxMs: 10 });
    await ch.start(async () => undefined);
    await fake.waitFor(() => fake.callsOf("setWebhook").length >= 3, 5000, "retries");
    await ch.stop();
    const count = fake.callsOf("setWebhook").length;
    // Kept: stop() awaits the retry loop, so only a loop that outlives it could call again, within a
    // retry wait (≤ 10 ms here); nothing marks "would have retried by now" but time.
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.callsOf("setWebhook")).toHaveLength(count);
  });

  it("should take deliveries from the platform over real HTTP with the secret header", async () => {
    await fake.stop();
    fake = new FakeZaloBotServer({ allowHttpWebhook: true }); // the local web server speaks http
    await fake.start();
    web = createWebServer({ host: "127.0.0.1", port: 0, locale: "vi", demo: false });
    const { received, handler } = recorder();
    await web.listen();
    await webhookChannel(web.app, { webhookUrl: web.url }).start(handler);
    expect(fake.webhook).toEqual({ url: `${web.url}/zalo-bot/webhook`, secret });
    const update = fake.userSendsText(an, "qua webhook");
    await fake.waitFor(() => fake.webhookDeliveries.length === 1, 5000, "delivered");
    expect(fake.webhookDeliveries[0]!.status).toBe(200);
    expect(received.map((m) => [m.text, m.eventId])).toEqual([
      ["qua webhook", `${an.id}:${update.message.message_id}`],
    ]);
    expect(await fake.deliverToWebhook({ ok: true, result: update }, { secret: null })).toBe(401);
    expect(await fake.deliverToWebhook({ ok: true, result: update }, { secret: "not-the-secret" })).toBe(401);
    expect(received).toHaveLength(1);
  });
});

describe("ZaloBotChannel send", () => {
  it("should split a 4,500-character message into 3 ordered sends of at most 2,000 characters", async () => {
    const text = Array.from({ length: 563 }, (_, i) => `câu${String(i).padStart(4, "0")}`).join(" ");
    expect(text.length).toBe(4503);
    const ch = pollingChannel();
    const result = await ch.send({ chatId: an.id, chatType: "private" }, { text });
    const sent = fake.sent(an.id);
    expect(sent).toHaveLength(3);
    expect(sent.every((s) => s.text.length <= 2000 && s.text.length > 0)).toBe(true);
    expect(sent.map((s) => s.text).join(" ")).toBe(text);
    expect(sent[0]!.text.startsWith("câu0000 ")).toBe(true);
    expect(sent[2]!.text.endsWith(" câu0562")).toBe(true);
    expect(result.messageIds).toEqual(sent.map((s) => s.message_id));
    expect(fake.callsOf("sendMessage").map((c) => Object.keys(c.payload).sort())).toEqual([
      ["chat_id", "text"],
      ["chat_id", "text"],
      ["chat_id", "text"],
    ]);
  });

  it("should send a short message as one call and return its id", async () => {
    const result = await pollingChannel().send({ chatId: an.id, chatType: "private" }, { text: "Xin chào" });
    expect(fake.sent(an.id).map((s) => s.text)).toEqual(["Xin chào"]);
    expect(result).toEqual({ messageIds: [fake.sent(an.id)[0]!.message_id] });
  });

  it("should render choices as numbered text in the message's language", async () => {
    const ch = pollingChannel();
    const choices = [
      { label: "Có mặt", payload: "rsvp:1:attend" },
      { label: "Xin vắng", payload: "rsvp:1:absent" },
    ];
    await ch.send(
      { chatId: an.id, chatType: "private" },
      { text: "Buổi sinh hoạt 19:30 thứ Sáu, 05/12/2026.", choices },
    );
    await ch.send(
      { chatId: an.id, chatType: "private" },
      { text: "Meeting at 19:30.", choices: [{ label: "Attend", payload: "a" }], locale: "en" },
    );
    expect(fake.sent(an.id).map((s) => s.text)).toEqual([
      "Buổi sinh hoạt 19:30 thứ Sáu, 05/12/2026.\n\nTrả lời 1 để Có mặt\nTrả lời 2 để Xin vắng",
      "Meeting at 19:30.\n\nReply 1 to Attend",
    ]);
    expect(ch.capabilities).toEqual({ buttons: false, maxLength: 2000, groups: false });
  });

  it("should refuse an empty message without calling the platform", async () => {
    const error = await pollingChannel()
      .send({ chatId: an.id, chatType: "private" }, { text: "  " })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelSendError);
    expect(error).toMatchObject({ failure: "permanent" });
    expect(fake.callsOf("sendMessage")).toHaveLength(0);
  });

  async function failureOf(setup: () => void): Promise<ChannelSendError> {
    setup();
    const error = await pollingChannel()
      .send({ chatId: an.id, chatType: "private" }, { text: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChannelSendError);
    return error as ChannelSendError;
  }

  it("should classify a blocked chat as unreachable", async () => {
    const e = await failureOf(() => fake.blockChat(an.id));
    expect([e.failure, e.options.errorCode]).toEqual(["unreachable", 403]);
  });

  it("should classify 429 as a per-chat rate limit with retry_after, or 60 s without", async () => {
    const e1 = await failureOf(() =>
      fake.failNext("sendMessage", {
        error_code: 429,
        description: "Too Many Requests",
        parameters: { retry_after: 7 },
      }),
    );
    expect([e1.failure, e1.options.retryAfterSeconds, e1.options.scope]).toEqual(["rate_limited", 7, "chat"]);
    const e2 = await failureOf(() =>
      fake.failNext("sendMessage", { error_code: 429, description: "Too Many Requests" }),
    );
    expect([e2.failure, e2.options.retryAfterSeconds, e2.options.scope]).toEqual(["rate_limited", 60, "chat"]);
  });

  it("should classify server errors and dropped connections as transient", async () => {
    expect(
      (await failureOf(() => fake.failNext("sendMessage", { error_code: 500, description: "Internal Server Error" })))
        .failure,
    ).toBe("transient");
    expect((await failureOf(() => fake.failNext("sendMessage", "network"))).failure).toBe("transient");
  });

  it("should classify an unknown chat as unreachable and another bad request as permanent", async () => {
    expect(
      (await failureOf(() => fake.setChatError(an.id, { error_code: 400, description: "Bad Request: chat not found" })))
        .failure,
    ).toBe("unreachable");
    fake.setChatError(an.id, undefined);
    const e = await failureOf(() =>
      fake.failNext("sendMessage", { error_code: 400, description: "Bad Request: text must be 1-2000 characters" }),
    );
    expect([e.failure, e.options.errorCode]).toEqual(["permanent", 400]);
  });

  it("should stop at the first failing part of a long message", async () => {
    fake.failNext("sendMessage", { error_code: 400, description: "Bad Request: invalid text" });
    const error = await pollingChannel()
      .send({ chatId: an.id, chatType: "private" }, { text: "a ".repeat(1500) })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: "permanent" });
    expect(fake.callsOf("sendMessage")).toHaveLength(1);
  });
});

describe("classifyZaloBotError", () => {
  const api = (code: number, description: string, retryAfter?: number) =>
    new ZaloBotApiError("sendMessage", code, description, retryAfter);

  it("should map codes and descriptions to what the delivery engine should do", () => {
    const cases: [unknown, string][] = [
      [api(429, "Too Many Requests", 3), "rate_limited"],
      [api(400, "Rate limit exceeded"), "rate_limited"],
      [api(400, "Daily quota exceeded"), "rate_limited"],
      [api(403, "Forbidden"), "unreachable"],
      [api(400, "User has blocked the bot"), "unreachable"],
      [api(404, "Chat not found"), "unreachable"],
      [api(400, "user not found"), "unreachable"],
      [api(404, "Not Found: method not found"), "permanent"],
      [api(400, "Bad Request: text must be 1-2000 characters"), "permanent"],
      [api(401, "Unauthorized"), "transient"],
      [api(408, "Request timeout"), "transient"],
      [api(500, "Internal Server Error"), "transient"],
      [api(503, "Service Unavailable"), "transient"],
      [new ZaloBotHttpError("sendMessage", "timeout", "timed out"), "transient"],
      [new ZaloBotHttpError("sendMessage", "network", "network error: fetch failed"), "transient"],
      [new Error("something odd"), "transient"],
    ];
    expect(cases.map(([error]) => classifyZaloBotError(error).failure)).toEqual(cases.map(([, failure]) => failure));
  });

  it("should keep the code and the description, and wrap the original error as cause", () => {
    const original = api(429, "Too Many Requests", 3);
    const e = classifyZaloBotError(original);
    expect(e.message).toBe("sendMessage: 429 Too Many Requests");
    expect(e.options).toMatchObject({ errorCode: 429, retryAfterSeconds: 3, scope: "chat" });
    expect(e.cause).toBe(original);
  });
});

describe("ZaloBotChannel token safety", () => {
  it("should log poll and send failures without the token", async () => {
    const token = "9876543210:zbSECRETabc";
    const lines: string[] = [];
    const logger = createLogger("debug", { write: (s: string) => void lines.push(s) });
    // The fake knows another token (401) and the bad port cannot even be parsed (undici names the URL).
    const wrongToken = new ZaloBotChannel({
      config: { token, mode: "polling", apiRoot: fake.apiRoot },
      logger,
      retryBaseMs: 1,
      retryMaxMs: 2,
      pollTimeoutSeconds: 20,
    });
    const badRoot = new ZaloBotChannel({
      config: { token, mode: "polling", apiRoot: "http://127.0.0.1:99999" },
      logger,
      retryBaseMs: 1,
      retryMaxMs: 2,
      pollTimeoutSeconds: 20,
    });
    await wrongToken.start(async () => undefined);
    await badRoot.start(async () => undefined);
    await fake.waitFor(
      () => fake.callsOf("getUpdates").length >= 2 && lines.filter((l) => l.includes("getUpdates failed")).length >= 4,
      5000,
      "failures logged",
    );
    await wrongToken.stop();
    await badRoot.stop();
    const sendError = await badRoot
      .send({ chatId: "c", chatType: "private" }, { text: "x" })
      .catch((e: unknown) => e as ChannelSendError);
    logger.warn({ err: sendError }, "send failed");
    const output = lines.join("");
    expect(output).toContain("Unauthorized");
    expect(output).toContain("bot[REDACTED]");
    expect(output).not.toContain("zbSECRETabc");
    let e: unknown = sendError;
    for (let depth = 0; e instanceof Error && depth < 6; depth++, e = e.cause) {
      expect(`${e.message}\n${e.stack}`).not.toContain("zbSECRETabc");
    }
  });
});
