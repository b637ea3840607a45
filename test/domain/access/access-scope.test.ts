import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, testPostgresUrl, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import {
  assertCan,
  can,
  pathInRanges,
  scopeCondition,
  scopeRanges,
  scopeRoots,
} from "../../../src/domain/access/access-scope.ts";
import { createUnit, moveUnit } from "../../../src/domain/units/unit-service.ts";
import { isAppError } from "../../../src/lib/app-error.ts";

let db: TestDatabase;
let tree: TestTree;
beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

async function person(name: string, unitId: number, role: "member" | "cadre" | "official" | "admin") {
  const p = await createPerson(db, { fullName: name });
  await addMembership(db, { actor: systemActor(), personId: p.id, unitId, role });
  return p.id;
}

describe("can", () => {
  it("should give a cadre rights over their branch and its sub-units only", async () => {
    const cadre = await person("Nguyễn Văn Cán", tree.branchA1.id, "cadre");
    const team = await createUnit(db, systemActor(), { parentId: tree.branchA1.id, name: "Tổ 1" });
    expect(await can(db, cadre, "manage_meetings", tree.branchA1.id)).toBe(true);
    expect(await can(db, cadre, "manage_meetings", team.id)).toBe(true);
    expect(await can(db, cadre, "manage_meetings", tree.branchA2.id)).toBe(false); // sibling
    expect(await can(db, cadre, "manage_meetings", tree.communeA.id)).toBe(false); // parent
    expect(await can(db, cadre, "read", tree.branchB1.id)).toBe(false); // same name, other commune
    expect(await can(db, cadre, "administer", tree.branchA1.id)).toBe(false);
  });

  it("should give an official of a commune the whole commune and nothing beside it", async () => {
    const official = await person("Trần Thị Quan", tree.communeA.id, "official");
    expect(await can(db, official, "handle_tickets", tree.branchA2.id)).toBe(true);
    expect(await can(db, official, "handle_tickets", tree.communeB.id)).toBe(false);
    expect(await can(db, official, "handle_tickets", tree.branchB2.id)).toBe(false);
    expect(await can(db, official, "handle_tickets", tree.province.id)).toBe(false);
  });

  it("should give a member no rights at all, even on their own branch", async () => {
    const member = await person("Lê Văn Viên", tree.branchA1.id, "member");
    for (const perm of [
      "read",
      "manage_meetings",
      "send_directives",
      "handle_tickets",
      "manage_people",
      "administer",
    ] as const)
      expect(await can(db, member, perm, tree.branchA1.id)).toBe(false);
  });

  it("should follow a unit that is moved out of the scope", async () => {
    const official = await person("Trần Thị Quan", tree.communeA.id, "official");
    await moveUnit(db, systemActor(), tree.branchA2.id, tree.communeB.id);
    expect(await can(db, official, "read", tree.branchA2.id)).toBe(false);
  });

  it("should combine roles held in several units", async () => {
    const p = await person("Phạm Văn Hai", tree.branchA1.id, "cadre");
    await addMembership(db, { actor: systemActor(), personId: p, unitId: tree.communeB.id, role: "official" });
    expect(await can(db, p, "read", tree.branchB2.id)).toBe(true);
    expect(await can(db, p, "read", tree.branchA2.id)).toBe(false);
  });
});

describe("assertCan", () => {
  it("should throw forbidden outside the scope", async () => {
    const cadre = await person("Nguyễn Văn Cán", tree.branchA1.id, "cadre");
    await expect(assertCan(db, cadre, "read", tree.branchA1.id)).resolves.not.toThrow();
    try {
      await assertCan(db, cadre, "read", tree.branchA2.id);
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e, "forbidden")).toBe(true);
    }
  });
});

describe("scopeRoots", () => {
  it("should keep only the top-most units", async () => {
    const p = await person("Phạm Văn Hai", tree.branchA1.id, "cadre");
    await addMembership(db, { actor: systemActor(), personId: p, unitId: tree.communeA.id, role: "official" });
    await addMembership(db, { actor: systemActor(), personId: p, unitId: tree.branchB1.id, role: "cadre" });
    expect((await scopeRoots(db, p, "read")).map((s) => s.unitId).sort()).toEqual(
      [tree.communeA.id, tree.branchB1.id].sort(),
    );
  });

  it("should give path ranges that select exactly the subtree", async () => {
    const official = await person("Trần Thị Quan", tree.communeA.id, "official");
    const inScope = async (personId: number) => {
      const ranges = await scopeRanges(db, personId, "read");
      return (
        await db.kysely
          .selectFrom("Unit as u")
          .select("u.id")
          .where((eb) => pathInRanges(eb, eb.ref("u.path"), ranges))
          .orderBy("u.id")
          .execute()
      ).map((r) => r.id);
    };
    expect(await inScope(official)).toEqual([tree.communeA.id, tree.branchA1.id, tree.branchA2.id]);
    const member = await person("Lê Văn Viên", tree.branchA1.id, "member");
    expect(await scopeRanges(db, member, "read")).toEqual([]);
    expect(await inScope(member)).toEqual([]);
  });

  // The SQL text for modules still on raw SQL, which runs on SQLite only.
  it.skipIf(testPostgresUrl !== undefined)(
    "should produce a SQL condition that selects exactly the subtree",
    async () => {
      const official = await person("Trần Thị Quan", tree.communeA.id, "official");
      const [cond, params] = await scopeCondition(db, official, "read");
      const ids = (await db.sql.all<{ id: number }>(`SELECT id FROM Unit u WHERE ${cond} ORDER BY id`, ...params)).map(
        (r) => r.id,
      );
      expect(ids).toEqual([tree.communeA.id, tree.branchA1.id, tree.branchA2.id]);
      const member = await person("Lê Văn Viên", tree.branchA1.id, "member");
      const [none, noParams] = await scopeCondition(db, member, "read");
      expect(await db.sql.all(`SELECT id FROM Unit u WHERE ${none}`, ...noParams)).toEqual([]);
    },
  );
});
