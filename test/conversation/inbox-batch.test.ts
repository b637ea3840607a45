import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { silentLogger } from "../helpers/telegram.ts";
import { Inbox } from "../../src/conversation/inbox.ts";
import type { InboundMessage } from "../../src/channels/channel.ts";
import { recordInbound } from "../../src/domain/messages/message-log.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { sql } from "kysely";

let db: TestDatabase;
let inbox: Inbox;
const clock = new Date("2026-11-23T03:00:00Z");

beforeEach(async () => {
  db = await createTestDatabase();
  inbox = new Inbox({
    db,
    logger: silentLogger,
    now: () => clock,
    settings: { timeZone: "Asia/Ho_Chi_Minh", defaultLocale: "vi", linkCodeTtlDays: 30 },
  });
});
afterEach(() => db.destroy());

function message(sender: string, eventId: string, text = "/trogiup", name = `Người ${sender}`): InboundMessage {
  return {
    platform: "telegram",
    account: "bot",
    chatId: sender,
    chatType: "private",
    sender: { id: sender, name },
    kind: "text",
    text,
    eventId,
    messageId: eventId,
    at: clock,
  };
}

const logRows = () =>
  db.kysely
    .selectFrom("MessageLog")
    .select(["id", "platformEventId", "status", "chatAccountId", "senderExternalId"])
    .where("direction", "=", "in")
    .orderBy("id")
    .execute();
const outbox = () =>
  db.kysely.selectFrom("Outbox").select(["chatId", "dedupeKey", "chatAccountId"]).orderBy("id").execute();

describe("Inbox batches (group commit)", () => {
  it("should store and handle a batch of senders in one go, each with their own account, replies and status", async () => {
    const senders = Array.from({ length: 120 }, (_, i) => String(500 + i));
    const results = await Promise.all(senders.map((s, i) => inbox.receive(message(s, `e${i}`))));
    expect(results).toEqual(senders.map(() => "handled"));
    const rows = await logRows();
    // Each stored once (on PostgreSQL the burst is shared among lanes, whose rows interleave).
    expect(rows.map((r) => r.platformEventId).sort()).toEqual(senders.map((_, i) => `e${i}`).sort());
    const accounts = new Map(
      (await db.kysely.selectFrom("ChatAccount").select(["id", "externalId", "displayName"]).execute()).map((a) => [
        a.externalId,
        a,
      ]),
    );
    expect(accounts.size).toBe(senders.length);
    for (const r of rows) {
      expect(r.status).toBe("handled");
      expect(r.chatAccountId).toBe(accounts.get(r.senderExternalId!)!.id);
      expect(accounts.get(r.senderExternalId!)!.displayName).toBe(`Người ${r.senderExternalId}`);
    }
    const queued = await outbox();
    expect(new Set(queued.map((o) => o.chatId))).toEqual(new Set(senders));
    for (const o of queued) expect(o.chatAccountId).toBe(accounts.get(o.chatId)!.id);
    // Replies keyed by the inbound message: the first reply of each message once.
    expect(queued.filter((o) => o.dedupeKey?.endsWith(":0"))).toHaveLength(senders.length);
  });

  it("should handle two copies of one update arriving in one batch once", async () => {
    const results = await Promise.all([
      inbox.receive(message("42", "same")),
      inbox.receive(message("43", "other")),
      inbox.receive(message("42", "same")),
    ]);
    expect(results).toEqual(["handled", "handled", "duplicate"]);
    expect((await logRows()).map((r) => r.platformEventId)).toEqual(["same", "other"]);
    const first = await outbox();
    expect(await inbox.receive(message("42", "same"))).toBe("duplicate");
    expect(await outbox()).toEqual(first);
  });

  it("should handle a message stored but left unhandled by a crash once when its copies come again", async () => {
    const stored = await recordInbound(db, {
      platform: "telegram",
      chatId: "42",
      chatType: "private",
      senderExternalId: "42",
      kind: "text",
      text: "/trogiup",
      platformEventId: "crashed",
      at: clock,
    });
    const results = await Promise.all([
      inbox.receive(message("42", "crashed")),
      inbox.receive(message("42", "crashed")),
    ]);
    expect(results).toEqual(["handled", "duplicate"]);
    const rows = await logRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: stored.id, status: "handled" });
    const queued = await outbox();
    expect(queued.length).toBeGreaterThan(0);
    expect(queued.every((o) => o.dedupeKey?.startsWith(`reply:${stored.id}:`))).toBe(true);
  });

  it("should fail only the message that failed in a batch, answer its sender, and take each sender's flood allowance once", async () => {
    // Any wrong link code is noted in LinkAttempt; here the database refuses that write.
    if (db.engine === "postgresql") {
      await sql`CREATE FUNCTION refuse_link_attempt() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql`.execute(
        db.kysely,
      );
      await sql`CREATE TRIGGER refuse BEFORE INSERT ON "LinkAttempt" FOR EACH ROW EXECUTE FUNCTION refuse_link_attempt()`.execute(
        db.kysely,
      );
    } else
      await sql`CREATE TRIGGER refuse BEFORE INSERT ON "LinkAttempt" BEGIN SELECT RAISE(ABORT, 'refused'); END`.execute(
        db.kysely,
      );
    // One message each allowed at once: a batch that ran twice and took the allowance again
    // would find the senders over their limit.
    const limited = new Inbox({ ...inbox.options, parallel: 1, inboundLimit: { burst: 1, intervalMs: 3_600_000 } });
    const results = await Promise.all([
      limited.receive(message("41", "b0")),
      limited.receive(message("42", "b1", "111111111111")),
      limited.receive(message("43", "b2")),
    ]);
    expect(results).toEqual(["handled", "failed", "handled"]);
    expect((await logRows()).map((r) => [r.platformEventId, r.status])).toEqual([
      ["b0", "handled"],
      ["b1", "failed"],
      ["b2", "handled"],
    ]);
    const queued = await outbox();
    expect(queued.filter((o) => o.chatId === "42").map((o) => o.dedupeKey)).toEqual([
      `reply:${(await logRows())[1]!.id}:error`,
    ]);
    expect(queued.filter((o) => o.chatId === "41").length).toBeGreaterThan(0);
    expect(queued.filter((o) => o.chatId === "43").length).toBeGreaterThan(0);
    expect(await db.kysely.selectFrom("LinkAttempt").selectAll().execute()).toEqual([]);
  });

  it.runIf(process.env.TEST_DATABASE_URL?.startsWith("postgresql"))(
    "should keep a sender's later message out of a batch running beside the one that holds their earlier message (PostgreSQL)",
    async () => {
      const sideBySide = new Inbox({ ...inbox.options, parallel: 3 });
      expect(await sideBySide.receive(message("42", "a0"))).toBe("handled");
      // Another connection holds 42's account row: the batch with 42's next message (under a new
      // name, so their account is written) waits on it.
      const other = await openDatabase(db.url, { migrate: false });
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked!: () => void;
      const lockTaken = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const holder = other.transaction(async () => {
        await sql`SELECT id FROM "ChatAccount" WHERE "externalId" = '42' FOR UPDATE`.execute(other.kysely);
        locked();
        await held;
      });
      try {
        await lockTaken;
        const settled: string[] = [];
        const a1 = sideBySide.receive(message("42", "a1", "/trogiup", "Bác Hai")).then((r) => settled.push(`a1:${r}`));
        await new Promise((resolve) => setTimeout(resolve, 50)); // its batch is waiting on the lock
        const a2 = sideBySide.receive(message("42", "a2")).then((r) => settled.push(`a2:${r}`));
        const b1 = sideBySide.receive(message("43", "b1")).then((r) => settled.push(`b1:${r}`));
        // 43's message runs in a batch of its own and is handled while 42's are held; 42's second
        // message waits for the batch with their first (in one batch with 43's, it would wait too).
        await b1;
        expect(settled).toEqual(["b1:handled"]);
        release();
        await Promise.all([a1, a2, holder]);
        expect(settled).toEqual(["b1:handled", "a1:handled", "a2:handled"]);
      } finally {
        release();
        await holder.catch(() => undefined);
        await other.close();
      }
    },
  );
});
