import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import ExcelJS from "exceljs";
import { newPage, shot, signIn, useAdminService, describeInBrowser } from "./admin-fixture.ts";
import { keyPrefix } from "../../../src/storage/dialect.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { createMeeting } from "../../../src/domain/meetings/meeting-service.ts";
import { recordAttendance, recordRsvp } from "../../../src/domain/meetings/rsvp-service.ts";
import { toLocal } from "../../../src/lib/zoned-time.ts";

const ctx = useAdminService();
const zone = "Asia/Ho_Chi_Minh";
const DAY = 86_400_000;

/** The value of a row's cell under a header of the sheet's first row. */
function cellUnder(sheet: ExcelJS.Worksheet, row: number, header: string): ExcelJS.CellValue {
  let column = 0;
  sheet.getRow(1).eachCell((cell, i) => {
    if (cell.value === header) column = i;
  });
  if (!column) throw new Error(`no column "${header}" in ${sheet.name}`);
  return sheet.getRow(row).getCell(column).value;
}

describeInBrowser("reports and the audit log in the workplace", () => {
  it("should show the unit and its children side by side with charts, and download the same figures as .xlsx and CSV", async () => {
    const db = ctx.running.service.db;
    const tree = ctx.fx.tree;
    // A meeting of branch A1 three weeks ago: the member said yes and came.
    const before = new Date(Date.now() - 25 * DAY);
    const meeting = await createMeeting(
      db,
      {
        unitId: tree.branchA1.id,
        title: "Sinh hoạt chi hội",
        startsAt: new Date(before.getTime() + 4 * DAY),
        durationMinutes: 90,
      },
      { actor: systemActor("cli"), now: before, timeZone: zone },
    );
    await recordRsvp(
      db,
      { meetingId: meeting.id, personId: ctx.fx.memberA.id, answer: "attend", actor: systemActor("cli") },
      new Date(before.getTime() + DAY),
    );
    await recordAttendance(db, {
      meetingId: meeting.id,
      presentPersonIds: [ctx.fx.memberA.id],
      actor: systemActor("cli"),
      now: new Date(meeting.startsAt + 600_000),
    });

    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.official);
    await page.getByRole("link", { name: "Báo cáo" }).first().click();
    await page.waitForURL(/\/admin\/reports/);
    expect(await page.locator("h1").innerText()).toBe("Báo cáo Xã Phước Hòa");
    // The figures follow the page (a province's take seconds).
    await page.locator("#report-units").waitFor();
    const rows = (await page.locator("#report-units tbody tr").allInnerTexts()).map((r) =>
      r.replace(/\s+/g, " ").trim(),
    );
    expect(rows.map((r) => r.split(" Xã")[0]!.split(" Chi hội")[0])).toEqual([
      "Xã Phước Hòa",
      "Chi hội 1",
      "Chi hội 2",
    ]);
    // From the database: people of the commune's subtree, those linked, its concerns.
    const members = (
      await db.kysely
        .selectFrom("Membership as m")
        .innerJoin("Unit as u", "u.id", "m.unitId")
        .select((eb) => eb.fn.count<number>("m.personId").distinct().as("n"))
        .where((eb) => keyPrefix(db.engine, eb.ref("u.path"), tree.communeA.path))
        .executeTakeFirstOrThrow()
    ).n;
    const concerns = (
      await db.kysely
        .selectFrom("Ticket as t")
        .innerJoin("Unit as u", "u.id", "t.unitId")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where((eb) => keyPrefix(db.engine, eb.ref("u.path"), tree.communeA.path))
        .executeTakeFirstOrThrow()
    ).n;
    expect(members).toBe(3);
    expect(rows[0]).toMatch(new RegExp(`^Xã Phước Hòa Xã ${members} 100% `));
    expect(await page.locator("figure.chart").count()).toBe(4);
    expect(await page.locator("figure.chart svg circle").count()).toBeGreaterThanOrEqual(2); // attendance and response of the meeting's month
    await shot(page, "50-report");

    // The .xlsx as the browser downloads it, read back: the same numbers as the database.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Tải Excel (.xlsx)" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^bao-cao-${tree.communeA.id}-\\d{4}-\\d{2}-\\d{2}-\\d{4}-\\d{2}-\\d{2}\\.xlsx$`),
    );
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile((await download.path())!);
    expect(book.worksheets.map((s) => s.name)).toEqual(["Đơn vị", "Theo tháng", "Văn bản", "Ý kiến", "Chậm trả lời"]);
    const units = book.getWorksheet("Đơn vị")!;
    expect(cellUnder(units, 2, "Đơn vị")).toBe("Xã Phước Hòa");
    expect(cellUnder(units, 2, "Hội viên")).toBe(members);
    expect(cellUnder(units, 2, "Đã liên kết")).toBe(3);
    expect(cellUnder(units, 2, "Buổi sinh hoạt")).toBe(1);
    // Attendance was recorded for both invitees of the branch (the cadre did not come).
    // The share present (AVG of the boolean as 0/1), counted here on both engines.
    const marks = await db.kysely
      .selectFrom("Attendance")
      .select("present")
      .where("meetingId", "=", meeting.id)
      .execute();
    const attendance = marks.filter((m) => m.present).length / marks.length;
    expect(attendance).toBe(0.5);
    expect(cellUnder(units, 2, "Tỷ lệ có mặt")).toBe(attendance);
    expect(cellUnder(units, 2, "Ý kiến mới")).toBe(concerns);
    expect(cellUnder(units, 3, "Đơn vị")).toBe("Chi hội 1");
    expect(cellUnder(units, 3, "Hội viên")).toBe(2);
    const months = book.getWorksheet("Theo tháng")!;
    expect(months.rowCount).toBe(13);
    expect(months.getRow(13).getCell(1).value).toBeInstanceOf(Date);
    const meetingMonth = toLocal(new Date(meeting.startsAt), zone);
    const monthRow = months.getRows(2, 12)!.find((r) => {
      const d = r.getCell(1).value as Date;
      return d.getUTCFullYear() === meetingMonth.year && d.getUTCMonth() + 1 === meetingMonth.month;
    })!;
    expect(monthRow.getCell(2).value).toBe(1);

    const [csv] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Tải CSV" }).click(),
    ]);
    const text = readFileSync((await csv.path())!, "utf8");
    // With a BOM (Excel reads UTF-8), each table under its sheet's name.
    expect(text.startsWith("\ufeffĐơn vị\r\nĐơn vị,Cấp,Hội viên,")).toBe(true);
    expect(text).toContain(`Xã Phước Hòa,Xã,${members},3,100,`);

    // Drill down to a branch, then the print view of the meeting's month.
    await page.locator("#report-units a", { hasText: "Chi hội 1" }).click();
    await page.waitForURL(new RegExp(`unit=${tree.branchA1.id}`));
    expect(await page.locator("h1").innerText()).toBe("Báo cáo Chi hội 1");
    await page.locator("#report-units").waitFor();
    const monthKey = `${meetingMonth.year}-${String(meetingMonth.month).padStart(2, "0")}`;
    await page.getByLabel("Báo cáo tháng").selectOption(monthKey);
    await page.getByRole("button", { name: "Mở bản in" }).click();
    await page.waitForURL(/\/admin\/reports\/print/);
    expect(await page.locator("h1").innerText()).toBe(
      `Báo cáo tháng ${monthKey.slice(5)}/${monthKey.slice(0, 4)} — Chi hội 1`,
    );
    const figures = (await page.locator("#print-figures").innerText()).replace(/\s+/g, " ");
    expect(figures).toContain("Buổi sinh hoạt 1");
    expect(figures).toContain("Tỷ lệ có mặt 50%");
    await page.emulateMedia({ media: "print" });
    await shot(page, "51-report-print");
    await context.close();
  });

  it("should show a web action in the subtree's audit log, filtered by source, action and person", async () => {
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.official);
    await page.goto(`${ctx.running.service.url}/admin/tickets/${ctx.fx.ticketA}`);
    await page.getByRole("button", { name: "Nhận xử lý" }).click();
    await page.waitForURL(/done=take/);
    await page.getByRole("link", { name: "Nhật ký" }).first().click();
    await page.waitForURL(/\/admin\/audit/);
    await page.getByLabel("Từ đâu").selectOption("web");
    await page.getByLabel("Việc").selectOption("ticket.");
    await page.getByLabel("Người thao tác").selectOption({ label: "Trần Quốc Khánh" });
    await page.getByRole("button", { name: "Lọc" }).click();
    await page.waitForURL(/source=web/);
    const rows = page.locator("#audit tbody tr");
    expect(await rows.count()).toBe(1);
    const row = (await rows.first().innerText()).replace(/\s+/g, " ");
    expect(row).toContain("Trần Quốc Khánh trang quản lý nhận xử lý ý kiến");
    expect(row).toContain(`Ý kiến #${ctx.fx.ticketA}`);
    expect(await rows.first().getAttribute("data-action")).toBe("ticket.take");
    await shot(page, "52-audit");
    // The same action is not among the chat's.
    await page.goto(`${ctx.running.service.url}/admin/audit?source=chat&action=ticket.take`);
    expect(await page.locator("#audit tbody tr").count()).toBe(0);
    await context.close();
  });

  it("should not open another subtree's report, export, print view or audit log by URL", async () => {
    const tree = ctx.fx.tree;
    const { context, page } = await newPage(ctx.browser);
    await signIn(ctx.running, page, ctx.fx.cadre);
    const month = new Date().toISOString().slice(0, 7);
    for (const path of [
      `/admin/reports?unit=${tree.communeA.id}`,
      `/admin/reports?unit=${tree.branchB1.id}`,
      `/admin/reports?unit=${tree.province.id}`,
      `/admin/reports/export.xlsx?unit=${tree.branchB1.id}`,
      `/admin/reports/export.csv?unit=${tree.communeB.id}`,
      `/admin/reports/print?unit=${tree.branchB1.id}&month=${month}`,
      `/admin/reports/body?unit=${tree.branchB1.id}`,
      `/admin/audit?unit=${tree.branchB1.id}`,
      `/admin/audit?unit=${tree.communeA.id}`,
      "/admin/reports?unit=abc",
      "/admin/audit?unit=999999",
    ]) {
      const res = await page.request.get(`${ctx.running.service.url}${path}`);
      expect(res.status(), path).toBe(404);
      expect(await res.text(), path).not.toContain("Phường Quy Nhơn Nam");
    }
    // The cadre's own branch opens.
    expect((await page.goto(`${ctx.running.service.url}/admin/reports`))!.status()).toBe(200);
    expect(await page.locator("h1").innerText()).toBe("Báo cáo Chi hội 1");
    await page.locator("#report-units").waitFor();
    expect(
      (
        await page.request.get(`${ctx.running.service.url}/admin/reports/export.xlsx?unit=${tree.branchA1.id}`)
      ).status(),
    ).toBe(200);
    await context.close();
  });
});
