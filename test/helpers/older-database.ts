/** A SQLite database as an earlier release left it, for upgrade tests. */
import { cpSync, mkdirSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { applyMigrations, listMigrations, migrationsDir } from "../../src/storage/migrate.ts";

/**
 * Creates `file` in `dir` with the SQLite migrations named before `firstNew` applied (foreign keys
 * on, as the service opens a database) and returns its open connection: write the older rows
 * with it, close it, then open the file with the service to upgrade it.
 */
export function olderDatabase(dir: string, file: string, firstNew: string): BetterSqlite3.Database {
  const before = path.join(dir, "old-migrations");
  mkdirSync(before);
  for (const m of listMigrations().filter((m) => m.name < firstNew))
    cpSync(path.join(migrationsDir, m.name), path.join(before, m.name), { recursive: true });
  const old = new BetterSqlite3(file);
  old.pragma("foreign_keys = ON");
  applyMigrations(old, before);
  return old;
}
