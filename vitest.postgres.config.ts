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
      "test/domain/meetings/meeting-queries.test.ts",
      "test/scheduler/job-claim.test.ts",
    ],
  },
});
