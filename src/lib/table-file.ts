/**
 * Writes a table the CLI prints (stats, link codes) as a file people open in Excel: `.xlsx`
 * (exceljs: numbers as numbers, texts as text cells, so a code "012345" keeps its 0) or `.csv`
 * (csv-stringify; UTF-8 with BOM so Excel reads Vietnamese; a text column that looks like a number
 * is written as ="012345", the form Excel keeps as text when it opens a CSV).
 */
import { writeFileSync } from "node:fs";
import { stringify } from "csv-stringify/sync";
import ExcelJS from "exceljs";
import { zoneOffsetMinutes } from "./zoned-time.ts";

/** "date" and "month" cells are epoch milliseconds, shown as the calendar day (month) in the table's time zone. */
export type ColumnKind = "text" | "code" | "integer" | "decimal" | "percent" | "date" | "month";

export interface TableColumn {
  header: string;
  kind: ColumnKind;
  /** Width in characters for .xlsx. */
  width?: number;
}

export type TableCell = string | number | null;

export interface Table {
  sheet: string;
  columns: TableColumn[];
  rows: TableCell[][];
  /** Indent level of each row's first cell in .xlsx (a tree), optional. */
  indents?: number[];
  /** Zone of "date" and "month" cells (default Asia/Ho_Chi_Minh). */
  timeZone?: string;
}

/**
 * One CSV cell's text. A code is written as the formula ="012345" because Excel opening a CSV turns
 * 012345 into the number 12345 and shows a leading apostrophe literally; the formula's result is the
 * text. A text Excel would run as a formula (=, +, @) gets an apostrophe in front.
 */
function csvCell(value: TableCell, kind: ColumnKind, timeZone?: string): string {
  if (value === null || value === "") return "";
  if (typeof value === "number" && (kind === "date" || kind === "month"))
    return wallClock(value, timeZone)
      .toISOString()
      .slice(0, kind === "date" ? 10 : 7);
  if (typeof value === "number") return kind === "percent" ? String(Math.round(value * 100)) : String(value);
  return kind === "code" ? `="${value}"` : /^[=+@]/.test(value) ? `'${value}` : value;
}

/** CSV lines (RFC 4180, CRLF); a field with a semicolon or a lone CR or LF is quoted too (Excel set to read ";" lists). */
function csvLines(records: string[][]): string {
  return stringify(records, { record_delimiter: "\r\n", quoted_match: /[;\r\n]/ });
}

/** The table as CSV text (CRLF lines, no BOM). Percent columns are whole percentages. */
export function tableCsv(table: Table): string {
  const header = table.columns.map((c) => csvCell(c.kind === "percent" ? `${c.header} (%)` : c.header, "text"));
  const rows = table.rows.map((row) => row.map((v, i) => csvCell(v, table.columns[i]!.kind, table.timeZone)));
  return csvLines([header, ...rows]);
}

const numberFormats: Record<ColumnKind, string | undefined> = {
  text: "@",
  code: "@",
  integer: "0",
  decimal: "0.0",
  percent: "0%",
  date: "dd/mm/yyyy",
  month: "mm/yyyy",
};

/**
 * An instant as the Date whose UTC fields are the zone's wall clock: Excel dates have no time
 * zone, and exceljs writes a Date's UTC fields.
 */
function wallClock(ms: number, zone = "Asia/Ho_Chi_Minh"): Date {
  return new Date(ms + zoneOffsetMinutes(ms, zone) * 60_000);
}

function xlsxCell(value: TableCell, kind: ColumnKind, zone?: string): string | number | Date | null {
  if (value === null) return null;
  if (kind === "code" || kind === "text") return String(value);
  if ((kind === "date" || kind === "month") && typeof value === "number") return wallClock(value, zone);
  return value;
}

function addSheet(wb: ExcelJS.Workbook, table: Table): void {
  const ws = wb.addWorksheet(table.sheet.slice(0, 31), { views: [{ state: "frozen", ySplit: 1 }] });
  ws.columns = table.columns.map((c) => ({
    header: c.header,
    width: c.width ?? Math.max(10, c.header.length + 2),
    style: { numFmt: numberFormats[c.kind] },
  }));
  ws.getRow(1).font = { bold: true };
  table.rows.forEach((row, r) => {
    const added = ws.addRow(row.map((v, i) => xlsxCell(v, table.columns[i]!.kind, table.timeZone)));
    const indent = table.indents?.[r];
    if (indent) added.getCell(1).alignment = { indent };
  });
}

/** The table as an .xlsx workbook (one sheet, bold frozen header, typed columns). */
export async function tableXlsx(table: Table): Promise<Buffer> {
  return tablesXlsx([table]);
}

/** Several tables as one .xlsx workbook, one sheet each (bold frozen header, typed columns, widths set). */
export async function tablesXlsx(tables: Table[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  for (const table of tables) addSheet(wb, table);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Several tables as one CSV text: each headed by its sheet name, a blank line between them. */
export function tablesCsv(tables: Table[]): string {
  return tables.map((table) => `${csvLines([[csvCell(table.sheet, "text")]])}${tableCsv(table)}`).join("\r\n");
}

/** Writes the table to `file` as .xlsx or as CSV with a BOM (so Excel reads Vietnamese). */
export async function writeTableFile(file: string, table: Table, format: "csv" | "xlsx"): Promise<void> {
  await writeTablesFile(file, [table], format);
}

/** Writes tables to `file`: .xlsx with one sheet each, or CSV with a BOM (one table alone has no title line). */
export async function writeTablesFile(file: string, tables: Table[], format: "csv" | "xlsx"): Promise<void> {
  if (format === "xlsx") writeFileSync(file, await tablesXlsx(tables));
  else writeFileSync(file, `\uFEFF${tables.length === 1 ? tableCsv(tables[0]!) : tablesCsv(tables)}`);
}
