/**
 * PostgreSQL only (LISTEN/NOTIFY; skipped without TEST_DATABASE_URL): a process that queues
 * messages wakes the others on the database at once, instead of their finding the rows at their
 * next look at the queue. Two delivery engines on one database stand for two processes: A queues
 * (it does not send on Telegram), B sends; B looks at its idle queue only once a minute, so only the
 * notification can bring the message out within the test. A listener whose connection is cut
 * listens again.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { DeliveryEngine } from "../../src/delivery/delivery-engine.ts";
import { enqueue } from "../../src/domain/deliveries/outbox-service.ts";
import { createTestDatabase, testPostgresUrl, type TestDatabase } from "../helpers/test-db.ts";
import { silentLogger, startFakeTelegram, telegramChannelFor } from "../helpers/telegram.ts";
import type { FakeTelegramServer } from "../fakes/telegram-server.ts";

const eventually = { timeout: 10_000, interval: 20 };
let db: TestDatabase | undefined;
let fake: FakeTelegramServer | undefined;
const engines: DeliveryEngine[] = [];

afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
  await fake?.stop();
  fake = undefined;
  await db?.destroy();
  db = undefined;
});

const limits = { telegram: { perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 } };

describe.skipIf(!testPostgresUrl)("outbox notifications between processes", () => {
  it("should have a message queued by one process sent by another at once, also after the listener's connection was cut", async () => {
    db = await createTestDatabase({ engine: "postgresql" });
    fake = await startFakeTelegram();
    const a = new DeliveryEngine(db, { concurrency: 4, maxAttempts: 3, limits, logger: silentLogger });
    const b = new DeliveryEngine(db, {
      concurrency: 4,
      maxAttempts: 3,
      limits,
      logger: silentLogger,
      idlePollMs: 60_000,
    });
    b.addChannel(telegramChannelFor(fake));
    engines.push(a, b);
    await a.start();
    await b.start();
    await new Promise((r) => setTimeout(r, 300)); // B has looked at its empty queue and sleeps

    await enqueue(db, { platform: "telegram", chatId: "4201", body: { text: "một" } });
    a.kick("telegram");
    await vi.waitFor(() => expect(fake!.sent().map((s) => s.text)).toEqual(["một"]), eventually);

    // The listening connections are cut (a server restart, a proxy's idle timeout): it comes back.
    const cut = await db.kysely
      .selectFrom("pg_stat_activity" as never)
      .select((eb) => eb.fn<boolean>("pg_terminate_backend", [eb.ref("pid" as never)]).as("ok"))
      .where("datname" as never, "=", databaseName(db.url) as never)
      .where("query" as never, "like", "LISTEN%" as never)
      .execute();
    expect(cut.length).toBe(2); // A's and B's (each engine listens)
    await new Promise((r) => setTimeout(r, 2000)); // reconnects after 0.5 s
    await enqueue(db, { platform: "telegram", chatId: "4202", body: { text: "hai" } });
    a.kick("telegram");
    await vi.waitFor(() => expect(fake!.sent().map((s) => s.text)).toEqual(["một", "hai"]), eventually);
  });
});

/** The database name of a connection URL. */
function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}
