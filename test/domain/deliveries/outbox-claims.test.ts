/**
 * The outbox's hot paths on both engines (SQLite by default; PostgreSQL with TEST_DATABASE_URL):
 * claims by two claimers at once (two connections, as two processes) never overlap, a chat's
 * messages are claimed one at a time whoever claims, the send records of a batch, expired leases,
 * and dedupe by key (outbox) and by platform event id (message log).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { openDatabase, type Database } from "../../../src/storage/database.ts";
import {
  claim,
  dueCandidates,
  enqueue,
  enqueueMany,
  getOutboxRow,
  markFinal,
  outboxCounts,
  priorities,
  recordSends,
  recoverExpiredLeases,
  reschedule,
} from "../../../src/domain/deliveries/outbox-service.ts";
import {
  chatHistory,
  completeInbound,
  entityOfMessage,
  recordInbound,
  unhandledInbound,
} from "../../../src/domain/messages/message-log.ts";

let db: TestDatabase;
let other: Database | undefined;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await other?.close();
  other = undefined;
  await db.destroy();
});

const now = new Date(1_800_000_000_000);
const lease = new Date(now.getTime() + 60_000);

/** A second connection to the same database: another process, as far as locking goes. */
async function secondConnection(): Promise<Database> {
  other = await openDatabase(db.url, { migrate: false });
  return other;
}

describe("claim", () => {
  it("should never give one row to two claimers claiming at the same time", async () => {
    const second = await secondConnection();
    await enqueueMany(
      db,
      Array.from({ length: 300 }, (_, i) => ({
        platform: "telegram",
        chatId: `c${i}`,
        priority: priorities.broadcast,
        body: { text: `m${i}` },
      })),
      now,
    );
    const taken = new Map<number, string>();
    let overlaps = 0;
    // Each claimer reads the queue and claims what it read, again and again, as the engine does.
    const claimer = async (conn: Database, worker: string) => {
      let rounds = 0;
      for (;;) {
        const rows = await dueCandidates(conn, { platform: "telegram", now, limit: 20 });
        if (!rows.length) return rounds;
        const claimed = await claim(
          conn,
          rows.map((r) => r.id),
          worker,
          lease,
        );
        rounds++;
        for (const r of claimed) {
          if (taken.has(r.id)) overlaps++;
          taken.set(r.id, worker);
        }
      }
    };
    const [a, b] = await Promise.all([claimer(db, "w-a"), claimer(second, "w-b")]);
    expect(overlaps).toBe(0);
    expect(taken.size).toBe(300);
    expect(a + b).toBeGreaterThan(0);
    expect(await outboxCounts(db, "telegram")).toEqual({ sending: 300 });
    // The database agrees with what each claimer was told.
    for (const [id, worker] of [...taken].slice(0, 20)) {
      const row = await db.kysely
        .selectFrom("Outbox")
        .select(["claimedBy", "attempts"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ claimedBy: worker, attempts: 1 });
    }
  });

  it("should split the same rows between two claimers asking for all of them at once", async () => {
    const second = await secondConnection();
    const ids: number[] = [];
    for (let i = 0; i < 100; i++)
      ids.push((await enqueue(db, { platform: "telegram", chatId: `c${i}`, body: { text: "x" } }, now))!);
    const [a, b] = await Promise.all([claim(db, ids, "w-a", lease), claim(second, ids, "w-b", lease)]);
    const seen = [...a, ...b].map((r) => r.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort((x, y) => x - y)).toEqual(ids);
    // Each claimer gets its rows in the order it asked for them.
    expect(a.map((r) => r.id)).toEqual(ids.filter((id) => a.some((r) => r.id === id)));
  });

  it("should keep a chat's messages one at a time, whichever process claims", async () => {
    const second = await secondConnection();
    const first = (await enqueue(db, { platform: "telegram", chatId: "42", body: { text: "một" } }, now))!;
    const next = (await enqueue(db, { platform: "telegram", chatId: "42", body: { text: "hai" } }, now))!;
    const elsewhere = (await enqueue(db, { platform: "telegram", chatId: "43", body: { text: "ba" } }, now))!;
    expect((await claim(db, [first], "w-a", lease)).map((r) => r.id)).toEqual([first]);
    // The other process sees chat 42's second message as due, but may not send it while the first is in flight.
    const due = await dueCandidates(second, { platform: "telegram", now, limit: 10 });
    expect(due.map((r) => r.id)).toEqual([next, elsewhere]);
    expect(
      (
        await claim(
          second,
          due.map((r) => r.id),
          "w-b",
          lease,
        )
      ).map((r) => r.id),
    ).toEqual([elsewhere]);
    expect(await recordSends(db, "w-a", [{ id: first, platformMessageId: "7", at: now, log: [] }])).toBe(1);
    expect((await claim(second, [next], "w-b", lease)).map((r) => r.id)).toEqual([next]);
  });

  it("should skip the chats it is told to, and read rows by priority then fair order", async () => {
    await enqueueMany(
      db,
      [
        { platform: "telegram", chatId: "a", priority: priorities.broadcast, body: { text: "1" } },
        { platform: "telegram", chatId: "b", priority: priorities.reply, body: { text: "2" } },
        { platform: "telegram", chatId: "c", priority: priorities.normal, body: { text: "3" } },
        {
          platform: "telegram",
          chatId: "d",
          priority: priorities.reply,
          body: { text: "4" },
          notBefore: new Date(now.getTime() + 1000),
        },
        { platform: "zalo", chatId: "e", priority: priorities.reply, body: { text: "5" } },
      ],
      now,
    );
    expect((await dueCandidates(db, { platform: "telegram", now, limit: 10 })).map((r) => r.chatId)).toEqual([
      "b",
      "c",
      "a",
    ]);
    expect(
      (await dueCandidates(db, { platform: "telegram", now, limit: 10, excludeChats: ["b", "a"] })).map(
        (r) => r.chatId,
      ),
    ).toEqual(["c"]);
    expect((await dueCandidates(db, { platform: "telegram", now, limit: 1 })).map((r) => r.chatId)).toEqual(["b"]);
  });
});

describe("recordSends", () => {
  it("should mark a batch sent with its attempts and log lines, but not a row another worker holds", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (await enqueue(
          db,
          { platform: "telegram", chatId: `c${i}`, body: { text: `m${i}` }, entityType: "Directive", entityId: 9 },
          now,
        ))!,
      );
    await claim(db, ids.slice(0, 2), "w-a", lease);
    await claim(db, ids.slice(2), "w-b", lease);
    const at = new Date(now.getTime() + 500);
    const marked = await recordSends(
      db,
      "w-a",
      ids.map((id, i) => ({
        id,
        platformMessageId: `p${i}`,
        at,
        log: [
          {
            platform: "telegram",
            chatId: `c${i}`,
            chatType: "private",
            text: `m${i}`,
            platformMessageId: `p${i}`,
            entityType: "Directive",
            entityId: 9,
            outboxId: id,
            at,
          },
        ],
      })),
    );
    expect(marked).toBe(2);
    expect(await getOutboxRow(db, ids[0]!)).toMatchObject({
      status: "sent",
      sentAt: at.getTime(),
      platformMessageId: "p0",
      chatType: "private",
    });
    expect((await getOutboxRow(db, ids[2]!))!.status).toBe("sending");
    const attempts = await db.kysely
      .selectFrom("DeliveryAttempt")
      .select(["outboxId", "outcome"])
      .orderBy("outboxId")
      .execute();
    expect(attempts.filter((a) => a.outcome === "sent").length).toBe(3);
    expect(await entityOfMessage(db, "telegram", "c1", "p1")).toEqual({ entityType: "Directive", entityId: 9 });
    expect((await chatHistory(db, "telegram", "c0")).map((l) => [l.direction, l.text])).toEqual([["out", "m0"]]);
  });

  it("should give back the attempt of a rate-limited row and keep that of a retry", async () => {
    const id = (await enqueue(db, { platform: "telegram", chatId: "c", body: { text: "x" } }, now))!;
    await claim(db, [id], "w", lease);
    await reschedule(db, {
      id,
      outcome: "rate_limited",
      notBefore: new Date(now.getTime() + 3000),
      now,
      detail: { errorCode: 429, retryAfter: 3 },
    });
    expect(await getOutboxRow(db, id)).toMatchObject({
      status: "pending",
      attempts: 0,
      notBefore: now.getTime() + 3000,
    });
    await claim(db, [id], "w", lease);
    await reschedule(db, { id, outcome: "retry", notBefore: now, now, detail: { error: "boom" } });
    expect(await getOutboxRow(db, id)).toMatchObject({ status: "pending", attempts: 1, lastError: "boom" });
    await markFinal(db, { id, status: "expired", now });
    expect(await outboxCounts(db)).toEqual({ expired: 1 });
  });
});

describe("recoverExpiredLeases", () => {
  it("should free rows whose lease ended, except those of the asking worker, and rows claimed by nobody", async () => {
    const mine = (await enqueue(db, { platform: "telegram", chatId: "a", body: { text: "x" } }, now))!;
    const theirs = (await enqueue(db, { platform: "telegram", chatId: "b", body: { text: "x" } }, now))!;
    const ownerless = (await enqueue(db, { platform: "telegram", chatId: "c", body: { text: "x" } }, now))!;
    const fresh = (await enqueue(db, { platform: "telegram", chatId: "d", body: { text: "x" } }, now))!;
    await claim(db, [mine], "w-me", lease);
    await claim(db, [theirs], "w-dead", lease);
    await claim(db, [ownerless], "w-x", lease);
    await claim(db, [fresh], "w-dead", new Date(now.getTime() + 600_000));
    await db.kysely.updateTable("Outbox").set({ claimedBy: null }).where("id", "=", ownerless).execute();
    const after = new Date(lease.getTime() + 1);
    expect(await recoverExpiredLeases(db, after, "w-me")).toBe(2);
    expect((await getOutboxRow(db, mine))!.status).toBe("sending");
    expect((await getOutboxRow(db, theirs))!.status).toBe("pending");
    expect((await getOutboxRow(db, ownerless))!.status).toBe("pending");
    expect((await getOutboxRow(db, fresh))!.status).toBe("sending");
    expect(await recoverExpiredLeases(db, after)).toBe(1);
  });
});

describe("dedupe", () => {
  it("should queue a dedupe key once, also when two connections queue it at once", async () => {
    const second = await secondConnection();
    const item = { platform: "telegram", chatId: "a", body: { text: "x" }, dedupeKey: "directive:1:person:2" };
    const results = await Promise.all([enqueue(db, item, now), enqueue(second, item, now), enqueue(db, item, now)]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect(await enqueueMany(db, [item, { ...item, dedupeKey: "directive:1:person:3" }], now)).toBe(1);
    expect(await outboxCounts(db)).toEqual({ pending: 2 });
  });

  it("should store an inbound event once per platform and recognise its duplicate", async () => {
    const second = await secondConnection();
    const m = {
      platform: "telegram",
      chatId: "5",
      chatType: "private",
      senderExternalId: "5",
      kind: "text",
      text: "Có",
      platformEventId: "1001",
      at: now,
    };
    const [a, b] = await Promise.all([recordInbound(db, m), recordInbound(second, m)]);
    expect([a.duplicate, b.duplicate].sort()).toEqual([false, true]);
    expect(a.id).toBe(b.id);
    await completeInbound(db, a.id, { status: "handled", personId: 3 });
    expect(await recordInbound(db, m)).toEqual({ id: a.id, duplicate: true, status: "handled" });
    const zalo = await recordInbound(db, { ...m, platform: "zalo" });
    expect(zalo.duplicate).toBe(false);
    expect(zalo.id).not.toBe(a.id);
    // Only the Zalo one is still waiting to be handled.
    expect(
      (await unhandledInbound(db, new Date(now.getTime() + 1))).map((r) => [r.id, r.platform, r.at.getTime()]),
    ).toEqual([[zalo.id, "zalo", now.getTime()]]);
  });
});
