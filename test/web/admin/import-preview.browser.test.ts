import { it } from "vitest";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { expect, newPage, shot, signIn, useAdminService, describeInBrowser } from "./admin-fixture.ts";

const ctx = useAdminService();

const roster = [
  "Họ và tên,Số điện thoại,Chi hội,Năm sinh,Giới tính,Chức vụ",
  "Bùi Văn Tám,0911 000 088,Chi hội 1,1955,Nam,",
  "Lê Thị Hoa,0911 000 003,Chi hội 2,,,Chi hội phó",
  "Võ Văn Mới,0933 444 556,Chi hội 2,1961,,",
].join("\n");

describeInBrowser("roster import preview", () => {
  it("should show each changed field with its current and new value in words, and moved people's units", async () => {
    const db = ctx.running.service.db;
    const tam = await createPerson(db, { fullName: "Bùi Văn Tám" });
    await addMembership(db, {
      actor: systemActor("cli"),
      personId: tam.id,
      unitId: ctx.fx.tree.branchA1.id,
      role: "member",
    });
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.official);
    await page.goto(`${ctx.running.service.url}/admin/units/${ctx.fx.tree.communeA.id}/import`);
    await page
      .getByLabel("Tệp danh sách (.xlsx hoặc .csv)")
      .setInputFiles({ name: "xa-phuoc-hoa.csv", mimeType: "text/csv", buffer: Buffer.from(roster) });
    await page.getByRole("button", { name: "Xem trước thay đổi" }).click();
    await page.locator("table").waitFor();
    const row = async (name: string) =>
      (await page.locator("tbody tr", { hasText: name }).innerText()).replace(/\s+/g, " ");
    const tamRow = await row("Bùi Văn Tám");
    expect(tamRow).toContain("Số điện thoại: (trống) → 0911000088");
    expect(tamRow).toContain("Năm sinh: (trống) → 1955");
    expect(tamRow).toContain("Giới tính: (trống) → Nam");
    const hoaRow = await row("Lê Thị Hoa");
    expect(hoaRow).toContain("Chi hội: Chi hội 1 → Chi hội 2");
    expect(hoaRow).toContain("Vai trò: hội viên → cán bộ (Chi hội phó)");
    expect(hoaRow).not.toContain("Số điện thoại");
    expect(await row("Võ Văn Mới")).toContain("người mới, vào Chi hội 2");
    // Words, not the importer's field names.
    expect(await page.locator("main").innerText()).not.toMatch(/fullName|birthYear|moveFrom|membership|unitLevel/);
    await shot(page, "31-import-preview-old-new");
    // Nothing written until applied; then the values are the new ones.
    expect(
      (await db.kysely.selectFrom("Person").select("phone").where("id", "=", tam.id).executeTakeFirstOrThrow()).phone,
    ).toBeNull();
    await page.getByRole("button", { name: "Ghi vào danh sách" }).click();
    await expect(page.getByRole("status").innerText()).resolves.toContain("Đã ghi: 1 người mới, 2 người thay đổi");
    expect(
      await db.kysely
        .selectFrom("Person")
        .select(["phone", "birthYear", "gender"])
        .where("id", "=", tam.id)
        .executeTakeFirst(),
    ).toEqual({ phone: "0911000088", birthYear: 1955, gender: "nam" });
    const hoa = await db.kysely
      .selectFrom("Membership")
      .select(["unitId", "role"])
      .where("personId", "=", ctx.fx.memberA.id)
      .orderBy("role")
      .execute();
    expect(hoa).toEqual([
      { unitId: ctx.fx.tree.branchA2.id, role: "cadre" },
      { unitId: ctx.fx.tree.branchA2.id, role: "member" },
    ]);
    // In English the same preview speaks English.
    await page.goto(`${ctx.running.service.url}/admin/lang/en`);
    await page.goto(`${ctx.running.service.url}/admin/units/${ctx.fx.tree.communeA.id}/import`);
    await page
      .locator("input[type=file]")
      .setInputFiles({ name: "again.csv", mimeType: "text/csv", buffer: Buffer.from(roster.replace("1955", "1956")) });
    await page.locator("form[enctype] button[type=submit]").click();
    await page.locator("table").waitFor();
    expect((await page.locator("tbody tr", { hasText: "Bùi Văn Tám" }).innerText()).replace(/\s+/g, " ")).toContain(
      "Year of birth: 1955 → 1956",
    );
    await context.close();
  });
});
