/**
 * Issue 10, point 1: a platform that fails as a whole pauses its queue and probes it, without
 * spending the recipients' attempts, for as long as each message is worth sending. The engine runs
 * on a clock 100 times faster than real time, so a 10-minute outage takes 6 seconds.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { startFakeTelegram, telegramChannelFor, silentLogger } from "../helpers/telegram.ts";
import type { FakeOutage, FakeTelegramServer } from "../fakes/telegram-server.ts";
import { DeliveryEngine, type EngineClock, type PlatformEvent } from "../../src/delivery/delivery-engine.ts";
import {
  enqueue,
  enqueueMany,
  getOutboxRow,
  outboxCounts,
  platformHealth,
  priorities,
} from "../../src/domain/deliveries/outbox-service.ts";

const speed = 100;
const minute = 60_000;

/** Time running `speed` times faster than the wall clock, from now. */
function fastClock(): EngineClock {
  const start = Date.now();
  return {
    now: () => start + (Date.now() - start) * speed,
    setTimeout(fn, ms) {
      const t = setTimeout(fn, Math.max(0, ms / speed));
      return () => clearTimeout(t);
    },
  };
}

let db: TestDatabase;
let fake: FakeTelegramServer;
let engine: DeliveryEngine | undefined;

beforeEach(async () => {
  db = await createTestDatabase();
  fake = await startFakeTelegram();
});
afterEach(async () => {
  await engine?.stop();
  engine = undefined;
  await fake.setOutage(false);
  await fake.stop();
  await db.destroy();
});

async function waitFor(predicate: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each<FakeOutage>(["refuse", "5xx"])(
  "a 10-minute platform outage (%s) in the middle of a broadcast",
  (mode) => {
    it("should lose nothing, send nothing twice, spend no attempts and finish the broadcast after it", async () => {
      const total = 300;
      const clock = fastClock();
      await enqueueMany(
        db,
        Array.from({ length: total }, (_, i) => ({
          platform: "telegram",
          chatId: String(20_000 + i),
          priority: priorities.broadcast,
          body: { text: `Văn bản số 7 (${i})` },
          entityType: "Directive",
          entityId: 7,
          dedupeKey: `outage:${i}`,
        })),
        new Date(clock.now()),
      );
      const events: PlatformEvent[] = [];
      engine = new DeliveryEngine(db, {
        concurrency: 4,
        maxAttempts: 8,
        logger: silentLogger,
        clock,
        backoffBaseMs: 1000,
        limits: { telegram: { perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 } },
        onPlatformEvent: (e) => events.push(e),
      });
      engine.addChannel(telegramChannelFor(fake));
      await engine.start();
      await waitFor(() => fake.sentCount() >= 100);

      await fake.setOutage(mode);
      const downAt = clock.now();
      // A reminder whose meeting starts during the outage is no longer worth sending after it.
      const reminder = (await enqueue(
        db,
        {
          platform: "telegram",
          chatId: "30001",
          priority: priorities.normal,
          body: { text: "Nhắc: họp lúc 19:30" },
          entityType: "Meeting",
          entityId: 1,
          expiresAt: new Date(downAt + 5 * minute),
        },
        new Date(downAt),
      ))!;
      // Ten minutes (on the engine's clock) with the platform refusing or failing every call.
      await waitFor(() => clock.now() - downAt >= 10 * minute, 60_000);
      const duringOutage = fake.sentCount();
      expect((await platformHealth(db, "telegram"))[0]?.state).toBe("down");
      expect(events.map((e) => e.kind)).toEqual(["down"]);
      expect((await outboxCounts(db, "telegram")).failed ?? 0).toBe(0);
      await fake.setOutage(false);

      await waitFor(async () => ((await outboxCounts(db, "telegram")).sent ?? 0) === total);
      await waitFor(() => events.length === 2);
      const perChat = new Map<string, number>();
      for (const s of fake.sent()) perChat.set(String(s.chat_id), (perChat.get(String(s.chat_id)) ?? 0) + 1);
      const lost = total - [...perChat.keys()].filter((c) => Number(c) >= 20_000 && Number(c) < 20_000 + total).length;
      const duplicates = [...perChat.values()].filter((n) => n > 1).length;
      expect({ lost, duplicates, failed: (await outboxCounts(db, "telegram")).failed ?? 0 }).toEqual({
        lost: 0,
        duplicates: 0,
        failed: 0,
      });
      expect(duringOutage).toBeLessThan(total);
      // The outage spent nobody's attempts: every copy went out on its first or second try.
      const maxAttempts = (
        await db.kysely
          .selectFrom("Outbox")
          .select((eb) => eb.fn.max("attempts").as("n"))
          .where("entityType", "=", "Directive")
          .executeTakeFirstOrThrow()
      ).n;
      expect(maxAttempts).toBeLessThanOrEqual(2);
      expect(events.map((e) => e.kind)).toEqual(["down", "up"]);
      expect((await platformHealth(db, "telegram"))[0]?.state).toBe("up");
      expect((await getOutboxRow(db, reminder))!.status).toBe("expired");
      expect(fake.sent(30001)).toHaveLength(0);
      process.stdout.write(
        `[outage ${mode}] total=${total} sentBeforeOrDuring=${duringOutage} lost=${lost} duplicates=${duplicates} maxAttempts=${maxAttempts}\n`,
      );
    }, 120_000);
  },
);

describe("failures about one recipient", () => {
  it("should count a 5xx against the message while the platform answers its probe", async () => {
    fake.failNext("sendMessage", { error_code: 500, description: "Internal Server Error" }, 3);
    const id = (await enqueue(db, { platform: "telegram", chatId: "4001", body: { text: "x" } }))!;
    engine = new DeliveryEngine(db, {
      concurrency: 1,
      maxAttempts: 3,
      logger: silentLogger,
      backoffBaseMs: 10,
      limits: { telegram: { perSecond: 30, chatIntervalMs: 0, groupPerMinute: 20 } },
    });
    engine.addChannel(telegramChannelFor(fake));
    await engine.start();
    await waitFor(async () => (await getOutboxRow(db, id))!.status === "failed");
    expect((await getOutboxRow(db, id))!.attempts).toBe(3);
    expect((await platformHealth(db, "telegram"))[0]?.state ?? "up").toBe("up");
  });
});
