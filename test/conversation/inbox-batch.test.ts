import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { silentLogger } from "../helpers/telegram.ts";
import { Inbox } from "../../src/conversation/inbox.ts";
import type { InboundMessage } from "../../src/channels/channel.ts";
import { recordInbound } from "../../src/domain/messages/message-log.ts";

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

function message(sender: string, eventId: string, text = "/trogiup"): InboundMessage {
  return {
    platform: "telegram",
    account: "bot",
    chatId: sender,
    chatType: "private",
    sender: { id: sender, name: `Người ${sender}` },
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
    expect(rows.map((r) => r.platformEventId)).toEqual(senders.map((_, i) => `e${i}`));
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
});
