import path from "node:path";
import { readFileSync } from "node:fs";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import {
  addQuangTriOfficial,
  importQuangTriRoster,
  setUpLongVinh,
  setUpQuangTri,
  useCliFolder,
} from "../helpers/cli.ts";

const cli = useCliFolder({ TELEGRAM_BOT_USERNAME: "@ChiHoiLongVinhBot", BOT_NAME: "Chi Hội Long Vĩnh" });

/** The branch head is also a commune official; a second official holds no member role. */
async function addLongVinhOfficials(): Promise<void> {
  expect(
    (
      await cli.run(
        "admin",
        "add",
        "--unit",
        "#1",
        "--name",
        "Nguyễn Văn An",
        "--phone",
        "0912345678",
        "--role",
        "official",
      )
    ).code,
  ).toBe(0);
  expect(
    (
      await cli.run(
        "admin",
        "add",
        "--unit",
        "#1",
        "--name",
        "Phạm Văn Chủ",
        "--phone",
        "0912345681",
        "--role",
        "official",
      )
    ).code,
  ).toBe(0);
}

async function readSheet(file: string): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  return wb.worksheets[0]!;
}

describe("chihoi stats", () => {
  it("should count people once, add concerns and read rates, and write CSV and Excel with numbers as numbers", async () => {
    await setUpLongVinh(cli, { branchHead: true });
    await addLongVinhOfficials();
    const r = await cli.run("stats", "#1", "--csv", "stats.csv", "--xlsx", "stats.xlsx");
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Hội Nông dân xã Long Vĩnh (Xã) | 3 | 0 (0%)");
    expect(r.stdout).toContain("  Chi hội ấp 1 (Chi hội) | 2 | 0 (0%)");
    expect(r.stdout).toContain("Ý kiến, văn bản | Đang mở | Quá hạn");
    expect(r.stdout).toContain("Hội Nông dân xã Long Vĩnh | 0 | 0 | — | —");
    const csv = readFileSync(path.join(cli.dir, "stats.csv"), "utf8");
    expect(csv.startsWith("\uFEFFĐơn vị,Cấp,Hội viên,Đã liên kết,Tỷ lệ liên kết (%),Ý kiến đang mở")).toBe(true);
    expect(csv).toContain("\r\nChi hội ấp 1,Chi hội,2,0,0,0,0,,,0,,\r\n");
    const sheet = await readSheet(path.join(cli.dir, "stats.xlsx"));
    expect(sheet.getRow(1).getCell(3).value).toBe("Hội viên");
    expect(sheet.getRow(2).getCell(1).value).toBe("Hội Nông dân xã Long Vĩnh");
    expect(sheet.getRow(2).getCell(3).value).toBe(3);
    expect(sheet.getRow(3).getCell(1).alignment?.indent).toBe(1);
    expect(sheet.getRow(2).getCell(5).value).toBe(0);
    expect(sheet.getRow(2).getCell(5).numFmt).toBe("0%");
  });

  it("should count people, not roles, in the stats of the tree", async () => {
    await setUpQuangTri(cli);
    await importQuangTriRoster(cli);
    expect((await addQuangTriOfficial(cli)).code).toBe(0);
    const stats = await cli.run("stats", "Hội Cựu chiến binh tỉnh Quảng Trị");
    // People, not roles: the commune official added is not a member.
    expect(stats.stdout).toContain("Hội CCB xã Triệu Phong (Xã) | 2 | 0 (0%)");
  });
});
