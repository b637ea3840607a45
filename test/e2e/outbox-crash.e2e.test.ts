import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeTelegram } from "../helpers/telegram.ts";
import type { FakeTelegramServer } from "../fakes/telegram-server.ts";
import { databaseUrl, prepare, removeDir, tempDir, waitUntil } from "../helpers/service.ts";
import { enqueueMany, priorities } from "../../src/domain/deliveries/outbox-service.ts";
import { openDatabase } from "../../src/storage/database.ts";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/chihoi.js");
const total = 300;
const concurrency = 4;

let fake: FakeTelegramServer;
let dir: string;
let child: ChildProcess | undefined;

function startChild(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [bin, "start"], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: "ignore",
  });
}

beforeEach(async () => {
  fake = await startFakeTelegram({ latencyMs: 15 });
  dir = tempDir();
});
afterEach(async () => {
  child?.kill("SIGKILL");
  await fake.stop();
  await removeDir(dir);
});

describe("outbox across a crash", () => {
  it("should deliver every queued message after kill -9 and a restart, resending at most what was in flight", async () => {
    // The lease is long (10 minutes): only the dead-owner recovery (the crashed process's
    // heartbeat row, its pid gone) can free the rows it left in flight within the test's time.
    await prepare(dir, async (db) => {
      await db.kysely.insertInto("Organisation").values({ code: "x", name: "X", createdAt: 0 }).execute();
      await enqueueMany(
        db,
        Array.from({ length: total }, (_, i) => ({
          platform: "telegram",
          chatId: String(10_000 + i),
          priority: priorities.broadcast,
          body: { text: `Thông báo số ${i}` },
          dedupeKey: `crash:${i}`,
        })),
      );
    });
    const env = {
      DATABASE_URL: await databaseUrl(dir),
      PORT: "0",
      LOG_LEVEL: "silent",
      DEMO_MODE: "off",
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_RATE_PER_SECOND: "100",
      OUTBOX_CONCURRENCY: String(concurrency),
      OUTBOX_LEASE_MS: "600000",
    };
    child = startChild(env);
    await waitUntil(() => fake.sentCount() >= 60, 30_000, "first deliveries");
    child.kill("SIGKILL");
    await new Promise((r) => child!.once("exit", r));
    const sentBeforeCrash = fake.sentCount();
    expect(sentBeforeCrash).toBeLessThan(total);
    const inFlight = await (async () => {
      const db = await openDatabase(env.DATABASE_URL);
      try {
        return (
          await db.kysely
            .selectFrom("Outbox")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("status", "=", "sending")
            .executeTakeFirstOrThrow()
        ).n;
      } finally {
        await db.close();
      }
    })();

    child = startChild(env);
    await waitUntil(
      async () => {
        const db = await openDatabase(env.DATABASE_URL);
        try {
          return (
            (
              await db.kysely
                .selectFrom("Outbox")
                .select((eb) => eb.fn.countAll<number>().as("n"))
                .where("status", "=", "sent")
                .executeTakeFirstOrThrow()
            ).n === total
          );
        } finally {
          await db.close();
        }
      },
      45_000,
      "all sent (well before the 10-minute lease)",
    );
    child.kill("SIGTERM");
    await new Promise((r) => child!.once("exit", r));
    child = undefined;

    const perChat = new Map<string, number>();
    for (const s of fake.sent()) perChat.set(String(s.chat_id), (perChat.get(String(s.chat_id)) ?? 0) + 1);
    // Nothing lost: every chat got its message.
    expect(perChat.size).toBe(total);
    // At most the messages in flight at the crash were sent twice.
    const duplicates = [...perChat.values()].filter((n) => n > 1).length;
    expect(duplicates).toBeLessThanOrEqual(inFlight);
    expect(duplicates).toBeLessThanOrEqual(concurrency);
    expect([...perChat.values()].every((n) => n <= 2)).toBe(true);
  }, 120_000);
});
