/**
 * Runs the `chihoi` command in a throwaway folder: in-process through runCli() (src/cli/program.ts)
 * for most tests, or the real binary (bin/chihoi.js) in a child process for the few that prove it
 * works end to end. useCliFolder() gives each test a folder and a database of its own.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, expect } from "vitest";
import { runCli as runCliInProcess } from "../../src/cli/program.ts";
import { type Database, openDatabase } from "../../src/storage/database.ts";
import { createEmptyPostgresDatabase, testPostgresUrl } from "./test-db.ts";

export const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const chihoiBin = path.join(repoDir, "bin/chihoi.js");

/** Per-test time for tests that start the binary (each start loads TypeScript through tsx). */
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

/**
 * Runs `chihoi ...args` in-process with `dir` as the working directory (relative file names and
 * `file:./data/chihoi.db` are read from there, as from a shell in that folder) and resolves with
 * its exit code and output. Test files run one test at a time, so changing the directory is safe.
 */
export async function runCli(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const previous = process.cwd();
  process.chdir(dir);
  try {
    const code = await runCliInProcess(args, {
      env,
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
    });
    return { code, stdout, stderr };
  } finally {
    process.chdir(previous);
  }
}

/** Runs the real binary `chihoi ...args` in a child process in `dir` and resolves with its exit code and output. */
export function runCliProcess(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
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

/** A test's own CLI folder (see useCliFolder). */
export interface CliFolder {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** `chihoi ...args` in the folder, in-process. */
  run(...args: string[]): Promise<CliResult>;
  /** The same with `extra` added to the environment. */
  runWith(extra: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult>;
  /** Writes a file in the folder and returns its path. */
  file(name: string, text: string | Buffer): string;
  /** Reads (or prepares) the folder's database with `fn`. */
  db<T>(fn: (db: Database) => Promise<T>): Promise<T>;
}

/**
 * A fresh folder and database for every test of the file (beforeEach), removed after it: no test
 * sees what another wrote, so they pass in any order. `extra` is added to the environment.
 */
export function useCliFolder(extra: NodeJS.ProcessEnv = {}): CliFolder {
  const folder: CliFolder = {
    dir: "",
    env: {},
    run: (...args) => runCli(folder.dir, folder.env, ...args),
    runWith: (extra, ...args) => runCli(folder.dir, { ...folder.env, ...extra }, ...args),
    file(name, text) {
      const file = path.join(folder.dir, name);
      writeFileSync(file, text);
      return file;
    },
    db: (fn) => withCliDatabase(folder.dir, fn),
  };
  beforeEach(async () => {
    folder.dir = mkdtempSync(path.join(tmpdir(), "chihoi-cli-"));
    folder.env = await cliTestEnv(folder.dir, extra);
  });
  afterEach(() => removeCliDir(folder.dir));
  return folder;
}

/** `chihoi init` of an organisation, which must succeed. */
export async function initOrganisation(cli: CliFolder, org: string, code: string, level: string): Promise<void> {
  expect((await cli.run("init", "--org", org, "--code", code, "--level", level)).code).toBe(0);
}

/**
 * Hội Cựu chiến binh tỉnh Quảng Trị (#1) with Hội CCB xã Triệu Phong (#2) and its Chi hội thôn An
 * Lợi (#3), and Hội CCB xã Gio Linh (#4).
 */
export async function setUpQuangTri(cli: CliFolder): Promise<void> {
  await initOrganisation(cli, "Hội Cựu chiến binh tỉnh Quảng Trị", "ccb-qt", "Tỉnh");
  const province = "Hội Cựu chiến binh tỉnh Quảng Trị";
  expect((await cli.run("units", "add", "Hội CCB xã Triệu Phong", "--parent", province, "--level", "Xã")).code).toBe(0);
  expect(
    (await cli.run("units", "add", "Chi hội thôn An Lợi", "--parent", "trieu phong", "--level", "Chi hội")).code,
  ).toBe(0);
  expect((await cli.run("units", "add", "Hội CCB xã Gio Linh", "--parent", "#1", "--level", "Xã")).code).toBe(0);
}

/** Nguyễn Văn An (0912 345 678, Chi hội trưởng) and Lê Thị Hoa in Chi hội thôn An Lợi of setUpQuangTri. */
export async function importQuangTriRoster(cli: CliFolder): Promise<void> {
  const good = cli.file(
    "good.csv",
    "\uFEFFHọ và tên;SĐT;Chi hội;Chức vụ\nNguyễn Văn An;0912 345 678;Chi hội thôn An Lợi;Chi hội trưởng\nLê Thị Hoa;84.912.345.679;Chi hội thôn An Lợi;\n",
  );
  const ok = await cli.run("members", "import", good, "--unit", "Triệu Phong");
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain("Thêm mới 2 người");
}

/**
 * Hội Nông dân huyện Châu Thành (#1) with two communes, Long Vĩnh (branches ấp 1 and ấp 3) and
 * Long Hòa (a branch ấp 3 too).
 */
export async function setUpChauThanh(cli: CliFolder): Promise<void> {
  await initOrganisation(cli, "Hội Nông dân huyện Châu Thành", "hnd-ct", "Huyện");
  cli.file(
    "units.csv",
    [
      "Đơn vị,Trực thuộc,Cấp",
      "Hội Nông dân xã Long Vĩnh,,Xã",
      "Hội Nông dân xã Long Hòa,,Xã",
      "Chi hội ấp 1,Hội Nông dân xã Long Vĩnh,Chi hội",
      "Chi hội ấp 3,Hội Nông dân xã Long Vĩnh,Chi hội",
      "Chi hội ấp 3,Hội Nông dân xã Long Hòa,Chi hội",
    ].join("\n"),
  );
  expect((await cli.run("units", "import", "units.csv", "--parent", "#1")).stderr).toBe("");
}

/**
 * Hội Nông dân xã Long Vĩnh (#1) with Chi hội ấp 1 (Nguyễn Văn An, Lê Thị Hoa) and Chi hội ấp 2
 * (Trần Văn Bình); with `branchHead`, Nguyễn Văn An is Chi hội trưởng.
 */
export async function setUpLongVinh(cli: CliFolder, options: { branchHead: boolean }): Promise<void> {
  await initOrganisation(cli, "Hội Nông dân xã Long Vĩnh", "hnd-lv", "Xã");
  cli.file(
    "units.csv",
    "Đơn vị,Trực thuộc,Cấp\nChi hội ấp 1,Hội Nông dân xã Long Vĩnh,Chi hội\nChi hội ấp 2,Hội Nông dân xã Long Vĩnh,Chi hội\n",
  );
  expect((await cli.run("units", "import", "units.csv", "--parent", "#1")).code).toBe(0);
  cli.file(
    "roster.csv",
    options.branchHead
      ? "Họ và tên,SĐT,Chi hội,Chức vụ\nNguyễn Văn An,0912345678,Chi hội ấp 1,Chi hội trưởng\nLê Thị Hoa,0912345679,Chi hội ấp 1,\nTrần Văn Bình,0912345680,Chi hội ấp 2,\n"
      : "Họ và tên,SĐT,Chi hội\nNguyễn Văn An,0912345678,Chi hội ấp 1\nLê Thị Hoa,0912345679,Chi hội ấp 1\nTrần Văn Bình,0912345680,Chi hội ấp 2\n",
  );
  expect((await cli.run("members", "import", "roster.csv", "--unit", "#1")).stderr).toBe("");
}

/** The tree, the people and their roles as stored, to compare before and after a refused command. */
export function dumpRoster(cli: CliFolder): Promise<unknown> {
  return cli.db(async (db) => ({
    units: await db.kysely.selectFrom("Unit").select(["id", "parentId", "name", "path"]).orderBy("id").execute(),
    people: await db.kysely.selectFrom("Person").select(["id", "fullName", "phone"]).orderBy("id").execute(),
    memberships: await db.kysely
      .selectFrom("Membership")
      .select(["personId", "unitId", "role"])
      .orderBy("id")
      .execute(),
  }));
}

/** Trần Quốc Khánh, commune official of Triệu Phong (setUpQuangTri), added with `admin add`. */
export function addQuangTriOfficial(cli: CliFolder): Promise<CliResult> {
  return cli.run(
    "admin",
    "add",
    "--unit",
    "Triệu Phong",
    "--name",
    "Trần Quốc Khánh",
    "--phone",
    "0987654321",
    "--role",
    "official",
  );
}
