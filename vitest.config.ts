import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // A zone that is neither UTC nor Vietnam, so that code relying on the process zone fails.
    env: { TZ: "America/Sao_Paulo", LOG_LEVEL: "silent" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
