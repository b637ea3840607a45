import path from "node:path";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { setUpLongVinh, useCliFolder } from "../helpers/cli.ts";

const cli = useCliFolder({ TELEGRAM_BOT_USERNAME: "@ChiHoiLongVinhBot", BOT_NAME: "Chi Hội Long Vĩnh" });

async function readSheet(file: string): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  return wb.worksheets[0]!;
}

describe("chihoi codes", () => {
  it("should keep a code that starts with 0 as text in Excel and in CSV, and name the bot and its link", async () => {
    await setUpLongVinh(cli, { branchHead: true });
    // Force a code with a leading zero onto one person's valid code (codes are opaque strings).
    expect((await cli.run("codes", "Chi hội ấp 2")).code).toBe(0);
    await cli.db((db) =>
      db.kysely
        .updateTable("LinkCode")
        .set({ code: "004213370099" })
        .where("personId", "=", (eb) => eb.selectFrom("Person").select("id").where("fullName", "=", "Trần Văn Bình"))
        .execute(),
    );

    expect((await cli.run("codes", "Chi hội ấp 2", "--out", "codes.xlsx")).stdout).toContain(
      "Đã ghi 1 mã vào codes.xlsx.",
    );
    const sheet = await readSheet(path.join(cli.dir, "codes.xlsx"));
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

    const csv = await cli.run("codes", "Chi hội ấp 2");
    expect(csv.stderr).toBe("");
    expect(csv.stdout.split("\r\n")[1]).toMatch(
      /^Trần Văn Bình,Chi hội ấp 2,"=""0042 1337 0099""",\d{2}\/\d{2}\/\d{4},,Nhắn mã 0042 1337 0099 cho bot Chi Hội Long Vĩnh trên Telegram \(https:\/\/t\.me\/ChiHoiLongVinhBot\)$/,
    );
  });

  it("should warn when the slips cannot name the bot's link", async () => {
    await setUpLongVinh(cli, { branchHead: true });
    const r = await cli.runWith({ TELEGRAM_BOT_USERNAME: undefined, BOT_NAME: undefined }, "codes", "Chi hội ấp 2");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("phiếu chưa ghi đường dẫn tới bot");
    expect(r.stdout).toContain("cho bot Chi Hội trên Telegram hoặc Zalo");
  });

  it("should say in codes --help that it writes an Excel .xlsx or a .csv file", async () => {
    const help = await cli.run("codes", "--help");
    expect(help.stdout.replace(/\s+/g, " ")).toContain(
      "vào tệp Excel .xlsx (mã giữ nguyên dạng chữ) hay .csv với --out",
    );
    expect(help.stdout.replace(/\s+/g, " ")).toContain(".xlsx (Excel) hoặc .csv, theo đuôi tên tệp");
  });
});
