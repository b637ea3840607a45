/**
 * Issue 11: how soon a message queued by one process is sent by another on one PostgreSQL
 * database. Process A (this one: a delivery engine without the Telegram channel, as a process that
 * queues but does not send there) queues one message at a random moment and kicks its engine;
 * process B (test/helpers/delivery-child.ts, a delivery engine with the Telegram channel) sends it
 * to the local fake Bot API. Latency = the message's arrival at the fake − the moment before it was
 * queued, both on this process's clock. Twice: B finding rows by polling alone (idle queue looked
 * at every second), then woken by A's notification (LISTEN/NOTIFY).
 *
 * PostgreSQL: BENCH_DATABASE_URL or TEST_DATABASE_URL or the local server (a database of its own).
 * SAMPLES (default 25) messages per mode.
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { DeliveryEngine } from "../src/delivery/delivery-engine.ts";
import { enqueue } from "../src/domain/deliveries/outbox-service.ts";
import { createLogger } from "../src/lib/logger.ts";
import { openDatabase } from "../src/storage/database.ts";
import { FakeTelegramServer } from "../test/fakes/telegram-server.ts";
import { Processes, until } from "../test/helpers/processes.ts";
import { median, percentile, report } from "./lib.ts";

const samples = Number(process.env.SAMPLES ?? 25);
const server =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const name = `chihoi_bench_${process.pid}_${randomBytes(3).toString("hex")}`;
const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "../test/helpers/delivery-child.ts");
const admin = async (q: string) => {
  const c = new pg.Client({ connectionString: server });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
};

await admin(`CREATE DATABASE "${name}"`);
const url = new URL(server);
url.pathname = `/${name}`;
const db = await openDatabase(url.toString());
const fake = new FakeTelegramServer({ latencyMs: 5 });
await fake.start();
const processes = new Processes();
const logger = createLogger("silent");
const limits = { telegram: { perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 } };
const clock = () => performance.timeOrigin + performance.now(); // the fake's clock
let chat = 800_000;
try {
  for (const mode of ["polling", "notify"] as const) {
    const wake = mode === "notify";
    const b = processes.start(child, [db.url, fake.apiRoot, fake.token, JSON.stringify(fake.botInfo)], {
      env: { ...process.env, WAKE_OTHERS: wake ? "1" : "0" },
    });
    await until(() => b.lines.some((l) => l.event === "ready"), "process B to start", 60_000);
    const a = new DeliveryEngine(db, { concurrency: 4, maxAttempts: 3, limits, logger, wakeOthers: wake });
    await a.start();
    await new Promise((r) => setTimeout(r, 1000));
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 1000));
      const before = fake.sentCount();
      const queuedAt = clock();
      await enqueue(db, { platform: "telegram", chatId: String(chat++), body: { text: `tin ${i}` } });
      a.kick("telegram");
      await until(() => fake.sentCount() > before, "the message to arrive", 30_000, 1);
      latencies.push(fake.sent().at(-1)!.at - queuedAt);
    }
    await a.stop();
    await processes.stop(b);
    report(`outbox wake-up, queued in process A, sent by process B (${mode})`, {
      samples,
      median_ms: median(latencies).toFixed(1),
      p90_ms: percentile(latencies, 90).toFixed(1),
      max_ms: Math.max(...latencies).toFixed(1),
      load: loadavg()[0]!.toFixed(2),
    });
  }
} finally {
  await processes.killAll();
  await fake.stop();
  await db.close();
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
