import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { silentLogger } from "../helpers/telegram.ts";
import { Inbox } from "../../src/conversation/inbox.ts";
import type { InboundMessage } from "../../src/channels/channel.ts";

let db: TestDatabase;
let clock: Date;
let inbox: Inbox;
const limit = { burst: 20, intervalMs: 3000 };

beforeEach(async () => {
  db = await createTestDatabase();
  clock = new Date("2026-11-23T03:00:00Z");
  inbox = new Inbox({
    db,
    logger: silentLogger,
    now: () => clock,
    inboundLimit: limit,
    settings: { timeZone: "Asia/Ho_Chi_Minh", defaultLocale: "vi", linkCodeTtlDays: 30 },
  });
});
afterEach(() => db.destroy());

let seq = 0;
function message(sender: string, text: string): InboundMessage {
  seq++;
  return {
    platform: "telegram",
    account: "bot",
    chatId: sender,
    chatType: "private",
    sender: { id: sender },
    kind: "text",
    text,
    eventId: `e${seq}`,
    messageId: `m${seq}`,
    at: clock,
  };
}

const statuses = async (sender: string) =>
  Object.fromEntries(
    (
      await db.kysely
        .selectFrom("MessageLog")
        .select((eb) => ["status", eb.fn.countAll<number>().as("n")])
        .where("direction", "=", "in")
        .where("senderExternalId", "=", sender)
        .groupBy("status")
        .execute()
    ).map((r) => [r.status, r.n]),
  );
const notices = async (sender: string) =>
  (
    await db.kysely
      .selectFrom("Outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("chatId", "=", sender)
      .where("dedupeKey", "like", "%:flood")
      .executeTakeFirstOrThrow()
  ).n;

describe("Inbox per-sender limit", () => {
  it("should store a flood whole, handle only the burst, tell the sender once, and handle another sender at once", async () => {
    const flood = Array.from({ length: 2000 }, (_, i) => inbox.receive(message("666", `spam ${i}`)));
    const other = inbox.receive(message("777", "/trogiup"));
    expect(await other).toBe("handled");
    // When the other sender's message is answered, the flood has not been handled ahead of it.
    expect((await statuses("666")).handled ?? 0).toBeLessThanOrEqual(limit.burst);
    const results = await Promise.all(flood);
    expect(results.filter((r) => r === "handled")).toHaveLength(limit.burst);
    expect(results.filter((r) => r === "throttled")).toHaveLength(2000 - limit.burst);
    expect(await statuses("666")).toEqual({ handled: limit.burst, throttled: 2000 - limit.burst });
    expect(await notices("666")).toBe(1);
    expect(
      await db.kysely
        .selectFrom("MessageLog")
        .select("text")
        .where("senderExternalId", "=", "666")
        .where("text", "=", "spam 1999")
        .executeTakeFirst(),
    ).toBeTruthy();
    expect(await statuses("777")).toEqual({ handled: 1 });
    expect(
      (
        await db.kysely
          .selectFrom("Outbox")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("chatId", "=", "777")
          .executeTakeFirstOrThrow()
      ).n,
    ).toBeGreaterThan(0);
  });

  it("should let the sender through again as time passes, and notice a new flood once more", async () => {
    for (let i = 0; i < limit.burst + 5; i++) await inbox.receive(message("666", `m${i}`));
    expect(await notices("666")).toBe(1);
    clock = new Date(clock.getTime() + 2 * limit.intervalMs);
    expect(await inbox.receive(message("666", "again"))).toBe("handled");
    expect(await inbox.receive(message("666", "again 2"))).toBe("handled");
    expect(await inbox.receive(message("666", "too soon"))).toBe("throttled");
    expect(await notices("666")).toBe(2);
  });

  it("should not recover throttled messages as if a crash had left them unhandled", async () => {
    for (let i = 0; i < limit.burst + 3; i++) await inbox.receive(message("666", `m${i}`));
    clock = new Date(clock.getTime() + 60_000);
    expect(await inbox.recover(0)).toBe(0);
  });
});
