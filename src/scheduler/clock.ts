/**
 * The clock: a node-cron tick every minute that reads what is due from the database and runs it.
 * No in-memory timer carries state — a restart loses nothing, a tick missed during downtime is
 * caught up by the next one (jobs past their expiry are skipped, not sent), and several processes
 * may tick against the same database (each job runs once: see jobs.ts).
 *
 * At most once an hour (tracked in the Setting table, so restarts and other processes agree) a
 * tick also materialises the upcoming occurrences of every series.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import cron, { type ScheduledTask } from "node-cron";
import type { Database } from "../storage/database.ts";
import type { Logger } from "../lib/logger.ts";
import { ensureSeriesHorizon } from "../domain/meetings/meeting-service.ts";
import { claimPeriodicRun } from "../domain/scheduling/scheduled-jobs.ts";
import { registerJobHandler, runDueJobs, type RunResult } from "./jobs.ts";
import { runDirectiveProgressJob, runDirectiveReminderJob } from "../domain/directives/directive-jobs.ts";
import { planTicketJobs, runOverdueReportJob, runTicketDigestJob } from "../domain/tickets/ticket-jobs.ts";

// Directive and ticket jobs run through the same exactly-once job runner as meeting reminders.
registerJobHandler("directive_progress", (db, job, ctx) =>
  runDirectiveProgressJob(db, { id: job.id, entityId: job.entityId! }, ctx),
);
registerJobHandler("directive_reminder", (db, job, ctx) =>
  runDirectiveReminderJob(db, { id: job.id, entityId: job.entityId! }, ctx),
);
registerJobHandler("ticket_digest", (db, job, ctx) => runTicketDigestJob(db, { id: job.id, dueAt: job.dueAt }, ctx));
registerJobHandler("overdue_report", (db, job, ctx) => runOverdueReportJob(db, { id: job.id, dueAt: job.dueAt }, ctx));

export interface ClockOptions {
  /** The app time zone (Asia/Ho_Chi_Minh). */
  timeZone: string;
  logger: Logger;
  /** Injected time (tests, demo); default the system clock. */
  now?: () => Date;
  /** Called after a tick queued messages: wakes the delivery engine. */
  onQueued?: () => void;
  /** Names this process in ScheduledJob.claimedBy; default host:pid:random. */
  workerId?: string;
  /** Jobs per batch; a tick runs batches until nothing is due (at most `maxBatches`). Default 200. */
  batchSize?: number;
  maxBatches?: number;
}

/** Setting key holding when the series horizon was last ensured (epoch ms). */
export const HORIZON_SETTING_KEY = "clock.seriesHorizonAt";
const HOUR = 3_600_000;

export class Clock {
  readonly #db: Database;
  readonly #timeZone: string;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #onQueued: (() => void) | undefined;
  readonly #workerId: string;
  readonly #batchSize: number;
  readonly #maxBatches: number;
  #task: ScheduledTask | undefined;
  #inFlight: Promise<RunResult> | null = null;

  constructor(db: Database, options: ClockOptions) {
    this.#db = db;
    this.#timeZone = options.timeZone;
    this.#log = options.logger.child({ module: "clock" });
    this.#now = options.now ?? (() => new Date());
    this.#onQueued = options.onQueued;
    this.#workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.#batchSize = options.batchSize ?? 200;
    this.#maxBatches = options.maxBatches ?? 50;
  }

  /** Ticks every minute (node-cron), and once right away to catch up after downtime. */
  start(): void {
    if (this.#task) return;
    const log = this.#log;
    this.#task = cron.schedule("* * * * *", () => this.#safeTick(), {
      name: `chihoi-clock-${this.#workerId}`,
      noOverlap: true,
      // A slot missed while the process was busy is harmless: the next tick catches up.
      logger: {
        info: (m) => log.debug(m),
        warn: (m) => log.debug(m),
        error: (m, err) => log.error({ err: err ?? m }, "cron error"),
        debug: (m) => log.trace(typeof m === "string" ? m : String(m)),
      },
    });
    void this.#safeTick();
  }

  /**
   * Runs what is due now: ensures the series horizon when an hour has passed since it was last
   * ensured (by any process), then runs due jobs in batches until none is left. Concurrent calls
   * share one run. Throws when a job fails (after the others ran).
   */
  tick(): Promise<RunResult> {
    this.#inFlight ??= this.#tick().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    const task = this.#task;
    this.#task = undefined;
    if (task) {
      await task.stop();
      await task.destroy();
    }
    await this.#inFlight?.catch(() => undefined);
  }

  #safeTick(): void {
    void this.tick().catch((error: unknown) => this.#log.error({ err: error }, "clock tick failed"));
  }

  async #tick(): Promise<RunResult> {
    await this.#ensureHorizon(this.#now());
    await planTicketJobs(this.#db, { now: this.#now(), timeZone: this.#timeZone });
    const total: RunResult = { ran: 0, skipped: 0, failed: 0, queued: 0, unreachable: 0 };
    let firstError: unknown;
    for (let batch = 0; batch < this.#maxBatches; batch++) {
      if (batch > 0) await new Promise((resolve) => setImmediate(resolve)); // let replies and sends through
      const r = await runDueJobs(this.#db, {
        now: this.#now(),
        timeZone: this.#timeZone,
        workerId: this.#workerId,
        limit: this.#batchSize,
        onError: (error, jobId) => {
          firstError ??= error;
          this.#log.error({ err: error, jobId }, "scheduled job failed");
        },
      });
      total.ran += r.ran;
      total.skipped += r.skipped;
      total.failed += r.failed;
      total.queued += r.queued;
      total.unreachable += r.unreachable;
      // Failed jobs stay pending and would be selected again: stop at the first short or failing batch.
      if (r.ran + r.skipped < this.#batchSize || r.failed) break;
    }
    if (total.ran || total.skipped) {
      this.#log.info(
        { ran: total.ran, skipped: total.skipped, queued: total.queued, unreachable: total.unreachable },
        "scheduled jobs run",
      );
    }
    if (total.queued) this.#onQueued?.();
    if (firstError !== undefined) throw firstError;
    return total;
  }

  /**
   * Materialises series occurrences at most hourly; of several processes ticking together one runs
   * it (claimPeriodicRun).
   */
  async #ensureHorizon(now: Date): Promise<void> {
    const db = this.#db;
    if (!(await claimPeriodicRun(db, { key: HORIZON_SETTING_KEY, now, everyMs: HOUR }))) return;
    try {
      const created = await ensureSeriesHorizon(db, { now, timeZone: this.#timeZone });
      if (created) this.#log.info({ created }, "series occurrences materialised");
    } catch (error) {
      // Retried at the next hourly claim; the series that worked are committed.
      this.#log.error({ err: error }, "series horizon failed");
    }
  }
}
