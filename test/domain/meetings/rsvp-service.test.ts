import { personActor, systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { isAppError } from "../../../src/lib/app-error.ts";
import { cancelMeeting, createMeeting, type MeetingRow } from "../../../src/domain/meetings/meeting-service.ts";
import {
  attendanceOf,
  getRsvp,
  meetingTally,
  pendingMeetingsForPerson,
  recordAttendance,
  recordRsvp,
  setRsvpReason,
} from "../../../src/domain/meetings/rsvp-service.ts";
import { addTestPerson, type TestPersonOptions } from "../../helpers/people.ts";

const HCM = "Asia/Ho_Chi_Minh";
const t0 = new Date("2026-11-20T03:00:00Z");
const ctx = { now: t0, timeZone: HCM, actor: systemActor() };
const dec5 = new Date("2026-12-05T12:30:00Z");
const minutes = (base: Date | number, n: number) =>
  new Date((typeof base === "number" ? base : base.getTime()) + n * 60_000);

let db: TestDatabase;
let tree: TestTree;
let meeting: MeetingRow;

beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
  meeting = await createMeeting(db, { unitId: tree.branchA1.id, title: "Sinh hoạt tháng 12", startsAt: dec5 }, ctx);
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

const rsvpCount = async () =>
  (
    await db.kysely
      .selectFrom("Rsvp")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow()
  ).n;
const auditCount = async (action: string, actorPersonId?: number) => {
  let q = db.kysely
    .selectFrom("AuditLog")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("action", "=", action);
  if (actorPersonId !== undefined) q = q.where("actorPersonId", "=", actorPersonId);
  return (await q.executeTakeFirstOrThrow()).n;
};

describe("recordRsvp", () => {
  it("should record an answer and let the member change it until the start", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    expect(
      await recordRsvp(
        db,
        { meetingId: meeting.id, personId: a, answer: "attend", actor: personActor(a) },
        minutes(t0, 1),
      ),
    ).toEqual({ late: false, changed: false, previous: null });
    expect(
      await recordRsvp(
        db,
        { meetingId: meeting.id, personId: a, answer: "absent", reason: "  Đi   khám bệnh  ", actor: personActor(a) },
        minutes(dec5, -10),
      ),
    ).toEqual({ late: false, changed: true, previous: "attend" });
    expect(await getRsvp(db, meeting.id, a)).toEqual({
      answer: "absent",
      reason: "Đi khám bệnh",
      late: false,
      answeredAt: minutes(dec5, -10).getTime(),
    });
    // The same answer again keeps the reason; a different one without a reason drops it.
    expect(
      await recordRsvp(
        db,
        { meetingId: meeting.id, personId: a, answer: "absent", actor: personActor(a) },
        minutes(dec5, -9),
      ),
    ).toMatchObject({ changed: false, previous: "absent" });
    expect((await getRsvp(db, meeting.id, a))?.reason).toBe("Đi khám bệnh");
    await recordRsvp(
      db,
      { meetingId: meeting.id, personId: a, answer: "unsure", actor: personActor(a) },
      minutes(dec5, -8),
    );
    expect(await getRsvp(db, meeting.id, a)).toMatchObject({ answer: "unsure", reason: null });
    expect(await rsvpCount()).toBe(1);
  });

  it("should mark an answer given after the start late and refuse one after the end", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    expect(
      await recordRsvp(db, { meetingId: meeting.id, personId: a, answer: "attend", actor: personActor(a) }, dec5),
    ).toMatchObject({ late: true });
    expect((await getRsvp(db, meeting.id, a))?.late).toBe(true);
    expect(
      await code(() =>
        recordRsvp(
          db,
          { meetingId: meeting.id, personId: a, answer: "absent", actor: personActor(a) },
          new Date(meeting.endsAt),
        ),
      ),
    ).toBe("meeting_finished");
    expect((await getRsvp(db, meeting.id, a))?.answer).toBe("attend");
  });

  it("should refuse an answer to a cancelled meeting, from someone not invited, or an unknown answer", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    const stranger = await person(tree.branchA2.id, "Trần Văn Lạ");
    expect(
      await code(() =>
        recordRsvp(
          db,
          { meetingId: meeting.id, personId: stranger, answer: "attend", actor: personActor(stranger) },
          t0,
        ),
      ),
    ).toBe("forbidden");
    expect(
      await code(() =>
        recordRsvp(db, { meetingId: meeting.id, personId: a, answer: "maybe" as never, actor: personActor(a) }, t0),
      ),
    ).toBe("invalid_input");
    expect(
      await code(() => recordRsvp(db, { meetingId: 99_999, personId: a, answer: "attend", actor: personActor(a) }, t0)),
    ).toBe("not_found");
    await cancelMeeting(db, meeting.id, ctx);
    expect(
      await code(() =>
        recordRsvp(db, { meetingId: meeting.id, personId: a, answer: "attend", actor: personActor(a) }, t0),
      ),
    ).toBe("meeting_cancelled");
    expect(await rsvpCount()).toBe(0);
  });

  it("should accept members of the subtree for a meeting that includes it", async () => {
    const deep = await person(tree.branchA2.id, "Lê Thị Sâu");
    const communeWide = await createMeeting(
      db,
      { unitId: tree.communeA.id, title: "Toàn xã", startsAt: dec5, includeSubtree: true },
      ctx,
    );
    expect(
      (
        await recordRsvp(
          db,
          { meetingId: communeWide.id, personId: deep, answer: "attend", actor: personActor(deep) },
          t0,
        )
      ).late,
    ).toBe(false);
    const other = await person(tree.branchB1.id, "Phạm Văn Khác");
    expect(
      await code(() =>
        recordRsvp(db, { meetingId: communeWide.id, personId: other, answer: "attend", actor: personActor(other) }, t0),
      ),
    ).toBe("forbidden");
  });

  it("should trim the reason to 500 characters and audit an answer recorded by a cadre", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An", { linked: false });
    const cadre = await person(tree.branchA1.id, "Hoàng Văn Khải", { role: "cadre" });
    await recordRsvp(
      db,
      { meetingId: meeting.id, personId: a, answer: "absent", reason: "ố".repeat(600), actor: personActor(cadre) },
      t0,
    );
    expect((await getRsvp(db, meeting.id, a))?.reason).toHaveLength(500);
    expect(
      await db.kysely
        .selectFrom("AuditLog")
        .select(["actorPersonId", "action", "entityId"])
        .where("action", "=", "rsvp.record")
        .execute(),
    ).toEqual([{ actorPersonId: cadre, action: "rsvp.record", entityId: meeting.id }]);
    await recordRsvp(db, { meetingId: meeting.id, personId: cadre, answer: "attend", actor: personActor(cadre) }, t0);
    expect(await auditCount("rsvp.record")).toBe(1);
  });
});

describe("setRsvpReason", () => {
  it("should set the reason of an existing answer, and refuse without one", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    expect(
      await code(() =>
        setRsvpReason(db, { meetingId: meeting.id, personId: a, reason: "Bận việc nhà", actor: personActor(a) }),
      ),
    ).toBe("not_found");
    await recordRsvp(db, { meetingId: meeting.id, personId: a, answer: "absent", actor: personActor(a) }, t0);
    await setRsvpReason(db, { meetingId: meeting.id, personId: a, reason: " Bận   việc nhà ", actor: personActor(a) });
    expect((await getRsvp(db, meeting.id, a))?.reason).toBe("Bận việc nhà");
    expect(
      await code(() => setRsvpReason(db, { meetingId: meeting.id, personId: a, reason: "   ", actor: personActor(a) })),
    ).toBe("invalid_input");
  });
});

describe("pendingMeetingsForPerson", () => {
  it("should list the meetings not yet ended the person is invited to, soonest first, with their answer", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    const commune = await createMeeting(
      db,
      { unitId: tree.communeA.id, title: "Toàn xã", startsAt: minutes(dec5, -1440), includeSubtree: true },
      ctx,
    );
    await createMeeting(db, { unitId: tree.communeA.id, title: "Ban chấp hành", startsAt: dec5 }, ctx);
    const far = await createMeeting(
      db,
      { unitId: tree.branchA1.id, title: "Quá xa", startsAt: minutes(t0, 40 * 1440) },
      ctx,
    );
    const gone = await createMeeting(db, { unitId: tree.branchA1.id, title: "Bị hủy", startsAt: dec5 }, ctx);
    await cancelMeeting(db, gone.id, ctx);
    await recordRsvp(db, { meetingId: meeting.id, personId: a, answer: "absent", actor: personActor(a) }, t0);
    expect((await pendingMeetingsForPerson(db, a, t0)).map((m) => [m.id, m.unitName, m.answer])).toEqual([
      [commune.id, "Xã Phước Hòa", null],
      [meeting.id, "Chi hội 1", "absent"],
    ]);
    // During the meeting it is still pending (and the far one has come within 30 days); after its end it is not.
    expect((await pendingMeetingsForPerson(db, a, minutes(dec5, 30))).map((m) => m.id)).toEqual([meeting.id, far.id]);
    expect((await pendingMeetingsForPerson(db, a, new Date(meeting.endsAt))).map((m) => m.id)).toEqual([far.id]);
    expect(await pendingMeetingsForPerson(db, a, new Date(meeting.endsAt), 7)).toEqual([]);
  });
});

describe("meetingTally", () => {
  it("should name who answered what, with reasons, and count those not linked", async () => {
    const an = await person(tree.branchA1.id, "Nguyễn Văn An");
    const binh = await person(tree.branchA1.id, "Trần Thị Bình");
    const cuong = await person(tree.branchA1.id, "Lê Văn Cường", { linked: false });
    const dung = await person(tree.branchA1.id, "Đặng Văn Dũng", { linked: false });
    await recordRsvp(db, { meetingId: meeting.id, personId: an, answer: "attend", actor: personActor(an) }, t0);
    await recordRsvp(
      db,
      { meetingId: meeting.id, personId: binh, answer: "absent", reason: "Trông cháu", actor: personActor(binh) },
      t0,
    );
    // Cường has no phone: the commune's cadre records his answer (a member could not).
    const cadre = await person(tree.communeA.id, "Phạm Văn Cán", { role: "cadre" });
    expect(
      await code(() =>
        recordRsvp(db, { meetingId: meeting.id, personId: cuong, answer: "unsure", actor: personActor(an) }, t0),
      ),
    ).toBe("forbidden");
    await recordRsvp(db, { meetingId: meeting.id, personId: cuong, answer: "unsure", actor: personActor(cadre) }, t0);
    expect(await meetingTally(db, meeting.id)).toEqual({
      meetingId: meeting.id,
      invited: 4,
      attend: [{ personId: an, fullName: "Nguyễn Văn An" }],
      absent: [{ personId: binh, fullName: "Trần Thị Bình", reason: "Trông cháu" }],
      unsure: [{ personId: cuong, fullName: "Lê Văn Cường" }],
      noAnswer: [{ personId: dung, fullName: "Đặng Văn Dũng" }],
      notLinked: 2,
      came: null,
    });
    await recordAttendance(db, {
      meetingId: meeting.id,
      presentPersonIds: [an, dung],
      actor: systemActor(),
      now: dec5,
    });
    expect((await meetingTally(db, meeting.id)).came).toEqual([
      { personId: dung, fullName: "Đặng Văn Dũng" },
      { personId: an, fullName: "Nguyễn Văn An" },
    ]);
  });
});

describe("recordAttendance", () => {
  it("should replace the attendance of every invitee once the meeting has started", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    const b = await person(tree.branchA1.id, "Trần Thị Bình");
    const c = await person(tree.branchA1.id, "Lê Văn Cường");
    const cadre = await person(tree.branchA1.id, "Hoàng Văn Khải", { role: "cadre" });
    expect(
      await code(() =>
        recordAttendance(db, {
          meetingId: meeting.id,
          presentPersonIds: [a],
          actor: personActor(cadre),
          now: minutes(dec5, -1),
        }),
      ),
    ).toBe("invalid_input");
    expect(
      await recordAttendance(db, {
        meetingId: meeting.id,
        presentPersonIds: [a, b],
        actor: personActor(cadre),
        now: minutes(dec5, 30),
      }),
    ).toEqual({
      present: 2,
      absent: 2,
    });
    expect(await attendanceOf(db, meeting.id)).toEqual(
      new Map([
        [a, true],
        [b, true],
        [c, false],
        [cadre, false],
      ]),
    );
    expect(
      await recordAttendance(db, {
        meetingId: meeting.id,
        presentPersonIds: [c, cadre],
        actor: personActor(cadre),
        now: minutes(dec5, 200),
      }),
    ).toEqual({
      present: 2,
      absent: 2,
    });
    expect(await attendanceOf(db, meeting.id)).toEqual(
      new Map([
        [a, false],
        [b, false],
        [c, true],
        [cadre, true],
      ]),
    );
    expect(await auditCount("meeting.attendance", cadre)).toBe(2);
  });

  it("should refuse someone not invited or a cancelled meeting, and keep the earlier record", async () => {
    const a = await person(tree.branchA1.id, "Nguyễn Văn An");
    const stranger = await person(tree.branchB1.id, "Trần Văn Lạ");
    await recordAttendance(db, { meetingId: meeting.id, presentPersonIds: [a], actor: systemActor(), now: dec5 });
    expect(
      await code(() =>
        recordAttendance(db, { meetingId: meeting.id, presentPersonIds: [stranger], actor: systemActor(), now: dec5 }),
      ),
    ).toBe("invalid_input");
    expect(await attendanceOf(db, meeting.id)).toEqual(new Map([[a, true]]));
    const other = await createMeeting(db, { unitId: tree.branchA1.id, title: "Khác", startsAt: dec5 }, ctx);
    await cancelMeeting(db, other.id, ctx);
    expect(
      await code(() =>
        recordAttendance(db, { meetingId: other.id, presentPersonIds: [a], actor: systemActor(), now: dec5 }),
      ),
    ).toBe("meeting_cancelled");
    expect((await attendanceOf(db, other.id)).size).toBe(0);
  });
});
