import http from "node:http";
import type { AddressInfo } from "node:net";
import { Bot, GrammyError, HttpError, webhookCallback } from "grammy";
import type { Update } from "grammy/types";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeTelegramServer, type FakeTelegramOptions } from "./telegram-server.ts";

const servers: FakeTelegramServer[] = [];
const httpServers: http.Server[] = [];

async function startFake(options?: FakeTelegramOptions): Promise<{ tg: FakeTelegramServer; bot: Bot }> {
  const tg = new FakeTelegramServer(options);
  servers.push(tg);
  const apiRoot = await tg.start();
  const bot = new Bot(tg.token, { client: { apiRoot } });
  return { tg, bot };
}

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  httpServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

async function rawCall(
  apiRoot: string,
  path: string,
  body?: string,
  contentType?: string,
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${apiRoot}${path}`, {
    method: "POST",
    ...(body !== undefined ? { body, headers: { "content-type": contentType ?? "application/json" } } : {}),
  });
  return { status: res.status, json: await res.json() };
}

async function expectGrammyError(p: Promise<unknown>): Promise<GrammyError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GrammyError);
    return e as GrammyError;
  }
  throw new Error("expected a GrammyError");
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await Promise.all(
    httpServers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
});

describe("FakeTelegramServer basics", () => {
  it("should answer getMe with the configured bot", async () => {
    const { tg, bot } = await startFake({ botInfo: { first_name: "Chi Hội" } });
    const me = await bot.api.getMe();
    expect(me).toMatchObject({ id: 123456789, is_bot: true, username: "chihoi_test_bot", first_name: "Chi Hội" });
    expect(tg.calls).toHaveLength(1);
    expect(tg.calls[0]).toMatchObject({ method: "getMe", status: 200 });
  });

  it("should round-trip sendMessage and index sent messages by chat", async () => {
    const { tg, bot } = await startFake();
    const keyboard = { inline_keyboard: [[{ text: "Có", callback_data: "rsvp:yes" }]] };
    const m1 = await bot.api.sendMessage(42, "Họp chi hội 19h", { reply_markup: keyboard });
    const m2 = await bot.api.sendMessage(42, "Nhắc lại");
    const g = await bot.api.sendMessage(-100123, "Nhóm");
    expect(m1).toMatchObject({
      message_id: 1,
      chat: { id: 42, type: "private" },
      text: "Họp chi hội 19h",
      reply_markup: keyboard,
    });
    expect(m1.from?.id).toBe(tg.botInfo.id);
    expect(typeof m1.date).toBe("number");
    expect(m2.message_id).toBe(2);
    expect(g).toMatchObject({ message_id: 1, chat: { id: -100123, type: "group" } });
    expect(tg.sent(42).map((s) => s.text)).toEqual(["Họp chi hội 19h", "Nhắc lại"]);
    expect(tg.sent(42)[0]?.reply_markup).toEqual(keyboard);
    expect(tg.sent("42")).toHaveLength(2);
    expect(tg.sent()).toHaveLength(3);
    expect(tg.counters.served).toBe(3);
  });

  it("should validate text length, emptiness and callback_data size like Telegram", async () => {
    const { bot } = await startFake();
    expect((await expectGrammyError(bot.api.sendMessage(1, "   "))).description).toBe(
      "Bad Request: message text is empty",
    );
    const long = await expectGrammyError(bot.api.sendMessage(1, "a".repeat(4097)));
    expect(long.error_code).toBe(400);
    expect(long.description).toBe("Bad Request: message is too long");
    await expect(bot.api.sendMessage(1, "a".repeat(4096))).resolves.toBeTruthy();
    const data = await expectGrammyError(
      bot.api.sendMessage(1, "x", {
        reply_markup: { inline_keyboard: [[{ text: "b", callback_data: "đ".repeat(33) }]] },
      }),
    );
    expect(data.description).toBe("Bad Request: BUTTON_DATA_INVALID");
    const html = await expectGrammyError(bot.api.sendMessage(1, "Ông <Nguyễn> & bà", { parse_mode: "HTML" }));
    expect(html.description).toMatch(/^Bad Request: can't parse entities/);
    await expect(
      bot.api.sendMessage(1, "Ông &lt;Nguyễn&gt; <b>&amp;</b> bà", { parse_mode: "HTML" }),
    ).resolves.toBeTruthy();
  });

  it("should answer 401 for a wrong token and 404 for an unknown method", async () => {
    const { tg } = await startFake();
    const wrong = new Bot("987654321:WrongTokenWrongTokenWrongToken", { client: { apiRoot: tg.apiRoot } });
    const e = await expectGrammyError(wrong.api.getMe());
    expect(e.error_code).toBe(401);
    expect(e.description).toBe("Unauthorized");
    const r = await rawCall(tg.apiRoot, `/bot${tg.token}/sendSticker`, "{}");
    expect(r).toEqual({
      status: 404,
      json: { ok: false, error_code: 404, description: "Not Found: method not found" },
    });
  });

  it("should accept form-urlencoded and query-string parameters", async () => {
    const { tg } = await startFake();
    const markup = JSON.stringify({ inline_keyboard: [[{ text: "OK", callback_data: "ok" }]] });
    const form = new URLSearchParams({ chat_id: "7", text: "xin chào", reply_markup: markup }).toString();
    const r = await rawCall(tg.apiRoot, `/bot${tg.token}/sendMessage`, form, "application/x-www-form-urlencoded");
    expect(r.status).toBe(200);
    expect(r.json.result).toMatchObject({
      chat: { id: 7 },
      text: "xin chào",
      reply_markup: { inline_keyboard: [[{ text: "OK" }]] },
    });
    const q = await rawCall(tg.apiRoot, `/bot${tg.token}/sendMessage?chat_id=7&text=hi`);
    expect(q.json.result.message_id).toBe(2);
    expect(tg.sent(7)).toHaveLength(2);
  });

  it("should edit messages and answer callback queries", async () => {
    const { tg, bot } = await startFake();
    const kb = { inline_keyboard: [[{ text: "Có", callback_data: "yes" }]] };
    const m = await bot.api.sendMessage(5, "Bạn có đi họp?", { reply_markup: kb });
    const edited = await bot.api.editMessageText(5, m.message_id, "Đã ghi nhận", { reply_markup: kb });
    expect(edited).toMatchObject({ text: "Đã ghi nhận", reply_markup: kb });
    const same = await expectGrammyError(bot.api.editMessageText(5, m.message_id, "Đã ghi nhận", { reply_markup: kb }));
    expect(same.description).toMatch(/^Bad Request: message is not modified/);
    await bot.api.editMessageReplyMarkup(5, m.message_id);
    expect(tg.message(5, m.message_id)?.reply_markup).toBeUndefined();
    expect((await expectGrammyError(bot.api.editMessageText(5, 999, "x"))).description).toBe(
      "Bad Request: message to edit not found",
    );

    const u = tg.userPressesButton({ id: 5 }, m, "yes");
    const id = u.callback_query!.id;
    expect(u.callback_query?.message?.message_id).toBe(m.message_id);
    await bot.api.answerCallbackQuery(id, { text: "Cảm ơn" });
    expect(tg.callbackAnswer(id)).toMatchObject({ text: "Cảm ơn" });
    expect((await expectGrammyError(bot.api.answerCallbackQuery(id))).error_code).toBe(400);
  });

  it("should store, return and delete bot commands per scope and language", async () => {
    const { tg, bot } = await startFake();
    await bot.api.setMyCommands([{ command: "start", description: "Bắt đầu" }], { language_code: "vi" });
    expect(await bot.api.getMyCommands({ language_code: "vi" })).toEqual([
      { command: "start", description: "Bắt đầu" },
    ]);
    expect(await bot.api.getMyCommands()).toEqual([]);
    expect(tg.commands(undefined, "vi")).toHaveLength(1);
    await bot.api.deleteMyCommands({ language_code: "vi" });
    expect(await bot.api.getMyCommands({ language_code: "vi" })).toEqual([]);
    const bad = await expectGrammyError(bot.api.setMyCommands([{ command: "Bad Cmd", description: "x" }]));
    expect(bad.description).toBe("Bad Request: BOT_COMMAND_INVALID");
  });

  it("should handle sendChatAction and getChat", async () => {
    const { bot, tg } = await startFake();
    tg.userSendsText({ id: 77, first_name: "Lan", username: "lan77" }, "hi");
    await expect(bot.api.sendChatAction(77, "typing")).resolves.toBe(true);
    expect(await bot.api.getChat(77)).toMatchObject({ id: 77, type: "private", first_name: "Lan", username: "lan77" });
    expect(await bot.api.getChat(-1001234567890)).toMatchObject({ type: "supergroup" });
  });
});

describe("FakeTelegramServer getUpdates", () => {
  it("should deliver userSendsText updates to bot.start() long polling and stop cleanly", async () => {
    const { tg, bot } = await startFake();
    const seen: string[] = [];
    bot.command("start", (ctx) => ctx.reply("Chào mừng!"));
    bot.on("message:text", async (ctx) => {
      seen.push(ctx.message.text);
      await ctx.reply(`Đã nhận: ${ctx.message.text}`, { reply_parameters: { message_id: ctx.message.message_id } });
    });
    bot.on("message:contact", (ctx) => ctx.reply(`SĐT ${ctx.message.contact.phone_number}`));
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    const running = bot.start({ onStart: () => started() });
    await startedP;
    await tg.waitFor(() => tg.isLongPolling, 2000, "long poll held");
    const t0 = Date.now();
    tg.userSendsText({ id: 1001, first_name: "An" }, "/start");
    tg.userSendsText({ id: 1001, first_name: "An" }, "xin chào");
    tg.userSharesContact(
      { id: 1002, first_name: "Bình" },
      { phone_number: "+84901234567", first_name: "Bình", user_id: 1002 },
    );
    await tg.waitForSent(3, 3000);
    expect(Date.now() - t0).toBeLessThan(1500); // delivered by the held long poll, not after a timeout
    expect(tg.sent(1001).map((s) => s.text)).toEqual(["Chào mừng!", "Đã nhận: xin chào"]);
    expect(tg.sent(1001)[1]?.reply_to_message_id).toBe(2);
    expect(tg.sent(1002)[0]?.text).toBe("SĐT +84901234567");
    expect(seen).toEqual(["xin chào"]);

    await bot.stop();
    await running;
    expect(tg.pendingUpdateCount).toBe(0); // bot.stop() confirmed the offset
  });

  it("should confirm updates by offset exactly like Telegram", async () => {
    const { tg, bot } = await startFake();
    const a = tg.userSendsText({ id: 1 }, "a");
    const b = tg.userSendsText({ id: 1 }, "b");
    const c = tg.userSendsText({ id: 2 }, "c");
    expect([a.update_id, b.update_id, c.update_id]).toEqual([1, 2, 3]);
    expect((await bot.api.getUpdates()).map((u) => u.update_id)).toEqual([1, 2, 3]); // not confirmed yet
    expect((await bot.api.getUpdates({ limit: 1 })).map((u) => u.update_id)).toEqual([1]);
    expect((await bot.api.getUpdates({ offset: 3 })).map((u) => u.update_id)).toEqual([3]); // 1 and 2 confirmed
    expect((await bot.api.getUpdates()).map((u) => u.update_id)).toEqual([3]);
    expect(await bot.api.getUpdates({ offset: 4 })).toEqual([]);
    tg.userSendsText({ id: 1 }, "d");
    tg.userSendsText({ id: 1 }, "e");
    expect((await bot.api.getUpdates({ offset: -1 })).map((u) => u.update_id)).toEqual([5]);
  });

  it("should hold a long poll until an update arrives or the timeout expires", async () => {
    const { tg, bot } = await startFake();
    const t0 = Date.now();
    expect(await bot.api.getUpdates({ timeout: 1 })).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const p = bot.api.getUpdates({ timeout: 10 });
    setTimeout(() => tg.userSendsText({ id: 3 }, "hello"), 50);
    const t1 = Date.now();
    const got = await p;
    expect(Date.now() - t1).toBeLessThan(2000);
    expect(got[0]?.message?.text).toBe("hello");
  });

  it("should answer 409 to a poll terminated by another one", async () => {
    const { bot } = await startFake();
    const first = bot.api.getUpdates({ timeout: 10 });
    await new Promise((r) => setTimeout(r, 50));
    const second = bot.api.getUpdates({ timeout: 0 });
    const e = await expectGrammyError(first);
    expect(e.error_code).toBe(409);
    expect(await second).toEqual([]);
  });
});

describe("FakeTelegramServer flood limits", () => {
  it("should answer 429 with retry_after when one chat gets 5 quick messages", async () => {
    const { tg, bot } = await startFake({ limits: {} });
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => bot.api.sendMessage(9, `m${i}`)));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason);
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    for (const e of rejected) {
      expect(e).toBeInstanceOf(GrammyError);
      expect((e as GrammyError).error_code).toBe(429);
      expect((e as GrammyError).parameters.retry_after).toBeGreaterThanOrEqual(1);
      expect((e as GrammyError).description).toMatch(/^Too Many Requests: retry after \d+$/);
    }
    expect(tg.counters.rateLimited).toBe(rejected.length);
    expect(tg.sent(9)).toHaveLength(5 - rejected.length);
  });

  it("should let 29 msg/s through and reject 60 msg/s across chats (sliding window)", async () => {
    let now = 1_000_000;
    const { tg } = await startFake({ limits: {}, clock: () => now });
    const send = (chat: number) =>
      rawCall(tg.apiRoot, `/bot${tg.token}/sendMessage`, JSON.stringify({ chat_id: chat, text: "x" }));
    let chat = 1;
    for (let i = 0; i < 29 * 4; i++) {
      now = 1_000_000 + Math.round((i * 1000) / 29);
      expect((await send(chat++)).status).toBe(200);
    }
    expect(tg.counters.rateLimited).toBe(0);
    now += 2000;
    let limited = 0;
    for (let i = 0; i < 120; i++) {
      now += 1000 / 60;
      const r = await send(chat++);
      if (r.status === 429) {
        limited++;
        expect(r.json.parameters.retry_after).toBe(1);
      }
    }
    expect(limited).toBeGreaterThanOrEqual(55);
    expect(tg.counters.rateLimited).toBe(limited);
  });

  it("should allow 1 msg/s to one chat, refuse two within a second, and limit groups to 20 per minute", async () => {
    let now = 5_000_000;
    const { tg } = await startFake({ limits: {}, clock: () => now });
    const send = (chat: number) =>
      rawCall(tg.apiRoot, `/bot${tg.token}/sendMessage`, JSON.stringify({ chat_id: chat, text: "x" }));
    for (let i = 0; i < 10; i++) {
      now += 1000 + (i % 2 ? 30 : 0); // 1/s, never closer than 1000 ms
      expect((await send(11)).status).toBe(200);
    }
    now += 999;
    expect((await send(11)).status).toBe(429);
    now += 1;
    expect((await send(11)).status).toBe(200);
    now += 60_000;
    for (let i = 0; i < 20; i++) {
      now += 1000;
      expect((await send(-555)).status).toBe(200);
    }
    now += 1000;
    const r = await send(-555);
    expect(r.status).toBe(429);
    expect(r.json.parameters.retry_after).toBe(40);
  });

  it("should work with limits off by default", async () => {
    const { tg, bot } = await startFake();
    await Promise.all(Array.from({ length: 50 }, (_, i) => bot.api.sendMessage(8, `m${i}`)));
    expect(tg.sent(8)).toHaveLength(50);
    expect(tg.counters.rateLimited).toBe(0);
  });
});

describe("FakeTelegramServer strict window", () => {
  it("should refuse a 31st send in any 1000 ms window, judged by arrival time", async () => {
    let now = 9_000_000;
    const { tg } = await startFake({ limits: {}, clock: () => now });
    const send = (chat: number) =>
      rawCall(tg.apiRoot, `/bot${tg.token}/sendMessage`, JSON.stringify({ chat_id: chat, text: "x" }));
    // 30 in a burst at t, then one at t + 999: refused; at t + 1000: accepted (a token bucket
    // refilling at 30/s would have let several through in between).
    for (let i = 0; i < 30; i++) expect((await send(100 + i)).status).toBe(200);
    now += 500;
    expect((await send(200)).status).toBe(429);
    now += 499;
    expect((await send(201)).status).toBe(429);
    now += 1;
    expect((await send(202)).status).toBe(200);
    expect(tg.counters.rateLimited).toBe(2);
  });

  it("should not count answerCallbackQuery or getMe against the window", async () => {
    const now = 9_500_000;
    const { tg } = await startFake({ limits: {}, clock: () => now });
    const call = (method: string, body: object) =>
      rawCall(tg.apiRoot, `/bot${tg.token}/${method}`, JSON.stringify(body));
    for (let i = 0; i < 30; i++) expect((await call("sendMessage", { chat_id: 300 + i, text: "x" })).status).toBe(200);
    expect((await call("getMe", {})).status).toBe(200);
    expect((await call("sendMessage", { chat_id: 400, text: "x" })).status).toBe(429);
  });
});

describe("FakeTelegramServer outage", () => {
  it("should refuse connections during a 'refuse' outage and answer again on the same port after it", async () => {
    const { tg, bot } = await startFake();
    const root = tg.apiRoot;
    await tg.setOutage("refuse");
    await expect(bot.api.getMe()).rejects.toThrow();
    await tg.setOutage(false);
    expect(tg.apiRoot).toBe(root);
    expect((await bot.api.getMe()).id).toBe(tg.botInfo.id);
  });

  it("should answer 502 to every call during a '5xx' outage", async () => {
    const { tg, bot } = await startFake();
    await tg.setOutage("5xx");
    const e = await expectGrammyError(bot.api.sendMessage(5, "x"));
    expect(e.error_code).toBe(502);
    await tg.setOutage(false);
    await bot.api.sendMessage(5, "x");
    expect(tg.sent(5)).toHaveLength(1);
  });
});

describe("FakeTelegramServer fault injection", () => {
  it("should answer 403 for a blocked or deactivated chat", async () => {
    const { tg, bot } = await startFake();
    tg.blockChat(12);
    tg.deactivateChat(13);
    const e = await expectGrammyError(bot.api.sendMessage(12, "hi"));
    expect(e.error_code).toBe(403);
    expect(e.description).toBe("Forbidden: bot was blocked by the user");
    expect((await expectGrammyError(bot.api.sendMessage(13, "hi"))).description).toBe("Forbidden: user is deactivated");
    tg.unblockChat(12);
    await expect(bot.api.sendMessage(12, "hi")).resolves.toBeTruthy();
    expect(tg.sent(12)).toHaveLength(1);
  });

  it("should turn failNext network into an HttpError and then recover", async () => {
    const { tg, bot } = await startFake();
    tg.failNext("sendMessage", "network");
    await expect(bot.api.sendMessage(1, "a")).rejects.toBeInstanceOf(HttpError);
    await expect(bot.api.sendMessage(1, "b")).resolves.toMatchObject({ text: "b" });
    expect(tg.calls.map((c) => c.status)).toEqual([0, 200]);
    expect(tg.counters.injected).toBe(1);
  });

  it("should inject API errors for the next N calls", async () => {
    const { tg, bot } = await startFake();
    tg.failNext(
      "sendMessage",
      { error_code: 429, description: "Too Many Requests: retry after 2", parameters: { retry_after: 2 } },
      2,
    );
    const e = await expectGrammyError(bot.api.sendMessage(1, "a"));
    expect(e.parameters.retry_after).toBe(2);
    await expectGrammyError(bot.api.sendMessage(1, "a"));
    await expect(bot.api.sendMessage(1, "a")).resolves.toBeTruthy();
  });
});

describe("FakeTelegramServer webhooks", () => {
  it("should POST updates with the secret header and resend on non-2xx", async () => {
    const { tg, bot } = await startFake({ webhookRetryDelayMs: 10 });
    const received: Array<{ secret: string | undefined; update: Update }> = [];
    let failuresLeft = 2;
    const url = await listen((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const secret = req.headers["x-telegram-bot-api-secret-token"];
        received.push({ secret: typeof secret === "string" ? secret : undefined, update: JSON.parse(body) as Update });
        res.writeHead(failuresLeft-- > 0 ? 500 : 200).end();
      });
    });
    await bot.api.setWebhook(url, { secret_token: "s3cret_Token-1" });
    expect(await bot.api.getWebhookInfo()).toMatchObject({ url, pending_update_count: 0 });
    const u = tg.userSendsText({ id: 21 }, "qua webhook");
    await tg.waitFor(() => tg.counters.webhookDelivered === 1, 3000);
    expect(received).toHaveLength(3); // 2 failures + 1 success
    for (const r of received) {
      expect(r.secret).toBe("s3cret_Token-1");
      expect(r.update).toEqual(u);
    }
    const info = await bot.api.getWebhookInfo();
    expect(info.last_error_message).toBe("Wrong response from the webhook: 500 Internal Server Error");

    expect(await tg.deliverToWebhook({ message: u.message! })).toBe(200);
    expect(received).toHaveLength(4);

    const conflict = await expectGrammyError(bot.api.getUpdates());
    expect(conflict.error_code).toBe(409);
    await bot.api.deleteWebhook();
    tg.userSendsText({ id: 21 }, "polling again");
    expect((await bot.api.getUpdates()).map((x) => x.message?.text)).toEqual(["polling again"]);
  });

  it("should drive a grammY webhookCallback end to end, including webhook replies", async () => {
    const { tg, bot } = await startFake();
    bot.on("message:text", async (ctx) => {
      await ctx.reply(`echo ${ctx.message.text}`);
    });
    bot.on("callback_query:data", (ctx) => ctx.answerCallbackQuery({ text: "ok" }));
    await bot.init();
    const url = await listen(webhookCallback(bot, "http", { secretToken: "tok" }));
    await bot.api.setWebhook(url, { secret_token: "tok" });
    tg.userSendsText({ id: 31 }, "một");
    tg.userSendsText({ id: 32 }, "hai");
    await tg.waitForSent(2, 3000);
    expect(tg.sent(31)[0]?.text).toBe("echo một");
    const u = tg.userPressesButton({ id: 31 }, { message_id: tg.sent(31)[0]!.message_id, chat: { id: 31 } }, "x");
    await tg.waitFor(() => tg.callbackAnswer(u.callback_query!.id) !== undefined, 3000);

    // a wrong secret is rejected by grammY
    await bot.api.setWebhook(url, { secret_token: "wrong" });
    expect(await tg.deliverToWebhook({ message: tg.userSendsText({ id: 33 }, "x").message! })).toBe(401);
  });
});

describe("FakeTelegramServer webhook replies and latency", () => {
  it("should execute a method call returned in the webhook response body", async () => {
    const { tg } = await startFake();
    const url = await listen((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const u = JSON.parse(body) as Update;
        const reply = JSON.stringify({ method: "sendMessage", chat_id: u.message!.chat.id, text: "trả lời nhanh" });
        res.writeHead(200, { "content-type": "application/json" }).end(reply);
      });
    });
    await rawCall(tg.apiRoot, `/bot${tg.token}/setWebhook`, JSON.stringify({ url }));
    tg.userSendsText({ id: 41 }, "hi");
    await tg.waitForSent(1, 3000, 41);
    expect(tg.sent(41)[0]?.text).toBe("trả lời nhanh");
    expect(tg.calls.at(-1)).toMatchObject({ method: "sendMessage", status: 200, via: "webhook-reply" });
  });

  it("should add the configured latency to every call", async () => {
    const { bot } = await startFake({ latencyMs: 120 });
    const t0 = Date.now();
    await bot.api.getMe();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
  });
});

describe("FakeTelegramServer lifecycle", () => {
  let tg: FakeTelegramServer;
  beforeEach(() => {
    tg = new FakeTelegramServer();
  });

  it("should close a held long poll promptly on stop()", async () => {
    const apiRoot = await tg.start();
    const bot = new Bot(tg.token, { client: { apiRoot } });
    const poll = bot.api.getUpdates({ timeout: 50 }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await tg.stop();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await poll).toBeInstanceOf(HttpError);
    await tg.stop(); // idempotent
  });

  it("should reject waitFor on timeout with a useful message", async () => {
    await tg.start();
    await expect(tg.waitForSent(1, 50)).rejects.toThrow(/timed out after 50 ms/);
    await tg.stop();
  });
});
