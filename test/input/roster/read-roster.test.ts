import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../../../src/lib/app-error.ts";
import { catalog, translator } from "../../../src/lib/i18n.ts";
import { type RosterIssue, type RosterRow, rosterIssueCodes } from "../../../src/domain/roster/roster-row.ts";
import { rosterFileReasons } from "../../../src/input/roster/file-errors.ts";
import { readRoster, readRosterBuffer } from "../../../src/input/roster/read-roster.ts";
import type { RosterReadResult } from "../../../src/input/roster/row-builder.ts";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/roster");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "chihoi-roster-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every AppError and issue the tests see, to check the locale messages against real params. */
const seenErrors: AppError[] = [];
const seenIssues: RosterIssue[] = [];

async function read(buffer: Buffer, name: string): Promise<RosterReadResult> {
  const result = await readRosterBuffer(buffer, name);
  seenIssues.push(...result.issues);
  return result;
}

function csv(text: string, name = "ds.csv"): Promise<RosterReadResult> {
  return read(Buffer.from(text, "utf8"), name);
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    seenErrors.push(error);
    return error;
  }
  throw new Error("expected an AppError");
}

interface SheetSpec {
  name?: string;
  rows: unknown[][];
  hidden?: boolean;
  setup?: (sheet: ExcelJS.Worksheet) => void;
}

async function makeXlsx(...sheets: SheetSpec[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  sheets.forEach((spec, i) => {
    const sheet = workbook.addWorksheet(spec.name ?? `Sheet${i + 1}`);
    if (spec.hidden) sheet.state = "hidden";
    for (const row of spec.rows) sheet.addRow(row);
    spec.setup?.(sheet);
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

async function xlsx(...sheets: SheetSpec[]): Promise<RosterReadResult> {
  return read(await makeXlsx(...sheets), "ds.xlsx");
}

function row(line: number, fields: Partial<RosterRow> & { fullName: string }): RosterRow {
  return {
    line,
    phone: null,
    unitName: null,
    title: null,
    role: "member",
    birthYear: null,
    gender: null,
    note: null,
    ...fields,
  };
}

function issue(line: number, code: string, params: Record<string, string | number> = {}): RosterIssue {
  return { line, code, params: { line, ...params } } as RosterIssue;
}

const thisYear = new Date(Date.now() + 7 * 3600_000).getUTCFullYear();

describe("readRoster", () => {
  describe("header row", () => {
    it.each([
      "Họ và tên",
      "Họ tên",
      "Họ và tên hội viên",
      "Tên",
      "Ho ten",
      "HỌ VÀ TÊN",
      "họ và tên",
      "Họ và tên (*)",
      "Họ và tên:",
      "Full name",
      "Name",
    ])("should recognise %j as the full-name column", async (header) => {
      const result = await csv(`${header},Ghi chú\nNguyễn Văn An,x\n`);
      expect(result.columns).toEqual(["fullName", "note"]);
      expect(result.rows).toEqual([row(2, { fullName: "Nguyễn Văn An", note: "x" })]);
    });

    it.each([
      "Số điện thoại",
      "SĐT",
      "SDT",
      "Điện thoại",
      "ĐT",
      "Di động",
      "Phone",
      "Số ĐT",
      "sđt:",
      "Số điện thoại (*)",
      "Zalo",
    ])("should recognise %j as the phone column", async (header) => {
      const result = await csv(`Họ và tên,${header}\nNguyễn Văn An,0912345678\n`);
      expect(result.columns).toEqual(["fullName", "phone"]);
      expect(result.rows[0]!.phone).toBe("0912345678");
    });

    it.each(["Đơn vị", "Chi hội", "Chi đoàn", "Tổ", "Unit", "Tên đơn vị", "Tên chi hội", "DON VI"])(
      "should recognise %j as the unit column",
      async (header) => {
        const result = await csv(`Họ và tên,${header}\nNguyễn Văn An,Yên Hòa\n`);
        expect(result.columns).toEqual(["fullName", "unitName"]);
        expect(result.rows[0]!.unitName).toBe("Yên Hòa");
      },
    );

    it("should recognise the Vietnamese title, birth year, gender and note columns in any order", async () => {
      const result = await csv("Ghi chú,GIỚI TÍNH,Năm sinh,Chức vụ,Họ và tên\nmới,Nữ,1960,Tổ trưởng,Trần Thị Bình\n");
      expect(result.columns).toEqual(["fullName", "title", "birthYear", "gender", "note"]);
      expect(result.rows).toEqual([
        row(2, {
          fullName: "Trần Thị Bình",
          title: "Tổ trưởng",
          role: "cadre",
          birthYear: 1960,
          gender: "nu",
          note: "mới",
        }),
      ]);
    });

    it("should recognise headers typed without diacritics", async () => {
      const result = await csv(
        "ho va ten,so dien thoai,don vi,chuc vu,nam sinh,gioi tinh,ghi chu\nLê Văn C,0912345678,Tổ 2,Hội viên,1950,nam,\n",
      );
      expect(result.columns).toEqual(["fullName", "phone", "unitName", "title", "birthYear", "gender", "note"]);
    });

    it("should recognise English headers", async () => {
      const result = await csv(
        "Full name,Phone,Unit,Title,Birth year,Gender,Note\nLe Van C,0912345678,Group 2,Member,1950,M,hi\n",
      );
      expect(result.columns).toEqual(["fullName", "phone", "unitName", "title", "birthYear", "gender", "note"]);
      expect(result.rows).toEqual([
        row(2, {
          fullName: "Le Van C",
          phone: "0912345678",
          unitName: "Group 2",
          title: "Member",
          birthYear: 1950,
          gender: "nam",
          note: "hi",
        }),
      ]);
    });

    it("should take the year from a 'Ngày sinh' column", async () => {
      const result = await csv("Họ và tên,Ngày sinh\nA,12/05/1955\nB,1955-05-12\nC,5/1960\nD,1961\nE,12.05.1962\n");
      expect(result.columns).toEqual(["fullName", "birthYear"]);
      expect(result.rows.map((r) => r.birthYear)).toEqual([1955, 1955, 1960, 1961, 1962]);
    });

    it("should ignore STT and TT columns and unknown columns", async () => {
      const result = await csv("STT,TT,Họ và tên,Quê quán,Dân tộc\n1,1,Nguyễn Văn An,Hà Nam,Kinh\n");
      expect(result.columns).toEqual(["fullName"]);
      expect(result.rows).toEqual([row(2, { fullName: "Nguyễn Văn An" })]);
    });

    it("should join a 'Họ đệm' and a 'Tên' column into the full name", async () => {
      const result = await csv("STT,Họ đệm,Tên,SĐT\n1,Nguyễn Văn,An,0912345678\n2,,Bình,\n");
      expect(result.columns).toEqual(["fullName", "phone"]);
      expect(result.rows.map((r) => r.fullName)).toEqual(["Nguyễn Văn An", "Bình"]);
    });

    it("should find the header below a title row and blank rows", async () => {
      const result = await csv(
        "DANH SÁCH HỘI VIÊN CHI HỘI 1\n\n,,\nSTT,Họ và tên,Số điện thoại\n1,Nguyễn Văn An,0912345678\n\n2,Trần Thị Bình,0987654321\n",
      );
      expect(result.headerLine).toBe(4);
      expect(result.rows).toEqual([
        row(5, { fullName: "Nguyễn Văn An", phone: "0912345678" }),
        row(7, { fullName: "Trần Thị Bình", phone: "0987654321" }),
      ]);
    });

    it("should not mistake a title that mentions 'họ tên' for the header", async () => {
      const result = await csv("Danh sách họ tên hội viên chi hội\nHọ và tên\nNguyễn Văn An\n");
      expect(result.headerLine).toBe(2);
      expect(result.rows).toEqual([row(3, { fullName: "Nguyễn Văn An" })]);
    });

    it("should refuse a file without a name column, saying why", async () => {
      const error = await failure(csv("STT,Số điện thoại,Chi hội\n1,0912345678,Chi hội 1\n", "sdt.csv"));
      expect(error.code).toBe("file_format");
      expect(error.params).toEqual({ file: "sdt.csv", reason: "no_header", rows: 30 });
    });

    it("should refuse a file whose header is further down than the search reaches", async () => {
      const filler = Array.from({ length: 30 }, (_, i) => `Ghi chú dòng ${i + 1}`).join("\n");
      const error = await failure(csv(`${filler}\nHọ và tên\nNguyễn Văn An\n`));
      expect(error.params.reason).toBe("no_header");
    });
  });

  describe("CSV", () => {
    it("should read a semicolon CSV with a BOM, a title, column numbers and a signature block", async () => {
      const result = await readRoster(path.join(fixtures, "chi-hoi-1-semicolon-bom.csv"));
      seenIssues.push(...result.issues);
      expect(result.format).toBe("csv");
      expect(result.headerLine).toBe(5);
      expect(result.columns).toEqual(["fullName", "phone", "unitName", "title", "birthYear", "gender", "note"]);
      expect(result.rows).toEqual([
        row(7, {
          fullName: "Nguyễn Văn An",
          phone: "0912345678",
          unitName: "Chi hội 1",
          title: "Chi hội trưởng",
          role: "cadre",
          birthYear: 1955,
          gender: "nam",
        }),
        row(8, {
          fullName: "Trần Thị Bình",
          phone: "0987654321",
          unitName: "Chi hội 1",
          title: "Hội viên",
          birthYear: 1958,
          gender: "nu",
          note: "Chuyển đến; từ xã khác",
        }),
      ]);
      expect(result.issues).toEqual([
        issue(9, "phone_duplicate", { phone: "0912345678", firstLine: 7 }),
        issue(10, "name_missing"),
        issue(11, "phone_invalid", { column: "Số điện thoại", value: "0123" }),
        issue(11, "birth_year_invalid", { column: "Năm sinh", value: "1890", min: 1900, max: thisYear }),
      ]);
    });

    it("should read the same rows with and without a BOM", async () => {
      const text = "Họ và tên;SĐT\nNguyễn Văn An;0912345678\n";
      const withBom = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), "a.csv");
      const without = await csv(text);
      expect(withBom.rows).toEqual([row(2, { fullName: "Nguyễn Văn An", phone: "0912345678" })]);
      expect(without).toEqual(withBom);
    });

    it("should read quoted commas, doubled quotes and line breaks inside quotes, numbering rows as a spreadsheet does", async () => {
      const result = await readRoster(path.join(fixtures, "chi-doan-comma.csv"));
      seenIssues.push(...result.issues);
      expect(result.rows).toEqual([
        row(2, { fullName: "Nguyễn Văn An", phone: "0912345678", unitName: "Chi đoàn 1, xã Yên Hòa" }),
        row(3, {
          fullName: "Trần Thị Bình",
          phone: "0987654321",
          unitName: "Chi đoàn 2",
          note: "Dòng một dòng hai, có dấu phẩy",
        }),
        row(4, { fullName: 'Lê "Cu" Văn Cường', phone: "0911222333", unitName: "Chi đoàn 2" }),
      ]);
      // Physical line 6, but the fifth row of the sheet.
      expect(result.issues).toEqual([issue(5, "phone_duplicate", { phone: "0912345678", firstLine: 2 })]);
    });

    it("should detect a tab-separated file", async () => {
      const result = await csv(
        "STT\tHọ và tên\tĐiện thoại\tGhi chú\n1\tNguyễn Văn An\t0912345678\tcó, dấu phẩy\n",
        "ds.txt",
      );
      expect(result.rows).toEqual([row(2, { fullName: "Nguyễn Văn An", phone: "0912345678", note: "có, dấu phẩy" })]);
    });

    it("should prefer the separator that makes a header over one that merely appears", async () => {
      // Commas inside the names, semicolons between the columns.
      const result = await csv("Họ và tên;SĐT;Ghi chú\nNguyễn Văn An, Jr;0912345678;a, b\n");
      expect(result.rows).toEqual([row(2, { fullName: "Nguyễn Văn An, Jr", phone: "0912345678", note: "a, b" })]);
    });

    it("should obey Excel's sep= line and not count it as a row", async () => {
      const result = await csv("sep=;\r\nHọ và tên;SĐT\r\nNguyễn Văn An;0912 345 678\r\n");
      expect(result.headerLine).toBe(1);
      expect(result.rows).toEqual([row(2, { fullName: "Nguyễn Văn An", phone: "0912345678" })]);
    });

    it("should read old Mac line ends and mixed line ends", async () => {
      const result = await csv('Họ và tên,SĐT\r"Nguyễn Văn An",0912345678\r\nTrần Thị Bình,0987654321\nLê C,\r');
      expect(result.rows.map((r) => [r.line, r.fullName])).toEqual([
        [2, "Nguyễn Văn An"],
        [3, "Trần Thị Bình"],
        [4, "Lê C"],
      ]);
    });

    it("should read UTF-16 text saved by Excel as 'Unicode Text'", async () => {
      const text = "Họ và tên\tSĐT\r\nNguyễn Văn An\t0912345678\r\n";
      const le = await read(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]), "ds.txt");
      expect(le.rows).toEqual([row(2, { fullName: "Nguyễn Văn An", phone: "0912345678" })]);
      const be = Buffer.from(text, "utf16le").swap16();
      const big = await read(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), "ds.txt");
      expect(big.rows).toEqual(le.rows);
      const bomless = await read(Buffer.from(text, "utf16le"), "ds.txt");
      expect(bomless.rows).toEqual(le.rows);
    });

    it("should report a file that is not UTF-8 as unreadable (iconv-lite is not installed)", async () => {
      // "Họ tên" and a name in Windows-1258 / 1252 bytes: not valid UTF-8.
      const bytes = Buffer.from([
        0x48, 0xf4, 0x20, 0x74, 0xea, 0x6e, 0x0a, 0x4e, 0x67, 0x75, 0x79, 0xea, 0x6e, 0x20, 0x41, 0x0a,
      ]);
      const error = await failure(read(bytes, "ansi.csv"));
      expect(error.code).toBe("file_unreadable");
      expect(error.params).toEqual({ file: "ansi.csv", reason: "encoding" });
    });

    it("should report an unclosed quote with the row where it starts", async () => {
      const error = await failure(csv('Họ tên,SĐT\nA,0912345678\n"B,0987654321\nC,0911111111\n', "q.csv"));
      expect(error.code).toBe("file_format");
      expect(error.params).toEqual({ file: "q.csv", reason: "csv_quotes", line: 3 });
    });

    it("should read a 100,000-row CSV correctly", async () => {
      const lines = ["DANH SÁCH HỘI VIÊN", "STT;Họ và tên;Số điện thoại;Chi hội;Chức vụ;Năm sinh;Giới tính"];
      for (let i = 0; i < 100_000; i++)
        lines.push(
          `${i + 1};Nguyễn Văn Người ${i};09${String(10_000_000 + i)};${(i % 50) + 1};${i % 20 ? "Hội viên" : "Chi hội trưởng"};${1940 + (i % 60)};${i % 2 ? "Nam" : "Nữ"}`,
        );
      lines.push("1;Trùng Số;0910000000;1;;;");
      const result = await csv(lines.join("\r\n"));
      expect(result.rows).toHaveLength(100_000);
      expect(result.rows[0]).toEqual(
        row(3, {
          fullName: "Nguyễn Văn Người 0",
          phone: "0910000000",
          unitName: "Chi hội 1",
          title: "Chi hội trưởng",
          role: "cadre",
          birthYear: 1940,
          gender: "nu",
        }),
      );
      expect(result.rows[99_999]).toEqual(
        row(100_002, {
          fullName: "Nguyễn Văn Người 99999",
          phone: "0910099999",
          unitName: "Chi hội 50",
          title: "Hội viên",
          birthYear: 1979,
          gender: "nam",
        }),
      );
      expect(result.rows.filter((r) => r.role === "cadre")).toHaveLength(5_000);
      expect(result.issues).toEqual([issue(100_003, "phone_duplicate", { phone: "0910000000", firstLine: 3 })]);
    });
  });

  describe("rows", () => {
    it.each([
      ["0912 345 678"],
      ["0912345678"],
      ["+84912345678"],
      ["+84 912 345 678"],
      ["84.912.345.678"],
      ["(+84) 912-345-678"],
      ["+84 (0) 912 345 678"],
      ["912345678"],
      ["'0912345678"],
      ['="0912345678"'],
    ])("should normalise the phone %j", async (phone) => {
      const result = await csv(`Họ và tên,SĐT\nNguyễn Văn An,"${phone.replace(/"/g, '""')}"\n`);
      expect(result.issues).toEqual([]);
      expect(result.rows[0]!.phone).toBe("0912345678");
    });

    it("should report an invalid phone with its raw value and line", async () => {
      const result = await csv("Họ và tên,Số ĐT\nA,0912 345 67\nB,0912345678 / 0987654321\nC,chưa có\nD,\n");
      expect(result.issues).toEqual([
        issue(2, "phone_invalid", { column: "Số ĐT", value: "0912 345 67" }),
        issue(3, "phone_invalid", { column: "Số ĐT", value: "0912345678 / 0987654321" }),
        issue(4, "phone_invalid", { column: "Số ĐT", value: "chưa có" }),
      ]);
      expect(result.rows).toEqual([row(5, { fullName: "D" })]);
    });

    it("should report a phone used twice, naming both lines, and keep the first row", async () => {
      const result = await csv(
        "Họ và tên,SĐT\nA,0912345678\nB,0987654321\nC,+84 912 345 678\nD,84987654321\nE,0912.345.678\n",
      );
      expect(result.rows.map((r) => r.line)).toEqual([2, 3]);
      expect(result.issues).toEqual([
        issue(4, "phone_duplicate", { phone: "0912345678", firstLine: 2 }),
        issue(5, "phone_duplicate", { phone: "0987654321", firstLine: 3 }),
        issue(6, "phone_duplicate", { phone: "0912345678", firstLine: 2 }),
      ]);
    });

    it("should report every problem of invalid rows with the right line numbers", async () => {
      const result = await csv(
        [
          "DANH SÁCH",
          "",
          "Họ và tên,Năm sinh,Giới tính,SĐT",
          "Nguyễn Văn An,1955,Nam,",
          ",1960,Nữ,",
          "Trần B,1850,Nữ,",
          `Lê C,${thisYear + 1},nam,`,
          "Phạm D,abc,khác,",
          "12345,,,",
          "Hồ E,55,,123",
          "Vũ F,31/13/1960,,",
        ].join("\n"),
      );
      expect(result.rows).toEqual([row(4, { fullName: "Nguyễn Văn An", birthYear: 1955, gender: "nam" })]);
      const range = { column: "Năm sinh", min: 1900, max: thisYear };
      expect(result.issues).toEqual([
        issue(5, "name_missing"),
        issue(6, "birth_year_invalid", { ...range, value: "1850" }),
        issue(7, "birth_year_invalid", { ...range, value: String(thisYear + 1) }),
        issue(8, "birth_year_invalid", { ...range, value: "abc" }),
        issue(8, "gender_invalid", { column: "Giới tính", value: "khác" }),
        issue(9, "name_not_text", { column: "Họ và tên", value: "12345" }),
        issue(10, "phone_invalid", { column: "SĐT", value: "123" }),
        issue(10, "birth_year_invalid", { ...range, value: "55" }),
        issue(11, "birth_year_invalid", { ...range, value: "31/13/1960" }),
      ]);
    });

    it.each([
      ["Nam", "nam"],
      ["nam", "nam"],
      ["NAM", "nam"],
      ["M", "nam"],
      ["Male", "nam"],
      ["Nữ", "nu"],
      ["nữ", "nu"],
      ["nu", "nu"],
      ["F", "nu"],
      ["female", "nu"],
    ])("should read the gender %j as %s", async (text, gender) => {
      const result = await csv(`Họ và tên,Giới tính\nA,${text}\n`);
      expect(result.rows[0]!.gender).toBe(gender);
    });

    it("should tidy names, keeping diacritics and case", async () => {
      const nfd = "Nguyễn Thị Ánh".normalize("NFD");
      const result = await csv(`Họ và tên\n"  NGUYỄN   VĂN\tAN "\n${nfd}\nNguyễn\u200B Văn Bé\n`);
      expect(result.rows.map((r) => r.fullName)).toEqual(["NGUYỄN VĂN AN", "Nguyễn Thị Ánh", "Nguyễn Văn Bé"]);
      expect(result.rows[1]!.fullName).toBe("Nguyễn Thị Ánh".normalize("NFC"));
    });

    it("should turn a bare number under 'Tổ' or 'Chi hội' into the unit's name", async () => {
      const byTo = await csv("Họ và tên,Tổ\nA,1\nB,Tổ 2\nC,Hòa Bình\n");
      expect(byTo.rows.map((r) => r.unitName)).toEqual(["Tổ 1", "Tổ 2", "Hòa Bình"]);
      const byUnit = await csv("Họ và tên,Đơn vị\nA,1\n");
      expect(byUnit.rows[0]!.unitName).toBe("1");
    });

    it("should skip blank rows, rows with only their STT, and a row of column numbers", async () => {
      const result = await csv("STT,Họ và tên,SĐT\n(1),(2),(3)\n1,Nguyễn Văn An,0912345678\n,,\n   ,  ,\n2,,\n3,,\n");
      expect(result.rows).toEqual([row(3, { fullName: "Nguyễn Văn An", phone: "0912345678" })]);
      expect(result.issues).toEqual([]);
    });

    it("should stop at the totals and signature block under the list", async () => {
      const result = await csv(
        [
          "STT,Họ và tên,Chức vụ",
          "1,Nguyễn Văn An,Hội viên",
          "Tổng cộng: 1 hội viên,,",
          ',,"Yên Hòa, ngày 15 tháng 3 năm 2025"',
          ",,CHI HỘI TRƯỞNG",
          ",,Trần Văn Ký",
        ].join("\n"),
      );
      expect(result.rows).toEqual([row(2, { fullName: "Nguyễn Văn An", title: "Hội viên" })]);
      expect(result.issues).toEqual([]);
    });

    it("should give the rows under a section row that section's unit", async () => {
      const result = await csv(
        [
          "STT;Họ và tên;SĐT;Chức vụ",
          "I;CHI HỘI THÔN 1;;",
          "1;Nguyễn Văn An;0912345678;Chi hội trưởng",
          "2;Tô Văn Lâm;;",
          "II. Chi hội Thôn 2;;;",
          "1;Trần Thị Bình;0987654321;",
          ";Tổ 3;;",
          "1;Lê Văn C;;",
        ].join("\n"),
      );
      expect(result.rows.map((r) => [r.line, r.fullName, r.unitName])).toEqual([
        [3, "Nguyễn Văn An", "CHI HỘI THÔN 1"],
        [4, "Tô Văn Lâm", "CHI HỘI THÔN 1"],
        [6, "Trần Thị Bình", "Chi hội Thôn 2"],
        [8, "Lê Văn C", "Tổ 3"],
      ]);
      expect(result.issues).toEqual([]);
    });

    it("should prefer the unit column to the section and not take a unit-only row for a section", async () => {
      const result = await csv(
        "Họ và tên,Chi hội\nChi hội Thôn 1,\nNguyễn Văn An,Chi hội 5\nTrần Thị Bình,\n,Chi hội 6\n",
      );
      expect(result.rows.map((r) => [r.fullName, r.unitName])).toEqual([
        ["Nguyễn Văn An", "Chi hội 5"],
        ["Trần Thị Bình", "Chi hội Thôn 1"],
      ]);
      expect(result.issues).toEqual([issue(5, "name_missing")]);
    });

    it("should skip the header when it is repeated further down", async () => {
      const result = await csv("Họ và tên,SĐT\nNguyễn Văn An,0912345678\nHọ và tên,SĐT\nTrần Thị Bình,0987654321\n");
      expect(result.rows.map((r) => r.line)).toEqual([2, 4]);
      expect(result.issues).toEqual([]);
    });

    it("should keep the title text and map it to a role", async () => {
      const result = await csv("Họ và tên,Chức vụ\nA,Chi hội trưởng\nB,Hội viên\nC,\n");
      expect(result.rows.map((r) => [r.title, r.role])).toEqual([
        ["Chi hội trưởng", "cadre"],
        ["Hội viên", "member"],
        [null, "member"],
      ]);
    });
  });

  describe("xlsx", () => {
    it("should read a sheet with a title row, numbers that lost their zero, dates, rich text, hyperlinks and formulas", async () => {
      const result = await xlsx({
        rows: [
          ["DANH SÁCH HỘI VIÊN CHI HỘI 1"],
          [],
          ["STT", "Họ và tên", "SĐT", "Tổ", "Chức vụ", "Ngày sinh", "Giới tính", "Ghi chú"],
          [
            1,
            { richText: [{ text: "Nguyễn " }, { font: { bold: true }, text: "Văn An" }] },
            912345678,
            1,
            "Tổ trưởng",
            new Date(Date.UTC(1955, 4, 12)),
            "Nam",
            null,
          ],
          [
            2,
            "Trần Thị Bình",
            { text: "0987 654 321", hyperlink: "tel:0987654321" },
            2,
            "Hội viên",
            1960,
            "Nữ",
            { text: "hồ sơ", hyperlink: "https://example.org" },
          ],
          [
            3,
            "Lê Văn Cường",
            { formula: '"091"&"1222333"', result: "0911222333" },
            "Hòa Bình",
            null,
            { formula: "1950+1", result: 1951 },
            "nam",
            null,
          ],
          [4, "Phạm Thị Dung", 84911444555, null, null, 20221, null, null],
        ],
        setup: (sheet) => {
          sheet.mergeCells("A1:H1");
          sheet.getCell("F4").numFmt = "dd/mm/yyyy";
        },
      });
      expect(result.format).toBe("xlsx");
      expect(result.headerLine).toBe(3);
      expect(result.columns).toEqual(["fullName", "phone", "unitName", "title", "birthYear", "gender", "note"]);
      expect(result.issues).toEqual([]);
      expect(result.rows).toEqual([
        row(4, {
          fullName: "Nguyễn Văn An",
          phone: "0912345678",
          unitName: "Tổ 1",
          title: "Tổ trưởng",
          role: "cadre",
          birthYear: 1955,
          gender: "nam",
        }),
        row(5, {
          fullName: "Trần Thị Bình",
          phone: "0987654321",
          unitName: "Tổ 2",
          title: "Hội viên",
          birthYear: 1960,
          gender: "nu",
          note: "hồ sơ",
        }),
        row(6, { fullName: "Lê Văn Cường", phone: "0911222333", unitName: "Hòa Bình", birthYear: 1951, gender: "nam" }),
        // 20221 is a date serial shown as "General": 10/05/1955.
        row(7, { fullName: "Phạm Thị Dung", phone: "0911444555", birthYear: 1955 }),
      ]);
    });

    it("should report a formula error, a date in the phone column and a number as a name", async () => {
      const result = await xlsx({
        rows: [
          ["Họ và tên", "Điện thoại", "Năm sinh", "Chi hội"],
          ["Nguyễn Văn An", { formula: "1/0", result: { error: "#DIV/0!" } }, 1955, "Chi hội 1"],
          ["Trần Thị Bình", new Date(Date.UTC(2024, 0, 2)), 1960, "Chi hội 1"],
          [12345, "0912345678", 1950, "Chi hội 2"],
          ["Lê C", "0987654321", { formula: "#REF!+1", result: { error: "#REF!" } }, new Date(Date.UTC(2025, 4, 1))],
          ["Phạm D", true, true, "Chi hội 2"],
        ],
      });
      expect(result.rows).toEqual([]);
      expect(result.issues).toEqual([
        issue(2, "cell_error", { column: "Điện thoại", value: "=1/0" }),
        issue(3, "phone_not_text", { column: "Điện thoại", value: "02/01/2024" }),
        issue(4, "name_not_text", { column: "Họ và tên", value: "12345" }),
        issue(5, "wrong_type", { column: "Chi hội", value: "01/05/2025" }),
        issue(5, "cell_error", { column: "Năm sinh", value: "=#REF!+1" }),
        issue(6, "phone_not_text", { column: "Điện thoại", value: "TRUE" }),
        issue(6, "wrong_type", { column: "Năm sinh", value: "TRUE" }),
      ]);
    });

    it("should report a plain error cell", async () => {
      const result = await xlsx({
        rows: [
          ["Họ và tên", "SĐT"],
          ["A", { error: "#N/A" }],
        ],
      });
      expect(result.issues).toEqual([issue(2, "cell_error", { column: "SĐT", value: "#N/A" })]);
    });

    it("should use the first non-empty worksheet and skip hidden ones", async () => {
      const result = await xlsx(
        { name: "Trống", rows: [] },
        { name: "Danh mục", hidden: true, rows: [["Họ và tên"], ["Ẩn Danh"]] },
        { name: "DS", rows: [["Danh sách"], ["Họ và tên", "SĐT"], ["Nguyễn Văn An", "0912345678"]] },
        { name: "Khác", rows: [["Họ và tên"], ["Không Đọc"]] },
      );
      expect(result.headerLine).toBe(2);
      expect(result.rows).toEqual([row(3, { fullName: "Nguyễn Văn An", phone: "0912345678" })]);
    });

    it("should pass over a sheet of instructions without a header", async () => {
      const result = await xlsx(
        { name: "Hướng dẫn", rows: [["Điền danh sách ở trang sau"], ["Không xóa dòng tiêu đề"]] },
        { name: "DS", rows: [["Họ và tên"], ["Nguyễn Văn An"]] },
      );
      expect(result.rows).toEqual([row(2, { fullName: "Nguyễn Văn An" })]);
    });

    it("should number rows as the spreadsheet does, gaps included", async () => {
      const result = await xlsx({
        rows: [],
        setup: (sheet) => {
          sheet.getCell("B5").value = "Họ và tên";
          sheet.getCell("C5").value = "SĐT";
          sheet.getCell("B9").value = "Nguyễn Văn An";
          sheet.getCell("C12").value = "0912345678";
        },
      });
      expect(result.headerLine).toBe(5);
      expect(result.rows).toEqual([row(9, { fullName: "Nguyễn Văn An" })]);
      expect(result.issues).toEqual([issue(12, "name_missing")]);
    });

    it("should report an empty workbook as empty", async () => {
      const error = await failure(xlsx({ name: "Sheet1", rows: [] }, { name: "Sheet2", rows: [[null, ""]] }));
      expect(error.code).toBe("file_empty");
      expect(error.params).toEqual({ file: "ds.xlsx", reason: "empty" });
    });

    it("should report a sheet with only a header as having no rows", async () => {
      const error = await failure(xlsx({ rows: [["Tiêu đề"], ["Họ và tên", "SĐT"]] }));
      expect(error.code).toBe("file_empty");
      expect(error.params).toEqual({ file: "ds.xlsx", reason: "no_rows", headerLine: 2 });
    });

    it("should report a sheet without a header", async () => {
      const error = await failure(xlsx({ rows: [["Nguyễn Văn An", "0912345678"]] }));
      expect(error.code).toBe("file_format");
      expect(error.params).toEqual({ file: "ds.xlsx", reason: "no_header", rows: 30 });
    });

    it("should read an .xlsx by its content whatever its name", async () => {
      const buffer = await makeXlsx({ rows: [["Họ và tên"], ["Nguyễn Văn An"]] });
      const result = await read(buffer, "danh-sach.csv");
      expect(result.format).toBe("xlsx");
      expect(result.rows).toEqual([row(2, { fullName: "Nguyễn Văn An" })]);
    });

    it("should fall back to reading in memory when the ZIP order defeats the streaming reader", async () => {
      // exceljs's streaming reader fails when the shared strings come before the sheets and
      // xl/workbook.xml after them; some tools write workbooks that way. jszip comes with exceljs.
      const { default: JSZip } = await import("jszip");
      const original = await makeXlsx({
        rows: [
          ["DANH SÁCH"],
          ["STT", "Họ và tên", "SĐT", "Ngày sinh"],
          ["I", "Chi hội Thôn 1", null, null],
          [1, "Nguyễn Văn An", 912345678, new Date(Date.UTC(1955, 4, 12))],
          [2, "Trần Thị Bình", { formula: "1/0", result: { error: "#DIV/0!" } }, null],
        ],
        setup: (sheet) => {
          sheet.mergeCells("A1:D1");
          sheet.mergeCells("B3:D3");
        },
      });
      const zip = await JSZip.loadAsync(original);
      const first = ["xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/styles.xml"];
      const names = Object.keys(zip.files).filter((name) => !zip.files[name]!.dir);
      const reordered = new JSZip();
      for (const name of [...first, ...names.filter((n) => !first.includes(n))])
        reordered.file(name, await zip.file(name)!.async("uint8array"));
      const buffer = await reordered.generateAsync({ type: "nodebuffer" });
      const result = await read(buffer, "ds.xlsx");
      expect(result.headerLine).toBe(2);
      expect(result.rows).toEqual([
        row(4, { fullName: "Nguyễn Văn An", phone: "0912345678", birthYear: 1955, unitName: "Chi hội Thôn 1" }),
      ]);
      // The in-memory reader keeps the error text itself.
      expect(result.issues).toEqual([issue(5, "cell_error", { column: "SĐT", value: "#DIV/0!" })]);
    });

    it("should report a damaged workbook as unreadable", async () => {
      const buffer = await makeXlsx({ rows: [["Họ và tên"], ["Nguyễn Văn An"]] });
      const error = await failure(read(buffer.subarray(0, Math.floor(buffer.length / 2)), "hong.xlsx"));
      expect(error.code).toBe("file_unreadable");
      expect(error.params.reason).toBe("xlsx_corrupt");
      expect(error.params.file).toBe("hong.xlsx");
    });

    it("should read an .xlsx file from disk", async () => {
      const file = path.join(dir, "chi-hoi.xlsx");
      await writeFile(
        file,
        await makeXlsx({
          rows: [
            ["Họ và tên", "SĐT"],
            ["Nguyễn Văn An", 912345678],
          ],
        }),
      );
      const result = await readRoster(file);
      expect(result.rows).toEqual([row(2, { fullName: "Nguyễn Văn An", phone: "0912345678" })]);
    });
  });

  describe("whole-file problems", () => {
    it("should report a missing file", async () => {
      const error = await failure(readRoster(path.join(dir, "khong-co.csv")));
      expect(error.code).toBe("file_missing");
      expect(error.params).toEqual({ file: "khong-co.csv", reason: "missing" });
    });

    it("should report a directory as unreadable, saying it is a folder", async () => {
      const error = await failure(readRoster(dir));
      expect(error.code).toBe("file_unreadable");
      expect(error.params.reason).toBe("folder");
    });

    it.each([
      ["an empty file", ""],
      ["a file of blank lines", "\r\n\r\n  \n"],
      ["a file of bare separators", ";;;;\r\n;;;;\r\n"],
      ["a BOM and nothing else", "\uFEFF"],
    ])("should report %s as empty", async (_, text) => {
      const error = await failure(csv(text, "trong.csv"));
      expect(error.code).toBe("file_empty");
      expect(error.params).toEqual({ file: "trong.csv", reason: "empty" });
    });

    it("should report a CSV with only a header as having no rows", async () => {
      const error = await failure(csv("Họ và tên,SĐT\n,\n"));
      expect(error.code).toBe("file_empty");
      expect(error.params).toEqual({ file: "ds.csv", reason: "no_rows", headerLine: 1 });
    });

    it("should refuse a PDF, even named .csv", async () => {
      const pdf = Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "latin1");
      const error = await failure(read(pdf, "danh-sach.csv"));
      expect(error.code).toBe("file_format");
      expect(error.params).toEqual({ file: "danh-sach.csv", reason: "pdf" });
    });

    it("should refuse random bytes", async () => {
      // A fixed pseudo-random sequence, so the test always sees the same bytes.
      let seed = 12345;
      const bytes = Buffer.from(
        Array.from({ length: 2048 }, () => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return (seed >>> 16) & 0xff;
        }),
      );
      const error = await failure(read(bytes, "ds.xlsx"));
      expect(error.code).toBe("file_format");
      expect(error.params).toEqual({ file: "ds.xlsx", reason: "binary" });
    });

    it("should refuse an old .xls workbook", async () => {
      const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]);
      const error = await failure(read(ole, "ds.xls"));
      expect(error.params).toEqual({ file: "ds.xls", reason: "xls" });
    });

    it("should recognise a password-protected workbook", async () => {
      const ole = Buffer.concat([
        Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
        Buffer.alloc(504),
        Buffer.from("EncryptedPackage", "utf16le"),
      ]);
      const error = await failure(read(ole, "ds.xlsx"));
      expect(error.params).toEqual({ file: "ds.xlsx", reason: "encrypted" });
    });

    it("should refuse a ZIP that is not a workbook", async () => {
      const docx = Buffer.concat([
        Buffer.from("PK\x03\x04", "latin1"),
        Buffer.from("\x14\x00\x00\x00word/document.xml", "latin1"),
      ]);
      const error = await failure(read(docx, "ds.docx"));
      expect(error.params).toEqual({ file: "ds.docx", reason: "zip_not_xlsx" });
    });

    it("should name an OpenDocument spreadsheet and a binary .xlsb workbook", async () => {
      const zip = (entry: string) =>
        Buffer.concat([Buffer.from("PK\x03\x04\x14\x00\x00\x00", "latin1"), Buffer.from(entry, "latin1")]);
      const ods = await failure(read(zip("mimetypeapplication/vnd.oasis.opendocument.spreadsheet"), "ds.ods"));
      expect(ods.params).toEqual({ file: "ds.ods", reason: "ods" });
      const xlsb = await failure(read(zip("xl/workbook.bin"), "ds.xlsb"));
      expect(xlsb.params).toEqual({ file: "ds.xlsb", reason: "xlsb" });
    });

    it("should refuse a web page saved with a spreadsheet extension", async () => {
      const error = await failure(
        csv("<html><body><table><tr><td>Họ và tên</td></tr></table></body></html>", "ds.xls"),
      );
      expect(error.params).toEqual({ file: "ds.xls", reason: "html" });
    });
  });

  describe("messages", () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

    it("should have every roster message in Vietnamese and English with the same placeholders", () => {
      const vi = catalog("vi");
      const en = catalog("en");
      const keys = (cat: Map<string, string>) => [...cat.keys()].filter((k) => k.startsWith("roster.")).sort();
      expect(keys(en)).toEqual(keys(vi));
      for (const key of keys(vi)) expect(placeholders(en.get(key)!), key).toEqual(placeholders(vi.get(key)!));
      for (const code of rosterIssueCodes) expect(vi.has(`roster.row.${code}`), code).toBe(true);
      for (const reason of rosterFileReasons) expect(vi.has(`roster.file.${reason}`), reason).toBe(true);
    });

    it("should fill every placeholder of the messages for the issues and errors produced above", () => {
      expect(new Set(seenIssues.map((i) => i.code))).toEqual(new Set(rosterIssueCodes));
      for (const lang of ["vi", "en"] as const) {
        const t = translator(lang);
        for (const i of seenIssues) {
          const text = t(`roster.row.${i.code}`, i.params);
          expect(text, `${lang} ${i.code}`).not.toMatch(/\{\w+\}/);
        }
        for (const e of seenErrors) {
          const text = t(`roster.file.${e.params.reason}`, e.params);
          expect(text, `${lang} ${e.params.reason}`).not.toMatch(/\{\w+\}|^roster\./);
        }
      }
    });
  });
});
