/**
 * Copies a whole Chi Hội database to another (SQLite → PostgreSQL is the case that matters; any
 * direction works), all or nothing: everything is written in ONE transaction on the target, then
 * every table is read back and its row count and checksum compared with the source's before the
 * transaction commits. Any difference, error or interruption leaves the target as it was (its
 * tables created by the migrations, no rows), so a failed copy is simply run again.
 *
 * The source is read in one transaction too (a consistent snapshot; on SQLite this holds the
 * write lock, so stop the service first). Both databases are migrated to the same version first.
 *
 * Values: times are epoch milliseconds on both engines; a time stored as text in an old SQLite
 * row (SQLite's CURRENT_TIMESTAMP default) is converted to epoch ms and counted in the report.
 */
import { createHash } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import { tableInfo, tableNames, timeColumns, type DB } from "../generated/kysely/types.ts";
import type { Database } from "./database.ts";

type AnyRow = Record<string, unknown>;
type AnyDB = Record<string, AnyRow>;

export interface TableReport {
  table: string;
  rows: number;
  checksum: string;
  /** Times stored as text in the source, converted to epoch milliseconds. */
  convertedTimes: number;
}

export class CopyError extends Error {
  constructor(
    readonly reason: "target_not_empty" | "mismatch" | "bad_time",
    message: string,
    readonly detail: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

/** Columns kept by triggers on insert (unit_counters): written back from the source afterwards. */
const triggerMaintained: Partial<Record<keyof DB, string[]>> = { Unit: ["memberCount", "linkedCount"] };
/**
 * Summary tables filled by triggers as their source rows go in (report_tallies). They come last
 * in the copy order (no foreign keys, declared last), so what the triggers wrote is replaced by
 * the source's rows: the checksums then compare the source's summaries with the target's.
 */
const triggerFilled: ReadonlySet<keyof DB> = new Set<keyof DB>([
  "TicketTally",
  "TicketOpenTally",
  "MeetingTally",
  "PersonHome",
  "UnitMemberTally",
]);

/** Tables ordered so that every table comes after the tables it references. */
export function copyOrder(): (keyof DB)[] {
  const order: (keyof DB)[] = [];
  const visiting = new Set<string>();
  const visit = (t: keyof DB) => {
    if (order.includes(t) || visiting.has(t)) return;
    visiting.add(t);
    for (const fk of tableInfo[t].foreignKeys) if (fk.table !== t) visit(fk.table);
    visiting.delete(t);
    order.push(t);
  };
  for (const t of tableNames) visit(t);
  return order;
}

function toTime(value: unknown, where: string): { value: unknown; converted: boolean } {
  if (value === null || typeof value === "number") return { value, converted: false };
  if (typeof value === "bigint") return { value: Number(value), converted: false };
  if (typeof value === "string") {
    // SQLite CURRENT_TIMESTAMP: "2026-11-29 21:00:00" (UTC); also ISO strings and digits.
    const ms = /^\d+$/.test(value)
      ? Number(value)
      : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value.replace(" ", "T") : `${value.replace(" ", "T")}Z`);
    if (Number.isFinite(ms)) return { value: ms, converted: true };
  }
  throw new CopyError("bad_time", `${where}: not a time: ${String(value).slice(0, 40)}`, {
    where,
    value: String(value).slice(0, 40),
  });
}

/** One row as canonical JSON (column order of the schema), for the checksum. */
function canonical(row: AnyRow, columns: readonly string[]): string {
  return JSON.stringify(
    columns.map((c) => {
      const v = row[c];
      if (v === undefined) return null;
      if (typeof v === "bigint") return Number(v);
      if (Buffer.isBuffer(v)) return v.toString("base64");
      return v;
    }),
  );
}

const pageSize = 1000;

/** Reads a table page by page in primary-key order, normalising times. */
async function* readTable(trx: Transaction<AnyDB>, table: keyof DB, report: TableReport): AsyncGenerator<AnyRow[]> {
  const info = tableInfo[table];
  const times = new Set(timeColumns[table]);
  const [pk, ...rest] = info.primaryKey;
  let last: unknown;
  let offset = 0;
  for (;;) {
    let q = trx.selectFrom(table).selectAll().limit(pageSize);
    for (const c of info.primaryKey) q = q.orderBy(c);
    if (!rest.length && pk && last !== undefined) q = q.where(pk, ">", last);
    else if (rest.length) q = q.offset(offset);
    const rows = await q.execute();
    if (!rows.length) return;
    for (const row of rows) {
      for (const c of times) {
        const t = toTime(row[c], `${table}.${c}`);
        if (t.converted) report.convertedTimes++;
        row[c] = t.value;
      }
    }
    offset += rows.length;
    if (pk) last = rows[rows.length - 1]![pk];
    yield rows;
    if (rows.length < pageSize) return;
  }
}

async function countRows(db: Kysely<AnyDB> | Transaction<AnyDB>, table: keyof DB): Promise<number> {
  const r = await db.selectFrom(table).select(sql<number>`COUNT(*)`.as("n")).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Tables of `db` that hold rows, with their counts. */
export async function nonEmptyTables(db: Database): Promise<{ table: string; rows: number }[]> {
  const k = db.kysely as unknown as Kysely<AnyDB>;
  const out: { table: string; rows: number }[] = [];
  for (const table of tableNames) {
    const n = await countRows(k, table);
    if (n) out.push({ table, rows: n });
  }
  return out;
}

async function checksumOf(trx: Transaction<AnyDB>, table: keyof DB): Promise<{ rows: number; checksum: string }> {
  const hash = createHash("sha256");
  let rows = 0;
  const scratch: TableReport = { table, rows: 0, checksum: "", convertedTimes: 0 };
  for await (const page of readTable(trx, table, scratch)) {
    for (const row of page) hash.update(canonical(row, tableInfo[table].columns)).update("\n");
    rows += page.length;
  }
  return { rows, checksum: hash.digest("hex").slice(0, 16) };
}

export interface CopyOptions {
  /** Empty a target that holds rows (in the same transaction) instead of refusing. */
  force?: boolean;
  /** Called after each table is copied. */
  onTable?: (report: TableReport) => void;
}

/** Copies every table of `source` into `target`. Returns one report per table. */
export async function copyDatabase(
  source: Database,
  target: Database,
  options: CopyOptions = {},
): Promise<TableReport[]> {
  const filled = await nonEmptyTables(target);
  if (filled.length && !options.force) {
    throw new CopyError(
      "target_not_empty",
      `the target holds rows (${filled.map((f) => `${f.table}: ${f.rows}`).join(", ")})`,
      { tables: filled.map((f) => f.table).join(", ") },
    );
  }
  const order = copyOrder();
  const src = source.kysely as unknown as Kysely<AnyDB>;
  const dst = target.kysely as unknown as Kysely<AnyDB>;
  return src.transaction().execute(async (from) =>
    dst.transaction().execute(async (to) => {
      for (const table of [...order].reverse()) await to.deleteFrom(table).execute();
      const reports: TableReport[] = [];
      const restore: { table: keyof DB; rows: AnyRow[] }[] = [];
      for (const table of order) {
        const info = tableInfo[table];
        const report: TableReport = { table, rows: 0, checksum: "", convertedTimes: 0 };
        const hash = createHash("sha256");
        const selfRefs = info.foreignKeys.filter((fk) => fk.table === table).flatMap((fk) => fk.columns);
        const deferred: AnyRow[] = [];
        const kept = triggerMaintained[table] ?? [];
        const keptRows: AnyRow[] = [];
        if (triggerFilled.has(table)) await to.deleteFrom(table).execute();
        for await (const page of readTable(from, table, report)) {
          for (const row of page) hash.update(canonical(row, info.columns)).update("\n");
          report.rows += page.length;
          // Rows referring to rows of the same table (a unit's parent) go in with the reference
          // empty, and get it once the whole table is in.
          const rows = page.map((row) => {
            if (!selfRefs.some((c) => row[c] != null)) return row;
            deferred.push(row);
            return { ...row, ...Object.fromEntries(selfRefs.map((c) => [c, null])) };
          });
          if (kept.length)
            keptRows.push(
              ...page.map((row) => Object.fromEntries([...info.primaryKey, ...kept].map((c) => [c, row[c]]))),
            );
          const width = Math.max(1, info.columns.length);
          const batch = Math.max(1, Math.floor(30_000 / width));
          for (let i = 0; i < rows.length; i += batch)
            await to
              .insertInto(table)
              .values(rows.slice(i, i + batch))
              .execute();
        }
        for (const row of deferred) {
          let u = to.updateTable(table).set(Object.fromEntries(selfRefs.map((c) => [c, row[c]])));
          for (const c of info.primaryKey) u = u.where(c, "=", row[c]);
          await u.execute();
        }
        if (keptRows.length) restore.push({ table, rows: keptRows });
        // Fresh statistics: without them PostgreSQL plans the page reads below (and the triggers'
        // lookups) as if the table were empty, scanning it whole for every page.
        if (target.engine === "postgresql" && report.rows) await sql`ANALYZE ${sql.table(table)}`.execute(to);
        report.checksum = hash.digest("hex").slice(0, 16);
        reports.push(report);
      }
      for (const { table, rows } of restore) {
        const info = tableInfo[table];
        for (const row of rows) {
          let u = to
            .updateTable(table)
            .set(Object.fromEntries(Object.entries(row).filter(([c]) => !info.primaryKey.includes(c))));
          for (const c of info.primaryKey) u = u.where(c, "=", row[c]);
          await u.execute();
        }
      }
      if (target.engine === "postgresql") {
        // Explicit ids do not move PostgreSQL's sequences: set each past the highest id copied.
        for (const table of order) {
          const [pk, ...more] = tableInfo[table].primaryKey;
          if (!pk || more.length) continue;
          const seq = await sql<{
            seq: string | null;
          }>`SELECT pg_get_serial_sequence(${`"${table}"`}, ${pk}) AS seq`.execute(to);
          const name = seq.rows[0]?.seq;
          if (!name) continue;
          await sql`SELECT setval(${name}, COALESCE((SELECT MAX(${sql.ref(pk)}) FROM ${sql.table(table)}), 1), (SELECT COUNT(*) > 0 FROM ${sql.table(table)}))`.execute(
            to,
          );
        }
      }
      // Read everything back inside the transaction: commit only what matches.
      for (const report of reports) {
        const table = report.table as keyof DB;
        const back = await checksumOf(to, table);
        if (back.rows !== report.rows || back.checksum !== report.checksum) {
          throw new CopyError(
            "mismatch",
            `${table}: source ${report.rows} rows ${report.checksum}, target ${back.rows} rows ${back.checksum}`,
            { table, sourceRows: report.rows, targetRows: back.rows },
          );
        }
        options.onTable?.(report);
      }
      return reports;
    }),
  );
}

/** Row count and checksum of every table, read the same way as `copyDatabase` (to compare two databases). */
export async function tableChecksums(db: Database): Promise<{ table: string; rows: number; checksum: string }[]> {
  const k = db.kysely as unknown as Kysely<AnyDB>;
  return k.transaction().execute(async (trx) => {
    const out: { table: string; rows: number; checksum: string }[] = [];
    for (const table of copyOrder()) out.push({ table, ...(await checksumOf(trx, table)) });
    return out;
  });
}
