/**
 * LeasedChannel: a channel only one process may run (the personal Zalo account), started in the
 * lease holder only. Two wrappers on one database stand for two service processes; the wrapped
 * channel is a recording stand-in for a platform.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { silentLogger } from "../helpers/telegram.ts";
import { untilRenewedPastExpiry } from "../helpers/lease.ts";
import { until } from "../helpers/processes.ts";
import { LeasedChannel } from "../../src/channels/leased-channel.ts";
import {
  ChannelSendError,
  type Channel,
  type InboundHandler,
  type OutboundMessage,
  type SendResult,
  type SendTarget,
} from "../../src/channels/channel.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A platform stand-in: records starts, stops and sends; at most one may run across both (one login). */
class RecordingChannel implements Channel {
  static running = 0;
  static maxRunning = 0;
  readonly id = "zalo" as const;
  readonly capabilities = { buttons: false, maxLength: 2000, groups: true };
  readonly events: string[] = [];
  handler?: InboundHandler;
  async start(handler: InboundHandler): Promise<void> {
    this.handler = handler;
    RecordingChannel.running++;
    RecordingChannel.maxRunning = Math.max(RecordingChannel.maxRunning, RecordingChannel.running);
    this.events.push("start");
  }
  async send(target: SendTarget, message: OutboundMessage): Promise<SendResult> {
    this.events.push(`send ${target.chatId} ${message.text}`);
    return { messageIds: ["1"] };
  }
  async stop(): Promise<void> {
    await sleep(20); // a stop that takes a while: the next holder must not start meanwhile
    this.handler = undefined;
    RecordingChannel.running--;
    this.events.push("stop");
  }
}

describe("LeasedChannel", () => {
  it("should run the channel in the lease holder only, refuse sends elsewhere, and move it when the holder stops", async () => {
    const innerA = new RecordingChannel();
    const innerB = new RecordingChannel();
    const options = { db, name: "zalo:listen:test", logger: silentLogger, ttlMs: 2000, intervalMs: 200 };
    const a = new LeasedChannel(innerA, options);
    const b = new LeasedChannel(innerB, options);
    expect([a.id, a.capabilities.maxLength]).toEqual(["zalo", 2000]);
    const handler: InboundHandler = async () => undefined;
    await a.start(handler);
    await b.start(handler);
    expect([a.active, b.active]).toEqual([true, false]);
    expect(innerA.handler).toBe(handler);
    expect(await a.send({ chatId: "200", chatType: "private" }, { text: "xin chào" })).toEqual({ messageIds: ["1"] });
    const refused = await b.send({ chatId: "200", chatType: "private" }, { text: "x" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChannelSendError);
    expect(refused).toMatchObject({ failure: "rate_limited", options: { scope: "platform", retryAfterSeconds: 30 } });
    // Past the first ttl (by the database's clock): renewals kept it with a, never taken by b.
    const { before, after } = await untilRenewedPastExpiry(db, "zalo:listen:test");
    expect(after).toMatchObject({ holder: before.holder, acquiredAt: before.acquiredAt });
    expect([a.active, b.active]).toEqual([true, false]);

    await a.stop();
    await until(() => b.active, "b to take over", 5000);
    expect(b.active).toBe(true);
    expect(innerB.handler).toBe(handler);
    await b.stop();
    expect(innerA.events).toEqual(["start", "send 200 xin chào", "stop"]);
    expect(innerB.events).toEqual(["start", "stop"]);
    expect(RecordingChannel.maxRunning).toBe(1);
  });
});
