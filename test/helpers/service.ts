/**
 * Starts the real service in-process on a throwaway database (port 0), for end-to-end tests.
 * The database of a test folder is `dir/chihoi.db` on SQLite; with TEST_DATABASE_URL it is a
 * PostgreSQL database of its own on that server, created on first use (already migrated: a copy of
 * the test template, see test-db.ts; the SQLite file is migrated by the service as it starts) and
 * dropped by removeDir().
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config.ts";
import { startService, type RunningService } from "../../src/service.ts";
import { openDatabase, type Database } from "../../src/storage/database.ts";
import { silentLogger } from "./telegram.ts";
import { createMigratedPostgresDatabase, testPostgresUrl } from "./test-db.ts";

export interface TestService {
  dir: string;
  env: Record<string, string>;
  service: RunningService;
  stop(): Promise<void>;
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "chihoi-e2e-"));
}

const postgresOf = new Map<string, Promise<{ url: string; drop(): Promise<void> }>>();

/** The DATABASE_URL of a test folder's database (see the header). */
export async function databaseUrl(dir: string): Promise<string> {
  if (!testPostgresUrl) return `file:${path.join(dir, "chihoi.db")}`;
  let pg = postgresOf.get(dir);
  if (!pg) postgresOf.set(dir, (pg = createMigratedPostgresDatabase()));
  return (await pg).url;
}

/** Opens the database of a directory to prepare data before the service starts. */
export async function prepare<T>(dir: string, fn: (db: Database) => T | Promise<T>): Promise<T> {
  const db = await openDatabase(await databaseUrl(dir));
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function startTestService(dir: string, env: Record<string, string> = {}): Promise<TestService> {
  // Demo data always lives in a SQLite file: beside a SQLite database, but in the working
  // directory's data folder (shared by every test file) beside a PostgreSQL one. A demo service
  // therefore gets the folder's SQLite file on both engines.
  const demo = env.DEMO_MODE === "on" || env.DEMO_MODE === "auto";
  const fullEnv = {
    DATABASE_URL: demo ? `file:${path.join(dir, "chihoi.db")}` : await databaseUrl(dir),
    PORT: "0",
    DEMO_MODE: "off",
    LOG_LEVEL: "silent",
    ...env,
  };
  const service = await startService(loadConfig(fullEnv), { logger: silentLogger });
  return {
    dir,
    env: fullEnv,
    service,
    async stop() {
      await service.stop();
    },
  };
}

/** Removes a test folder and drops its PostgreSQL database, if it has one. */
export async function removeDir(dir: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  const pg = postgresOf.get(dir);
  postgresOf.delete(dir);
  if (pg) await (await pg).drop();
}

export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
