/**
 * Issue 2: subtree listing and roll-up counts on a tree of 10,000 units and 200,000 people —
 * target under 20 ms each.
 */
import { systemActor } from "../src/domain/access/actor.ts";
import { benchDatabase, median, report, time } from "./lib.ts";
import { createOrganisation, listSubtree, rollUpCounts } from "../src/domain/units/unit-service.ts";

const db = await benchDatabase();
const { id: organisationId } = createOrganisation(db, systemActor(), { code: "b", name: "Bench" });
const now = Date.now();
// Tỉnh → 100 xã → 10 ấp → 9 chi hội ≈ 10,001 units, built with raw inserts for speed.
const insertUnit = db.sql.db.prepare(`INSERT INTO Unit (organisationId, parentId, name, nameKey, levelLabel, path, depth, createdAt) VALUES (?, ?, ?, ?, '', ?, ?, ?)`);
const setPath = db.sql.db.prepare(`UPDATE Unit SET path = ? WHERE id = ?`);
const leaves: number[] = [];
let communeIds: number[] = [];
db.sql.transaction(() => {
  const add = (parent: { id: number; path: string; depth: number } | null, name: string) => {
    const id = Number(insertUnit.run(organisationId, parent?.id ?? null, name, name.toLowerCase(), `tmp${Math.random()}`, parent ? parent.depth + 1 : 0, now).lastInsertRowid);
    const path = `${parent?.path ?? "/"}${id}/`;
    setPath.run(path, id);
    return { id, path, depth: parent ? parent.depth + 1 : 0 };
  };
  const root = add(null, "Tỉnh");
  for (let c = 0; c < 100; c++) {
    const commune = add(root, `Xã ${c}`);
    communeIds.push(commune.id);
    for (let h = 0; h < 10; h++) {
      const hamlet = add(commune, `Ấp ${c}-${h}`);
      for (let b = 0; b < 9; b++) leaves.push(add(hamlet, `Chi hội ${c}-${h}-${b}`).id);
    }
  }
});
const insertPerson = db.sql.db.prepare(`INSERT INTO Person (fullName, nameKey, linkedAccounts, locale, createdAt, updatedAt) VALUES (?, ?, ?, 'vi', ?, ?)`);
const insertMember = db.sql.db.prepare(`INSERT INTO Membership (personId, unitId, role, createdAt) VALUES (?, ?, 'member', ?)`);
db.sql.transaction(() => {
  for (let i = 0; i < 200_000; i++) {
    const id = Number(insertPerson.run(`Người ${i}`, `nguoi ${i}`, i % 3 === 0 ? 1 : 0, now, now).lastInsertRowid);
    insertMember.run(id, leaves[i % leaves.length]!, now);
  }
});
db.sql.db.pragma("optimize");
const units = db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Unit`)!.n;
const rootId = db.sql.get<{ id: number }>(`SELECT id FROM Unit WHERE parentId IS NULL`)!.id;

function measure(fn: () => unknown, runs = 20): number[] {
  fn();
  return Array.from({ length: runs }, () => time(fn).ms);
}
const listWhole = measure(() => listSubtree(db, rootId));
const listCommune = measure(() => listSubtree(db, communeIds[42]!));
const rollWhole = measure(() => rollUpCounts(db, rootId));
const rollCommune = measure(() => rollUpCounts(db, communeIds[42]!));
const total = rollUpCounts(db, rootId)[0]!;
report("unit tree", {
  units,
  people: 200_000,
  rootMembersTotal: total.membersTotal,
  listSubtreeWholeMs: median(listWhole).toFixed(1),
  listSubtreeCommuneMs: median(listCommune).toFixed(2),
  rollUpWholeMs: median(rollWhole).toFixed(1),
  rollUpCommuneMs: median(rollCommune).toFixed(2),
}, "< 20 ms each");
await db.destroy();
