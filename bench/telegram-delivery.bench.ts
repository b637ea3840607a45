/**
 * Issue 10, point 2: delivery against a fake Bot API that enforces Telegram's limits the strict
 * way (sliding windows judged on arrival time, to a fraction of a millisecond: ≤ 30 sends in any
 * 1000 ms, no two to one chat within 1000 ms, ≤ 20 per group per minute), running in its own
 * process with network jitter and latency.
 * 1. A 2,000-message broadcast: rate = sent ÷ (last − first + 1 s) ≥ 98 % of 30/s, 0 × 429, 0 lost,
 *    0 duplicates.
 * 2. The same broadcast through the whole service while 200 members write to the bot: every reply
 *    within 2 s, still 0 × 429, ≥ 98 % of the cap over all sends.
 * Besides the targets each prints what explains the rate: the round trip of a send, and by how much
 * each window of 30 consecutive arrivals outlasted 1000 ms (at best the round trip: a send may
 * start only once the answer of the one it replaces in the window is in), and the load average.
 * 3. Linking 1,003 members in one burst (each answered): 0 × 429.
 * 4. Engine ceiling with the limits off: ≥ 1,000 deliveries/s on SQLite.
 */
import { loadavg } from "node:os";
import { TelegramChannel } from "../src/channels/telegram/telegram-channel.ts";
import { DeliveryEngine } from "../src/delivery/delivery-engine.ts";
import { enqueueMany, outboxCounts, priorities } from "../src/domain/deliveries/outbox-service.ts";
import { issueLinkCode } from "../src/domain/linking/link-service.ts";
import { loadConfig } from "../src/config.ts";
import { startService } from "../src/service.ts";
import { createLogger } from "../src/lib/logger.ts";
import type { Database } from "../src/storage/database.ts";
import { FakeTelegramServer } from "../test/fakes/telegram-server.ts";
import { benchDatabase, memorySampler, percentile, report } from "./lib.ts";
import { startTelegramPeer, type TelegramPeer } from "./support/start-telegram-peer.ts";

const logger = createLogger("silent");
const broadcastSize = Number(process.env.BROADCAST ?? 2000);
const ceilingSize = Number(process.env.CEILING ?? 20_000);
const jitterMs = Number(process.env.JITTER_MS ?? 5);
const latencyMs = Number(process.env.LATENCY_MS ?? 10);
const cap = 30;
const limits = { perSecond: cap, chatIntervalMs: 1000, groupPerMinute: 20 };

async function startPeer(): Promise<TelegramPeer> {
  return await startTelegramPeer({
    PEER_LIMITS: "strict",
    PEER_JITTER_MS: String(jitterMs),
    PEER_LATENCY_MS: String(latencyMs),
  });
}

interface Report {
  sent: [string, number][];
  rateLimited: number;
}

/** Sends per chat, and the rate over a set of chats measured on the fake's arrival clock. */
function measure(r: Report, chats: (chat: string) => boolean) {
  const times = r.sent
    .filter(([c]) => chats(c))
    .map(([, at]) => at)
    .sort((a, b) => a - b);
  const perChat = new Map<string, number>();
  for (const [c] of r.sent) if (chats(c)) perChat.set(c, (perChat.get(c) ?? 0) + 1);
  const seconds = times.length ? (times.at(-1)! - times[0]! + 1000) / 1000 : 0;
  return { count: times.length, perChat, seconds, rate: times.length / seconds };
}

/** How much longer than 1000 ms the span of each 31 consecutive arrivals was (all sends of the bot). */
function windowOverhead(r: Report): { mean: number; p95: number } {
  const t = r.sent.map(([, at]) => at).sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let k = cap; k < t.length; k++) gaps.push(t[k]! - t[k - cap]! - 1000);
  return { mean: gaps.reduce((a, b) => a + b, 0) / Math.max(1, gaps.length), p95: percentile(gaps, 95) };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join("/");

/**
 * The most a send can reach under the rule that keeps it safe whatever the network does (start
 * only after the answers of the sends it replaces in the window): with n sends, ⌈n/30⌉ − 1
 * windows follow one another, each lasting 1000 ms plus one round trip.
 */
function ceilingPct(n: number, roundTripMs: number): number {
  const seconds = (Math.ceil(n / cap) - 1) * (1 + roundTripMs / 1000) + 1;
  return (100 * n) / seconds / cap;
}

/** Records the round trip of every sendMessage of a Telegram channel (request written → answer read). */
function timeRoundTrips(channel: TelegramChannel): number[] {
  const roundTrips: number[] = [];
  channel.bot.api.config.use(async (prev, method, payload, signal) => {
    const started = performance.now();
    try {
      return await prev(method, payload, signal);
    } finally {
      if (method === "sendMessage") roundTrips.push(performance.now() - started);
    }
  });
  return roundTrips;
}

function broadcastRows(size: number) {
  return Array.from({ length: size }, (_, i) => ({
    platform: "telegram",
    chatId: String(100_000 + i),
    priority: priorities.broadcast,
    body: { text: `Thông báo: sinh hoạt chi hội lúc 19:30 thứ Sáu. (${i})` },
    dedupeKey: `b:${i}`,
  }));
}

async function broadcastOnly(): Promise<void> {
  const peer = await startPeer();
  const db = await benchDatabase();
  const channel = new TelegramChannel({
    config: { token: peer.token, mode: "polling", apiRoot: peer.apiRoot },
    logger,
    botInfo: new FakeTelegramServer().botInfo,
  });
  const roundTrips = timeRoundTrips(channel);
  await enqueueMany(db, broadcastRows(broadcastSize));
  let finished = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const loadBefore = load();
  // The service's defaults (loadConfig): concurrency and margin.
  const { outbox } = loadConfig({ DATABASE_URL: `file:${db.file}` });
  const engine = new DeliveryEngine(db, {
    concurrency: outbox.concurrency,
    maxAttempts: 8,
    logger,
    limits: { telegram: { ...limits, marginMs: outbox.limits.telegram!.marginMs } },
    onFinished: () => void (++finished === broadcastSize && resolveDone()),
  });
  engine.addChannel(channel);
  await engine.start();
  await done;
  await engine.stop();
  const r = await peer.ask<Report>({ kind: "report" });
  const m = measure(r, () => true);
  const w = windowOverhead(r);
  report(
    "broadcast 2,000 against the strict fake",
    {
      messages: broadcastSize,
      sent: m.count,
      ratePct: ((100 * m.rate) / cap).toFixed(1),
      provoked429: r.rateLimited,
      lost: broadcastSize - m.perChat.size,
      duplicates: [...m.perChat.values()].filter((n) => n > 1).length,
      replyP50Ms: "-",
      replyP95Ms: "-",
      replyMaxMs: "-",
      seconds: m.seconds.toFixed(2),
      ratePerSecond: m.rate.toFixed(2),
      outboxSent: (await outboxCounts(db, "telegram")).sent ?? 0,
      roundTripP50Ms: percentile(roundTrips, 50).toFixed(1),
      roundTripP95Ms: percentile(roundTrips, 95).toFixed(1),
      ceilingAtP50RoundTripPct: ceilingPct(m.count, percentile(roundTrips, 50)).toFixed(1),
      windowOverMeanMs: w.mean.toFixed(1),
      windowOverP95Ms: w.p95.toFixed(1),
      jitterMs,
      latencyMs,
      load: `${loadBefore}→${load()}`,
    },
    "≥ 98 % of 30/s, 0 × 429, 0 lost, 0 duplicates",
  );
  await db.destroy();
  peer.stop();
}

/** People linked to Telegram chats 1..n in a fresh database, ready for the service. */
async function memberDatabase(
  linked: number,
  unlinked: number,
): Promise<{ file: string; codes: string[]; db: Database & { destroy(): Promise<void> } }> {
  const db = await benchDatabase();
  const codes: string[] = [];
  await db.transaction(async () => {
    await db.sql.run(`INSERT INTO Organisation (code, name, createdAt) VALUES ('b', 'Bench', 0)`);
    await db.sql.run(
      `INSERT INTO Unit (organisationId, name, nameKey, path, depth, createdAt) VALUES (1, 'Chi hội', 'chi hoi', '/1/', 0, 0)`,
    );
    for (let i = 1; i <= linked + unlinked; i++) {
      await db.sql.run(
        `INSERT INTO Person (id, fullName, nameKey, locale, linkedAccounts, createdAt, updatedAt) VALUES (?, ?, ?, 'vi', ?, 0, 0)`,
        i,
        `Hội viên ${i}`,
        `hoi vien ${i}`,
        i <= linked ? 1 : 0,
      );
      await db.sql.run(`INSERT INTO Membership (personId, unitId, role, createdAt) VALUES (?, 1, 'member', 0)`, i);
      if (i <= linked)
        await db.sql.run(
          `INSERT INTO ChatAccount (platform, externalId, personId, preferred, linkedAt, createdAt) VALUES ('telegram', ?, ?, 1, 0, 0)`,
          String(i),
          i,
        );
    }
  });
  for (let i = linked + 1; i <= linked + unlinked; i++) codes.push((await issueLinkCode(db, i)).code);
  return { file: db.file, codes, db };
}

async function withService<T>(
  peer: TelegramPeer,
  file: string,
  fn: (service: Awaited<ReturnType<typeof startService>>) => Promise<T>,
): Promise<T> {
  const service = await startService(
    loadConfig({
      DATABASE_URL: `file:${file}`,
      PORT: "0",
      DEMO_MODE: "off",
      LOG_LEVEL: "silent",
      TELEGRAM_BOT_TOKEN: peer.token,
      TELEGRAM_API_ROOT: peer.apiRoot,
      TELEGRAM_MODE: "polling",
    }),
    { logger },
  );
  try {
    return await fn(service);
  } finally {
    await service.stop();
  }
}

async function broadcastWithReplies(): Promise<void> {
  const members = 200;
  const peer = await startPeer();
  const { file, db } = await memberDatabase(members, 0);
  await enqueueMany(db, broadcastRows(broadcastSize));
  await db.close();
  const mem = memorySampler();
  const loadBefore = load();
  await withService(peer, file, async (service) => {
    const roundTrips = timeRoundTrips(
      service.channels.find((c): c is TelegramChannel => c instanceof TelegramChannel)!,
    );
    const countSent = async () =>
      (await service.db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Outbox WHERE status = 'sent'`))!.n;
    while ((await countSent()) < 60) await new Promise((r) => setTimeout(r, 20));
    // 200 members write while the broadcast runs (spread over 40 s of its ~67 s).
    const messages = Array.from({ length: members }, (_, i) => ({ userId: i + 1, text: i % 2 ? "/trogiup" : "/lich" }));
    const { pushed } = await peer.ask<{ pushed: Record<number, number> }>({ kind: "say", messages, spreadMs: 40_000 });
    while ((await countSent()) < broadcastSize + members) await new Promise((r) => setTimeout(r, 50));
    const r = await peer.ask<Report>({ kind: "report" });
    const firstReply = new Map<string, number>();
    for (const [chat, at] of r.sent) if (Number(chat) <= members && !firstReply.has(chat)) firstReply.set(chat, at);
    const latencies = Object.entries(pushed).map(([id, t]) => (firstReply.get(id) ?? Number.POSITIVE_INFINITY) - t);
    const b = measure(r, (c) => Number(c) >= 100_000);
    const replies = measure(r, (c) => Number(c) <= members);
    const all = measure(r, () => true);
    const w = windowOverhead(r);
    const { peakMb } = mem.stop();
    report(
      "broadcast 2,000 + replies to 200 members, strict fake",
      {
        sent: all.count,
        ratePct: ((100 * all.rate) / cap).toFixed(1),
        provoked429: r.rateLimited,
        lost: broadcastSize - b.perChat.size + members - replies.perChat.size,
        duplicates:
          [...b.perChat.values()].filter((n) => n > 1).length +
          [...replies.perChat.values()].filter((n) => n > 1).length,
        replyP50Ms: percentile(latencies, 50).toFixed(0),
        replyP95Ms: percentile(latencies, 95).toFixed(0),
        replyMaxMs: Math.max(...latencies).toFixed(0),
        seconds: all.seconds.toFixed(2),
        ratePerSecond: all.rate.toFixed(2),
        broadcastSent: b.count,
        repliesSent: replies.count,
        roundTripP50Ms: percentile(roundTrips, 50).toFixed(1),
        roundTripP95Ms: percentile(roundTrips, 95).toFixed(1),
        ceilingAtP50RoundTripPct: ceilingPct(all.count, percentile(roundTrips, 50)).toFixed(1),
        windowOverMeanMs: w.mean.toFixed(1),
        windowOverP95Ms: w.p95.toFixed(1),
        peakRssMb: peakMb,
        load: `${loadBefore}→${load()}`,
      },
      "≥ 98 %, 0 × 429, 0 lost, 0 duplicates, every reply ≤ 2,000 ms",
    );
  });
  peer.stop();
}

async function linking(): Promise<void> {
  const members = 1003;
  const peer = await startPeer();
  const { file, codes, db } = await memberDatabase(0, members);
  await db.close();
  const started = Date.now();
  await withService(peer, file, async (service) => {
    const messages = codes.map((code, i) => ({ userId: 500_000 + i, text: `DK ${code}` }));
    await peer.ask({ kind: "say", messages, spreadMs: 0 });
    const linked = async () =>
      (await service.db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ChatAccount WHERE personId IS NOT NULL`))!.n;
    const answered = async () =>
      (await service.db.sql.get<{ n: number }>(`SELECT COUNT(DISTINCT chatId) AS n FROM Outbox WHERE status = 'sent'`))!
        .n;
    while ((await answered()) < members) await new Promise((r) => setTimeout(r, 100));
    const r = await peer.ask<Report>({ kind: "report" });
    const m = measure(r, () => true);
    report(
      "linking 1,003 members in one burst, strict fake",
      {
        members,
        linked: await linked(),
        answered: m.perChat.size,
        sends: m.count,
        seconds: ((Date.now() - started) / 1000).toFixed(1),
        ratePerSecond: m.rate.toFixed(2),
        provoked429: r.rateLimited,
      },
      "each answered, 0 × 429",
    );
  });
  peer.stop();
}

async function ceiling(): Promise<void> {
  const fake = new FakeTelegramServer({ limits: false });
  await fake.start();
  const db = await benchDatabase();
  const channel = new TelegramChannel({
    config: { token: fake.token, mode: "polling", apiRoot: fake.apiRoot },
    logger,
    botInfo: fake.botInfo,
  });
  await enqueueMany(db, broadcastRows(ceilingSize));
  let finished = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const mem = memorySampler();
  const engine = new DeliveryEngine(db, {
    concurrency: 32,
    maxAttempts: 8,
    logger,
    limits: { telegram: { perSecond: 1_000_000, chatIntervalMs: 0, groupPerMinute: 1_000_000, marginMs: 0 } },
    onFinished: () => void (++finished === ceilingSize && resolveDone()),
  });
  const started = Date.now();
  engine.addChannel(channel);
  await engine.start();
  await done;
  const seconds = (Date.now() - started) / 1000;
  await engine.stop();
  const { peakMb } = mem.stop();
  report(
    "engine ceiling, limits off",
    {
      messages: ceilingSize,
      sent: fake.sentCount(),
      ratePerSecond: (ceilingSize / seconds).toFixed(0),
      peakRssMb: peakMb,
    },
    "≥ 1,000/s, < 200 MB",
  );
  await db.destroy();
  await fake.stop();
}

/** ONLY=broadcast,replies runs those scenarios (default: all). */
const only = process.env.ONLY?.split(",");
const wanted = (name: string) => !only || only.includes(name);
if (wanted("broadcast")) await broadcastOnly();
if (wanted("replies")) await broadcastWithReplies();
if (wanted("linking")) await linking();
if (wanted("ceiling")) await ceiling();
