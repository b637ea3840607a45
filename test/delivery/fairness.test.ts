/**
 * Issue 10, point 3: no chat, group or broadcast delays another chat's message beyond what the
 * platform's limits force; replies come before broadcasts; broadcasts of different units
 * interleave. Against the fake Bot API enforcing Telegram's limits the strict way.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { startFakeTelegram, telegramChannelFor, silentLogger } from "../helpers/telegram.ts";
import type { FakeTelegramServer } from "../fakes/telegram-server.ts";
import { DeliveryEngine } from "../../src/delivery/delivery-engine.ts";
import { enqueue, enqueueMany, priorities } from "../../src/domain/deliveries/outbox-service.ts";

let db: TestDatabase;
let fake: FakeTelegramServer;
let engine: DeliveryEngine | undefined;

beforeEach(async () => {
  db = await createTestDatabase();
  fake = await startFakeTelegram({ limits: {} });
});
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  await fake.stop();
  await db.destroy();
});

async function start(): Promise<void> {
  engine = new DeliveryEngine(db, {
    concurrency: 8,
    maxAttempts: 8,
    logger: silentLogger,
    limits: { telegram: { perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 } },
  });
  engine.addChannel(telegramChannelFor(fake));
  await engine.start();
}

describe("fair delivery", () => {
  it("should not hold a reminder to one chat behind 13,000 replies queued for another", async () => {
    await enqueueMany(
      db,
      Array.from({ length: 13_000 }, (_, i) => ({
        platform: "telegram",
        chatId: "5001",
        priority: priorities.reply,
        body: { text: `trả lời ${i}` },
      })),
    );
    await enqueue(db, {
      platform: "telegram",
      chatId: "5002",
      priority: priorities.normal,
      body: { text: "Nhắc họp" },
      entityType: "Meeting",
      entityId: 1,
    });
    // A full group does not hold anyone else back either.
    await enqueueMany(
      db,
      Array.from({ length: 25 }, (_, i) => ({
        platform: "telegram",
        chatId: "-900",
        chatType: "group" as const,
        priority: priorities.normal,
        body: { text: `nhóm ${i}` },
      })),
    );
    await enqueue(db, {
      platform: "telegram",
      chatId: "5003",
      priority: priorities.broadcast,
      body: { text: "Văn bản" },
    });
    await start();
    await fake.waitForSent(1, 10_000, 5002);
    // The busy chat gets one message a second; the reminder went out while it had at most two.
    expect(fake.sentCount(5001)).toBeLessThanOrEqual(2);
    await fake.waitForSent(1, 10_000, 5003);
    expect(fake.sentCount(5001)).toBeLessThanOrEqual(3);
    expect(fake.counters.rateLimited).toBe(0);
  });

  it("should send replies to members before broadcast copies", async () => {
    await enqueueMany(
      db,
      Array.from({ length: 200 }, (_, i) => ({
        platform: "telegram",
        chatId: String(6000 + i),
        priority: priorities.broadcast,
        body: { text: `văn bản ${i}` },
        entityType: "Directive",
        entityId: 1,
      })),
    );
    await enqueueMany(
      db,
      Array.from({ length: 10 }, (_, i) => ({
        platform: "telegram",
        chatId: String(7000 + i),
        priority: priorities.reply,
        body: { text: `trả lời ${i}` },
      })),
    );
    await start();
    await fake.waitFor(() => fake.sentCount() >= 40, 10_000);
    const order = fake.sent().map((s) => Number(s.chat_id));
    // All ten replies go in the first rounds of sends, ahead of the 200 copies queued before them.
    expect(order.slice(0, 24).filter((c) => c >= 7000).length).toBe(10);
  });

  it("should interleave broadcasts of different units instead of queueing one behind the other", async () => {
    const now = new Date();
    await enqueueMany(
      db,
      Array.from({ length: 300 }, (_, i) => ({
        platform: "telegram",
        chatId: String(10_000 + i),
        priority: priorities.broadcast,
        body: { text: `A ${i}` },
        entityType: "Directive",
        entityId: 1,
      })),
      now,
    );
    await enqueueMany(
      db,
      Array.from({ length: 300 }, (_, i) => ({
        platform: "telegram",
        chatId: String(20_000 + i),
        priority: priorities.broadcast,
        body: { text: `B ${i}` },
        entityType: "Directive",
        entityId: 2,
      })),
      now,
    );
    await start();
    await fake.waitFor(() => fake.sentCount() >= 60, 15_000);
    const first = fake
      .sent()
      .slice(0, 60)
      .map((s) => Number(s.chat_id));
    const a = first.filter((c) => c < 20_000).length;
    expect(a).toBeGreaterThanOrEqual(20);
    expect(60 - a).toBeGreaterThanOrEqual(20);
  });
});
