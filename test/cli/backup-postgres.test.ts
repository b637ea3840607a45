/**
 * `chihoi backup` copies a SQLite file; on PostgreSQL there is no file to copy, so it refuses and
 * points to pg_dump, in both languages. Needs a PostgreSQL server (TEST_DATABASE_URL).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestDatabase, testPostgresUrl, type TestDatabase } from "../helpers/test-db.ts";
import { backupDatabase, BackupError } from "../../src/storage/backup.ts";
import { cliEnv, cliTestTimeout, runCli } from "../helpers/cli.ts";

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

  it(
    "should refuse in the command with one message in Vietnamese and English naming pg_dump",
    async () => {
      const target = path.join(dir, "cli-copy.db");
      const r = await runCli(dir, cliEnv({ DATABASE_URL: db.url }), "backup", target);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("chihoi backup chỉ sao lưu cơ sở dữ liệu SQLite");
      expect(r.stderr).toContain("chihoi backup copies SQLite databases (a file) only");
      expect(r.stderr.match(/pg_dump/g)?.length).toBe(2);
      expect(existsSync(target)).toBe(false);
    },
    cliTestTimeout,
  );
});
