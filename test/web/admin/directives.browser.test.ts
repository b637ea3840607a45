import { expect, it } from "vitest";
import type { Page } from "playwright-core";
import { waitUntil } from "../../helpers/service.ts";
import { chatLines, newPage, shot, signIn, useAdminService, describeInBrowser } from "./admin-fixture.ts";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { createDirective, sendDirective } from "../../../src/domain/directives/directive-service.ts";

const ctx = useAdminService();

/** A figure of the live progress panel, as a number. */
async function figure(page: Page, name: string): Promise<string> {
  return (await page.locator(`#progress [data-figure="${name}"]`).innerText()).trim();
}

describeInBrowser("directives in the workplace", () => {
  it("should compose with a live count and per-platform preview, send, show progress, and move the read rate when a member reads in chat", async () => {
    const db = ctx.running.service.db;
    // Two members of branch A2 without any chat account: counted as not linked.
    for (const [name, phone] of [
      ["Võ Văn Tám", "0911000011"],
      ["Đinh Thị Chín", "0911000012"],
    ] as const) {
      const p = await createPerson(db, { fullName: name, phone });
      await addMembership(db, {
        actor: systemActor("cli"),
        personId: p.id,
        unitId: ctx.fx.tree.branchA2.id,
        role: "member",
      });
    }
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.official);
    await page.getByRole("link", { name: "Văn bản" }).first().click();
    await page.waitForURL(/\/admin\/directives/);
    await page.getByRole("link", { name: "Soạn văn bản mới" }).click();
    await page.waitForURL(/\/admin\/directives\/new/);
    // The reach of the commune before anything is stored: official, cadre and member A linked; two not linked.
    await page.locator("#reach-table").waitFor();
    expect(await page.locator("#reach").innerText()).toContain(
      "Sẽ gửi tới 5 người: 3 người đã liên kết tài khoản chat sẽ nhận tin nhắn, 2 người chưa liên kết.",
    );
    const reachRows = await page.locator("#reach-table tbody tr").allInnerTexts();
    expect(reachRows.map((r) => r.replace(/\s+/g, " ").trim())).toEqual([
      "Trực tiếp tại Xã Phước Hòa 1 1 0",
      "Chi hội 1 Chi hội 2 2 0",
      "Chi hội 2 Chi hội 2 0 2",
      "Cộng (mỗi người tính một lần) 5 3 2",
    ]);
    await page.getByLabel("Loại văn bản").selectOption("ke_hoach");
    await page.getByLabel("Số hiệu").fill("Số 12 / KH - HCCB");
    await page.getByLabel("Cơ quan ban hành").fill("Hội CCB xã Phước Hòa");
    await page.getByLabel("Tiêu đề (trích yếu)").fill("Kế hoạch tổ chức Ngày hội Cựu chiến binh 2026");
    const summary = "Mỗi chi hội cử 5 hội viên tham gia hội thao; đăng ký với chi hội trưởng trước ngày 20/12.";
    await page.getByLabel("Nội dung tóm tắt").fill(summary);
    // The count follows the typing at once (the page's own script), and the preview follows the server.
    await expect(page.locator("#summary-count").innerText()).resolves.toContain(`${summary.length} ký tự`);
    await page.locator("#preview [data-platform=zalo] .bubble", { hasText: summary }).waitFor();
    const telegram = await page.locator("#preview [data-platform=telegram] .bubble").innerText();
    expect(telegram).toContain("Kế hoạch số 12/KH-HCCB của Hội CCB xã Phước Hòa");
    expect(telegram).toContain(summary);
    expect(await page.locator("#preview [data-platform=telegram] .bubble-buttons").innerText()).toBe("Đã đọc");
    // Zalo has no buttons: the choice is a numbered line, as the Zalo channel sends it.
    expect(await page.locator("#preview [data-platform=zalo] .bubble").innerText()).toContain("Trả lời 1 để Đã đọc");
    expect(await page.locator("#preview [data-platform=zalo] .bubble-buttons").count()).toBe(0);
    await shot(page, "30-directive-compose");

    // A summary over 3,000 characters is refused with the reason; over 700 is a warning.
    await page.getByLabel("Nội dung tóm tắt").fill("Dài. ".repeat(700));
    await page.locator("#preview .error", { hasText: "vượt quá 3000" }).waitFor();
    expect(await page.locator("#summary-count").getAttribute("class")).toContain("over");
    await page.getByLabel("Nội dung tóm tắt").fill("Vừa. ".repeat(200));
    await page.locator("#preview .error", { hasText: "dài hơn 700" }).waitFor();
    await page.getByLabel("Nội dung tóm tắt").fill(summary);
    await page.locator("#preview .error").waitFor({ state: "detached" });

    await page.getByRole("button", { name: "Xem trước để gửi" }).click();
    await page.waitForURL(/\/admin\/directives\/\d+$/);
    const id = Number(/\/admin\/directives\/(\d+)$/.exec(page.url())![1]);
    expect(
      await db.kysely.selectFrom("Directive").select(["status", "number"]).where("id", "=", id).executeTakeFirst(),
    ).toEqual({ status: "draft", number: "12/KH-HCCB" });
    await shot(page, "31-directive-draft");
    await page.getByRole("button", { name: "Gửi tới 5 người" }).click();
    await page.waitForURL(/done=send/);

    // Progress arrives without reloading: three linked copies delivered (web chat), two not linked.
    await waitUntil(
      async () => (await figure(page, "delivered")) === "3",
      20_000,
      "three copies delivered on the page",
    );
    expect(await figure(page, "total")).toBe("5");
    expect(await figure(page, "not_linked")).toBe("2");
    expect(await figure(page, "queued")).toBe("0");
    expect(await figure(page, "read_rate")).toBe("0%");
    const memberChat = await chatLines(ctx.running, ctx.fx.memberA.session);
    expect(memberChat.some((l) => l.includes("Kế hoạch tổ chức Ngày hội Cựu chiến binh 2026"))).toBe(true);

    // The member presses "Đã đọc" in the chat: the open page's read rate moves.
    const res = await fetch(`${ctx.running.service.url}/chat/api/send`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: `chihoi_session=${ctx.fx.memberA.session}` },
      body: JSON.stringify({ id: "read1", payload: `read:${id}` }),
    });
    expect(res.status).toBe(200);
    await waitUntil(async () => (await figure(page, "read")) === "1", 20_000, "the read appears on the page");
    expect(await figure(page, "read_rate")).toBe("33%");
    // The list of those who have not read moved with it.
    expect(await page.locator("#unread").innerText()).not.toContain("Lê Thị Hoa");
    expect(await page.locator("#unread h2").innerText()).toBe("Chưa đọc trong Xã Phước Hòa: 4 người");
    expect(
      (
        await db.kysely
          .selectFrom("DirectiveDelivery")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("directiveId", "=", id)
          .where("readAt", "is not", null)
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(1);
    const rates = (await page.locator("#rates tbody tr").allInnerTexts()).map((r) => r.replace(/\s+/g, " ").trim());
    expect(rates[0]).toContain("Xã Phước Hòa (toàn đơn vị) 3 1 2 33%");
    expect(rates.some((r) => r.startsWith("Chi hội 1 Chi hội 2 1 1 50%"))).toBe(true);
    await shot(page, "32-directive-progress");

    // Drill down to branch 1: who has not read there.
    await page.locator("#rates a", { hasText: "Chi hội 1" }).click();
    await page.waitForURL(new RegExp(`unit=${ctx.fx.tree.branchA1.id}`));
    expect(await page.locator("#unread").innerText()).toContain("Nguyễn Văn Cán");
    expect(await page.locator("#unread").innerText()).not.toContain("Lê Thị Hoa");
    await page.goto(`${ctx.running.service.url}/admin/directives/${id}?unit=${ctx.fx.tree.branchA2.id}`);
    expect(await page.locator("#unread tbody").innerText()).toContain("chưa liên kết");

    // Remind now: those delivered and unread (the cadre and the official) get the reminder in chat at once.
    await page.goto(`${ctx.running.service.url}/admin/directives/${id}`);
    await page.getByRole("button", { name: "Nhắc ngay 2 người chưa đọc" }).click();
    await page.waitForURL(/done=remind/);
    await waitUntil(
      async () => (await chatLines(ctx.running, ctx.fx.cadre.session)).some((l) => l.startsWith("Nhắc lại:")),
      20_000,
      "the reminder in the cadre's chat",
    );
    expect((await chatLines(ctx.running, ctx.fx.memberA.session)).some((l) => l.startsWith("Nhắc lại:"))).toBe(false);
    // Each person is reminded once: nobody is left to remind.
    await page.goto(`${ctx.running.service.url}/admin/directives/${id}`);
    await waitUntil(
      async () => {
        await page.reload();
        return page.getByRole("button", { name: "Nhắc ngay 0 người chưa đọc" }).isDisabled();
      },
      20_000,
      "the reminded people counted",
    );

    const audit = await db.kysely
      .selectFrom("AuditLog")
      .select(["action", "source", "actorPersonId"])
      .where("entityType", "=", "Directive")
      .where("entityId", "=", id)
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { action: "directive.create", source: "web", actorPersonId: ctx.fx.official.id },
      { action: "directive.send", source: "web", actorPersonId: ctx.fx.official.id },
      { action: "directive.remind", source: "web", actorPersonId: ctx.fx.official.id },
    ]);
    // The list shows it with its read rate over the commune.
    await page.goto(`${ctx.running.service.url}/admin/directives`);
    await page.locator("tbody .ratebar").first().waitFor();
    expect(await page.locator("tbody tr").first().innerText()).toContain("33% (1/3)");
    await shot(page, "33-directives-list");
    await context.close();
  });

  it("should keep other subtrees' directives, reach and composing out of reach by URL", async () => {
    const db = ctx.running.service.db;
    const tree = ctx.fx.tree;
    const now = new Date();
    // A directive of commune B, sent by the province admin; and a draft of commune A by its official.
    const other = await createDirective(
      db,
      {
        unitId: tree.communeB.id,
        kind: "thong_bao",
        title: "Thông báo của phường",
        summary: "Nội dung riêng của phường Quy Nhơn Nam.",
        createdById: ctx.fx.admin.id,
      },
      now,
    );
    await sendDirective(db, other.id, { now, byPersonId: ctx.fx.admin.id });
    const draft = await createDirective(
      db,
      {
        unitId: tree.communeA.id,
        kind: "thong_bao",
        title: "Bản nháp của xã",
        summary: "Chưa gửi.",
        createdById: ctx.fx.official.id,
      },
      now,
    );

    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    for (const path of [
      `/admin/directives/${other.id}`,
      `/admin/directives/${other.id}/live`,
      `/admin/directives/${other.id}/rate?unit=${tree.branchA1.id}`,
      `/admin/directives/${other.id}?unit=${tree.branchB1.id}`,
      `/admin/directives/${draft.id}`,
      `/admin/directives?unit=${tree.branchB1.id}`,
      `/admin/directives?unit=${tree.communeA.id}`,
      `/admin/directives/reach?unit=${tree.communeB.id}`,
      "/admin/directives/999999",
      "/admin/directives/abc",
    ]) {
      const res = await page.goto(`${ctx.running.service.url}${path}`);
      expect(res!.status(), path).toBe(404);
      expect(await page.content(), path).not.toContain("Nội dung riêng của phường");
    }
    await page.goto(`${ctx.running.service.url}/admin/directives`);
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const directives = async () =>
      (
        await db.kysely
          .selectFrom("Directive")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n;
    const before = await directives();
    for (const action of ["send", "remind"]) {
      const post = await page.request.post(`${ctx.running.service.url}/admin/directives/${other.id}/${action}`, {
        form: { _csrf: csrf },
        maxRedirects: 0,
      });
      expect(post.status(), action).toBe(404);
    }
    const sendDraft = await page.request.post(`${ctx.running.service.url}/admin/directives/${draft.id}/send`, {
      form: { _csrf: csrf },
      maxRedirects: 0,
    });
    expect(sendDraft.status()).toBe(404);
    expect(
      (await db.kysely.selectFrom("Directive").select("status").where("id", "=", draft.id).executeTakeFirstOrThrow())
        .status,
    ).toBe("draft");
    // Composing for a unit outside the subtree: refused by the domain, nothing stored.
    const compose = await page.request.post(`${ctx.running.service.url}/admin/directives`, {
      form: {
        _csrf: csrf,
        unit: String(tree.communeA.id),
        kind: "thong_bao",
        title: "Vượt quyền",
        summary: "Không được gửi.",
      },
      maxRedirects: 0,
    });
    expect(compose.status()).toBe(403);
    expect(await directives()).toBe(before);
    expect(
      (
        await db.kysely
          .selectFrom("ScheduledJob")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("kind", "=", "directive_reminder")
          .where("entityId", "=", other.id)
          .where("dedupeKey", "like", "%:now:%")
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
    // A commune A directive is visible to the cadre of branch A1 from the branch only, not from the commune.
    await page.goto(`${ctx.running.service.url}/admin/directives`);
    expect(await page.locator("main").innerText()).not.toContain("Thông báo của phường");
    await context.close();
  });
});
