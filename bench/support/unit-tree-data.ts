/**
 * The unit-tree benchmark's data: Tỉnh → 100 xã → 10 ấp → 9 chi hội (10,101 units) and 200,000
 * people, one membership each, a third linked. Raw SQLite inserts for speed.
 */
import type { Database } from "../../src/storage/database.ts";
import { createOrganisation } from "../../src/domain/units/unit-service.ts";
import { systemActor } from "../../src/domain/access/actor.ts";

export async function buildUnitTree(
  db: Database,
): Promise<{ rootId: number; communeIds: number[]; units: number; people: number }> {
  const { id: organisationId } = await createOrganisation(db, systemActor(), { code: "b", name: "Bench" });
  const now = Date.now();
  // Tỉnh → 100 xã → 10 ấp → 9 chi hội ≈ 10,001 units, built with raw inserts for speed.
  const insertUnit = db.sql.db.prepare(
    `INSERT INTO Unit (organisationId, parentId, name, nameKey, levelLabel, path, depth, createdAt) VALUES (?, ?, ?, ?, '', ?, ?, ?)`,
  );
  const setPath = db.sql.db.prepare(`UPDATE Unit SET path = ? WHERE id = ?`);
  const leaves: number[] = [];
  const communeIds: number[] = [];
  await db.transaction(async () => {
    const add = (parent: { id: number; path: string; depth: number } | null, name: string) => {
      const id = Number(
        insertUnit.run(
          organisationId,
          parent?.id ?? null,
          name,
          name.toLowerCase(),
          `tmp${Math.random()}`,
          parent ? parent.depth + 1 : 0,
          now,
        ).lastInsertRowid,
      );
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
  const insertPerson = db.sql.db.prepare(
    `INSERT INTO Person (fullName, nameKey, linkedAccounts, locale, createdAt, updatedAt) VALUES (?, ?, ?, 'vi', ?, ?)`,
  );
  const insertMember = db.sql.db.prepare(
    `INSERT INTO Membership (personId, unitId, role, createdAt) VALUES (?, ?, 'member', ?)`,
  );
  await db.transaction(async () => {
    for (let i = 0; i < 200_000; i++) {
      const id = Number(insertPerson.run(`Người ${i}`, `nguoi ${i}`, i % 3 === 0 ? 1 : 0, now, now).lastInsertRowid);
      insertMember.run(id, leaves[i % leaves.length]!, now);
    }
  });
  db.sql.db.pragma("optimize");
  const units = (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Unit`))!.n;
  const rootId = (await db.sql.get<{ id: number }>(`SELECT id FROM Unit WHERE parentId IS NULL`))!.id;
  return { rootId, communeIds, units, people: 200_000 };
}
