import { systemActor } from "../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeTelegram } from "../helpers/telegram.ts";
import type { FakeTelegramServer } from "../fakes/telegram-server.ts";
import { streamBody } from "../helpers/stream-body.ts";
import { prepare, removeDir, startTestService, tempDir, waitUntil, type TestService } from "../helpers/service.ts";
import { buildTree } from "../helpers/tree.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode } from "../../src/domain/linking/link-service.ts";

let fake: FakeTelegramServer;
let dir: string;
let running: TestService | undefined;
let code: string;

beforeEach(async () => {
  fake = await startFakeTelegram();
  dir = tempDir();
  code = await prepare(dir, async (db) => {
    const tree = await buildTree(db);
    const p = await createPerson(db, { fullName: "Nguyễn Văn An", phone: "0912345678" });
    await addMembership(db, { actor: systemActor(), personId: p.id, unitId: tree.branchA1.id, role: "member" });
    return (await issueLinkCode(db, p.id)).code;
  });
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await fake.stop();
  await removeDir(dir);
});

const user = { id: 5001, first_name: "An" };

describe("Telegram end to end", () => {
  it("should link and answer over long polling", async () => {
    running = await startTestService(dir, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot });
    fake.userSendsText(user, "xin chào");
    await fake.waitForSent(1, 10_000, user.id);
    expect(fake.sent(user.id)[0]!.text).toContain("mã liên kết 12 chữ số");
    fake.userSendsText(user, `DK ${code}`);
    await fake.waitForSent(2, 10_000, user.id);
    expect(fake.sent(user.id)[1]!.text).toContain("Liên kết thành công! Xin chào Nguyễn Văn An");
    fake.userSendsText(user, "/ngonngu");
    await fake.waitForSent(3, 10_000, user.id);
    const ask = fake.sent(user.id)[2]!;
    fake.userPressesButton(user, { message_id: ask.message_id, chat: { id: user.id } }, "lang:en");
    await fake.waitForSent(4, 10_000, user.id);
    expect(fake.sent(user.id)[3]!.text).toBe("Switched to English.");
    expect(fake.calls.some((c) => c.method === "answerCallbackQuery" && c.status === 200)).toBe(true);
    expect(fake.calls.some((c) => c.method === "setMyCommands")).toBe(true);
    const stored = (
      await running.service.db.kysely
        .selectFrom("MessageLog")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("platform", "=", "telegram")
        .where("direction", "=", "in")
        .executeTakeFirstOrThrow()
    ).n;
    expect(stored).toBe(4);
  });

  it("should keep running when setMyCommands fails at start-up", async () => {
    fake.failNext("setMyCommands", { error_code: 500, description: "Internal Server Error" }, 5);
    running = await startTestService(dir, { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot });
    fake.userSendsText(user, "hello");
    await fake.waitForSent(1, 10_000, user.id);
  });

  it("should take updates by webhook, check the secret on every request and store nothing on a wrong one", async () => {
    running = await startTestService(dir, {
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_MODE: "webhook",
      TELEGRAM_WEBHOOK_URL: "http://placeholder.invalid",
      TELEGRAM_WEBHOOK_SECRET: "s3cret-for-tests",
    });
    const url = `${running.service.url}/telegram/webhook`;
    await waitUntil(() => fake.calls.some((c) => c.method === "setWebhook"), 5000, "setWebhook");
    const setWebhook = fake.calls.find((c) => c.method === "setWebhook")!;
    expect(setWebhook.payload.secret_token).toBe("s3cret-for-tests");
    const update = {
      update_id: 77,
      message: {
        message_id: 1,
        date: 1,
        chat: { id: user.id, type: "private", first_name: "An" },
        from: { id: user.id, is_bot: false, first_name: "An" },
        text: `DK ${code}`,
      },
    };
    const count = async () =>
      (
        await running!.service.db.kysely
          .selectFrom("MessageLog")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("direction", "=", "in")
          .executeTakeFirstOrThrow()
      ).n;
    for (const headers of [
      {},
      { "x-telegram-bot-api-secret-token": "wrong" },
      { "x-telegram-bot-api-secret-token": "s3cret-for-tests-x" },
    ] as Record<string, string>[]) {
      const r = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(update),
      });
      expect(r.status).toBe(401);
    }
    expect(await count()).toBe(0);
    const bad = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "s3cret-for-tests" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    const notAnUpdate = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "s3cret-for-tests" },
      body: JSON.stringify({ message: update.message }),
    });
    expect(notAnUpdate.status).toBe(400);
    const ok = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "s3cret-for-tests" },
      body: JSON.stringify(update),
    });
    expect(ok.status).toBe(200);
    expect(await count()).toBe(1);
    // Telegram sending the same update again is recognised.
    const again = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "s3cret-for-tests" },
      body: JSON.stringify(update),
    });
    expect(again.status).toBe(200);
    expect(await count()).toBe(1);
    await fake.waitForSent(1, 10_000, user.id);
    expect(fake.sent(user.id)).toHaveLength(1);
    expect(fake.sent(user.id)[0]!.text).toContain("Liên kết thành công");
    // A 150 MB body with the right secret is refused before it is read whole, and nothing is stored.
    const huge = await streamBody(url, 150 * 1024 * 1024, {
      headers: { "x-telegram-bot-api-secret-token": "s3cret-for-tests" },
    });
    expect(huge.status).toBe(413);
    expect(await count()).toBe(1);
    expect((await fetch(`${running.service.url}/health`)).status).toBe(200);
  });
});
