/**
 * Issue 3: delivery through a local fake Bot API over real HTTP.
 * 1. Broadcast 2,000 messages to 2,000 chats with the fake enforcing Telegram's limits (429 +
 *    retry_after): achieved rate ≥ 95% of the 30/s cap, zero lost, zero duplicates, 429s provoked.
 * 2. Engine ceiling with the fake's limits off: ≥ 1,000 deliveries/s on SQLite.
 * Resident memory stays under 200 MB.
 */
import { FakeTelegramServer } from "../test/fakes/telegram-server.ts";
import { TelegramChannel } from "../src/channels/telegram/telegram-channel.ts";
import { DeliveryEngine } from "../src/delivery/delivery-engine.ts";
import { enqueueMany, outboxCounts, priorities } from "../src/domain/deliveries/outbox-service.ts";
import { createLogger } from "../src/lib/logger.ts";
import { benchDatabase, memorySampler, report } from "./lib.ts";

const logger = createLogger("silent");
const broadcastSize = Number(process.env.BROADCAST ?? 2000);
const ceilingSize = Number(process.env.CEILING ?? 20_000);

async function run(label: string, size: number, fakeLimits: boolean, engineLimits: { perSecond: number; chatIntervalMs: number; groupPerMinute: number }, concurrency: number) {
  const fake = new FakeTelegramServer({ limits: fakeLimits ? {} : false });
  await fake.start();
  const db = await benchDatabase();
  const channel = new TelegramChannel({ config: { token: fake.token, mode: "polling", apiRoot: fake.apiRoot }, logger, botInfo: fake.botInfo });
  const mem = memorySampler();
  enqueueMany(db, Array.from({ length: size }, (_, i) => ({
    platform: "telegram", chatId: String(100_000 + i), priority: priorities.broadcast, body: { text: `Thông báo: sinh hoạt chi hội lúc 19:30 thứ Sáu. (${i})` }, dedupeKey: `b:${i}`,
  })));
  let first = 0;
  let last = 0;
  let finished = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const engine = new DeliveryEngine(db, {
    concurrency, maxAttempts: 8, logger, limits: { telegram: engineLimits },
    onFinished: () => {
      const now = Date.now();
      if (!first) first = now;
      last = now;
      if (++finished === size) resolveDone();
    },
  });
  engine.addChannel(channel);
  engine.start();
  const started = Date.now();
  await done;
  await engine.stop();
  const { peakMb } = mem.stop();
  const counts = outboxCounts(db, "telegram");
  const perChat = new Map<string, number>();
  for (const s of fake.sent()) perChat.set(String(s.chat_id), (perChat.get(String(s.chat_id)) ?? 0) + 1);
  const duplicates = [...perChat.values()].filter((n) => n > 1).length;
  const seconds = (last - started) / 1000;
  const rate = size / seconds;
  report(label, {
    messages: size,
    sent: counts.sent ?? 0,
    lost: size - perChat.size,
    duplicates,
    seconds: seconds.toFixed(1),
    ratePerSecond: rate.toFixed(1),
    ...(fakeLimits ? { percentOfCap: ((100 * rate) / 30).toFixed(1), provoked429: fake.counters.rateLimited } : {}),
    peakRssMb: peakMb,
  }, fakeLimits ? "≥ 95% of 30/s, 0 lost, 0 duplicates, < 200 MB" : "≥ 1,000/s, < 200 MB");
  await db.destroy();
  await fake.stop();
}

await run("broadcast with Telegram limits", broadcastSize, true, { perSecond: 30, chatIntervalMs: 1000, groupPerMinute: 20 }, 4);
await run("engine ceiling, limits off", ceilingSize, false, { perSecond: 1_000_000, chatIntervalMs: 0, groupPerMinute: 1_000_000 }, 32);
