/**
 * Issue 11: the unit-tree benchmark's database (10,101 units, 200,000 people) moved to
 * PostgreSQL with `db copy` (time, rows, verified), then the same roll-up (`rollUpCounts`) read
 * from both copies, as a check that the copied counters serve the same query. The roll-up figures
 * against their targets are in bench/engines.bench.ts (`npm run bench -- engines`).
 *
 * PostgreSQL: BENCH_DATABASE_URL or TEST_DATABASE_URL or the local server (a database of its own).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { benchDatabase, median, report, timeAsync, timesAsync } from "./lib.ts";
import { rollUpCounts } from "../src/domain/units/unit-service.ts";
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

  const measure = async (fn: () => Promise<unknown>, runs = 20) => {
    await fn();
    return median(await timesAsync(runs, fn));
  };
  const commune = communeIds[42]!;
  const sameCounts =
    JSON.stringify(await rollUpCounts(sqlite, rootId)) === JSON.stringify(await rollUpCounts(postgres, rootId));
  report("unit roll-up on the copied database, 10,101 units", {
    sqliteWholeMs: (await measure(() => rollUpCounts(sqlite, rootId))).toFixed(1),
    postgresWholeMs: (await measure(() => rollUpCounts(postgres!, rootId))).toFixed(1),
    sqliteCommuneMs: (await measure(() => rollUpCounts(sqlite, commune))).toFixed(2),
    postgresCommuneMs: (await measure(() => rollUpCounts(postgres!, commune))).toFixed(2),
    sameCounts: sameCounts ? "yes" : "NO",
  });
} finally {
  await postgres?.close();
  await sqlite.destroy();
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}
