/**
 * One delivery process of the engines benchmark's ceiling figure: opens the database, runs a
 * delivery engine for Telegram against the (fake) Bot API with the limits off, and exits when
 * told (SIGTERM). Prints one JSON line when ready and one when stopped (with how many it sent).
 *
 *   node --import tsx delivery-process.ts <databaseUrl> <apiRoot> <token> <botInfo as JSON>
 *
 * PG_PROFILE=1 prints the statements run (pg-profile.ts) with the stop line.
 * DELIVERY_SHARED_BUDGET=1 also takes each send from the bot's budget shared through the database
 * (the PostgreSQL default of the service; a million a second here, so it only costs its queries).
 */
import { TelegramChannel } from "../../src/channels/telegram/telegram-channel.ts";
import { DeliveryEngine } from "../../src/delivery/delivery-engine.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { readFileSync } from "node:fs";
import { sql } from "kysely";
import { pgProfileLines, startPgProfile } from "./pg-profile.ts";

const [url, apiRoot, token, botInfo] = process.argv.slice(2);
const say = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ pid: process.pid, t: Date.now(), ...event })}\n`);
const logger = createLogger("silent");

if (process.env.PG_PROFILE === "1") startPgProfile();

const db = await openDatabase(url!);
let sent = 0;
const engine = new DeliveryEngine(db, {
  concurrency: Number(process.env.DELIVERY_CONCURRENCY ?? 32),
  maxAttempts: 8,
  logger,
  limits: { telegram: { perSecond: 1_000_000, chatIntervalMs: 0, groupPerMinute: 1_000_000, marginMs: 0 } },
  sharedBudget: process.env.DELIVERY_SHARED_BUDGET === "1",
  onFinished: (_row, status) => {
    if (status === "sent") sent++;
  },
});
engine.addChannel(
  new TelegramChannel({
    config: { token: token!, mode: "polling", apiRoot: apiRoot! },
    logger,
    botInfo: JSON.parse(botInfo!),
  }),
);
/** CPU seconds (user + system) the database's server processes have used so far (PG_PROFILE). */
async function serverCpu(): Promise<number> {
  const { rows } = await sql<{
    pid: number;
  }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db.kysely);
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return ticks / 100;
}
let cpuAtReady: NodeJS.CpuUsage | undefined;
let serverAtReady = 0;
process.on("SIGTERM", () => {
  const cpu = process.cpuUsage(cpuAtReady);
  void (process.env.PG_PROFILE === "1" && db.engine === "postgresql" ? serverCpu() : Promise.resolve(0))
    .then((server) => {
      if (process.env.PG_PROFILE === "1")
        process.stderr.write(
          `cpu of ${process.pid} since ready: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s; database server (all its connections): ${(server - serverAtReady).toFixed(1)} s\n`,
        );
    })
    .then(() => engine.stop())
    .then(() => db.close())
    .then(() => {
      say({
        event: "stopped",
        sent,
        ...(process.env.PG_PROFILE === "1" ? { profile: pgProfileLines() } : {}),
      });
      process.exit(0);
    });
});
if (process.env.PG_PROFILE === "1" && db.engine === "postgresql") serverAtReady = await serverCpu();
cpuAtReady = process.cpuUsage();
await engine.start();
say({ event: "ready" });
