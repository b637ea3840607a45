import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { cliTestEnv, cliTestTimeout, removeCliDir, runCli, withCliDatabase } from "../helpers/cli.ts";

let dir: string;
let env: NodeJS.ProcessEnv;
const run = (...args: string[]) => runCli(dir, env, ...args);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "chihoi-cli-reports-"));
  env = await cliTestEnv(dir, { TELEGRAM_BOT_USERNAME: "@ChiHoiLongVinhBot", BOT_NAME: "Chi Hội Long Vĩnh" });
  expect((await run("init", "--org", "Hội Nông dân xã Long Vĩnh", "--code", "hnd-lv", "--level", "Xã")).code).toBe(0);
  writeFileSync(
    path.join(dir, "units.csv"),
    "Đơn vị,Trực thuộc,Cấp\nChi hội ấp 1,Hội Nông dân xã Long Vĩnh,Chi hội\nChi hội ấp 2,Hội Nông dân xã Long Vĩnh,Chi hội\n",
  );
  expect((await run("units", "import", "units.csv", "--parent", "#1")).code).toBe(0);
  writeFileSync(
    path.join(dir, "roster.csv"),
    "Họ và tên,SĐT,Chi hội,Chức vụ\nNguyễn Văn An,0912345678,Chi hội ấp 1,Chi hội trưởng\nLê Thị Hoa,0912345679,Chi hội ấp 1,\nTrần Văn Bình,0912345680,Chi hội ấp 2,\n",
  );
  expect((await run("members", "import", "roster.csv", "--unit", "#1")).stderr).toBe("");
  // The branch head is also a commune official; a second official holds no member role.
  expect(
    (
      await run(
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
    (await run("admin", "add", "--unit", "#1", "--name", "Phạm Văn Chủ", "--phone", "0912345681", "--role", "official"))
      .code,
  ).toBe(0);
}, cliTestTimeout);
afterAll(() => removeCliDir(dir));

async function readSheet(file: string): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  return wb.worksheets[0]!;
}

describe("chihoi stats", { timeout: cliTestTimeout }, () => {
  it("should count people once, add concerns and read rates, and write CSV and Excel with numbers as numbers", async () => {
    const r = await run("stats", "#1", "--csv", "stats.csv", "--xlsx", "stats.xlsx");
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Hội Nông dân xã Long Vĩnh (Xã) | 3 | 0 (0%)");
    expect(r.stdout).toContain("  Chi hội ấp 1 (Chi hội) | 2 | 0 (0%)");
    expect(r.stdout).toContain("Ý kiến, văn bản | Đang mở | Quá hạn");
    expect(r.stdout).toContain("Hội Nông dân xã Long Vĩnh | 0 | 0 | — | —");
    const csv = readFileSync(path.join(dir, "stats.csv"), "utf8");
    expect(csv.startsWith("\uFEFFĐơn vị,Cấp,Hội viên,Đã liên kết,Tỷ lệ liên kết (%),Ý kiến đang mở")).toBe(true);
    expect(csv).toContain("\r\nChi hội ấp 1,Chi hội,2,0,0,0,0,,,0,,\r\n");
    const sheet = await readSheet(path.join(dir, "stats.xlsx"));
    expect(sheet.getRow(1).getCell(3).value).toBe("Hội viên");
    expect(sheet.getRow(2).getCell(1).value).toBe("Hội Nông dân xã Long Vĩnh");
    expect(sheet.getRow(2).getCell(3).value).toBe(3);
    expect(sheet.getRow(3).getCell(1).alignment?.indent).toBe(1);
    expect(sheet.getRow(2).getCell(5).value).toBe(0);
    expect(sheet.getRow(2).getCell(5).numFmt).toBe("0%");
  });
});

describe("chihoi codes", { timeout: cliTestTimeout }, () => {
  it("should keep a code that starts with 0 as text in Excel and in CSV, and name the bot and its link", async () => {
    // Force a code with a leading zero onto one person's valid code (codes are opaque strings).
    expect((await run("codes", "Chi hội ấp 2")).code).toBe(0);
    await withCliDatabase(dir, (db) =>
      db.kysely
        .updateTable("LinkCode")
        .set({ code: "004213370099" })
        .where("personId", "=", (eb) => eb.selectFrom("Person").select("id").where("fullName", "=", "Trần Văn Bình"))
        .execute(),
    );

    expect((await run("codes", "Chi hội ấp 2", "--out", "codes.xlsx")).stdout).toContain("Đã ghi 1 mã vào codes.xlsx.");
    const sheet = await readSheet(path.join(dir, "codes.xlsx"));
    expect(sheet.getRow(1).values).toEqual([
      undefined,
      "Họ và tên",
      "Đơn vị",
      "Mã liên kết",
      "Hết hạn",
      "Đã liên kết",
      "Hướng dẫn",
    ]);
    const code = sheet.getRow(2).getCell(3);
    expect(code.value).toBe("0042 1337 0099");
    expect(code.type).toBe(ExcelJS.ValueType.String);
    expect(code.numFmt).toBe("@");
    expect(sheet.getRow(2).getCell(6).value).toBe(
      "Nhắn mã 0042 1337 0099 cho bot Chi Hội Long Vĩnh trên Telegram (https://t.me/ChiHoiLongVinhBot)",
    );

    const csv = await run("codes", "Chi hội ấp 2");
    expect(csv.stderr).toBe("");
    expect(csv.stdout.split("\r\n")[1]).toMatch(
      /^Trần Văn Bình,Chi hội ấp 2,"=""0042 1337 0099""",\d{2}\/\d{2}\/\d{4},,Nhắn mã 0042 1337 0099 cho bot Chi Hội Long Vĩnh trên Telegram \(https:\/\/t\.me\/ChiHoiLongVinhBot\)$/,
    );
  });

  it("should warn when the slips cannot name the bot's link", async () => {
    const r = await runCli(dir, await cliTestEnv(dir), "codes", "Chi hội ấp 2");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("phiếu chưa ghi đường dẫn tới bot");
    expect(r.stdout).toContain("cho bot Chi Hội trên Telegram hoặc Zalo");
  });
});
