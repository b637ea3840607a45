import { expect, it } from "vitest";
import { waitUntil } from "../../helpers/service.ts";
import { chatLines, newPage, shot, signIn, useAdminService, describeInBrowser } from "./admin-fixture.ts";
import { addMemberMessage } from "../../../src/domain/tickets/ticket-service.ts";

const ctx = useAdminService();

const rowIds = async (page: import("playwright-core").Page) =>
  (await page.locator("tbody tr td:nth-child(2) a").allInnerTexts()).map((s) => Number(s.replace("#", "")));

describeInBrowser("concerns queue", () => {
  it("should list the subtree's concerns with counts, and filter them by words without diacritics, category and unit", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.official);
    expect(await rowIds(page)).toEqual([ctx.fx.ticketA, ctx.fx.ticketA2]);
    await page.locator("#counts strong").first().waitFor();
    expect(await page.locator("#counts").innerText()).toContain("mới: 2");
    await shot(page, "10-queue");
    await page.getByLabel("Tìm trong nội dung").fill("duong ngap");
    await page.getByRole("button", { name: "Lọc" }).click();
    await page.waitForURL(/q=duong/);
    expect(await rowIds(page)).toEqual([ctx.fx.ticketA]);
    await shot(page, "11-queue-search");
    await page.goto(`${ctx.running.service.url}/admin/tickets`);
    await page.getByLabel("Lĩnh vực").selectOption("che_do_chinh_sach");
    await page.getByRole("button", { name: "Lọc" }).click();
    await page.waitForURL(/category=/);
    expect(await rowIds(page)).toEqual([ctx.fx.ticketA2]);
    await page.goto(`${ctx.running.service.url}/admin/tickets?unit=${ctx.fx.tree.branchA2.id}`);
    expect(await rowIds(page)).toEqual([]);
    // A unit outside the scope by URL: refused, nothing listed.
    const outside = await page.goto(`${ctx.running.service.url}/admin/tickets?unit=${ctx.fx.tree.branchB1.id}`);
    expect(outside!.status()).toBe(400);
    expect(await rowIds(page)).toEqual([]);
    await context.close();
  });

  it("should answer a concern: the answer reaches the member's chat, notes stay internal, new messages appear without reloading", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    await page.locator(`a[href='/admin/tickets/${ctx.fx.ticketA}']`).first().click();
    await page.waitForURL(new RegExp(`/admin/tickets/${ctx.fx.ticketA}$`));
    expect(await page.locator("#thread").innerText()).toContain("Đường vào thôn bị ngập");
    await page.getByLabel("Ghi chú nội bộ").fill("Đã gọi trưởng thôn, chờ xã trả lời");
    await page.getByRole("button", { name: "Thêm ghi chú" }).click();
    await page.waitForURL(/done=note/);
    await page.getByLabel("Trả lời hội viên").fill("Xã đã lên kế hoạch nạo vét mương trong tháng 12.");
    await page.getByRole("button", { name: "Gửi trả lời" }).click();
    await page.waitForURL(/done=answer/);
    await expect(page.getByRole("status").innerText()).resolves.toContain("Đã gửi trả lời");
    await waitUntil(
      async () => (await chatLines(ctx.running, ctx.fx.memberA.session)).some((l) => l.includes("nạo vét mương")),
      10_000,
      "answer in the member's chat",
    );
    expect((await chatLines(ctx.running, ctx.fx.memberA.session)).join("\n")).not.toContain("trưởng thôn");
    const audit = await ctx.running.service.db.kysely
      .selectFrom("AuditLog")
      .select(["action", "source", "actorPersonId"])
      .where("entityType", "=", "Ticket")
      .where("entityId", "=", ctx.fx.ticketA)
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { action: "ticket.note", source: "web", actorPersonId: ctx.fx.cadre.id },
      { action: "ticket.answer", source: "web", actorPersonId: ctx.fx.cadre.id },
    ]);
    // The member writes again (as from chat): the open page shows it without a reload.
    await addMemberMessage(ctx.running.service.db, {
      ticketId: ctx.fx.ticketA,
      personId: ctx.fx.memberA.id,
      text: "Cảm ơn, nhưng mương ở xóm Tây nữa ạ",
      messageLogId: null,
      now: new Date(),
    });
    await page.locator("#thread", { hasText: "mương ở xóm Tây" }).waitFor({ timeout: 15_000 });
    await shot(page, "12-concern");
    await context.close();
  });

  it("should take, pass up and close through the buttons, with the same rules as chat", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    await page.goto(`${ctx.running.service.url}/admin/tickets/${ctx.fx.ticketA2}`);
    await page.getByRole("button", { name: "Nhận xử lý" }).click();
    await page.waitForURL(/done=take/);
    expect(await page.locator("aside").innerText()).toContain("Nguyễn Văn Cán");
    await page.getByLabel("Ghi chú khi chuyển cấp trên").fill("Vượt thẩm quyền chi hội");
    await page.getByRole("button", { name: "Chuyển cấp trên" }).click();
    // Passed up to the commune: its unit is now the commune's, and the page says so.
    await page.waitForURL(/done=escalate/);
    await expect(page.getByRole("status").first().innerText()).resolves.toContain(`#${ctx.fx.ticketA2}`);
    expect(
      (
        await ctx.running.service.db.kysely
          .selectFrom("Ticket")
          .select("unitId")
          .where("id", "=", ctx.fx.ticketA2)
          .executeTakeFirstOrThrow()
      ).unitId,
    ).toBe(ctx.fx.tree.communeA.id);
    await context.close();

    const official = await newPage(ctx.browser);
    await signIn(ctx.running, official.page, ctx.fx.official);
    await official.page.goto(`${ctx.running.service.url}/admin/tickets/${ctx.fx.ticketA2}`);
    expect(await official.page.locator("#thread").innerText()).toContain("Vượt thẩm quyền chi hội");
    await official.page.getByRole("button", { name: "Đóng ý kiến" }).click();
    await official.page.waitForURL(/done=close/);
    expect(
      (
        await ctx.running.service.db.kysely
          .selectFrom("Ticket")
          .select("status")
          .where("id", "=", ctx.fx.ticketA2)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe("closed");
    await official.context.close();
  });

  it("should not let a cadre open a concern outside their subtree by URL", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    for (const path of [
      `/admin/tickets/${ctx.fx.ticketB}`,
      `/admin/tickets/${ctx.fx.ticketB}/thread`,
      "/admin/tickets/999999",
      "/admin/tickets/abc",
    ]) {
      const res = await page.goto(`${ctx.running.service.url}${path}`);
      expect(res!.status()).toBe(404);
      expect(await page.content()).not.toContain("mất điện chiếu sáng");
    }
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const post = await page.request.post(`${ctx.running.service.url}/admin/tickets/${ctx.fx.ticketB}/close`, {
      form: { _csrf: csrf },
      maxRedirects: 0,
    });
    expect(post.status()).toBe(404);
    expect(
      (
        await ctx.running.service.db.kysely
          .selectFrom("Ticket")
          .select("status")
          .where("id", "=", ctx.fx.ticketB)
          .executeTakeFirstOrThrow()
      ).status,
    ).toBe("new");
    await context.close();
  });
});
