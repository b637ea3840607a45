/**
 * Databases for the engines benchmark (bench/engines.bench.ts), the same data on SQLite and
 * PostgreSQL, written through Kysely (multi-row inserts with explicit ids, so no engine-specific
 * generator and no `db copy`).
 *
 * PostgreSQL: BENCH_DATABASE_URL names the server's admin database (default the local server's
 * `postgres`); every database is created here and dropped afterwards. Big datasets are built once
 * as a template (PostgreSQL: `CREATE DATABASE … TEMPLATE`, a file copy; SQLite: the file copied)
 * and each figure runs on a fresh copy. ENGINES_BENCH_CACHE=/tmp/dir keeps the templates (SQLite
 * files in that folder, PostgreSQL template databases) for the next run.
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import pg from "pg";
import { openDatabase, type Database, type Engine } from "../../src/storage/database.ts";

export const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export const cacheDir = process.env.ENGINES_BENCH_CACHE || undefined;

async function admin(q: string): Promise<number> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return (await c.query(q)).rowCount ?? 0;
  } finally {
    await c.end();
  }
}

function pgUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface BenchDb {
  url: string;
  /** SQLite: the folder of the file (rosters are written there); PostgreSQL: a temp folder. */
  dir: string;
  destroy(): Promise<void>;
}

/** An empty, not yet migrated database on `engine` (or a copy of `template` when given). */
export async function createBenchDb(engine: Engine, template?: string): Promise<BenchDb> {
  const dir = mkdtempSync(path.join(tmpdir(), "chihoi-engines-"));
  if (engine === "sqlite") {
    const file = path.join(dir, "bench.db");
    if (template) copyFileSync(template, file);
    return { url: `file:${file}`, dir, destroy: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `chihoi_bench_${process.pid}_${randomBytes(3).toString("hex")}`;
  await admin(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ""}`);
  return {
    url: pgUrl(name),
    dir,
    async destroy() {
      rmSync(dir, { recursive: true, force: true });
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/**
 * The template of dataset `name` on `engine`, built by `build` when missing: a SQLite file path
 * (in ENGINES_BENCH_CACHE) or a PostgreSQL template database `chihoi_bench_tpl_<name>`. The
 * benchmark's driver (bench/engines.bench.ts) removes them at the end unless ENGINES_BENCH_CACHE
 * was set by the caller.
 */
export async function template(
  engine: Engine,
  name: string,
  build: (db: Database) => Promise<void>,
): Promise<{ ref: string; builtMs: number | undefined }> {
  const started = performance.now();
  if (engine === "sqlite") {
    const dir = cacheDir ?? path.join(tmpdir(), "chihoi-engines-templates");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.db`);
    if (existsSync(file)) return { ref: file, builtMs: undefined };
    const building = `${file}.building`;
    rmSync(building, { force: true });
    const db = await openDatabase(`file:${building}`);
    await build(db);
    db.sql.db.pragma("wal_checkpoint(TRUNCATE)");
    await db.close();
    rmSync(`${building}-wal`, { force: true });
    rmSync(`${building}-shm`, { force: true });
    renameSync(building, file);
    return { ref: file, builtMs: performance.now() - started };
  }
  const db_ = `${templatePrefix}${name}`;
  const exists = await admin(`SELECT 1 FROM pg_database WHERE datname = '${db_}' AND datistemplate`);
  if (exists) return { ref: db_, builtMs: undefined };
  const building = `${db_}_building`;
  await admin(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
  await admin(`DROP DATABASE IF EXISTS "${db_}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${building}"`);
  const db = await openDatabase(pgUrl(building));
  try {
    await build(db);
    await sql`VACUUM ANALYZE`.execute(db.kysely);
  } finally {
    await db.close();
  }
  await admin(`ALTER DATABASE "${building}" RENAME TO "${db_}"`);
  await admin(`ALTER DATABASE "${db_}" WITH IS_TEMPLATE true`);
  return { ref: db_, builtMs: performance.now() - started };
}

/** BENCH_TEMPLATE_PREFIX keeps two checkouts benchmarking at once (with different schemas) apart. */
const templatePrefix = process.env.BENCH_TEMPLATE_PREFIX || "chihoi_bench_tpl_";

/** Drops every PostgreSQL template database of this benchmark. */
export async function dropPostgresTemplates(): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE '${templatePrefix}%'`,
    );
    for (const { datname } of rows) {
      await c.query(`ALTER DATABASE "${datname}" WITH IS_TEMPLATE false`);
      await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await c.end();
  }
}

/** Inserts `rows` into `table` in statements of at most ~20,000 values. */
export async function insertRows(db: Database, table: string, rows: Record<string, unknown>[]): Promise<void> {
  if (!rows.length) return;
  const width = Object.keys(rows[0]!).length;
  const batch = Math.max(1, Math.floor(20_000 / width));
  // biome-ignore lint/suspicious/noExplicitAny: a generator writing any table
  const k = db.kysely as any;
  for (let i = 0; i < rows.length; i += batch)
    await k
      .insertInto(table)
      .values(rows.slice(i, i + batch))
      .execute();
}

/**
 * PostgreSQL: runs `fn` with a per-row trigger off (a bulk load whose summaries are then computed
 * in one statement). SQLite: `fn` as is (its row triggers cost little in-process).
 */
async function withoutTrigger(db: Database, table: string, trigger: string, fn: () => Promise<void>): Promise<void> {
  if (db.engine !== "postgresql") return fn();
  await sql.raw(`ALTER TABLE "${table}" DISABLE TRIGGER "${trigger}"`).execute(db.kysely);
  try {
    await fn();
  } finally {
    await sql.raw(`ALTER TABLE "${table}" ENABLE TRIGGER "${trigger}"`).execute(db.kysely);
  }
}

/** The TicketTally and TicketOpenTally backfill statements of the report_tallies migration (PostgreSQL). */
function ticketTallyBackfill(): string[] {
  const file = path.join(
    path.dirname(fileURLToPath(import.meta.url)),
    "../../prisma/postgresql/migrations/20261130044003_report_tallies/migration.sql",
  );
  const text = readFileSync(file, "utf8");
  const from = text.indexOf("-- Backfill of an existing database.");
  const to = text.indexOf('INSERT INTO "MeetingTally"', from);
  if (from < 0 || to < 0) throw new Error("report_tallies backfill not found");
  const statements = text
    .slice(from, to)
    .split(/;\s*\n/)
    .map((q) => q.trim())
    .filter((q) => /^(--[^\n]*\n)*\s*INSERT/.test(q));
  if (statements.length !== 2) throw new Error(`report_tallies backfill: ${statements.length} statements`);
  return statements;
}

/** PostgreSQL: moves each table's id sequence past the explicit ids written. */
export async function fixSequences(db: Database, tables: string[]): Promise<void> {
  if (db.engine !== "postgresql") return;
  for (const t of tables)
    await sql`SELECT setval(pg_get_serial_sequence(${`"${t}"`}, 'id'), (SELECT MAX(id) FROM ${sql.table(t)}))`.execute(
      db.kysely,
    );
}

/** Fresh planner statistics (SQLite `PRAGMA optimize`, PostgreSQL `ANALYZE`). */
export async function analyse(db: Database): Promise<void> {
  if (db.engine === "sqlite") db.sql.db.pragma("optimize");
  else await sql`ANALYZE`.execute(db.kysely);
}

export interface Province {
  organisationId: number;
  rootId: number;
  communeIds: number[];
  leafIds: number[];
  units: number;
  members: number;
  provinceOfficial: number;
  communeOfficial: number;
  branchCadre: number;
  tickets: number;
}

export const provinceNow = Date.UTC(2026, 10, 20, 3);
const DAY = 86_400_000;

/**
 * The province of the directives/tickets and unit-tree benchmarks: Tỉnh → 100 xã → 10 ấp → 9 chi
 * hội (10,101 units, ids 1…10,101 in that order), `members` members spread over the leaves (90 %
 * linked: a third Zalo, the rest Telegram), three officials (province, commune 42, branch cadre of
 * leaf 4242), and `tickets` tickets (92 % closed over 1,000 days, the open ones from the last 60
 * days; 5 % passed up to the commune, 1 % to the province), each with its first message. The same
 * pseudo-random sequence as bench/directives-tickets.
 */
export async function buildProvince(db: Database, members: number, tickets: number): Promise<void> {
  const now = provinceNow;
  await insertRows(db, "Organisation", [{ id: 1, code: "b", name: "Bench", createdAt: now }]);
  const units: Record<string, unknown>[] = [];
  const unit = (parent: { id: number; path: string; depth: number } | null, name: string, level: string) => {
    const id = units.length + 1;
    const u = { id, path: `${parent?.path ?? "/"}${id}/`, depth: parent ? parent.depth + 1 : 0 };
    units.push({
      id,
      organisationId: 1,
      parentId: parent?.id ?? null,
      name,
      nameKey: name.toLowerCase(),
      levelLabel: level,
      path: u.path,
      depth: u.depth,
      createdAt: now,
    });
    return u;
  };
  const root = unit(null, "Tỉnh", "Tỉnh");
  const communes: number[] = [];
  const leaves: number[] = [];
  for (let c = 0; c < 100; c++) {
    const commune = unit(root, `Xã ${c}`, "Xã");
    communes.push(commune.id);
    for (let h = 0; h < 10; h++) {
      const hamlet = unit(commune, `Ấp ${c}-${h}`, "Ấp");
      for (let b = 0; b < 9; b++) leaves.push(unit(hamlet, `Chi hội ${c}-${h}-${b}`, "Chi hội").id);
    }
  }
  await db.transaction(async () => {
    await insertRows(db, "Unit", units);
  });
  // People: members 1…members, then the three officials.
  const people: Record<string, unknown>[] = [];
  const memberships: Record<string, unknown>[] = [];
  const accounts: Record<string, unknown>[] = [];
  for (let i = 0; i < members; i++) {
    const id = i + 1;
    const linked = i % 10 !== 0;
    people.push({
      id,
      fullName: `Hội viên ${i}`,
      nameKey: `hoi vien ${i}`,
      linkedAccounts: linked ? 1 : 0,
      locale: i % 10 === 3 ? "en" : "vi",
      createdAt: now,
      updatedAt: now,
    });
    memberships.push({ id, personId: id, unitId: leaves[i % leaves.length]!, role: "member", createdAt: now });
    if (linked)
      accounts.push({
        id: accounts.length + 1,
        platform: i % 3 === 0 ? "zalo" : "telegram",
        externalId: `acc-${i}`,
        personId: id,
        preferred: true,
        linkedAt: now,
        createdAt: now,
      });
  }
  const officials: [number, string][] = [
    [root.id, "official"],
    [communes[42]!, "official"],
    [leaves[4242]!, "cadre"],
  ];
  for (const [unitId, role] of officials) {
    const id = people.length + 1;
    people.push({
      id,
      fullName: `Cán bộ ${unitId}`,
      nameKey: `can bo ${unitId}`,
      linkedAccounts: 1,
      locale: "vi",
      createdAt: now,
      updatedAt: now,
    });
    memberships.push({ id: memberships.length + 1, personId: id, unitId, role, createdAt: now });
    accounts.push({
      id: accounts.length + 1,
      platform: "telegram",
      externalId: `tg-official-${id}`,
      personId: id,
      preferred: true,
      linkedAt: now,
      createdAt: now,
    });
  }
  // Accounts before memberships: the memberships' trigger then computes each person's home with
  // their accounts (PostgreSQL's per-row account trigger is skipped: it would do the same work
  // 90,000 times over, for people who have no membership yet).
  // Statistics between the steps: planned as if the tables were still empty, PostgreSQL's trigger
  // statements scan all accounts for each person.
  await db.transaction(async () => {
    await insertRows(db, "Person", people);
    await withoutTrigger(db, "ChatAccount", "ChatAccount_home_insert", () => insertRows(db, "ChatAccount", accounts));
  });
  await analyse(db);
  await db.transaction(async () => {
    await insertRows(db, "Membership", memberships);
  });
  await analyse(db);
  let seed = 42;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const chunk = 20_000;
  for (let from = 0; from < tickets; from += chunk) {
    const ts: Record<string, unknown>[] = [];
    const ms: Record<string, unknown>[] = [];
    for (let i = from; i < Math.min(tickets, from + chunk); i++) {
      const k = Math.floor(random() * members);
      const leafIndex = k % leaves.length;
      const r = random();
      const status = r < 0.92 ? "closed" : r < 0.95 ? "new" : r < 0.98 ? "in_progress" : "answered";
      const created =
        status === "closed" ? now - Math.floor(random() * 1000 * DAY) : now - Math.floor(random() * 60 * DAY);
      const u = random();
      const unitId = u < 0.94 ? leaves[leafIndex]! : u < 0.99 ? communes[Math.floor(leafIndex / 90)]! : root.id;
      const id = i + 1;
      ts.push({
        id,
        unitId,
        originUnitId: leaves[leafIndex]!,
        personId: k + 1,
        category: "khac",
        status,
        dueAt: created + 7 * DAY,
        createdAt: created,
        updatedAt: created,
      });
      ms.push({
        id,
        ticketId: id,
        authorRole: "member",
        authorPersonId: k + 1,
        text: `Kiến nghị ${i}: đường giao thông nông thôn xuống cấp, đề nghị hội kiến nghị sửa chữa`,
        createdAt: created,
      });
    }
    await db.transaction(async () => {
      await withoutTrigger(db, "Ticket", "Ticket_tally_insert", () => insertRows(db, "Ticket", ts));
      await insertRows(db, "TicketMessage", ms);
    });
  }
  // PostgreSQL: the ticket summaries the per-row trigger skipped, by the migration's own backfill.
  if (db.engine === "postgresql" && tickets) for (const q of ticketTallyBackfill()) await sql.raw(q).execute(db.kysely);
  await fixSequences(db, ["Organisation", "Unit", "Person", "Membership", "ChatAccount", "Ticket", "TicketMessage"]);
  await analyse(db);
}

/** Where things are in `buildProvince`'s data (ids follow its insertion order). */
export function provinceLayout(members: number, tickets: number): Province {
  const communeIds: number[] = [];
  const leafIds: number[] = [];
  let id = 1;
  for (let c = 0; c < 100; c++) {
    communeIds.push(++id);
    for (let h = 0; h < 10; h++) {
      id++;
      for (let b = 0; b < 9; b++) leafIds.push(++id);
    }
  }
  return {
    organisationId: 1,
    rootId: 1,
    communeIds,
    leafIds,
    units: id,
    members,
    provinceOfficial: members + 1,
    communeOfficial: members + 2,
    branchCadre: members + 3,
    tickets,
  };
}

/** People 1…n linked to Telegram chats 1…n, members of one branch (the inbound benchmark). */
export async function buildLinkedMembers(db: Database, n: number): Promise<void> {
  const now = 0;
  await db.transaction(async () => {
    await insertRows(db, "Organisation", [{ id: 1, code: "b", name: "Bench", createdAt: now }]);
    await insertRows(db, "Unit", [
      { id: 1, organisationId: 1, name: "Chi hội", nameKey: "chi hoi", path: "/1/", depth: 0, createdAt: now },
    ]);
    const ids = Array.from({ length: n }, (_, i) => i + 1);
    await insertRows(
      db,
      "Person",
      ids.map((id) => ({
        id,
        fullName: `Hội viên ${id}`,
        nameKey: `hoi vien ${id}`,
        locale: "vi",
        linkedAccounts: 1,
        createdAt: now,
        updatedAt: now,
      })),
    );
    await insertRows(
      db,
      "Membership",
      ids.map((id) => ({ id, personId: id, unitId: 1, role: "member", createdAt: now })),
    );
    await insertRows(
      db,
      "ChatAccount",
      ids.map((id) => ({
        id,
        platform: "telegram",
        externalId: String(id),
        personId: id,
        preferred: true,
        linkedAt: now,
        createdAt: now,
      })),
    );
  });
  await fixSequences(db, ["Organisation", "Unit", "Person", "Membership", "ChatAccount"]);
  await analyse(db);
}
