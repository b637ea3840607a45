/**
 * `chihoi db copy`: a database made by the demo seed goes to another database (PostgreSQL when
 * TEST_DATABASE_URL is set, else a second SQLite file) and back, without losing or changing a row.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { copyDatabase, tableChecksums, CopyError } from "../../src/storage/copy.ts";
import { seedDemoOrganisation } from "../../src/demo/demo-seed.ts";
import { seedDemoActivity } from "../../src/demo/demo-activity.ts";

let source: TestDatabase;
let middle: TestDatabase;
let back: TestDatabase;
beforeAll(async () => {
  source = await createTestDatabase({ engine: "sqlite" });
  const seeded = await seedDemoOrganisation(source);
  await seedDemoActivity(source, seeded, "Asia/Ho_Chi_Minh");
  // A row written the old way, with SQLite's text default for its time.
  await source.sql.run(`INSERT INTO Setting (key, value, updatedAt) VALUES ('legacy', 'x', CURRENT_TIMESTAMP)`);
  // A unit whose parent has a higher id (after a move): the copy must not trip on the order.
  const org = (await source.sql.get<{ id: number }>(`SELECT id FROM Organisation LIMIT 1`))!.id;
  const a = (
    await source.sql.run(
      `INSERT INTO Unit (organisationId, name, nameKey, path, depth, createdAt) VALUES (?, 'A', 'a', '/x/', 0, 1)`,
      org,
    )
  ).lastInsertRowid;
  const b = (
    await source.sql.run(
      `INSERT INTO Unit (organisationId, name, nameKey, path, depth, createdAt) VALUES (?, 'B', 'b', '/y/', 0, 1)`,
      org,
    )
  ).lastInsertRowid;
  await source.sql.run(`UPDATE Unit SET parentId = ? WHERE id = ?`, b, a);
  middle = await createTestDatabase();
  back = await createTestDatabase({ engine: "sqlite" });
});
afterAll(async () => {
  for (const db of [source, middle, back]) await db?.destroy();
});

describe(`db copy (sqlite → ${process.env.TEST_DATABASE_URL ? "postgresql" : "sqlite"} → sqlite)`, () => {
  it("copies every table and reads back the same rows", async () => {
    const before = await tableChecksums(source);
    const reports = await copyDatabase(source, middle);
    expect(reports.find((r) => r.table === "Person")!.rows).toBeGreaterThan(10);
    expect(reports.find((r) => r.table === "Setting")!.convertedTimes).toBe(1);
    const there = await tableChecksums(middle);
    // The legacy text time became epoch ms, so Setting's checksum is the converted one.
    expect(there.filter((t) => t.table !== "Setting")).toEqual(before.filter((t) => t.table !== "Setting"));
    expect(there.map((t) => t.rows)).toEqual(before.map((t) => t.rows));
    for (const r of reports)
      expect(there.find((t) => t.table === r.table)).toEqual({ table: r.table, rows: r.rows, checksum: r.checksum });

    await copyDatabase(middle, back);
    expect(await tableChecksums(back)).toEqual(there);
  });

  it("keeps the unit counters and moves id sequences past the copied rows", async () => {
    const counts = (db: TestDatabase) =>
      db.kysely.selectFrom("Unit").select(["id", "memberCount", "linkedCount"]).orderBy("id").execute();
    expect(await counts(middle)).toEqual(await counts(source));
    const person = await middle.kysely
      .insertInto("Person")
      .values({ fullName: "Mới", nameKey: "moi", createdAt: 1, updatedAt: 1 })
      .returning("id")
      .executeTakeFirstOrThrow();
    const max = await source.kysely
      .selectFrom("Person")
      .select((eb) => eb.fn.max("id").as("m"))
      .executeTakeFirstOrThrow();
    expect(person.id).toBeGreaterThan(Number(max.m));
  });

  it("refuses a target that holds rows unless forced, and then replaces it", async () => {
    await expect(copyDatabase(source, middle)).rejects.toBeInstanceOf(CopyError);
    const reports = await copyDatabase(source, middle, { force: true });
    const there = await tableChecksums(middle);
    for (const r of reports)
      expect(there.find((t) => t.table === r.table)).toEqual({ table: r.table, rows: r.rows, checksum: r.checksum });
  });

  it("leaves the target untouched when the copy fails", async () => {
    const fresh = await createTestDatabase();
    try {
      await source.sql.run(`INSERT INTO AuditLog (source, action, createdAt) VALUES ('cli', 'bad', 'not a time')`);
      await expect(copyDatabase(source, fresh)).rejects.toThrow(/AuditLog.createdAt/);
      expect((await tableChecksums(fresh)).every((t) => t.rows === 0)).toBe(true);
    } finally {
      await source.sql.run(`DELETE FROM AuditLog WHERE action = 'bad'`);
      await fresh.destroy();
    }
  });
});
