/**
 * Telegram long polling under a lease: two channels of one bot on one database (standing for two
 * service processes; the multi-process test is test/channels/telegram/telegram-lease-processes.test.ts)
 * against the fake Bot API. Exactly one polls; the other takes over when it stops.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { startFakeTelegram, telegramChannelFor } from "../../helpers/telegram.ts";
import type { FakeTelegramServer } from "../../fakes/telegram-server.ts";
import type { TelegramChannel } from "../../../src/channels/telegram/telegram-channel.ts";
import type { InboundMessage } from "../../../src/channels/channel.ts";
import { listLeases } from "../../../src/domain/coordination/lease.ts";
import { untilRenewedPastExpiry } from "../../helpers/lease.ts";

let db: TestDatabase;
let fake: FakeTelegramServer;
const channels: TelegramChannel[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeTelegram();
});
afterEach(async () => {
  for (const c of channels.splice(0)) await c.stop();
});
afterAll(async () => {
  await fake?.stop();
  await db?.destroy();
});

describe("TelegramChannel with a lease", () => {
  it("should long-poll in one process only, and in the other once the first stops", async () => {
    const got: Record<string, string[]> = { a: [], b: [] };
    const make = (name: "a" | "b") => {
      const channel = telegramChannelFor(fake, { lease: { db, ttlMs: 2000, intervalMs: 200 } });
      channels.push(channel);
      return { channel, start: () => channel.start(async (m: InboundMessage) => void got[name]!.push(m.text ?? "")) };
    };
    const a = make("a");
    const b = make("b");
    // Sampled every 5 ms: the two never poll at the same time.
    let both = false;
    const sampler = setInterval(() => (both ||= a.channel.polling && b.channel.polling), 5);
    await a.start();
    await b.start();
    await fake.waitFor(() => fake.isLongPolling, 5000, "a long poll");
    expect([a.channel.polling, b.channel.polling]).toEqual([true, false]);
    const [lease] = await listLeases(db, "telegram:poll:");
    expect(lease?.name).toBe(`telegram:poll:${fake.botInfo.id}`);

    fake.userSendsText({ id: 501, first_name: "An" }, "một");
    await fake.waitFor(() => got.a!.length === 1, 5000, "a got the update");
    // Past the first ttl (by the database's clock): renewals kept it with a, never taken by b.
    const { before, after } = await untilRenewedPastExpiry(db, lease!.name);
    expect(after).toMatchObject({ holder: before.holder, acquiredAt: before.acquiredAt });
    expect([a.channel.polling, b.channel.polling]).toEqual([true, false]);

    const stopping = Date.now();
    await a.channel.stop();
    channels.splice(channels.indexOf(a.channel), 1);
    await fake.waitFor(() => b.channel.polling && fake.isLongPolling, 5000, "b polls");
    fake.userSendsText({ id: 501, first_name: "An" }, "hai");
    await fake.waitFor(() => got.b!.length === 1, 5000, "b got the update");
    clearInterval(sampler);
    expect(got).toEqual({ a: ["một"], b: ["hai"] });
    expect(both).toBe(false);
    // Telegram (and the fake) answer the earlier of two concurrent getUpdates with 409. The only
    // one allowed is a's own long poll (begun before its stop), cut by its stop's offset-confirming call.
    const conflicts = fake.calls.filter((c) => c.method === "getUpdates" && c.status === 409);
    expect(conflicts.length).toBeLessThanOrEqual(1);
    expect(conflicts.filter((c) => c.at >= stopping)).toEqual([]);
  });

  it("should poll from the start without a lease (one process)", async () => {
    const channel = telegramChannelFor(fake);
    channels.push(channel);
    await channel.start(async () => undefined);
    await fake.waitFor(() => channel.polling && fake.isLongPolling, 5000, "polling");
    expect(await listLeases(db, "telegram:")).toEqual([]);
  });
});
