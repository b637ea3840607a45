/**
 * Start-up of the service: compiled JavaScript (`npm start`: bin/chihoi.js runs dist/ once it is
 * built and current) against the TypeScript sources loaded through tsx (what `npm start` ran before
 * dist/, and still runs in a checkout whose dist/ is older than its sources). For each: the time
 * from spawning Node until the local web chat answers HTTP, and the process's resident memory (RSS)
 * at that moment; on an embedded SQLite database in a temporary folder, with the heap cap
 * `npm start` uses. Needs `npm run build` first. `RUNS=5 npm run bench start-up` for more runs.
 *
 * Where the Node running this has type stripping (22.18+, 23.6+), it also tries `node src/main.ts`
 * without tsx (which stops today at the first constructor parameter property, which strip-only mode
 * refuses).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const runs = Number(process.env.RUNS ?? 3);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

async function startOnce(args: string[]): Promise<{ ms: number; rss: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), "chihoi-bench-start-"));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ["--max-old-space-size=128", ...args], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: `file:${path.join(dir, "chihoi.db")}`,
      PORT: String(port),
      DEMO_MODE: "off",
      WEB_CHAT: "on",
      LOG_LEVEL: "silent",
    },
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  let exited = false;
  child.once("exit", () => (exited = true));
  try {
    for (;;) {
      if (exited) {
        const reason = stderr.split("\n").find((l) => /Error/.test(l)) ?? stderr.slice(0, 300);
        throw new Error(`exited before answering: ${reason}`);
      }
      const answered = await fetch(`http://127.0.0.1:${port}/chat`).then(
        (r) => r.ok,
        () => false,
      );
      if (answered) break;
      if (performance.now() - started > 60_000) throw new Error("no answer within 60 s");
      await new Promise((r) => setTimeout(r, 10));
    }
    return { ms: performance.now() - started, rss: rssMb(child.pid!) };
  } finally {
    if (!exited) {
      const gone = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const variants: [string, string[]][] = [
  ["compiled (npm start: node bin/chihoi.js start, dist/)", [path.join(root, "bin/chihoi.js"), "start"]],
  [
    "TypeScript through tsx (node --import tsx src/cli.ts start)",
    ["--import", "tsx", path.join(root, "src/cli.ts"), "start"],
  ],
];
const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
if (major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18))
  variants.push(["Node's type stripping (node src/main.ts)", [path.join(root, "src/main.ts")]]);

if (!existsSync(path.join(root, "dist/.built"))) {
  console.error("dist/ is not built: run `npm run build` first");
  process.exit(1);
}
console.log(
  `Node ${process.version}, ${runs} runs each; load average ${(await import("node:os"))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
for (const [label, args] of variants) {
  const results: { ms: number; rss: number }[] = [];
  for (let i = 0; i < runs; i++) {
    try {
      results.push(await startOnce(args));
    } catch (error) {
      console.log(`${label}: failed: ${(error as Error).message}`);
      break;
    }
  }
  if (!results.length) continue;
  console.log(
    `${label}\n  until the web chat answers: ${results.map((r) => Math.round(r.ms)).join(", ")} ms (median ${Math.round(median(results.map((r) => r.ms)))})` +
      `\n  RSS then: ${results.map((r) => r.rss.toFixed(0)).join(", ")} MB (median ${median(results.map((r) => r.rss)).toFixed(0)})`,
  );
}
