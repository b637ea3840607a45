/**
 * Issue 11: the unit-tree benchmark's database (10,101 units, 200,000 people) moved to
 * PostgreSQL with `db copy` (time, rows, verified), then the subtree roll-up on both engines side
 * by side: the synchronous raw-SQL version of today, and the converted Kysely version
 * (`unitCounts`) on SQLite and PostgreSQL. Targets: SQLite within 15 % of 16.5 ms; PostgreSQL ≤ 50 ms.
 *
 * PostgreSQL: BENCH_DATABASE_URL or TEST_DATABASE_URL or the local server (a database of its own).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { benchDatabase, median, report, timeAsync, timesAsync } from "./lib.ts";
import { rollUpCounts, unitCounts } from "../src/domain/units/unit-service.ts";
import { copyDatabase, tableChecksums } from "../src/storage/copy.ts";
import { openDatabase, type Database } from "../src/storage/database.ts";
import { buildUnitTree } from "./support/unit-tree-data.ts";

const server =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const name = `chihoi_bench_${process.pid}_${randomBytes(3).toString("hex")}`;
const admin = async (q: string) => {
  const c = new pg.Client({ connectionString: server });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
};

const sqlite = await benchDatabase();
const { rootId, communeIds, units, people } = await buildUnitTree(sqlite);
await admin(`CREATE DATABASE "${name}"`);
const url = new URL(server);
url.pathname = `/${name}`;
let postgres: Database | undefined;
try {
  postgres = await openDatabase(url.toString());
  const copy = await timeAsync(() => copyDatabase(sqlite, postgres!));
  const rows = copy.result.reduce((n, r) => n + r.rows, 0);
  const same = JSON.stringify(await tableChecksums(postgres)) === JSON.stringify(await tableChecksums(sqlite));
  report("db copy sqlite → postgresql", {
    units,
    people,
    rows,
    seconds: (copy.ms / 1000).toFixed(1),
    rowsPerSec: Math.round(rows / (copy.ms / 1000)),
    verifiedAgain: same ? "yes" : "NO",
  });

  const sync = async (fn: () => unknown, runs = 20) => {
    await fn();
    return median(await timesAsync(runs, fn));
  };
  const async = async (fn: () => Promise<unknown>, runs = 20) => {
    await fn();
    const out: number[] = [];
    for (let i = 0; i < runs; i++) out.push((await timeAsync(fn)).ms);
    return median(out);
  };
  const commune = communeIds[42]!;
  report(
    "unit roll-up, 10,101 units",
    {
      rawSqliteWholeMs: (await sync(() => rollUpCounts(sqlite, rootId))).toFixed(1),
      kyselySqliteWholeMs: (await async(() => unitCounts(sqlite, rootId))).toFixed(1),
      kyselyPostgresWholeMs: (await async(() => unitCounts(postgres!, rootId))).toFixed(1),
      rawSqliteCommuneMs: (await sync(() => rollUpCounts(sqlite, commune))).toFixed(2),
      kyselySqliteCommuneMs: (await async(() => unitCounts(sqlite, commune))).toFixed(2),
      kyselyPostgresCommuneMs: (await async(() => unitCounts(postgres!, commune))).toFixed(2),
    },
    "SQLite within 15 % of 16.5 ms; PostgreSQL ≤ 50 ms",
  );
} finally {
  await postgres?.close();
  await sqlite.destroy();
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
