import type { NotNull } from "kysely";
import { personActor, systemActor } from "../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/test-db.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { openDatabase, type Database } from "../../src/storage/database.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { getPendingQuestion } from "../../src/domain/conversation-state.ts";
import { parseRecurrence } from "../../src/domain/meetings/recurrence.ts";
import { createSeries, type MeetingRow } from "../../src/domain/meetings/meeting-service.ts";
import { recordRsvp } from "../../src/domain/meetings/rsvp-service.ts";
import { Clock, HORIZON_SETTING_KEY } from "../../src/scheduler/clock.ts";
import { addTestPerson, type TestPersonOptions } from "../helpers/people.ts";
import { storedBody } from "../helpers/outbox.ts";

const HCM = "Asia/Ho_Chi_Minh";
const MINUTE = 60_000;
const logger = createLogger("silent");

let db: TestDatabase;
let tree: TestTree;

beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

const person = (unitId: number, fullName: string, options?: TestPersonOptions) =>
  addTestPerson(db, unitId, fullName, options);

interface OutboxView {
  personId: number;
  createdAt: number;
  notBefore: number;
  dedupeKey: string;
  body: string;
  chatId: string;
  chatAccountId: number;
}

async function outbox(database: Database = db): Promise<OutboxView[]> {
  // Every message the clock queues names its person, account and dedupe key.
  return await database.kysely
    .selectFrom("Outbox")
    .select((eb) => ["personId", "createdAt", "notBefore", "dedupeKey", storedBody(eb), "chatId", "chatAccountId"])
    .orderBy("id")
    .$narrowType<{ personId: NotNull; dedupeKey: NotNull; chatAccountId: NotNull }>()
    .execute();
}

/** Outbox rows counted by the instant they were queued. */
function histogram(rows: OutboxView[]): Record<string, number> {
  const h: Record<string, number> = {};
  for (const r of rows) {
    const at = new Date(r.createdAt).toISOString();
    h[at] = (h[at] ?? 0) + 1;
  }
  return h;
}

/** An injected clock: `at` moves it, `walk` ticks every minute from the current time to `to`. */
function testClock(database: Database, start: string) {
  let current = new Date(start);
  const clock = new Clock(database, { timeZone: HCM, logger, now: () => current });
  return {
    clock,
    get now() {
      return current;
    },
    async at(iso: string) {
      current = new Date(iso);
      return clock.tick();
    },
    async walk(toIso: string, onMinute?: (now: Date) => unknown) {
      const to = new Date(toIso).getTime();
      for (let t = current.getTime(); t <= to; t += MINUTE) {
        current = new Date(t);
        await onMinute?.(current);
        await clock.tick();
      }
    },
  };
}

/** "ngày 5 hằng tháng lúc 19:30", created on 20/11/2026 at 10:00 in Vietnam, for a branch of five. */
async function monthlySeries() {
  const a = await person(tree.branchA1.id, "Nguyễn Văn An");
  const b = await person(tree.branchA1.id, "Trần Thị Bình");
  const c = await person(tree.branchA1.id, "Lê Văn Cường", { locale: "en" });
  const u = await person(tree.branchA1.id, "Phạm Văn Út", { linked: false });
  const k = await person(tree.branchA1.id, "Hoàng Văn Khải", { role: "cadre" });
  const parsed = parseRecurrence("ngày 5 hằng tháng lúc 19:30");
  expect(parsed.rule).toEqual({ kind: "monthly_day", day: 5 });
  const { seriesId, meetings } = await createSeries(
    db,
    {
      unitId: tree.branchA1.id,
      title: "Sinh hoạt chi hội định kỳ",
      place: "Nhà văn hóa thôn",
      agenda: "Thu hội phí quý IV",
      rule: parsed.rule,
      time: parsed.time!,
    },
    { actor: systemActor(), now: new Date("2026-11-20T03:00:00Z"), timeZone: HCM },
  );
  return { a, b, c, u, k, seriesId, meetings };
}

async function jobStatuses(meetingId: number): Promise<Record<string, string>> {
  const rows = await db.kysely
    .selectFrom("ScheduledJob")
    .select(["kind", "dueAt", "status"])
    .where("meetingId", "=", meetingId)
    .orderBy("dueAt")
    .execute();
  return Object.fromEntries(rows.map((r) => [`${r.kind}@${new Date(r.dueAt).toISOString()}`, r.status]));
}

describe("Clock.tick", () => {
  // 22,000 ticks, each a few statements: about a minute on PostgreSQL (round trips), more under load.
  it("should send a monthly series' reminders at 08:00 Vietnam time three days before and two hours before, and nothing at any other minute", {
    timeout: 240_000,
  }, async () => {
    const { a, b, c, k, meetings } = await monthlySeries();
    expect(meetings.map((m) => new Date(m.startsAt).toISOString())).toEqual([
      "2026-12-05T12:30:00.000Z",
      "2027-01-05T12:30:00.000Z",
    ]);
    const december = meetings[0]!;
    const t = testClock(db, "2026-11-20T03:00:00Z");
    // Walk every minute from creation to the morning after the meeting (Dec 6, 00:00 in Vietnam).
    await t.walk("2026-12-05T17:00:00Z", async (now) => {
      if (now.toISOString() === "2026-12-03T02:00:00.000Z") {
        await recordRsvp(
          db,
          { meetingId: december.id, personId: b, answer: "absent", reason: "Đi khám bệnh", actor: personActor(b) },
          now,
        );
        await recordRsvp(db, { meetingId: december.id, personId: c, answer: "attend", actor: personActor(c) }, now);
      }
    });
    const rows = await outbox();
    expect(histogram(rows)).toEqual({
      "2026-12-02T01:00:00.000Z": 4, // 08:00 on 02/12 in Vietnam: A, B, C, K (U is not linked)
      "2026-12-04T12:30:00.000Z": 2, // nudge 24 h before: A and K have not answered
      "2026-12-05T09:30:00.000Z": 1, // tally 3 h before, to the cadre
      "2026-12-05T10:30:00.000Z": 3, // 17:30, two hours before: all but B, who is excused
      "2026-12-05T14:30:00.000Z": 1, // attendance prompt at the end, to the cadre
    });
    for (const r of rows) expect(r.notBefore).toBe(r.createdAt);
    const first = rows.filter((r) => r.createdAt === Date.parse("2026-12-02T01:00:00Z"));
    expect(first.map((r) => r.personId).sort((x, y) => x - y)).toEqual([a, b, c, k].sort((x, y) => x - y));
    const textOf = (personId: number, at: string) =>
      JSON.parse(rows.find((r) => r.personId === personId && r.createdAt === Date.parse(at))!.body);
    const vi = textOf(a, "2026-12-02T01:00:00Z");
    expect(vi.text).toContain("19:30 thứ Bảy, 05/12/2026");
    expect(vi.text).toContain("Nhà văn hóa thôn");
    expect(vi.choices.map((ch: { payload: string }) => ch.payload)).toEqual([
      `rsvp:${december.id}:attend`,
      `rsvp:${december.id}:absent`,
      `rsvp:${december.id}:unsure`,
    ]);
    expect(textOf(c, "2026-12-02T01:00:00Z").text).toContain("19:30 Saturday, 05/12/2026");
    expect(textOf(k, "2026-12-05T09:30:00Z").text).toContain("Trần Thị Bình (Đi khám bệnh)");
    expect(textOf(k, "2026-12-05T14:30:00Z").text).toContain(`/diemdanh ${december.id}`);
    // The January meeting's reminders are still ahead; its jobs are pending.
    const january = meetings[1]!;
    expect(Object.values(await jobStatuses(january.id)).every((s) => s === "pending")).toBe(true);
    expect(Object.values(await jobStatuses(december.id))).toEqual(["done", "done", "done", "done", "done"]);
  });

  it("should open the rsvp question on each reminded account until the meeting starts", async () => {
    const { a, meetings } = await monthlySeries();
    const t = testClock(db, "2026-12-02T00:58:00Z");
    await t.walk("2026-12-02T01:00:00Z");
    const accountId = (await outbox()).find((r) => r.personId === a)!.chatAccountId;
    const question = await getPendingQuestion(db, accountId, t.now);
    expect(question).toMatchObject({
      kind: "rsvp",
      data: { meetingId: meetings[0]!.id },
      expiresAt: meetings[0]!.startsAt,
    });
  });

  it("should continue after a restart on the same file without sending anything twice", async () => {
    await monthlySeries();
    const before = testClock(db, "2026-12-02T00:55:00Z");
    await before.walk("2026-12-02T01:03:00Z");
    await before.clock.stop();
    expect(await outbox()).toHaveLength(4);

    // The "restarted" service: a new connection and a new clock, re-running the same minutes.
    const reopened = await openDatabase(db.url);
    try {
      const after = testClock(reopened, "2026-12-02T00:59:00Z");
      await after.walk("2026-12-02T01:05:00Z");
      expect(await outbox(reopened)).toHaveLength(4);
      // Both the old and the new process tick through the two-hours-before reminder, interleaved.
      const old = testClock(db, "2026-12-05T10:25:00Z");
      const fresh = testClock(reopened, "2026-12-05T10:25:00Z");
      for (let t = Date.parse("2026-12-05T10:25:00Z"); t <= Date.parse("2026-12-05T10:35:00Z"); t += MINUTE) {
        await old.at(new Date(t).toISOString());
        await fresh.at(new Date(t).toISOString());
      }
      expect(histogram(await outbox(reopened))["2026-12-05T10:30:00.000Z"]).toBe(4);
      const perJobAndPerson = await db.kysely
        .selectFrom("Outbox")
        .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.count<number>("dedupeKey").distinct().as("d")])
        .executeTakeFirstOrThrow();
      expect(perJobAndPerson.n).toBe(perJobAndPerson.d);
    } finally {
      await reopened.close();
    }
  });

  it("should catch up a reminder missed during downtime while the meeting is ahead, and skip what has lost its point", async () => {
    const { meetings } = await monthlySeries();
    const december: MeetingRow = meetings[0]!;
    const t = testClock(db, "2026-11-30T00:00:00Z");
    await t.clock.tick();
    expect(await outbox()).toHaveLength(0);
    // Down from 30/11 to 03/12 12:00 in Vietnam: the 08:00 reminder of 02/12 goes out at restart.
    // (Counts are read from the meeting's own jobs: the clock also runs ticket digests.)
    await t.at("2026-12-03T05:00:00Z");
    expect((await jobStatuses(december.id))["reminder@2026-12-02T01:00:00.000Z"]).toBe("done");
    expect(histogram(await outbox())).toEqual({ "2026-12-03T05:00:00.000Z": 4 });
    // Down again from 04/12 until 20:00 on 05/12, after the start: nudge, tally and the 2-hour
    // reminder are skipped unsent; the attendance prompt waits for the end and then goes out.
    await t.at("2026-12-05T13:00:00Z");
    expect(Object.values(await jobStatuses(december.id)).filter((st) => st === "skipped")).toHaveLength(3);
    expect(await outbox()).toHaveLength(4);
    await t.at("2026-12-05T14:30:00Z");
    expect(await outbox()).toHaveLength(5);
    expect(await jobStatuses(december.id)).toEqual({
      "reminder@2026-12-02T01:00:00.000Z": "done",
      "nudge@2026-12-04T12:30:00.000Z": "skipped",
      "tally@2026-12-05T09:30:00.000Z": "skipped",
      "reminder@2026-12-05T10:30:00.000Z": "skipped",
      "attendance_prompt@2026-12-05T14:30:00.000Z": "done",
    });
  });

  it("should materialise new occurrences of a series at most hourly, tracked in the Setting table", async () => {
    const { seriesId } = await monthlySeries();
    const count = async () =>
      (
        await db.kysely
          .selectFrom("Meeting")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("seriesId", "=", seriesId)
          .executeTakeFirstOrThrow()
      ).n;
    const stamp = async () =>
      (await db.kysely.selectFrom("Setting").select("value").where("key", "=", HORIZON_SETTING_KEY).executeTakeFirst())
        ?.value;
    expect(await count()).toBe(2);
    const t = testClock(db, "2026-12-10T00:00:00Z");
    await t.clock.tick(); // 10/12 + 62 days reaches 05/02
    expect(await count()).toBe(3);
    expect(await stamp()).toBe(String(Date.parse("2026-12-10T00:00:00Z")));
    await t.at("2026-12-10T00:59:00Z");
    expect(await stamp()).toBe(String(Date.parse("2026-12-10T00:00:00Z")));
    // A new process within the hour does not redo it either: the stamp is in the database.
    const other = testClock(db, "2026-12-10T00:30:00Z");
    await other.clock.tick();
    expect(await stamp()).toBe(String(Date.parse("2026-12-10T00:00:00Z")));
    await t.at("2027-01-06T00:00:00Z");
    expect(await stamp()).toBe(String(Date.parse("2027-01-06T00:00:00Z")));
    expect(await count()).toBe(4); // 05/03 joined
  });

  it("should wake the delivery engine only when a tick queued messages", async () => {
    await monthlySeries();
    let wakes = 0;
    let current = new Date("2026-12-02T00:59:00Z");
    const clock = new Clock(db, { timeZone: HCM, logger, now: () => current, onQueued: () => wakes++ });
    await clock.tick();
    expect(wakes).toBe(0);
    current = new Date("2026-12-02T01:00:00Z");
    await clock.tick();
    expect(wakes).toBe(1);
  });
});

describe("Clock.start", () => {
  it("should tick once at start and stop cleanly", async () => {
    await monthlySeries();
    const current = new Date("2026-12-03T05:00:00Z");
    const clock = new Clock(db, { timeZone: HCM, logger, now: () => current });
    clock.start();
    await clock.stop();
    expect(await outbox()).toHaveLength(4);
  });
});
