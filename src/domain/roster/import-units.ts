/**
 * Imports a unit tree from a CSV or Excel file with columns "Đơn vị" (name), "Trực thuộc" (parent
 * name; empty = directly under the chosen unit) and "Cấp" (level label), in any order, a header row
 * anywhere in the first rows. Parents may be listed before or after their children. Existing units
 * are kept (re-importing changes nothing).
 */
import { assertActorCan, type Actor } from "../access/actor.ts";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import ExcelJS from "exceljs";
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { foldVietnamese, tidyText } from "../../lib/vietnamese.ts";
import { fileReadError } from "./read-roster.ts";
import { createUnit, getUnit, subtreeRange, usualChildLevel, type UnitRow } from "../units/unit-service.ts";

const unitColumns = ["id", "organisationId", "parentId", "name", "levelLabel", "path", "depth"] as const;

interface UnitLine {
  line: number;
  name: string;
  parent: string | null;
  level: string;
}

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

export async function importUnitTreeFile(
  db: Database,
  actor: Actor,
  file: string,
  rootId: number,
  options: { dryRun?: boolean; now?: Date } = {},
): Promise<{ created: string[]; issues: { line: number; code: string; params: Record<string, string | number> }[] }> {
  await assertActorCan(db, actor, "administer", rootId);
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
  const issues: { line: number; code: string; params: Record<string, string | number> }[] = [];
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

  const root = await getUnit(db, rootId);
  const [lo, hi] = subtreeRange(root.path);
  const fileNames = new Set(lines.map((l) => foldVietnamese(l.name)));
  // Parents must exist in the database under the root, or be named in the file.
  for (const l of lines) {
    if (!l.parent) continue;
    const key = foldVietnamese(l.parent);
    if (key === foldVietnamese(root.name) || fileNames.has(key)) continue;
    const n = Number(
      (
        await db.kysely
          .selectFrom("Unit")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("nameKey", "=", key)
          .where("path", ">=", lo)
          .where("path", "<", hi)
          .executeTakeFirstOrThrow()
      ).n,
    );
    if (n === 0) issues.push({ line: l.line, code: "parent_missing", params: { unit: l.parent, root: root.name } });
    if (n > 1) issues.push({ line: l.line, code: "unit_ambiguous", params: { unit: l.parent } });
  }
  const created: string[] = [];
  if (issues.length) return { created, issues };

  const apply = async () => {
    const known = new Map<string, UnitRow>([[foldVietnamese(root.name), root]]);
    const lookup = async (key: string): Promise<UnitRow | undefined> =>
      known.get(key) ??
      (await db.kysely
        .selectFrom("Unit")
        .select(unitColumns)
        .where("nameKey", "=", key)
        .where("path", ">=", lo)
        .where("path", "<", hi)
        .orderBy("path")
        .executeTakeFirst());
    let pending = [...lines];
    while (pending.length) {
      const next: UnitLine[] = [];
      for (const l of pending) {
        const parent = l.parent ? await lookup(foldVietnamese(l.parent)) : root;
        if (!parent) {
          next.push(l);
          continue;
        }
        const existing = await db.kysely
          .selectFrom("Unit")
          .select(unitColumns)
          .where("parentId", "=", parent.id)
          .where("nameKey", "=", foldVietnamese(l.name))
          .executeTakeFirst();
        if (existing) known.set(foldVietnamese(l.name), existing);
        else {
          const unit = options.dryRun
            ? ({ ...parent, id: -1 - created.length, name: l.name, parentId: parent.id } as UnitRow)
            : await createUnit(
                db,
                actor,
                { parentId: parent.id, name: l.name, levelLabel: l.level || (await usualChildLevel(db, parent.id)) },
                options.now,
              );
          known.set(foldVietnamese(l.name), unit);
          created.push(l.name);
        }
      }
      if (next.length === pending.length) {
        for (const l of next) issues.push({ line: l.line, code: "unit_cycle_in_file", params: { unit: l.name } });
        throw new AppError("invalid_input", { field: "parent" });
      }
      pending = next;
    }
  };
  try {
    if (options.dryRun) await apply();
    else await db.transaction(apply);
  } catch (e) {
    if (issues.length) return { created: [], issues };
    throw e;
  }
  return { created, issues };
}
