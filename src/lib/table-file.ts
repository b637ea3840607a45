/**
 * Writes a table the CLI prints (stats, link codes) as a file people open in Excel: `.xlsx`
 * (exceljs: numbers as numbers, texts as text cells, so a code "012345" keeps its 0) or `.csv`
 * (UTF-8 with BOM so Excel reads Vietnamese; a text column that looks like a number is written
 * as ="012345", the form Excel keeps as text when it opens a CSV).
 */
import { writeFileSync } from "node:fs";
import ExcelJS from "exceljs";

export type ColumnKind = "text" | "code" | "integer" | "decimal" | "percent";

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
}

/**
 * One CSV field, quoted when needed (RFC 4180). A code is written as the formula ="012345" (quoted:
 * "=""012345""") because Excel opening a CSV turns 012345 into the number 12345 and shows a leading
 * apostrophe literally; the formula's result is the text. A text Excel would run as a formula
 * (=, +, @) gets an apostrophe in front.
 */
export function csvField(value: TableCell, kind: ColumnKind): string {
  if (value === null || value === "") return "";
  if (typeof value === "number") return kind === "percent" ? String(Math.round(value * 100)) : String(value);
  const text = kind === "code" ? `="${value}"` : /^[=+@]/.test(value) ? `'${value}` : value;
  return /[",\n\r;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The table as CSV text (CRLF lines, no BOM). Percent columns are whole percentages. */
export function tableCsv(table: Table): string {
  const header = table.columns.map((c) => csvField(c.kind === "percent" ? `${c.header} (%)` : c.header, "text")).join(",");
  const lines = table.rows.map((row) => row.map((v, i) => csvField(v, table.columns[i]!.kind)).join(","));
  return [header, ...lines].join("\r\n") + "\r\n";
}

const numberFormats: Record<ColumnKind, string | undefined> = {
  text: "@", code: "@", integer: "0", decimal: "0.0", percent: "0%",
};

/** The table as an .xlsx workbook (one sheet, bold frozen header, typed columns). */
export async function tableXlsx(table: Table): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(table.sheet.slice(0, 31), { views: [{ state: "frozen", ySplit: 1 }] });
  ws.columns = table.columns.map((c) => ({ header: c.header, width: c.width ?? Math.max(10, c.header.length + 2), style: { numFmt: numberFormats[c.kind] } }));
  ws.getRow(1).font = { bold: true };
  table.rows.forEach((row, r) => {
    const added = ws.addRow(row.map((v, i) => (v === null ? null : table.columns[i]!.kind === "code" || table.columns[i]!.kind === "text" ? String(v) : v)));
    const indent = table.indents?.[r];
    if (indent) added.getCell(1).alignment = { indent };
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Writes the table to `file` as .xlsx or as CSV with a BOM (so Excel reads Vietnamese). */
export async function writeTableFile(file: string, table: Table, format: "csv" | "xlsx"): Promise<void> {
  writeFileSync(file, format === "xlsx" ? await tableXlsx(table) : "\uFEFF" + tableCsv(table));
}
