import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { importRosterFile } from "../../../src/input/roster/import-roster-file.ts";
import { listMembers } from "../../../src/domain/people/people-service.ts";
import { isAppError } from "../../../src/lib/app-error.ts";

let db: TestDatabase;
let tree: TestTree;
beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

function csv(name: string, text: string): string {
  const file = path.join(db.dir, name);
  writeFileSync(file, text);
  return file;
}

const roster = [
  "DANH SÁCH HỘI VIÊN XÃ PHƯỚC HÒA",
  "",
  "STT,Họ và tên,SĐT,Chi hội,Chức vụ,Năm sinh",
  "1,Nguyễn Văn An,0912 345 678,Chi hội 1,Chi hội trưởng,1950",
  "2,Trần Thị Bình,+84912345679,Chi hội 1,,1955",
  "3,Lê Văn Cường,,Chi hội 2,,1948",
].join("\n");

async function snapshot() {
  return {
    people: await db.kysely
      .selectFrom("Person")
      .select(["id", "fullName", "phone", "birthYear", "updatedAt"])
      .orderBy("id")
      .execute(),
    memberships: await db.kysely
      .selectFrom("Membership")
      .select(["personId", "unitId", "role", "title"])
      .orderBy("personId")
      .orderBy("unitId")
      .orderBy("role")
      .execute(),
    units: await db.kysely.selectFrom("Unit").select(["id", "path"]).orderBy("id").execute(),
  };
}

describe("importRosterFile", () => {
  it("should import people into the named units, with cadres from their title", async () => {
    const r = await importRosterFile(db, {
      actor: systemActor(),
      file: csv("a.csv", roster),
      unitId: tree.communeA.id,
    });
    expect(r).toMatchObject({ created: 3, updated: 0, unchanged: 0, invalidRows: 0, written: true });
    const a1 = await listMembers(db, tree.branchA1.id);
    expect(a1.map((m) => [m.fullName, m.phone, m.role])).toEqual([
      ["Nguyễn Văn An", "0912345678", "cadre"],
      ["Trần Thị Bình", "0912345679", "member"],
    ]);
    expect((await listMembers(db, tree.branchA2.id)).map((m) => m.fullName)).toEqual(["Lê Văn Cường"]);
  });

  it("should import a roster larger than one write batch, each person with their own phone, unit and role", async () => {
    const n = 1203; // two full batches of people and a short one (memberships: more)
    const lines = ["Họ và tên,SĐT,Chi hội,Chức vụ,Năm sinh"];
    for (let i = 0; i < n; i++)
      lines.push(
        `Người Số ${i},09${String(20_000_000 + i)},${i % 2 ? "Chi hội 2" : "Chi hội 1"},${i % 100 === 7 ? "Chi hội trưởng" : ""},${1940 + (i % 50)}`,
      );
    const file = csv("big.csv", lines.join("\n"));
    const r = await importRosterFile(db, { actor: systemActor(), file, unitId: tree.communeA.id });
    expect(r).toMatchObject({ created: n, updated: 0, invalidRows: 0, written: true });
    const people = await db.kysely
      .selectFrom("Person as p")
      .innerJoin("Membership as m", "m.personId", "p.id")
      .select(["p.id", "p.fullName", "p.phone", "p.birthYear", "m.unitId", "m.role", "m.title"])
      .where("p.phone", "like", "092%")
      .orderBy("p.id")
      .orderBy("m.role")
      .execute();
    const expected = [];
    for (let i = 0; i < n; i++) {
      const unitId = i % 2 ? tree.branchA2.id : tree.branchA1.id;
      const base = { fullName: `Người Số ${i}`, phone: `09${20_000_000 + i}`, birthYear: 1940 + (i % 50), unitId };
      if (i % 100 === 7)
        expected.push(
          { ...base, role: "cadre", title: "Chi hội trưởng" },
          { ...base, role: "member", title: "Chi hội trưởng" },
        );
      else expected.push({ ...base, role: "member", title: null });
    }
    expect(people.map(({ id: _id, ...rest }) => rest)).toEqual(expected);
    // Ids follow the file's order.
    const ids = [...new Set(people.map((p) => p.id))];
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const again = await importRosterFile(db, { actor: systemActor(), file, unitId: tree.communeA.id });
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: n });
  });

  it("should change nothing when the same file is imported again", async () => {
    const file = csv("a.csv", roster);
    await importRosterFile(db, { actor: systemActor(), file, unitId: tree.communeA.id });
    const before = await snapshot();
    const again = await importRosterFile(db, {
      actor: systemActor(),
      file,
      unitId: tree.communeA.id,
      now: new Date(Date.now() + 60_000),
    });
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 3 });
    expect(await snapshot()).toEqual(before);
  });

  it("should update a changed row, matched by phone then by name within the unit", async () => {
    await importRosterFile(db, { actor: systemActor(), file: csv("a.csv", roster), unitId: tree.communeA.id });
    const changed = [
      "Họ tên;Số điện thoại;Đơn vị;Chức vụ;Năm sinh",
      "Nguyễn Văn An;0912345678;Chi hội 1;;1951", // no longer a cadre, birth year fixed
      "Trần Thị Bình;0912345679;Chi hội 2;;1955", // moved to branch 2
      "Lê Văn Cường;0987654321;Chi hội 2;;1948", // matched by name, phone added
    ].join("\n");
    const r = await importRosterFile(db, {
      actor: systemActor(),
      file: csv("b.csv", changed),
      unitId: tree.communeA.id,
    });
    expect(r).toMatchObject({ created: 0, updated: 3, unchanged: 0 });
    expect((await listMembers(db, tree.branchA1.id)).map((m) => [m.fullName, m.role, m.birthYear])).toEqual([
      ["Nguyễn Văn An", "member", 1951],
    ]);
    expect((await listMembers(db, tree.branchA2.id)).map((m) => [m.fullName, m.phone])).toEqual([
      ["Lê Văn Cường", "0987654321"],
      ["Trần Thị Bình", "0912345679"],
    ]);
    expect(
      Number(
        (
          await db.kysely
            .selectFrom("Person")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      ),
    ).toBe(3);
  });

  it("should write nothing when a row is invalid, and report it with its line", async () => {
    const bad = [
      "Họ và tên,SĐT,Chi hội",
      "Nguyễn Văn An,0912345678,Chi hội 1",
      ",0912345670,Chi hội 1",
      "Trần Văn Ba,12345,Chi hội 1",
      "Phạm Văn Tư,0912000000,Chi hội Không Có",
    ].join("\n");
    const before = await snapshot();
    const r = await importRosterFile(db, { actor: systemActor(), file: csv("bad.csv", bad), unitId: tree.communeA.id });
    expect(r.written).toBe(false);
    expect(r.issues.map((i) => [i.line, i.code])).toEqual([
      [3, "name_missing"],
      [4, "phone_invalid"],
      [5, "unit_missing"],
    ]);
    expect(await snapshot()).toEqual(before);
  });

  it("should write the valid rows with skipInvalid, and create units with createUnits", async () => {
    const bad = [
      "Họ và tên,SĐT,Chi hội",
      "Nguyễn Văn An,0912345678,Chi hội 1",
      "Trần Văn Ba,12345,Chi hội 1",
      "Phạm Văn Tư,0912000000,Chi hội Ấp Mới",
    ].join("\n");
    const r = await importRosterFile(db, {
      actor: systemActor(),
      file: csv("bad.csv", bad),
      unitId: tree.communeA.id,
      skipInvalid: true,
      createUnits: true,
    });
    expect(r).toMatchObject({ created: 2, invalidRows: 1, written: true, unitsToCreate: ["Chi hội Ấp Mới"] });
    const unit = await db.kysely
      .selectFrom("Unit")
      .select(["id", "parentId"])
      .where("name", "=", "Chi hội Ấp Mới")
      .executeTakeFirstOrThrow();
    expect(unit.parentId).toBe(tree.communeA.id);
    expect((await listMembers(db, unit.id)).map((m) => m.fullName)).toEqual(["Phạm Văn Tư"]);
  });

  it("should not write anything on a dry run but show the plan", async () => {
    const before = await snapshot();
    const r = await importRosterFile(db, {
      actor: systemActor(),
      file: csv("a.csv", roster),
      unitId: tree.communeA.id,
      dryRun: true,
    });
    expect(r.written).toBe(false);
    expect(r.changes.map((c) => c.kind)).toEqual(["create", "create", "create"]);
    expect(await snapshot()).toEqual(before);
  });

  it("should refuse a unit name that matches two units under the parent", async () => {
    const text = "Họ và tên,Chi hội\nNguyễn Văn An,Chi hội 1\n";
    const r = await importRosterFile(db, {
      actor: systemActor(),
      file: csv("amb.csv", text),
      unitId: tree.province.id,
    });
    expect(r.issues.map((i) => i.code)).toEqual(["unit_ambiguous"]);
    expect(r.written).toBe(false);
  });

  it("should refuse a missing file and a file that is not a roster", async () => {
    await expect(
      importRosterFile(db, { actor: systemActor(), file: path.join(db.dir, "nope.csv"), unitId: tree.communeA.id }),
    ).rejects.toSatisfy((e) => isAppError(e, "file_missing"));
    const pdf = csv("x.xlsx", "%PDF-1.4 binary\u0000\u0001");
    await expect(importRosterFile(db, { actor: systemActor(), file: pdf, unitId: tree.communeA.id })).rejects.toSatisfy(
      (e) => isAppError(e, "file_format"),
    );
  });
});
