/**
 * Applies a roster file to the database: people matched by phone, then by name within the unit;
 * units found by name under the chosen unit (or created with createUnits). Re-importing the same
 * file changes nothing. By default nothing is written when any row is invalid; skipInvalid writes
 * the valid rows. A dry run computes the same plan and writes nothing. The plan is applied in one
 * transaction, so a failure leaves the database as it was.
 */
import { assertActorCan, type Actor } from "../access/actor.ts";
import { assertMayAssign } from "../people/people-service.ts";
import type { Database } from "../../storage/database.ts";
import { foldVietnamese } from "../../lib/vietnamese.ts";
import { createUnit, getUnit, resolveUnit, subtreeRange, usualChildLevel, type UnitRow } from "../units/unit-service.ts";
import { isAppError } from "../../lib/app-error.ts";
import { readRoster, type RosterIssue, type RosterRow } from "./read-roster.ts";

export interface ImportOptions {
  file: string;
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

/** Reads and applies a roster file. Throws AppError for whole-file problems (missing, format, empty). */
export async function importRosterFile(db: Database, options: ImportOptions): Promise<ImportResult> {
  const read = await readRoster(options.file);
  return importRosterRows(db, read.rows, read.issues, options);
}

export async function importRosterRows(db: Database, rows: RosterRow[], readIssues: RosterIssue[], options: Omit<ImportOptions, "file">): Promise<ImportResult> {
  const now = options.now ?? new Date();
  const parent = await getUnit(db, options.unitId);
  await assertActorCan(db, options.actor, "manage_people", parent.id);
  const [lo, hi] = subtreeRange(parent.path);
  const issues: ImportIssue[] = readIssues.map((i) => ({ line: i.line, code: i.code, params: i.params }));
  const badLines = new Set(issues.map((i) => i.line));

  // Units named in the file, resolved by name under the parent (any depth).
  const unitsByKey = new Map<string, UnitRow | "ambiguous" | "missing">();
  const unitNames = new Map<string, string>();
  const resolveUnitKey = async (name: string | null): Promise<string> => {
    if (!name) return "";
    const key = foldVietnamese(name);
    if (!unitsByKey.has(key)) {
      unitNames.set(key, name);
      if (key === foldVietnamese(parent.name)) unitsByKey.set(key, parent);
      else {
        const found = await db.sql.all<UnitRow>(
          `SELECT id, organisationId, parentId, name, levelLabel, path, depth FROM Unit WHERE nameKey = ? AND path >= ? AND path < ?`,
          key, lo, hi,
        );
        let resolved: UnitRow | "ambiguous" | "missing" = found.length === 1 ? found[0]! : found.length > 1 ? "ambiguous" : "missing";
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

  // Planning reads go through `db.sql` (queued behind any open transaction); the writes below use
  // prepared statements on the connection inside the import's one transaction.
  const findByPhone = (phone: string) => db.sql.get<PersonMatch>(`SELECT id, fullName, phone, birthYear, gender, note FROM Person WHERE phone = ?`, phone);
  const findByNameInUnit = (unitId: number, nameKey: string) =>
    db.sql.all<PersonMatch>(`SELECT DISTINCT p.id, p.fullName, p.phone, p.birthYear, p.gender, p.note FROM Person p JOIN Membership m ON m.personId = p.id WHERE m.unitId = ? AND p.nameKey = ?`, unitId, nameKey);
  const hasMembership = (personId: number, unitId: number) => db.sql.all<{ role: string }>(`SELECT role FROM Membership WHERE personId = ? AND unitId = ?`, personId, unitId);
  const unitsInSubtree = (personId: number, lo: string, hi: string) =>
    db.sql.all<{ id: number; name: string }>(
      `SELECT DISTINCT u.id, u.name FROM Membership m JOIN Unit u ON u.id = m.unitId WHERE m.personId = ? AND m.role IN ('member', 'cadre') AND u.path >= ? AND u.path < ? ORDER BY u.path`,
      personId, lo, hi,
    );

  const planned: PlannedRow[] = [];
  const changes: ImportChange[] = [];
  const claimed = new Map<number, number>();
  let unchanged = 0;

  for (const row of rows) {
    if (badLines.has(row.line)) continue;
    const unitKey = await resolveUnitKey(row.unitName);
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
    if (row.phone) match = await findByPhone(row.phone);
    const byPhone = Boolean(match);
    if (!match && unitId !== null) {
      const byName = await findByNameInUnit(unitId, foldVietnamese(row.fullName));
      if (byName.length > 1) {
        fail("name_ambiguous", { name: row.fullName });
        continue;
      }
      // A person found by name keeps their own phone unless the row gives one nobody else has.
      match = byName[0];
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
      const roles = new Set((await hasMembership(match.id, unitId)).map((r) => r.role));
      roleChange = !roles.has("member") || roles.has("cadre") !== (row.role === "cadre");
    }
    if (match && !fields.length && !roleChange) {
      unchanged++;
      continue;
    }
    planned.push({ row, unitKey, personId: match?.id ?? null, fields, roleChange });
    const unitName = typeof unit === "object" ? unit.name : row.unitName ?? parent.name;
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
      const current = await unitsInSubtree(match.id, lo, hi);
      const elsewhere = current.filter((u) => u.id !== unitId).map((u) => u.name);
      if (elsewhere.length || !current.length) diff.moveFrom = elsewhere;
      const wasCadre = unitId !== null && (await hasMembership(match.id, unitId)).some((r) => r.role === "cadre");
      if (wasCadre !== (row.role === "cadre")) diff.cadre = row.role === "cadre";
      if (diff.cadre) diff.title = row.title;
    }
    changes.push({
      kind: "update", line: row.line, name: row.fullName, currentName: match.fullName, phone: row.phone,
      fields: roleChange ? [...fields, "membership"] : fields, diff,
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
  const result: ImportResult = { created, updated, unchanged, invalidRows, issues, changes, unitsToCreate, written: false };
  if (options.dryRun || (invalidRows > 0 && !options.skipInvalid)) return result;

  if (unitsToCreate.length) await assertActorCan(db, options.actor, "administer", parent.id);
  await db.transaction(async () => {
    for (const key of unitsByKey.keys()) {
      if (unitsByKey.get(key) === "missing" && unitsToCreate.includes(unitNames.get(key)!))
        unitsByKey.set(key, await createUnit(db, options.actor, { parentId: parent.id, name: unitNames.get(key)!, levelLabel: await usualChildLevel(db, parent.id) }, now));
    }
    const t = now.getTime();
    const insertPerson = db.sql.db.prepare(
      `INSERT INTO Person (fullName, nameKey, phone, birthYear, gender, note, locale, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, 'vi', ?, ?)`,
    );
    const updatePerson = db.sql.db.prepare(
      `UPDATE Person SET fullName = ?, nameKey = ?, phone = COALESCE(?, phone), birthYear = COALESCE(?, birthYear),
         gender = COALESCE(?, gender), note = COALESCE(?, note), updatedAt = ? WHERE id = ?`,
    );
    const addMember = db.sql.db.prepare(
      `INSERT INTO Membership (personId, unitId, role, title, createdAt) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (personId, unitId, role) DO UPDATE SET title = excluded.title`,
    );
    const dropCadre = db.sql.db.prepare(`DELETE FROM Membership WHERE personId = ? AND unitId = ? AND role = 'cadre'`);
    // The file is the roster of the parent's subtree: a person listed in another unit of it has moved.
    const dropElsewhere = db.sql.db.prepare(
      `DELETE FROM Membership WHERE personId = ? AND unitId != ? AND role IN ('member', 'cadre')
         AND unitId IN (SELECT id FROM Unit WHERE path >= ? AND path < ?)`,
    );
    for (const p of planned) {
      const unit = p.unitKey ? (unitsByKey.get(p.unitKey) as UnitRow) : parent;
      const r = p.row;
      let personId = p.personId;
      if (personId === null) {
        personId = Number(insertPerson.run(r.fullName, foldVietnamese(r.fullName), r.phone, r.birthYear, r.gender, r.note, t, t).lastInsertRowid);
      } else if (p.fields.length) {
        updatePerson.run(r.fullName, foldVietnamese(r.fullName), r.phone, r.birthYear, r.gender, r.note, t, personId);
      }
      if (p.personId !== null) dropElsewhere.run(personId, unit.id, lo, hi);
      addMember.run(personId, unit.id, "member", r.title, t);
      // Appointing or dismissing a cadre needs that right; a refusal rolls the whole import back.
      if (r.role === "cadre") {
        await assertMayAssign(db, options.actor, unit.id, "cadre");
        addMember.run(personId, unit.id, "cadre", r.title, t);
      } else if (dropCadre.run(personId, unit.id).changes) await assertMayAssign(db, options.actor, unit.id, "cadre");
    }
  });
  result.written = true;
  return result;
}

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
