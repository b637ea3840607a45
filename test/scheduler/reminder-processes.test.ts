/**
 * PostgreSQL only (skipped without TEST_DATABASE_URL, as the other multi-process tests): three
 * real service processes (`chihoi start`, the whole service: clock, delivery engine, Telegram
 * channel) on one database, against the local fake Bot API. A meeting's reminder falls due while
 * all three run; their clocks tick at the same minute (node-cron, second 0) and race for it.
 * Every invited member gets exactly one reminder, and the job runs in exactly one process.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testPostgresUrl, type TestDatabase } from "../helpers/test-db.ts";
import { Processes, until, type ChildLine } from "../helpers/processes.ts";
import { startFakeTelegram } from "../helpers/telegram.ts";
import { buildTree } from "../helpers/tree.ts";
import type { FakeTelegramServer } from "../fakes/telegram-server.ts";
import { systemActor } from "../../src/domain/access/actor.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { ensureChatAccount } from "../../src/domain/accounts/account-service.ts";
import { linkByPhone } from "../../src/domain/linking/link-service.ts";
import { createMeeting } from "../../src/domain/meetings/meeting-service.ts";
import { setReminderPlan } from "../../src/domain/meetings/reminder-plan.ts";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/chihoi.js");
const HCM = "Asia/Ho_Chi_Minh";
const MINUTE = 60_000;

/** A line of the service's own log (pino JSON). */
interface LogLine extends ChildLine {
  msg?: string;
  ran?: number;
  skipped?: number;
  queued?: number;
}

const processes = new Processes();
let db: TestDatabase | undefined;
let fake: FakeTelegramServer | undefined;

afterEach(async () => {
  await processes.killAll();
  await fake?.stop();
  fake = undefined;
  await db?.destroy();
  db = undefined;
});

describe.skipIf(!testPostgresUrl)("a reminder due while three service processes run on one PostgreSQL", () => {
  it("should be sent once to every invited member, by one process", async () => {
    db = await createTestDatabase({ engine: "postgresql" }); // migrated before the services start
    fake = await startFakeTelegram({ latencyMs: 10 });
    const tree = await buildTree(db);
    const unit = tree.branchA1.id;
    // One reminder two hours before, nothing else before the start: what goes out is the reminder.
    await setReminderPlan(db, {
      target: { unitId: unit },
      plan: { offsets: [{ minutesBefore: 120 }], nudgeMinutesBefore: 0, tallyMinutesBefore: 0 },
      actor: systemActor(),
    });
    // Enough members that running the job (a transaction queueing one message each) takes a while:
    // a second process reading the job as pending meanwhile would run it again.
    const members = 80;
    const chats: string[] = [];
    for (let i = 0; i < members; i++) {
      const phone = `09${String(71_000_000 + i)}`;
      const person = await createPerson(db, { fullName: `Hội viên ${i}`, phone });
      await addMembership(db, { actor: systemActor(), personId: person.id, unitId: unit, role: "member" });
      const chatId = String(500_000 + i);
      await linkByPhone(db, (await ensureChatAccount(db, { platform: "telegram", externalId: chatId })).id, phone);
      chats.push(chatId);
    }

    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: db.url,
      PORT: "0",
      DEMO_MODE: "off",
      LOG_LEVEL: "info",
      APP_TIMEZONE: HCM,
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
    };
    const startedAt = Date.now();
    const services = [0, 1, 2].map(() => processes.start<LogLine>(bin, ["start"], { env }));
    // The banner is printed once the service runs (its clock started).
    await until(() => services.every((s) => s.text.length > 0), "three services to start", 90_000, 100);

    // The reminder falls due at the next minute (at least 3 s away), when every clock ticks.
    const dueAt = Math.ceil((Date.now() + 3000) / MINUTE) * MINUTE;
    const meeting = await createMeeting(
      db,
      { unitId: unit, title: "Sinh hoạt chi hội tháng 12", startsAt: new Date(dueAt + 120 * MINUTE) },
      { now: new Date(), timeZone: HCM, actor: systemActor() },
    );
    const reminder = await db.kysely
      .selectFrom("ScheduledJob")
      .select(["id", "dueAt", "status"])
      .where("meetingId", "=", meeting.id)
      .where("kind", "=", "reminder")
      .execute();
    expect(reminder).toEqual([{ id: reminder[0]!.id, dueAt, status: "pending" }]);

    await until(() => Date.now() >= dueAt - 500, "shortly before the reminder is due", 70_000, 100);
    expect(fake.sentCount(), "nothing sent before the reminder is due").toBe(0);
    await until(
      () => new Set(fake!.sent().map((s) => String(s.chat_id))).size >= members,
      "every member reminded",
      60_000,
      100,
    );
    // Room for a second run's copies to arrive, were there one.
    await new Promise((r) => setTimeout(r, 3000));
    const stillRunning = services.filter((s) => s.proc.exitCode === null && s.proc.signalCode === null);
    expect(stillRunning.length, "all three services ran throughout").toBe(3);
    for (const s of services) await processes.stop(s);

    // Every member exactly once, with the reminder.
    const perChat = new Map<string, number>();
    for (const s of fake.sent()) perChat.set(String(s.chat_id), (perChat.get(String(s.chat_id)) ?? 0) + 1);
    expect([...perChat.keys()].sort()).toEqual([...chats].sort());
    expect([...perChat.values()].every((n) => n === 1)).toBe(true);
    expect(fake.sent().every((s) => s.text.includes("Sinh hoạt chi hội tháng 12"))).toBe(true);

    // The job ran once: done, and the processes' logs together account for every job that ended
    // since they started, each once (a job run by two processes would be counted twice; the
    // outbox's dedupe keys would hide the second run's messages, the count does not).
    const job = await db.kysely
      .selectFrom("ScheduledJob")
      .select(["status", "claimedBy"])
      .where("id", "=", reminder[0]!.id)
      .executeTakeFirstOrThrow();
    expect(job.status).toBe("done");
    const ended = await db.kysely
      .selectFrom("ScheduledJob")
      .select("id")
      .where("status", "in", ["done", "skipped"])
      .where("doneAt", ">=", startedAt)
      .execute();
    const runs = services.flatMap((s) => s.lines.filter((l) => l.msg === "scheduled jobs run"));
    expect(runs.reduce((n, l) => n + (l.ran ?? 0) + (l.skipped ?? 0), 0)).toBe(ended.length);
    const queuedBy = runs.filter((l) => (l.queued ?? 0) > 0);
    expect(queuedBy.map((l) => l.queued)).toEqual([members]);
    expect(job.claimedBy).toContain(`:${queuedBy[0]!.pid}:`);
    const outbox = await db.kysely
      .selectFrom("Outbox")
      .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
      .where("entityType", "=", "Meeting")
      .where("entityId", "=", meeting.id)
      .groupBy("status")
      .execute();
    expect(outbox.map((r) => ({ status: r.status, n: Number(r.n) }))).toEqual([{ status: "sent", n: members }]);
  }, 240_000);
});
