import { systemActor } from "../../src/domain/access/actor.ts";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { markUnreachable } from "../../src/domain/accounts/account-service.ts";
import { enqueue } from "../../src/domain/deliveries/outbox-service.ts";
import { createMeeting } from "../../src/domain/meetings/meeting-service.ts";
import { dueJobIds, registerJobHandler, runDueJobs, runJob } from "../../src/scheduler/jobs.ts";
import { addTestPerson, type TestPersonOptions } from "../helpers/people.ts";
import { storedBody } from "../helpers/outbox.ts";

const HCM = "Asia/Ho_Chi_Minh";
const t0 = new Date("2026-11-20T03:00:00Z");
const ctx = { now: t0, timeZone: HCM, actor: systemActor() };
// A meeting at 19:30 on Saturday 05/12/2026 in Vietnam: its first reminder is due 02/12 at 01:00Z.
const meetingStart = new Date("2026-12-05T12:30:00Z");
const firstReminder = new Date("2026-12-02T01:00:00Z");

let db: TestDatabase;
let tree: TestTree;

beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

const person = (unitId: number, fullName: string, options?: TestPersonOptions) =>
  addTestPerson(db, unitId, fullName, options);

const work = (now: Date, workerId = "test") => ({ now, timeZone: HCM, workerId });
const outboxCount = async () =>
  (
    await db.kysely
      .selectFrom("Outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow()
  ).n;
const doneByWorker = async () =>
  await db.kysely
    .selectFrom("ScheduledJob")
    .select((eb) => ["claimedBy", eb.fn.countAll<number>().as("n")])
    .where("status", "=", "done")
    .groupBy("claimedBy")
    .orderBy("claimedBy")
    .execute();

describe("runDueJobs", () => {
  it("should run nothing before a job is due", async () => {
    await person(tree.branchA1.id, "Nguyễn Văn An");
    await createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: meetingStart }, ctx);
    expect(await runDueJobs(db, work(new Date(firstReminder.getTime() - 1)))).toMatchObject({ ran: 0, skipped: 0 });
    expect(await outboxCount()).toBe(0);
    expect(await runDueJobs(db, work(firstReminder))).toMatchObject({ ran: 1, skipped: 0, queued: 1 });
    expect(await outboxCount()).toBe(1);
  });

  it("should skip people without a reachable linked account and count them", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    await person(tree.branchA1.id, "Trần Văn Bảy", { linked: false });
    const c = await person(tree.branchA1.id, "Lê Thị Cúc");
    const cAccount = (
      await db.kysely.selectFrom("ChatAccount").select("id").where("personId", "=", c).executeTakeFirstOrThrow()
    ).id;
    await markUnreachable(db, cAccount);
    await createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: meetingStart }, ctx);
    expect(await runDueJobs(db, work(firstReminder))).toMatchObject({ ran: 1, queued: 1, unreachable: 2 });
    expect(await db.kysely.selectFrom("Outbox").select("personId").execute()).toEqual([{ personId: a }]);
  });

  it("should write each message in the person's language and leave out an empty place and agenda", async () => {
    const vi = await person(tree.branchA1.id, "Nguyễn Văn An");
    const en = await person(tree.branchA1.id, "Lê Văn Cường", { locale: "en" });
    await createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt tháng 12", startsAt: meetingStart }, ctx);
    await runDueJobs(db, work(firstReminder));
    const body = async (personId: number) =>
      JSON.parse(
        (
          await db.kysely
            .selectFrom("Outbox")
            .select(storedBody)
            .where("personId", "=", personId)
            .executeTakeFirstOrThrow()
        ).body,
      );
    expect((await body(vi)).text).toBe(
      "Nhắc lịch: Sinh hoạt tháng 12 (Chi hội 1)\nThời gian: 19:30 thứ Bảy, 05/12/2026\nKính mời anh/chị tham dự. Anh/chị trả lời giúp: Có mặt, Xin vắng (kèm lý do) hay Chưa chắc?",
    );
    expect((await body(vi)).choices.map((c: { label: string }) => c.label)).toEqual([
      "Có mặt",
      "Xin vắng",
      "Chưa chắc",
    ]);
    expect((await body(en)).text).toContain("When: 19:30 Saturday, 05/12/2026");
    expect((await body(en)).text).not.toContain("Where:");
    expect((await body(en)).locale).toBe("en");
  });

  it("should send the tally to the cadres of the nearest unit that has some", async () => {
    await person(tree.branchA1.id, "Nguyễn Văn An");
    const communeCadre = await person(tree.communeA.id, "Võ Văn Xã", { role: "official" });
    const meeting = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: meetingStart },
      ctx,
    );
    await runDueJobs(db, work(new Date("2026-12-05T09:30:00Z")));
    const tally = await db.kysely
      .selectFrom("Outbox")
      .select((eb) => ["personId", storedBody(eb)])
      .where("personId", "=", communeCadre)
      .execute();
    expect(tally).toHaveLength(1);
    expect(JSON.parse(tally[0]!.body).text).toContain("Chưa trả lời (1): Nguyễn Văn An");
    // Once the branch has its own cadre, the attendance prompt goes to them instead.
    const branchCadre = await person(tree.branchA1.id, "Hoàng Văn Khải", { role: "cadre" });
    await runDueJobs(db, work(new Date(meeting.endsAt)));
    const prompt = await db.kysely
      .selectFrom("Outbox")
      .select("personId")
      .where("body", "like", "%/diemdanh%")
      .execute();
    expect(prompt).toEqual([{ personId: branchCadre }]);
  });

  it("should skip the jobs of a cancelled meeting", async () => {
    await person(tree.branchA1.id, "Nguyễn Văn An");
    const meeting = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: meetingStart },
      ctx,
    );
    // Cancelled behind the service's back (an import, an old version): the job must not send.
    await db.kysely.updateTable("Meeting").set({ status: "cancelled" }).where("id", "=", meeting.id).execute();
    expect(await runDueJobs(db, work(firstReminder))).toMatchObject({ ran: 0, skipped: 1 });
    expect(await outboxCount()).toBe(0);
  });

  it("should leave a job pending and queue nothing when it fails halfway (all or nothing)", async () => {
    const p = await person(tree.branchA1.id, "Nguyễn Văn An");
    registerJobHandler("test_half_failure", async (database, job, jobCtx) => {
      await enqueue(
        database,
        { platform: "telegram", chatId: "x", personId: p, body: { text: "một" }, dedupeKey: `job:${job.id}:p:${p}` },
        jobCtx.now,
      );
      throw new Error("boom");
    });
    await db.kysely
      .insertInto("ScheduledJob")
      .values({
        kind: "test_half_failure",
        dueAt: t0.getTime(),
        status: "pending",
        dedupeKey: "test:1",
        createdAt: t0.getTime(),
      })
      .execute();
    await expect(runDueJobs(db, work(t0))).rejects.toThrow("boom");
    const errors: unknown[] = [];
    expect(await runDueJobs(db, { ...work(t0), onError: (e) => errors.push(e) })).toMatchObject({ ran: 0, failed: 1 });
    expect(errors).toHaveLength(1);
    expect(await outboxCount()).toBe(0);
    expect(
      await db.kysely.selectFrom("ScheduledJob").select("status").where("dedupeKey", "=", "test:1").execute(),
    ).toEqual([{ status: "pending" }]);
    await db.kysely.deleteFrom("ScheduledJob").where("dedupeKey", "=", "test:1").execute();
  });

  it("should skip a job past its expiry without sending it", async () => {
    await person(tree.branchA1.id, "Nguyễn Văn An");
    const meeting = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: meetingStart },
      ctx,
    );
    const r = await runDueJobs(db, work(new Date(meeting.startsAt + 60_000)));
    expect(r).toMatchObject({ ran: 0, skipped: 4 }); // both reminders, nudge, tally
    expect(await outboxCount()).toBe(0);
  });

  it("should not repeat the reminder to people told of a move moments ago", async () => {
    const { moveMeeting } = await import("../../src/domain/meetings/meeting-service.ts");
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    const meeting = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: meetingStart },
      ctx,
    );
    await runDueJobs(db, work(firstReminder));
    const b = await person(tree.branchA1.id, "Trần Văn Bảy"); // joined after the reminder
    // Moved 4 days earlier on 02/12: the new "3 days before" time is past, so a catch-up is due now.
    const moveAt = new Date("2026-12-02T02:00:00Z");
    const { notified } = await moveMeeting(db, meeting.id, new Date("2026-12-03T12:30:00Z"), {
      actor: systemActor(),
      now: moveAt,
      timeZone: HCM,
    });
    expect(notified).toBe(1);
    await runDueJobs(db, work(moveAt));
    const rows = await db.kysely.selectFrom("Outbox").select(["personId", "dedupeKey"]).orderBy("id").execute();
    expect(
      rows.map((r) => [
        r.personId,
        String(r.dedupeKey).split(":")[0] === "job" ? "job" : String(r.dedupeKey).split(":")[2],
      ]),
    ).toEqual([
      [a, "job"], // first reminder
      [a, "moved"], // the move notice
      [b, "job"], // the catch-up reminder reaches only B
    ]);
  });
});

describe("runJob", () => {
  it("should run a job once when two connections to the same file interleave", async () => {
    for (let i = 0; i < 5; i++) await person(tree.branchA1.id, `Hội viên ${i}`);
    for (let i = 0; i < 4; i++)
      await createMeeting(
        db,
        { unitId: tree.branchA1.id, title: `Sinh hoạt ${i}`, startsAt: new Date(meetingStart.getTime() + i * 60_000) },
        ctx,
      );
    const other = await openDatabase(db.url);
    try {
      // Process 1 reads what is due, process 2 runs all of it, then process 1 goes on with its list.
      const stale = await dueJobIds(db, firstReminder, 100);
      expect(stale).toHaveLength(4);
      expect(await runDueJobs(other, work(firstReminder, "p2"))).toMatchObject({ ran: 4, queued: 20 });
      for (const id of stale) expect(await runJob(db, id, work(firstReminder, "p1"))).toBeNull();
      // Then both run one job at a time, alternating, through the nudges, tallies and 2-hour reminders.
      const at = new Date(meetingStart.getTime() + 3 * 60_000 - 120 * 60_000);
      let ran = 0;
      for (let turn = 0; turn < 40; turn++) {
        ran += (await runDueJobs(turn % 2 ? db : other, { ...work(at, turn % 2 ? "p1" : "p2"), limit: 1 })).ran;
      }
      expect(ran).toBe(12); // 4 nudges, 4 tallies (no cadre: nothing to send), 4 reminders
      const workers = await doneByWorker();
      expect(workers).toEqual([
        { claimedBy: "p1", n: 6 },
        { claimedBy: "p2", n: 10 },
      ]);
      const outbox = await db.kysely.selectFrom("Outbox").select("dedupeKey").execute();
      expect(outbox).toHaveLength(20 + 4 * 5 + 4 * 5);
      expect(new Set(outbox.map((r) => r.dedupeKey)).size).toBe(outbox.length);
    } finally {
      await other.close();
    }
  });

  it("should run each job exactly once when two processes run the due jobs at the same time", async () => {
    for (let i = 0; i < 30; i++) await person(tree.branchA1.id, `Hội viên ${i}`);
    const meetings = 40;
    for (let i = 0; i < meetings; i++) {
      await createMeeting(
        db,
        { unitId: tree.branchA1.id, title: `Sinh hoạt ${i}`, startsAt: new Date(meetingStart.getTime() + i * 60_000) },
        ctx,
      );
    }
    const jobsModule = pathToFileURL(path.resolve("src/scheduler/jobs.ts")).href;
    const databaseModule = pathToFileURL(path.resolve("src/storage/database.ts")).href;
    const script = path.join(db.dir, "runner.mts");
    writeFileSync(
      script,
      `import { openDatabase } from ${JSON.stringify(databaseModule)};
       import { runDueJobs } from ${JSON.stringify(jobsModule)};
       const db = await openDatabase(process.argv[2]!);
       const total = { ran: 0, queued: 0 };
       // Start together: wait for the go file time given by the parent.
       while (Date.now() < Number(process.argv[4])) await new Promise((r) => setTimeout(r, 1));
       for (;;) {
         const r = await runDueJobs(db, { now: new Date(${firstReminder.getTime()}), timeZone: ${JSON.stringify(HCM)}, workerId: process.argv[3]!, limit: 1 });
         total.ran += r.ran;
         total.queued += r.queued;
         if (r.ran + r.skipped === 0) break;
       }
       await db.close();
       process.stdout.write(JSON.stringify(total));`,
    );
    const startAt = Date.now() + 2500;
    const run = (name: string) =>
      new Promise<{ ran: number; queued: number }>((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", script, db.url, name, String(startAt)], {
          cwd: process.cwd(),
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        child.on("exit", (code) =>
          code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`runner ${name} exited ${code}: ${err}`)),
        );
      });
    const [one, two] = await Promise.all([run("p1"), run("p2")]);
    expect(one.ran + two.ran).toBe(meetings);
    expect(one.queued + two.queued).toBe(meetings * 30);
    expect(
      await db.kysely
        .selectFrom("Outbox")
        .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.count<number>("dedupeKey").distinct().as("d")])
        .executeTakeFirst(),
    ).toEqual({ n: meetings * 30, d: meetings * 30 });
    const byWorker = await doneByWorker();
    expect(byWorker.reduce((s, r) => s + r.n, 0)).toBe(meetings);
  });
});
