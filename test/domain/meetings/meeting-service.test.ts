import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { isAppError } from "../../../src/lib/app-error.ts";
import { addMembership } from "../../../src/domain/people/people-service.ts";
import { getPendingQuestion } from "../../../src/domain/conversation-state.ts";
import {
  cancelMeeting,
  cancelSeries,
  createMeeting,
  createSeries,
  ensureSeriesHorizon,
  getMeeting,
  invitees,
  listUnitMeetings,
  moveMeeting,
  skipOccurrence,
} from "../../../src/domain/meetings/meeting-service.ts";
import {
  defaultReminderPlan,
  planJobs,
  reminderPlanFor,
  setReminderPlan,
} from "../../../src/domain/meetings/reminder-plan.ts";
import { runDueJobs } from "../../../src/scheduler/jobs.ts";
import { addTestPerson, type TestPersonOptions } from "../../helpers/people.ts";
import { storedBody } from "../../helpers/outbox.ts";

const HCM = "Asia/Ho_Chi_Minh";
const t0 = new Date("2026-11-20T03:00:00Z"); // 10:00 on Friday 20/11/2026 in Vietnam
const ctx = { now: t0, timeZone: HCM, actor: systemActor() };
const dec5 = new Date("2026-12-05T12:30:00Z"); // 19:30 on Saturday 05/12/2026 in Vietnam

let db: TestDatabase;
let tree: TestTree;

beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

const person = (unitId: number, fullName: string, options?: TestPersonOptions) =>
  addTestPerson(db, unitId, fullName, options);

async function code(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return isAppError(e) ? e.code : String(e);
  }
  return undefined;
}

async function jobs(meetingId: number): Promise<{ kind: string; dueAt: string; expiresAt: string; status: string }[]> {
  return (
    await db.kysely
      .selectFrom("ScheduledJob")
      .select(["kind", "dueAt", "expiresAt", "status"])
      .where("meetingId", "=", meetingId)
      .orderBy("dueAt")
      .orderBy("kind")
      .execute()
  ).map((j) => ({
    kind: j.kind,
    dueAt: new Date(j.dueAt).toISOString(),
    expiresAt: new Date(j.expiresAt ?? 0).toISOString(),
    status: j.status,
  }));
}

const pending = async (meetingId: number) =>
  (await jobs(meetingId)).filter((j) => j.status === "pending").map((j) => `${j.kind}@${j.dueAt}`);
const count = async (table: "Meeting" | "MeetingSeries" | "ScheduledJob" | "Outbox" | "AuditLog" | "ReminderPlan") =>
  (
    await db.kysely
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow()
  ).n;
const work = (now: Date) => ({ now, timeZone: HCM, workerId: "test" });

describe("createMeeting", () => {
  it("should store the meeting and plan its jobs in Vietnam time", async () => {
    const meeting = await createMeeting(
      db,
      {
        unitId: tree.branchA1.id,
        title: "  Sinh hoạt   tháng 12 ",
        place: "Nhà văn hóa",
        agenda: " 1. Thu hội phí \n\n 2. Bầu tổ trưởng ",
        startsAt: dec5,
      },
      ctx,
    );
    expect(meeting).toMatchObject({
      unitId: tree.branchA1.id,
      seriesId: null,
      title: "Sinh hoạt tháng 12",
      place: "Nhà văn hóa",
      agenda: "1. Thu hội phí\n2. Bầu tổ trưởng",
      startsAt: dec5.getTime(),
      endsAt: dec5.getTime() + 120 * 60_000,
      includeSubtree: false,
      status: "scheduled",
      previousStartsAt: null,
    });
    expect(await jobs(meeting.id)).toEqual([
      { kind: "reminder", dueAt: "2026-12-02T01:00:00.000Z", expiresAt: "2026-12-05T12:30:00.000Z", status: "pending" }, // 08:00 on 02/12
      { kind: "nudge", dueAt: "2026-12-04T12:30:00.000Z", expiresAt: "2026-12-05T12:30:00.000Z", status: "pending" },
      { kind: "tally", dueAt: "2026-12-05T09:30:00.000Z", expiresAt: "2026-12-05T12:30:00.000Z", status: "pending" },
      { kind: "reminder", dueAt: "2026-12-05T10:30:00.000Z", expiresAt: "2026-12-05T12:30:00.000Z", status: "pending" },
      {
        kind: "attendance_prompt",
        dueAt: "2026-12-05T14:30:00.000Z",
        expiresAt: "2026-12-12T14:30:00.000Z",
        status: "pending",
      },
    ]);
    expect(await db.kysely.selectFrom("AuditLog").select(["action", "entityId"]).execute()).toEqual([
      { action: "meeting.create", entityId: meeting.id },
    ]);
  });

  it.each([
    ["a start in the past", { startsAt: new Date(t0.getTime() - 60_000) }, "meeting_in_past"],
    ["a start right now", { startsAt: t0 }, "meeting_in_past"],
    ["a duration of 0", { durationMinutes: 0 }, "meeting_end_before_start"],
    ["a negative duration", { durationMinutes: -30 }, "meeting_end_before_start"],
    ["a duration over 24 hours", { durationMinutes: 24 * 60 + 1 }, "meeting_end_before_start"],
    ["an empty title", { title: "   " }, "invalid_input"],
    ["a title over 200 characters", { title: "x".repeat(201) }, "invalid_input"],
    ["an invalid date", { startsAt: new Date("2026-02-31T25:00") }, "invalid_input"],
    ["a missing unit", { unitId: 99_999 }, "unit_not_found"],
  ])("should refuse %s and store nothing", async (_name, change, expected) => {
    expect(
      await code(() =>
        createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: dec5, ...change }, ctx),
      ),
    ).toBe(expected);
    expect([await count("Meeting"), await count("ScheduledJob"), await count("AuditLog")]).toEqual([0, 0, 0]);
  });
});

describe("planJobs", () => {
  it("should be idempotent", async () => {
    const meeting = await createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: dec5 }, ctx);
    expect(await planJobs(db, meeting.id, ctx)).toBe(0);
    expect(await planJobs(db, meeting.id, { ...ctx, now: new Date("2026-12-03T00:00:00Z") })).toBe(0);
    expect(await jobs(meeting.id)).toHaveLength(5);
  });

  it("should plan a reminder already past as one catch-up due now, no nudge, and the tally 30 minutes before the start", async () => {
    const now = new Date("2026-12-05T11:00:00Z"); // 18:00, 90 minutes before the start
    const meeting = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Họp đột xuất", startsAt: dec5 },
      { ...ctx, now },
    );
    expect(await pending(meeting.id)).toEqual([
      "reminder@2026-12-05T11:00:00.000Z",
      "tally@2026-12-05T12:00:00.000Z",
      "attendance_prompt@2026-12-05T14:30:00.000Z",
    ]);
  });

  it("should keep the future reminders and the nudge of a meeting created two days ahead", async () => {
    const now = new Date("2026-12-03T05:00:00Z");
    const meeting = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: dec5 },
      { ...ctx, now },
    );
    expect(await pending(meeting.id)).toEqual([
      "reminder@2026-12-03T05:00:00.000Z",
      "nudge@2026-12-04T12:30:00.000Z",
      "tally@2026-12-05T09:30:00.000Z",
      "reminder@2026-12-05T10:30:00.000Z",
      "attendance_prompt@2026-12-05T14:30:00.000Z",
    ]);
  });
});

describe("reminderPlanFor", () => {
  it("should take the series plan, else the unit's, else the nearest ancestor's, else the default", async () => {
    const meeting = await createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: dec5 }, ctx);
    expect(await reminderPlanFor(db, meeting)).toEqual(defaultReminderPlan);
    const provincePlan = { offsets: [{ daysBefore: 1, at: "07:00" }], nudgeMinutesBefore: 0, tallyMinutesBefore: 60 };
    await setReminderPlan(db, { target: { unitId: tree.province.id }, plan: provincePlan, actor: systemActor() });
    expect(await reminderPlanFor(db, meeting)).toEqual(provincePlan);
    const communePlan = { offsets: [{ minutesBefore: 30 }], nudgeMinutesBefore: 600, tallyMinutesBefore: 60 };
    await setReminderPlan(db, { target: { unitId: tree.communeA.id }, plan: communePlan, actor: systemActor() });
    expect(await reminderPlanFor(db, meeting)).toEqual(communePlan);
    expect(
      await reminderPlanFor(
        db,
        await getMeeting(
          db,
          (await createMeeting(db, { unitId: tree.branchB1.id, title: "B", startsAt: dec5 }, ctx)).id,
        ),
      ),
    ).toEqual(provincePlan);
    const { seriesId, meetings } = await createSeries(
      db,
      {
        unitId: tree.branchA1.id,
        title: "Định kỳ",
        rule: { kind: "monthly_day", day: 5 },
        time: { hour: 19, minute: 30 },
      },
      ctx,
    );
    const seriesPlan = { offsets: [{ daysBefore: 0, at: "06:30" }], nudgeMinutesBefore: 0, tallyMinutesBefore: 0 };
    await setReminderPlan(db, { target: { seriesId }, plan: seriesPlan, actor: systemActor() });
    expect(await reminderPlanFor(db, meetings[0]!)).toEqual(seriesPlan);
  });

  it("should re-plan the upcoming meetings' pending reminders when given a context", async () => {
    const meeting = await createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: dec5 }, ctx);
    await setReminderPlan(db, {
      target: { unitId: tree.communeA.id },
      plan: { offsets: [{ daysBefore: 1, at: "07:00" }], nudgeMinutesBefore: 0, tallyMinutesBefore: 180 },
      actor: systemActor(),
      ctx,
    });
    expect(await pending(meeting.id)).toEqual([
      "reminder@2026-12-04T00:00:00.000Z", // 07:00 on 04/12
      "tally@2026-12-05T09:30:00.000Z",
      "attendance_prompt@2026-12-05T14:30:00.000Z",
    ]);
  });
});

describe("setReminderPlan", () => {
  it.each([
    [
      "both kinds in one offset",
      { offsets: [{ daysBefore: 1, minutesBefore: 30 }], nudgeMinutesBefore: 0, tallyMinutesBefore: 0 },
    ],
    [
      "a time of day that does not exist",
      { offsets: [{ daysBefore: 1, at: "25:00" }], nudgeMinutesBefore: 0, tallyMinutesBefore: 0 },
    ],
    ["a negative nudge", { offsets: [], nudgeMinutesBefore: -5, tallyMinutesBefore: 0 }],
    ["an offset with nothing", { offsets: [{}], nudgeMinutesBefore: 0, tallyMinutesBefore: 0 }],
  ])("should refuse %s", async (_name, plan) => {
    expect(
      await code(() =>
        setReminderPlan(db, { target: { unitId: tree.branchA1.id }, plan: plan as never, actor: systemActor() }),
      ),
    ).toBe("invalid_input");
    expect(await count("ReminderPlan")).toBe(0);
  });

  it("should refuse a target that is neither or both", async () => {
    expect(await code(() => setReminderPlan(db, { target: {}, plan: defaultReminderPlan, actor: systemActor() }))).toBe(
      "invalid_input",
    );
    expect(
      await code(() =>
        setReminderPlan(db, { target: { unitId: 99_999 }, plan: defaultReminderPlan, actor: systemActor() }),
      ),
    ).toBe("unit_not_found");
  });
});

describe("createSeries", () => {
  it("should materialise the occurrences within 62 days with their jobs", async () => {
    const { seriesId, meetings } = await createSeries(
      db,
      {
        unitId: tree.branchA1.id,
        title: "Sinh hoạt định kỳ",
        place: "Hội trường",
        rule: { kind: "monthly_day", day: 5 },
        time: { hour: 19, minute: 30 },
      },
      ctx,
    );
    expect(meetings.map((m) => [new Date(m.startsAt).toISOString(), m.seriesId, m.place])).toEqual([
      ["2026-12-05T12:30:00.000Z", seriesId, "Hội trường"],
      ["2027-01-05T12:30:00.000Z", seriesId, "Hội trường"],
    ]);
    expect(await db.kysely.selectFrom("Meeting").select("occurrenceKey").orderBy("startsAt").execute()).toEqual([
      { occurrenceKey: "2026-12-05" },
      { occurrenceKey: "2027-01-05" },
    ]);
    expect(await db.kysely.selectFrom("MeetingSeries").select(["startTime", "startsOn"]).execute()).toEqual([
      { startTime: "19:30", startsOn: "2026-11-20" },
    ]);
    expect(await count("ScheduledJob")).toBe(10);
  });

  it("should refuse a rule that never fires and store nothing", async () => {
    const input = {
      unitId: tree.branchA1.id,
      title: "Sinh hoạt",
      rule: { kind: "once" as const, date: "2026-10-01" },
      time: { hour: 19, minute: 30 },
    };
    expect(await code(() => createSeries(db, input, ctx))).toBe("recurrence_never_fires");
    const ended = {
      ...input,
      rule: { kind: "monthly_day" as const, day: 5 },
      startsOn: "2026-11-20",
      endsOn: "2026-12-01",
    };
    expect(await code(() => createSeries(db, ended, ctx))).toBe("recurrence_never_fires");
    expect(await code(() => createSeries(db, { ...input, rule: { kind: "monthly_day" as const, day: 32 } }, ctx))).toBe(
      "recurrence_invalid",
    );
    expect(
      await code(() =>
        createSeries(
          db,
          { ...input, rule: { kind: "monthly_day" as const, day: 5 }, time: { hour: 24, minute: 0 } },
          ctx,
        ),
      ),
    ).toBe("recurrence_invalid");
    expect([
      await count("MeetingSeries"),
      await count("Meeting"),
      await count("ScheduledJob"),
      await count("AuditLog"),
    ]).toEqual([0, 0, 0, 0]);
  });
});

describe("ensureSeriesHorizon", () => {
  it("should add the occurrences that come within the horizon, once", async () => {
    const { seriesId } = await createSeries(
      db,
      {
        unitId: tree.branchA1.id,
        title: "Sinh hoạt",
        rule: { kind: "weekly", weekday: 6 },
        time: { hour: 8, minute: 0 },
      },
      ctx,
    );
    const n = async () =>
      (
        await db.kysely
          .selectFrom("Meeting")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("seriesId", "=", seriesId)
          .executeTakeFirstOrThrow()
      ).n;
    const before = await n();
    expect(before).toBe(9); // Saturdays from 21/11 to 16/01
    expect(await ensureSeriesHorizon(db, ctx)).toBe(0);
    const later = { now: new Date(t0.getTime() + 14 * 86_400_000), timeZone: HCM, actor: systemActor() };
    expect(await ensureSeriesHorizon(db, later)).toBe(2);
    expect(await ensureSeriesHorizon(db, later)).toBe(0);
    expect(await n()).toBe(11);
  });

  it("should not bring back a skipped or cancelled occurrence, nor continue a cancelled series", async () => {
    const { seriesId, meetings } = await createSeries(
      db,
      {
        unitId: tree.branchA1.id,
        title: "Sinh hoạt",
        rule: { kind: "monthly_day", day: 5 },
        time: { hour: 19, minute: 30 },
      },
      ctx,
    );
    await cancelMeeting(db, meetings[0]!.id, ctx);
    await skipOccurrence(db, seriesId, "2027-02-05", ctx);
    const later = { now: new Date("2026-12-20T00:00:00Z"), timeZone: HCM, actor: systemActor() };
    expect(await ensureSeriesHorizon(db, later)).toBe(0);
    expect(
      await db.kysely.selectFrom("Meeting").select(["occurrenceKey", "status"]).orderBy("startsAt").execute(),
    ).toEqual([
      { occurrenceKey: "2026-12-05", status: "cancelled" },
      { occurrenceKey: "2027-01-05", status: "scheduled" },
    ]);
    expect(await cancelSeries(db, seriesId, later)).toBe(1);
    expect(await ensureSeriesHorizon(db, { now: new Date("2027-01-20T00:00:00Z"), timeZone: HCM })).toBe(0);
  });
});

describe("cancelMeeting", () => {
  it("should tell only the people already reminded, skip the pending jobs and close their question", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    await person(tree.branchA1.id, "Trần Thị Bình", { linked: false });
    const meeting = await createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: dec5 }, ctx);
    await runDueJobs(db, work(new Date("2026-12-02T01:00:00Z")));
    const late = await person(tree.branchA1.id, "Lê Văn Cường"); // joined after the reminder went out
    const accountOfA = (
      await db.kysely.selectFrom("ChatAccount").select("id").where("personId", "=", a).executeTakeFirstOrThrow()
    ).id;
    expect((await getPendingQuestion(db, accountOfA, t0))?.kind).toBe("rsvp");
    const now = new Date("2026-12-03T00:00:00Z");
    const { meeting: cancelled, notified } = await cancelMeeting(db, meeting.id, {
      now,
      timeZone: HCM,
      actor: systemActor(),
    });
    expect(cancelled.status).toBe("cancelled");
    expect(notified).toBe(1);
    const notices = await db.kysely
      .selectFrom("Outbox")
      .select((eb) => ["personId", storedBody(eb)])
      .where("dedupeKey", "like", "meeting:%")
      .execute();
    expect(notices.map((n) => n.personId)).toEqual([a]);
    expect(notices.map((n) => n.personId)).not.toContain(late);
    expect(JSON.parse(notices[0]!.body).text).toContain("đã được hủy");
    expect(JSON.parse(notices[0]!.body).text).toContain("19:30 thứ Bảy, 05/12/2026");
    expect((await jobs(meeting.id)).map((j) => j.status)).toEqual(["done", "skipped", "skipped", "skipped", "skipped"]);
    expect(await getPendingQuestion(db, accountOfA, now)).toBeUndefined();
    expect(await runDueJobs(db, work(new Date("2026-12-05T14:30:00Z")))).toMatchObject({ ran: 0, skipped: 0 });
    expect(
      await db.kysely.selectFrom("AuditLog").select("action").where("action", "=", "meeting.cancel").execute(),
    ).toEqual([{ action: "meeting.cancel" }]);
  });

  it("should refuse to cancel twice or after the end", async () => {
    const meeting = await createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: dec5 }, ctx);
    expect(
      await code(() =>
        cancelMeeting(db, meeting.id, { actor: systemActor(), now: new Date(meeting.endsAt), timeZone: HCM }),
      ),
    ).toBe("meeting_finished");
    await cancelMeeting(db, meeting.id, ctx);
    expect(await code(() => cancelMeeting(db, meeting.id, ctx))).toBe("meeting_cancelled");
    expect(await code(() => cancelMeeting(db, 99_999, ctx))).toBe("not_found");
  });
});

describe("moveMeeting", () => {
  it("should keep the duration, re-plan the jobs and tell the people reminded the new time", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    const meeting = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: dec5, durationMinutes: 90 },
      ctx,
    );
    await runDueJobs(db, work(new Date("2026-12-02T01:00:00Z")));
    const now = new Date("2026-12-02T03:00:00Z");
    const newStart = new Date("2026-12-06T01:00:00Z"); // 08:00 Sunday 06/12
    const { meeting: moved, notified } = await moveMeeting(db, meeting.id, newStart, {
      now,
      timeZone: HCM,
      actor: systemActor(),
    });
    expect(moved).toMatchObject({
      startsAt: newStart.getTime(),
      endsAt: newStart.getTime() + 90 * 60_000,
      previousStartsAt: dec5.getTime(),
    });
    expect(notified).toBe(1);
    expect(await pending(meeting.id)).toEqual([
      "reminder@2026-12-03T01:00:00.000Z", // 08:00 three days before the new date
      "nudge@2026-12-05T01:00:00.000Z",
      "tally@2026-12-05T22:00:00.000Z",
      "reminder@2026-12-05T23:00:00.000Z",
      "attendance_prompt@2026-12-06T02:30:00.000Z",
    ]);
    expect((await jobs(meeting.id)).filter((j) => j.status === "skipped").map((j) => j.kind)).toEqual([
      "nudge",
      "tally",
      "reminder",
      "attendance_prompt",
    ]);
    const notice = await db.kysely
      .selectFrom("Outbox")
      .select((eb) => ["personId", storedBody(eb)])
      .where("dedupeKey", "like", "meeting:%")
      .executeTakeFirstOrThrow();
    expect(notice.personId).toBe(a);
    const body = JSON.parse(notice.body);
    expect(body.text).toContain("19:30 thứ Bảy, 05/12/2026");
    expect(body.text).toContain("08:00 Chủ nhật, 06/12/2026");
    expect(body.choices).toHaveLength(3);
  });

  it("should plan the reminders again when a meeting moves away and back", async () => {
    await person(tree.branchA1.id, "Nguyễn Văn An");
    const meeting = await createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: dec5 }, ctx);
    const before = await pending(meeting.id);
    await moveMeeting(db, meeting.id, new Date("2026-12-12T12:30:00Z"), ctx);
    await moveMeeting(db, meeting.id, dec5, ctx);
    expect(await pending(meeting.id)).toEqual(before);
    expect(await runDueJobs(db, work(new Date("2026-12-02T01:00:00Z")))).toMatchObject({ ran: 1, queued: 1 });
  });

  it("should record the move of a series occurrence in the series", async () => {
    const { seriesId, meetings } = await createSeries(
      db,
      {
        unitId: tree.branchA1.id,
        title: "Sinh hoạt",
        rule: { kind: "monthly_day", day: 5 },
        time: { hour: 19, minute: 30 },
      },
      ctx,
    );
    await moveMeeting(db, meetings[0]!.id, new Date("2026-12-06T12:00:00Z"), ctx);
    expect(
      JSON.parse(
        (
          await db.kysely
            .selectFrom("MeetingSeries")
            .select("exceptions")
            .where("id", "=", seriesId)
            .executeTakeFirstOrThrow()
        ).exceptions,
      ),
    ).toEqual({
      move: { "2026-12-05": "2026-12-06T19:00" },
    });
    expect(await ensureSeriesHorizon(db, ctx)).toBe(0);
  });

  it("should refuse a new start in the past, a cancelled or a finished meeting, and change nothing", async () => {
    const meeting = await createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: dec5 }, ctx);
    const jobsBefore = await jobs(meeting.id);
    expect(await code(() => moveMeeting(db, meeting.id, new Date(t0.getTime() - 1), ctx))).toBe("meeting_in_past");
    expect(
      await code(() =>
        moveMeeting(db, meeting.id, new Date("2026-12-20T00:00:00Z"), {
          actor: systemActor(),
          now: new Date(meeting.endsAt + 1),
          timeZone: HCM,
        }),
      ),
    ).toBe("meeting_finished");
    expect(await getMeeting(db, meeting.id)).toEqual(meeting);
    expect(await jobs(meeting.id)).toEqual(jobsBefore);
    await cancelMeeting(db, meeting.id, ctx);
    expect(await code(() => moveMeeting(db, meeting.id, new Date("2026-12-20T00:00:00Z"), ctx))).toBe(
      "meeting_cancelled",
    );
  });
});

describe("skipOccurrence", () => {
  it("should cancel a materialised occurrence, telling those reminded, and keep a later one from being created", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    const { seriesId, meetings } = await createSeries(
      db,
      {
        unitId: tree.branchA1.id,
        title: "Sinh hoạt",
        rule: { kind: "monthly_day", day: 5 },
        time: { hour: 19, minute: 30 },
      },
      ctx,
    );
    await runDueJobs(db, work(new Date("2026-12-02T01:00:00Z")));
    await skipOccurrence(db, seriesId, "2026-12-05", {
      actor: systemActor(),
      now: new Date("2026-12-02T02:00:00Z"),
      timeZone: HCM,
    });
    expect((await getMeeting(db, meetings[0]!.id)).status).toBe("cancelled");
    expect(
      await db.kysely
        .selectFrom("Outbox")
        .select("personId")
        .where("dedupeKey", "like", "meeting:%:cancelled:%")
        .execute(),
    ).toEqual([{ personId: a }]);
    await skipOccurrence(db, seriesId, "2027-02-05", ctx);
    expect(await ensureSeriesHorizon(db, { now: new Date("2026-12-20T00:00:00Z"), timeZone: HCM })).toBe(0);
    expect(
      JSON.parse(
        (await db.kysely.selectFrom("MeetingSeries").select("exceptions").executeTakeFirstOrThrow()).exceptions,
      ).skip,
    ).toEqual(["2026-12-05", "2027-02-05"]);
  });

  it("should refuse a date that is not an occurrence or not a date", async () => {
    const { seriesId } = await createSeries(
      db,
      {
        unitId: tree.branchA1.id,
        title: "Sinh hoạt",
        rule: { kind: "monthly_day", day: 5 },
        time: { hour: 19, minute: 30 },
      },
      ctx,
    );
    expect(await code(() => skipOccurrence(db, seriesId, "2026-12-06", ctx))).toBe("invalid_input");
    expect(await code(() => skipOccurrence(db, seriesId, "2026-02-31", ctx))).toBe("date_invalid");
    expect(await code(() => skipOccurrence(db, 99_999, "2026-12-05", ctx))).toBe("not_found");
    expect(await db.kysely.selectFrom("MeetingSeries").select("exceptions").execute()).toEqual([{ exceptions: "{}" }]);
  });
});

describe("invitees", () => {
  it("should invite the unit's members, or the whole subtree's when the meeting includes it", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    const b = await person(tree.branchA2.id, "Trần Thị Bình");
    const c = await person(tree.communeA.id, "Lê Văn Cường", { role: "cadre" });
    await addMembership(db, { actor: systemActor(), personId: a, unitId: tree.branchA2.id, role: "member" }); // in two branches: invited once
    await person(tree.branchB1.id, "Phạm Văn Dũng");
    const branch = await createMeeting(db, { unitId: tree.branchA1.id, title: "Chi hội 1", startsAt: dec5 }, ctx);
    const commune = await createMeeting(
      db,
      { unitId: tree.communeA.id, title: "Toàn xã", startsAt: dec5, includeSubtree: true },
      ctx,
    );
    const communeOnly = await createMeeting(
      db,
      { unitId: tree.communeA.id, title: "Ban chấp hành", startsAt: dec5 },
      ctx,
    );
    expect(await invitees(db, branch.id)).toEqual([a]);
    expect(await invitees(db, commune.id)).toEqual([a, b, c].sort((x, y) => x - y));
    expect(await invitees(db, communeOnly.id)).toEqual([c]);
  });
});

describe("listUnitMeetings", () => {
  it("should list the units' meetings in a period, soonest first, cancelled ones on request", async () => {
    const m1 = await createMeeting(db, { unitId: tree.branchA1.id, title: "Một", startsAt: dec5 }, ctx);
    const m2 = await createMeeting(
      db,
      { unitId: tree.branchA2.id, title: "Hai", startsAt: new Date(dec5.getTime() - 86_400_000) },
      ctx,
    );
    const m3 = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Ba", startsAt: new Date(dec5.getTime() + 86_400_000) },
      ctx,
    );
    await createMeeting(db, { unitId: tree.branchB1.id, title: "Khác", startsAt: dec5 }, ctx);
    await cancelMeeting(db, m3.id, ctx);
    const ids = [tree.branchA1.id, tree.branchA2.id];
    expect((await listUnitMeetings(db, ids, { from: t0 })).map((m) => [m.id, m.unitName])).toEqual([
      [m2.id, "Chi hội 2"],
      [m1.id, "Chi hội 1"],
    ]);
    expect((await listUnitMeetings(db, ids, { from: t0, includeCancelled: true })).map((m) => m.id)).toEqual([
      m2.id,
      m1.id,
      m3.id,
    ]);
    expect((await listUnitMeetings(db, ids, { from: t0, to: dec5 })).map((m) => m.id)).toEqual([m2.id]);
    expect((await listUnitMeetings(db, ids, { from: t0, limit: 1 })).map((m) => m.id)).toEqual([m2.id]);
    expect(await listUnitMeetings(db, [], { from: t0 })).toEqual([]);
  });
});
