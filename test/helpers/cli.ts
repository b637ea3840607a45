/** Runs the real `chihoi` command (bin/chihoi.js) in a child process, in a throwaway folder. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { rmSync } from "node:fs";
import { openDatabase, type Database } from "../../src/storage/database.ts";
import { createEmptyPostgresDatabase, testPostgresUrl } from "./test-db.ts";

export const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const chihoiBin = path.join(repoDir, "bin/chihoi.js");

/** Per-test time for tests that start the command several times (each start loads TypeScript through tsx). */
export const cliTestTimeout = 180_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI run on `dir/data/chihoi.db`, quiet, in a zone that is neither UTC nor Vietnam. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: "file:./data/chihoi.db",
    LOG_LEVEL: "silent",
    TZ: "America/Sao_Paulo",
    ...extra,
  };
}

const postgresOf = new Map<string, Promise<{ url: string; drop(): Promise<void> }>>();

/**
 * The DATABASE_URL of a CLI test folder: `./data/chihoi.db` in it on SQLite (as cliEnv), a
 * PostgreSQL database of its own with TEST_DATABASE_URL, created on first use and dropped by
 * removeCliDir().
 */
export async function cliDatabaseUrl(dir: string): Promise<string> {
  if (!testPostgresUrl) return `file:${path.join(dir, "data/chihoi.db")}`;
  let pg = postgresOf.get(dir);
  if (!pg) postgresOf.set(dir, (pg = createEmptyPostgresDatabase()));
  return (await pg).url;
}

/** cliEnv on the folder's database (cliDatabaseUrl). */
export async function cliTestEnv(dir: string, extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  return cliEnv({ ...(testPostgresUrl ? { DATABASE_URL: await cliDatabaseUrl(dir) } : {}), ...extra });
}

/** Opens the folder's database to look at what the command wrote (or to prepare data). */
export async function openCliDatabase(dir: string): Promise<Database> {
  return openDatabase(await cliDatabaseUrl(dir));
}

/** Reads the folder's database with `fn` and closes it. */
export async function withCliDatabase<T>(dir: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openCliDatabase(dir);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Removes a CLI test folder and drops its PostgreSQL database, if it has one. */
export async function removeCliDir(dir: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  const pg = postgresOf.get(dir);
  postgresOf.delete(dir);
  if (pg) await (await pg).drop();
}

/** Runs `chihoi ...args` in `dir` and resolves with its exit code and output. */
export function runCli(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [chihoiBin, ...args],
      { env, cwd: dir, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Starts `chihoi ...args` with piped output, for tests that close the pipe early. */
export function spawnCli(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): ChildProcess {
  return spawn(process.execPath, [chihoiBin, ...args], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
}
