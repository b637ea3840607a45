import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import {
  addMembership,
  createPerson,
  findPersonByPhone,
  listMembers,
  listMemberships,
  removeMembership,
  updatePerson,
} from "../../../src/domain/people/people-service.ts";
import { isAppError } from "../../../src/lib/app-error.ts";

let db: TestDatabase;
let tree: TestTree;
beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

describe("createPerson", () => {
  it("should normalise the name and phone", async () => {
    const p = await createPerson(db, { fullName: "  Nguyễn   Văn  An ", phone: "+84 912.345.678" });
    expect(p.fullName).toBe("Nguyễn Văn An");
    expect(p.phone).toBe("0912345678");
    expect((await findPersonByPhone(db, "84912345678"))?.id).toBe(p.id);
  });

  it("should refuse a phone that another person has, and a bad phone", async () => {
    await createPerson(db, { fullName: "A", phone: "0912345678" });
    await expect(createPerson(db, { fullName: "B", phone: "0912 345 678" })).rejects.toThrowError(/phone_taken/);
    try {
      await createPerson(db, { fullName: "C", phone: "12ab" });
      expect.unreachable();
    } catch (e) {
      expect(isAppError(e, "invalid_input")).toBe(true);
    }
  });
});

describe("updatePerson", () => {
  it("should update fields and keep the others", async () => {
    const p = await createPerson(db, { fullName: "Nguyễn Văn An", phone: "0912345678", birthYear: 1950 });
    const u = await updatePerson(db, { actor: systemActor(), id: p.id, input: { note: "Thương binh" } });
    expect(u).toMatchObject({ fullName: "Nguyễn Văn An", phone: "0912345678", birthYear: 1950, note: "Thương binh" });
  });
});

describe("memberships", () => {
  it("should let a person hold roles in several units", async () => {
    const p = await createPerson(db, { fullName: "Nguyễn Văn An" });
    await addMembership(db, { actor: systemActor(), personId: p.id, unitId: tree.branchA1.id, role: "member" });
    await addMembership(db, {
      actor: systemActor(),
      personId: p.id,
      unitId: tree.branchA1.id,
      role: "cadre",
      title: "Chi hội trưởng",
    });
    await addMembership(db, { actor: systemActor(), personId: p.id, unitId: tree.branchB2.id, role: "member" });
    await addMembership(db, { actor: systemActor(), personId: p.id, unitId: tree.branchB2.id, role: "member" }); // idempotent
    expect((await listMemberships(db, p.id)).map((m) => [m.unitId, m.role])).toEqual(
      [
        [tree.branchA1.id, "member"],
        [tree.branchA1.id, "cadre"],
        [tree.branchB2.id, "member"],
      ].sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1]))),
    );
    const listed = await listMembers(db, tree.branchA1.id);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: p.id, role: "cadre", title: "Chi hội trưởng" });
    expect(await removeMembership(db, { actor: systemActor(), personId: p.id, unitId: tree.branchB2.id })).toBe(1);
  });
});
