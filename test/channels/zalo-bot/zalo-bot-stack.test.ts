/**
 * The Zalo Bot channel with the real chat stack: a throwaway database, the real Inbox,
 * conversation and DeliveryEngine, the channel long-polling the local fake platform.
 */
import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeZaloBotServer } from "../../fakes/zalo-bot-server.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree } from "../../helpers/tree.ts";
import { ZaloBotChannel } from "../../../src/channels/zalo-bot/zalo-bot-channel.ts";
import { Inbox } from "../../../src/conversation/inbox.ts";
import { DeliveryEngine } from "../../../src/delivery/delivery-engine.ts";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { issueLinkCode } from "../../../src/domain/linking/link-service.ts";
import { createLogger } from "../../../src/lib/logger.ts";
import { translator } from "../../../src/lib/i18n.ts";

const logger = createLogger("silent");
const t = translator("vi");

let fake: FakeZaloBotServer;
let db: TestDatabase;
let channel: ZaloBotChannel;
let engine: DeliveryEngine;
let code: string;

beforeEach(async () => {
  fake = new FakeZaloBotServer();
  await fake.start();
  db = await createTestDatabase();
  const tree = await buildTree(db);
  const person = await createPerson(db, { fullName: "Nguyễn Văn An", phone: "0912345678" });
  await addMembership(db, { actor: systemActor(), personId: person.id, unitId: tree.branchA1.id, role: "member" });
  code = (await issueLinkCode(db, person.id)).code;

  engine = new DeliveryEngine(db, {
    concurrency: 4,
    maxAttempts: 3,
    logger,
    backoffBaseMs: 10,
    limits: { zalo_bot: { perSecond: 1000, chatIntervalMs: 0, groupPerMinute: 1000 } },
  });
  const inbox = new Inbox({
    db,
    logger,
    settings: { timeZone: "Asia/Ho_Chi_Minh", defaultLocale: "vi", linkCodeTtlDays: 30 },
    onQueued: (platform) => engine.kick(platform),
  });
  channel = new ZaloBotChannel({
    config: { token: fake.token, mode: "polling", apiRoot: fake.apiRoot },
    logger,
    pollTimeoutSeconds: 20,
    stopGraceMs: 0, // not about stopping (see zalo-bot-channel.test.ts)
    retryBaseMs: 1,
  });
  engine.addChannel(channel);
  await channel.start(async (m) => {
    await inbox.receive(m);
  });
  await engine.start();
});

afterEach(async () => {
  await channel.stop();
  await engine.stop();
  await fake.stop();
  await db.destroy();
});

/** Waits until the outbox has nothing left to send. */
async function drained(): Promise<void> {
  await fake.waitFor(
    async () =>
      (
        await db.kysely
          .selectFrom("Outbox")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("status", "in", ["pending", "sending"])
          .executeTakeFirstOrThrow()
      ).n === 0,
    10_000,
    "outbox drained",
  );
}

function inboundRows(chatId: string) {
  return db.kysely
    .selectFrom("MessageLog")
    .select(["kind", "text", "platformEventId", "status"])
    .where("platform", "=", "zalo_bot")
    .where("direction", "=", "in")
    .where("chatId", "=", chatId)
    .orderBy("id")
    .execute();
}

describe("Zalo Bot channel with the real chat stack", () => {
  it("should answer a stranger with the Vietnamese linking instructions", async () => {
    const stranger = { id: "f00dfeedbeef00112233", name: "Khách" };
    const update = fake.userSendsText(stranger, "tôi là hội viên mới");
    await fake.waitForSent(1, 10_000, stranger.id);
    expect(fake.sent(stranger.id).map((s) => s.text)).toEqual([t("chat.stranger")]);
    expect(t("chat.stranger")).toContain("DK 1234 5678 9012");
    expect(await inboundRows(stranger.id)).toEqual([
      {
        kind: "text",
        text: "tôi là hội viên mới",
        platformEventId: `${stranger.id}:${update.message.message_id}`,
        status: "handled",
      },
    ]);
  });

  it("should link a member with DK <code>, then answer /trogiup with the help", async () => {
    const member = { id: "a1b2c3d4e5f6a7b8c9d0", name: "An" };
    fake.userSendsText(member, `DK ${code}`);
    await fake.waitForSent(1, 10_000, member.id);
    expect(fake.sent(member.id)[0]!.text).toBe(t("chat.linked", { name: "Nguyễn Văn An" }));
    fake.userSendsText(member, "/trogiup");
    await fake.waitForSent(2, 10_000, member.id);
    expect(fake.sent(member.id)[1]!.text).toBe(t("chat.help"));
    const account = await db.kysely
      .selectFrom("ChatAccount")
      .select(["personId", "displayName"])
      .where("platform", "=", "zalo_bot")
      .where("externalId", "=", member.id)
      .executeTakeFirst();
    expect(account?.personId).not.toBeNull();
    expect(account?.displayName).toBe("An");
  });

  it("should store a redelivered message once and answer it once", async () => {
    const member = { id: "a1b2c3d4e5f6a7b8c9d0", name: "An" };
    const first = fake.userSendsText(member, `DK ${code}`);
    await fake.waitForSent(1, 10_000, member.id);
    fake.pushUpdate(JSON.parse(JSON.stringify(first)));
    fake.userSendsText(member, "/trogiup");
    await fake.waitForSent(2, 10_000, member.id);
    await drained();
    expect(fake.sent(member.id).map((s) => s.text)).toEqual([
      t("chat.linked", { name: "Nguyễn Văn An" }),
      t("chat.help"),
    ]);
    expect((await inboundRows(member.id)).map((r) => r.text)).toEqual([`DK ${code}`, "/trogiup"]);
  });

  it("should answer a photo from a member with the polite text-only reply", async () => {
    const member = { id: "a1b2c3d4e5f6a7b8c9d0", name: "An" };
    fake.userSendsText(member, `DK ${code}`);
    await fake.waitForSent(1, 10_000, member.id);
    fake.userSendsImage(member, "giấy mời");
    await fake.waitForSent(2, 10_000, member.id);
    expect(fake.sent(member.id)[1]!.text).toBe(t("chat.non_text"));
    expect((await inboundRows(member.id)).map((r) => [r.kind, r.text])).toEqual([
      ["text", `DK ${code}`],
      ["photo", "giấy mời"],
    ]);
  });

  it("should answer an unsupported message that comes without a message object, and a link as text", async () => {
    const member = { id: "a1b2c3d4e5f6a7b8c9d0", name: "An" };
    fake.userSendsText(member, `DK ${code}`);
    await fake.waitForSent(1, 10_000, member.id);
    // What Zalo sends for a protected user's content: the event, the sender and the chat, no message.
    fake.pushUpdate({
      event_name: "message.unsupported.received",
      from: { id: member.id, first_name: "An" },
      chat: { id: member.id, chat_type: "PRIVATE" },
      message_id: "u-1",
      date: Date.now(),
    });
    await fake.waitForSent(2, 10_000, member.id);
    expect(fake.sent(member.id)[1]!.text).toBe(t("chat.non_text"));
    fake.pushUpdate({
      event_name: "message.link.received",
      message: {
        from: { id: member.id, first_name: "An" },
        chat: { id: member.id, chat_type: "PRIVATE" },
        message_id: "l-1",
        date: Date.now(),
        url: "https://hoi.example.vn/lich",
      },
    });
    // The update is fetched by the channel's polling: an empty outbox before it is stored proves nothing.
    await fake.waitFor(async () => (await inboundRows(member.id)).length === 3, 10_000, "link stored");
    await drained();
    expect((await inboundRows(member.id)).map((r) => [r.kind, r.text])).toEqual([
      ["text", `DK ${code}`],
      ["unsupported", null],
      ["text", "https://hoi.example.vn/lich"],
    ]);
    expect(fake.sent(member.id).filter((s) => s.text === t("chat.non_text"))).toHaveLength(1);
  });

  it("should mark a member who blocked the bot unreachable instead of retrying", async () => {
    const member = { id: "0badc0ffee0badc0ffee", name: "Bình" };
    fake.blockChat(member.id);
    fake.userSendsText(member, "xin chào");
    const outbox = () =>
      db.kysely.selectFrom("Outbox").select(["status", "attempts"]).where("chatId", "=", member.id).execute();
    await fake.waitFor(
      async () => (await outbox()).length === 1 && !["pending", "sending"].includes((await outbox())[0]!.status),
      10_000,
      "reply finished",
    );
    expect(await outbox()).toEqual([{ status: "unreachable", attempts: 1 }]);
    expect(fake.sent(member.id)).toHaveLength(0);
    expect(fake.callsOf("sendMessage").map((c) => [c.payload.chat_id, c.status])).toEqual([[member.id, 403]]);
    const account = await db.kysely
      .selectFrom("ChatAccount")
      .select("unreachable")
      .where("platform", "=", "zalo_bot")
      .where("externalId", "=", member.id)
      .executeTakeFirst();
    expect(account?.unreachable).toBe(true);
  });
});
