/**
 * Imports a unit tree (read from a file by src/input/roster/unit-tree-file.ts) under a unit.
 * Parents may be listed before or after their children. Existing units are kept (re-importing
 * changes nothing).
 */
import { assertActorCan, type Actor } from "../access/actor.ts";
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { createUnit, getUnit, subtreeRange, usualChildLevel, type UnitRow } from "../units/unit-service.ts";

const unitColumns = ["id", "organisationId", "parentId", "name", "levelLabel", "path", "depth"] as const;

/** One unit listed in the file: its name, its parent's name (null = the root), its level label. */
export interface UnitLine {
  line: number;
  name: string;
  parent: string | null;
  level: string;
}

export interface UnitTreeIssue {
  line: number;
  code: string;
  params: Record<string, string | number>;
}

/** The units a file lists, and the issues of its rows that are no unit. */
export interface UnitTreeRead {
  lines: UnitLine[];
  issues: UnitTreeIssue[];
}

/**
 * Creates the units of a tree under `rootId` (none on a dry run, or when any row has an issue).
 * `read` gives the tree and is called once the actor may administer the root, so a refused actor's
 * file is never read. Throws forbidden, or invalid_input when the file's parents form a cycle.
 */
export async function importUnitTree(
  db: Database,
  {
    actor,
    read,
    rootId,
    dryRun,
    now,
  }: { actor: Actor; read: () => Promise<UnitTreeRead>; rootId: number; dryRun?: boolean; now?: Date },
): Promise<{ created: string[]; issues: UnitTreeIssue[] }> {
  await assertActorCan(db, actor, "administer", rootId);
  const { lines, issues } = await read();

  const root = await getUnit(db, rootId);
  const [lo, hi] = subtreeRange(root.path);
  const fileNames = new Set(lines.map((l) => foldVietnamese(l.name)));
  // Parents must exist in the database under the root, or be named in the file.
  for (const l of lines) {
    if (!l.parent) continue;
    const key = foldVietnamese(l.parent);
    if (key === foldVietnamese(root.name) || fileNames.has(key)) continue;
    const n = Number(
      (
        await db.kysely
          .selectFrom("Unit")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("nameKey", "=", key)
          .where("path", ">=", lo)
          .where("path", "<", hi)
          .executeTakeFirstOrThrow()
      ).n,
    );
    if (n === 0) issues.push({ line: l.line, code: "parent_missing", params: { unit: l.parent, root: root.name } });
    if (n > 1) issues.push({ line: l.line, code: "unit_ambiguous", params: { unit: l.parent } });
  }
  const created: string[] = [];
  if (issues.length) return { created, issues };

  const apply = async () => {
    const known = new Map<string, UnitRow>([[foldVietnamese(root.name), root]]);
    const lookup = async (key: string): Promise<UnitRow | undefined> =>
      known.get(key) ??
      (await db.kysely
        .selectFrom("Unit")
        .select(unitColumns)
        .where("nameKey", "=", key)
        .where("path", ">=", lo)
        .where("path", "<", hi)
        .orderBy("path")
        .executeTakeFirst());
    let pending = [...lines];
    while (pending.length) {
      const next: UnitLine[] = [];
      for (const l of pending) {
        const parent = l.parent ? await lookup(foldVietnamese(l.parent)) : root;
        if (!parent) {
          next.push(l);
          continue;
        }
        const existing = await db.kysely
          .selectFrom("Unit")
          .select(unitColumns)
          .where("parentId", "=", parent.id)
          .where("nameKey", "=", foldVietnamese(l.name))
          .executeTakeFirst();
        if (existing) known.set(foldVietnamese(l.name), existing);
        else {
          const unit = dryRun
            ? ({ ...parent, id: -1 - created.length, name: l.name, parentId: parent.id } as UnitRow)
            : await createUnit(
                db,
                actor,
                { parentId: parent.id, name: l.name, levelLabel: l.level || (await usualChildLevel(db, parent.id)) },
                now,
              );
          known.set(foldVietnamese(l.name), unit);
          created.push(l.name);
        }
      }
      if (next.length === pending.length) {
        for (const l of next) issues.push({ line: l.line, code: "unit_cycle_in_file", params: { unit: l.name } });
        throw new AppError("invalid_input", { field: "parent" });
      }
      pending = next;
    }
  };
  try {
    if (dryRun) await apply();
    else await db.transaction(apply);
  } catch (e) {
    if (issues.length) return { created: [], issues };
    throw e;
  }
  return { created, issues };
}
