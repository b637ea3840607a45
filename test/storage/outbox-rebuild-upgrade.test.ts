import { afterEach, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { applyMigrations } from "../../src/storage/migrate.ts";
import { olderDatabase } from "../helpers/older-database.ts";
import { openDatabase, type Database } from "../../src/storage/database.ts";
import { enqueue, getOutboxRow } from "../../src/domain/deliveries/outbox-service.ts";
import { removeDir, tempDir } from "../helpers/service.ts";

/** The migration that rebuilds the Outbox table (its body became nullable). */
const rebuild = "20261130191104_outbox_shared_body";

let dir: string;
let db: Database | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
  await removeDir(dir);
});

// SQLite only: the older database is built by applying the older SQLite migration files with
// better-sqlite3, foreign keys on as the service opens it; PostgreSQL alters the table in place.
describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))("upgrading a database whose Outbox is rebuilt", () => {
  it("should keep every queued message, its attempts and the fair-order trigger", async () => {
    dir = tempDir();
    const file = path.join(dir, "chihoi.db");
    const old = olderDatabase(dir, file, rebuild);
    const now = Date.parse("2026-11-30T10:00:00Z");
    const body = JSON.stringify({ text: "Họp chi hội 19:30 thứ Sáu", locale: "vi" });
    old
      .prepare(
        `INSERT INTO Outbox (id, platform, chatId, body, priority, status, attempts, notBefore, createdAt, ord) VALUES (7, 'telegram', '100', ?, 5, 'pending', 1, ?, ?, ?)`,
      )
      .run(body, now, now, now);
    old
      .prepare(`INSERT INTO DeliveryAttempt (outboxId, outcome, errorCode, createdAt) VALUES (7, 'retry', 502, ?)`)
      .run(now);
    old.close();

    db = await openDatabase(`file:${file}`);
    // Dropping the old table ran no ON DELETE CASCADE: the message's attempt is still there.
    expect(await db.kysely.selectFrom("DeliveryAttempt").select(["outboxId", "errorCode"]).execute()).toEqual([
      { outboxId: 7, errorCode: 502 },
    ]);
    expect(await getOutboxRow(db, 7)).toMatchObject({ id: 7, body, status: "pending", attempts: 1 });

    // The fair-order trigger came back with the table: a broadcast queued row by row is spaced 34 ms.
    const ids: number[] = [];
    for (const chatId of ["201", "202"])
      ids.push(
        (await enqueue(
          db,
          { platform: "telegram", chatId, priority: 9, body: { text: "…" }, entityType: "Meeting", entityId: 3 },
          new Date(now),
        ))!,
      );
    const ords = await db.kysely.selectFrom("Outbox").select("ord").where("id", "in", ids).orderBy("id").execute();
    expect(ords.map((r) => Number(r.ord) - now)).toEqual([0, 34 * (ids[1]! - ids[0]!)]);

    // Foreign keys are enforced again after the migration.
    await expect(
      db.kysely.insertInto("DeliveryAttempt").values({ outboxId: 999, outcome: "sent", createdAt: now }).execute(),
    ).rejects.toThrow(/FOREIGN KEY/);
  });
});

// The mechanism the upgrade above relies on, on a small schema of its own.
describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))("applyMigrations rebuilding a SQLite table", () => {
  it("should refuse a rebuild that leaves rows pointing at nothing, and leave the database as it was", () => {
    dir = tempDir();
    const migrations = path.join(dir, "migrations");
    const write = (name: string, sql: string) => {
      mkdirSync(path.join(migrations, name), { recursive: true });
      writeFileSync(path.join(migrations, name, "migration.sql"), sql);
    };
    write(
      "1_init",
      `CREATE TABLE "A" ("id" INTEGER NOT NULL PRIMARY KEY);
       CREATE TABLE "B" ("id" INTEGER NOT NULL PRIMARY KEY, "aId" INTEGER NOT NULL,
         CONSTRAINT "B_aId_fkey" FOREIGN KEY ("aId") REFERENCES "A" ("id") ON DELETE CASCADE);
       INSERT INTO "A" VALUES (1), (2); INSERT INTO "B" VALUES (10, 1), (20, 2);`,
    );
    // A faulty rebuild of A that loses row 1, which B's row 10 references.
    write(
      "2_rebuild",
      `PRAGMA defer_foreign_keys=ON;
       PRAGMA foreign_keys=OFF;
       CREATE TABLE "new_A" ("id" INTEGER NOT NULL PRIMARY KEY, "note" TEXT);
       INSERT INTO "new_A" ("id") SELECT "id" FROM "A" WHERE "id" <> 1;
       DROP TABLE "A";
       ALTER TABLE "new_A" RENAME TO "A";
       PRAGMA foreign_keys=ON;
       PRAGMA defer_foreign_keys=OFF;`,
    );
    const raw = new BetterSqlite3(path.join(dir, "t.db"));
    try {
      raw.pragma("foreign_keys = ON");
      expect(() => applyMigrations(raw, migrations)).toThrow(/2_rebuild leaves 1 rows referencing missing rows/);
      expect(raw.prepare(`SELECT "id" FROM "A" ORDER BY "id"`).pluck().all()).toEqual([1, 2]);
      expect(raw.prepare(`SELECT "id" FROM "B" ORDER BY "id"`).pluck().all()).toEqual([10, 20]);
      expect(raw.prepare(`SELECT migration_name FROM _prisma_migrations`).pluck().all()).toEqual(["1_init"]);
      expect(raw.pragma("foreign_keys", { simple: true })).toBe(1);
    } finally {
      raw.close();
    }
  });
});
