import { afterEach, describe, expect, it } from "vitest";
import path from "node:path";
import { Writable } from "node:stream";
import { olderDatabase } from "../helpers/older-database.ts";
import { removeDir, tempDir } from "../helpers/service.ts";
import { loadConfig } from "../../src/config.ts";
import { startService } from "../../src/service.ts";
import { createLogger } from "../../src/lib/logger.ts";

let dir: string;
afterEach(() => removeDir(dir));

// SQLite only: the "previous release" database is built by applying the older SQLite migration
// files to a .db file with better-sqlite3; the upgrade path it checks is the same migration SQL.
describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))("upgrading from 6-digit link codes", () => {
  it("should revoke the old codes, keep used ones, and tell the admin at start-up how to reprint", async () => {
    dir = tempDir();
    const file = path.join(dir, "chihoi.db");
    // A database as the previous release left it: migrations before this one, 6-digit codes.
    const old = olderDatabase(dir, file, "20261129000000");
    const now = Date.now();
    old.prepare(`INSERT INTO Organisation (code, name, createdAt) VALUES ('ccb', 'Hội CCB', ?)`).run(now);
    old
      .prepare(
        `INSERT INTO Person (id, fullName, nameKey, createdAt, updatedAt, linkedAccounts) VALUES (1, 'An', 'an', ?, ?, 0), (2, 'Bình', 'binh', ?, ?, 1)`,
      )
      .run(now, now, now, now);
    old
      .prepare(
        `INSERT INTO LinkCode (code, personId, createdAt, expiresAt, usedAt) VALUES ('483920', 1, ?, ?, NULL), ('555111', 2, ?, ?, ?)`,
      )
      .run(now, now + 86_400_000, now, now + 86_400_000, now);
    old.close();

    let logged = "";
    const logger = createLogger("info", new Writable({ write: (c, _e, done) => ((logged += c), done()) }));
    const service = await startService(loadConfig({ DATABASE_URL: `file:${file}`, PORT: "0", DEMO_MODE: "off" }), {
      logger,
    });
    try {
      const codes = await service.db.kysely
        .selectFrom("LinkCode")
        .select(["code", "revokedAt", "usedAt"])
        .orderBy("id")
        .execute();
      expect(codes[0]).toMatchObject({ code: "483920" });
      expect(codes[0]!.revokedAt).toBeGreaterThan(0);
      expect(codes[1]!.revokedAt).toBeNull(); // a used code is history, not a live code
      expect(logged).toContain("1 person holds only an old 6-digit link code");
      expect(logged).toContain("chihoi codes");
    } finally {
      await service.stop();
    }
  });
});
