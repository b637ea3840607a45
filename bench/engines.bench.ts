/**
 * Issue 11's performance figures on both engines side by side, in one run:
 *
 *   npm run bench -- engines
 *
 * Each figure runs on SQLite and on PostgreSQL, each in a process of its own
 * (bench/support/engine-figures.ts), and one table at the end shows them beside their targets:
 * - delivery engine ceiling, limits off (fake Bot API answering at once): SQLite one process,
 *   PostgreSQL three real processes claiming from one outbox;
 * - inbound webhook updates stored and handled (burst), and p99 at 500 updates/s;
 * - roster import of 100,000 rows (CSV);
 * - a directive queued for 100,003 members (10,101 units);
 * - roll-up of the whole 10,101-unit tree;
 * - the open-ticket queue with 1,000,000 tickets stored (province official, first page).
 *
 * PostgreSQL: BENCH_DATABASE_URL is the admin URL of the server (default
 * postgresql://postgres@127.0.0.1:5432/postgres); every database is created and dropped here.
 * ENGINES_BENCH_CACHE=/tmp/chihoi-engines keeps the two generated provinces (SQLite files there,
 * PostgreSQL template databases chihoi_bench_tpl_*) for the next run; without it they are removed.
 * ONLY=ceiling,inbound,import,directive,rollup,tickets picks figures; ENGINES=postgresql one engine.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Figure } from "./support/engine-figures.ts";
import pg from "pg";
import { adminUrl, dropPostgresTemplates } from "./support/engine-data.ts";
import { median, percentile } from "./lib.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
type EngineName = "sqlite" | "postgresql";

interface Row {
  key: string;
  label: string;
  /** What the figure is read from in the result (default: `value`). */
  pick?: (f: Figure) => number;
  unit: string;
  digits: number;
  targets: Record<EngineName, { text: string; ok: (v: number) => boolean }>;
}

/** "Within 15 % of" an earlier figure: higher is better for rates, lower for times. */
const within = (earlier: number, higherIsBetter: boolean) => ({
  text: `${higherIsBetter ? "≥" : "≤"} ${(higherIsBetter ? earlier * 0.85 : earlier * 1.15).toLocaleString("en", { maximumFractionDigits: 1 })} (15 % of ${earlier.toLocaleString("en")})`,
  ok: (v: number) => (higherIsBetter ? v >= earlier * 0.85 : v <= earlier * 1.15),
});

const rows: Row[] = [
  {
    key: "ceiling",
    label: "delivery engine ceiling, limits off (SQLite 1 process, PostgreSQL 3)",
    unit: "deliveries/s",
    digits: 0,
    targets: { sqlite: within(2700, true), postgresql: { text: "≥ 1,500", ok: (v) => v >= 1500 } },
  },
  {
    key: "inbound",
    label: "inbound webhook, stored and handled",
    unit: "updates/s",
    digits: 0,
    targets: { sqlite: within(2000, true), postgresql: { text: "≥ 1,000", ok: (v) => v >= 1000 } },
  },
  {
    key: "inbound",
    label: "inbound webhook p99 at 500 updates/s",
    pick: (f) => Number(f.details.p99MsAt500),
    unit: "ms",
    digits: 1,
    targets: {
      sqlite: { text: "< 50", ok: (v) => v < 50 },
      postgresql: { text: "< 50", ok: (v) => v < 50 },
    },
  },
  {
    key: "import",
    label: "roster import, 100,000 rows (CSV)",
    unit: "s",
    digits: 1,
    targets: { sqlite: within(2.8, false), postgresql: { text: "≤ 30", ok: (v) => v <= 30 } },
  },
  {
    key: "directive",
    label: "directive queued for 100,003 members",
    unit: "s",
    digits: 2,
    targets: { sqlite: within(1.5, false), postgresql: { text: "—", ok: () => true } },
  },
  {
    key: "rollup",
    label: "subtree roll-up, 10,101 units (whole tree)",
    unit: "ms",
    digits: 1,
    targets: { sqlite: within(16.5, false), postgresql: { text: "≤ 50", ok: (v) => v <= 50 } },
  },
  {
    key: "tickets",
    label: "open-ticket queue, 1,000,000 tickets (province, first page)",
    unit: "ms",
    digits: 1,
    targets: { sqlite: within(9.3, false), postgresql: { text: "≤ 50", ok: (v) => v <= 50 } },
  },
];

const only = process.env.ONLY?.split(",");
const engines = (process.env.ENGINES?.split(",") ?? ["sqlite", "postgresql"]) as EngineName[];
const keepCache = !!process.env.ENGINES_BENCH_CACHE;
const cache = process.env.ENGINES_BENCH_CACHE || path.join(tmpdir(), `chihoi-engines-${process.pid}`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join("/");

function runFigure(key: string, engine: EngineName): Promise<Figure | string> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--expose-gc", path.join(here, "support/engine-figures.ts"), key, engine],
      {
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, LOG_LEVEL: "silent", ENGINES_BENCH_CACHE: cache },
      },
    );
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      resolve(line ? (JSON.parse(line.slice(7)) as Figure) : `failed (exit ${code})`);
    });
  });
}

const results = new Map<string, Figure | string>();
const startLoad = load();
try {
  for (const key of [...new Set(rows.map((r) => r.key))]) {
    if (only && !only.includes(key)) continue;
    for (const engine of engines) {
      const r = await runFigure(key, engine);
      results.set(`${key}:${engine}`, r);
      process.stdout.write(
        `[bench] ${key} on ${engine}: ${
          typeof r === "string"
            ? r
            : `${r.value.toFixed(2)} ${r.unit} ${Object.entries(r.details)
                .map(([k, v]) => `${k}=${v}`)
                .join(" ")}`
        }\n`,
      );
    }
  }
} finally {
  if (!keepCache) {
    rmSync(cache, { recursive: true, force: true });
    if (engines.includes("postgresql")) await dropPostgresTemplates();
  }
}

/**
 * What one PostgreSQL round trip costs right now (`SELECT 1`, one after another): the unit every
 * PostgreSQL figure above is made of, and what the machine's load does to it.
 */
async function roundTrip(): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const ms: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await c.query("SELECT 1");
      ms.push(performance.now() - t);
    }
    return `median ${median(ms).toFixed(2)} ms, p95 ${percentile(ms, 95).toFixed(2)} ms`;
  } finally {
    await c.end();
  }
}
const trip = engines.includes("postgresql") ? await roundTrip() : "";

const cell = (row: Row, engine: EngineName): string => {
  const r = results.get(`${row.key}:${engine}`);
  if (r === undefined) return "—";
  if (typeof r === "string") return r;
  const v = row.pick ? row.pick(r) : r.value;
  const load = String(r.details.load ?? "").split("→")[0];
  return `${v.toLocaleString("en", { minimumFractionDigits: row.digits, maximumFractionDigits: row.digits })} ${
    row.targets[engine].ok(v) ? "ok" : "MISSED"
  } (load ${load})`;
};
const table = rows
  .filter((r) => !only || only.includes(r.key))
  .map((r) => [
    `${r.label} [${r.unit}]`,
    cell(r, "sqlite"),
    r.targets.sqlite.text,
    cell(r, "postgresql"),
    r.targets.postgresql.text,
  ]);
const head = ["figure", "SQLite", "SQLite target", "PostgreSQL", "PostgreSQL target"];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
process.stdout.write(`\nEngines side by side (load at start ${startLoad}, at end ${load()}):\n`);
process.stdout.write(`${line(head)}\n${line(widths.map((w) => "-".repeat(w)))}\n`);
for (const t of table) process.stdout.write(`${line(t)}\n`);
if (trip) process.stdout.write(`PostgreSQL round trip (SELECT 1) at the end: ${trip}, load ${load()}\n`);
