/**
 * The personal Zalo channel under a lease (LeasedChannel), as the service runs it when several
 * processes share PostgreSQL: two channels on one database stand for two processes, driving the
 * real zca-js API and listener against the fake Zalo. Only the holder logs in and listens; when it
 * stops, the other logs in after the holder's socket has closed (no duplicate connection).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../../src/lib/logger.ts";
import type { InboundMessage } from "../../../src/channels/channel.ts";
import { LeasedChannel } from "../../../src/channels/leased-channel.ts";
import { ZaloChannel } from "../../../src/channels/zalo/zalo-channel.ts";
import type { ZaloApi } from "../../../src/channels/zalo/zalo-supervisor.ts";
import { saveCredentials, type ZaloCredentials } from "../../../src/channels/zalo/credential-store.ts";
import { config, creds, eventually, key, timing } from "../../helpers/zalo-channel-harness.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import {
  FakeZaloServer,
  createFakeZaloApi,
  createFakeZaloFetch,
  rawMessage,
  type FakeZaloFetch,
} from "../../fakes/zalo-ws-server.ts";

const logger = createLogger("silent");

let db: TestDatabase;
let server: FakeZaloServer;
let wsUrl: string;
let fake: FakeZaloFetch;
const started: LeasedChannel<ZaloChannel>[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  server = new FakeZaloServer();
  wsUrl = await server.start();
  fake = createFakeZaloFetch();
  await saveCredentials(db, key, creds);
});
afterEach(async () => {
  for (const c of started.splice(0)) await c.stop();
  await server.stop();
  await db.destroy();
});

function processWithZalo() {
  const received: InboundMessage[] = [];
  const apiFactory = vi.fn(
    async (c: ZaloCredentials): Promise<ZaloApi> =>
      createFakeZaloApi(c, { wsUrl, fetch: fake.fetch, secretKey: fake.secretKey, uid: "100" }),
  );
  const inner = new ZaloChannel({
    db,
    config,
    logger,
    notifyAdmins: async () => undefined,
    timing,
    random: () => 0.5,
    apiFactory,
  });
  const channel = new LeasedChannel(inner, { db, name: "zalo:listen", logger, ttlMs: 2000, intervalMs: 200 });
  started.push(channel);
  return { channel, inner, apiFactory, received, start: () => channel.start(async (m) => void received.push(m)) };
}

describe("ZaloChannel under a lease", () => {
  it("should log in and listen in the lease holder only, and move to the other process when it stops", async () => {
    const a = processWithZalo();
    const b = processWithZalo();
    await a.start();
    await b.start();
    await vi.waitFor(async () => expect((await a.inner.status()).state).toBe("online"), eventually);
    await server.until(() => server.caughtUp());
    expect([a.channel.active, b.channel.active]).toEqual([true, false]);
    expect([a.apiFactory.mock.calls.length, b.apiFactory.mock.calls.length]).toEqual([1, 0]);

    server.sendDirect(rawMessage({ msgId: "8101", content: "một" }));
    await vi.waitFor(() => expect(a.received.map((m) => m.text)).toEqual(["một"]), eventually);

    started.splice(started.indexOf(a.channel), 1);
    await a.channel.stop();
    await vi.waitFor(() => expect(b.channel.active).toBe(true), eventually);
    await vi.waitFor(async () => expect((await b.inner.status()).state).toBe("online"), eventually);
    await server.until(() => server.caughtUp());
    expect(b.apiFactory).toHaveBeenCalledTimes(1);
    server.sendDirect(rawMessage({ msgId: "8102", content: "hai" }));
    await vi.waitFor(() => expect(b.received.map((m) => m.text)).toContain("hai"), eventually);
    expect(a.received.map((m) => m.text)).toEqual(["một"]);
    // One socket at a time: the second login came after the first socket had closed.
    expect(server.duplicates).toBe(0);
    expect(server.connections).toHaveLength(2);
  });
});
