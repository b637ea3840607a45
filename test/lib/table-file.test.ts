import { describe, expect, it } from "vitest";
import { tableCsv, tablesCsv, type Table } from "../../src/lib/table-file.ts";

const table: Table = {
  sheet: "Mã liên kết",
  columns: [
    { header: "Họ và tên", kind: "text" },
    { header: "Mã", kind: "code" },
    { header: "Tỉ lệ", kind: "percent" },
    { header: "Ngày", kind: "date" },
  ],
  rows: [
    ["Nguyễn Văn An", "012345", 0.5, Date.parse("2026-12-04T18:00:00Z")],
    ['Lê "Bé" Hoa; ấp 2', null, null, null],
    ["=1+1", "7", 1, null],
    ["dòng 1\ndòng 2", "", 0, null],
  ],
  timeZone: "Asia/Ho_Chi_Minh",
};

describe("tableCsv", () => {
  it("should write CRLF lines Excel opens as meant: codes as text, no formulas, quotes and separators escaped", () => {
    expect(tableCsv(table)).toBe(
      [
        "Họ và tên,Mã,Tỉ lệ (%),Ngày",
        'Nguyễn Văn An,"=""012345""",50,2026-12-05',
        '"Lê ""Bé"" Hoa; ấp 2",,,',
        '\'=1+1,"=""7""",100,',
        '"dòng 1\ndòng 2",,0,',
        "",
      ].join("\r\n"),
    );
  });
});

describe("tablesCsv", () => {
  it("should head each table with its sheet name and put a blank line between tables", () => {
    const one: Table = { sheet: "A; B", columns: [{ header: "x", kind: "integer" }], rows: [[1]] };
    expect(tablesCsv([one, { ...one, sheet: "C" }])).toBe('"A; B"\r\nx\r\n1\r\n\r\nC\r\nx\r\n1\r\n');
  });
});
