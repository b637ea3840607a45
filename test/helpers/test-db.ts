/** A throwaway SQLite database per test file: real migrations, real Prisma, deleted afterwards. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase, type Database } from "../../src/storage/database.ts";

export interface TestDatabase extends Database {
  dir: string;
  url: string;
  destroy(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), "chihoi-test-"));
  const url = `file:${path.join(dir, "test.db")}`;
  const db = await openDatabase(url);
  return Object.assign(db, {
    dir,
    url,
    async destroy() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
