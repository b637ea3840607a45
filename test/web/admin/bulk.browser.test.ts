import { beforeAll, it } from "vitest";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { escalateTicket } from "../../../src/domain/tickets/ticket-service.ts";
import { browserTestsRun } from "../../helpers/browser.ts";
import { expect, newPage, shot, signIn, useAdminService, describeInBrowser } from "./admin-fixture.ts";

const ctx = useAdminService();
let lan = 0;

type Row = { status: string; assigneeId: number | null };
const ticket = async (id: number): Promise<Row> =>
  await ctx.running.service.db.kysely
    .selectFrom("Ticket")
    .select(["status", "assigneeId"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
const audit = (id: number) =>
  ctx.running.service.db.kysely
    .selectFrom("AuditLog")
    .select(["action", "source", "actorPersonId"])
    .where("entityType", "=", "Ticket")
    .where("entityId", "=", id)
    .orderBy("id")
    .execute();

beforeAll(async () => {
  if (!browserTestsRun) return;
  const db = ctx.running.service.db;
  // A second cadre of Chi hội 1, and one concern the branch passed up to the commune.
  lan = (await createPerson(db, { fullName: "Hồ Thị Lan", phone: "0911000009" })).id;
  await addMembership(db, { actor: systemActor("cli"), personId: lan, unitId: ctx.fx.tree.branchA1.id, role: "cadre" });
  await escalateTicket(db, {
    ticketId: ctx.fx.ticketA2,
    personId: ctx.fx.cadre.id,
    note: "Cần xã giải quyết",
    now: new Date(),
    source: "chat",
  });
});

describeInBrowser("bulk actions on the concerns list", () => {
  it("should assign the concerns ticked with the keyboard to a chosen cadre, and say which one she cannot handle and why", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.official);
    for (const id of [ctx.fx.ticketA, ctx.fx.ticketA2]) {
      await page.getByRole("checkbox", { name: `Chọn ý kiến #${id}` }).focus();
      await page.keyboard.press("Space");
    }
    await expect(page.locator("[data-selected]").innerText()).resolves.toBe("Đã chọn 2 ý kiến.");
    await page.getByLabel("Giao cho cán bộ").focus();
    await page.getByLabel("Giao cho cán bộ").selectOption({ label: "Hồ Thị Lan — Chi hội 1" });
    await shot(page, "13-queue-bulk-selected");
    await page.getByRole("button", { name: "Giao", exact: true }).click();
    await page.waitForURL(/\/admin\/tickets\/bulk$/);
    await expect(page.getByRole("status").innerText()).resolves.toContain("Đã giao 1 ý kiến cho Hồ Thị Lan.");
    const refusal = await page.getByRole("alert").innerText();
    expect(refusal).toContain("Không làm được với 1 ý kiến:");
    expect(refusal).toContain(`#${ctx.fx.ticketA2}: Hồ Thị Lan không xử lý được ý kiến của Xã Phước Hòa`);
    await shot(page, "14-queue-bulk-result");
    expect(await ticket(ctx.fx.ticketA)).toEqual({ status: "in_progress", assigneeId: lan });
    expect(await ticket(ctx.fx.ticketA2)).toEqual({ status: "new", assigneeId: null });
    expect(await audit(ctx.fx.ticketA)).toEqual([
      { action: "ticket.assign", source: "web", actorPersonId: ctx.fx.official.id },
    ]);
    expect((await audit(ctx.fx.ticketA2)).map((a) => a.action)).toEqual(["ticket.escalate"]);
    // The concern's own page offers the same: give it back to the branch cadre.
    await page.goto(`${ctx.running.service.url}/admin/tickets/${ctx.fx.ticketA}`);
    await page.getByLabel("Giao cho", { exact: true }).selectOption({ label: "Nguyễn Văn Cán — Chi hội 1" });
    await page.getByRole("button", { name: "Giao ý kiến" }).click();
    await page.waitForURL(/done=assign/);
    expect(await ticket(ctx.fx.ticketA)).toEqual({ status: "in_progress", assigneeId: ctx.fx.cadre.id });
    await context.close();
  });

  it("should take and close in bulk through the same rules as one by one, refusing a concern outside the cadre's subtree", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    expect(await page.locator("input[name=ids]").count()).toBe(1);
    // A concern of another commune slipped into the form (as a forged page would): refused on its own.
    await page.evaluate(`(() => {
      const box = document.createElement("input");
      Object.assign(box, { type: "checkbox", name: "ids", value: "${ctx.fx.ticketB}" });
      document.querySelector("form[data-bulk] tbody td").append(box);
    })()`);
    await page.getByRole("checkbox", { name: "Chọn tất cả ý kiến trên trang này" }).focus();
    await page.keyboard.press("Space");
    await expect(page.locator("[data-selected]").innerText()).resolves.toBe("Đã chọn 2 ý kiến.");
    await page.getByRole("button", { name: "Đóng", exact: true }).click();
    await page.waitForURL(/\/admin\/tickets\/bulk$/);
    await expect(page.getByRole("status").innerText()).resolves.toContain("Đã đóng 1 ý kiến.");
    await expect(page.getByRole("alert").innerText()).resolves.toContain(
      `#${ctx.fx.ticketB}: không tìm thấy, hoặc không thuộc phạm vi anh/chị xử lý.`,
    );
    expect(await page.content()).not.toContain("mất điện chiếu sáng");
    await shot(page, "15-queue-bulk-refused");
    expect((await ticket(ctx.fx.ticketA)).status).toBe("closed");
    expect(await ticket(ctx.fx.ticketB)).toEqual({ status: "new", assigneeId: null });
    expect(await audit(ctx.fx.ticketB)).toEqual([]);
    expect((await audit(ctx.fx.ticketA)).at(-1)).toEqual({
      action: "ticket.close",
      source: "web",
      actorPersonId: ctx.fx.cadre.id,
    });
    // "Assign to me" is taking: reopen from the concern's page, then take it from the list.
    await page.goto(`${ctx.running.service.url}/admin/tickets/${ctx.fx.ticketA}`);
    await page.getByRole("button", { name: "Mở lại" }).click();
    await page.waitForURL(/done=reopen/);
    await page.goto(`${ctx.running.service.url}/admin/tickets`);
    await page.getByRole("checkbox", { name: `Chọn ý kiến #${ctx.fx.ticketA}` }).check();
    await page.getByRole("button", { name: "Giao cho tôi" }).click();
    await expect(page.getByRole("status").innerText()).resolves.toContain("Anh/chị đã nhận xử lý 1 ý kiến.");
    expect(await ticket(ctx.fx.ticketA)).toEqual({ status: "in_progress", assigneeId: ctx.fx.cadre.id });
    await context.close();
  });
});
