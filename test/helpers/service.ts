/** Starts the real service in-process on a throwaway database (port 0), for end-to-end tests. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config.ts";
import { startService, type RunningService } from "../../src/service.ts";
import { openDatabase, type Database } from "../../src/storage/database.ts";
import { silentLogger } from "./telegram.ts";

export interface TestService {
  dir: string;
  env: Record<string, string>;
  service: RunningService;
  stop(): Promise<void>;
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), "chihoi-e2e-"));
}

/** Opens the database of a directory to prepare data before the service starts. */
export async function prepare<T>(dir: string, fn: (db: Database) => T | Promise<T>): Promise<T> {
  const db = await openDatabase(`file:${path.join(dir, "chihoi.db")}`);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function startTestService(dir: string, env: Record<string, string> = {}): Promise<TestService> {
  const fullEnv = { DATABASE_URL: `file:${path.join(dir, "chihoi.db")}`, PORT: "0", DEMO_MODE: "off", LOG_LEVEL: "silent", ...env };
  const service = await startService(loadConfig(fullEnv), { logger: silentLogger });
  return {
    dir,
    env: fullEnv,
    service,
    async stop() {
      await service.stop();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
