/**
 * Several processes on one database: only the holder of the bot's lease long-polls the Zalo Bot
 * Platform, and another takes over when the holder stops. (Real processes are tested for
 * Telegram in test/channels/telegram; the lease mechanism is the same LeasedWork.)
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeZaloBotServer } from "../../fakes/zalo-bot-server.ts";
import { ZaloBotChannel } from "../../../src/channels/zalo-bot/zalo-bot-channel.ts";
import type { InboundMessage } from "../../../src/channels/channel.ts";
import { createLogger } from "../../../src/lib/logger.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";

const silent = createLogger("silent");
let fake: FakeZaloBotServer;
let db: TestDatabase;
const channels: ZaloBotChannel[] = [];

beforeEach(async () => {
  fake = new FakeZaloBotServer();
  await fake.start();
  db = await createTestDatabase();
});
afterEach(async () => {
  for (const c of channels.splice(0)) await c.stop();
  await fake.stop();
  await db.destroy();
});

/** A started channel; `started` settles after its first try for the lease (LeaseKeeper.start). */
function leasedChannel(received: InboundMessage[]): ZaloBotChannel & { started: Promise<void> } {
  const channel = new ZaloBotChannel({
    config: { token: fake.token, mode: "polling", apiRoot: fake.apiRoot },
    logger: silent,
    pollTimeoutSeconds: 1,
    retryBaseMs: 1,
    retryMaxMs: 5,
    lease: { db, ttlMs: 600, intervalMs: 150 },
  });
  channels.push(channel);
  const started = channel.start(async (m) => {
    received.push(m);
  });
  return Object.assign(channel, { started });
}

describe("Zalo Bot polling under a lease", () => {
  it("lets one of two channels poll, and the other take over when it stops", async () => {
    const a: InboundMessage[] = [];
    const b: InboundMessage[] = [];
    const first = leasedChannel(a);
    await fake.waitFor(() => first.polling, 5000, "first polls");
    const second = leasedChannel(b);
    await second.started; // its first try for the lease was refused: the first holds it
    expect(second.polling).toBe(false);
    expect(second.pollLeaseName).not.toContain(fake.token.split(":")[1]!);

    fake.userSendsText({ id: "u1", name: "An" }, "có mặt");
    await fake.waitFor(() => a.length === 1, 5000, "first receives");
    expect(b).toHaveLength(0);

    await first.stop();
    await fake.waitFor(() => second.polling, 5000, "second takes over");
    fake.userSendsText({ id: "u1", name: "An" }, "xin vắng");
    await fake.waitFor(() => b.length === 1, 5000, "second receives");
    expect(a.map((m) => m.text)).toEqual(["có mặt"]);
    expect(b.map((m) => m.text)).toEqual(["xin vắng"]);
  });
});
