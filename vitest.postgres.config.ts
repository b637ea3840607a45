import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

// The PostgreSQL run (.ci/run): TEST_DATABASE_URL=postgresql://… npx vitest run --config vitest.postgres.config.ts
// Lists the test files whose code runs on both engines; add a file here when its module is
// converted to the typed data layer (docs/storage.md). Each file gets its own database.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      "test/storage/database.test.ts",
      "test/storage/copy.test.ts",
      "test/storage/postgres.test.ts",
      "test/storage/db-migrations.test.ts",
      "test/domain/coordination/**/*.test.ts",
      "test/domain/units/unit-counts.test.ts",
      "test/domain/payloads.test.ts",
      // Meetings and the clock: green on PostgreSQL once the units, people, accounts, outbox and
      // ticket modules they call are converted too (b-units, b-delivery, b-tickets).
      "test/domain/meetings/**/*.test.ts",
      "test/scheduler/jobs.test.ts",
      "test/scheduler/clock.test.ts",
      "test/scheduler/job-claim.test.ts",
    ],
  },
});
