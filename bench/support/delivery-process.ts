/**
 * One delivery process of the engines benchmark's ceiling figure: opens the database, runs a
 * delivery engine for Telegram against the (fake) Bot API with the limits off, and exits when
 * told (SIGTERM). Prints one JSON line when ready and one when stopped (with how many it sent).
 *
 *   node --import tsx delivery-process.ts <databaseUrl> <apiRoot> <token> <botInfo as JSON>
 *
 * DELIVERY_SHARED_BUDGET=1 also takes each send from the bot's budget shared through the database
 * (the PostgreSQL default of the service; a million a second here, so it only costs its queries).
 */
import { TelegramChannel } from "../../src/channels/telegram/telegram-channel.ts";
import { DeliveryEngine } from "../../src/delivery/delivery-engine.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { openDatabase } from "../../src/storage/database.ts";

const [url, apiRoot, token, botInfo] = process.argv.slice(2);
const say = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ pid: process.pid, t: Date.now(), ...event })}\n`);
const logger = createLogger("silent");

/** DELIVERY_PROFILE=1 (PostgreSQL): statements run, by text, printed at the stop. */
const profile = new Map<string, { n: number; ms: number }>();
if (process.env.DELIVERY_PROFILE === "1") {
  const { default: pg } = await import("pg");
  const query = pg.Client.prototype.query as (...args: unknown[]) => Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: patching the driver for the profile
  (pg.Client.prototype as any).query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === "string" ? args[0] : String((args[0] as { text?: string })?.text);
    const started = performance.now();
    const p = query.apply(this, args);
    const done = () => {
      const e = profile.get(text) ?? { n: 0, ms: 0 };
      e.n++;
      e.ms += performance.now() - started;
      profile.set(text, e);
    };
    if (p && typeof (p as Promise<unknown>).then === "function") (p as Promise<unknown>).then(done, done);
    return p;
  };
}

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
process.on("SIGTERM", () => {
  void engine
    .stop()
    .then(() => db.close())
    .then(() => {
      say({
        event: "stopped",
        sent,
        ...(profile.size
          ? {
              profile: [...profile.entries()]
                .sort((a, b) => b[1].ms - a[1].ms)
                .slice(0, 12)
                .map(([q, e]) => `${e.n}× ${e.ms.toFixed(0)} ms ${q.replace(/\s+/g, " ").slice(0, 160)}`),
            }
          : {}),
      });
      process.exit(0);
    });
});
await engine.start();
say({ event: "ready" });
