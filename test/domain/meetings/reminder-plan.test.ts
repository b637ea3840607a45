import { describe, expect, it } from "vitest";
import { useTreeDatabase } from "../../helpers/tree.ts";
import { createMeeting } from "../../../src/domain/meetings/meeting-service.ts";
import {
  plannedTallyAt,
  setReminderPlan,
  shortNoticeTallyAt,
  type ReminderPlan,
} from "../../../src/domain/meetings/reminder-plan.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";

const HCM = "Asia/Ho_Chi_Minh";
const MIN = 60_000;
const start = new Date("2026-12-05T12:30:00Z"); // 19:30 on Saturday 05/12/2026 in Vietnam
const t = useTreeDatabase();

interface Job {
  kind: string;
  dueAt: number;
}

async function planned(
  leadMinutes: number,
  plan: ReminderPlan,
): Promise<{ jobs: Job[]; now: number; meetingId: number }> {
  const now = start.getTime() - leadMinutes * MIN;
  await setReminderPlan(t.db, { target: { unitId: t.tree.branchA1.id }, plan, actor: systemActor() });
  const meeting = await createMeeting(
    t.db,
    { unitId: t.tree.branchA1.id, title: "Họp đột xuất", startsAt: start },
    { now: new Date(now), timeZone: HCM, actor: systemActor("cli") },
  );
  const jobs: Job[] = await t.db.kysely
    .selectFrom("ScheduledJob")
    .select(["kind", "dueAt"])
    .where("meetingId", "=", meeting.id)
    .where("status", "=", "pending")
    .orderBy("dueAt")
    .orderBy("kind")
    .execute();
  return { jobs, now, meetingId: meeting.id };
}

// The plan of the issue (`--before "3d@08:00,2h" --nudge 24h --tally 3h`) and a few others an office might set.
const plans: [string, ReminderPlan][] = [
  [
    "3d@08:00,2h / nudge 24h / tally 3h",
    {
      offsets: [{ daysBefore: 3, at: "08:00" }, { minutesBefore: 120 }],
      nudgeMinutesBefore: 1440,
      tallyMinutesBefore: 180,
    },
  ],
  [
    "1d@19:00,30m / nudge 6h / tally 1h",
    {
      offsets: [{ daysBefore: 1, at: "19:00" }, { minutesBefore: 30 }],
      nudgeMinutesBefore: 360,
      tallyMinutesBefore: 60,
    },
  ],
  [
    "2h only / nudge 150m / tally 3h",
    { offsets: [{ minutesBefore: 120 }], nudgeMinutesBefore: 150, tallyMinutesBefore: 180 },
  ],
  [
    "same day 06:30, 3h, 1h / nudge 2h / tally 90m",
    {
      offsets: [{ daysBefore: 0, at: "06:30" }, { minutesBefore: 180 }, { minutesBefore: 60 }],
      nudgeMinutesBefore: 120,
      tallyMinutesBefore: 90,
    },
  ],
  [
    "7d@08:00 / no nudge / tally 1d",
    { offsets: [{ daysBefore: 7, at: "08:00" }], nudgeMinutesBefore: 0, tallyMinutesBefore: 1440 },
  ],
];
// From a week ahead down to a meeting called five minutes before it starts.
const leads = [10 * 1440, 3 * 1440 + 60, 25 * 60, 24 * 60 + 30, 190, 180, 150, 125, 90, 45, 20, 5];

describe("planJobs for every plan and creation lead time", () => {
  for (const [name, plan] of plans) {
    it.each(leads)(`should keep the rules with plan ${name}, created %i minutes ahead`, async (lead) => {
      const { jobs, now } = await planned(lead, plan);
      const reminders = jobs.filter((j) => j.kind === "reminder");
      const nudges = jobs.filter((j) => j.kind === "nudge");
      const tallies = jobs.filter((j) => j.kind === "tally");
      // Every meeting gets its first reminder (at once when all offsets are past).
      expect(reminders.length).toBeGreaterThan(0);
      expect(reminders[0]!.dueAt).toBeLessThanOrEqual(Math.max(now, reminders[0]!.dueAt));
      // Never two messages asking members the same thing less than an hour apart.
      const asking = [...reminders, ...nudges].sort((a, b) => a.dueAt - b.dueAt);
      for (let i = 1; i < asking.length; i++)
        expect(asking[i]!.dueAt - asking[i - 1]!.dueAt).toBeGreaterThanOrEqual(60 * MIN);
      // A nudge only after a reminder members had an hour to answer.
      for (const n of nudges) expect(n.dueAt).toBeGreaterThanOrEqual(reminders[0]!.dueAt + 60 * MIN);
      // Exactly one tally, after members had time to answer, before the start.
      expect(tallies).toHaveLength(1);
      const tally = tallies[0]!.dueAt;
      expect(tally).toBeGreaterThanOrEqual(now);
      expect(tally).toBeLessThan(start.getTime());
      const nominal = start.getTime() - plan.tallyMinutesBefore * MIN;
      if (nominal >= now + 30 * MIN) expect(tally).toBe(nominal);
      else expect(tally).toBe(shortNoticeTallyAt(start.getTime(), reminders[0]!.dueAt, now));
      for (const j of jobs.filter((j) => j.kind !== "attendance_prompt")) expect(j.dueAt).toBeGreaterThanOrEqual(now);
    });
  }

  it("should give the issue's short-notice meeting (2 h 30 ahead) one reminder now and a tally 30 minutes before the start", async () => {
    const { jobs, now, meetingId } = await planned(150, plans[0]![1]);
    expect(jobs.map((j) => [j.kind, (j.dueAt - now) / MIN])).toEqual([
      ["reminder", 0],
      ["tally", 120],
      ["attendance_prompt", 270],
    ]);
    expect(await plannedTallyAt(t.db, meetingId)).toBe(start.getTime() - 30 * MIN);
  });

  it("should keep a plan's own times when the meeting is created well ahead", async () => {
    const { jobs } = await planned(10 * 1440, plans[0]![1]);
    expect(jobs.map((j) => [j.kind, (start.getTime() - j.dueAt) / MIN])).toEqual([
      ["reminder", 3 * 1440 + 690], // 08:00 three days before a 19:30 meeting
      ["nudge", 1440],
      ["tally", 180],
      ["reminder", 120],
      ["attendance_prompt", -120],
    ]);
  });
});

describe("shortNoticeTallyAt", () => {
  it.each([
    // start in, first reminder in, expected tally in (minutes from now)
    [150, 0, 120],
    [150, 30, 120],
    [60, 0, 30],
    [45, 0, 22],
    [20, 0, 10],
    [1, 0, 0],
  ])(
    "should place the tally of a meeting %i minutes ahead (first reminder in %i) at %i",
    (startIn, firstIn, expected) => {
      const now = 1_800_000_000_000;
      expect((shortNoticeTallyAt(now + startIn * MIN, now + firstIn * MIN, now) - now) / MIN).toBe(expected);
    },
  );
});
