/**
 * Applies the migrations at start-up, with the same bookkeeping table as `prisma migrate deploy`
 * (_prisma_migrations, sha256 checksums), so a fresh clone needs no manual database step and the
 * Prisma CLI still agrees about what is applied. Each migration runs in one transaction.
 *
 * SQLite: prisma/migrations. PostgreSQL: prisma/postgresql/migrations (same names, generated from
 * the same schema by `npm run db:migrations`), applied under an advisory lock so that several
 * processes starting together apply each migration once.
 */
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { databaseFile, engineOf } from "./database.ts";
import type pg from "pg";

export const migrationsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../prisma/migrations");
export const postgresMigrationsDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../prisma/postgresql/migrations",
);

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function listMigrations(dir = migrationsDir): Migration[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/** Applies the pending migrations. Returns the names it applied. */
export function applyMigrations(db: BetterSqlite3.Database, dir = migrationsDir): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "checksum" TEXT NOT NULL,
    "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL,
    "logs" TEXT,
    "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
  )`);
  const applied = new Set(
    (
      db
        .prepare(
          `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
        )
        .all() as { migration_name: string }[]
    ).map((r) => r.migration_name),
  );
  const done: string[] = [];
  for (const migration of listMigrations(dir)) {
    if (applied.has(migration.name)) continue;
    const startedAt = Date.now();
    // A migration that rebuilds a table (Prisma's "RedefineTables": create new_T, copy, drop T,
    // rename) turns foreign keys off around it, but PRAGMA foreign_keys does nothing inside a
    // transaction: with them on, dropping T would run its ON DELETE actions (a CASCADE would
    // delete every row referencing T). So they are turned off here, before the transaction, and
    // the rebuilt tables are checked before it commits.
    const rebuilds = /PRAGMA\s+foreign_keys\s*=\s*OFF/i.test(migration.sql);
    const enforced = db.pragma("foreign_keys", { simple: true }) === 1;
    if (rebuilds && enforced) db.pragma("foreign_keys = OFF");
    try {
      // IMMEDIATE: a second process starting at the same time waits instead of applying it twice.
      db.transaction(() => {
        const again = db
          .prepare(`SELECT 1 FROM _prisma_migrations WHERE migration_name = ? AND finished_at IS NOT NULL`)
          .get(migration.name);
        if (again) return;
        db.exec(migration.sql);
        if (rebuilds) {
          const broken = rebuiltAndReferencing(db, migration.sql).flatMap(
            (table) => db.pragma(`foreign_key_check("${table}")`) as { table: string; parent: string }[],
          );
          if (broken.length)
            throw new Error(
              `migration ${migration.name} leaves ${broken.length} rows referencing missing rows (first: ${broken[0]!.table} -> ${broken[0]!.parent})`,
            );
        }
        db.prepare(
          `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES (?, ?, ?, ?, ?, 1)`,
        ).run(randomUUID(), migration.checksum, Date.now(), migration.name, startedAt);
        done.push(migration.name);
      }).immediate();
    } finally {
      if (rebuilds && enforced) db.pragma("foreign_keys = ON");
    }
  }
  return done;
}

/** The tables a migration rebuilds ("new_T" renamed to T) and the tables whose foreign keys name them. */
function rebuiltAndReferencing(db: BetterSqlite3.Database, sql: string): string[] {
  const rebuilt = [...sql.matchAll(/CREATE TABLE "new_(\w+)"/g)].map((m) => m[1]!);
  const referencing = db
    .prepare(
      `SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
       WHERE m.type = 'table' AND f."table" IN (SELECT value FROM json_each(?))`,
    )
    .pluck()
    .all(JSON.stringify(rebuilt)) as string[];
  return [...new Set([...rebuilt, ...referencing])];
}

/** The advisory lock key all Chi Hội processes take while migrating a PostgreSQL database. */
const migrationLockKey = 0x43_48_49_4d; // "CHIM"

/**
 * Applies the pending PostgreSQL migrations. The whole run holds a session advisory lock: a second
 * process waits, then finds everything applied. Returns the names it applied.
 */
export async function applyPostgresMigrations(client: pg.ClientBase, dir = postgresMigrationsDir): Promise<string[]> {
  await client.query(`SELECT pg_advisory_lock($1)`, [migrationLockKey]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const applied = new Set(
      (
        await client.query<{ migration_name: string }>(
          `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
        )
      ).rows.map((r) => r.migration_name),
    );
    const done: string[] = [];
    for (const migration of listMigrations(dir)) {
      if (applied.has(migration.name)) continue;
      const startedAt = new Date();
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, $4, 1)`,
          [randomUUID(), migration.checksum, migration.name, startedAt],
        );
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      done.push(migration.name);
    }
    return done;
  } finally {
    await client.query(`SELECT pg_advisory_unlock($1)`, [migrationLockKey]);
  }
}

export interface MigrationStatus {
  name: string;
  /** applied | pending | modified (applied, but the file changed since) | unknown (applied, no file) */
  state: "applied" | "pending" | "modified" | "unknown";
  appliedAt: Date | null;
}

/** Compares the migration files with the bookkeeping rows (from either engine). */
export function migrationStatus(
  files: Migration[],
  rows: { migration_name: string; checksum: string; finished_at: unknown }[],
): MigrationStatus[] {
  const byName = new Map(rows.filter((r) => r.finished_at != null).map((r) => [r.migration_name, r]));
  const at = (v: unknown) =>
    v == null ? null : v instanceof Date ? v : new Date(typeof v === "number" ? v : String(v));
  const out: MigrationStatus[] = files.map((f) => {
    const row = byName.get(f.name);
    if (!row) return { name: f.name, state: "pending", appliedAt: null };
    return {
      name: f.name,
      state: row.checksum === f.checksum ? "applied" : "modified",
      appliedAt: at(row.finished_at),
    };
  });
  for (const row of byName.values()) {
    if (!files.some((f) => f.name === row.migration_name))
      out.push({ name: row.migration_name, state: "unknown", appliedAt: at(row.finished_at) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

type MigrationRow = { migration_name: string; checksum: string; finished_at: unknown };

/** The migrations of the database at `url`, without applying any (status only reads). */
export async function readMigrationStatus(url: string): Promise<MigrationStatus[]> {
  if (engineOf(url) === "postgresql") {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const exists = await client.query(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS ok`);
      const rows = exists.rows[0]?.ok
        ? (await client.query<MigrationRow>(`SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"`))
            .rows
        : [];
      return migrationStatus(listMigrations(postgresMigrationsDir), rows);
    } finally {
      await client.end();
    }
  }
  const file = databaseFile(url);
  if (!existsSync(file)) return migrationStatus(listMigrations(migrationsDir), []);
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'`).get();
    const rows = has
      ? (db.prepare(`SELECT migration_name, checksum, finished_at FROM _prisma_migrations`).all() as MigrationRow[])
      : [];
    return migrationStatus(listMigrations(migrationsDir), rows);
  } finally {
    db.close();
  }
}
