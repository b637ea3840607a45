import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { backupDatabase, BackupError } from "../../src/storage/backup.ts";
import { createPerson } from "../../src/domain/people/people-service.ts";

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
  await createPerson(db, { fullName: "Nguyễn Văn An" });
});
afterEach(() => db.destroy());

async function problem(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (error) {
    return error instanceof BackupError ? error.problem : String(error);
  }
  return undefined;
}

const people = (file: string) => {
  const copy = new BetterSqlite3(file, { readonly: true });
  try {
    return (copy.prepare(`SELECT fullName FROM Person`).all() as { fullName: string }[]).map((r) => r.fullName);
  } finally {
    copy.close();
  }
};

describe("backupDatabase", () => {
  it("should write a complete copy readable by its owner only", async () => {
    const target = path.join(db.dir, "backups", "copy.db");
    const result = await backupDatabase(db, target);
    expect(result.file).toBe(target);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readdirNames(path.dirname(target))).toEqual(["copy.db"]);
    expect(people(target)).toEqual(["Nguyễn Văn An"]);
  });

  it("should refuse to overwrite an existing file unless forced", async () => {
    const target = path.join(db.dir, "old.db");
    writeFileSync(target, "precious");
    expect(await problem(() => backupDatabase(db, target))).toBe("exists");
    expect(readFileSync(target, "utf8")).toBe("precious");
    await backupDatabase(db, target, { force: true });
    expect(people(target)).toEqual(["Nguyễn Văn An"]);
    expect(statSync(target).mode & 0o777).toBe(0o600);
  });

  it("should refuse the live database however it is reached, even when forced", async () => {
    const viaLink = path.join(db.dir, "link.db");
    symlinkSync(db.file, viaLink);
    const linkedDir = path.join(db.dir, "linked-dir");
    symlinkSync(path.dirname(db.file), linkedDir);
    for (const target of [
      db.file,
      viaLink,
      path.join(linkedDir, path.basename(db.file)),
      `${db.file}-wal`,
      path.join(db.dir, ".", "x", "..", path.basename(db.file)),
    ]) {
      expect(await problem(() => backupDatabase(db, target, { force: true })), target).toBe("same_file");
    }
    expect(people(db.file)).toEqual(["Nguyễn Văn An"]);
  });

  it("should replace a symlink itself when forced, never the file it points to", async () => {
    const elsewhere = path.join(db.dir, "elsewhere.txt");
    writeFileSync(elsewhere, "not yours");
    const target = path.join(db.dir, "pointer.db");
    symlinkSync(elsewhere, target);
    expect(await problem(() => backupDatabase(db, target))).toBe("exists");
    await backupDatabase(db, target, { force: true });
    expect(lstatSync(target).isSymbolicLink()).toBe(false);
    expect(readFileSync(elsewhere, "utf8")).toBe("not yours");
    expect(people(target)).toEqual(["Nguyễn Văn An"]);
  });

  it("should refuse a folder", async () => {
    const folder = path.join(db.dir, "folder");
    mkdirSync(folder);
    expect(await problem(() => backupDatabase(db, folder, { force: true }))).toBe("not_a_file");
  });
});

describe("chihoi backup", () => {
  it("should exit 1 with a clear message for an existing file and for a symlink to the live database", async () => {
    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/chihoi.js");
    const run = (...args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [bin, ...args],
          { env: { PATH: process.env.PATH, DATABASE_URL: db.url, LOG_LEVEL: "silent" }, cwd: db.dir },
          (error, _out, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
        ),
      );
    const target = path.join(db.dir, "cli.db");
    writeFileSync(target, "an older backup");
    const again = await run("backup", target);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("--force");
    expect((await run("backup", target, "--force")).code).toBe(0);
    symlinkSync(db.file, path.join(db.dir, "sneaky.db"));
    const sneaky = await run("backup", "sneaky.db", "--force");
    expect(sneaky.code).toBe(1);
    expect(sneaky.stderr).toContain("chính cơ sở dữ liệu đang dùng");
    expect(existsSync(db.file)).toBe(true);
    expect(people(db.file)).toEqual(["Nguyễn Văn An"]);
    // Each run starts a CLI process (several seconds on a loaded machine).
  }, 120_000);
});

function readdirNames(dir: string): string[] {
  return readdirSync(dir).sort();
}
