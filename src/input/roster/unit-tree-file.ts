/**
 * Reads a unit tree from a CSV or Excel file with columns "Đơn vị" (name), "Trực thuộc" (parent
 * name; empty = directly under the chosen unit) and "Cấp" (level label), in any order, a header row
 * anywhere in the first rows; and imports it (`chihoi units import`).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import ExcelJS from "exceljs";
import type { Actor } from "../../domain/access/actor.ts";
import {
  importUnitTree,
  type UnitLine,
  type UnitTreeIssue,
  type UnitTreeRead,
} from "../../domain/roster/import-units.ts";
import { AppError } from "../../lib/app-error.ts";
import { foldVietnamese, tidyText } from "../../lib/vietnamese.ts";
import type { Database } from "../../storage/database.ts";
import { fileReadError } from "./file-errors.ts";

const nameHeaders = ["don vi", "ten don vi", "ten", "unit", "name"];
const parentHeaders = ["truc thuoc", "cap tren", "don vi cap tren", "don vi truc thuoc", "parent"];
const levelHeaders = ["cap", "loai", "cap don vi", "level"];

/** A table's cells as text; in `wrongType`, the cells (row → column → shown value) that Excel holds as a date or a true/false, never a unit's name or level. */
interface Table {
  rows: string[][];
  wrongType: Map<number, Map<number, string>>;
}

async function readTable(file: string): Promise<Table> {
  const wrongType = new Map<number, Map<number, string>>();
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (error) {
    throw fileReadError(error, path.basename(file));
  }
  if (!buffer.length) throw new AppError("file_empty", { file: path.basename(file) });
  if (buffer[0] === 0x50 && buffer[1] === 0x4b) {
    const wb = new ExcelJS.Workbook();
    try {
      await wb.xlsx.load(buffer as unknown as ArrayBuffer);
    } catch {
      throw new AppError("file_format", { file: path.basename(file), reason: "xlsx_corrupt" });
    }
    const sheet = wb.worksheets.find((w) => w.rowCount > 0);
    if (!sheet) throw new AppError("file_empty", { file: path.basename(file) });
    const rows: string[][] = [];
    sheet.eachRow({ includeEmpty: true }, (row, n) => {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, col) => {
        const value = cell.type === ExcelJS.ValueType.Formula ? (cell.result as unknown) : cell.value;
        if (value instanceof Date || typeof value === "boolean") {
          const shown =
            value instanceof Date
              ? `${String(value.getUTCDate()).padStart(2, "0")}/${String(value.getUTCMonth() + 1).padStart(2, "0")}/${value.getUTCFullYear()}`
              : String(value);
          if (!wrongType.has(n - 1)) wrongType.set(n - 1, new Map());
          wrongType.get(n - 1)!.set(col - 1, shown);
          cells[col - 1] = shown;
        } else cells[col - 1] = cell.text ?? "";
      });
      rows[n - 1] = cells;
    });
    return { rows: Array.from(rows, (r) => r ?? []), wrongType };
  }
  const text = buffer.toString("utf8").replace(/^\uFEFF/, "");
  if (text.includes("\u0000") || text.includes("\uFFFD"))
    throw new AppError("file_format", { file: path.basename(file), reason: "binary" });
  const first = text.split(/\r?\n/, 1)[0] ?? "";
  const delimiter = [";", "\t", ","].sort((a, b) => first.split(b).length - first.split(a).length)[0]!;
  try {
    return {
      rows: parseCsv(text, { delimiter, relax_column_count: true, skip_empty_lines: false }) as string[][],
      wrongType,
    };
  } catch {
    throw new AppError("file_format", { file: path.basename(file), reason: "csv_quotes" });
  }
}

function findColumn(cells: string[], names: string[]): number {
  return cells.findIndex((c) =>
    names.includes(
      foldVietnamese(c)
        .replace(/[^a-z ]/g, "")
        .trim(),
    ),
  );
}

/**
 * The units listed in a file, with the issues of the rows that cannot be units (a date as a name,
 * a missing name). Throws AppError for whole-file problems (missing, format, no header, empty).
 */
export async function readUnitTree(file: string): Promise<UnitTreeRead> {
  const { rows: table, wrongType } = await readTable(file);
  let header = -1;
  let cols = { name: -1, parent: -1, level: -1 };
  for (let i = 0; i < Math.min(table.length, 30); i++) {
    const name = findColumn(table[i]!, nameHeaders);
    if (name >= 0) {
      header = i;
      cols = { name, parent: findColumn(table[i]!, parentHeaders), level: findColumn(table[i]!, levelHeaders) };
      break;
    }
  }
  if (header < 0) throw new AppError("file_format", { file: path.basename(file), reason: "no_header" });
  const lines: UnitLine[] = [];
  const issues: UnitTreeIssue[] = [];
  for (let i = header + 1; i < table.length; i++) {
    const cells = table[i]!;
    if (cells.every((c) => !String(c ?? "").trim())) continue;
    const badCell = [cols.name, cols.parent, cols.level].find((c) => c >= 0 && wrongType.get(i)?.has(c));
    if (badCell !== undefined) {
      issues.push({
        line: i + 1,
        code: "wrong_type",
        params: { column: tidyText(String(table[header]![badCell] ?? "")), value: wrongType.get(i)!.get(badCell)! },
      });
      continue;
    }
    const name = tidyText(String(cells[cols.name] ?? ""));
    if (!name) {
      issues.push({ line: i + 1, code: "unit_name_missing", params: {} });
      continue;
    }
    lines.push({
      line: i + 1,
      name,
      parent: cols.parent >= 0 ? tidyText(String(cells[cols.parent] ?? "")) || null : null,
      level: cols.level >= 0 ? tidyText(String(cells[cols.level] ?? "")) : "",
    });
  }
  if (!lines.length && !issues.length) throw new AppError("file_empty", { file: path.basename(file) });
  return { lines, issues };
}

/**
 * Imports the unit tree of a file under the unit `rootId` (see importUnitTree); the file is read
 * only once the actor may administer that unit.
 */
export async function importUnitTreeFile(
  db: Database,
  { actor, file, rootId, dryRun, now }: { actor: Actor; file: string; rootId: number; dryRun?: boolean; now?: Date },
): ReturnType<typeof importUnitTree> {
  return importUnitTree(db, { actor, read: () => readUnitTree(file), rootId, dryRun, now });
}
