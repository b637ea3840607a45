/**
 * Issue: meetings and the clock.
 * - Planning the reminders of 1,000 meetings for 100,000 members (createMeeting → planJobs), then
 *   running the 1,000 reminder jobs that queue ~100,000 outbox rows — under 10 s together.
 * - One clock tick with nothing due — under 50 ms.
 * - Memory flat over 10,000 ticks (heap before/after with global.gc; run through bench/run.ts,
 *   which passes --expose-gc).
 */
import { systemActor } from "../src/domain/access/actor.ts";
import { benchDatabase, median, percentile, report, timeAsync } from "./lib.ts";
import { createLogger } from "../src/lib/logger.ts";
import { createOrganisation } from "../src/domain/units/unit-service.ts";
import { createMeeting } from "../src/domain/meetings/meeting-service.ts";
import { runDueJobs } from "../src/scheduler/jobs.ts";
import { Clock } from "../src/scheduler/clock.ts";

const HCM = "Asia/Ho_Chi_Minh";
const BRANCHES = 1_000;
const MEMBERS_PER_BRANCH = 100;

const db = await benchDatabase();
const { id: organisationId } = await createOrganisation(db, systemActor(), { code: "b", name: "Bench" });
const setupAt = Date.parse("2026-11-20T03:00:00Z");

// Tỉnh → 10 xã → 100 chi hội each; 100 linked members per branch, built with raw inserts.
const insertUnit = db.sql.db.prepare(
  `INSERT INTO Unit (organisationId, parentId, name, nameKey, levelLabel, path, depth, createdAt) VALUES (?, ?, ?, ?, '', ?, ?, ?)`,
);
const setPath = db.sql.db.prepare(`UPDATE Unit SET path = ? WHERE id = ?`);
const insertPerson = db.sql.db.prepare(
  `INSERT INTO Person (fullName, nameKey, linkedAccounts, locale, createdAt, updatedAt) VALUES (?, ?, 1, ?, ?, ?)`,
);
const insertAccount = db.sql.db.prepare(
  `INSERT INTO ChatAccount (platform, externalId, personId, preferred, linkedAt, createdAt) VALUES ('telegram', ?, ?, 1, ?, ?)`,
);
const insertMember = db.sql.db.prepare(
  `INSERT INTO Membership (personId, unitId, role, createdAt) VALUES (?, ?, ?, ?)`,
);
const branches: number[] = [];
await db.transaction(async () => {
  const add = (parent: { id: number; path: string; depth: number } | null, name: string) => {
    const id = Number(
      insertUnit.run(
        organisationId,
        parent?.id ?? null,
        name,
        name.toLowerCase(),
        `tmp${Math.random()}`,
        parent ? parent.depth + 1 : 0,
        setupAt,
      ).lastInsertRowid,
    );
    const path = `${parent?.path ?? "/"}${id}/`;
    setPath.run(path, id);
    return { id, path, depth: parent ? parent.depth + 1 : 0 };
  };
  const root = add(null, "Tỉnh");
  for (let c = 0; c < BRANCHES / 100; c++) {
    const commune = add(root, `Xã ${c}`);
    for (let b = 0; b < 100; b++) branches.push(add(commune, `Chi hội ${c}-${b}`).id);
  }
  let n = 0;
  for (const unitId of branches) {
    for (let i = 0; i < MEMBERS_PER_BRANCH; i++, n++) {
      const id = Number(
        insertPerson.run(`Hội viên ${n}`, `hoi vien ${n}`, n % 10 === 0 ? "en" : "vi", setupAt, setupAt)
          .lastInsertRowid,
      );
      insertAccount.run(`tg${id}`, id, setupAt, setupAt);
      insertMember.run(id, unitId, i === 0 ? "cadre" : "member", setupAt);
    }
  }
});
db.sql.db.pragma("optimize");

// Every branch meets at 19:30 on Saturday 05/12/2026 (Vietnam), planned on 20/11.
const startsAt = new Date("2026-12-05T12:30:00Z");
const ctx = { now: new Date(setupAt), timeZone: HCM, actor: systemActor() };
const planning = await timeAsync(async () => {
  for (const unitId of branches)
    await createMeeting(
      db,
      { unitId, title: "Sinh hoạt chi hội định kỳ", place: "Nhà văn hóa", agenda: "Thu hội phí", startsAt },
      ctx,
    );
});
const jobs = (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ScheduledJob`))!.n;

// 08:00 on 02/12: the 1,000 "three days before" reminders fall due at once.
const reminderAt = new Date("2026-12-02T01:00:00Z");
const running = await timeAsync(async () => {
  let total = { ran: 0, queued: 0 };
  for (;;) {
    const r = await runDueJobs(db, { now: reminderAt, timeZone: HCM, workerId: "bench", limit: 200 });
    total = { ran: total.ran + r.ran, queued: total.queued + r.queued };
    if (r.ran + r.skipped < 200) return total;
  }
});
const outboxRows = (await db.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM Outbox`))!.n;
report(
  "meeting reminders",
  {
    meetings: BRANCHES,
    members: BRANCHES * MEMBERS_PER_BRANCH,
    jobsPlanned: jobs,
    planningMs: planning.ms.toFixed(0),
    remindersRun: running.result.ran,
    outboxRows,
    runJobsMs: running.ms.toFixed(0),
    totalMs: (planning.ms + running.ms).toFixed(0),
  },
  "planning + running < 10,000 ms",
);

// Ticks with nothing due: a minute after the reminders went out (the first tick also ensures the
// series horizon, which is then skipped for an hour).
const logger = createLogger("silent");
let current = new Date(reminderAt.getTime() + 60_000);
const clock = new Clock(db, { timeZone: HCM, logger, now: () => current });
await clock.tick();
const tickMs: number[] = [];
for (let i = 0; i < 200; i++) tickMs.push((await timeAsync(() => clock.tick())).ms);
report(
  "idle tick",
  { ticks: tickMs.length, medianMs: median(tickMs).toFixed(3), p99Ms: percentile(tickMs, 99).toFixed(3) },
  "< 50 ms",
);

// 10,000 idle ticks, each a minute later (the hourly horizon check runs every 60th): heap before/after.
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const start = current.getTime();
const loop = await timeAsync(async () => {
  for (let i = 1; i <= 10_000; i++) {
    // Stay before the next job (the nudge at 12:30Z on 04/12): 10,000 minutes would reach past it.
    current = new Date(start + (i % 2_000) * 60_000);
    await clock.tick();
  }
});
gc?.();
const heapAfter = process.memoryUsage().heapUsed;
report(
  "10,000 ticks",
  {
    gc: gc ? "yes" : "no (run with --expose-gc)",
    heapBeforeMb: (heapBefore / 1048576).toFixed(1),
    heapAfterMb: (heapAfter / 1048576).toFixed(1),
    deltaMb: ((heapAfter - heapBefore) / 1048576).toFixed(2),
    totalMs: loop.ms.toFixed(0),
  },
  "flat heap",
);
await clock.stop();
await db.destroy();
