/**
 * Reads a roster from an .xlsx workbook: the first visible sheet with a header, streamed so memory
 * stays small, read in memory when the streaming reader fails; formulas give their results, rich
 * text and hyperlinks their text, and error cells stay errors.
 */
import { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { isAppError } from "../../lib/app-error.ts";
import { type Cell, isBlank } from "./cells.ts";
import { fileError } from "./file-errors.ts";
import { findHeader, HEADER_SEARCH_ROWS, type RawRow } from "./find-header.ts";
import { finish, RosterBuilder, type RosterReadResult } from "./row-builder.ts";

/** One worksheet: whether it is hidden, and its rows in order (exceljs skips absent rows). */
interface SheetSource {
  hidden: boolean;
  rows: AsyncIterable<ExcelJS.Row> | Iterable<ExcelJS.Row>;
}

function isHidden(state: unknown): boolean {
  return state === "hidden" || state === "veryHidden";
}

/** Streaming: memory stays small however long the sheet. */
async function* streamedSheets(buffer: Buffer): AsyncGenerator<SheetSource> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(buffer), {
    worksheets: "emit",
    sharedStrings: "cache",
    styles: "cache", // needed to tell a date from a number
    hyperlinks: "ignore", // a hyperlinked cell then reads as its text
    entries: "ignore",
  });
  for await (const sheet of reader) {
    yield { hidden: isHidden((sheet as unknown as { state?: unknown }).state), rows: sheet };
  }
}

/**
 * The whole workbook in memory. Only used when the streaming reader fails, which it does on some
 * valid files whose ZIP entries come in an order it does not expect (workbook.xml after sheets).
 */
async function* loadedSheets(buffer: Buffer): AsyncGenerator<SheetSource> {
  const workbook = new ExcelJS.Workbook();
  // exceljs types its "Buffer" as an ArrayBuffer; at run time it takes a Node Buffer.
  await workbook.xlsx.load(buffer as unknown as Parameters<typeof workbook.xlsx.load>[0]);
  for (const sheet of workbook.worksheets) {
    const rows: ExcelJS.Row[] = [];
    sheet.eachRow({ includeEmpty: false }, (row) => rows.push(row));
    yield { hidden: isHidden(sheet.state), rows };
  }
}

export async function readXlsx(buffer: Buffer, file: string): Promise<RosterReadResult> {
  try {
    return await scanSheets(streamedSheets(buffer), file);
  } catch (error) {
    if (isAppError(error)) throw error;
    try {
      return await scanSheets(loadedSheets(buffer), file);
    } catch (again) {
      if (isAppError(again)) throw again;
      throw fileError("file_unreadable", {
        file,
        reason: "xlsx_corrupt",
        extra: { detail: String((error as Error)?.message ?? error) },
        cause: error,
      });
    }
  }
}

/**
 * Uses the first visible worksheet whose first rows hold a header; a sheet of instructions before
 * the list is passed over. The rows of sheets that are not used are read past, not kept.
 */
async function scanSheets(sheets: AsyncIterable<SheetSource>, file: string): Promise<RosterReadResult> {
  let sawContent = false;
  for await (const sheet of sheets) {
    let builder: RosterBuilder | null = null;
    let searching = !sheet.hidden;
    const pending: RawRow[] = [];
    for await (const row of sheet.rows) {
      if (builder) {
        builder.add(row.number, excelRowCells(row));
        continue;
      }
      if (!searching) continue;
      const cells = excelRowCells(row);
      if (cells.every(isBlank)) continue;
      sawContent = true;
      pending.push({ line: row.number, cells });
      if (pending.length >= HEADER_SEARCH_ROWS) {
        builder = startBuilder(pending);
        searching = false;
      }
    }
    if (searching && pending.length) builder = startBuilder(pending);
    if (builder) return finish(builder, "xlsx", file);
  }
  if (sawContent) throw fileError("file_format", { file, reason: "no_header", extra: { rows: HEADER_SEARCH_ROWS } });
  throw fileError("file_empty", { file, reason: "empty" });
}

function startBuilder(pending: RawRow[]): RosterBuilder | null {
  const header = findHeader(pending);
  if (!header) return null;
  const builder = new RosterBuilder(header);
  for (const row of pending) builder.add(row.line, row.cells);
  return builder;
}

// ————————————————————————————————————————————————————————————— cells

type RichTextRun = { text?: string | null };

/** exceljs cell values → Cell. Rich text is joined, hyperlinks give their text, formulas their result. */
function fromExcel(value: unknown, depth = 0): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return unescapeExcel(value);
  if (typeof value === "number") return Number.isNaN(value) ? { error: "#VALUE!" } : value;
  if (typeof value === "boolean") return value;
  if (value instanceof Date) return value;
  if (typeof value !== "object" || depth > 3) return String(value);
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.richText)) return unescapeExcel((v.richText as RichTextRun[]).map((r) => r.text ?? "").join(""));
  if (typeof v.error === "string") return { error: v.error };
  if ("formula" in v || "sharedFormula" in v) {
    // The streaming reader parses an error result ("#N/A") as a number: NaN.
    if (typeof v.result === "number" && Number.isNaN(v.result))
      return { error: `=${String(v.formula ?? v.sharedFormula)}` };
    if (v.result === undefined) return null;
    return fromExcel(v.result, depth + 1);
  }
  if ("hyperlink" in v || "text" in v) return fromExcel(v.text, depth + 1);
  return String(value);
}

/**
 * The cells of an exceljs row, 0-based. Read cell by cell: a formula whose cached result is an
 * error ("#DIV/0!") comes out of the streaming reader as a NaN result that `row.values` drops.
 */
function excelRowCells(row: ExcelJS.Row): Cell[] {
  const cells: Cell[] = [];
  row.eachCell({ includeEmpty: false }, (cell, col) => {
    // The in-memory reader repeats a merged cell's value in every cell it covers; keep it once.
    if (cell.type === ExcelJS.ValueType.Merge) return;
    let value: Cell;
    if (cell.type === ExcelJS.ValueType.Formula) {
      const result = cell.result as unknown;
      value = typeof result === "number" && Number.isNaN(result) ? { error: `=${cell.formula}` } : fromExcel(result);
    } else value = fromExcel(cell.value);
    cells[col - 1] = value;
  });
  for (let i = 0; i < cells.length; i++) if (cells[i] === undefined) cells[i] = null;
  return cells;
}

/** Excel escapes control characters in XML as _x000D_. */
function unescapeExcel(text: string): string {
  return text.includes("_x")
    ? text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    : text;
}
