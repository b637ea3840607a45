import { defineConfig } from "vitest/config";
import base from "./vitest.config.ts";

// The PostgreSQL run (.ci/run): TEST_DATABASE_URL=postgresql://… npx vitest run --config vitest.postgres.config.ts
// Each test file gets its own database on that server, a copy of one migrated template database
// (test/helpers/test-db.ts).
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // The whole suite runs on PostgreSQL too, each file on its own database (issue 11), except:
    exclude: [
      // Backs up and restores SQLite .db files: SQLite-only by nature (on PostgreSQL `chihoi backup`
      // refuses, tested in test/cli/backup-postgres.test.ts).
      "test/storage/backup.test.ts",
    ],
    include: ["test/**/*.test.ts"],
  },
});
