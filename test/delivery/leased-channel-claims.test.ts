/**
 * The personal Zalo account's queue with several service processes on one database: only the
 * process holding the account's lease (LeasedChannel) claims its rows. Two delivery engines, each
 * with the real ZaloChannel under a lease against the fake Zalo, stand for two processes. The
 * other process never claims a row to push it back (no "rate_limited" attempt, nothing delayed),
 * and when the holder stops, the other takes the lease and the queue with it, and the account's
 * hourly cap on first messages to strangers with it (shared through the database).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../src/lib/logger.ts";
import { LeasedChannel } from "../../src/channels/leased-channel.ts";
import { ZaloChannel } from "../../src/channels/zalo/zalo-channel.ts";
import type { ZaloApi } from "../../src/channels/zalo/zalo-supervisor.ts";
import { saveCredentials, type ZaloCredentials } from "../../src/channels/zalo/credential-store.ts";
import { DeliveryEngine } from "../../src/delivery/delivery-engine.ts";
import { enqueueMany, outboxCounts } from "../../src/domain/deliveries/outbox-service.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { FakeZaloServer, createFakeZaloApi, createFakeZaloFetch, type FakeZaloFetch } from "../fakes/zalo-ws-server.ts";

const eventually = { timeout: 20_000, interval: 20 };
const key = "lease-claims-key-0123456789";
const creds: ZaloCredentials = {
  cookie: [{ key: "zpw_sek", value: "SECRET-cookie-v1", domain: "chat.zalo.me", path: "/" }],
  imei: "SECRET-imei-777",
  userAgent: "Mozilla/5.0 Test",
};
const timing = {
  backoffBaseMs: 2,
  backoffMaxMs: 10,
  connectTimeoutMs: 5_000,
  credentialsWatchMs: 10,
  maxLoginFailures: 3,
  keepWarmMs: 3_600_000,
};
const logger = createLogger("silent");
// One send at a time with a pause between, as the personal account is paced: the holder claims one
// row at a time, leaving the others in the queue for the other process to see.
const limits = { zalo: { perSecond: 1000, minIntervalMs: 200, chatIntervalMs: 200, groupPerMinute: 20 } };

let db: TestDatabase;
let server: FakeZaloServer;
let wsUrl: string;
let fake: FakeZaloFetch;
const running: { engine: DeliveryEngine; channel: LeasedChannel<ZaloChannel> }[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  server = new FakeZaloServer();
  wsUrl = await server.start();
  fake = createFakeZaloFetch();
  await saveCredentials(db, key, creds);
});
afterEach(async () => {
  for (const p of running.splice(0)) {
    await p.engine.stop();
    await p.channel.stop();
  }
  await server.stop();
  await db.destroy();
});

/** One service process's Zalo side: the channel under its lease, and a delivery engine. */
async function serviceProcess(engineOptions: { sharedBudget?: boolean; newRecipientsPerHour?: number } = {}) {
  const inner = new ZaloChannel({
    db,
    config: { credentialsKey: key, sendIntervalMs: 20, newRecipientsPerHour: 1000 },
    logger,
    notifyAdmins: async () => undefined,
    timing,
    random: () => 0.5,
    apiFactory: async (c: ZaloCredentials): Promise<ZaloApi> =>
      createFakeZaloApi(c, { wsUrl, fetch: fake.fetch, secretKey: fake.secretKey, uid: "100" }),
  });
  const channel = new LeasedChannel(inner, { db, name: "zalo:listen", logger, ttlMs: 2000, intervalMs: 200 });
  const engine = new DeliveryEngine(db, {
    concurrency: 4,
    maxAttempts: 3,
    limits: { zalo: { ...limits.zalo, newRecipientsPerHour: engineOptions.newRecipientsPerHour } },
    logger,
    sharedBudget: engineOptions.sharedBudget,
  });
  engine.addChannel(channel);
  await channel.start(async () => undefined);
  await engine.start();
  const p = { engine, channel, inner };
  running.push(p);
  return p;
}

/** Texts the account sent (decrypted from the fake REST calls). */
const sentTexts = () =>
  fake.calls
    .filter((c) => c.method === "POST" && /\/api\/message\/(sms|sendmsg)$/.test(c.path))
    .map((c) => String(c.params?.message));

const attempts = async (outcome: string) =>
  (await db.kysely.selectFrom("DeliveryAttempt").select("outboxId").where("outcome", "=", outcome).execute()).length;

let chats = 0;
const queue = (texts: string[]) =>
  enqueueMany(
    db,
    texts.map((text) => ({ platform: "zalo", chatId: String(7000 + chats++), body: { text } })),
  );

describe("the personal Zalo queue with two processes", () => {
  it("should be claimed by the lease holder only, and by the other process once it holds the lease", async () => {
    const a = await serviceProcess();
    const b = await serviceProcess();
    await vi.waitFor(async () => expect((await a.inner.status()).state).toBe("online"), eventually);
    expect([a.channel.canSend, b.channel.canSend]).toEqual([true, false]);

    const first = ["một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười"];
    await queue(first);
    a.engine.kick();
    b.engine.kick();
    await vi.waitFor(async () => expect((await outboxCounts(db, "zalo")).sent).toBe(first.length), eventually);
    expect(sentTexts().sort()).toEqual([...first].sort());
    // Every row went through the holder's engine, none through the other's (a claim refused by
    // the channel would show as a rate_limited attempt and a row pushed back by 30 s).
    const owners = await db.kysely.selectFrom("Outbox").select("claimedBy").distinct().execute();
    expect(owners).toEqual([{ claimedBy: a.engine.workerId }]);
    expect(await attempts("rate_limited")).toBe(0);

    // The holder stops: the other process takes the lease, logs in, and sends what comes next.
    running.splice(running.indexOf(a), 1);
    await a.engine.stop();
    await a.channel.stop();
    await vi.waitFor(() => expect(b.channel.canSend).toBe(true), eventually);
    const second = ["mười một", "mười hai"];
    await queue(second);
    b.engine.kick();
    await vi.waitFor(
      async () => expect((await outboxCounts(db, "zalo")).sent).toBe(first.length + second.length),
      eventually,
    );
    expect(
      (await db.kysely.selectFrom("Outbox").select("claimedBy").where("body", "like", "%mười hai%").executeTakeFirst())
        ?.claimedBy,
    ).toBe(b.engine.workerId);
    expect(await attempts("rate_limited")).toBe(0);
  });

  it("should keep the account's hourly cap on new recipients when another process takes the account over", async () => {
    const shared = { sharedBudget: true, newRecipientsPerHour: 3 };
    const a = await serviceProcess(shared);
    const b = await serviceProcess(shared);
    await vi.waitFor(async () => expect((await a.inner.status()).state).toBe("online"), eventually);
    await queue(["một", "hai", "ba"]);
    a.engine.kick();
    await vi.waitFor(async () => expect((await outboxCounts(db, "zalo")).sent).toBe(3), eventually);

    running.splice(running.indexOf(a), 1);
    await a.engine.stop();
    await a.channel.stop();
    await vi.waitFor(() => expect(b.channel.canSend).toBe(true), eventually);
    await vi.waitFor(async () => expect((await b.inner.status()).state).toBe("online"), eventually);
    // Two more strangers: the hour's three were spent by the first process.
    await queue(["bốn", "năm"]);
    b.engine.kick();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await outboxCounts(db, "zalo")).toEqual({ sent: 3, pending: 2 });
    expect(sentTexts()).toHaveLength(3);
  });
});
