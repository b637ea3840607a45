import { it } from "vitest";
import type { Page } from "playwright-core";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { ensureChatAccount } from "../../../src/domain/accounts/account-service.ts";
import { linkByPhone } from "../../../src/domain/linking/link-service.ts";
import { waitUntil } from "../../helpers/service.ts";
import { chatLines, expect, newPage, shot, useAdminService, describeInBrowser } from "./admin-fixture.ts";

const ctx = useAdminService();

const codesQueued = async () =>
  (
    await ctx.running.service.db.kysely
      .selectFrom("Outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("dedupeKey", "like", "web-signin:%")
      .executeTakeFirstOrThrow()
  ).n;

/** Asks for a code by name and unit; returns the page's words. */
async function askByName(page: Page, name: string, unit: string): Promise<string> {
  await page.goto(`${ctx.running.service.url}/admin/sign-in`);
  await page.getByLabel("Họ và tên").fill(name);
  await page.getByLabel("Đơn vị (chi hội, xã…)").fill(unit);
  await page.getByRole("button", { name: "Gửi mã đăng nhập" }).click();
  await page.getByLabel("Mã 6 chữ số").waitFor();
  return page.locator("main").innerText();
}

describeInBrowser("web workplace sign-in by name and unit", () => {
  it("should sign a cadre in by name and unit typed without diacritics, with the code the bot sent to their chat", async () => {
    const { context, page } = await newPage(ctx.browser);
    const before = (await chatLines(ctx.running, ctx.fx.cadre.session)).length;
    await page.goto(`${ctx.running.service.url}/admin/sign-in`);
    await page.getByLabel("Họ và tên").fill("nguyen van can");
    await page.getByLabel("Đơn vị (chi hội, xã…)").fill("chi hoi 1");
    await shot(page, "04-sign-in-by-name");
    await page.getByRole("button", { name: "Gửi mã đăng nhập" }).click();
    await page.getByLabel("Mã 6 chữ số").waitFor();
    expect(await page.getByRole("status").innerText()).toContain(
      "Nếu người này có quyền và đã liên kết tài khoản chat",
    );
    await shot(page, "05-code-page-by-name");
    let code = "";
    await waitUntil(
      async () => {
        const line = (await chatLines(ctx.running, ctx.fx.cadre.session))
          .slice(before)
          .find((l) => l.startsWith("Mã đăng nhập Chi Hội:"));
        code = line ? /(\d{6})/.exec(line)![1]! : "";
        return Boolean(code);
      },
      10_000,
      "sign-in code in chat",
    );
    await page.getByLabel("Mã 6 chữ số").fill(code);
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await page.waitForURL(/\/admin\/tickets/);
    await expect(page.locator("header").innerText()).resolves.toContain("Nguyễn Văn Cán");
    await context.close();
  });

  it("should answer the same whether the name is a member, nobody, or several people with rights, and send none of them a code", async () => {
    const db = ctx.running.service.db;
    // A namesake of the cadre with rights, in the other commune's "Chi hội 1", with a linked chat account.
    const namesake = await createPerson(db, { fullName: "Nguyen Van Can", phone: "0911000010" });
    await addMembership(db, {
      actor: systemActor("cli"),
      personId: namesake.id,
      unitId: ctx.fx.tree.branchB1.id,
      role: "cadre",
    });
    await linkByPhone(
      db,
      (await ensureChatAccount(db, { platform: "web", externalId: "s-namesake-session" })).id,
      "0911000010",
    );
    const { context, page } = await newPage(ctx.browser);
    const cadreLines = (await chatLines(ctx.running, ctx.fx.cadre.session)).length;
    const memberLines = (await chatLines(ctx.running, ctx.fx.memberA.session)).length;
    const queued = await codesQueued();
    const member = await askByName(page, "Lê Thị Hoa", "Chi hội 1");
    const nobody = await askByName(page, "Không Có Ai", "Chi hội 1");
    // "Chi hội 1" is in both communes, and both hold a "Nguyễn Văn Cán" with rights: nobody gets a code.
    const several = await askByName(page, "Nguyễn Văn Cán", "Chi hội 1");
    await shot(page, "06-code-page-by-name-ambiguous");
    expect(nobody).toBe(member);
    expect(several).toBe(member);
    expect(several).toContain("Anh/chị đăng nhập bằng số điện thoại.");
    expect(await codesQueued()).toBe(queued);
    expect(await chatLines(ctx.running, ctx.fx.cadre.session)).toHaveLength(cadreLines);
    expect(await chatLines(ctx.running, ctx.fx.memberA.session)).toHaveLength(memberLines);
    // A made-up code is refused with the same words as by phone.
    await page.getByLabel("Mã 6 chữ số").fill("123456");
    await page.getByRole("button", { name: "Đăng nhập" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toContain("Mã không đúng");
    // Naming the commune too makes it one person again.
    await askByName(page, "Nguyễn Văn Cán", "Phước Hòa / Chi hội 1");
    await waitUntil(async () => (await codesQueued()) === queued + 1, 10_000, "one code queued");
    // A unit that does not exist is said so (units are not people); the name is kept in the form.
    await page.goto(`${ctx.running.service.url}/admin/sign-in`);
    await page.getByLabel("Họ và tên").fill("Nguyễn Văn Cán");
    await page.getByLabel("Đơn vị (chi hội, xã…)").fill("Chi hội 99");
    await page.getByRole("button", { name: "Gửi mã đăng nhập" }).click();
    await expect(page.getByRole("alert").innerText()).resolves.toContain("Không tìm thấy đơn vị “Chi hội 99”");
    expect(await page.getByLabel("Họ và tên").inputValue()).toBe("Nguyễn Văn Cán");
    await context.close();
  });
});
