/**
 * Applies a roster's rows (read from a file by src/input/roster/) to the database: people matched
 * by phone, then by name within the unit; units found by name under the chosen unit (or created
 * with createUnits). Re-importing the same file changes nothing. By default nothing is written
 * when any row is invalid; skipInvalid writes the valid rows. A dry run computes the same plan and
 * writes nothing. The plan is applied in one transaction, so a failure leaves the database as it
 * was.
 */
import { assertActorCan, type Actor } from "../access/actor.ts";
import { assertMayAssign } from "../people/people-service.ts";
import type { Database } from "../../storage/database.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import {
  createUnit,
  getUnit,
  resolveUnit,
  subtreeRange,
  usualChildLevel,
  type UnitRow,
} from "../units/unit-service.ts";
import { isAppError } from "../../lib/app-error.ts";
import { inIds, inTexts } from "../../storage/dialect.ts";
import { prepared, preparedRows, type Slots } from "../../storage/prepared.ts";
import type { RosterIssue, RosterRow } from "./roster-row.ts";

export interface ImportOptions {
  /** The unit the roster belongs to: rows without a unit go here; named units are looked up under it. */
  unitId: number;
  createUnits?: boolean;
  /**
   * Who imports: manage_people on the unit is needed, administer on it to create units, and the
   * right to appoint cadres where the file names them (see addMembership). The CLI is the system actor.
   */
  actor: Actor;
  skipInvalid?: boolean;
  dryRun?: boolean;
  now?: Date;
}

/** What a changed person is now and will be; only the fields that change are set in `after`. */
export interface PersonDiff {
  fullName?: [string, string];
  phone?: [string | null, string];
  birthYear?: [number | null, number];
  gender?: [string | null, string];
  note?: [string | null, string];
  /** Units of the subtree the person leaves, and the unit they are listed in now. */
  moveFrom?: string[];
  unit: string;
  /** The level label of that unit ("Chi hội"); "" when it has none or is still to be created. */
  unitLevel: string;
  /** Becomes cadre (true), stops being cadre (false). */
  cadre?: boolean;
  title?: string | null;
}

export type ImportChange =
  | { kind: "create"; line: number; name: string; unit: string }
  | {
      kind: "update";
      line: number;
      name: string;
      /** The person's name in the database before the import, and the row's phone. */
      currentName: string;
      phone: string | null;
      fields: string[];
      diff: PersonDiff;
      /** Matched by phone, but the names differ so much it may be someone else (a reused number). */
      nameMismatch: boolean;
    };

export interface ImportIssue {
  line: number;
  code: string;
  params: Record<string, string | number>;
}

export interface ImportResult {
  created: number;
  updated: number;
  unchanged: number;
  invalidRows: number;
  issues: ImportIssue[];
  changes: ImportChange[];
  unitsToCreate: string[];
  written: boolean;
}

interface PersonMatch {
  id: number;
  fullName: string;
  phone: string | null;
  birthYear: number | null;
  gender: string | null;
  note: string | null;
}

interface PlannedRow {
  row: RosterRow;
  unitKey: string;
  personId: number | null;
  fields: string[];
  roleChange: boolean;
}

/**
 * Plans and (unless a dry run, or rows are invalid without skipInvalid) applies the rows under the
 * unit; `readIssues` are the rows the reader already refused. Throws AppError (forbidden,
 * unit_not_found) when the actor may not import there.
 */
export async function importRosterRows(
  db: Database,
  rows: RosterRow[],
  readIssues: RosterIssue[],
  options: ImportOptions,
): Promise<ImportResult> {
  const now = options.now ?? new Date();
  const parent = await getUnit(db, options.unitId);
  await assertActorCan(db, options.actor, "manage_people", parent.id);
  const [lo, hi] = subtreeRange(parent.path);
  const issues: ImportIssue[] = readIssues.map((i) => ({ line: i.line, code: i.code, params: i.params }));
  const badLines = new Set(issues.map((i) => i.line));

  // Each row's name folded once (matching by name, and the people's nameKey).
  const nameKeys = new Map<RosterRow, string>();
  const nameKeyOf = (row: RosterRow): string => {
    let key = nameKeys.get(row);
    if (key === undefined) nameKeys.set(row, (key = foldVietnamese(row.fullName)));
    return key;
  };

  // Units named in the file, resolved by name under the parent (any depth).
  const unitsByKey = new Map<string, UnitRow | "ambiguous" | "missing">();
  const unitNames = new Map<string, string>();
  // A roster names the same few units on every row: each name is folded and resolved once.
  const keyOfName = new Map<string, string>();
  const unitKeyOf = (name: string | null): string | Promise<string> =>
    !name ? "" : (keyOfName.get(name) ?? resolveUnitKey(name));
  const resolveUnitKey = async (name: string): Promise<string> => {
    const key = foldVietnamese(name);
    keyOfName.set(name, key);
    if (!unitsByKey.has(key)) {
      unitNames.set(key, name);
      if (key === foldVietnamese(parent.name)) unitsByKey.set(key, parent);
      else {
        const found = await db.kysely
          .selectFrom("Unit")
          .select(["id", "organisationId", "parentId", "name", "levelLabel", "path", "depth"])
          .where("nameKey", "=", key)
          .where("path", ">=", lo)
          .where("path", "<", hi)
          .orderBy("path")
          .execute();
        let resolved: UnitRow | "ambiguous" | "missing" =
          found.length === 1 ? found[0]! : found.length > 1 ? "ambiguous" : "missing";
        // A path ("Long Vĩnh / Chi hội ấp 3") or a short name ("Triệu Phong" for "Hội CCB xã
        // Triệu Phong") is looked up the way `--unit` is, inside the parent; bare numbers are not
        // (`--unit 3` means unit #3, a roster's "3" does not).
        if (resolved === "missing" && !/^#?\d+$/.test(name.trim())) resolved = await resolvePath(name);
        unitsByKey.set(key, resolved);
      }
    }
    return key;
  };

  async function resolvePath(name: string): Promise<UnitRow | "ambiguous" | "missing"> {
    try {
      return await resolveUnit(db, name, parent.id);
    } catch (error) {
      if (isAppError(error, "unit_ambiguous")) return "ambiguous";
      if (isAppError(error, "unit_not_found")) return "missing";
      throw error;
    }
  }

  // Planning reads: the people the file's phones name and their memberships, a few thousand per
  // query (a 100,000-row roster would otherwise cost 200,000 queries); by name per row.
  const byPhone = await peopleByPhone(
    db,
    rows.flatMap((r) => (r.phone && !badLines.has(r.line) ? [r.phone] : [])),
  );
  const membershipsOf = await membershipsOfPeople(
    db,
    [...byPhone.values()].map((p) => p.id),
  );
  const findByPhone = (phone: string) => byPhone.get(phone);
  // The rows no phone matches are looked up by name in their unit: all of them first, a few
  // thousand names per query (one query per row cost a round trip each on PostgreSQL).
  const byName = new Map<string, PersonMatch[]>();
  {
    const wanted: { unitId: number; nameKey: string }[] = [];
    for (const row of rows) {
      if (badLines.has(row.line) || (row.phone && byPhone.has(row.phone))) continue;
      const unitKey = await unitKeyOf(row.unitName);
      const unit = unitKey ? unitsByKey.get(unitKey)! : parent;
      if (typeof unit === "object") wanted.push({ unitId: unit.id, nameKey: nameKeyOf(row) });
    }
    for (const [key, found] of await peopleByNamesInUnits(db, wanted)) byName.set(key, found);
    // Their memberships too, for the checks below (a person found by name has no phone match).
    const more = [...new Set([...byName.values()].flat().map((p) => p.id))].filter((id) => !membershipsOf.has(id));
    for (const [id, held] of await membershipsOfPeople(db, more)) membershipsOf.set(id, held);
  }
  const findByNameInUnit = (unitId: number, nameKey: string): PersonMatch[] =>
    byName.get(nameInUnit(unitId, nameKey)) ?? [];
  const hasMembership = (personId: number, unitId: number) =>
    (membershipsOf.get(personId) ?? []).filter((m) => m.unitId === unitId);
  const unitsInSubtree = (personId: number, lo: string, hi: string) => {
    const out: { id: number; name: string }[] = [];
    for (const m of membershipsOf.get(personId) ?? []) {
      if (
        (m.role === "member" || m.role === "cadre") &&
        m.path >= lo &&
        m.path < hi &&
        !out.some((u) => u.id === m.unitId)
      )
        out.push({ id: m.unitId, name: m.unitName });
    }
    return out;
  };

  const planned: PlannedRow[] = [];
  const changes: ImportChange[] = [];
  const claimed = new Map<number, number>();
  let unchanged = 0;

  for (const row of rows) {
    if (badLines.has(row.line)) continue;
    const unitKey = await unitKeyOf(row.unitName);
    const unit = unitKey ? unitsByKey.get(unitKey)! : parent;
    const fail = (code: string, params: Record<string, string | number> = {}) => {
      issues.push({ line: row.line, code, params });
      badLines.add(row.line);
    };
    if (unit === "ambiguous") {
      fail("unit_ambiguous", { unit: row.unitName ?? "" });
      continue;
    }
    if (unit === "missing" && /[/>]/.test(row.unitName ?? "")) {
      fail("unit_path_missing", { unit: row.unitName ?? "" });
      continue;
    }
    if (unit === "missing" && !options.createUnits) {
      fail("unit_missing", { unit: row.unitName ?? "" });
      continue;
    }
    const unitId = typeof unit === "object" ? unit.id : null;
    let match: PersonMatch | undefined;
    if (row.phone) match = findByPhone(row.phone);
    const byPhone = Boolean(match);
    if (!match && unitId !== null) {
      const named = findByNameInUnit(unitId, nameKeyOf(row));
      if (named.length > 1) {
        fail("name_ambiguous", { name: row.fullName });
        continue;
      }
      // A person found by name keeps their own phone unless the row gives one nobody else has.
      match = named[0];
      if (match && row.phone && match.phone && match.phone !== row.phone) match = undefined;
    }
    if (match) {
      const earlier = claimed.get(match.id);
      if (earlier !== undefined) {
        fail("person_twice", { name: row.fullName, other: earlier });
        continue;
      }
      claimed.set(match.id, row.line);
    }
    const fields: string[] = [];
    if (match) {
      if (match.fullName !== row.fullName) fields.push("fullName");
      if (row.phone && match.phone !== row.phone) fields.push("phone");
      if (row.birthYear !== null && match.birthYear !== row.birthYear) fields.push("birthYear");
      if (row.gender !== null && match.gender !== row.gender) fields.push("gender");
      if (row.note !== null && match.note !== row.note) fields.push("note");
    }
    let roleChange = !match || unitId === null;
    if (match && unitId !== null) {
      const roles = new Set(hasMembership(match.id, unitId).map((r) => r.role));
      roleChange = !roles.has("member") || roles.has("cadre") !== (row.role === "cadre");
    }
    if (match && !fields.length && !roleChange) {
      unchanged++;
      continue;
    }
    planned.push({ row, unitKey, personId: match?.id ?? null, fields, roleChange });
    const unitName = typeof unit === "object" ? unit.name : (row.unitName ?? parent.name);
    if (!match) {
      changes.push({ kind: "create", line: row.line, name: row.fullName, unit: unitName });
      continue;
    }
    const diff: PersonDiff = { unit: unitName, unitLevel: typeof unit === "object" ? unit.levelLabel : "" };
    if (fields.includes("fullName")) diff.fullName = [match.fullName, row.fullName];
    if (fields.includes("phone")) diff.phone = [match.phone, row.phone!];
    if (fields.includes("birthYear")) diff.birthYear = [match.birthYear, row.birthYear!];
    if (fields.includes("gender")) diff.gender = [match.gender, row.gender!];
    if (fields.includes("note")) diff.note = [match.note, row.note!];
    if (roleChange) {
      const current = unitsInSubtree(match.id, lo, hi);
      const elsewhere = current.filter((u) => u.id !== unitId).map((u) => u.name);
      if (elsewhere.length || !current.length) diff.moveFrom = elsewhere;
      const wasCadre = unitId !== null && hasMembership(match.id, unitId).some((r) => r.role === "cadre");
      if (wasCadre !== (row.role === "cadre")) diff.cadre = row.role === "cadre";
      if (diff.cadre) diff.title = row.title;
    }
    changes.push({
      kind: "update",
      line: row.line,
      name: row.fullName,
      currentName: match.fullName,
      phone: row.phone,
      fields: roleChange ? [...fields, "membership"] : fields,
      diff,
      nameMismatch: byPhone && namesDiffer(match.fullName, row.fullName),
    });
  }

  const unitsToCreate = [...unitsByKey.entries()]
    .filter(([key, u]) => u === "missing" && planned.some((p) => p.unitKey === key))
    .map(([key]) => unitNames.get(key)!);
  const invalidRows = badLines.size;
  const created = planned.filter((p) => p.personId === null).length;
  const updated = planned.length - created;
  issues.sort((a, b) => a.line - b.line);
  const result: ImportResult = {
    created,
    updated,
    unchanged,
    invalidRows,
    issues,
    changes,
    unitsToCreate,
    written: false,
  };
  if (options.dryRun || (invalidRows > 0 && !options.skipInvalid)) return result;

  if (unitsToCreate.length) await assertActorCan(db, options.actor, "administer", parent.id);
  await db.transaction(async () => {
    // The new units take the parent's usual child level, found once: each new unit gets that same
    // level, which keeps it the usual one.
    let levelLabel: string | undefined;
    for (const key of unitsByKey.keys()) {
      if (unitsByKey.get(key) === "missing" && unitsToCreate.includes(unitNames.get(key)!)) {
        levelLabel ??= await usualChildLevel(db, parent.id);
        unitsByKey.set(
          key,
          await createUnit(db, options.actor, { parentId: parent.id, name: unitNames.get(key)!, levelLabel }, now),
        );
      }
    }
    const t = now.getTime();
    const unitOf = (p: PlannedRow): UnitRow => {
      const unit = p.unitKey ? unitsByKey.get(p.unitKey) : parent;
      if (!unit || typeof unit !== "object") throw new Error(`import: unit of line ${p.row.line} not resolved`);
      return unit;
    };
    // New people, a batch per statement, ids in the file's order.
    const fresh = planned.filter((p) => p.personId === null);
    const newIds = await insertPeople(
      db,
      fresh.map((p) => personValues(p.row, nameKeyOf(p.row), t)),
    );
    const personIdOf = new Map<PlannedRow, number>(fresh.map((p, i) => [p, newIds[i]!]));
    for (const p of planned) {
      if (p.personId === null) continue;
      personIdOf.set(p, p.personId);
      const r = p.row;
      if (p.fields.length)
        await updatePerson.run(db, {
          id: p.personId,
          fullName: r.fullName,
          nameKey: nameKeyOf(r),
          phone: r.phone,
          birthYear: r.birthYear,
          gender: r.gender,
          note: r.note,
          now: t,
        });
      // The file is the roster of the parent's subtree: a person listed in another unit of it has moved.
      await dropElsewhere.run(db, { personId: p.personId, unitId: unitOf(p).id, lo, hi });
    }
    const memberships: MembershipValues[] = [];
    for (const p of planned) {
      const personId = personIdOf.get(p)!;
      const unitId = unitOf(p).id;
      memberships.push({ personId, unitId, role: "member", title: p.row.title, createdAt: t });
      if (p.row.role === "cadre")
        memberships.push({ personId, unitId, role: "cadre", title: p.row.title, createdAt: t });
    }
    await upsertMemberships(db, memberships, t);
    // Appointing or dismissing a cadre needs that right (checked on each unit concerned, against
    // the memberships as the import leaves them); a refusal rolls the whole import back.
    const cadreUnits = new Set(planned.filter((p) => p.row.role === "cadre").map((p) => unitOf(p).id));
    for (const p of planned) {
      if (p.row.role === "cadre" || p.personId === null) continue;
      if (await dropCadre.run(db, { personId: p.personId, unitId: unitOf(p).id })) cadreUnits.add(unitOf(p).id);
    }
    for (const unitId of cadreUnits) await assertMayAssign(db, options.actor, unitId, "cadre");
  });
  result.written = true;
  return result;
}

const personMatchColumns = ["id", "fullName", "phone", "birthYear", "gender", "note"] as const;
/** Rows per query when reading people by phone and memberships by person. */
const readChunk = 5000;
/** Rows per INSERT statement (9 values a person, 5 a membership: far below both engines' limits). */
const writeChunk = 500;
/**
 * Memberships per INSERT statement (5 values each: 25,000 parameters, under SQLite's 32,766 and
 * PostgreSQL's 65,535). Larger than `writeChunk`: on PostgreSQL the membership triggers run once
 * per statement and each run scans the people and memberships tables, so fewer statements cost less.
 */
const membershipChunk = 5000;

/** The people with these phones, by phone. */
async function peopleByPhone(db: Database, phones: string[]): Promise<Map<string, PersonMatch>> {
  const out = new Map<string, PersonMatch>();
  const unique = [...new Set(phones)];
  for (let i = 0; i < unique.length; i += readChunk) {
    const rows = await db.kysely
      .selectFrom("Person")
      .select(personMatchColumns)
      .where((eb) => inTexts(db.engine, eb.ref("phone"), unique.slice(i, i + readChunk)))
      .execute();
    for (const r of rows) if (r.phone) out.set(r.phone, r);
  }
  return out;
}

interface HeldMembership {
  unitId: number;
  role: string;
  unitName: string;
  path: string;
}

/** The memberships of these people (in tree order), by person. */
async function membershipsOfPeople(db: Database, personIds: number[]): Promise<Map<number, HeldMembership[]>> {
  const out = new Map<number, HeldMembership[]>(personIds.map((id) => [id, []]));
  for (let i = 0; i < personIds.length; i += readChunk) {
    const rows = await db.kysely
      .selectFrom("Membership as m")
      .innerJoin("Unit as u", "u.id", "m.unitId")
      .select(["m.personId", "m.unitId", "m.role", "u.name as unitName", "u.path"])
      .where((eb) => inIds(db.engine, eb.ref("m.personId"), personIds.slice(i, i + readChunk)))
      .orderBy("u.path")
      .orderBy("m.id")
      .execute();
    for (const { personId, ...m } of rows) out.get(personId)?.push(m);
  }
  return out;
}

const nameInUnit = (unitId: number, nameKey: string) => `${unitId}\n${nameKey}`;

/**
 * The people with a membership in a unit under a name (folded), for each (unit, name) asked, in
 * id order: `nameInUnit(unitId, nameKey)` → people.
 */
async function peopleByNamesInUnits(
  db: Database,
  wanted: { unitId: number; nameKey: string }[],
): Promise<Map<string, PersonMatch[]>> {
  const out = new Map<string, PersonMatch[]>();
  const asked = new Set(wanted.map((w) => nameInUnit(w.unitId, w.nameKey)));
  const unitIds = [...new Set(wanted.map((w) => w.unitId))];
  const names = [...new Set(wanted.map((w) => w.nameKey))];
  for (let i = 0; i < names.length; i += readChunk) {
    const rows = await db.kysely
      .selectFrom("Person as p")
      .innerJoin("Membership as m", "m.personId", "p.id")
      .select(["p.id", "p.fullName", "p.phone", "p.birthYear", "p.gender", "p.note", "p.nameKey", "m.unitId"])
      .where((eb) => inTexts(db.engine, eb.ref("p.nameKey"), names.slice(i, i + readChunk)))
      .where((eb) => inIds(db.engine, eb.ref("m.unitId"), unitIds))
      .orderBy("p.id")
      .execute();
    for (const { nameKey, unitId, ...person } of rows) {
      const key = nameInUnit(unitId, nameKey);
      if (!asked.has(key)) continue;
      const list = out.get(key) ?? [];
      // Two memberships of one person in the unit (member and cadre) name them once.
      if (list.at(-1)?.id !== person.id) list.push(person);
      out.set(key, list);
    }
  }
  return out;
}

const updatePerson = prepared(
  (
    k,
    p: Slots<{
      id: number;
      fullName: string;
      nameKey: string;
      phone: string | null;
      birthYear: number | null;
      gender: string | null;
      note: string | null;
      now: number;
    }>,
  ) =>
    k
      .updateTable("Person")
      .set((eb) => ({
        fullName: p.fullName,
        nameKey: p.nameKey,
        phone: eb.fn.coalesce(eb.val(p.phone), "phone"),
        birthYear: eb.fn.coalesce(eb.val(p.birthYear), "birthYear"),
        gender: eb.fn.coalesce(eb.val(p.gender), "gender"),
        note: eb.fn.coalesce(eb.val(p.note), "note"),
        updatedAt: p.now,
      }))
      .where("id", "=", p.id),
);

const dropElsewhere = prepared((k, p: Slots<{ personId: number; unitId: number; lo: string; hi: string }>) =>
  k
    .deleteFrom("Membership")
    .where("personId", "=", p.personId)
    .where("unitId", "!=", p.unitId)
    .where("role", "in", ["member", "cadre"])
    .where("unitId", "in", (eb) =>
      eb.selectFrom("Unit").select("Unit.id").where("Unit.path", ">=", p.lo).where("Unit.path", "<", p.hi),
    ),
);

const dropCadre = prepared((k, p: Slots<{ personId: number; unitId: number }>) =>
  k
    .deleteFrom("Membership")
    .where("personId", "=", p.personId)
    .where("unitId", "=", p.unitId)
    .where("role", "=", "cadre"),
);

type PersonValues = {
  fullName: string;
  nameKey: string;
  phone: string | null;
  birthYear: number | null;
  gender: string | null;
  note: string | null;
  locale: string;
  createdAt: number;
  updatedAt: number;
};
type MembershipValues = { personId: number; unitId: number; role: string; title: string | null; createdAt: number };

function personValues(r: RosterRow, nameKey: string, t: number): PersonValues {
  return {
    fullName: r.fullName,
    nameKey,
    phone: r.phone,
    birthYear: r.birthYear,
    gender: r.gender,
    note: r.note,
    locale: "vi",
    createdAt: t,
    updatedAt: t,
  };
}

const insertPersonRows = preparedRows(
  (k, rows: Slots<PersonValues>[]) =>
    k
      .insertInto("Person")
      .values(
        rows.map(
          (r): PersonValues => ({
            fullName: r.fullName,
            nameKey: r.nameKey,
            phone: r.phone,
            birthYear: r.birthYear,
            gender: r.gender,
            note: r.note,
            locale: r.locale,
            createdAt: r.createdAt,
            updatedAt: r.updatedAt,
          }),
        ),
      )
      .returning("id"),
  writeChunk,
);
const upsertMembershipRows = preparedRows(
  (k, rows: Slots<MembershipValues>[]) =>
    k
      .insertInto("Membership")
      .values(
        rows.map(
          (r): MembershipValues => ({
            personId: r.personId,
            unitId: r.unitId,
            role: r.role,
            title: r.title,
            createdAt: r.createdAt,
          }),
        ),
      )
      .onConflict((oc) =>
        oc.columns(["personId", "unitId", "role"]).doUpdateSet((eb) => ({ title: eb.ref("excluded.title") })),
      ),
  membershipChunk,
);

/**
 * Inserts people, `writeChunk` a statement (each batch size prepared once), and returns
 * their ids in the order given: within one statement the ids are drawn in VALUES order on both
 * engines, so the batch's ids sorted ascending are its rows' ids in order, whatever order
 * RETURNING lists them in.
 */
async function insertPeople(db: Database, rows: readonly PersonValues[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += writeChunk) {
    const batch = rows.slice(i, i + writeChunk);
    const returned = await insertPersonRows.all(db, batch);
    if (returned.length !== batch.length)
      throw new Error(`import: ${returned.length} people written of ${batch.length}`);
    ids.push(...returned.map((r) => r.id).sort((a, b) => a - b));
  }
  return ids;
}

/**
 * Gives each (person, unit, role) its membership with the file's title, `membershipChunk` a
 * statement. On SQLite the home-unit refresh of "Membership_home_insert" (seven statements a row) is
 * deferred meanwhile and done for all these people at once at the end (see the migration
 * membership_home_deferred); PostgreSQL's trigger already runs once per statement.
 */
async function upsertMemberships(db: Database, rows: readonly MembershipValues[], t: number): Promise<void> {
  if (db.engine !== "sqlite" || !rows.length) {
    await upsertMembershipRows.run(db, rows);
    return;
  }
  await db.kysely
    .insertInto("Setting")
    .values({ key: deferredHomeKey, value: JSON.stringify([...new Set(rows.map((r) => r.personId))]), updatedAt: t })
    .execute();
  await upsertMembershipRows.run(db, rows);
  await db.kysely.deleteFrom("Setting").where("key", "=", deferredHomeKey).execute();
}

/** The Setting row that defers "Membership_home_insert" while it exists (SQLite). */
const deferredHomeKey = "membership_home:deferred";

/**
 * True when two names of one phone number look like two people: the given name (the last word)
 * differs and fewer than half of the words are shared ("Trần Văn B" / "Nguyễn Văn A"), not a typo
 * or missing accents ("Nguyễn Văn Anh" / "Nguyen Van An").
 */
function namesDiffer(a: string, b: string): boolean {
  const wa = foldVietnamese(a).split(/\s+/).filter(Boolean);
  const wb = foldVietnamese(b).split(/\s+/).filter(Boolean);
  if (!wa.length || !wb.length) return false;
  if (wa.at(-1) === wb.at(-1)) return false;
  const shared = wa.filter((w) => wb.includes(w)).length;
  return shared * 2 < Math.max(wa.length, wb.length);
}
