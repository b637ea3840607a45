/**
 * Issue 10, point 1: when Telegram has been down for a while the admins hear it on Zalo (the
 * platform that is up) and see it in /trangthai; when it is back they hear that too, and the
 * message queued during the outage is delivered.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeZaloBotServer } from "../fakes/zalo-bot-server.ts";
import { startFakeTelegram } from "../helpers/telegram.ts";
import type { FakeTelegramServer } from "../fakes/telegram-server.ts";
import { prepare, removeDir, startTestService, tempDir, type TestService } from "../helpers/service.ts";
import { buildTree } from "../helpers/tree.ts";
import { systemActor } from "../../src/domain/access/actor.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { ensureChatAccount } from "../../src/domain/accounts/account-service.ts";
import { enqueue, priorities } from "../../src/domain/deliveries/outbox-service.ts";

let telegram: FakeTelegramServer;
let zalo: FakeZaloBotServer;
let dir: string;
let running: TestService | undefined;

beforeEach(async () => {
  telegram = await startFakeTelegram();
  zalo = new FakeZaloBotServer();
  await zalo.start();
  dir = tempDir();
  await prepare(dir, async (db) => {
    const tree = await buildTree(db);
    const admin = await createPerson(db, { fullName: "Trần Quản Trị", phone: "0911111111" });
    await addMembership(db, { actor: systemActor(), personId: admin.id, unitId: tree.province.id, role: "admin" });
    for (const account of [
      await ensureChatAccount(db, { platform: "telegram", externalId: "7001" }),
      await ensureChatAccount(db, { platform: "zalo_bot", externalId: "zadmin" }),
    ]) {
      await db.kysely
        .updateTable("ChatAccount")
        .set({ personId: admin.id, linkedAt: 0 })
        .where("id", "=", account.id)
        .execute();
    }
  });
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await telegram.setOutage(false);
  await telegram.stop();
  await zalo.stop();
  await removeDir(dir);
});

describe("a platform outage, as the admins see it", () => {
  it("should tell the admins on the platform that is up, show it in /trangthai, and tell them when it is back", async () => {
    running = await startTestService(dir, {
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      ZALO_BOT_TOKEN: zalo.token,
      ZALO_BOT_API_ROOT: zalo.apiRoot,
      OUTBOX_OUTAGE_NOTICE_MS: "1500",
    });
    const db = running.service.db;
    await telegram.setOutage("refuse");
    await enqueue(db, {
      platform: "telegram",
      chatId: "8001",
      priority: priorities.normal,
      body: { text: "Thông báo giữ lại" },
    });
    running.service.engine.kick("telegram");

    await zalo.waitFor(
      () => zalo.sent("zadmin").some((m) => m.text.includes("telegram không trả lời")),
      20_000,
      "the outage notice on Zalo",
    );
    zalo.userSendsText({ id: "zadmin", name: "Quản Trị" }, "/trangthai");
    await zalo.waitFor(
      () => zalo.sent("zadmin").some((m) => m.text.includes("KHÔNG TRẢ LỜI")),
      10_000,
      "/trangthai showing the outage",
    );
    expect(telegram.sentCount()).toBe(0);

    await telegram.setOutage(false);
    await zalo.waitFor(
      () => zalo.sent("zadmin").some((m) => m.text.includes("telegram đã hoạt động trở lại")),
      30_000,
      "the return notice on Zalo",
    );
    await telegram.waitForSent(1, 30_000, 8001);
    expect(telegram.sent(8001)).toHaveLength(1);
    // The admin's own Telegram account gets the "back" notice too (not the "down" one, which it could not carry).
    await telegram.waitForSent(1, 30_000, 7001);
    expect(
      telegram
        .sent(7001)
        .map((m) => m.text)
        .join("\n"),
    ).toContain("đã hoạt động trở lại");
    expect(
      telegram
        .sent(7001)
        .map((m) => m.text)
        .join("\n"),
    ).not.toContain("không trả lời");
  }, 90_000);
});
