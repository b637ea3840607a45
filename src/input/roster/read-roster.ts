/**
 * Reads a roster (danh sách hội viên) from a CSV or .xlsx file as Vietnamese officials really make
 * them — a title row and blank rows above the header, Vietnamese headers in any order, phones that
 * lost their leading zero in Excel, dates and formulas in cells — into validated rows with the
 * line numbers a spreadsheet user sees, and precise per-row issues for the rows that are wrong.
 *
 * Whole-file problems throw `AppError` ("file_missing", "file_unreadable", "file_empty",
 * "file_format") with `params.reason`, a key under "roster.file." in the locales. Row problems are
 * returned as `issues` (a key under "roster.row."); a row with any issue is not in `rows`.
 * Writing to the database is someone else's job.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { readCsv } from "./csv.ts";
import { decodeText, sniff } from "./decode.ts";
import { fileError, fileReadError } from "./file-errors.ts";
import type { RosterReadResult } from "./row-builder.ts";
import { readXlsx } from "./xlsx.ts";

/** Reads a roster file from disk. */
export async function readRoster(file: string): Promise<RosterReadResult> {
  const fileName = path.basename(file);
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (error) {
    throw fileReadError(error, fileName);
  }
  return readRosterBuffer(buffer, fileName);
}

/** Reads a roster from the bytes of a file; `fileName` is for messages (and is not trusted for the format). */
export async function readRosterBuffer(buffer: Buffer, fileName: string): Promise<RosterReadResult> {
  const file = path.basename(fileName);
  if (buffer.length === 0) throw fileError("file_empty", { file, reason: "empty" });
  const kind = sniff(buffer, file);
  if (kind === "xlsx") return readXlsx(buffer, file);
  return readCsv(await decodeText(buffer, file), file);
}
