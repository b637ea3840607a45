/**
 * Scheduled jobs as stored (ScheduledJob): finding the due ones, claiming one for this process
 * (several processes on one database run each job once) and recording its end. The clock's
 * runner (src/scheduler/jobs.ts) decides which kinds it handles and runs them.
 */
import type { Database } from "../../storage/database.ts";
import { inIds, skipLocked } from "../../storage/dialect.ts";
import { prepared, type Prepared, type Slots } from "../../storage/prepared.ts";

/** What running a job did. */
export interface JobOutcome {
  status: "done" | "skipped";
  /** Outbox rows queued. */
  queued: number;
  /** Recipients skipped for want of a reachable linked account. */
  unreachable: number;
}

export interface JobRow {
  id: number;
  kind: string;
  meetingId: number | null;
  entityType: string | null;
  entityId: number | null;
  dueAt: number;
  expiresAt: number | null;
  status: "pending" | "running" | "done" | "skipped";
  dedupeKey: string;
}

const jobColumns = [
  "id",
  "kind",
  "meetingId",
  "entityType",
  "entityId",
  "dueAt",
  "expiresAt",
  "status",
  "dedupeKey",
] as const;

function jobStatus(status: string): JobRow["status"] {
  return status === "pending" || status === "running" || status === "done" ? status : "skipped";
}

// The clock asks every minute, mostly to find nothing: prepared, with the handled kinds as
// constants (they change only when a handler is registered).
let dueQuery: { kinds: string; query: Prepared<{ now: number; limit: number }, { id: number }> } | undefined;

function dueJobsQuery(kinds: string[]): Prepared<{ now: number; limit: number }, { id: number }> {
  const key = JSON.stringify(kinds);
  if (dueQuery?.kinds !== key) {
    dueQuery = {
      kinds: key,
      query: prepared((k, p: Slots<{ now: number; limit: number }>) =>
        k
          .selectFrom("ScheduledJob")
          .select("id")
          .where("status", "=", "pending")
          .where("dueAt", "<=", p.now)
          .where("kind", "in", kinds)
          .orderBy("dueAt")
          .orderBy("id")
          .limit(p.limit),
      ),
    };
  }
  return dueQuery.query;
}

/** Ids of pending jobs of a handled kind due at `now`, oldest due first. */
export async function dueJobIds(db: Database, kinds: string[], now: Date, limit: number): Promise<number[]> {
  if (!kinds.length) return [];
  return (await dueJobsQuery(kinds).all(db, { now: now.getTime(), limit })).map((r) => r.id);
}

/**
 * Claims one pending job (by id, or the next due one of a handled kind that is not in `except`):
 * one statement, locking the row until the transaction ends and skipping rows another process
 * holds. Call inside the job's transaction. Undefined when there is nothing to claim.
 */
export async function claimJob(
  db: Database,
  ctx: { now: Date; workerId: string; kinds: string[] },
  which: { id: number } | { except: readonly number[] },
): Promise<JobRow | undefined> {
  const now = ctx.now.getTime();
  let pick = db.kysely.selectFrom("ScheduledJob").select("id").where("status", "=", "pending");
  if ("id" in which) pick = pick.where("id", "=", which.id);
  else {
    const kinds = ctx.kinds;
    if (!kinds.length) return undefined;
    pick = pick.where("dueAt", "<=", now).where("kind", "in", kinds);
    if (which.except.length) pick = pick.where((eb) => eb.not(inIds(db.engine, eb.ref("id"), which.except)));
    pick = pick.orderBy("dueAt").orderBy("id");
  }
  const row = await db.kysely
    .updateTable("ScheduledJob")
    .set({ status: "running", claimedBy: ctx.workerId, claimedAt: now })
    .where("id", "in", skipLocked(db.engine, pick.limit(1)))
    .where("status", "=", "pending")
    .returning(jobColumns)
    .executeTakeFirst();
  return row && { ...row, status: jobStatus(row.status) };
}

const finishJobQuery = prepared((k, p: Slots<{ id: number; status: string; doneAt: number }>) =>
  k
    .updateTable("ScheduledJob")
    .set({ status: p.status, doneAt: p.doneAt })
    .where("id", "=", p.id)
    .where("status", "=", "running"),
);

/** Records a running job's outcome (done or skipped) when it ends. */
export async function finishJob(db: Database, id: number, status: JobRow["status"], now: number): Promise<void> {
  await finishJobQuery.run(db, { id, status, doneAt: now });
}

/**
 * Claims a run that is due at most once per `everyMs`, across processes: ONE upsert of the setting
 * `key` that writes only when its last run (`updatedAt`) is `everyMs` old or in the future (the
 * clock was set back), so of several processes ticking together one gets true. The common case
 * (not due) is one prepared read, without writing.
 */
export async function claimPeriodicRun(
  db: Database,
  { key, now, everyMs }: { key: string; now: Date; everyMs: number },
): Promise<boolean> {
  const nowMs = now.getTime();
  const last = (await settingTime.first(db, { key }))?.updatedAt;
  if (last !== undefined && last <= nowMs && nowMs - last < everyMs) return false;
  const claimed = await db.kysely
    .insertInto("Setting")
    .values({ key, value: String(nowMs), updatedAt: nowMs })
    .onConflict((oc) =>
      oc
        .column("key")
        .doUpdateSet((eb) => ({ value: eb.ref("excluded.value"), updatedAt: eb.ref("excluded.updatedAt") }))
        .where((eb) => eb.or([eb("Setting.updatedAt", ">", nowMs), eb("Setting.updatedAt", "<=", nowMs - everyMs)])),
    )
    .returning("key")
    .executeTakeFirst();
  return claimed !== undefined;
}

/** When a setting was last written (read every tick: prepared). */
const settingTime = prepared((k, p: Slots<{ key: string }>) =>
  k.selectFrom("Setting").select("updatedAt").where("key", "=", p.key),
);
