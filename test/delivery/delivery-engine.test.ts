import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { startFakeTelegram, telegramChannelFor, silentLogger } from "../helpers/telegram.ts";
import type { FakeTelegramServer } from "../fakes/telegram-server.ts";
import { DeliveryEngine, backoffDelay } from "../../src/delivery/delivery-engine.ts";
import {
  enqueue,
  enqueueMany,
  getOutboxRow,
  outboxCounts,
  priorities,
} from "../../src/domain/deliveries/outbox-service.ts";
import { ensureChatAccount, getAccount } from "../../src/domain/accounts/account-service.ts";
import { createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode, redeemLinkCode } from "../../src/domain/linking/link-service.ts";
import type { TelegramChannel } from "../../src/channels/telegram/telegram-channel.ts";
import { WebChatChannel } from "../../src/channels/web/web-chat-channel.ts";

let db: TestDatabase;
let fake: FakeTelegramServer;
let channel: TelegramChannel;
let engine: DeliveryEngine | undefined;

const limits = {
  telegram: { perSecond: 30, chatIntervalMs: 0, groupPerMinute: 20 },
  web: { perSecond: 1000, chatIntervalMs: 0, groupPerMinute: 1000 },
};

async function startEngine(
  extra: Partial<ConstructorParameters<typeof DeliveryEngine>[1]> = {},
  channels = [channel as TelegramChannel | WebChatChannel],
) {
  engine = new DeliveryEngine(db, {
    concurrency: 4,
    maxAttempts: 4,
    limits,
    logger: silentLogger,
    backoffBaseMs: 20,
    ...extra,
  });
  for (const c of channels) engine.addChannel(c);
  await engine.start();
  return engine;
}

async function waitFor(predicate: () => boolean | Promise<boolean>, ms = 8000) {
  const until = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(async () => {
  db = await createTestDatabase();
  fake = await startFakeTelegram();
  channel = telegramChannelFor(fake);
});
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  await fake.stop();
  await db.destroy();
});

describe("DeliveryEngine", () => {
  it("should send queued messages once, log them and record the attempt", async () => {
    const acc = await ensureChatAccount(db, { platform: "telegram", externalId: "1001" });
    const id = (await enqueue(db, {
      platform: "telegram",
      chatId: "1001",
      chatAccountId: acc.id,
      body: { text: "Xin chào", choices: [{ label: "Có mặt", payload: "rsvp:1:attend" }] },
      entityType: "Meeting",
      entityId: 1,
    }))!;
    await startEngine();
    await waitFor(async () => (await getOutboxRow(db, id))?.status === "sent");
    const sent = fake.sent(1001);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toBe("Xin chào");
    expect(sent[0]!.reply_markup.inline_keyboard[0][0]).toEqual({ text: "Có mặt", callback_data: "rsvp:1:attend" });
    const log = (await db.kysely
      .selectFrom("MessageLog")
      .select(["platformMessageId", "entityType", "entityId", "text"])
      .where("direction", "=", "out")
      .executeTakeFirst())!;
    expect(log).toEqual({
      platformMessageId: String(sent[0]!.message_id),
      entityType: "Meeting",
      entityId: 1,
      text: "Xin chào",
    });
    expect(
      await db.kysely.selectFrom("DeliveryAttempt").select("outcome").where("outboxId", "=", id).execute(),
    ).toEqual([{ outcome: "sent" }]);
  });

  it("should not enqueue the same dedupe key twice", async () => {
    const item = { platform: "telegram", chatId: "1", body: { text: "x" }, dedupeKey: "reminder:1:1" };
    expect(await enqueue(db, item)).not.toBeNull();
    expect(await enqueue(db, item)).toBeNull();
    expect(await enqueueMany(db, [item, { ...item, dedupeKey: "reminder:1:2" }])).toBe(1);
  });

  it("should wait retry_after on 429 and then deliver exactly once", async () => {
    fake.failNext(
      "sendMessage",
      { error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } },
      3,
    );
    const id = (await enqueue(db, { platform: "telegram", chatId: "1002", body: { text: "một" } }))!;
    const started = Date.now();
    await startEngine();
    await waitFor(async () => (await getOutboxRow(db, id))?.status === "sent");
    expect(fake.sent(1002)).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    const outcomes = (
      await db.kysely.selectFrom("DeliveryAttempt").select("outcome").where("outboxId", "=", id).orderBy("id").execute()
    ).map((r) => r.outcome);
    // Sends are not retried inside the channel (that would bypass the flood budget): each 429 goes
    // back to the outbox, which waits retry_after without spending an attempt.
    expect(outcomes).toEqual(["rate_limited", "rate_limited", "rate_limited", "sent"]);
    expect((await getOutboxRow(db, id))!.attempts).toBe(1);
  });

  it("should retry 5xx and network errors with backoff, bounded by maxAttempts", async () => {
    fake.failNext("sendMessage", { error_code: 502, description: "Bad Gateway" }, 1);
    fake.failNext("sendMessage", "network", 1);
    const ok = (await enqueue(db, { platform: "telegram", chatId: "1003", body: { text: "rồi cũng tới" } }))!;
    await startEngine();
    await waitFor(async () => (await getOutboxRow(db, ok))?.status === "sent");
    expect(fake.sent(1003)).toHaveLength(1);
    expect(
      (
        await db.kysely
          .selectFrom("DeliveryAttempt")
          .select("outcome")
          .where("outboxId", "=", ok)
          .orderBy("id")
          .execute()
      ).map((r) => r.outcome),
    ).toEqual(["retry", "retry", "sent"]);

    fake.failNext("sendMessage", { error_code: 500, description: "Internal Server Error" }, 10);
    const doomed = (await enqueue(db, { platform: "telegram", chatId: "1004", body: { text: "không tới" } }))!;
    engine!.kick();
    await waitFor(async () => (await getOutboxRow(db, doomed))?.status === "failed");
    expect((await getOutboxRow(db, doomed))!.attempts).toBe(4);
    expect(fake.sent(1004)).toHaveLength(0);
  });

  it("should mark a blocked account unreachable, stop retrying, and fall back to the person's other account", async () => {
    const person = await createPerson(db, { fullName: "Nguyễn Văn An" });
    const tg = await ensureChatAccount(db, { platform: "telegram", externalId: "1005" });
    const web = await ensureChatAccount(db, { platform: "web", externalId: "websession0000000001" });
    await redeemLinkCode(db, { accountId: tg.id, code: (await issueLinkCode(db, person.id)).code });
    await redeemLinkCode(db, { accountId: web.id, code: (await issueLinkCode(db, person.id)).code });
    fake.blockChat(1005);
    const webChannel = new WebChatChannel({ db, demo: false, defaultLocale: "vi" });
    await webChannel.start(async () => {});
    const id = (await enqueue(db, {
      platform: "telegram",
      chatId: "1005",
      chatAccountId: tg.id,
      personId: person.id,
      priority: priorities.broadcast,
      body: { text: "Thông báo" },
      dedupeKey: "d:1:p",
    }))!;
    await startEngine({}, [channel, webChannel]);
    await waitFor(async () => (await getOutboxRow(db, id))?.status === "unreachable");
    expect((await getAccount(db, tg.id)).unreachable).toBe(true);
    await waitFor(async () => (await outboxCounts(db, "web")).sent === 1);
    expect(
      await db.kysely
        .selectFrom("Outbox")
        .select(["chatId", "dedupeKey"])
        .where("platform", "=", "web")
        .executeTakeFirst(),
    ).toEqual({ chatId: "websession0000000001", dedupeKey: `d:1:p:fallback:${web.id}` });
    expect(fake.calls.filter((c) => c.method === "sendMessage")).toHaveLength(1);
  });

  it("should give a reply priority over a queued broadcast", async () => {
    await enqueueMany(
      db,
      Array.from({ length: 40 }, (_, i) => ({
        platform: "telegram",
        chatId: String(2000 + i),
        priority: priorities.broadcast,
        body: { text: `tin ${i}` },
      })),
    );
    const reply = (await enqueue(db, {
      platform: "telegram",
      chatId: "1006",
      priority: priorities.reply,
      body: { text: "trả lời" },
    }))!;
    await startEngine({ concurrency: 1 });
    await waitFor(async () => (await getOutboxRow(db, reply))?.status === "sent");
    const order = fake.calls.filter((c) => c.method === "sendMessage").map((c) => String(c.payload.chat_id));
    expect(order[0]).toBe("1006");
  });

  it("should keep to the per-chat interval and the global rate", async () => {
    await enqueueMany(
      db,
      Array.from({ length: 3 }, (_, i) => ({ platform: "telegram", chatId: "1007", body: { text: `tin ${i}` } })),
    );
    await startEngine({ limits: { ...limits, telegram: { perSecond: 30, chatIntervalMs: 300, groupPerMinute: 20 } } });
    await waitFor(() => fake.sent(1007).length === 3);
    const times = fake.sent(1007).map((s) => s.at);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(280);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(280);
    expect(fake.sent(1007).map((s) => s.text)).toEqual(["tin 0", "tin 1", "tin 2"]);
  });
});

describe("backoffDelay", () => {
  it("should grow exponentially with jitter and stay bounded", () => {
    expect(backoffDelay(1, () => 0)).toBe(500);
    expect(backoffDelay(1, () => 1)).toBe(1000);
    expect(backoffDelay(4, () => 1)).toBe(8000);
    expect(backoffDelay(40, () => 1)).toBe(300_000);
  });
});
