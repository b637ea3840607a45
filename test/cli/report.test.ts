import { readFileSync } from "node:fs";
import path from "node:path";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { setUpLongVinh, useCliFolder } from "../helpers/cli.ts";

const cli = useCliFolder();

describe("chihoi report", () => {
  it("should print the unit and its branches and write an .xlsx and a CSV whose figures match the database", async () => {
    await setUpLongVinh(cli, { branchHead: false });
    // A meeting of branch 1 in January 2026 answered by one of its two members.
    await cli.db(async (db) => {
      const branch = await db.kysely
        .selectFrom("Unit")
        .select("id")
        .where("name", "=", "Chi hội ấp 1")
        .executeTakeFirstOrThrow();
      const an = await db.kysely
        .selectFrom("Person")
        .select("id")
        .where("fullName", "=", "Nguyễn Văn An")
        .executeTakeFirstOrThrow();
      const starts = Date.parse("2026-01-10T12:00:00Z");
      const meeting = await db.kysely
        .insertInto("Meeting")
        .values({
          unitId: branch.id,
          title: "Sinh hoạt",
          startsAt: starts,
          endsAt: starts + 7_200_000,
          createdAt: starts,
          updatedAt: starts,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await db.kysely
        .insertInto("Rsvp")
        .values({ meetingId: meeting.id, personId: an.id, answer: "attend", answeredAt: starts })
        .execute();
    });

    const r = await cli.run(
      "report",
      "#1",
      "--from",
      "2025-07-01",
      "--to",
      "2026-06-30",
      "--xlsx",
      "report.xlsx",
      "--csv",
      "report.csv",
    );
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Báo cáo Hội Nông dân xã Long Vĩnh, từ 01/07/2025 đến 30/06/2026");
    expect(r.stdout).toContain("  Chi hội ấp 1 | 2 | 0% | 1 | 50% | — | — | 0 / 0 / 0 / 0 | — | —");
    expect(r.stdout).toContain("2026-01 | 1 | 50% | —");
    expect(r.stdout).toContain("Đã ghi báo cáo vào report.xlsx.");

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(path.join(cli.dir, "report.xlsx"));
    const units = wb.getWorksheet("Đơn vị")!;
    expect((units.getRow(3).values as unknown[]).slice(1, 4)).toEqual(["Chi hội ấp 1", "Chi hội", 2]);
    const header = (units.getRow(1).values as unknown[]).slice(1);
    expect(units.getRow(3).getCell(header.indexOf("Tỷ lệ trả lời") + 1).value).toBe(0.5);
    expect(units.getRow(2).getCell(3).value).toBe(3);
    const months = wb.getWorksheet("Theo tháng")!;
    expect((months.getRow(8).getCell(1).value as Date).toISOString().slice(0, 7)).toBe("2026-01");
    expect(months.getRow(8).getCell(2).value).toBe(1);
    expect(readFileSync(path.join(cli.dir, "report.csv"), "utf8")).toContain(
      "\r\nChi hội ấp 1,Chi hội,2,0,0,0,0,0,0,1,50,,,0,0,0,0,,\r\n",
    );
  });

  it("should refuse a date it cannot read and a period that ends before it starts, in words", async () => {
    await setUpLongVinh(cli, { branchHead: false });
    const bad = await cli.run("report", "#1", "--from", "31/12/2025");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Ngày "31/12/2025" không hợp lệ');
    const backwards = await cli.run("report", "#1", "--from", "2026-02-01", "--to", "2026-01-01");
    expect(backwards.code).toBe(1);
    expect(backwards.stderr).toContain("Khoảng thời gian báo cáo không hợp lệ");
  });
});
