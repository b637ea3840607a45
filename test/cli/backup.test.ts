/**
 * `chihoi backup` copies a SQLite file; on PostgreSQL there is no file to copy, so it refuses and
 * points to pg_dump, in both languages (the second describe needs a PostgreSQL server, TEST_DATABASE_URL).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackupError, backupDatabase } from "../../src/storage/backup.ts";
import {
  addQuangTriOfficial,
  cliEnv,
  importQuangTriRoster,
  runCli,
  setUpQuangTri,
  useCliFolder,
} from "../helpers/cli.ts";
import { createTestDatabase, type TestDatabase, testPostgresUrl } from "../helpers/test-db.ts";

describe("chihoi backup", () => {
  const cli = useCliFolder();

  it("should back up the database (on SQLite; on PostgreSQL it refuses)", async () => {
    await setUpQuangTri(cli);
    await importQuangTriRoster(cli);
    expect((await addQuangTriOfficial(cli)).code).toBe(0);
    const backup = path.join(cli.dir, "backup.db");
    if (testPostgresUrl) {
      // `chihoi backup` copies SQLite files only; on PostgreSQL it refuses (tested below).
      expect((await cli.run("backup", backup)).code).toBe(1);
      expect(existsSync(backup)).toBe(false);
      return;
    }
    expect((await cli.run("backup", backup)).code).toBe(0);
    expect(existsSync(backup)).toBe(true);
    const copy = new BetterSqlite3(backup, { readonly: true });
    expect((copy.prepare(`SELECT COUNT(*) AS n FROM Person`).get() as { n: number }).n).toBe(3);
    copy.close();
  });
});

describe.skipIf(!testPostgresUrl)("chihoi backup on PostgreSQL", () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase({ engine: "postgresql" });
    dir = mkdtempSync(path.join(tmpdir(), "chihoi-backup-pg-"));
  });
  afterAll(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("should refuse in backupDatabase with not_sqlite and write no file", async () => {
    const target = path.join(dir, "copy.db");
    const error = await backupDatabase(db, target).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BackupError);
    expect((error as BackupError).problem).toBe("not_sqlite");
    expect(existsSync(target)).toBe(false);
  });

  it("should refuse in the command with one message in Vietnamese and English naming pg_dump", async () => {
    const target = path.join(dir, "cli-copy.db");
    const r = await runCli(dir, cliEnv({ DATABASE_URL: db.url }), "backup", target);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("chihoi backup chỉ sao lưu cơ sở dữ liệu SQLite");
    expect(r.stderr).toContain("chihoi backup copies SQLite databases (a file) only");
    expect(r.stderr.match(/pg_dump/g)?.length).toBe(2);
    expect(existsSync(target)).toBe(false);
  });
});
