import { personActor, systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { cancelMeeting, createMeeting } from "../../../src/domain/meetings/meeting-service.ts";
import { recordAttendance, recordRsvp } from "../../../src/domain/meetings/rsvp-service.ts";
import { meetingStats, memberAttendanceRate, unitMeetingStats } from "../../../src/domain/meetings/meeting-stats.ts";
import { inOrder } from "../../helpers/in-order.ts";

const HCM = "Asia/Ho_Chi_Minh";
const DAY = 86_400_000;
const now = new Date("2026-11-20T03:00:00Z");

let db: TestDatabase;
let tree: TestTree;

beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

async function member(unitId: number, fullName: string): Promise<number> {
  const p = await createPerson(db, { fullName });
  await addMembership(db, { actor: systemActor(), personId: p.id, unitId, role: "member" });
  return p.id;
}

/** A meeting that took place `daysAgo` days before `now` (created before it, as it was). */
function pastMeeting(unitId: number, daysAgo: number, options: { includeSubtree?: boolean } = {}) {
  const startsAt = new Date(now.getTime() - daysAgo * DAY);
  return createMeeting(
    db,
    { unitId, title: `Sinh hoạt ${daysAgo}`, startsAt, ...options },
    { actor: systemActor(), now: new Date(startsAt.getTime() - 10 * DAY), timeZone: HCM },
  );
}

describe("meetingStats", () => {
  it("should count answers per kind and, once recorded, who came", async () => {
    const [a, b, c, d] = (await inOrder(["An", "Bình", "Cường", "Dũng"], (n) => member(tree.branchA1.id, n))) as [
      number,
      number,
      number,
      number,
    ];
    const m = await pastMeeting(tree.branchA1.id, 2);
    const before = new Date(m.startsAt - DAY);
    await recordRsvp(db, { meetingId: m.id, personId: a, answer: "attend", actor: personActor(a) }, before);
    await recordRsvp(
      db,
      { meetingId: m.id, personId: b, answer: "absent", reason: "Ốm", actor: personActor(b) },
      before,
    );
    await recordRsvp(db, { meetingId: m.id, personId: c, answer: "unsure", actor: personActor(c) }, before);
    expect(await meetingStats(db, m.id)).toEqual({
      meetingId: m.id,
      title: "Sinh hoạt 2",
      startsAt: m.startsAt,
      invited: 4,
      answered: 3,
      attending: 1,
      excused: 1,
      unsure: 1,
      came: null,
    });
    await recordAttendance(db, {
      meetingId: m.id,
      presentPersonIds: [a, c, d],
      actor: systemActor(),
      now: new Date(m.endsAt),
    });
    expect((await meetingStats(db, m.id)).came).toBe(3);
  });
});

describe("memberAttendanceRate", () => {
  it("should count the recorded meetings of the last 12 months", async () => {
    const a = await member(tree.branchA1.id, "An");
    const b = await member(tree.branchA1.id, "Bình");
    const old = await pastMeeting(tree.branchA1.id, 400);
    const m1 = await pastMeeting(tree.branchA1.id, 300);
    const m2 = await pastMeeting(tree.branchA1.id, 60);
    const m3 = await pastMeeting(tree.branchA1.id, 30);
    await pastMeeting(tree.branchA1.id, 5); // not recorded: does not count
    for (const m of [old, m1, m2])
      await recordAttendance(db, {
        meetingId: m.id,
        presentPersonIds: [a],
        actor: systemActor(),
        now: new Date(m.endsAt),
      });
    await recordAttendance(db, {
      meetingId: m3.id,
      presentPersonIds: [b],
      actor: systemActor(),
      now: new Date(m3.endsAt),
    });
    expect(await memberAttendanceRate(db, a, now)).toEqual({ meetings: 3, came: 2, rate: 2 / 3 });
    expect(await memberAttendanceRate(db, b, now)).toEqual({ meetings: 3, came: 1, rate: 1 / 3 });
    expect(await memberAttendanceRate(db, await member(tree.branchB1.id, "Mới"), now)).toEqual({
      meetings: 0,
      came: 0,
      rate: null,
    });
  });
});

describe("unitMeetingStats", () => {
  it("should give each unit's own figures and roll them up the tree", async () => {
    const a1 = await inOrder(["An", "Bình", "Cường", "Dũng"], (n) => member(tree.branchA1.id, n));
    const a2 = await inOrder(["Hoa", "Lan"], (n) => member(tree.branchA2.id, n));
    await member(tree.branchB1.id, "Minh");
    // Branch A1: two meetings, one with answers and attendance; one cancelled, one outside the period.
    const m1 = await pastMeeting(tree.branchA1.id, 20);
    await pastMeeting(tree.branchA1.id, 10);
    await cancelMeeting(db, (await pastMeeting(tree.branchA1.id, 15)).id, {
      actor: systemActor(),
      now: new Date(now.getTime() - 30 * DAY),
      timeZone: HCM,
    });
    await pastMeeting(tree.branchA1.id, 100);
    for (const p of a1.slice(0, 3))
      await recordRsvp(
        db,
        { meetingId: m1.id, personId: p, answer: p === a1[2] ? "absent" : "attend", actor: personActor(p) },
        new Date(m1.startsAt - DAY),
      );
    await recordAttendance(db, {
      meetingId: m1.id,
      presentPersonIds: a1.slice(0, 2),
      actor: systemActor(),
      now: new Date(m1.endsAt),
    });
    // Commune A: a commune-wide meeting inviting its whole subtree (6 people).
    const wide = await pastMeeting(tree.communeA.id, 5, { includeSubtree: true });
    await recordRsvp(
      db,
      { meetingId: wide.id, personId: a2[0]!, answer: "attend", actor: personActor(a2[0]!) },
      new Date(wide.startsAt - DAY),
    );
    await recordAttendance(db, {
      meetingId: wide.id,
      presentPersonIds: [a2[0]!, a1[0]!, a1[3]!],
      actor: systemActor(),
      now: new Date(wide.endsAt),
    });

    const stats = await unitMeetingStats(db, tree.province.id, { from: new Date(now.getTime() - 60 * DAY), to: now });
    const byId = new Map(stats.map((s) => [s.unitId, s]));
    expect(stats.map((s) => s.unitId)).toEqual([
      tree.province.id,
      tree.communeA.id,
      tree.branchA1.id,
      tree.branchA2.id,
      tree.communeB.id,
      tree.branchB1.id,
      tree.branchB2.id,
    ]);
    expect(byId.get(tree.branchA1.id)).toMatchObject({
      name: "Chi hội 1",
      depth: 2,
      meetingsHeld: 2,
      invited: 8,
      answered: 3,
      attending: 2,
      came: 2,
      recorded: 4,
      responseRate: 3 / 8,
      attendanceRate: 2 / 4,
      meetingsHeldTotal: 2,
      invitedTotal: 8,
    });
    expect(byId.get(tree.communeA.id)).toMatchObject({
      meetingsHeld: 1,
      invited: 6,
      answered: 1,
      came: 3,
      recorded: 6,
      attendanceRate: 3 / 6,
      meetingsHeldTotal: 3,
      invitedTotal: 14,
      answeredTotal: 4,
      cameTotal: 5,
      recordedTotal: 10,
      responseRateTotal: 4 / 14,
      attendanceRateTotal: 5 / 10,
    });
    expect(byId.get(tree.province.id)).toMatchObject({
      meetingsHeld: 0,
      responseRate: null,
      meetingsHeldTotal: 3,
      invitedTotal: 14,
      cameTotal: 5,
    });
    expect(byId.get(tree.communeB.id)).toMatchObject({
      meetingsHeldTotal: 0,
      responseRateTotal: null,
      attendanceRateTotal: null,
    });
    // A subtree query only covers that subtree.
    expect(
      (await unitMeetingStats(db, tree.branchA1.id, { from: new Date(now.getTime() - 60 * DAY), to: now })).map(
        (s) => s.unitId,
      ),
    ).toEqual([tree.branchA1.id]);
  });
});
