/**
 * Zalo's normal behaviour over time, against the real zca-js API and Listener: the server drops the
 * socket (1006) every few seconds for dozens of cycles while members keep writing and reacting,
 * some of it while the socket is down. Time is faked (setTimeout and Date), so the gaps measured
 * from the fake server's own timestamps are exactly what the channel chose, whatever the load.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createLogger } from "../../../src/lib/logger.ts";
import type { InboundMessage } from "../../../src/channels/channel.ts";
import { ZaloChannel } from "../../../src/channels/zalo/zalo-channel.ts";
import { defaultZaloTiming } from "../../../src/channels/zalo/zalo-supervisor.ts";
import { saveCredentials, type ZaloCredentials } from "../../../src/channels/zalo/credential-store.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import {
  FakeZaloServer,
  createFakeZaloApi,
  createFakeZaloFetch,
  rawMessage,
  rawReaction,
} from "../../fakes/zalo-ws-server.ts";

const key = "reconnect-test-key-0123456789";
const credentials: ZaloCredentials = {
  cookie: [{ key: "zpw_sek", value: "sek-reconnect", domain: ".chat.zalo.me", path: "/" }],
  imei: "imei-reconnect",
  userAgent: "Mozilla/5.0 (Test) Firefox/133.0",
};
const config = { credentialsKey: key, sendIntervalMs: 3000, newRecipientsPerHour: 60 };

let db: TestDatabase;
let server: FakeZaloServer;
let channel: ZaloChannel | undefined;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  db = await createTestDatabase();
  await saveCredentials(db, key, credentials);
  server = new FakeZaloServer();
});

afterEach(async () => {
  await channel?.stop();
  channel = undefined;
  vi.useRealTimers();
  await server.stop();
  await db.destroy();
});

/**
 * Waits on real I/O without moving the fake clock (vi.waitFor would advance it), so the fake
 * server's timestamps measure only the channel's own delays.
 */
async function settle(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Runs due fake timers until `done` holds. After each timer, real I/O it started (a socket
 * opening) gets up to `ioMs` of real time to land before the clock moves again: moving it while
 * the socket was still opening stamped the connection with the next timer's time (a 20 s retry
 * measured as 30 s on a loaded machine).
 */
async function advanceUntil(done: () => boolean, maxSteps = 5, ioMs = 1_000): Promise<void> {
  for (let i = 0; i < maxSteps && !done(); i++) {
    await vi.advanceTimersToNextTimerAsync();
    const until = performance.now() + ioMs;
    while (!done() && performance.now() < until) await new Promise((r) => setImmediate(r));
  }
  if (!done()) throw new Error("condition not reached");
}

async function startChannel() {
  const wsUrl = await server.start();
  const fake = createFakeZaloFetch();
  const apiFactory = vi.fn(async (c: ZaloCredentials) =>
    createFakeZaloApi(c, { wsUrl, fetch: fake.fetch, secretKey: fake.secretKey, uid: "100" }),
  );
  const received: InboundMessage[] = [];
  const notifyAdmins = vi.fn(async (_text: string) => {});
  // Production timing: what is measured is what a deployment does.
  channel = new ZaloChannel({ db, config, logger: createLogger("silent"), apiFactory, notifyAdmins });
  await channel.start(async (m) => void received.push(m));
  await server.until(() => server.caughtUp());
  return { apiFactory, received, notifyAdmins, fake };
}

describe("ZaloChannel reconnects", () => {
  it("should survive dozens of 1006 closes with no re-login, no lost or doubled event, and gaps of about a second", async () => {
    const { apiFactory, received, notifyAdmins, fake } = await startChannel();
    const cycles = 40;
    const expected: string[] = [];
    let next = 1;
    for (let cycle = 0; cycle < cycles; cycle++) {
      // Live, while the socket is open: a message, and a 👍 on an earlier message.
      const live = String(10_000 + next++);
      server.sendDirect(rawMessage({ msgId: live, content: `tin ${live}` }));
      const liveReact = rawReaction("9000001", { msgId: String(10_000 + next++) });
      server.sendReaction(liveReact);
      expected.push(live, `react:${liveReact.msgId}`);
      await settle(() => received.length === expected.length, "the events");

      vi.advanceTimersByTime(3_000); // the socket lived a few seconds
      server.close(1006);
      await server.until(() => server.open === undefined);
      // While the socket is down: a message and a 👍, only in Zalo's history now.
      const missed = String(10_000 + next++);
      const missedReact = rawReaction("9000002", { msgId: String(10_000 + next++) });
      expect(server.sendDirect(rawMessage({ msgId: missed, content: `tin ${missed}` }))).toBe(false);
      expect(server.sendReaction(missedReact)).toBe(false);
      expected.push(missed, `react:${missedReact.msgId}`);

      // Once the channel saw the close (before that, the next fake timer is not its reconnect).
      await settle(async () => (await channel!.status()).state === "connecting", "the channel to see the close");
      await advanceUntil(() => server.connections.length === cycle + 2);
      await server.until(() => server.caughtUp(server.connections[cycle + 1]));
      await settle(() => received.length === expected.length, "the events");
    }

    // Every event exactly once, although each history replay repeats the recent ones.
    expect(received.map((m) => m.eventId).sort()).toEqual([...expected].sort());
    expect(new Set(received.map((m) => m.eventId)).size).toBe(received.length);
    // One login in all; one new socket per close, no more.
    expect(apiFactory).toHaveBeenCalledTimes(1);
    expect(server.connections).toHaveLength(cycles + 1);
    expect(server.duplicates).toBe(0); // never a new socket while the old one was open
    expect(fake.calls.filter((c) => /login/i.test(c.path))).toEqual([]);
    expect(notifyAdmins).not.toHaveBeenCalled();
    // Gaps from the fake server's clock: close → next socket open.
    const gaps = server.connections.slice(1).map((c, i) => c.openedAt - server.connections[i]!.closedAt!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(defaultZaloTiming.backoffBaseMs);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(defaultZaloTiming.backoffBaseMs / 2);
    expect((await channel!.status()).state).toBe("online");
  });

  it("should wait longer after each 3003 in a row, then stop and tell the admins", async () => {
    const { apiFactory, notifyAdmins } = await startChannel();
    const delays = defaultZaloTiming.kickRetryDelaysMs;
    for (let i = 0; i < delays.length; i++) {
      server.close(3003);
      await server.until(() => server.current!.closedAt !== null);
      await settle(async () => (await channel!.status()).state === "connecting", "the channel to see the close");
      await advanceUntil(() => server.connections.length === i + 2);
      await server.until(() => server.caughtUp(server.connections[i + 1]));
    }
    server.close(3003);
    await vi.waitFor(async () => expect((await channel!.status()).state).toBe("taken_over"));
    const gaps = server.connections.slice(1).map((c, i) => c.openedAt - server.connections[i]!.closedAt!);
    expect(gaps).toEqual([...delays]);
    expect(apiFactory).toHaveBeenCalledTimes(1);
    expect(notifyAdmins).toHaveBeenCalledTimes(1);
  });
});
