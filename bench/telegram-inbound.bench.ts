/**
 * Issue 3: inbound "có mặt"-style updates through the Telegram webhook into the database, with
 * replies sent to a local fake Bot API: ≥ 1,500 updates/s, and p99 latency under 50 ms at
 * 500 updates/s; the service's resident memory under 200 MB. The fake Bot API and the load
 * generator run in a second process (bench/support/telegram-peer.ts), started and stopped here.
 */
import { loadConfig } from "../src/config.ts";
import { startService } from "../src/service.ts";
import { createLogger } from "../src/lib/logger.ts";
import { benchDatabase, memorySampler, percentile, report } from "./lib.ts";
import { startTelegramPeer } from "./support/start-telegram-peer.ts";

const users = 3000;
const burst = Number(process.env.BURST ?? 15_000);
const steadySeconds = Number(process.env.STEADY_SECONDS ?? 10);
const secret = "bench-secret-123456";

const peer = await startTelegramPeer();
const { apiRoot, token, ask } = peer;

const prep = await benchDatabase();
// People linked to Telegram accounts 1..users, prepared with raw SQL for speed.
await prep.transaction(async () => {
  await prep.sql.run(`INSERT INTO Organisation (code, name, createdAt) VALUES ('b', 'Bench', 0)`);
  await prep.sql.run(
    `INSERT INTO Unit (organisationId, name, nameKey, path, depth, createdAt) VALUES (1, 'Chi hội', 'chi hoi', '/1/', 0, 0)`,
  );
  for (let i = 1; i <= users; i++) {
    await prep.sql.run(
      `INSERT INTO Person (id, fullName, nameKey, locale, linkedAccounts, createdAt, updatedAt) VALUES (?, ?, ?, 'vi', 1, 0, 0)`,
      i,
      `Hội viên ${i}`,
      `hoi vien ${i}`,
    );
    await prep.sql.run(`INSERT INTO Membership (personId, unitId, role, createdAt) VALUES (?, 1, 'member', 0)`, i);
    await prep.sql.run(
      `INSERT INTO ChatAccount (platform, externalId, personId, preferred, linkedAt, createdAt) VALUES ('telegram', ?, ?, 1, 0, 0)`,
      String(i),
      i,
    );
  }
});
const dbFile = prep.file;
await prep.close();

const mem = memorySampler();
const service = await startService(
  loadConfig({
    DATABASE_URL: `file:${dbFile}`,
    PORT: "0",
    DEMO_MODE: "off",
    LOG_LEVEL: "silent",
    TELEGRAM_BOT_TOKEN: token,
    TELEGRAM_API_ROOT: apiRoot,
    TELEGRAM_MODE: "webhook",
    TELEGRAM_WEBHOOK_URL: "http://bench.invalid",
    TELEGRAM_WEBHOOK_SECRET: secret,
    OUTBOX_CONCURRENCY: "32",
  }),
  { logger: createLogger("silent") },
);
const url = `${service.url}/telegram/webhook`;
// The channel fetches getMe in the background; wait until it has registered the webhook.
while (!(await ask<{ setWebhook: boolean }>({ kind: "calls" })).setWebhook) await new Promise((r) => setTimeout(r, 20));

const countIn = async () =>
  (await service.db.sql.get<{ n: number }>(
    `SELECT COUNT(*) AS n FROM MessageLog WHERE direction = 'in' AND status = 'handled'`,
  ))!.n;
const countSent = async () =>
  (await service.db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Outbox WHERE status = 'sent'`))!.n;

const start = Date.now();
const { ms: acceptedMs } = await ask<{ ms: number }>({
  kind: "burst",
  url,
  secret,
  users,
  count: burst,
  concurrency: 64,
});
while ((await countSent()) < burst) await new Promise((r) => setTimeout(r, 10));
const withRepliesMs = Date.now() - start;
report(
  "inbound webhook throughput",
  {
    updates: burst,
    stored: await countIn(),
    repliesSent: await countSent(),
    storedAndHandledPerSecond: Math.round(burst / (acceptedMs / 1000)),
    withRepliesSentPerSecond: Math.round(burst / (withRepliesMs / 1000)),
  },
  "≥ 1,500/s",
);

const { latencies } = await ask<{ latencies: number[] }>({
  kind: "steady",
  url,
  secret,
  users,
  rate: 500,
  seconds: steadySeconds,
  offset: burst,
});
const { peakMb } = mem.stop();
global.gc?.();
const heapAfterGcMb = Math.round(process.memoryUsage().heapUsed / 1048576);
report(
  "inbound webhook latency at 500/s",
  {
    updates: latencies.length,
    p50Ms: percentile(latencies, 50).toFixed(1),
    p99Ms: percentile(latencies, 99).toFixed(1),
    maxMs: Math.max(...latencies).toFixed(1),
    servicePeakRssMb: peakMb,
    heapAfterGcMb,
  },
  "p99 < 50 ms, < 200 MB",
);

await service.stop();
peer.stop();
