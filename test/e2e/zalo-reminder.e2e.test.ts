/**
 * A member linked only on Zalo gets a meeting reminder with numbered choices and answers "1";
 * a member linked on Telegram and Zalo gets the reminder once, on the preferred account, and falls
 * back to Zalo when Telegram is blocked.
 */
import { systemActor } from "../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeZaloBotServer } from "../fakes/zalo-bot-server.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { startFakeTelegram, telegramChannelFor, silentLogger } from "../helpers/telegram.ts";
import type { FakeTelegramServer } from "../fakes/telegram-server.ts";
import { ZaloBotChannel } from "../../src/channels/zalo-bot/zalo-bot-channel.ts";
import { Inbox } from "../../src/conversation/inbox.ts";
import { DeliveryEngine } from "../../src/delivery/delivery-engine.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode, redeemLinkCode } from "../../src/domain/linking/link-service.ts";
import { ensureChatAccount } from "../../src/domain/accounts/account-service.ts";
import { createMeeting } from "../../src/domain/meetings/meeting-service.ts";
import { getRsvp } from "../../src/domain/meetings/rsvp-service.ts";
import { runDueJobs } from "../../src/scheduler/jobs.ts";
import type { TelegramChannel } from "../../src/channels/telegram/telegram-channel.ts";

const zone = "Asia/Ho_Chi_Minh";
let zalo: FakeZaloBotServer;
let telegram: FakeTelegramServer;
let db: TestDatabase;
let tree: TestTree;
let zaloChannel: ZaloBotChannel;
let telegramChannel: TelegramChannel;
let engine: DeliveryEngine;
let clock: Date;

beforeEach(async () => {
  clock = new Date("2026-11-30T01:00:00Z");
  zalo = new FakeZaloBotServer();
  await zalo.start();
  telegram = await startFakeTelegram();
  db = await createTestDatabase();
  tree = await buildTree(db);
  engine = new DeliveryEngine(db, {
    concurrency: 4,
    maxAttempts: 3,
    logger: silentLogger,
    backoffBaseMs: 10,
    now: () => clock,
    limits: {
      zalo_bot: { perSecond: 1000, chatIntervalMs: 0, groupPerMinute: 1000 },
      telegram: { perSecond: 1000, chatIntervalMs: 0, groupPerMinute: 1000 },
    },
  });
  const inbox = new Inbox({
    db,
    logger: silentLogger,
    now: () => clock,
    settings: { timeZone: zone, defaultLocale: "vi", linkCodeTtlDays: 30 },
    onQueued: (p) => engine.kick(p),
  });
  zaloChannel = new ZaloBotChannel({
    config: { token: zalo.token, mode: "polling", apiRoot: zalo.apiRoot },
    logger: silentLogger,
    pollTimeoutSeconds: 20,
    stopGraceMs: 0, // not about stopping (see zalo-bot-channel.test.ts)
    retryBaseMs: 1,
  });
  telegramChannel = telegramChannelFor(telegram);
  engine.addChannel(zaloChannel);
  engine.addChannel(telegramChannel);
  await zaloChannel.start(async (m) => void (await inbox.receive(m)));
  await engine.start();
});
afterEach(async () => {
  await zaloChannel.stop();
  await engine.stop();
  await zalo.stop();
  await telegram.stop();
  await db.destroy();
});

async function remindNow() {
  clock = new Date("2026-12-01T01:00:00Z"); // 08:00, three days before, in Vietnam
  await runDueJobs(db, { now: clock, timeZone: zone, workerId: "test" });
  engine.kick();
}

describe("a member on Zalo", () => {
  it("should get the reminder with numbered choices and have '1' recorded as có mặt", async () => {
    const an = await createPerson(db, { fullName: "Nguyễn Văn An" });
    await addMembership(db, { actor: systemActor(), personId: an.id, unitId: tree.branchA1.id, role: "member" });
    const user = { id: "a1b2c3d4e5f6a7b8c9d0", name: "An" };
    zalo.userSendsText(user, `DK ${(await issueLinkCode(db, an.id)).code}`);
    await zalo.waitForSent(1, 10_000, user.id);
    const meeting = await createMeeting(
      db,
      {
        unitId: tree.branchA1.id,
        title: "Sinh hoạt chi hội",
        place: "Nhà văn hóa",
        startsAt: new Date("2026-12-04T12:30:00Z"),
      },
      { actor: systemActor(), now: clock, timeZone: zone },
    );
    await remindNow();
    await zalo.waitForSent(2, 10_000, user.id);
    const reminder = zalo.sent(user.id)[1]!.text;
    expect(reminder).toContain("19:30 thứ Sáu, 04/12/2026");
    expect(reminder).toContain("Trả lời 1 để Có mặt");
    expect(reminder).toContain("Trả lời 2 để Xin vắng");
    zalo.userSendsText(user, "1");
    await zalo.waitForSent(3, 10_000, user.id);
    expect(zalo.sent(user.id)[2]!.text).toContain("Đã ghi nhận: anh/chị có mặt");
    expect((await getRsvp(db, meeting.id, an.id))?.answer).toBe("attend");
  });

  it("should reach a person linked on two platforms once, on the preferred account, falling back when it is blocked", async () => {
    const binh = await createPerson(db, { fullName: "Lê Thị Bình" });
    await addMembership(db, { actor: systemActor(), personId: binh.id, unitId: tree.branchA1.id, role: "member" });
    const tg = await ensureChatAccount(db, { platform: "telegram", externalId: "7001" });
    const zb = await ensureChatAccount(db, { platform: "zalo_bot", externalId: "b1b2c3d4e5f6a7b8c9d0" });
    await redeemLinkCode(db, { accountId: tg.id, code: (await issueLinkCode(db, binh.id)).code, now: clock });
    await redeemLinkCode(db, { accountId: zb.id, code: (await issueLinkCode(db, binh.id)).code, now: clock });
    await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Sinh hoạt chi hội", startsAt: new Date("2026-12-04T12:30:00Z") },
      { actor: systemActor(), now: clock, timeZone: zone },
    );
    telegram.blockChat(7001);
    await remindNow();
    await zalo.waitForSent(1, 10_000, zb.externalId);
    expect(telegram.sentCount(7001)).toBe(0);
    expect(telegram.calls.filter((c) => c.method === "sendMessage")).toHaveLength(1);
    expect(zalo.sent(zb.externalId)).toHaveLength(1);
    expect(zalo.sent(zb.externalId)[0]!.text).toContain("Trả lời 1 để Có mặt");
  });
});
