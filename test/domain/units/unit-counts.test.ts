/**
 * The converted unit read paths (findUnit, unitCounts) on the run's engine, over counters kept by
 * each engine's triggers (SQLite row triggers, PostgreSQL statement triggers).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { findUnit, unitCounts } from "../../../src/domain/units/unit-service.ts";
import { isAppError } from "../../../src/lib/app-error.ts";

let db: TestDatabase;
const units: Record<string, number> = {};
beforeAll(async () => {
  db = await createTestDatabase();
  const k = db.kysely;
  const org = await k
    .insertInto("Organisation")
    .values({ code: "u", name: "U", createdAt: 1 })
    .returning("id")
    .executeTakeFirstOrThrow();
  const add = async (key: string, parent: string | null) => {
    const parentRow = parent ? await findUnit(db, units[parent]!) : null;
    const { id } = await k
      .insertInto("Unit")
      .values({
        organisationId: org.id,
        parentId: parentRow?.id ?? null,
        name: key,
        nameKey: key,
        path: `tmp-${key}`,
        depth: parentRow ? parentRow.depth + 1 : 0,
        createdAt: 1,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await k
      .updateTable("Unit")
      .set({ path: `${parentRow?.path ?? "/"}${id}/` })
      .where("id", "=", id)
      .execute();
    units[key] = id;
  };
  await add("province", null);
  await add("communeA", "province");
  await add("communeB", "province");
  await add("branchA1", "communeA");
  await add("branchA2", "communeA");
  await add("branchB1", "communeB");
  // Nine ids so that "/1/5/" and "/1/50/"-style siblings exist once there are 10+ units.
  for (let i = 0; i < 9; i++) await add(`extra${i}`, "communeB");
  const people = async (unit: string, n: number, linked: number) => {
    const rows = await k
      .insertInto("Person")
      .values(
        Array.from({ length: n }, (_, i) => ({
          fullName: `${unit} ${i}`,
          nameKey: `${unit} ${i}`,
          createdAt: 1,
          updatedAt: 1,
        })),
      )
      .returning("id")
      .execute();
    // Two roles for the first person: still one member of the unit.
    await k
      .insertInto("Membership")
      .values([
        ...rows.map((r) => ({ personId: r.id, unitId: units[unit]!, role: "member", createdAt: 1 })),
        { personId: rows[0]!.id, unitId: units[unit]!, role: "cadre", createdAt: 1 },
      ])
      .execute();
    for (const r of rows.slice(0, linked))
      await k.updateTable("Person").set({ linkedAccounts: 1 }).where("id", "=", r.id).execute();
  };
  await people("branchA1", 5, 2);
  await people("branchA2", 3, 3);
  await people("branchB1", 4, 0);
  await people("communeA", 1, 1);
});
afterAll(async () => {
  await db?.destroy();
});

describe(`unit read paths on ${process.env.TEST_DATABASE_URL ? "postgresql" : "sqlite"}`, () => {
  it("rolls member and linked counts up the tree", async () => {
    const counts = new Map((await unitCounts(db, units.province!)).map((c) => [c.unitId, c]));
    expect(counts.get(units.branchA1!)).toMatchObject({ members: 5, linked: 2, membersTotal: 5, linkedTotal: 2 });
    expect(counts.get(units.communeA!)).toMatchObject({ members: 1, membersTotal: 9, linkedTotal: 6 });
    expect(counts.get(units.communeB!)).toMatchObject({ members: 0, membersTotal: 4, linkedTotal: 0 });
    expect(counts.get(units.province!)).toMatchObject({ membersTotal: 13, linkedTotal: 6 });
    expect(counts.size).toBe(15);
  });

  it("lists a subtree only, parents before children", async () => {
    const sub = await unitCounts(db, units.communeA!);
    expect(sub.map((c) => c.unitId)).toEqual([units.communeA, units.branchA1, units.branchA2]);
    const b = await unitCounts(db, units.communeB!);
    expect(b[0]!.unitId).toBe(units.communeB);
    expect(b).toHaveLength(11);
  });

  it("keeps the counters when memberships go", async () => {
    const [person] = await db.kysely.selectFrom("Person").select("id").where("nameKey", "=", "branchA2 0").execute();
    await db.kysely.deleteFrom("Membership").where("personId", "=", person!.id).execute(); // both roles in one statement
    const counts = new Map((await unitCounts(db, units.province!)).map((c) => [c.unitId, c]));
    expect(counts.get(units.branchA2!)).toMatchObject({ members: 2, linked: 2 });
    expect(counts.get(units.province!)).toMatchObject({ membersTotal: 12, linkedTotal: 5 });
  });

  it("says unit_not_found for an unknown unit", async () => {
    const error = await unitCounts(db, 999_999).catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe("unit_not_found");
  });
});
