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
      // Edges (web sign-in, sessions, web chat, API tokens, channel state, leases of the channels):
      "test/domain/channels-state/**/*.test.ts",
      "test/channels/zalo/credential-store.test.ts",
      "test/channels/zalo/zalo-channel.test.ts",
      "test/channels/zalo/zalo-reconnect.test.ts",
      "test/channels/zalo/zalo-lease.test.ts",
      "test/channels/leased-channel.test.ts",
      "test/channels/telegram/telegram-lease.test.ts",
      "test/channels/telegram/telegram-lease-processes.test.ts",
    ],
  },
});
