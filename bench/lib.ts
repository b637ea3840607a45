/** Small helpers shared by the benchmarks: temp databases, timing, memory sampling, printing. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase, type Database } from "../src/storage/database.ts";

export async function benchDatabase(): Promise<Database & { dir: string; destroy(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "chihoi-bench-"));
  const db = await openDatabase(`file:${path.join(dir, "bench.db")}`);
  return Object.assign(db, {
    dir,
    async destroy() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export function time<T>(fn: () => T): { result: T; ms: number } {
  const start = process.hrtime.bigint();
  const result = fn();
  return { result, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

export async function timeAsync<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { result, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/** Milliseconds of each of `runs` runs of `fn`, one after another (each awaited). */
export async function timesAsync(runs: number, fn: () => unknown): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push((await timeAsync(async () => fn())).ms);
  return ms;
}

/** Samples resident memory every 50 ms; `peakMb` after `stop()`. */
export function memorySampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return { peakMb: Math.round(peak / 1048576) };
    },
  };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

export function report(name: string, figures: Record<string, string | number>, target?: string): void {
  const parts = Object.entries(figures).map(([k, v]) => `${k}=${v}`);
  process.stdout.write(`[bench] ${name}: ${parts.join(" ")}${target ? `  (target: ${target})` : ""}\n`);
}
