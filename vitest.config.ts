import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A zone that is neither UTC nor Vietnam, so that code relying on the process zone fails.
    env: { TZ: "America/Sao_Paulo", LOG_LEVEL: "silent" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one worker per core but one: a single worker on a 2-core CI machine. Most
    // of a test's time is waiting (the database server, child processes, the browser, timers), so
    // three workers there halve the run (test/domain + test/scheduler on SQLite: 159 s → 77 s).
    maxWorkers: Math.max(3, availableParallelism() - 1),
  },
});
