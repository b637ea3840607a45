import { expect, it } from "vitest";
import { newPage, shot, signIn, signInWithLink, useAdminService, describeInBrowser } from "./admin-fixture.ts";
import { keyPrefix } from "../../../src/storage/dialect.ts";

const ctx = useAdminService();

describeInBrowser("units, people and rights", () => {
  it("should show the unit tree with counts, a roster with link status, and a person's page; nothing outside the scope", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.official);
    await page.getByRole("link", { name: "Đơn vị" }).click();
    await page.waitForURL(new RegExp(`/admin/units/${ctx.fx.tree.communeA.id}$`));
    expect(await page.locator("main").innerText()).toContain("Chi hội 1");
    await page.getByRole("link", { name: "Chi hội 1" }).click();
    const roster = await page.locator("table").innerText();
    expect(roster).toContain("Lê Thị Hoa");
    expect(roster).toContain("Web chat");
    expect(roster).toContain("0911***003");
    await shot(page, "20-unit-roster");
    await page.getByRole("link", { name: "Lê Thị Hoa" }).click();
    const profile = await page.locator("main").innerText();
    expect(profile).toContain("Đường vào thôn bị ngập");
    expect(profile).toContain("0911000003");
    await shot(page, "21-person");
    await page.goto(`${ctx.running.service.url}/admin/people?q=le+thi+hoa`);
    expect(await page.locator("tbody tr").count()).toBe(1);
    await page.goto(`${ctx.running.service.url}/admin/people?q=pham+van+binh`);
    expect(await page.locator("tbody tr").count()).toBe(0);
    expect((await page.goto(`${ctx.running.service.url}/admin/units/${ctx.fx.tree.branchB1.id}`))!.status()).toBe(404);
    expect((await page.goto(`${ctx.running.service.url}/admin/people/${ctx.fx.memberB.id}`))!.status()).toBe(404);
    // Rights are for admins only.
    expect((await page.goto(`${ctx.running.service.url}/admin/rights`))!.status()).toBe(403);
    await context.close();
  });

  it("should let the admin grant a right after confirming whose phone it is, and revoke it", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signInWithLink(ctx.running, page, ctx.fx.admin.id);
    await page.getByRole("link", { name: "Phân quyền" }).click();
    await page.getByLabel("Họ và tên").fill("Lê Hoa");
    await page.getByLabel("Số điện thoại").fill(ctx.fx.memberA.phone);
    await page.getByLabel("Đơn vị").selectOption(String(ctx.fx.tree.branchA1.id));
    await page.getByLabel("Vai trò").selectOption("cadre");
    await page.getByRole("button", { name: "Cấp quyền", exact: true }).click();
    const warning = await page.getByRole("alert").innerText();
    expect(warning).toContain("thuộc về Lê Thị Hoa");
    expect(
      await ctx.running.service.db.kysely
        .selectFrom("Membership")
        .select("id")
        .where("personId", "=", ctx.fx.memberA.id)
        .where("role", "=", "cadre")
        .executeTakeFirst(),
    ).toBeUndefined();
    await shot(page, "22-rights-confirm");
    await page.getByRole("button", { name: "Cấp quyền cho Lê Thị Hoa" }).click();
    await expect(page.getByRole("status").innerText()).resolves.toContain(
      "Đã cấp quyền cán bộ chi hội tại Chi hội 1 cho Lê Thị Hoa",
    );
    expect(await page.locator("tbody").innerText()).toContain("Lê Thị Hoa");
    await shot(page, "23-rights");
    const audit = await ctx.running.service.db.kysely
      .selectFrom("AuditLog")
      .select(["source", "actorPersonId"])
      .where("action", "=", "rights.grant")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(audit).toEqual({ source: "web", actorPersonId: ctx.fx.admin.id });

    // Lê Thị Hoa can now sign in; revoking the right ends that.
    const hoa = await newPage(ctx.browser);
    await signIn(ctx.running, hoa.page, ctx.fx.memberA);
    await page.getByRole("button", { name: "Thu hồi quyền cán bộ chi hội của Lê Thị Hoa tại Chi hội 1" }).click();
    await expect(page.getByRole("status").innerText()).resolves.toContain("Đã thu hồi");
    await hoa.page.goto(`${ctx.running.service.url}/admin/tickets`);
    expect(hoa.page.url()).toContain("/admin/sign-in");
    await hoa.context.close();
    await context.close();
  });
});

describeInBrowser("roster import by upload", () => {
  it("should preview new, changed and invalid rows, write nothing until applied, then apply skipping the invalid row", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    await page.goto(`${ctx.running.service.url}/admin/units/${ctx.fx.tree.branchA1.id}`);
    await page.getByRole("link", { name: "Nhập danh sách từ tệp Excel/CSV" }).click();
    await page
      .getByLabel("Tệp danh sách (.xlsx hoặc .csv)")
      .setInputFiles("test/fixtures/roster/web-import-chi-hoi-1.csv");
    await page.getByRole("button", { name: "Xem trước thay đổi" }).click();
    const preview = await page.locator("main").innerText();
    expect(preview).toContain("1 người mới, 1 người thay đổi, 0 không đổi, 1 dòng lỗi");
    expect(preview).toContain("Dòng 6: số điện thoại “12345” không hợp lệ");
    expect(preview).toContain("Năm sinh: (trống) → 1958");
    expect(preview).toContain("Võ Văn Mới");
    await shot(page, "30-import-preview");
    const people = async () =>
      (
        await ctx.running.service.db.kysely
          .selectFrom("Person")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n;
    const before = await people();
    expect(
      await ctx.running.service.db.kysely
        .selectFrom("Person")
        .select("id")
        .where("fullName", "=", "Võ Văn Mới")
        .executeTakeFirst(),
    ).toBeUndefined();
    await page.getByLabel(/Bỏ qua 1 dòng lỗi/).check();
    await page.getByRole("button", { name: "Ghi vào danh sách" }).click();
    await expect(page.getByRole("status").innerText()).resolves.toContain("Đã ghi: 1 người mới, 1 người thay đổi");
    expect(await people()).toBe(before + 1);
    expect(
      (
        await ctx.running.service.db.kysely
          .selectFrom("Person")
          .select("birthYear")
          .where("id", "=", ctx.fx.memberA.id)
          .executeTakeFirstOrThrow()
      ).birthYear,
    ).toBe(1958);
    expect(
      (
        await ctx.running.service.db.kysely
          .selectFrom("AuditLog")
          .select("source")
          .where("action", "=", "roster.import")
          .executeTakeFirstOrThrow()
      ).source,
    ).toBe("web");
    // A cadre cannot import into another branch by URL.
    expect(
      (await page.goto(`${ctx.running.service.url}/admin/units/${ctx.fx.tree.branchA2.id}/import`))!.status(),
    ).toBe(404);
    await context.close();
  });
});

describeInBrowser("link-code slips", () => {
  it("should print a unit's slips with a QR code per platform, and give an .xlsx whose codes stay text", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.official);
    await page.goto(`${ctx.running.service.url}/admin/units/${ctx.fx.tree.communeA.id}`);
    await page.getByRole("link", { name: "In phiếu mã liên kết" }).click();
    await page.waitForURL(/\/slips$/);
    // Unlinked people of the commune's subtree only: the fixture has none but those added by import.
    const slips = page.locator(".slip");
    const n = await slips.count();
    const db = ctx.running.service.db;
    const communePath = (
      await db.kysely
        .selectFrom("Unit")
        .select("path")
        .where("id", "=", ctx.fx.tree.communeA.id)
        .executeTakeFirstOrThrow()
    ).path;
    const unlinked = (
      await db.kysely
        .selectFrom("Person as p")
        .innerJoin("Membership as m", "m.personId", "p.id")
        .innerJoin("Unit as u", "u.id", "m.unitId")
        .select((eb) => eb.fn.count<number>("p.id").distinct().as("n"))
        .where((eb) => keyPrefix(db.engine, eb.ref("u.path"), communePath))
        .where("p.linkedAccounts", "=", 0)
        .executeTakeFirstOrThrow()
    ).n;
    expect(n).toBe(unlinked);
    await page.getByRole("link", { name: "Gồm cả người đã liên kết" }).click();
    await page.waitForURL(/all=1/);
    const all = await page.locator(".slip").allInnerTexts();
    const hoa = all.find((s) => s.includes("Lê Thị Hoa"))!;
    expect(hoa).toMatch(/Mã liên kết: \d{4}( \d{1,4})+/);
    expect(await page.locator(".slip", { hasText: "Lê Thị Hoa" }).locator(".qr svg").count()).toBe(1); // the web chat (no Telegram here)
    await page.emulateMedia({ media: "print" });
    await shot(page, "40-slips-print");
    await page.pdf({ path: "test-results/admin/40-slips.pdf", format: "A4" });

    // A code starting with 0 survives the .xlsx.
    await ctx.running.service.db.kysely
      .updateTable("LinkCode")
      .set({ code: "012345678901" })
      .where("personId", "=", ctx.fx.memberA.id)
      .where("usedAt", "is", null)
      .where("revokedAt", "is", null)
      .execute();
    const download = await page.request.get(
      `${ctx.running.service.url}/admin/units/${ctx.fx.tree.communeA.id}/slips.xlsx?all=1`,
    );
    expect(download.status()).toBe(200);
    const ExcelJS = (await import("exceljs")).default;
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await download.body()) as never);
    const sheet = book.worksheets[0]!;
    expect(sheet.getRow(1).getCell(3).value).toBe("Mã liên kết");
    const row = sheet.getRows(2, sheet.rowCount - 1)!.find((r) => r.getCell(1).value === "Lê Thị Hoa")!;
    expect(row.getCell(3).value).toBe("012345678901");
    expect(row.getCell(3).numFmt).toBe("@");
    // Another branch's slips are not the cadre's to print.
    const cadre = await newPage(ctx.browser);
    await signIn(ctx.running, cadre.page, ctx.fx.cadre);
    expect(
      (await cadre.page.goto(`${ctx.running.service.url}/admin/units/${ctx.fx.tree.branchA2.id}/slips`))!.status(),
    ).toBe(404);
    expect(
      (
        await cadre.page.request.get(`${ctx.running.service.url}/admin/units/${ctx.fx.tree.branchB1.id}/slips.xlsx`)
      ).status(),
    ).toBe(404);
    await cadre.context.close();
    await context.close();
  });
});
