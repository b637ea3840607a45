/**
 * A throwaway database per test file: real migrations, deleted afterwards.
 *
 * SQLite by default (no server needed). With TEST_DATABASE_URL=postgresql://… each call creates
 * its own PostgreSQL database on that server (so test files run in parallel) and drops it in
 * `destroy()`; the tests that run on PostgreSQL are listed in vitest.postgres.config.ts.
 *
 * Migrating a PostgreSQL database takes most of a second (a SQLite file some tens of ms), and the
 * suite creates hundreds. So the migrations run once into a template, and each test database is a
 * copy of it: `CREATE DATABASE x TEMPLATE chihoi_tpl_<hash>` on PostgreSQL, a file copy on SQLite.
 * The template's name carries a hash of the migration files, so a changed or added migration makes
 * a new template and a stale one is never used; old `chihoi_tpl_*` databases (and files in the
 * temporary folder) are left behind and may be dropped at any time. The copy is still opened with
 * `openDatabase`, which checks the migrations (and would apply a missing one). Tests of the
 * migrations themselves start from `createEmptyPostgresDatabase()` or their own SQLite file.
 */
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openDatabase, type Database, type OpenOptions } from "../../src/storage/database.ts";
import {
  applyPostgresMigrations,
  listMigrations,
  migrationsDir,
  postgresMigrationsDir,
} from "../../src/storage/migrate.ts";

export interface TestDatabase extends Database {
  dir: string;
  url: string;
  destroy(): Promise<void>;
}

/** The PostgreSQL server the tests may use, or undefined (SQLite only). */
export const testPostgresUrl: string | undefined = process.env.TEST_DATABASE_URL || undefined;

export async function createTestDatabase(
  options: { engine?: "sqlite" | "postgresql" } & OpenOptions = {},
): Promise<TestDatabase> {
  const engine = options.engine ?? (testPostgresUrl ? "postgresql" : "sqlite");
  if (engine === "postgresql") return createPostgresTestDatabase(options);
  const dir = mkdtempSync(path.join(tmpdir(), "chihoi-test-"));
  const file = path.join(dir, "test.db");
  if (options.migrate !== false) copyFileSync(await sqliteTemplate(), file);
  const url = `file:${file}`;
  const db = await openDatabase(url, options);
  return Object.assign(db, {
    dir,
    url,
    async destroy() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/**
 * The identity of a template: the migrations' names and checksums, and the migration runner itself
 * (it writes the bookkeeping table), hashed.
 */
function migrationsHash(dir: string): string {
  const hash = createHash("sha256");
  for (const m of listMigrations(dir)) hash.update(`${m.name} ${m.checksum}\n`);
  hash.update(readFileSync(fileURLToPath(new URL("../../src/storage/migrate.ts", import.meta.url))));
  return hash.digest("hex").slice(0, 16);
}

let sqliteTemplateFile: string | undefined;

/**
 * A migrated SQLite file in the temporary folder, shared by every test process: built under a name
 * of its own, then renamed into place (atomic; processes racing to build it all succeed).
 */
async function sqliteTemplate(): Promise<string> {
  if (sqliteTemplateFile) return sqliteTemplateFile;
  const folder = path.join(tmpdir(), "chihoi-test-templates");
  const file = path.join(folder, `sqlite_${migrationsHash(migrationsDir)}.db`);
  if (!existsSync(file)) {
    mkdirSync(folder, { recursive: true });
    const building = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    // Migrated exactly as a database is at start-up; closing it folds the WAL into the file.
    await (await openDatabase(`file:${building}`)).close();
    renameSync(building, file);
  }
  sqliteTemplateFile = file;
  return file;
}

function postgresUrlOf(name: string): string {
  if (!testPostgresUrl) throw new Error("TEST_DATABASE_URL is not set: these tests need a PostgreSQL server");
  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `fn` with a connection to the TEST_DATABASE_URL database (the one every test process shares). */
async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  if (!testPostgresUrl) throw new Error("TEST_DATABASE_URL is not set: these tests need a PostgreSQL server");
  const admin = new pg.Client({ connectionString: testPostgresUrl });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** The advisory lock the test processes take while one of them builds the template. */
const templateLockKey = 0x43_48_54_50; // "CHTP"

let postgresTemplateName: Promise<string> | undefined;

/**
 * The migrated PostgreSQL template database, built by the first test process that needs it. The
 * others wait on an advisory lock, then find it. It is built under a temporary name and renamed
 * when complete, so its name existing means it is whole (a build killed midway is dropped and
 * redone by the next process).
 */
function postgresTemplate(): Promise<string> {
  postgresTemplateName ??= withAdmin(async (admin) => {
    const name = `chihoi_tpl_${migrationsHash(postgresMigrationsDir)}`;
    const exists = async (n: string) =>
      (await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [n])).rowCount === 1;
    if (await exists(name)) return name;
    await admin.query(`SELECT pg_advisory_lock($1)`, [templateLockKey]);
    try {
      if (await exists(name)) return name;
      const building = `${name}_building`;
      await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${building}"`);
      // One plain client, ended before the rename (a pool's connections outlive it for a while,
      // and a database with a session open can be neither renamed nor copied).
      const client = new pg.Client({ connectionString: postgresUrlOf(building) });
      await client.connect();
      try {
        await applyPostgresMigrations(client);
      } finally {
        await client.end();
      }
      await retryWhileInUse(() => admin.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`));
      return name;
    } finally {
      await admin.query(`SELECT pg_advisory_unlock($1)`, [templateLockKey]);
    }
  });
  // A failed build is not remembered: the next test tries again (and reports its own error).
  postgresTemplateName.catch(() => {
    postgresTemplateName = undefined;
  });
  return postgresTemplateName;
}

/**
 * Retries `fn` while PostgreSQL says the database is in use by another session (55006): the server
 * ends a closed connection's session a moment after the client has gone.
 */
async function retryWhileInUse<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if ((error as { code?: string }).code !== "55006" || attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A PostgreSQL database of its own on the TEST_DATABASE_URL server: empty, or a copy of `template`. */
async function createPostgresDatabase(template?: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `chihoi_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await withAdmin((admin) =>
    template
      ? retryWhileInUse(() => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`))
      : admin.query(`CREATE DATABASE "${name}"`),
  );
  return {
    url: postgresUrlOf(name),
    async drop() {
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** An empty PostgreSQL database of its own on the TEST_DATABASE_URL server; its URL and a dropper. */
export async function createEmptyPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  return createPostgresDatabase();
}

/**
 * A PostgreSQL database of its own with every migration applied (a copy of the template); its URL
 * and a dropper.
 */
export async function createMigratedPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  return createPostgresDatabase(await postgresTemplate());
}

async function createPostgresTestDatabase(options: OpenOptions): Promise<TestDatabase> {
  const created =
    options.migrate === false ? await createEmptyPostgresDatabase() : await createMigratedPostgresDatabase();
  const db = await openDatabase(created.url, options);
  // A folder of its own for the files a test writes (rosters to import), as on SQLite.
  const dir = mkdtempSync(path.join(tmpdir(), "chihoi-test-"));
  return Object.assign(db, {
    dir,
    url: created.url,
    async destroy() {
      await db.close();
      await created.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
