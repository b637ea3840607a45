import { expect, it } from "vitest";
import { removeDir, startTestService, tempDir } from "../../helpers/service.ts";
import { chatLines, newPage, shot, signIn, useAdminService, describeInBrowser } from "./admin-fixture.ts";
import { createSignInLink } from "../../../src/domain/web-auth/sign-in-service.ts";

const ctx = useAdminService();
const ticketStatus = async () =>
  (
    await ctx.running.service.db.kysely
      .selectFrom("Ticket")
      .select("status")
      .where("id", "=", ctx.fx.ticketA)
      .executeTakeFirstOrThrow()
  ).status;

describeInBrowser("web workplace sign-in", () => {
  it("should sign a cadre in with the code the bot sent to their chat, and sign them out", async () => {
    const { context, page } = await newPage(ctx.browser);
    await page.goto(`${ctx.running.service.url}/admin`);
    expect(page.url()).toContain("/admin/sign-in");
    await shot(page, "01-sign-in");
    await signIn(ctx.running, page, ctx.fx.cadre);
    await expect(page.getByRole("heading", { name: "Ý kiến, kiến nghị" }).isVisible()).resolves.toBe(true);
    const cookie = (await context.cookies()).find((c) => c.name === "chihoi_admin")!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.path).toBe("/admin");
    expect(cookie.secure).toBe(false);
    await page.getByRole("button", { name: "Đăng xuất" }).click();
    await page.waitForURL(/\/admin\/sign-in/);
    await page.goto(`${ctx.running.service.url}/admin/tickets`);
    expect(page.url()).toContain("/admin/sign-in");
    await context.close();
  });

  it("should not let a member sign in, and answer exactly as for a cadre", async () => {
    const { context, page } = await newPage(ctx.browser);
    const before = await chatLines(ctx.running, ctx.fx.memberA.session);
    await page.goto(`${ctx.running.service.url}/admin/sign-in`);
    await page.getByLabel(/Số điện thoại/).fill(ctx.fx.memberA.phone);
    await page.getByRole("button", { name: "Gửi mã đăng nhập" }).click();
    await page.getByLabel("Mã 6 chữ số").waitFor();
    const memberText = await page.locator("main").innerText();
    await shot(page, "02-code-page");
    await page.getByLabel("Mã 6 chữ số").fill("123456");
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toContain("Mã không đúng");
    expect(page.url()).toContain("/admin/sign-in/verify");
    // Same words for an unknown phone; nothing was sent to the member's chat.
    await page.goto(`${ctx.running.service.url}/admin/sign-in`);
    await page.getByLabel(/Số điện thoại/).fill("0987654321");
    await page.getByRole("button", { name: "Gửi mã đăng nhập" }).click();
    await page.getByLabel("Mã 6 chữ số").waitFor();
    expect(await page.locator("main").innerText()).toBe(memberText);
    expect(await chatLines(ctx.running, ctx.fx.memberA.session)).toEqual(before);
    expect(
      (
        await ctx.running.service.db.kysely
          .selectFrom("AdminSession")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("personId", "=", ctx.fx.memberA.id)
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
    await context.close();
  });

  it("should refuse a forged form post: no token, or another site's Origin", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    const url = `${ctx.running.service.url}/admin/tickets/${ctx.fx.ticketA}/close`;
    const noToken = await page.request.post(url, { form: { x: "1" }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const foreign = await page.request.post(url, {
      form: { _csrf: csrf },
      headers: { origin: "http://evil.example" },
      maxRedirects: 0,
    });
    expect(foreign.status()).toBe(403);
    const signInForged = await page.request.post(`${ctx.running.service.url}/admin/sign-in`, {
      form: { phone: ctx.fx.cadre.phone },
      maxRedirects: 0,
    });
    expect(signInForged.status()).toBe(403);
    expect(await ticketStatus()).toBe("new");
    // The same post with the page's token and Origin goes through.
    const real = await page.request.post(url, {
      form: { _csrf: csrf },
      headers: { origin: ctx.running.service.url },
      maxRedirects: 0,
    });
    expect(real.status()).toBe(303);
    expect(await ticketStatus()).toBe("closed");
    await page.request.post(`${ctx.running.service.url}/admin/tickets/${ctx.fx.ticketA}/reopen`, {
      form: { _csrf: csrf },
      maxRedirects: 0,
    });
    const big = await page.request.post(url, {
      data: "x".repeat(200_000),
      headers: { "content-type": "application/x-www-form-urlencoded" },
      maxRedirects: 0,
    });
    expect(big.status()).toBe(413);
    await context.close();
  });

  it("should send an idle session back to sign-in, and end every session with 'sign out everywhere'", async () => {
    const one = await newPage(ctx.browser);
    const two = await newPage(ctx.browser);
    await signIn(ctx.running, one.page, ctx.fx.official);
    await signIn(ctx.running, two.page, ctx.fx.official);
    // The first open session (page one's) was last seen 3 hours earlier: idle.
    const db = ctx.running.service.db;
    const oldest = await db.kysely
      .selectFrom("AdminSession")
      .select("id")
      .where("personId", "=", ctx.fx.official.id)
      .where("endedAt", "is", null)
      .orderBy("id")
      .limit(1)
      .executeTakeFirstOrThrow();
    await db.kysely
      .updateTable("AdminSession")
      .set((eb) => ({ lastSeenAt: eb("lastSeenAt", "-", 3 * 3_600_000) }))
      .where("id", "=", oldest.id)
      .execute();
    await one.page.goto(`${ctx.running.service.url}/admin/tickets`);
    expect(one.page.url()).toContain("/admin/sign-in");
    await two.page.goto(`${ctx.running.service.url}/admin/tickets`);
    expect(two.page.url()).toContain("/admin/tickets");
    await signIn(ctx.running, one.page, ctx.fx.official);
    await one.page.goto(`${ctx.running.service.url}/admin/account`);
    await one.page.getByRole("button", { name: "Đăng xuất mọi nơi" }).click();
    await one.page.waitForURL(/\/admin\/sign-in/);
    await two.page.goto(`${ctx.running.service.url}/admin/tickets`);
    expect(two.page.url()).toContain("/admin/sign-in");
    await one.context.close();
    await two.context.close();
  });

  it("should sign the first admin in with a one-time link", async () => {
    const { token } = await createSignInLink(ctx.running.service.db, ctx.fx.admin.id, new Date());
    const { context, page } = await newPage(ctx.browser);
    await page.goto(`${ctx.running.service.url}/admin/link/${token}`);
    await expect(page.locator("main").innerText()).resolves.toContain("Đỗ Minh Quản");
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await page.waitForURL(/\/admin\/tickets/);
    await page.goto(`${ctx.running.service.url}/admin/link/${token}`);
    await expect(page.getByRole("alert").innerText()).resolves.toContain("không hợp lệ");
    await context.close();
  });
});

describeInBrowser("web workplace in demo mode", () => {
  it("should offer the demo cadre, official and admin in one click", async () => {
    const dir = tempDir();
    const demo = await startTestService(dir, { DEMO_MODE: "on" });
    try {
      const { context, page } = await newPage(ctx.browser);
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
      await removeDir(dir);
    }
  });
});
