/**
 * A stand-in service process for the multi-process delivery test: opens the database and runs a
 * delivery engine for Telegram against a (fake) Bot API until SIGTERM, printing one JSON line per
 * event on stdout.
 *
 *   node --import tsx delivery-child.ts <databaseUrl> <apiRoot> <token> <botInfo as JSON> [<limits as JSON>]
 *
 * The limits default to Telegram's (30 a second, a second between two messages to one chat, 20 a
 * minute to a group). WAKE_OTHERS=0 in the environment turns off the outbox notifications (the
 * engine then finds rows queued elsewhere by polling alone).
 */
import { openDatabase } from "../../src/storage/database.ts";
import { DeliveryEngine } from "../../src/delivery/delivery-engine.ts";
import { TelegramChannel } from "../../src/channels/telegram/telegram-channel.ts";
import { createLogger } from "../../src/lib/logger.ts";

const [url, apiRoot, token, botInfo, limits] = process.argv.slice(2);
const say = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ pid: process.pid, t: Date.now(), ...event })}\n`);
const logger = createLogger("silent");

const db = await openDatabase(url!, { poolSize: 4 });
let sent = 0;
const engine = new DeliveryEngine(db, {
  concurrency: 40,
  maxAttempts: 8,
  logger,
  limits: {
    telegram: limits ? JSON.parse(limits) : { perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 },
  },
  wakeOthers: process.env.WAKE_OTHERS === "0" ? false : undefined,
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
await engine.start();
say({ event: "ready", worker: engine.workerId });
const progress = setInterval(() => say({ event: "progress", sent }), 1000);
process.on("SIGTERM", () => {
  clearInterval(progress);
  void engine
    .stop()
    .then(() => db.close())
    .then(() => {
      say({ event: "stopped", sent });
      process.exit(0);
    });
});
