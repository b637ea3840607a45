/**
 * The job runner's claim on both engines, with several database handles (separate connections,
 * as several service processes have): each job runs once, a running job is skipped by the others,
 * a failing job rolls back to pending. Only the runner and a test handler run here.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, testPostgresUrl, type TestDatabase } from "../helpers/test-db.ts";
import { openDatabase, type Database } from "../../src/storage/database.ts";
import { registerJobHandler, runDueJobs, runJob, type JobRow } from "../../src/scheduler/jobs.ts";

const now = new Date(Date.parse("2026-11-20T03:00:00Z"));
let db: TestDatabase;
let others: Database[] = [];
/**
 * The other runners: on PostgreSQL separate connections (pools), as separate processes have. On
 * SQLite the same handle: better-sqlite3 waits for a locked file synchronously, so two connections
 * in ONE process would block each other's event loop (jobs.test.ts runs real processes there).
 */
const other = (i: number): Database => (testPostgresUrl ? others[i]! : db);
const runs: { jobId: number; worker: string }[] = [];
let failOn = new Set<number>();
let gate: Promise<void> | null = null;

registerJobHandler("test_claim", async (handle, job: JobRow, ctx) => {
  // A database call inside the job's transaction, so that the runners interleave.
  await handle.kysely.selectFrom("ScheduledJob").select("id").where("id", "=", job.id).execute();
  if (gate) await gate;
  if (failOn.has(job.id)) throw new Error(`job ${job.id} fails`);
  runs.push({ jobId: job.id, worker: ctx.workerId });
  return { status: "done", queued: 0, unreachable: 0 };
});

async function addJobs(n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = await db.kysely
      .insertInto("ScheduledJob")
      .values({
        kind: "test_claim",
        dueAt: now.getTime() - 60_000 + i,
        status: "pending",
        dedupeKey: `test_claim:${i}`,
        createdAt: now.getTime(),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    ids.push(row.id);
  }
  return ids;
}

beforeEach(async () => {
  db = await createTestDatabase();
  others = testPostgresUrl
    ? [await openDatabase(db.url, { migrate: false }), await openDatabase(db.url, { migrate: false })]
    : [];
  runs.length = 0;
  failOn = new Set();
  gate = null;
});
afterEach(async () => {
  for (const o of others) await o.close();
  await db.destroy();
});

describe("runDueJobs", () => {
  it("should run each job exactly once when three runners on separate connections run the due jobs together", async () => {
    const ids = await addJobs(60);
    const handles = [db, other(0), other(1)];
    const results = await Promise.all(
      handles.map((h, i) => runDueJobs(h, { now, timeZone: "Asia/Ho_Chi_Minh", workerId: `w${i}`, limit: 100 })),
    );
    expect(results.reduce((n, r) => n + r.ran, 0)).toBe(60);
    expect(results.every((r) => r.failed === 0)).toBe(true);
    expect(runs.map((r) => r.jobId).sort((a, b) => a - b)).toEqual(ids);
    const rows = await db.kysely
      .selectFrom("ScheduledJob")
      .select(["id", "status", "claimedBy", "doneAt"])
      .orderBy("id")
      .execute();
    expect(rows.every((r) => r.status === "done" && r.doneAt === now.getTime())).toBe(true);
    // The row names the runner that ran it.
    const byId = new Map(runs.map((r) => [r.jobId, r.worker]));
    for (const r of rows) expect(r.claimedBy).toBe(byId.get(r.id));
  });

  it("should leave a failing job pending, not try it twice in one run, and run the others", async () => {
    const ids = await addJobs(3);
    failOn = new Set([ids[0]!]);
    const errors: number[] = [];
    const result = await runDueJobs(db, {
      now,
      timeZone: "Asia/Ho_Chi_Minh",
      workerId: "w",
      onError: (_e, id) => errors.push(id),
    });
    expect(result).toMatchObject({ ran: 2, failed: 1 });
    expect(errors).toEqual([ids[0]]);
    const rows = await db.kysely
      .selectFrom("ScheduledJob")
      .select(["id", "status", "claimedBy"])
      .orderBy("id")
      .execute();
    expect(rows).toEqual([
      { id: ids[0], status: "pending", claimedBy: null },
      { id: ids[1], status: "done", claimedBy: "w" },
      { id: ids[2], status: "done", claimedBy: "w" },
    ]);
    failOn = new Set();
    expect(await runDueJobs(db, { now, timeZone: "Asia/Ho_Chi_Minh", workerId: "w" })).toMatchObject({
      ran: 1,
      failed: 0,
    });
  });
});

describe("runJob", () => {
  it("should not run a job another runner is running, and run it once", async () => {
    const [id] = await addJobs(1);
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    const first = runJob(db, id!, { now, timeZone: "Asia/Ho_Chi_Minh", workerId: "a" });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the first holds its claim
    let opened = false;
    const second = runJob(other(0), id!, { now, timeZone: "Asia/Ho_Chi_Minh", workerId: "b" }).then((r) => ({
      r,
      beforeOpen: !opened,
    }));
    setTimeout(
      () => {
        opened = true;
        open();
      },
      testPostgresUrl ? 1500 : 200,
    );
    expect(await first).toEqual({ status: "done", queued: 0, unreachable: 0 });
    const { r, beforeOpen } = await second;
    expect(r).toBeNull();
    // PostgreSQL: SKIP LOCKED passes over the held job at once instead of waiting for it.
    if (testPostgresUrl) expect(beforeOpen).toBe(true);
    expect(runs).toEqual([{ jobId: id, worker: "a" }]);
    expect(await runJob(db, id!, { now, timeZone: "Asia/Ho_Chi_Minh", workerId: "c" })).toBeNull();
  });
});
