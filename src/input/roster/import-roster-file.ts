/** A roster file on disk (`chihoi members import`) read and applied to the database. */
import { type ImportOptions, type ImportResult, importRosterRows } from "../../domain/roster/import-roster.ts";
import type { Database } from "../../storage/database.ts";
import { readRoster } from "./read-roster.ts";

export interface ImportRosterFileOptions extends ImportOptions {
  file: string;
}

/** Reads and applies a roster file. Throws AppError for whole-file problems (missing, format, empty). */
export async function importRosterFile(db: Database, options: ImportRosterFileOptions): Promise<ImportResult> {
  const read = await readRoster(options.file);
  return importRosterRows(db, read.rows, read.issues, options);
}
