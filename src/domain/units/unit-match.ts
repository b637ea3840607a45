/**
 * Every unit a typed name may mean, for places that must not stop at "which one?" (signing in by
 * name and unit, before anyone is known). Matches like `resolveUnit`: the whole name or whole words
 * of it ("Triệu Phong" for "Hội CCB xã Triệu Phong"), or a path of such names ("Phước Hòa / Chi hội
 * 1"), without diacritics or case. Written on the typed data layer (both engines).
 */
import type { Database } from "../../storage/database.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { inIds, likeKey } from "../../storage/dialect.ts";
import type { UnitRow } from "./unit-service.ts";

const unitColumns = ["id", "organisationId", "parentId", "name", "levelLabel", "path", "depth"] as const;

/** Whether `part` (folded) names `name` (folded): the whole of it, or whole words of it. */
function names(part: string, name: string): boolean {
  return name === part || ` ${name} `.includes(` ${part} `);
}

/**
 * The units `ref` may name, in tree order, at most `limit` (all organisations; pass the result
 * through the caller's own scope where there is one). Empty when nothing matches.
 */
export async function matchUnits(db: Database, ref: string, limit = 200): Promise<UnitRow[]> {
  const parts = ref
    .split(/\s*[/>]\s*/)
    .map(foldVietnamese)
    .filter(Boolean);
  const last = parts.at(-1);
  if (!last) return [];
  let candidates = await db.kysely
    .selectFrom("Unit")
    .select(unitColumns)
    .where("nameKey", "=", last)
    .orderBy("path")
    .limit(limit * 10)
    .execute();
  if (!candidates.length) {
    const containing = await db.kysely
      .selectFrom("Unit")
      .select(["id", "organisationId", "parentId", "name", "levelLabel", "path", "depth", "nameKey"])
      .where((eb) => likeKey(eb.ref("nameKey"), last))
      .orderBy("path")
      .limit(limit * 10)
      .execute();
    candidates = containing.filter((u) => names(last, u.nameKey)).map(({ nameKey: _key, ...unit }) => unit);
  }
  if (parts.length > 1 && candidates.length) {
    // Each typed ancestor must name one of the unit's ancestors, in order.
    const ancestorIds = [
      ...new Set(candidates.flatMap((u) => u.path.split("/").filter(Boolean).map(Number).slice(0, -1))),
    ];
    const ancestors = ancestorIds.length
      ? await db.kysely
          .selectFrom("Unit")
          .select(["id", "nameKey"])
          .where((eb) => inIds(db.engine, eb.ref("id"), ancestorIds))
          .execute()
      : [];
    const keyOf = new Map(ancestors.map((a) => [a.id, a.nameKey]));
    candidates = candidates.filter((u) => {
      const chain = u.path
        .split("/")
        .filter(Boolean)
        .map(Number)
        .slice(0, -1)
        .map((id) => keyOf.get(id) ?? "");
      let i = 0;
      for (const key of chain) if (i < parts.length - 1 && names(parts[i]!, key)) i++;
      return i === parts.length - 1;
    });
  }
  return candidates.slice(0, limit);
}
