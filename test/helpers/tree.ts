/** A small organisation tree used by domain tests: province → 2 communes → 2 branches each. */
import { systemActor } from "../../src/domain/access/actor.ts";
import type { Database } from "../../src/storage/database.ts";
import { afterEach, beforeEach } from "vitest";
import { createTestDatabase, type TestDatabase } from "./test-db.ts";
import { createOrganisation, createUnit, type UnitRow } from "../../src/domain/units/unit-service.ts";

export interface TestTree {
  organisationId: number;
  province: UnitRow;
  communeA: UnitRow;
  communeB: UnitRow;
  branchA1: UnitRow;
  branchA2: UnitRow;
  branchB1: UnitRow;
  branchB2: UnitRow;
}

export async function buildTree(db: Database, code = "ccb"): Promise<TestTree> {
  const { id: organisationId } = await createOrganisation(db, systemActor(), { code, name: "Hội Cựu chiến binh" });
  const province = await createUnit(db, systemActor(), { organisationId, name: "Tỉnh Bình Định", levelLabel: "Tỉnh" });
  const communeA = await createUnit(db, systemActor(), {
    parentId: province.id,
    name: "Xã Phước Hòa",
    levelLabel: "Xã",
  });
  const communeB = await createUnit(db, systemActor(), {
    parentId: province.id,
    name: "Phường Quy Nhơn Nam",
    levelLabel: "Phường",
  });
  const branchA1 = await createUnit(db, systemActor(), {
    parentId: communeA.id,
    name: "Chi hội 1",
    levelLabel: "Chi hội",
  });
  const branchA2 = await createUnit(db, systemActor(), {
    parentId: communeA.id,
    name: "Chi hội 2",
    levelLabel: "Chi hội",
  });
  const branchB1 = await createUnit(db, systemActor(), {
    parentId: communeB.id,
    name: "Chi hội 1",
    levelLabel: "Chi hội",
  });
  const branchB2 = await createUnit(db, systemActor(), {
    parentId: communeB.id,
    name: "Chi hội Khu phố 3",
    levelLabel: "Chi hội",
  });
  return { organisationId, province, communeA, communeB, branchA1, branchA2, branchB1, branchB2 };
}

/**
 * Gives each test of a file a fresh database with the test tree:
 * `const ctx = useTreeDatabase();` then `ctx.db`, `ctx.tree` inside tests.
 */
export function useTreeDatabase(): { db: TestDatabase; tree: TestTree } {
  const ctx = {} as { db: TestDatabase; tree: TestTree };
  beforeEach(async () => {
    ctx.db = await createTestDatabase();
    ctx.tree = await buildTree(ctx.db);
  });
  afterEach(() => ctx.db.destroy());
  return ctx;
}
