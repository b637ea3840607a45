import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchBrowser } from "../../helpers/browser.ts";
import { removeDir, startTestService, tempDir, type TestService } from "../../helpers/service.ts";
import { chatLines, newPage, shot, signIn, startAdminService, type AdminFixture } from "./admin-fixture.ts";
import { createSignInLink } from "../../../src/domain/web-auth/sign-in-service.ts";

let browser: Browser;
let running: TestService;
let fx: AdminFixture;

beforeAll(async () => {
  browser = await launchBrowser();
  ({ running, fx } = await startAdminService());
});
afterAll(async () => {
  await browser?.close();
  await running?.stop();
  if (running) removeDir(running.dir);
});

describe("web workplace sign-in", () => {
  it("should sign a cadre in with the code the bot sent to their chat, and sign them out", async () => {
    const { context, page } = await newPage(browser);
    await page.goto(`${running.service.url}/admin`);
    expect(page.url()).toContain("/admin/sign-in");
    await shot(page, "01-sign-in");
    await signIn(running, page, fx.cadre);
    await expect(page.getByRole("heading", { name: "Ý kiến, kiến nghị" }).isVisible()).resolves.toBe(true);
    const cookie = (await context.cookies()).find((c) => c.name === "chihoi_admin")!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.path).toBe("/admin");
    expect(cookie.secure).toBe(false);
    await page.getByRole("button", { name: "Đăng xuất" }).click();
    await page.waitForURL(/\/admin\/sign-in/);
    await page.goto(`${running.service.url}/admin/tickets`);
    expect(page.url()).toContain("/admin/sign-in");
    await context.close();
  });

  it("should not let a member sign in, and answer exactly as for a cadre", async () => {
    const { context, page } = await newPage(browser);
    const before = await chatLines(running, fx.memberA.session);
    await page.goto(`${running.service.url}/admin/sign-in`);
    await page.getByLabel(/Số điện thoại/).fill(fx.memberA.phone);
    await page.getByRole("button", { name: "Gửi mã đăng nhập" }).click();
    await page.getByLabel("Mã 6 chữ số").waitFor();
    const memberText = await page.locator("main").innerText();
    await shot(page, "02-code-page");
    await page.getByLabel("Mã 6 chữ số").fill("123456");
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toContain("Mã không đúng");
    expect(page.url()).toContain("/admin/sign-in/verify");
    // Same words for an unknown phone; nothing was sent to the member's chat.
    await page.goto(`${running.service.url}/admin/sign-in`);
    await page.getByLabel(/Số điện thoại/).fill("0987654321");
    await page.getByRole("button", { name: "Gửi mã đăng nhập" }).click();
    await page.getByLabel("Mã 6 chữ số").waitFor();
    expect(await page.locator("main").innerText()).toBe(memberText);
    expect(await chatLines(running, fx.memberA.session)).toEqual(before);
    expect(running.service.db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM WebSession WHERE personId = ?`, fx.memberA.id)!.n).toBe(0);
    await context.close();
  });

  it("should refuse a forged form post: no token, or another site's Origin", async () => {
    const { context, page } = await newPage(browser);
    await signIn(running, page, fx.cadre);
    const url = `${running.service.url}/admin/tickets/${fx.ticketA}/close`;
    const noToken = await page.request.post(url, { form: { x: "1" }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const foreign = await page.request.post(url, { form: { _csrf: csrf }, headers: { origin: "http://evil.example" }, maxRedirects: 0 });
    expect(foreign.status()).toBe(403);
    const signInForged = await page.request.post(`${running.service.url}/admin/sign-in`, { form: { phone: fx.cadre.phone }, maxRedirects: 0 });
    expect(signInForged.status()).toBe(403);
    expect(running.service.db.sql.get<{ status: string }>(`SELECT status FROM Ticket WHERE id = ?`, fx.ticketA)!.status).toBe("new");
    // The same post with the page's token and Origin goes through.
    const real = await page.request.post(url, { form: { _csrf: csrf }, headers: { origin: running.service.url }, maxRedirects: 0 });
    expect(real.status()).toBe(303);
    expect(running.service.db.sql.get<{ status: string }>(`SELECT status FROM Ticket WHERE id = ?`, fx.ticketA)!.status).toBe("closed");
    await page.request.post(`${running.service.url}/admin/tickets/${fx.ticketA}/reopen`, { form: { _csrf: csrf }, maxRedirects: 0 });
    const big = await page.request.post(url, { data: "x".repeat(200_000), headers: { "content-type": "application/x-www-form-urlencoded" }, maxRedirects: 0 });
    expect(big.status()).toBe(413);
    await context.close();
  });

  it("should send an idle session back to sign-in, and end every session with 'sign out everywhere'", async () => {
    const one = await newPage(browser);
    const two = await newPage(browser);
    await signIn(running, one.page, fx.official);
    await signIn(running, two.page, fx.official);
    running.service.db.sql.run(`UPDATE WebSession SET lastSeenAt = lastSeenAt - 3 * 3600000 WHERE personId = ? AND id = (SELECT MIN(id) FROM WebSession WHERE personId = ? AND endedAt IS NULL)`, fx.official.id, fx.official.id);
    await one.page.goto(`${running.service.url}/admin/tickets`);
    expect(one.page.url()).toContain("/admin/sign-in");
    await two.page.goto(`${running.service.url}/admin/tickets`);
    expect(two.page.url()).toContain("/admin/tickets");
    await signIn(running, one.page, fx.official);
    await one.page.goto(`${running.service.url}/admin/account`);
    await one.page.getByRole("button", { name: "Đăng xuất mọi nơi" }).click();
    await one.page.waitForURL(/\/admin\/sign-in/);
    await two.page.goto(`${running.service.url}/admin/tickets`);
    expect(two.page.url()).toContain("/admin/sign-in");
    await one.context.close();
    await two.context.close();
  });

  it("should sign the first admin in with a one-time link", async () => {
    const { token } = createSignInLink(running.service.db, fx.admin.id, new Date());
    const { context, page } = await newPage(browser);
    await page.goto(`${running.service.url}/admin/link/${token}`);
    await expect(page.locator("main").innerText()).resolves.toContain("Đỗ Minh Quản");
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await page.waitForURL(/\/admin\/tickets/);
    await page.goto(`${running.service.url}/admin/link/${token}`);
    await expect(page.getByRole("alert").innerText()).resolves.toContain("không hợp lệ");
    await context.close();
  });
});

describe("web workplace in demo mode", () => {
  it("should offer the demo cadre, official and admin in one click", async () => {
    const dir = tempDir();
    const demo = await startTestService(dir, { DEMO_MODE: "on" });
    try {
      const { context, page } = await newPage(browser);
      await page.goto(`${demo.service.url}/admin`);
      const buttons = page.locator("form[action='/admin/demo-login'] button");
      await expect(buttons.count()).resolves.toBe(3);
      await shot(page, "03-demo-sign-in");
      await buttons.nth(2).click();
      await page.waitForURL(/\/admin\/tickets/);
      await expect(page.locator("header").innerText()).resolves.toContain("Lê Minh Quản");
      await context.close();
    } finally {
      await demo.stop();
      removeDir(dir);
    }
  });
});
