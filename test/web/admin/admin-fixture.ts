/**
 * A real service on a real database for the workplace's browser tests: a province with two
 * communes and their branches, a cadre of branch A1 and an official of commune A whose chat
 * accounts are web-chat sessions (so the tests read the sign-in code from the chat, as a person
 * would), members with concerns in A1 and B1, and an admin without any linked account.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, expect, vi } from "vitest";
import { browserTestsRun, describeInBrowser, launchBrowser } from "../../helpers/browser.ts";
import { removeDir } from "../../helpers/service.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { prepare, startTestService, tempDir, waitUntil, type TestService } from "../../helpers/service.ts";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { ensureChatAccount } from "../../../src/domain/accounts/account-service.ts";
import { linkByPhone } from "../../../src/domain/linking/link-service.ts";
import { createTicket } from "../../../src/domain/tickets/ticket-service.ts";

export const screenshotDir = path.resolve("test-results/admin");

// A browser test signs in through the chat and walks several pages: on a loaded 2-core machine
// that takes longer than the suite's default 30 s (no assertion is timed).
vi.setConfig({ testTimeout: 180_000 });

export { describeInBrowser };

export interface AdminFixture {
  tree: TestTree;
  cadre: { id: number; phone: string; session: string };
  official: { id: number; phone: string; session: string };
  admin: { id: number; phone: string };
  memberA: { id: number; phone: string; session: string };
  memberB: { id: number; phone: string };
  ticketA: number;
  ticketA2: number;
  ticketB: number;
}

/**
 * A web-chat session as the chat page would hold it: the cookie's secret, with the server's
 * session row (its id is the secret's hash, as in web-chat-channel.ts). Returns the account's id.
 */
async function webChatSession(db: Parameters<typeof createPerson>[0], secret: string): Promise<string> {
  const id = `s${createHash("sha256").update(secret).digest("base64url").slice(0, 32)}`;
  const now = Date.now();
  await db.kysely
    .insertInto("WebSession")
    .values({ id, source: "test", createdAt: now, expiresAt: now + 30 * 86_400_000, lastSeenAt: now })
    .execute();
  return id;
}

async function person(
  db: Parameters<typeof createPerson>[0],
  unitId: number,
  fullName: string,
  phone: string,
  role: "member" | "cadre" | "official" | "admin",
  webSession?: string,
) {
  const p = await createPerson(db, { fullName, phone });
  await addMembership(db, { actor: systemActor("cli"), personId: p.id, unitId, role });
  if (role !== "member") await addMembership(db, { actor: systemActor("cli"), personId: p.id, unitId, role: "member" });
  if (webSession)
    await linkByPhone(
      db,
      (await ensureChatAccount(db, { platform: "web", externalId: await webChatSession(db, webSession) })).id,
      phone,
    );
  return p.id;
}

export async function startAdminService(
  env: Record<string, string> = {},
): Promise<{ running: TestService; fx: AdminFixture }> {
  const dir = tempDir();
  const fx = await prepare(dir, async (db) => {
    const tree = await buildTree(db);
    const cadre = { id: 0, phone: "0911000001", session: randomBytes(32).toString("base64url") };
    const official = { id: 0, phone: "0911000002", session: randomBytes(32).toString("base64url") };
    const memberA = { id: 0, phone: "0911000003", session: randomBytes(32).toString("base64url") };
    const memberB = { id: 0, phone: "0911000004" };
    const admin = { id: 0, phone: "0911000005" };
    cadre.id = await person(db, tree.branchA1.id, "Nguyễn Văn Cán", cadre.phone, "cadre", cadre.session);
    official.id = await person(db, tree.communeA.id, "Trần Quốc Khánh", official.phone, "official", official.session);
    memberA.id = await person(db, tree.branchA1.id, "Lê Thị Hoa", memberA.phone, "member", memberA.session);
    memberB.id = await person(db, tree.branchB1.id, "Phạm Văn Bình", memberB.phone, "member");
    admin.id = await person(db, tree.province.id, "Đỗ Minh Quản", admin.phone, "admin");
    const accountA = (
      await db.kysely
        .selectFrom("ChatAccount")
        .select("id")
        .where("personId", "=", memberA.id)
        .executeTakeFirstOrThrow()
    ).id;
    const ticketA = (
      await createTicket(db, {
        personId: memberA.id,
        text: "Đường vào thôn bị ngập mỗi khi mưa lớn, xin Hội kiến nghị xã sửa.",
        sourceAccountId: accountA,
      })
    ).id;
    const ticketA2 = (
      await createTicket(db, {
        personId: memberA.id,
        text: "Xin hỏi về chế độ trợ cấp cho thân nhân.",
        sourceAccountId: accountA,
      })
    ).id;
    const ticketB = (
      await createTicket(db, {
        personId: memberB.id,
        text: "Khu phố 3 mất điện chiếu sáng đã hai tuần.",
        sourceAccountId: null,
      })
    ).id;
    return { tree, cadre, official, admin, memberA, memberB, ticketA, ticketA2, ticketB };
  });
  const running = await startTestService(dir, { WEB_CHAT: "on", ...env });
  mkdirSync(screenshotDir, { recursive: true });
  return { running, fx };
}

/** The chat lines of a web-chat session (what the person sees in their chat). */
export async function chatLines(running: TestService, session: string): Promise<string[]> {
  const res = await fetch(`${running.service.url}/chat/api/history`, {
    headers: { cookie: `chihoi_session=${session}` },
  });
  const body = (await res.json()) as { lines: { direction: string; text: string }[] };
  return body.lines.filter((l) => l.direction === "out").map((l) => l.text);
}

/** Signs in through the pages: phone, then the code the bot sent to the person's web chat. */
export async function signIn(running: TestService, page: Page, who: { phone: string; session: string }): Promise<void> {
  const before = (await chatLines(running, who.session)).length;
  await page.goto(`${running.service.url}/admin`);
  await page.getByLabel(/Số điện thoại/).fill(who.phone.replace(/(\d{4})(\d{3})(\d{3})/, "$1 $2 $3"));
  await page.getByRole("button", { name: "Gửi mã đăng nhập" }).click();
  await page.getByLabel("Mã 6 chữ số").waitFor();
  let code = "";
  await waitUntil(
    async () => {
      const lines = await chatLines(running, who.session);
      const line = lines.slice(before).find((l) => l.startsWith("Mã đăng nhập Chi Hội:"));
      code = line ? /(\d{6})/.exec(line)![1]! : "";
      return Boolean(code);
    },
    10_000,
    "sign-in code in chat",
  );
  await page.getByLabel("Mã 6 chữ số").fill(code);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.waitForURL(/\/admin\/tickets/);
}

export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: "vi-VN", viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  return { context, page };
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

export { expect };

/** One browser and one service for a test file: `const ctx = useAdminService();` then ctx.browser, ctx.running, ctx.fx. */
export function useAdminService(): { browser: Browser; running: TestService; fx: AdminFixture } {
  const ctx = {} as { browser: Browser; running: TestService; fx: AdminFixture };
  beforeAll(async () => {
    if (!browserTestsRun) return;
    ctx.browser = await launchBrowser();
    Object.assign(ctx, await startAdminService());
  });
  afterAll(async () => {
    await ctx.browser?.close();
    await ctx.running?.stop();
    if (ctx.running) await removeDir(ctx.running.dir);
  });
  return ctx;
}

/** Signs in with a one-time link (the first admin, who has no linked chat account). */
export async function signInWithLink(running: TestService, page: Page, personId: number): Promise<void> {
  const { createSignInLink } = await import("../../../src/domain/web-auth/sign-in-service.ts");
  const { token } = await createSignInLink(running.service.db, personId, new Date());
  await page.goto(`${running.service.url}/admin/link/${token}`);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.waitForURL(/\/admin\/tickets/);
}
