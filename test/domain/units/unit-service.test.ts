import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import {
  createUnit,
  getUnit,
  listAncestors,
  listSubtree,
  moveUnit,
  renameUnit,
  resolveUnit,
  rollUpCounts,
  subtreeIds,
} from "../../../src/domain/units/unit-service.ts";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { isAppError } from "../../../src/lib/app-error.ts";

let db: TestDatabase;
let tree: TestTree;
beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

async function errorCode(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return isAppError(e) ? e.code : String(e);
  }
  return undefined;
}

describe("createUnit", () => {
  it("should store materialised paths and depths", () => {
    expect(tree.province.path).toBe(`/${tree.province.id}/`);
    expect(tree.branchA1.path).toBe(`/${tree.province.id}/${tree.communeA.id}/${tree.branchA1.id}/`);
    expect(tree.branchA1.depth).toBe(2);
    expect(tree.branchA1.levelLabel).toBe("Chi hội");
  });

  it("should refuse a duplicate name under the same parent, ignoring diacritics and case", async () => {
    expect(
      await errorCode(() => createUnit(db, systemActor(), { parentId: tree.communeA.id, name: "chi HOI 1" })),
    ).toBe("conflict");
  });

  it("should allow the same name under different parents", () => {
    expect(tree.branchA1.name).toBe(tree.branchB1.name);
  });

  it("should support any depth", async () => {
    let parent = tree.branchA1;
    for (let i = 0; i < 12; i++) parent = await createUnit(db, systemActor(), { parentId: parent.id, name: `Tổ ${i}` });
    expect(parent.depth).toBe(14);
    expect(await listAncestors(db, parent.id)).toHaveLength(14);
  });

  it("should reject an empty name and a missing parent", async () => {
    expect(await errorCode(() => createUnit(db, systemActor(), { parentId: tree.communeA.id, name: "   " }))).toBe(
      "invalid_input",
    );
    expect(await errorCode(() => createUnit(db, systemActor(), { parentId: 9999, name: "X" }))).toBe("unit_not_found");
  });
});

describe("listSubtree", () => {
  it("should list a unit and its descendants only", async () => {
    const names = (await listSubtree(db, tree.communeA.id)).map((u) => u.id);
    expect(names).toEqual([tree.communeA.id, tree.branchA1.id, tree.branchA2.id]);
  });

  it("should not include a sibling whose id shares a prefix", async () => {
    // Unit ids 1 and 10..19 share the digit prefix; the path range must not confuse them.
    const extra = [];
    for (let i = 0; i < 12; i++)
      extra.push(await createUnit(db, systemActor(), { parentId: tree.province.id, name: `Xã ${i}` }));
    const sub = await subtreeIds(db, tree.communeA.id);
    expect(sub.sort()).toEqual([tree.communeA.id, tree.branchA1.id, tree.branchA2.id].sort());
    const eleven = extra.find((u) => String(u.id).startsWith(String(tree.province.id)) && u.id !== tree.province.id);
    if (eleven) expect(await subtreeIds(db, tree.province.id)).toContain(eleven.id);
  });
});

describe("renameUnit", () => {
  it("should rename and refuse a sibling's name", async () => {
    expect((await renameUnit(db, systemActor(), tree.branchA2.id, "Chi hội Ấp 3")).name).toBe("Chi hội Ấp 3");
    expect(await errorCode(() => renameUnit(db, systemActor(), tree.branchA2.id, "Chi hội 1"))).toBe("conflict");
  });
});

describe("moveUnit", () => {
  it("should move a subtree and rewrite every descendant path", async () => {
    const team = await createUnit(db, systemActor(), { parentId: tree.branchA2.id, name: "Tổ 1" });
    await moveUnit(db, systemActor(), tree.branchA2.id, tree.communeB.id);
    const moved = await getUnit(db, tree.branchA2.id);
    expect(moved.parentId).toBe(tree.communeB.id);
    expect(moved.path).toBe(`${tree.communeB.path}${tree.branchA2.id}/`);
    expect((await getUnit(db, team.id)).path).toBe(`${moved.path}${team.id}/`);
    expect((await getUnit(db, team.id)).depth).toBe(3);
    expect(await subtreeIds(db, tree.communeA.id)).not.toContain(team.id);
    expect(await subtreeIds(db, tree.communeB.id)).toContain(team.id);
  });

  it("should refuse a cycle and leave the tree as it was", async () => {
    const before = await listSubtree(db, tree.province.id);
    expect(await errorCode(() => moveUnit(db, systemActor(), tree.communeA.id, tree.branchA1.id))).toBe("unit_cycle");
    expect(await errorCode(() => moveUnit(db, systemActor(), tree.communeA.id, tree.communeA.id))).toBe("unit_cycle");
    expect(await listSubtree(db, tree.province.id)).toEqual(before);
  });

  it("should refuse moving a root", async () => {
    expect(await errorCode(() => moveUnit(db, systemActor(), tree.province.id, tree.communeA.id))).toBe(
      "unit_root_move",
    );
  });
});

describe("resolveUnit", () => {
  it("should find a unit by name without diacritics", async () => {
    expect((await resolveUnit(db, "chi hoi khu pho 3")).id).toBe(tree.branchB2.id);
  });

  it("should report an ambiguous name with the candidates", async () => {
    try {
      await resolveUnit(db, "Chi hội 1");
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e, "unit_ambiguous")).toBe(true);
      expect(String((e as { params: { candidates: string } }).params.candidates)).toContain("Xã Phước Hòa / Chi hội 1");
    }
  });

  it("should disambiguate by path or by parent scope", async () => {
    expect((await resolveUnit(db, "Phước Hòa / Chi hội 1".replace("Phước", "Xã Phước"))).id).toBe(tree.branchA1.id);
    expect((await resolveUnit(db, "Chi hội 1", tree.communeB.id)).id).toBe(tree.branchB1.id);
    expect((await resolveUnit(db, String(tree.branchA2.id))).id).toBe(tree.branchA2.id);
  });

  it("should not find a unit outside the given scope", async () => {
    expect(await errorCode(() => resolveUnit(db, "Chi hội 2", tree.communeB.id))).toBe("unit_not_found");
  });
});

describe("rollUpCounts", () => {
  it("should count members and linked members per unit and up the tree", async () => {
    const add = async (unitId: number, n: number, linked = 0) => {
      for (let i = 0; i < n; i++) {
        const p = await createPerson(db, { fullName: `Người ${unitId}-${i}` });
        await addMembership(db, { actor: systemActor(), personId: p.id, unitId, role: "member" });
        if (i < linked)
          await db.kysely.updateTable("Person").set({ linkedAccounts: 1 }).where("id", "=", p.id).execute();
      }
    };
    await add(tree.branchA1.id, 5, 2);
    await add(tree.branchA2.id, 3, 3);
    await add(tree.branchB1.id, 4, 0);
    await add(tree.communeA.id, 1, 1);
    const counts = new Map((await rollUpCounts(db, tree.province.id)).map((c) => [c.unitId, c]));
    expect(counts.get(tree.branchA1.id)).toMatchObject({ members: 5, linked: 2, membersTotal: 5, linkedTotal: 2 });
    expect(counts.get(tree.communeA.id)).toMatchObject({ members: 1, membersTotal: 9, linkedTotal: 6 });
    expect(counts.get(tree.communeB.id)).toMatchObject({ members: 0, membersTotal: 4, linkedTotal: 0 });
    expect(counts.get(tree.province.id)).toMatchObject({ membersTotal: 13, linkedTotal: 6 });
    const sub = await rollUpCounts(db, tree.communeA.id);
    expect(sub.map((c) => c.unitId)).toEqual([tree.communeA.id, tree.branchA1.id, tree.branchA2.id]);
  });
});

describe("resolveUnit by part of a name", () => {
  it("should accept the distinctive words of exactly one unit's name", async () => {
    expect((await resolveUnit(db, "phuoc hoa")).id).toBe(tree.communeA.id);
    expect((await resolveUnit(db, "Khu phố 3")).id).toBe(tree.branchB2.id);
  });

  it("should not match inside a word, and report several matches as ambiguous", async () => {
    await expect(resolveUnit(db, "uoc hoa")).rejects.toThrowError(/unit_not_found/);
    await expect(resolveUnit(db, "Phước H")).rejects.toThrowError(/unit_not_found/);
    try {
      await resolveUnit(db, "chi hoi");
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e, "unit_ambiguous")).toBe(true);
    }
  });
});
