/**
 * The summaries behind the reports (migration report_tallies) against the raw rows, on both
 * engines: after a mix of writes through every path the triggers watch (concerns created,
 * answered, closed, reopened, rated, re-categorised, passed up to another unit, deleted; answers
 * and attendance recorded, changed, removed; people joining, leaving, changing role, linking and
 * unlinking accounts; a unit moved in the tree), the summary tables equal what the raw rows give,
 * the backfill of the migration gives the same, and unitStats / unitReport figures equal those
 * computed here directly from the raw rows, medians included.
 *
 * Setup and writes go through db.kysely only, so the file runs on PostgreSQL too.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { categoryStatusColumn, periodParts, unitStats } from "../../../src/domain/stats/unit-stats.ts";
import { ticketCategories } from "../../../src/domain/tickets/ticket-service.ts";
import { concernsByCategory, monthlySeries, unitReport } from "../../../src/domain/reports/unit-report.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { ANSWER_BUCKET_BOUNDS, answerBucket } from "../../../src/domain/stats/answer-time-buckets.ts";
import { subtreeRange } from "../../../src/domain/units/unit-service.ts";
import { importRosterRows } from "../../../src/domain/roster/import-roster.ts";
import type { RosterRow } from "../../../src/domain/roster/roster-row.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const categories = ticketCategories;
const platforms = ["telegram", "zalo", "zalo_bot", "web"];
/** "now" of the data: mid-day, so periods end inside a day. */
const now = Date.UTC(2027, 2, 10, 9, 17, 0);

/** A small deterministic random generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.destroy());

interface Tree {
  root: number;
  communeA: number;
  communeB: number;
  branches: number[];
}

async function addUnit(
  parent: { id: number; path: string; depth: number } | null,
  name: string,
  organisationId: number,
) {
  const { id } = await db.kysely
    .insertInto("Unit")
    .values({
      organisationId,
      parentId: parent?.id ?? null,
      name,
      nameKey: name.toLowerCase(),
      levelLabel: "",
      path: `tmp-${name}`,
      depth: parent ? parent.depth + 1 : 0,
      createdAt: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const unitPath = `${parent?.path ?? "/"}${id}/`;
  await db.kysely.updateTable("Unit").set({ path: unitPath }).where("id", "=", id).execute();
  return { id, path: unitPath, depth: parent ? parent.depth + 1 : 0 };
}

/** The starting data, in one transaction (PostgreSQL commits are the slow part of a test). */
function buildData(seed: number): Promise<Tree> {
  return db.transaction(() => insertData(seed));
}

async function insertData(seed: number): Promise<Tree> {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const { id: organisationId } = await db.kysely
    .insertInto("Organisation")
    .values({ code: "ccb", name: "Hội CCB", createdAt: now })
    .returning("id")
    .executeTakeFirstOrThrow();
  const root = await addUnit(null, "Tỉnh", organisationId);
  const a = await addUnit(root, "Xã A", organisationId);
  const b = await addUnit(root, "Xã B", organisationId);
  const branchUnits = [
    await addUnit(a, "Chi hội A1", organisationId),
    await addUnit(a, "Chi hội A2", organisationId),
    await addUnit(b, "Chi hội B1", organisationId),
    await addUnit(b, "Chi hội B2", organisationId),
  ];
  const allUnits = [root, a, b, ...branchUnits];
  const people: number[] = [];
  for (let i = 0; i < 40; i++) {
    const { id } = await db.kysely
      .insertInto("Person")
      .values({ fullName: `Người ${i}`, nameKey: `nguoi ${i}`, createdAt: now, updatedAt: now })
      .returning("id")
      .executeTakeFirstOrThrow();
    people.push(id);
    const home = pick(branchUnits);
    await db.kysely
      .insertInto("Membership")
      .values({ personId: id, unitId: home.id, role: i % 7 === 0 ? "cadre" : "member", createdAt: now })
      .execute();
    // Some hold a second role elsewhere: an official role (not a member), or a member role in another commune.
    if (i % 5 === 0)
      await db.kysely
        .insertInto("Membership")
        .values({ personId: id, unitId: pick([a, b]).id, role: "official", createdAt: now })
        .execute();
    if (i % 6 === 0)
      await db.kysely
        .insertInto("Membership")
        .values({ personId: id, unitId: pick(allUnits).id, role: "member", createdAt: now })
        .onConflict((oc) => oc.doNothing())
        .execute();
    if (i % 3 === 0) {
      await db.kysely
        .insertInto("ChatAccount")
        .values({ platform: pick(platforms), externalId: `x${i}`, personId: id, createdAt: now })
        .execute();
      if (i % 9 === 0)
        await db.kysely
          .insertInto("ChatAccount")
          .values({ platform: pick(platforms), externalId: `y${i}`, personId: id, createdAt: now })
          .execute();
      await db.kysely
        .updateTable("Person")
        .set({ linkedAccounts: i % 9 === 0 ? 2 : 1 })
        .where("id", "=", id)
        .execute();
    }
  }
  // Homes in one commune, roles in the other: counted at their deepest unit of the subtree asked about.
  const pairs: [typeof root, typeof root][] = [
    [branchUnits[2]!, a],
    [branchUnits[0]!, b],
    [branchUnits[3]!, root],
  ];
  for (const [i, [home, other]] of pairs.entries()) {
    const { id } = await db.kysely
      .insertInto("Person")
      .values({ fullName: `Hai nơi ${i}`, nameKey: `hai noi ${i}`, linkedAccounts: 1, createdAt: now, updatedAt: now })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db.kysely
      .insertInto("ChatAccount")
      .values({ platform: "telegram", externalId: `z${i}`, personId: id, createdAt: now })
      .execute();
    await db.kysely
      .insertInto("Membership")
      .values([
        { personId: id, unitId: home.id, role: "member", createdAt: now },
        { personId: id, unitId: other.id, role: "cadre", createdAt: now },
      ])
      .execute();
  }
  // Concerns over 14 months, some answered within minutes, some after weeks.
  for (let i = 0; i < 260; i++) {
    const unit = pick(allUnits);
    const createdAt = now - Math.floor(rnd() * 420 * DAY);
    const answered = rnd() < 0.75;
    const firstAnsweredAt = answered ? createdAt + Math.floor(rnd() ** 3 * 40 * DAY) : null;
    const status = answered ? pick(["answered", "closed", "in_progress"]) : pick(["new", "in_progress"]);
    await db.kysely
      .insertInto("Ticket")
      .values({
        unitId: unit.id,
        originUnitId: unit.id,
        personId: pick(people),
        category: pick(categories),
        status,
        dueAt: createdAt + 7 * DAY,
        satisfied: answered && rnd() < 0.5 ? rnd() < 0.6 : null,
        createdAt,
        updatedAt: createdAt,
        firstAnsweredAt,
      })
      .execute();
  }
  // Meetings over the year; answers and attendance.
  for (let i = 0; i < 30; i++) {
    const unit = pick(allUnits);
    const startsAt = now - Math.floor(rnd() * 400 * DAY);
    const { id } = await db.kysely
      .insertInto("Meeting")
      .values({
        unitId: unit.id,
        title: "Sinh hoạt",
        startsAt,
        endsAt: startsAt + 2 * HOUR,
        includeSubtree: i % 6 === 0,
        createdAt: startsAt,
        updatedAt: startsAt,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    for (const personId of people) {
      if (rnd() < 0.4)
        await db.kysely
          .insertInto("Rsvp")
          .values({ meetingId: id, personId, answer: pick(["attend", "absent", "unsure"]), answeredAt: startsAt - DAY })
          .execute();
      if (i % 3 === 0 && rnd() < 0.5)
        await db.kysely
          .insertInto("Attendance")
          .values({ meetingId: id, personId, present: rnd() < 0.7, recordedAt: startsAt })
          .execute();
    }
  }
  return { root: root.id, communeA: a.id, communeB: b.id, branches: branchUnits.map((u) => u.id) };
}

/** Every write path the summaries must follow. */
async function mixOfWrites(tree: Tree, seed: number): Promise<void> {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rnd() * list.length)]!;
  const tickets = await db.kysely.selectFrom("Ticket").select(["id", "createdAt"]).orderBy("id").execute();
  for (const t of tickets.slice(0, 30)) // answered, closed
    await db.kysely
      .updateTable("Ticket")
      .set({ status: "answered", firstAnsweredAt: t.createdAt + Math.floor(rnd() * 5 * DAY) })
      .where("id", "=", t.id)
      .where("firstAnsweredAt", "is", null)
      .execute();
  for (const t of tickets.slice(30, 45))
    await db.kysely.updateTable("Ticket").set({ status: "closed", closedAt: now }).where("id", "=", t.id).execute();
  for (const t of tickets.slice(45, 55))
    await db.kysely
      .updateTable("Ticket")
      .set({ status: "in_progress", closedAt: null })
      .where("id", "=", t.id)
      .execute(); // reopened
  for (const t of tickets.slice(55, 75))
    await db.kysely
      .updateTable("Ticket")
      .set({ unitId: pick([tree.root, tree.communeA, tree.communeB]) })
      .where("id", "=", t.id)
      .execute(); // passed up
  for (const t of tickets.slice(75, 90))
    await db.kysely
      .updateTable("Ticket")
      .set({ satisfied: rnd() < 0.5 })
      .where("id", "=", t.id)
      .execute();
  for (const t of tickets.slice(90, 100))
    await db.kysely
      .updateTable("Ticket")
      .set({ category: pick(categories) })
      .where("id", "=", t.id)
      .execute();
  await db.kysely
    .updateTable("Ticket")
    .set({ updatedAt: now, assigneeId: null })
    .where("id", "<", tickets[120]!.id)
    .execute(); // unrelated columns
  await db.kysely
    .deleteFrom("TicketMessage")
    .where(
      "ticketId",
      "in",
      tickets.slice(100, 108).map((t) => t.id),
    )
    .execute();
  await db.kysely
    .deleteFrom("TicketStatusChange")
    .where(
      "ticketId",
      "in",
      tickets.slice(100, 108).map((t) => t.id),
    )
    .execute();
  await db.kysely
    .deleteFrom("Ticket")
    .where(
      "id",
      "in",
      tickets.slice(100, 108).map((t) => t.id),
    )
    .execute();
  // A many-row update in one statement (PostgreSQL and SQLite triggers fire per row).
  await db.kysely
    .updateTable("Ticket")
    .set({ status: "closed" })
    .where("status", "=", "answered")
    .where("id", ">", tickets[200]!.id)
    .execute();

  const people = (await db.kysely.selectFrom("Person").select("id").orderBy("id").execute()).map((p) => p.id);
  // Joining, leaving, changing role.
  await db.kysely
    .insertInto("Membership")
    .values({ personId: people[1]!, unitId: tree.communeB, role: "member", createdAt: now })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db.kysely
    .insertInto("Membership")
    .values({ personId: people[2]!, unitId: tree.branches[3]!, role: "cadre", createdAt: now })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db.kysely.deleteFrom("Membership").where("personId", "=", people[4]!).execute();
  await db.kysely.updateTable("Membership").set({ role: "official" }).where("personId", "=", people[5]!).execute();
  await db.kysely
    .updateTable("Membership")
    .set({ unitId: tree.branches[0]! })
    .where("personId", "=", people[8]!)
    .where("role", "=", "member")
    .execute();
  // Linking and unlinking.
  await db.kysely
    .insertInto("ChatAccount")
    .values({ platform: "zalo", externalId: "new1", personId: people[10]!, createdAt: now })
    .execute();
  await db.kysely.updateTable("Person").set({ linkedAccounts: 1 }).where("id", "=", people[10]!).execute();
  await db.kysely.deleteFrom("ChatAccount").where("personId", "=", people[3]!).execute();
  await db.kysely.updateTable("Person").set({ linkedAccounts: 0 }).where("id", "=", people[3]!).execute();
  await db.kysely.updateTable("ChatAccount").set({ platform: "web" }).where("personId", "=", people[6]!).execute();
  await db.kysely
    .updateTable("ChatAccount")
    .set({ personId: people[11]! })
    .where("personId", "=", people[9]!)
    .execute();
  await db.kysely.updateTable("Person").set({ linkedAccounts: 2 }).where("id", "=", people[11]!).execute();
  await db.kysely.updateTable("Person").set({ linkedAccounts: 0 }).where("id", "=", people[9]!).execute();
  // A person removed: their memberships, answers and attendance go with them (cascades).
  await db.kysely.deleteFrom("Ticket").where("personId", "=", people[13]!).execute();
  await db.kysely.deleteFrom("Person").where("id", "=", people[13]!).execute();

  // Answers and attendance changed and removed.
  const rsvps = await db.kysely.selectFrom("Rsvp").select(["id", "meetingId"]).orderBy("id").execute();
  for (const r of rsvps.slice(0, 40))
    await db.kysely
      .updateTable("Rsvp")
      .set({ answer: pick(["attend", "absent"]) })
      .where("id", "=", r.id)
      .execute();
  await db.kysely
    .deleteFrom("Rsvp")
    .where(
      "id",
      "in",
      rsvps.slice(40, 60).map((r) => r.id),
    )
    .execute();
  const attendance = await db.kysely.selectFrom("Attendance").select("id").orderBy("id").execute();
  for (const a of attendance.slice(0, 20))
    await db.kysely
      .updateTable("Attendance")
      .set({ present: rnd() < 0.5 })
      .where("id", "=", a.id)
      .execute();
  await db.kysely
    .deleteFrom("Attendance")
    .where(
      "id",
      "in",
      attendance.slice(20, 30).map((a) => a.id),
    )
    .execute();
  const meetings = await db.kysely.selectFrom("Meeting").select("id").orderBy("id").execute();
  await db.kysely
    .updateTable("Meeting")
    .set({ status: "cancelled", cancelledAt: now })
    .where("id", "=", meetings[3]!.id)
    .execute();
  await db.kysely
    .updateTable("Meeting")
    .set({ unitId: tree.communeB, startsAt: now - 40 * DAY, includeSubtree: true })
    .where("id", "=", meetings[5]!.id)
    .execute();
  await db.kysely.deleteFrom("Meeting").where("id", "=", meetings[4]!.id).execute();

  // A unit moved in the tree (as unit-service does: the subtree's paths and depths in one statement):
  // branch B2 goes under branch A1, one level deeper.
  const moved = await db.kysely
    .selectFrom("Unit")
    .select(["id", "path", "depth"])
    .where("id", "=", tree.branches[3]!)
    .executeTakeFirstOrThrow();
  const target = await db.kysely
    .selectFrom("Unit")
    .select(["id", "path", "depth"])
    .where("id", "=", tree.branches[0]!)
    .executeTakeFirstOrThrow();
  const newPath = `${target.path}${moved.id}/`;
  const [lo, hi] = subtreeRange(moved.path);
  await db.kysely.updateTable("Unit").set({ parentId: target.id }).where("id", "=", moved.id).execute();
  await db.kysely
    .updateTable("Unit")
    .set((eb) => ({
      path: sql<string>`${newPath} || substr(${eb.ref("path")}, ${moved.path.length + 1})`,
      depth: eb("depth", "+", target.depth + 1 - moved.depth),
    }))
    .where("path", ">=", lo)
    .where("path", "<", hi)
    .execute();
}

// ---- The same figures straight from the raw rows.

async function raw() {
  const [units, people, memberships, accounts, tickets, meetings, rsvps, attendance] = await Promise.all([
    db.kysely.selectFrom("Unit").select(["id", "parentId", "path", "depth"]).execute(),
    db.kysely.selectFrom("Person").select(["id", "linkedAccounts"]).execute(),
    db.kysely.selectFrom("Membership").select(["personId", "unitId", "role"]).execute(),
    db.kysely.selectFrom("ChatAccount").select(["personId", "platform"]).execute(),
    db.kysely
      .selectFrom("Ticket")
      .select(["unitId", "createdAt", "firstAnsweredAt", "satisfied", "category", "status", "dueAt"])
      .execute(),
    db.kysely.selectFrom("Meeting").select(["id", "unitId", "startsAt", "status", "includeSubtree"]).execute(),
    db.kysely.selectFrom("Rsvp").select(["meetingId", "answer"]).execute(),
    db.kysely.selectFrom("Attendance").select(["meetingId", "present"]).execute(),
  ]);
  return { units, people, memberships, accounts, tickets, meetings, rsvps, attendance };
}
type Raw = Awaited<ReturnType<typeof raw>>;

function expectedTallies(r: Raw) {
  const ticketTally = new Map<string, Record<string, number>>();
  const open = new Map<number, number>();
  for (const t of r.tickets) {
    for (const span of [1, 32, 256]) {
      const start = Math.floor(Math.floor(t.createdAt / DAY) / span) * span;
      const key = `${t.unitId}/${span}/${start}`;
      const row = ticketTally.get(key) ?? {};
      ticketTally.set(key, row);
      const add = (c: string) => (row[c] = (row[c] ?? 0) + 1);
      add("opened");
      if (t.firstAnsweredAt !== null) add("answered"), add(`h${answerBucket(t.firstAnsweredAt - t.createdAt)}`);
      if (t.satisfied !== null) add("rated");
      if (t.satisfied) add("satisfiedCount");
      add(categoryStatusColumn(t.category, t.status));
    }
    if (t.status === "new" || t.status === "in_progress") open.set(t.unitId, (open.get(t.unitId) ?? 0) + 1);
  }
  const meetingTally = new Map<
    number,
    {
      unitId: number;
      startsAt: number;
      subtree: number;
      held: number;
      answered: number;
      attending: number;
      recorded: number;
      came: number;
    }
  >();
  for (const mt of r.meetings) {
    meetingTally.set(mt.id, {
      unitId: mt.unitId,
      startsAt: mt.startsAt,
      subtree: mt.includeSubtree ? 1 : 0,
      held: mt.status === "scheduled" ? 1 : 0,
      answered: 0,
      attending: 0,
      recorded: 0,
      came: 0,
    });
  }
  const m = (id: number) => meetingTally.get(id)!;
  for (const x of r.rsvps) m(x.meetingId).answered++, x.answer === "attend" && m(x.meetingId).attending++;
  for (const x of r.attendance) m(x.meetingId).recorded++, x.present && m(x.meetingId).came++;
  return { ticketTally, open, meetingTally };
}

/** Each person's home unit within the subtree [lo, hi): the deepest member/cadre unit, lower id on a tie. */
function homesWithin(r: Raw, lo: string, hi: string) {
  const unit = new Map(r.units.map((u) => [u.id, u]));
  const homes = new Map<number, number>();
  for (const m of r.memberships) {
    if (m.role !== "member" && m.role !== "cadre") continue;
    const u = unit.get(m.unitId)!;
    if (u.path < lo || u.path >= hi) continue;
    const best = homes.get(m.personId);
    const b = best === undefined ? undefined : unit.get(best)!;
    if (!b || u.depth > b.depth || (u.depth === b.depth && u.id < b.id)) homes.set(m.personId, u.id);
  }
  return homes;
}

function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** unitStats' figures for one unit computed from the raw rows. */
function expectedStats(r: Raw, rootId: number, unitId: number, from: number, to: number) {
  const byId = new Map(r.units.map((u) => [u.id, u]));
  const [rlo, rhi] = subtreeRange(byId.get(rootId)!.path);
  const [lo, hi] = subtreeRange(byId.get(unitId)!.path);
  const inside = (id: number) => {
    const p = byId.get(id)!.path;
    return p >= lo && p < hi;
  };
  const person = new Map(r.people.map((p) => [p.id, p]));
  let members = 0;
  let linked = 0;
  const byPlatform: Record<string, number> = {};
  for (const [personId, home] of homesWithin(r, rlo, rhi)) {
    if (!inside(home)) continue;
    members++;
    if (person.get(personId)!.linkedAccounts > 0) {
      linked++;
      for (const p of new Set(r.accounts.filter((a) => a.personId === personId).map((a) => a.platform)))
        byPlatform[p] = (byPlatform[p] ?? 0) + 1;
    }
  }
  const tickets = r.tickets.filter((t) => inside(t.unitId));
  const open = tickets.filter((t) => t.status === "new" || t.status === "in_progress");
  const period = tickets.filter((t) => t.createdAt >= from && t.createdAt < to);
  const answeredTimes = period.filter((t) => t.firstAnsweredAt !== null).map((t) => t.firstAnsweredAt! - t.createdAt);
  const ownTimes = period
    .filter((t) => t.unitId === unitId && t.firstAnsweredAt !== null)
    .map((t) => t.firstAnsweredAt! - t.createdAt);
  // Meetings: invitees are today's members of the unit (any role), or of its subtree.
  const distinctPeople = (pred: (unitId: number) => boolean) =>
    new Set(r.memberships.filter((m) => pred(m.unitId)).map((m) => m.personId)).size;
  let held = 0,
    invited = 0,
    answered = 0,
    came = 0,
    recorded = 0;
  for (const mt of r.meetings) {
    if (mt.status !== "scheduled" || mt.startsAt < from || mt.startsAt >= to || !inside(mt.unitId)) continue;
    held++;
    const mp = byId.get(mt.unitId)!.path;
    const [a, b] = subtreeRange(mp);
    invited += mt.includeSubtree
      ? distinctPeople((id) => byId.get(id)!.path >= a && byId.get(id)!.path < b)
      : distinctPeople((id) => id === mt.unitId);
    answered += r.rsvps.filter((x) => x.meetingId === mt.id).length;
    recorded += r.attendance.filter((x) => x.meetingId === mt.id).length;
    came += r.attendance.filter((x) => x.meetingId === mt.id && x.present).length;
  }
  const rated = period.filter((t) => t.satisfied !== null).length;
  const satisfied = period.filter((t) => t.satisfied).length;
  return {
    stats: {
      members,
      linked,
      linkedByPlatform: byPlatform,
      openConcerns: open.length,
      overdueConcerns: open.filter((t) => t.dueAt < now).length,
      concernsOpened: period.length,
      concernsAnswered: answeredTimes.length,
      concernsRated: rated,
      concernsSatisfied: satisfied,
      satisfactionRate: rated ? satisfied / rated : null,
      meetingsHeld: held,
      responseRate: invited ? Math.min(1, answered / invited) : null,
      attendanceRate: recorded ? Math.min(1, came / recorded) : null,
    },
    answeredTimes,
    medianFirstAnswerMs: median(answeredTimes),
    ownMedianFirstAnswerMs: median(ownTimes),
  };
}

async function summaryTables() {
  const tally = await db.kysely.selectFrom("TicketTally").selectAll().execute();
  const ticketTally = new Map<string, Record<string, number>>();
  for (const row of tally) {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(row)) {
      if (k === "unitId" || k === "span" || k === "start" || !v) continue;
      out[k] = Number(v);
    }
    if (Object.keys(out).length) ticketTally.set(`${row.unitId}/${row.span}/${row.start}`, out);
  }
  const open = new Map(
    (await db.kysely.selectFrom("TicketOpenTally").selectAll().where("open", "!=", 0).execute()).map((o) => [
      o.unitId,
      o.open,
    ]),
  );
  const meetingTally = new Map(
    (await db.kysely.selectFrom("MeetingTally").selectAll().execute()).map(({ meetingId, ...m }) => [meetingId, m]),
  );
  return { ticketTally, open, meetingTally };
}

async function expectTablesMatchRaw() {
  const r = await raw();
  const expected = expectedTallies(r);
  const actual = await summaryTables();
  expect(Object.fromEntries(actual.ticketTally)).toEqual(Object.fromEntries(expected.ticketTally));
  expect(Object.fromEntries(actual.open)).toEqual(Object.fromEntries(expected.open));
  expect(Object.fromEntries(actual.meetingTally)).toEqual(Object.fromEntries(expected.meetingTally));
  // People at their home unit (whole tree).
  const homes = homesWithin(r, "/", "0");
  const person = new Map(r.people.map((p) => [p.id, p]));
  const expectedMembers = new Map<number, number>();
  for (const unitId of homes.values()) expectedMembers.set(unitId, (expectedMembers.get(unitId) ?? 0) + 1);
  const members = await db.kysely.selectFrom("UnitMemberTally").selectAll().where("members", "!=", 0).execute();
  expect(Object.fromEntries(members.map((m) => [m.unitId, m.members]))).toEqual(Object.fromEntries(expectedMembers));
  const personHome = await db.kysely.selectFrom("PersonHome").select(["personId", "unitId", "linked"]).execute();
  expect(Object.fromEntries(personHome.map((h) => [h.personId, [h.unitId, h.linked]]))).toEqual(
    Object.fromEntries([...homes].map(([p, u]) => [p, [u, person.get(p)!.linkedAccounts > 0 ? 1 : 0]])),
  );
}

describe("report summaries (report_tallies)", () => {
  it("should equal the raw rows after every kind of write, and the migration's backfill should give the same", async () => {
    const tree = await buildData(7);
    await expectTablesMatchRaw();
    await mixOfWrites(tree, 11);
    await expectTablesMatchRaw();
    const before = await summaryTables();
    const beforeHomes = await db.kysely.selectFrom("PersonHome").selectAll().orderBy("personId").execute();
    const beforeMembers = await db.kysely
      .selectFrom("UnitMemberTally")
      .selectAll()
      .where("members", "!=", 0)
      .orderBy("unitId")
      .execute();

    // The backfill of an existing database: empty the summaries, run the migration's backfill.
    // The backfills of report_tallies, then of ticket_tally_256 (its 256-day blocks from the 32-day ones).
    const dir = db.engine === "postgresql" ? "prisma/postgresql/migrations" : "prisma/migrations";
    for (const table of ["TicketTally", "TicketOpenTally", "MeetingTally", "PersonHome", "UnitMemberTally"] as const)
      await db.kysely.deleteFrom(table).execute();
    for (const migration of ["_report_tallies", "_ticket_tally_256"]) {
      const name = readdirSync(dir).find((n) => n.endsWith(migration))!;
      const text = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      const backfill = text.slice(text.indexOf("-- Backfill of an existing database"));
      for (const statement of backfill
        .split(/;\s*\n/)
        .map((s) => s.replace(/^--.*$/gm, "").trim())
        .filter(Boolean))
        await sql.raw(statement).execute(db.kysely);
    }
    expect(await summaryTables()).toEqual(before);
    expect(await db.kysely.selectFrom("PersonHome").selectAll().orderBy("personId").execute()).toEqual(beforeHomes);
    expect(
      await db.kysely.selectFrom("UnitMemberTally").selectAll().where("members", "!=", 0).orderBy("unitId").execute(),
    ).toEqual(beforeMembers);
  });

  it("should equal the raw rows after a roster import, whose memberships are written in bulk", async () => {
    const tree = await buildData(3);
    // Six people already there get phones: the import finds them by phone and moves them.
    const existing = await db.kysely.selectFrom("Person").select("id").orderBy("id").limit(6).execute();
    for (const [i, p] of existing.entries())
      await db.kysely
        .updateTable("Person")
        .set({ phone: `091000001${i}` })
        .where("id", "=", p.id)
        .execute();
    const units = ["Chi hội A1", "Chi hội B2", "Chi hội mới"];
    const rows: RosterRow[] = Array.from({ length: 30 }, (_, i) => ({
      line: i + 2,
      fullName: `Hội viên ${i}`,
      phone: i < 6 ? `091000001${i}` : `09200000${10 + i}`,
      unitName: units[i % 3]!,
      title: i % 4 === 0 ? "Chi hội trưởng" : null,
      role: i % 4 === 0 ? "cadre" : "member",
      birthYear: null,
      gender: null,
      note: null,
    }));
    const result = await importRosterRows(db, rows, [], {
      unitId: tree.root,
      actor: systemActor(),
      createUnits: true,
      now: new Date(now),
    });
    expect([result.written, result.created, result.updated]).toEqual([true, 24, 6]);
    await expectTablesMatchRaw();
  });

  it("should give unitStats figures equal to those of the raw rows, exact medians and histogram medians within their bucket", async () => {
    const tree = await buildData(3);
    await mixOfWrites(tree, 5);
    const r = await raw();
    // Periods that start and end inside a day and span several 32-day blocks, the second a whole
    // 256-day block too.
    const periods = [
      [now - 300 * DAY - 5 * HOUR, now - 2 * HOUR],
      [now - 415 * DAY - 5 * HOUR, now - 2 * HOUR],
    ] as const;
    expect(periodParts(...periods[1]).tallies.map((t) => t.span)).toContain(256);
    for (const [from, to] of periods)
      for (const rootId of [tree.root, tree.communeA]) {
        const exact = await unitStats(db, {
          unitId: rootId,
          now: new Date(now),
          period: { from: new Date(from), to: new Date(to) },
        });
        const bucketed = await unitStats(db, {
          unitId: rootId,
          now: new Date(now),
          period: { from: new Date(from), to: new Date(to) },
          exactMedianLimit: 0,
        });
        expect(exact.length).toBeGreaterThan(1);
        for (const [i, s] of exact.entries()) {
          const e = expectedStats(r, rootId, s.unitId, from, to);
          expect(s).toMatchObject(e.stats);
          expect(s.medianFirstAnswerMs).toBe(e.medianFirstAnswerMs);
          expect(s.ownMedianFirstAnswerMs).toBe(e.ownMedianFirstAnswerMs);
          const b = bucketed[i]!;
          expect(b).toMatchObject({ ...e.stats, unitId: s.unitId });
          // Bucketed: between the lower bound of the bucket of the lower middle value and the upper
          // bound of the bucket of the upper middle value.
          const sorted = [...e.answeredTimes].sort((x, y) => x - y);
          if (!sorted.length) expect(b.medianFirstAnswerMs).toBeNull();
          else {
            const lowMid = sorted[(sorted.length - 1) >> 1]!;
            const highMid = sorted[sorted.length >> 1]!;
            const lo = answerBucket(lowMid) === 0 ? 0 : ANSWER_BUCKET_BOUNDS[answerBucket(lowMid) - 1]!;
            const hi =
              answerBucket(highMid) < ANSWER_BUCKET_BOUNDS.length
                ? ANSWER_BUCKET_BOUNDS[answerBucket(highMid)]!
                : Infinity;
            expect(b.medianFirstAnswerMs).toBeGreaterThanOrEqual(lo);
            expect(b.medianFirstAnswerMs).toBeLessThanOrEqual(hi);
          }
        }
      }
  });

  it("should give the same figures for a subtree too large to name its units (read by path)", async () => {
    const tree = await buildData(29);
    // 520 more branches under commune B, in one statement, then their paths.
    const communeB = await db.kysely
      .selectFrom("Unit")
      .select(["organisationId", "path", "depth"])
      .where("id", "=", tree.communeB)
      .executeTakeFirstOrThrow();
    await db.kysely
      .insertInto("Unit")
      .values(
        Array.from({ length: 520 }, (_, i) => ({
          organisationId: communeB.organisationId,
          parentId: tree.communeB,
          name: `Chi hội thêm ${i}`,
          nameKey: `chi hoi them ${i}`,
          path: `tmp-extra-${i}`,
          depth: communeB.depth + 1,
          createdAt: now,
        })),
      )
      .execute();
    await db.kysely
      .updateTable("Unit")
      .set((eb) => ({ path: sql<string>`${communeB.path} || CAST(${eb.ref("id")} AS TEXT) || '/'` }))
      .where("path", "like", "tmp-extra-%")
      .execute();
    const extra = (
      await db.kysely.selectFrom("Unit").select("id").where("parentId", "=", tree.communeB).orderBy("id").execute()
    )
      .map((u) => u.id)
      .slice(-520);
    const person = (await db.kysely.selectFrom("Person").select("id").orderBy("id").executeTakeFirstOrThrow()).id;
    for (const [i, unitId] of extra.filter((_, i) => i % 37 === 0).entries()) {
      const createdAt = now - (i + 1) * 9 * DAY - i * HOUR;
      await db.kysely
        .insertInto("Ticket")
        .values({
          unitId,
          originUnitId: unitId,
          personId: person,
          category: "ha_tang",
          status: "answered",
          dueAt: createdAt + 7 * DAY,
          createdAt,
          updatedAt: createdAt,
          firstAnsweredAt: createdAt + (i + 1) * 5 * HOUR,
        })
        .execute();
      await db.kysely
        .insertInto("Meeting")
        .values({
          unitId,
          title: "Sinh hoạt",
          startsAt: createdAt,
          endsAt: createdAt + HOUR,
          createdAt,
          updatedAt: createdAt,
        })
        .execute();
      await db.kysely
        .insertInto("Membership")
        .values({ personId: person, unitId, role: "member", createdAt: now })
        .execute();
    }
    await mixOfWrites(tree, 31);
    const r = await raw();
    const from = now - 200 * DAY - 3 * HOUR;
    const to = now - HOUR;
    for (const rootId of [tree.root, tree.communeB]) {
      const stats = await unitStats(db, {
        unitId: rootId,
        now: new Date(now),
        period: { from: new Date(from), to: new Date(to) },
      });
      expect(stats.length).toBeGreaterThan(500);
      for (const s of stats.filter((x) => x.depth <= 2 || x.concernsOpened > 0)) {
        const e = expectedStats(r, rootId, s.unitId, from, to);
        expect(s).toMatchObject(e.stats);
        expect(s.medianFirstAnswerMs).toBe(e.medianFirstAnswerMs);
      }
    }
    const report = await unitReport(db, systemActor(), tree.communeB, {
      from: new Date(from),
      to: new Date(to),
      now: new Date(now),
    });
    const counts = r.tickets.filter(
      (t) =>
        t.createdAt >= from &&
        t.createdAt < to &&
        r.units.find((u) => u.id === t.unitId)!.path.startsWith(r.units.find((u) => u.id === tree.communeB)!.path),
    );
    expect(report.concerns.reduce((n, c) => n + c.count, 0)).toBe(counts.length);
    expect(report.unit.meetingsHeld).toBe(expectedStats(r, tree.communeB, tree.communeB, from, to).stats.meetingsHeld);
    // The monthly series of a large subtree (its meetings walked by time, each one's unit looked up).
    for (const [i, point] of report.monthly.entries()) {
      const end = report.monthly[i + 1]?.start ?? Date.UTC(2027, 2, 31, 17);
      const e = expectedStats(r, tree.communeB, tree.communeB, point.start, end).stats;
      expect(point).toMatchObject({
        meetingsHeld: e.meetingsHeld,
        responseRate: e.responseRate,
        attendanceRate: e.attendanceRate,
      });
    }
    expect(report.monthly.reduce((n, p) => n + p.meetingsHeld, 0)).toBeGreaterThan(10);
  });

  it("should give the report's concerns by category and monthly series equal to those of the raw rows", async () => {
    const tree = await buildData(19);
    await mixOfWrites(tree, 23);
    const r = await raw();
    const from = now - 200 * DAY + 7 * HOUR;
    const report = await unitReport(db, systemActor(), tree.root, {
      from: new Date(from),
      to: new Date(now),
      now: new Date(now),
      timeZone: "Asia/Ho_Chi_Minh",
    });
    const counts = new Map<string, number>();
    for (const t of r.tickets)
      if (t.createdAt >= from && t.createdAt < now)
        counts.set(`${t.category}|${t.status}`, (counts.get(`${t.category}|${t.status}`) ?? 0) + 1);
    const expected = [...counts]
      .map(([k, count]) => ({ category: k.split("|")[0]!, status: k.split("|")[1]!, count }))
      .sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : a.status < b.status ? -1 : 1));
    expect(report.concerns).toEqual(expected);
    // The same through the report's parts on their own.
    expect(await concernsByCategory(db, tree.root, new Date(from), new Date(now))).toEqual(expected);
    expect(await monthlySeries(db, tree.root, new Date(now), "Asia/Ho_Chi_Minh")).toEqual(report.monthly);
    expect(report.monthly).toHaveLength(12);
    for (const point of report.monthly) {
      const end = report.monthly[report.monthly.indexOf(point) + 1]?.start ?? Date.UTC(2027, 2, 31, 17);
      const e = expectedStats(r, tree.root, tree.root, point.start, end).stats;
      expect(point).toMatchObject({
        meetingsHeld: e.meetingsHeld,
        responseRate: e.responseRate,
        attendanceRate: e.attendanceRate,
      });
    }
    expect(report.monthly.reduce((n, p) => n + p.meetingsHeld, 0)).toBeGreaterThan(0);
    expect(report.unit).toMatchObject(expectedStats(r, tree.root, tree.root, from, now).stats);
  });
});
