/**
 * A throwaway database per test file: real migrations, deleted afterwards.
 *
 * SQLite by default (no server needed). With TEST_DATABASE_URL=postgresql://… each call creates
 * its own PostgreSQL database on that server (so test files run in parallel) and drops it in
 * `destroy()`; the tests that run on PostgreSQL are listed in vitest.postgres.config.ts.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { openDatabase, type Database, type OpenOptions } from "../../src/storage/database.ts";

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
  const url = `file:${path.join(dir, "test.db")}`;
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

/** An empty PostgreSQL database of its own on the TEST_DATABASE_URL server; its URL and a dropper. */
export async function createEmptyPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!testPostgresUrl) throw new Error("TEST_DATABASE_URL is not set: these tests need a PostgreSQL server");
  const name = `chihoi_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: testPostgresUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(testPostgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: testPostgresUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

async function createPostgresTestDatabase(options: OpenOptions): Promise<TestDatabase> {
  const empty = await createEmptyPostgresDatabase();
  const db = await openDatabase(empty.url, options);
  // A folder of its own for the files a test writes (rosters to import), as on SQLite.
  const dir = mkdtempSync(path.join(tmpdir(), "chihoi-test-"));
  return Object.assign(db, {
    dir,
    url: empty.url,
    async destroy() {
      await db.close();
      await empty.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
