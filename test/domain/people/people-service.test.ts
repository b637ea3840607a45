import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import {
  addMembership, audienceIds, createPerson, findPersonByPhone, invitedPeople, listMembers, listMemberships, removeMembership, updatePerson,
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
    const u = await updatePerson(db, systemActor(), p.id, { note: "Thương binh" });
    expect(u).toMatchObject({ fullName: "Nguyễn Văn An", phone: "0912345678", birthYear: 1950, note: "Thương binh" });
  });
});

describe("memberships", () => {
  it("should let a person hold roles in several units", async () => {
    const p = await createPerson(db, { fullName: "Nguyễn Văn An" });
    await addMembership(db, systemActor(), p.id, tree.branchA1.id, "member");
    await addMembership(db, systemActor(), p.id, tree.branchA1.id, "cadre", "Chi hội trưởng");
    await addMembership(db, systemActor(), p.id, tree.branchB2.id, "member");
    await addMembership(db, systemActor(), p.id, tree.branchB2.id, "member"); // idempotent
    expect((await listMemberships(db, p.id)).map((m) => [m.unitId, m.role])).toEqual([
      [tree.branchA1.id, "member"], [tree.branchA1.id, "cadre"], [tree.branchB2.id, "member"],
    ].sort((a, b) => (Number(a[0]) - Number(b[0])) || String(a[1]).localeCompare(String(b[1]))));
    const listed = await listMembers(db, tree.branchA1.id);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: p.id, role: "cadre", title: "Chi hội trưởng" });
    expect(await removeMembership(db, systemActor(), p.id, tree.branchB2.id)).toBe(1);
  });

  it("should list the audience of a subtree once per person", async () => {
    const a = await createPerson(db, { fullName: "A" });
    const b = await createPerson(db, { fullName: "B" });
    await addMembership(db, systemActor(), a.id, tree.branchA1.id, "member");
    await addMembership(db, systemActor(), a.id, tree.branchA2.id, "member");
    await addMembership(db, systemActor(), b.id, tree.branchB1.id, "member");
    expect(await audienceIds(db, tree.communeA.id)).toEqual([a.id]);
    expect(await audienceIds(db, tree.province.id)).toEqual([a.id, b.id]);
    expect(await audienceIds(db, tree.communeA.id, { subtree: false })).toEqual([]);
  });
});

describe("invitedPeople", () => {
  it("should list the unit's (or subtree's) people once each, by id, with the account a message should use", async () => {
    const a = await createPerson(db, { fullName: "An", locale: "en" });
    const b = await createPerson(db, { fullName: "Bình" });
    const c = await createPerson(db, { fullName: "Cường" });
    await addMembership(db, systemActor(), a.id, tree.communeA.id, "cadre");
    await addMembership(db, systemActor(), a.id, tree.branchA1.id, "member");
    await addMembership(db, systemActor(), b.id, tree.branchA1.id, "member");
    await addMembership(db, systemActor(), c.id, tree.branchB1.id, "member");
    const account = async (personId: number, platform: "telegram" | "zalo" | "web", externalId: string, fields: { preferred?: boolean; unreachable?: boolean; linkedAt?: number }) =>
      (await db.kysely
        .insertInto("ChatAccount")
        .values({ platform, externalId, personId, preferred: fields.preferred ?? false, unreachable: fields.unreachable ?? false, linkedAt: fields.linkedAt ?? 1, createdAt: 1 })
        .returning("id")
        .executeTakeFirstOrThrow()).id;
    // A: the preferred account is blocked; of the others the web chat comes last.
    await account(a.id, "telegram", "a-tg", { preferred: true, unreachable: true });
    await account(a.id, "web", "a-web", { linkedAt: 1 });
    const aZalo = await account(a.id, "zalo", "a-zalo", { linkedAt: 5 });
    // B: only a blocked account. C: the preferred one.
    await account(b.id, "telegram", "b-tg", { preferred: true, unreachable: true });
    const cTg = await account(c.id, "telegram", "c-tg", { preferred: true, linkedAt: 9 });
    await account(c.id, "zalo", "c-zalo", { linkedAt: 2 });

    expect(await invitedPeople(db, { unitId: tree.communeA.id, includeSubtree: true })).toEqual([
      { personId: a.id, fullName: "An", locale: "en", account: { id: aZalo, platform: "zalo", externalId: "a-zalo" } },
      { personId: b.id, fullName: "Bình", locale: "vi", account: null },
    ]);
    expect((await invitedPeople(db, { unitId: tree.communeA.id, includeSubtree: false })).map((p) => p.personId)).toEqual([a.id]);
    expect((await invitedPeople(db, { unitId: tree.province.id, includeSubtree: 1 })).map((p) => [p.personId, p.account?.id ?? null])).toEqual([
      [a.id, aZalo], [b.id, null], [c.id, cTg],
    ]);
    expect(await invitedPeople(db, { unitId: tree.province.id, includeSubtree: 0 })).toEqual([]);
    expect((await invitedPeople(db, { unitId: tree.communeB.id, includeSubtree: true }, { personId: c.id })).map((p) => p.personId)).toEqual([c.id]);
    expect(await invitedPeople(db, { unitId: tree.communeB.id, includeSubtree: true }, { personId: a.id })).toEqual([]);
  });
});
