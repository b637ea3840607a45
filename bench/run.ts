/** Runs every benchmark (or those named on the command line) one after another, each in its own process. */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => !wanted.length || wanted.some((w) => f.includes(w)))
  .sort();
let failed = 0;
for (const file of benches) {
  process.stdout.write(`\n== ${file}\n`);
  // Benchmarks of the running service use the heap cap `npm start` uses; the CLI ones do not.
  const heap = /^telegram-/.test(file) ? ["--max-old-space-size=128"] : [];
  const r = spawnSync(process.execPath, [...heap, "--import", "tsx", "--expose-gc", path.join(dir, file)], {
    stdio: "inherit",
    env: { ...process.env, LOG_LEVEL: "silent" },
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
