/**
 * A ZaloChannel on a throwaway database, driving the real zca-js `API` and `Listener` against the
 * fake Zalo (encrypted WebSocket frames, fake REST fetch): nothing logs in to Zalo. A test file
 * calls useZaloChannelHarness() once; the exported bindings then hold each test's instances.
 */
import { Writable } from "node:stream";
import { afterEach, beforeEach, expect, vi } from "vitest";
import { createLogger } from "../../src/lib/logger.ts";
import type { InboundMessage } from "../../src/channels/channel.ts";
import { ZaloChannel, type ZaloChannelOptions } from "../../src/channels/zalo/zalo-channel.ts";
import type { ZaloApi } from "../../src/channels/zalo/zalo-supervisor.ts";
import { saveCredentials, type ZaloCredentials } from "../../src/channels/zalo/credential-store.ts";
import { createTestDatabase, type TestDatabase } from "./test-db.ts";
import { FakeZaloServer, createFakeZaloApi, createFakeZaloFetch, type FakeZaloFetch } from "../fakes/zalo-ws-server.ts";

/** Reconnects wait 0.5–1 s and history replays follow: on a loaded machine that outlasts waitFor's 1 s default. */
export const eventually = { timeout: 10_000, interval: 20 };

export const key = "channel-test-key-0123456789";
export const creds: ZaloCredentials = {
  cookie: [{ key: "zpw_sek", value: "SECRET-cookie-v1", domain: "chat.zalo.me", path: "/" }],
  imei: "SECRET-imei-777",
  userAgent: "Mozilla/5.0 Test",
};
export const config = { credentialsKey: key, sendIntervalMs: 3000, newRecipientsPerHour: 60 };
export const timing = {
  backoffBaseMs: 2,
  backoffMaxMs: 10,
  connectTimeoutMs: 5_000,
  credentialsWatchMs: 10,
  maxLoginFailures: 3,
  keepWarmMs: 3_600_000,
};

export function captureLogger() {
  let text = "";
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { logger: createLogger("trace", stream), text: () => text };
}

export let db: TestDatabase;
export let server: FakeZaloServer;
let wsUrl: string;
export let fake: FakeZaloFetch;
export let channel: ZaloChannel | undefined;

/** A fresh database, fake Zalo server and fake REST fetch for each test; the channel stopped after it. */
export function useZaloChannelHarness(): void {
  beforeEach(async () => {
    db = await createTestDatabase();
    server = new FakeZaloServer();
    wsUrl = await server.start();
    fake = createFakeZaloFetch();
  });
  afterEach(async () => {
    await channel?.stop();
    channel = undefined;
    await server.stop();
    await db.destroy();
  });
}

/** Logs in the way the fake allows: a real API on the credentials it is given. */
export function realApi(c: ZaloCredentials): ZaloApi {
  return createFakeZaloApi(c, { wsUrl, fetch: fake.fetch, secretKey: fake.secretKey, uid: "100" });
}

export function makeChannel(extra: Partial<ZaloChannelOptions>) {
  const notifyAdmins = vi.fn(async (_text: string) => {});
  channel = new ZaloChannel({
    db,
    config,
    logger: createLogger("silent"),
    notifyAdmins,
    timing,
    random: () => 0.5,
    ...extra,
  });
  return { channel, notifyAdmins };
}

export async function online(extra: Partial<ZaloChannelOptions> = {}, received: InboundMessage[] = []) {
  await saveCredentials(db, key, creds);
  const apiFactory = vi.fn(async (c: ZaloCredentials) => realApi(c));
  const made = makeChannel({ apiFactory, ...extra });
  await made.channel.start(async (m) => {
    received.push(m);
  });
  await vi.waitFor(async () => expect((await made.channel.status()).state).toBe("online"), eventually);
  await server.until(() => server.caughtUp());
  return { ...made, apiFactory, received };
}

/** The texts the account sent, in order (decrypted from the fake REST calls). */
export function sentTexts(): { path: string; params: Record<string, unknown> }[] {
  return fake.calls
    .filter((c) => c.method === "POST" && /\/api\/(message|group)\/(sms|sendmsg|mention|quote)$/.test(c.path))
    .map((c) => ({ path: c.path, params: c.params ?? {} }));
}
