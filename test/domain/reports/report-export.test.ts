import { describe, expect, it } from "vitest";
import ExcelJS from "exceljs";
import { unitReport } from "../../../src/domain/reports/unit-report.ts";
import { reportCsv, reportXlsx } from "../../../src/domain/reports/report-tables.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { answerTicket, createTicket } from "../../../src/domain/tickets/ticket-service.ts";
import { createDirective, markRead, sendDirective } from "../../../src/domain/directives/directive-service.ts";
import { translator } from "../../../src/lib/i18n.ts";
import { addTestPerson } from "../../helpers/people.ts";
import { useTreeDatabase } from "../../helpers/tree.ts";

const ctx = useTreeDatabase();
const now = new Date("2027-03-15T03:00:00Z");
const hours = (h: number) => new Date(now.getTime() - h * 3_600_000);

describe("report export", () => {
  it("should write one sheet per table with Vietnamese headers, numbers, percentages and dates that match the database", async () => {
    const { db, tree } = ctx;
    const cadre = await addTestPerson(db, tree.branchA1.id, "Trần Văn Bình", { role: "cadre" });
    const a = await addTestPerson(db, tree.branchA1.id, "Nguyễn Văn An");
    await addTestPerson(db, tree.branchB1.id, "Đỗ Văn Dũng", { linked: false });
    const ticket = await createTicket(db, { personId: a, text: "Đường ngập nước" }, hours(30));
    await answerTicket(db, { ticketId: ticket.id, personId: cadre, text: "Đã báo xã", now: hours(27) });
    const d = await createDirective(
      db,
      {
        unitId: tree.branchA1.id,
        kind: "thong_bao",
        number: "12/TB",
        title: "Thông báo họp",
        summary: "Họp tổng kết năm.",
        createdById: cadre,
      },
      hours(10),
    );
    await sendDirective(db, d.id, { now: hours(9), byPersonId: cadre });
    await db.kysely.updateTable("DirectiveDelivery").set({ status: "sent" }).where("directiveId", "=", d.id).execute();
    await markRead(db, { directiveId: d.id, personId: a, viaAccountId: null, now: hours(8) });

    const report = await unitReport(db, systemActor("cli"), tree.province.id, { now });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await reportXlsx(report, translator("vi"))) as never);
    expect(wb.worksheets.map((w) => w.name)).toEqual(["Đơn vị", "Theo tháng", "Văn bản", "Ý kiến", "Chậm trả lời"]);

    const units = wb.getWorksheet("Đơn vị")!;
    const header = (units.getRow(1).values as unknown[]).slice(1);
    expect(header.slice(0, 5)).toEqual(["Đơn vị", "Cấp", "Hội viên", "Đã liên kết", "Tỷ lệ liên kết"]);
    const members = Number(
      (
        await db.kysely
          .selectFrom("Membership")
          .select((eb) => eb.fn.count("personId").distinct().as("n"))
          .where("role", "in", ["member", "cadre"])
          .executeTakeFirstOrThrow()
      ).n,
    );
    const linked = Number(
      (
        await db.kysely
          .selectFrom("Person")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("linkedAccounts", ">", 0)
          .executeTakeFirstOrThrow()
      ).n,
    );
    const row = units.getRow(2);
    expect(row.getCell(1).value).toBe("Tỉnh Bình Định");
    expect(row.getCell(3).value).toBe(members);
    expect(row.getCell(4).value).toBe(linked);
    expect(row.getCell(5).value).toBeCloseTo(linked / members);
    expect(row.getCell(5).numFmt).toBe("0%");
    expect(units.getColumn(1).width).toBe(36);
    expect(units.rowCount).toBe(1 + 1 + 2); // province and its two communes
    const first = header.indexOf("Trả lời đầu tiên, trung vị (giờ)") + 1;
    expect(row.getCell(first).value).toBe(3);
    expect(typeof row.getCell(first).value).toBe("number");

    const directives = wb.getWorksheet("Văn bản")!;
    const sent = directives.getRow(2).getCell(1);
    expect(sent.value).toBeInstanceOf(Date);
    expect(sent.numFmt).toBe("dd/mm/yyyy");
    expect((sent.value as Date).toISOString().slice(0, 10)).toBe("2027-03-15"); // sent 18:00 UTC on the 14th: 01:00 on the 15th in Vietnam
    expect(directives.getRow(2).getCell(2).value).toBe("12/TB");
    expect(directives.getRow(2).getCell(5).value).toBe(2);
    expect(directives.getRow(2).getCell(6).value).toBe(1);
    expect(directives.getRow(2).getCell(7).value).toBe(0.5);

    const concerns = wb.getWorksheet("Ý kiến")!;
    expect((concerns.getRow(2).values as unknown[]).slice(1)).toEqual(["Hạ tầng", "đã trả lời", 1]);
    const months = wb.getWorksheet("Theo tháng")!;
    expect(months.rowCount).toBe(13);
    expect(months.getRow(13).getCell(1).numFmt).toBe("mm/yyyy");
    expect((months.getRow(13).getCell(1).value as Date).toISOString().slice(0, 7)).toBe("2027-03");

    const csv = reportCsv(report, translator("en"));
    expect(csv).toContain("Units\r\nUnit,Level,Members,Linked,Linked share (%)");
    expect(csv).toContain(`\r\nTỉnh Bình Định,Tỉnh,${members},${linked},${Math.round((100 * linked) / members)},`);
    expect(csv).toContain("\r\n2027-03-15,12/TB,thong_bao,Thông báo họp,2,1,50\r\n");
  });
});
