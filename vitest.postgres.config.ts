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
      "test/domain/stats/report-tallies.test.ts",
      "test/domain/reports/listings.test.ts",
      "test/domain/deliveries/**/*.test.ts",
      "test/delivery/shared-budget.test.ts",
      "test/delivery/broadcast-processes.test.ts",
      "test/delivery/fairness.test.ts",
      "test/delivery/outage.test.ts",
      "test/delivery/pacing.test.ts",
      "test/delivery/rate-limiter.test.ts",
      "test/storage/ticket-text-search.test.ts",
      // Tickets: pass on PostgreSQL with the units/people/accounts (b-units) and outbox
      // (b-delivery) conversions merged. ticket-jobs and ticket-limits follow when the clock's job
      // runner (scheduler/jobs.ts) and the conversation are converted.
      "test/domain/tickets/ticket-assign.test.ts",
      "test/domain/tickets/ticket-queue.test.ts",
      "test/domain/tickets/ticket-search.test.ts",
      "test/domain/tickets/ticket-service.test.ts",
      "test/domain/units/unit-service.test.ts",
      "test/domain/audit/**/*.test.ts",
      "test/domain/access/access-scope.test.ts",
      "test/domain/access/rights-service.test.ts",
      "test/domain/conversation-state.test.ts",
      "test/domain/people/**/*.test.ts",
      "test/domain/linking/**/*.test.ts",
      "test/domain/roster/import-roster.test.ts",
      "test/domain/roster/import-units.test.ts",
      "test/domain/payloads.test.ts",
      // Meetings and the clock: green on PostgreSQL once the units, people, accounts, outbox and
      // ticket modules they call are converted too (b-units, b-delivery, b-tickets).
      "test/domain/meetings/**/*.test.ts",
      "test/scheduler/jobs.test.ts",
      "test/scheduler/clock.test.ts",
      "test/scheduler/job-claim.test.ts",
      // Edges (web sign-in, sessions, web chat, API tokens, channel state, leases of the channels):
      "test/domain/channels-state/**/*.test.ts",
      "test/channels/zalo/credential-store.test.ts",
      "test/channels/zalo/zalo-channel.test.ts",
      "test/channels/zalo/zalo-reconnect.test.ts",
      "test/channels/zalo/zalo-lease.test.ts",
      "test/channels/zalo-bot/zalo-bot-lease.test.ts",
      "test/channels/leased-channel.test.ts",
      "test/channels/telegram/telegram-lease.test.ts",
      "test/channels/telegram/telegram-lease-processes.test.ts",
      // Chat and channels (pg-chat): the conversation, channels, delivery engine, lib and config.
      "test/conversation/**/*.test.ts",
      "test/channels/telegram/normalise-update.test.ts",
      "test/channels/web/chat-history.test.ts",
      "test/channels/web/chat-page.browser.test.ts",
      "test/channels/zalo/normalise-zalo-event.test.ts",
      "test/channels/zalo/zalo-contract.test.ts",
      "test/channels/zalo/zalo-login.test.ts",
      "test/channels/zalo-bot/**/*.test.ts",
      "test/delivery/delivery-engine.test.ts",
      "test/delivery/long-text.test.ts",
      "test/lib/**/*.test.ts",
      "test/config.test.ts",
      // Web, end-to-end and CLI (pg-web): the real service and the chihoi command on PostgreSQL.
      "test/e2e/start-stop.e2e.test.ts",
      "test/cli/backup-postgres.test.ts",
      "test/e2e/zalo-bot-status.e2e.test.ts",
      "test/e2e/zalo-reminder.e2e.test.ts",
      "test/e2e/zalo-personal-reminder.e2e.test.ts",
      "test/e2e/telegram.e2e.test.ts",
      "test/e2e/web-chat.e2e.test.ts",
      "test/e2e/web-security.e2e.test.ts",
      "test/e2e/platform-outage.e2e.test.ts",
      "test/e2e/outbox-crash.e2e.test.ts",
      // test/e2e/link-code-upgrade.e2e.test.ts stays on SQLite: it builds the old release's .db file.
      "test/cli/admin-cli.test.ts",
      "test/cli/cli-report.test.ts",
      "test/cli/cli-reports.test.ts",
      "test/cli/cli-roster.test.ts",
      "test/cli/cli-messages.test.ts",
      "test/cli/cli.test.ts",
      // The API, the admin pages' helpers and every admin browser test (Chromium), on the real service.
      "test/web/**/*.test.ts",
      // No raw SQL; green on PostgreSQL as they are (pg-domain). Not yet: rights-matrix (did not finish in 2 min on
      // PostgreSQL; cause not looked into), ticket-limits (its chat part reads the outbox through
      // test/helpers/chat-harness.ts, still db.sql).
      "test/domain/roster/read-roster.test.ts",
      "test/domain/web-auth/**/*.test.ts",
      "test/scheduler/ticket-jobs.test.ts",
      "test/domain/stats/unit-stats.test.ts",
      "test/domain/directives/read-rates.test.ts",
      "test/domain/reports/report-export.test.ts",
      "test/domain/directives/directive-oversight.test.ts",
      "test/domain/reports/unit-report.test.ts",
      "test/domain/directives/directive-service.test.ts",
    ],
  },
});
