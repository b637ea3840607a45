import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { personActor, systemActor } from "../../../src/domain/access/actor.ts";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { cancelMeeting, createMeeting, createSeries } from "../../../src/domain/meetings/meeting-service.ts";
import { meetingTally, recordAttendance, recordRsvp } from "../../../src/domain/meetings/rsvp-service.ts";
import { defaultReminderPlan, setReminderPlan } from "../../../src/domain/meetings/reminder-plan.ts";
import {
  calendarMeetings,
  listBoardMeetings,
  meetingSheet,
  unitReminderPlan,
  unitsWithPermission,
} from "../../../src/domain/meetings/meeting-board.ts";
import { looksRepeating, nextSeriesDates, parseMeetingWhen } from "../../../src/domain/meetings/meeting-when.ts";
import { isAppError } from "../../../src/lib/app-error.ts";
import { toLocal } from "../../../src/lib/zoned-time.ts";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { addTestPerson } from "../../helpers/people.ts";

const HCM = "Asia/Ho_Chi_Minh";
const t0 = new Date("2026-11-20T03:00:00Z");
const ctx = { now: t0, timeZone: HCM, actor: systemActor() };
const at = (iso: string) => new Date(iso);

let db: TestDatabase;
let tree: TestTree;
let cadreA1: number;
let officialA: number;

beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
  cadreA1 = await addTestPerson(db, tree.branchA1.id, "Nguyễn Văn Cán", { role: "cadre" });
  officialA = await addTestPerson(db, tree.communeA.id, "Trần Quốc Khánh", { role: "official" });
});
afterEach(() => db.destroy());

async function code(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return isAppError(e) ? e.code : String(e);
  }
  return undefined;
}

describe("listBoardMeetings", () => {
  it("should list only the reader's subtree, by view, with the same counts as the chat tally", async () => {
    const a1 = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "A1 tháng 12", startsAt: at("2026-12-05T12:30:00Z") },
      ctx,
    );
    const a2 = await createMeeting(
      db,
      { unitId: tree.branchA2.id, title: "A2 tháng 12", startsAt: at("2026-12-06T12:30:00Z") },
      ctx,
    );
    await createMeeting(
      db,
      { unitId: tree.branchB1.id, title: "B1 tháng 12", startsAt: at("2026-12-04T12:30:00Z") },
      ctx,
    );
    const cancelled = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "A1 hủy", startsAt: at("2026-12-10T12:30:00Z") },
      ctx,
    );
    await cancelMeeting(db, cancelled.id, ctx);
    const past = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "A1 tháng 11", startsAt: at("2026-11-21T12:30:00Z") },
      ctx,
    );
    const member = await addTestPerson(db, tree.branchA1.id, "Lê Thị Hoa");
    await recordRsvp(db, { meetingId: a1.id, personId: member, answer: "attend", actor: personActor(member) }, t0);
    await recordRsvp(
      db,
      { meetingId: a1.id, personId: cadreA1, answer: "absent", reason: "Đi công tác", actor: personActor(cadreA1) },
      t0,
    );

    const later = at("2026-11-25T00:00:00Z");
    const official = await listBoardMeetings(
      db,
      personActor(officialA, "web"),
      { view: "upcoming", withCounts: true },
      later,
    );
    expect(official.rows.map((r) => r.title)).toEqual(["A1 tháng 12", "A2 tháng 12"]);
    const cadre = await listBoardMeetings(
      db,
      personActor(cadreA1, "web"),
      { view: "upcoming", withCounts: true },
      later,
    );
    expect(cadre.rows.map((r) => r.id)).toEqual([a1.id]);
    const tally = await meetingTally(db, a1.id);
    expect(cadre.rows[0]!.counts).toEqual({
      invited: tally.invited,
      attend: tally.attend.length,
      absent: tally.absent.length,
      unsure: tally.unsure.length,
      noAnswer: tally.noAnswer.length,
      late: 0,
      came: null,
    });
    expect(cadre.rows[0]!.counts).toMatchObject({ invited: 2, attend: 1, absent: 1, noAnswer: 0 });
    expect(
      (await listBoardMeetings(db, personActor(cadreA1, "web"), { view: "past" }, later)).rows.map((r) => r.id),
    ).toEqual([past.id]);
    expect(
      (await listBoardMeetings(db, personActor(cadreA1, "web"), { view: "cancelled" }, later)).rows.map((r) => r.id),
    ).toEqual([cancelled.id]);
    // A calendar range lists every status.
    const month = await listBoardMeetings(
      db,
      personActor(officialA, "web"),
      { from: at("2026-12-01T00:00:00Z").getTime(), to: at("2027-01-01T00:00:00Z").getTime() },
      later,
    );
    expect(month.rows.map((r) => r.id)).toEqual([a1.id, a2.id, cancelled.id]);
    // Narrowed to a unit: inside the scope, or refused.
    expect(
      (await listBoardMeetings(db, personActor(officialA, "web"), { unitId: tree.branchA2.id }, later)).rows.map(
        (r) => r.id,
      ),
    ).toEqual([a2.id]);
    expect(
      await code(() => listBoardMeetings(db, personActor(cadreA1, "web"), { unitId: tree.branchA2.id }, later)),
    ).toBe("forbidden");
    // A member without rights reads nothing.
    expect((await listBoardMeetings(db, personActor(member, "web"), {}, later)).rows).toEqual([]);
  });

  it("should page with `more`", async () => {
    for (let d = 1; d <= 5; d++)
      await createMeeting(
        db,
        { unitId: tree.branchA1.id, title: `Buổi ${d}`, startsAt: at(`2026-12-0${d}T12:30:00Z`) },
        ctx,
      );
    const first = await listBoardMeetings(db, personActor(cadreA1), { limit: 2 }, t0);
    const last = await listBoardMeetings(db, personActor(cadreA1), { limit: 2, offset: 4 }, t0);
    expect([first.rows.map((r) => r.title), first.more, last.rows.map((r) => r.title), last.more]).toEqual([
      ["Buổi 1", "Buổi 2"],
      true,
      ["Buổi 5"],
      false,
    ]);
  });
});

describe("calendarMeetings", () => {
  it("should group a month by local day with totals, the first meetings of each day and their counts", async () => {
    // 23:30 in Vietnam on 04/12 is 16:30 UTC: it belongs to the 4th, not the 5th.
    const late = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Khuya", startsAt: at("2026-12-04T16:30:00Z") },
      ctx,
    );
    const ids: number[] = [];
    for (const h of [1, 2, 3])
      ids.push(
        (
          await createMeeting(
            db,
            { unitId: tree.branchA2.id, title: `Sáng ${h}`, startsAt: at(`2026-12-05T0${h}:00:00Z`) },
            ctx,
          )
        ).id,
      );
    await cancelMeeting(db, ids[0]!, ctx);
    await createMeeting(
      db,
      { unitId: tree.branchB1.id, title: "Ngoài phạm vi", startsAt: at("2026-12-05T05:00:00Z") },
      ctx,
    );
    const days = await calendarMeetings(db, personActor(officialA, "web"), {
      from: at("2026-11-30T17:00:00Z").getTime(),
      to: at("2026-12-31T17:00:00Z").getTime(),
      perDay: 2,
      timeZone: HCM,
    });
    expect(
      days.map((d) => [d.date, d.total, d.shown.map((m) => m.title), d.shown.map((m) => m.counts?.invited ?? null)]),
    ).toEqual([
      ["2026-12-04", 1, ["Khuya"], [1]],
      ["2026-12-05", 3, ["Sáng 1", "Sáng 2"], [null, 0]],
    ]);
    expect(days[0]!.shown[0]!.id).toBe(late.id);
    expect(
      await code(() =>
        calendarMeetings(db, personActor(cadreA1), {
          from: 0,
          to: Date.now() * 2,
          unitId: tree.branchB1.id,
          perDay: 4,
          timeZone: HCM,
        }),
      ),
    ).toBe("forbidden");
  });
});

describe("meetingSheet", () => {
  it("should list every invitee with answer, reason, late mark, phone and attendance, and refuse outsiders", async () => {
    const meeting = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: at("2026-12-05T12:30:00Z") },
      ctx,
    );
    const hoa = await addTestPerson(db, tree.branchA1.id, "Lê Thị Hoa");
    const noPhone = (await createPerson(db, { fullName: "Võ Văn Không" })).id;
    await addMembership(db, { actor: systemActor(), personId: noPhone, unitId: tree.branchA1.id, role: "member" });
    await recordRsvp(
      db,
      { meetingId: meeting.id, personId: hoa, answer: "absent", reason: "Ốm", actor: personActor(hoa) },
      t0,
    );
    // The cadre answers for the member without a phone, after the start: late.
    await recordRsvp(
      db,
      { meetingId: meeting.id, personId: noPhone, answer: "attend", actor: personActor(cadreA1) },
      at("2026-12-05T12:40:00Z"),
    );
    const during = at("2026-12-05T13:00:00Z");
    const sheet = await meetingSheet(db, personActor(cadreA1, "web"), meeting.id, during);
    expect(
      sheet.people.map((p) => [p.fullName, p.answer, p.reason, p.late, p.hasPhone, p.linked, p.recordedByName]),
    ).toEqual([
      ["Lê Thị Hoa", "absent", "Ốm", false, true, true, null],
      ["Nguyễn Văn Cán", null, null, false, true, true, null],
      ["Võ Văn Không", "attend", null, true, false, false, "Nguyễn Văn Cán"],
    ]);
    expect(sheet).toMatchObject({
      canManage: true,
      started: true,
      finished: false,
      attendanceRecorded: false,
      counts: { invited: 3, attend: 1, absent: 1, noAnswer: 1, late: 1, came: null },
    });
    await recordAttendance(db, {
      meetingId: meeting.id,
      presentPersonIds: [noPhone, cadreA1],
      actor: personActor(cadreA1, "web"),
      now: during,
    });
    const after = await meetingSheet(db, personActor(officialA, "web"), meeting.id, during);
    expect(after.people.map((p) => p.present)).toEqual([false, true, true]);
    expect(after.counts.came).toBe(2);
    const outsider = await addTestPerson(db, tree.branchB1.id, "Phạm Văn Bình", { role: "cadre" });
    expect(await code(() => meetingSheet(db, personActor(outsider, "web"), meeting.id, during))).toBe("forbidden");
    expect(await code(() => meetingSheet(db, personActor(cadreA1, "web"), 999_999, during))).toBe("not_found");
  });

  it("should include the series' rule of a repeating meeting", async () => {
    const { meetings } = await createSeries(
      db,
      {
        unitId: tree.branchA1.id,
        title: "Định kỳ",
        rule: { kind: "monthly_day", day: 5 },
        time: { hour: 19, minute: 30 },
      },
      ctx,
    );
    const sheet = await meetingSheet(db, personActor(cadreA1), meetings[0]!.id, t0);
    expect(sheet.series).toMatchObject({
      rule: { kind: "monthly_day", day: 5 },
      time: { hour: 19, minute: 30 },
      cancelled: false,
    });
  });
});

describe("unitReminderPlan and unitsWithPermission", () => {
  it("should tell the default, inherited and own plan", async () => {
    const reader = personActor(officialA, "web");
    expect(await unitReminderPlan(db, reader, tree.branchA1.id)).toEqual({
      plan: defaultReminderPlan,
      source: "default",
      fromUnitName: null,
    });
    const plan = { offsets: [{ daysBefore: 1, at: "07:00" }], nudgeMinutesBefore: 0, tallyMinutesBefore: 60 };
    await setReminderPlan(db, { target: { unitId: tree.communeA.id }, plan, actor: personActor(officialA, "web") });
    expect(await unitReminderPlan(db, reader, tree.branchA1.id)).toEqual({
      plan,
      source: "inherited",
      fromUnitName: tree.communeA.name,
    });
    expect(await unitReminderPlan(db, reader, tree.communeA.id)).toMatchObject({ source: "own" });
    expect(await code(() => unitReminderPlan(db, personActor(cadreA1), tree.branchB1.id))).toBe("forbidden");
  });

  it("should list the units where a person holds a permission, in tree order", async () => {
    expect((await unitsWithPermission(db, personActor(officialA), "manage_meetings")).map((u) => u.name)).toEqual([
      "Xã Phước Hòa",
      "Chi hội 1",
      "Chi hội 2",
    ]);
    expect((await unitsWithPermission(db, personActor(cadreA1), "manage_meetings")).map((u) => u.id)).toEqual([
      tree.branchA1.id,
    ]);
    expect(await unitsWithPermission(db, personActor(cadreA1), "administer")).toEqual([]);
  });
});

describe("parseMeetingWhen", () => {
  it("should read a series with repetition words and one meeting otherwise, as chat does", () => {
    expect(looksRepeating("thứ Hai hằng tuần 19h")).toBe(true);
    expect(parseMeetingWhen("thứ Bảy tuần đầu tiên của tháng lúc 19:30", t0, HCM)).toEqual({
      kind: "series",
      rule: { kind: "monthly_weekday", weekday: 6, nth: 1 },
      time: { hour: 19, minute: 30 },
    });
    expect(parseMeetingWhen("ngày 5 hằng tháng", t0, HCM)).toEqual({
      kind: "series",
      rule: { kind: "monthly_day", day: 5 },
    });
    expect(parseMeetingWhen("05/12/2026 19:30", t0, HCM)).toEqual({
      kind: "once",
      startsAt: at("2026-12-05T12:30:00Z"),
    });
    expect(() => parseMeetingWhen("thứ Tám 19h", t0, HCM)).toThrow(/date_invalid/);
    expect(() => parseMeetingWhen("thứ Tám hằng tuần 19h", t0, HCM)).toThrow(/recurrence_invalid/);
  });

  it("should give the next dates of a series, within its bounds", () => {
    const dates = nextSeriesDates(
      { rule: { kind: "monthly_weekday", weekday: 6, nth: 1 }, time: { hour: 19, minute: 30 } },
      t0,
      HCM,
      4,
    );
    expect(
      dates.map((d) => toLocal(d, HCM)).map((l) => `${l.year}-${l.month}-${l.day} ${l.hour}:${l.minute} w${l.weekday}`),
    ).toEqual(["2026-12-5 19:30 w6", "2027-1-2 19:30 w6", "2027-2-6 19:30 w6", "2027-3-6 19:30 w6"]);
    expect(
      nextSeriesDates(
        { rule: { kind: "monthly_day", day: 5 }, time: { hour: 8, minute: 0 }, endsOn: "2027-01-31" },
        t0,
        HCM,
      ),
    ).toHaveLength(2);
    expect(() =>
      nextSeriesDates(
        {
          rule: { kind: "monthly_day", day: 5 },
          time: { hour: 8, minute: 0 },
          startsOn: "2026-12-06",
          endsOn: "2026-12-31",
        },
        t0,
        HCM,
      ),
    ).toThrow(/recurrence_never_fires/);
  });
});
