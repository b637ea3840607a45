/**
 * Units (đơn vị) form a tree of any depth per organisation. The tree is kept as a materialised path
 * of ids ("/1/5/12/"), so a subtree is one range scan on an indexed column and a move rewrites the
 * moved subtree's paths in one statement.
 */
import { assertActorCan, type Actor } from "../access/actor.ts";
import type { Database } from "../../storage/database.ts";
import { AppError } from "../../lib/app-error.ts";
import { foldVietnamese, tidyText } from "../../lib/vietnamese.ts";
import { inIds, likeKey } from "../../storage/dialect.ts";
import { prepared, type Slots } from "../../storage/prepared.ts";

export interface UnitRow {
  id: number;
  organisationId: number;
  parentId: number | null;
  name: string;
  levelLabel: string;
  path: string;
  depth: number;
}

const unitColumns = ["id", "organisationId", "parentId", "name", "levelLabel", "path", "depth"] as const;

// The hot reads (every rights check reads a unit; roll-ups and listings scan a subtree): built once.
const unitById = prepared((k, p: Slots<{ id: number }>) =>
  k.selectFrom("Unit").select(unitColumns).where("id", "=", p.id),
);
const unitsInRange = prepared((k, p: Slots<{ lo: string; hi: string }>) =>
  k.selectFrom("Unit").select(unitColumns).where("path", ">=", p.lo).where("path", "<", p.hi).orderBy("path"),
);
const counterColumns = ["id", "parentId", "name", "levelLabel", "depth", "memberCount", "linkedCount"] as const;
const countersInRange = prepared((k, p: Slots<{ lo: string; hi: string }>) =>
  k.selectFrom("Unit").select(counterColumns).where("path", ">=", p.lo).where("path", "<", p.hi).orderBy("path"),
);

/**
 * The units' own member counts added up over the subtree [lo, hi): its memberships' people, each
 * counted once per unit (a size to choose a plan by, not a head count).
 */
export async function membersInSubtree(db: Database, lo: string, hi: string): Promise<number> {
  const row = await db.kysely
    .selectFrom("Unit")
    .select((eb) => eb.fn.sum<number | null>("memberCount").as("n"))
    .where("path", ">=", lo)
    .where("path", "<", hi)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Range bounds of the subtree under `path` (inclusive lower, exclusive upper). */
export function subtreeRange(path: string): [string, string] {
  // '/' is followed by '0' in ASCII, so every descendant path sorts before path-without-slash + '0'.
  return [path, `${path.slice(0, -1)}0`];
}

export interface OrganisationInput {
  code: string;
  name: string;
  ticketDueDays?: number;
  isDemo?: boolean;
}

/**
 * Creates an organisation: the server's operator only (the system actor; a person's rights live
 * inside organisations). Throws forbidden for a person, conflict when the code is taken.
 */
export async function createOrganisation(
  db: Database,
  actor: Actor,
  input: OrganisationInput,
  now = new Date(),
): Promise<{ id: number }> {
  if (actor.kind !== "system") throw new AppError("forbidden", { permission: "administer" });
  const code = foldVietnamese(input.code)
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  const name = tidyText(input.name);
  if (!code || !name) throw new AppError("invalid_input", { field: !code ? "code" : "name" });
  if (await db.kysely.selectFrom("Organisation").select("id").where("code", "=", code).executeTakeFirst())
    throw new AppError("conflict", { what: code });
  return await db.kysely
    .insertInto("Organisation")
    .values({
      code,
      name,
      ticketDueDays: input.ticketDueDays ?? 7,
      isDemo: input.isDemo ?? false,
      createdAt: now.getTime(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
}

export async function listOrganisations(db: Database): Promise<{ id: number; code: string; name: string }[]> {
  return await db.kysely.selectFrom("Organisation").select(["id", "code", "name"]).orderBy("id").execute();
}

export interface UnitInput {
  name: string;
  levelLabel?: string;
  /** Parent unit; omit for a root unit (then organisationId is required). */
  parentId?: number | null;
  organisationId?: number;
}

/**
 * The level label a new child of `parentId` should get: the most common label of its siblings-to-be
 * (the parent's children), else of the units one level below the parent's level elsewhere in the
 * organisation; "" when nobody has one.
 */
export async function usualChildLevel(db: Database, parentId: number): Promise<string> {
  const parent = await getUnit(db, parentId);
  const mostCommon = db.kysely
    .selectFrom("Unit")
    .select("levelLabel")
    .where("levelLabel", "!=", "")
    .groupBy("levelLabel")
    .orderBy((eb) => eb.fn.countAll(), "desc")
    .orderBy((eb) => eb.fn.min("id"))
    .limit(1);
  const children = await mostCommon.where("parentId", "=", parentId).executeTakeFirst();
  if (children) return children.levelLabel;
  const cousins = await mostCommon
    .where("organisationId", "=", parent.organisationId)
    .where("depth", "=", parent.depth + 1)
    .executeTakeFirst();
  return cousins?.levelLabel ?? "";
}

/** Longest unit name: fits a chat line and a printed slip. */
export const unitNameMaxLength = 200;

/**
 * Creates a unit under `parentId` (or a root of `organisationId`). The actor needs administer on
 * the parent; a root is created by the system actor only. Throws unit_not_found for a missing
 * parent, forbidden, conflict when the parent already has a unit of that name.
 */
export async function createUnit(db: Database, actor: Actor, input: UnitInput, now = new Date()): Promise<UnitRow> {
  const name = tidyText(input.name);
  if (!name) throw new AppError("invalid_input", { field: "name" });
  if (name.length > unitNameMaxLength) throw new AppError("invalid_input", { field: "name", max: unitNameMaxLength });
  return await db.transaction(async () => {
    let organisationId = input.organisationId;
    let parent: UnitRow | undefined;
    if (input.parentId != null) {
      parent = await getUnit(db, input.parentId);
      await assertActorCan(db, actor, "administer", parent.id);
      organisationId = parent.organisationId;
    } else if (actor.kind !== "system") {
      throw new AppError("forbidden", { permission: "administer" });
    } else if (
      organisationId == null ||
      !(await db.kysely.selectFrom("Organisation").select("id").where("id", "=", organisationId).executeTakeFirst())
    ) {
      throw new AppError("not_found", { what: "organisation" });
    }
    const nameKey = foldVietnamese(name);
    const clash = await db.kysely
      .selectFrom("Unit")
      .select("id")
      .where("nameKey", "=", nameKey)
      .where((eb) =>
        parent
          ? eb("parentId", "=", parent.id)
          : eb.and([eb("parentId", "is", null), eb("organisationId", "=", organisationId!)]),
      )
      .executeTakeFirst();
    if (clash) throw new AppError("conflict", { what: name });
    const { id } = await db.kysely
      .insertInto("Unit")
      .values({
        organisationId,
        parentId: parent?.id ?? null,
        name,
        nameKey,
        levelLabel: tidyText(input.levelLabel ?? ""),
        path: `tmp:${process.pid}:${Math.random()}`,
        depth: parent ? parent.depth + 1 : 0,
        createdAt: now.getTime(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db.kysely
      .updateTable("Unit")
      .set({ path: `${parent?.path ?? "/"}${id}/` })
      .where("id", "=", id)
      .execute();
    return getUnit(db, id);
  });
}

/** Returns a unit. Throws unit_not_found. */
export async function getUnit(db: Database, id: number): Promise<UnitRow> {
  const unit = Number.isSafeInteger(id) ? await unitById.first(db, { id }) : undefined;
  if (!unit) throw new AppError("unit_not_found", { unit: String(id) });
  return unit;
}

/** Renames a unit (administer on it). Throws forbidden, conflict when a sibling already has the name. */
export async function renameUnit(db: Database, actor: Actor, id: number, newName: string): Promise<UnitRow> {
  const name = tidyText(newName);
  if (!name) throw new AppError("invalid_input", { field: "name" });
  if (name.length > unitNameMaxLength) throw new AppError("invalid_input", { field: "name", max: unitNameMaxLength });
  return await db.transaction(async () => {
    const unit = await getUnit(db, id);
    await assertActorCan(db, actor, "administer", unit.id);
    const nameKey = foldVietnamese(name);
    const clash = await db.kysely
      .selectFrom("Unit")
      .select("id")
      .where("id", "!=", id)
      .where("organisationId", "=", unit.organisationId)
      .where("nameKey", "=", nameKey)
      .where((eb) => (unit.parentId === null ? eb("parentId", "is", null) : eb("parentId", "=", unit.parentId)))
      .executeTakeFirst();
    if (clash) throw new AppError("conflict", { what: name });
    await db.kysely.updateTable("Unit").set({ name, nameKey }).where("id", "=", id).execute();
    return getUnit(db, id);
  });
}

/** Sets the level label ("Xã", "Chi hội"…); administer on the unit. Throws forbidden. */
export async function setLevelLabel(db: Database, actor: Actor, id: number, label: string): Promise<void> {
  await getUnit(db, id);
  await assertActorCan(db, actor, "administer", id);
  await db.kysely
    .updateTable("Unit")
    .set({ levelLabel: tidyText(label) })
    .where("id", "=", id)
    .execute();
}

/**
 * Moves a unit (with its subtree) under a new parent of the same organisation. Throws unit_cycle
 * when the new parent is inside the moved subtree, unit_root_move for a root, conflict when the
 * new parent already has a unit of that name, forbidden unless the actor administers both the
 * unit's current parent and the new one.
 */
export async function moveUnit(db: Database, actor: Actor, id: number, newParentId: number): Promise<UnitRow> {
  return await db.transaction(async () => {
    const unit = await getUnit(db, id);
    const target = await getUnit(db, newParentId);
    if (unit.parentId !== null) await assertActorCan(db, actor, "administer", unit.parentId);
    await assertActorCan(db, actor, "administer", target.id);
    if (unit.parentId === null) throw new AppError("unit_root_move", { unit: unit.name });
    if (target.path.startsWith(unit.path)) throw new AppError("unit_cycle", { unit: unit.name, parent: target.name });
    if (target.organisationId !== unit.organisationId) throw new AppError("forbidden", { what: "organisation" });
    if (unit.parentId === target.id) return unit;
    const nameKey = foldVietnamese(unit.name);
    if (
      await db.kysely
        .selectFrom("Unit")
        .select("id")
        .where("parentId", "=", target.id)
        .where("nameKey", "=", nameKey)
        .executeTakeFirst()
    )
      throw new AppError("conflict", { what: unit.name });
    const newPath = `${target.path}${unit.id}/`;
    const delta = target.depth + 1 - unit.depth;
    const [lo, hi] = subtreeRange(unit.path);
    // One statement rewrites the subtree: the new prefix followed by the old path after the old prefix.
    await db.kysely
      .updateTable("Unit")
      .set((eb) => ({
        path: eb(eb.val(newPath), "||", eb.fn<string>("substr", ["path", eb.val(unit.path.length + 1)])),
        depth: eb("depth", "+", delta),
      }))
      .where("path", ">=", lo)
      .where("path", "<", hi)
      .execute();
    await db.kysely.updateTable("Unit").set({ parentId: target.id }).where("id", "=", unit.id).execute();
    return getUnit(db, id);
  });
}

/** The unit and all its descendants, ordered by path (a depth-first listing). */
export async function listSubtree(db: Database, id: number): Promise<UnitRow[]> {
  const unit = await getUnit(db, id);
  const [lo, hi] = subtreeRange(unit.path);
  // Value arrays turned into objects here: much faster than named rows on 10,000 units.
  return (await unitsInRange.tuples(db, { lo, hi }, unitColumns)).map(
    ([id, organisationId, parentId, name, levelLabel, path, depth]) => ({
      id,
      organisationId,
      parentId,
      name,
      levelLabel,
      path,
      depth,
    }),
  );
}

/** Ids of the unit and its descendants. */
export async function subtreeIds(db: Database, id: number): Promise<number[]> {
  const unit = await getUnit(db, id);
  const [lo, hi] = subtreeRange(unit.path);
  return (await db.kysely.selectFrom("Unit").select("id").where("path", ">=", lo).where("path", "<", hi).execute()).map(
    (r) => r.id,
  );
}

/** Ancestors from the root down to the unit's parent. */
export async function listAncestors(db: Database, id: number): Promise<UnitRow[]> {
  const unit = await getUnit(db, id);
  const ids = unit.path.split("/").filter(Boolean).map(Number).slice(0, -1);
  if (!ids.length) return [];
  const rows = await db.kysely
    .selectFrom("Unit")
    .select(unitColumns)
    .where((eb) => inIds(db.engine, eb.ref("id"), ids))
    .execute();
  return rows.sort((a, b) => a.depth - b.depth);
}

/** Root units (one per organisation tree). */
export async function listRoots(db: Database): Promise<(UnitRow & { organisationName: string })[]> {
  return await db.kysely
    .selectFrom("Unit as u")
    .innerJoin("Organisation as o", "o.id", "u.organisationId")
    .select([
      "u.id",
      "u.organisationId",
      "u.parentId",
      "u.name",
      "u.levelLabel",
      "u.path",
      "u.depth",
      "o.name as organisationName",
    ])
    .where("u.parentId", "is", null)
    .orderBy("u.id")
    .execute();
}

/** "Tỉnh A / Xã B / Chi hội 1" */
export async function unitLabel(db: Database, id: number): Promise<string> {
  return [...(await listAncestors(db, id)), await getUnit(db, id)].map((u) => u.name).join(" / ");
}

/**
 * Resolves what a person typed to one unit: an id ("12"), a name, or a path of names separated by
 * "/" or ">" ("Xã A / Chi hội 1"), matched without diacritics or case, within `underId`'s subtree
 * when given. Throws unit_not_found, or unit_ambiguous listing the candidates.
 */
export async function resolveUnit(db: Database, ref: string, underId?: number): Promise<UnitRow> {
  const text = ref.trim();
  if (!text) throw new AppError("unit_not_found", { unit: ref });
  const scope = underId != null ? subtreeRange((await getUnit(db, underId)).path) : null;
  const inScope = (u: UnitRow) => !scope || (u.path >= scope[0] && u.path < scope[1]);
  if (/^#?\d+$/.test(text)) {
    const id = Number(text.replace("#", ""));
    const unit = Number.isSafeInteger(id) ? await unitById.first(db, { id }) : undefined;
    if (unit && inScope(unit)) return unit;
  }
  const parts = text
    .split(/\s*[/>]\s*/)
    .map(foldVietnamese)
    .filter(Boolean);
  const last = parts.at(-1)!;
  // A typed part names a unit by its whole name or by whole words of it ("long vinh").
  const wordsOf = (part: string) => new RegExp(`(^| )${part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}( |$)`);
  let candidates = (
    await db.kysely.selectFrom("Unit").select(unitColumns).where("nameKey", "=", last).execute()
  ).filter(inScope);
  if (!candidates.length) {
    // Officials often type only the distinctive part ("Triệu Phong" for "Hội CCB xã Triệu Phong"):
    // accept it when it matches whole words of exactly one unit's name.
    const words = wordsOf(last);
    candidates = (
      await db.kysely
        .selectFrom("Unit")
        .select(unitColumns)
        .where((eb) => likeKey(eb.ref("nameKey"), last))
        .execute()
    ).filter((u) => inScope(u) && words.test(foldVietnamese(u.name)));
  }
  if (parts.length > 1) {
    const matching: UnitRow[] = [];
    for (const u of candidates) {
      const names = (await listAncestors(db, u.id)).map((a) => foldVietnamese(a.name));
      // Each typed ancestor must appear, in order, among the unit's ancestors (whole name or words).
      let i = 0;
      for (const n of names) if (i < parts.length - 1 && (n === parts[i] || wordsOf(parts[i]!).test(n))) i++;
      if (i === parts.length - 1) matching.push(u);
    }
    candidates = matching;
  }
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) throw new AppError("unit_not_found", { unit: text });
  throw new AppError("unit_ambiguous", {
    unit: text,
    candidates: (await Promise.all(candidates.map(async (c) => `#${c.id} ${await unitLabel(db, c.id)}`))).join("; "),
  });
}

export interface UnitCounts {
  unitId: number;
  name: string;
  levelLabel: string;
  depth: number;
  parentId: number | null;
  /** People with a membership in this very unit. */
  members: number;
  linked: number;
  /** The same over the unit's whole subtree. */
  membersTotal: number;
  linkedTotal: number;
}

/**
 * Member and linked counts of every unit of the subtree, each rolled up its own subtree. Reads the
 * per-unit counters (kept by triggers) in one range scan and sums them up the tree in one pass.
 * A person with memberships in two units counts in both.
 */
export async function rollUpCounts(db: Database, id: number): Promise<UnitCounts[]> {
  const root = await getUnit(db, id);
  const [lo, hi] = subtreeRange(root.path);
  return rollUp(await countersInRange.tuples(db, { lo, hi }, counterColumns));
}

type CounterRow = readonly [
  id: number,
  parentId: number | null,
  name: string,
  levelLabel: string,
  depth: number,
  memberCount: number,
  linkedCount: number,
];

/**
 * Sums per-unit counters up the tree; `rows` in path order (parents before children). The sums run
 * on typed arrays, with a unit's row found by id in an array (ids are dense) or else a Map, and
 * each result is made once with its totals (a 10,101-unit tree: about half the time of summing
 * into the result objects through a Map).
 */
function rollUp(rows: readonly CounterRow[]): UnitCounts[] {
  const n = rows.length;
  let maxId = 0;
  for (let i = 0; i < n; i++) if (rows[i]![0] > maxId) maxId = rows[i]![0];
  const dense = maxId <= 4 * n + 1024 ? new Int32Array(maxId + 1).fill(-1) : null;
  const sparse = dense ? null : new Map<number, number>();
  const membersTotal = new Float64Array(n);
  const linkedTotal = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    if (dense) dense[row[0]] = i;
    else sparse!.set(row[0], i);
    membersTotal[i] = row[5];
    linkedTotal[i] = row[6];
  }
  // Path order lists parents before children, so walking it backwards finishes every child first.
  for (let i = n - 1; i > 0; i--) {
    const parentId = rows[i]![1];
    if (parentId == null) continue;
    const p = dense ? (parentId < dense.length ? dense[parentId]! : -1) : (sparse!.get(parentId) ?? -1);
    if (p < 0) continue;
    membersTotal[p]! += membersTotal[i]!;
    linkedTotal[p]! += linkedTotal[i]!;
  }
  const out: UnitCounts[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const [unitId, parentId, name, levelLabel, depth, memberCount, linkedCount] = rows[i]!;
    out[i] = {
      unitId,
      name,
      levelLabel,
      depth,
      parentId,
      members: memberCount,
      linked: linkedCount,
      membersTotal: membersTotal[i]!,
      linkedTotal: linkedTotal[i]!,
    };
  }
  return out;
}

/** Returns a unit; the same as `getUnit` (the name the first converted callers use). Throws unit_not_found. */
export async function findUnit(db: Database, id: number): Promise<UnitRow> {
  return await getUnit(db, id);
}

/** The same as `rollUpCounts` (the name the first converted callers use). */
export async function unitCounts(db: Database, id: number): Promise<UnitCounts[]> {
  return await rollUpCounts(db, id);
}

/** A unit's direct children, by name. */
export async function listChildUnits(db: Database, unitId: number): Promise<{ id: number; name: string }[]> {
  return await db.kysely
    .selectFrom("Unit")
    .select(["id", "name"])
    .where("parentId", "=", unitId)
    .orderBy("name")
    .orderBy("id")
    .execute();
}
