/**
 * The meeting queries on both engines, on rows written directly (only the meeting modules run):
 * who is invited and where their messages go, the person's meetings, reminder planning and plans.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import {
  findMeeting,
  getMeeting,
  invitedPeople,
  isInvited,
  listUpcomingForPerson,
} from "../../../src/domain/meetings/meeting-queries.ts";
import {
  pendingMeetingsForPerson,
  recordRsvp,
  inviteeAnswers,
  getRsvp,
} from "../../../src/domain/meetings/rsvp-service.ts";
import {
  planJobs,
  plannedTallyAt,
  reminderPlanFor,
  skipPendingJobs,
  defaultReminderPlan,
} from "../../../src/domain/meetings/reminder-plan.ts";
import { personActor } from "../../../src/domain/access/actor.ts";
import { isAppError } from "../../../src/lib/app-error.ts";

const HCM = "Asia/Ho_Chi_Minh";
const t0 = Date.parse("2026-11-20T03:00:00Z");
const dec5 = Date.parse("2026-12-05T12:30:00Z");

let db: TestDatabase;
let units: { root: number; commune: number; branchA: number; branchB: number; other: number };

async function unit(organisationId: number, parent: { id: number; path: string; depth: number } | null, name: string) {
  const { id } = await db.kysely
    .insertInto("Unit")
    .values({
      organisationId,
      parentId: parent?.id ?? null,
      name,
      nameKey: name.toLowerCase(),
      path: `tmp-${name}`,
      depth: parent ? parent.depth + 1 : 0,
      createdAt: t0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const path = `${parent?.path ?? "/"}${id}/`;
  await db.kysely.updateTable("Unit").set({ path }).where("id", "=", id).execute();
  return { id, path, depth: parent ? parent.depth + 1 : 0 };
}

async function person(
  fullName: string,
  unitIds: number[],
  accounts: { platform: string; preferred?: boolean; unreachable?: boolean; linkedAt?: number | null }[] = [],
) {
  const { id } = await db.kysely
    .insertInto("Person")
    .values({
      fullName,
      nameKey: fullName.toLowerCase(),
      locale: "vi",
      linkedAccounts: accounts.length,
      createdAt: t0,
      updatedAt: t0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const [i, unitId] of unitIds.entries()) {
    await db.kysely
      .insertInto("Membership")
      .values({ personId: id, unitId, role: i === 0 ? "member" : "cadre", createdAt: t0 })
      .execute();
  }
  const accountIds: number[] = [];
  for (const [i, a] of accounts.entries()) {
    const row = await db.kysely
      .insertInto("ChatAccount")
      .values({
        platform: a.platform,
        externalId: `${a.platform}-${id}-${i}`,
        personId: id,
        preferred: a.preferred ?? false,
        unreachable: a.unreachable ?? false,
        linkedAt: a.linkedAt === undefined ? t0 + i : a.linkedAt,
        createdAt: t0,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    accountIds.push(row.id);
  }
  return { id, accountIds };
}

async function meeting(unitId: number, includeSubtree: boolean, startsAt = dec5, status = "scheduled") {
  const { id } = await db.kysely
    .insertInto("Meeting")
    .values({
      unitId,
      title: `Họp ${unitId}`,
      startsAt,
      endsAt: startsAt + 7_200_000,
      includeSubtree,
      status,
      createdAt: t0,
      updatedAt: t0,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return getMeeting(db, id);
}

beforeEach(async () => {
  db = await createTestDatabase();
  const { id: org } = await db.kysely
    .insertInto("Organisation")
    .values({ code: "t", name: "Test", createdAt: t0 })
    .returning("id")
    .executeTakeFirstOrThrow();
  const root = await unit(org, null, "Tỉnh");
  const commune = await unit(org, root, "Xã A");
  const branchA = await unit(org, commune, "Chi hội A");
  const branchB = await unit(org, commune, "Chi hội B");
  const other = await unit(org, root, "Xã Bb"); // a sibling whose path shares a prefix with none of the above
  units = { root: root.id, commune: commune.id, branchA: branchA.id, branchB: branchB.id, other: other.id };
});
afterEach(async () => {
  await db.destroy();
});

describe("invitedPeople", () => {
  it("should invite the unit's members, or the subtree's when the meeting includes it, each once, by name, with their delivery account", async () => {
    // An: preferred telegram is unreachable → zalo; Bình: web and telegram → telegram (web last);
    // Cường: only an unreachable account → linked but no account; Dũng: none; Em: in two branches.
    const an = await person(
      "An",
      [units.branchA],
      [{ platform: "telegram", preferred: true, unreachable: true }, { platform: "zalo" }],
    );
    const binh = await person(
      "Bình",
      [units.branchA],
      [{ platform: "web", linkedAt: t0 - 10 }, { platform: "telegram" }],
    );
    const cuong = await person("Cường", [units.branchB], [{ platform: "zalo", unreachable: true }]);
    const dung = await person("Dũng", [units.commune]);
    const em = await person(
      "Em",
      [units.branchA, units.branchB],
      [{ platform: "zalo" }, { platform: "telegram", preferred: true }],
    );
    const outsider = await person("Giang", [units.other], [{ platform: "zalo" }]);

    const branchMeeting = await meeting(units.branchA, false);
    expect(await invitedPeople(db, branchMeeting)).toEqual([
      {
        personId: an.id,
        fullName: "An",
        locale: "vi",
        linked: true,
        account: { id: an.accountIds[1], platform: "zalo", externalId: `zalo-${an.id}-1` },
      },
      {
        personId: binh.id,
        fullName: "Bình",
        locale: "vi",
        linked: true,
        account: { id: binh.accountIds[1], platform: "telegram", externalId: `telegram-${binh.id}-1` },
      },
      {
        personId: em.id,
        fullName: "Em",
        locale: "vi",
        linked: true,
        account: { id: em.accountIds[1], platform: "telegram", externalId: `telegram-${em.id}-1` },
      },
    ]);

    const communeOnly = await meeting(units.commune, false);
    expect((await invitedPeople(db, communeOnly)).map((p) => p.personId)).toEqual([dung.id]);

    const communeWide = await meeting(units.commune, true);
    const wide = await invitedPeople(db, communeWide);
    expect(wide.map((p) => p.fullName)).toEqual(["An", "Bình", "Cường", "Dũng", "Em"]);
    expect(wide.find((p) => p.personId === cuong.id)).toMatchObject({ linked: true, account: null });
    expect(wide.find((p) => p.personId === dung.id)).toMatchObject({ linked: false, account: null });

    // isInvited says the same as the list, for everyone.
    for (const m of [branchMeeting, communeOnly, communeWide]) {
      const invited = new Set((await invitedPeople(db, m)).map((p) => p.personId));
      for (const p of [an, binh, cuong, dung, em, outsider])
        expect(await isInvited(db, m, p.id)).toBe(invited.has(p.id));
    }
  });

  it("should give the answers and attendance of every invitee, and record answers only from invitees", async () => {
    const an = await person("An", [units.branchA], [{ platform: "zalo" }]);
    const binh = await person("Bình", [units.branchA]);
    const outsider = await person("Giang", [units.branchB], [{ platform: "zalo" }]);
    const m = await meeting(units.branchA, false);
    expect(
      await recordRsvp(
        db,
        { meetingId: m.id, personId: an.id, answer: "absent", reason: " ốm ", actor: personActor(an.id) },
        new Date(t0),
      ),
    ).toEqual({ late: false, changed: false, previous: null });
    expect(
      await recordRsvp(
        db,
        { meetingId: m.id, personId: an.id, answer: "attend", actor: personActor(an.id) },
        new Date(dec5 + 60_000),
      ),
    ).toEqual({ late: true, changed: true, previous: "absent" });
    expect(await getRsvp(db, m.id, an.id)).toEqual({
      answer: "attend",
      reason: null,
      late: true,
      answeredAt: dec5 + 60_000,
    });
    const refused = await recordRsvp(
      db,
      { meetingId: m.id, personId: outsider.id, answer: "attend", actor: personActor(outsider.id) },
      new Date(t0),
    ).catch((e: unknown) => e);
    expect(isAppError(refused) && refused.code).toBe("forbidden");
    expect((await inviteeAnswers(db, m)).map((r) => [r.fullName, r.answer, r.linked, r.present])).toEqual([
      ["An", "attend", true, null],
      ["Bình", null, false, null],
    ]);
    expect(binh.id).toBeGreaterThan(0);
  });
});

describe("listUpcomingForPerson", () => {
  it("should list the meetings of the person's units and the subtree-wide ones above them, soonest first", async () => {
    const an = await person("An", [units.branchA]);
    const own = await meeting(units.branchA, false, dec5 + 86_400_000);
    const wide = await meeting(units.commune, true, dec5);
    await meeting(units.commune, false); // the commune's own members only
    await meeting(units.branchB, false);
    await meeting(units.other, true);
    await meeting(units.branchA, false, dec5, "cancelled");
    await meeting(units.branchA, false, t0 - 86_400_000); // past
    expect((await listUpcomingForPerson(db, an.id, new Date(t0))).map((m) => m.id)).toEqual([wide.id, own.id]);
    expect(
      (await pendingMeetingsForPerson(db, an.id, new Date(t0))).map((m) => [m.id, m.includeSubtree, m.answer]),
    ).toEqual([
      [wide.id, true, null],
      [own.id, false, null],
    ]);
  });
});

describe("planJobs", () => {
  it("should plan the reminders idempotently, take the nearest plan up the tree, and skip the pending jobs", async () => {
    const m = await meeting(units.branchA, false);
    const ctx = { now: new Date(t0), timeZone: HCM };
    expect(await reminderPlanFor(db, m)).toEqual(defaultReminderPlan);
    const created = await planJobs(db, m.id, ctx);
    expect(created).toBe(5); // 2 reminders, nudge, tally, attendance prompt
    expect(await planJobs(db, m.id, ctx)).toBe(0);
    expect(await plannedTallyAt(db, m.id)).toBe(dec5 - 180 * 60_000);

    expect(await skipPendingJobs(db, m.id, new Date(t0), { kinds: ["reminder", "nudge"] })).toBe(3);
    const statuses = await db.kysely
      .selectFrom("ScheduledJob")
      .select(["kind", "status"])
      .where("meetingId", "=", m.id)
      .orderBy("dueAt")
      .execute();
    expect(statuses).toEqual([
      { kind: "reminder", status: "skipped" },
      { kind: "nudge", status: "skipped" },
      { kind: "tally", status: "pending" },
      { kind: "reminder", status: "skipped" },
      { kind: "attendance_prompt", status: "pending" },
    ]);
    // A skipped job comes back when planned again; a done one would not.
    expect(await planJobs(db, m.id, ctx)).toBe(3);

    await db.kysely
      .insertInto("ReminderPlan")
      .values({ unitId: units.root, offsets: "[]", nudgeMinutesBefore: 0, tallyMinutesBefore: 60, createdAt: t0 })
      .execute();
    await db.kysely
      .insertInto("ReminderPlan")
      .values({ unitId: units.commune, offsets: "[]", nudgeMinutesBefore: 0, tallyMinutesBefore: 30, createdAt: t0 })
      .execute();
    expect(await reminderPlanFor(db, m)).toEqual({ offsets: [], nudgeMinutesBefore: 0, tallyMinutesBefore: 30 });
    expect(await reminderPlanFor(db, { unitId: units.other, seriesId: null })).toMatchObject({
      tallyMinutesBefore: 60,
    });
    expect(await findMeeting(db, 999_999)).toBeUndefined();
  });
});
