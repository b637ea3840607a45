import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { ensureChatAccount } from "../../../src/domain/accounts/account-service.ts";
import { enqueue, markFinal } from "../../../src/domain/deliveries/outbox-service.ts";
import { getPendingQuestion, setPendingQuestion } from "../../../src/domain/conversation-state.ts";
import {
  createDirective,
  getDirective,
  markRead,
  sendDirective,
} from "../../../src/domain/directives/directive-service.ts";
import { runDirectiveProgressJob, runDirectiveReminderJob } from "../../../src/domain/directives/directive-jobs.ts";
import { registerJobHandler, runDueJobs } from "../../../src/scheduler/jobs.ts";
import { addTestPerson, type TestPersonOptions } from "../../helpers/people.ts";
import { storedBody } from "../../helpers/outbox.ts";

const HCM = "Asia/Ho_Chi_Minh";
const t0 = new Date("2026-11-20T03:00:00Z");
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const DAY = 86_400_000;

let db: TestDatabase;
let tree: TestTree;

beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

const person = (unitId: number, fullName: string, options?: TestPersonOptions) =>
  addTestPerson(db, unitId, fullName, options);

const accountOf = async (personId: number) =>
  (
    await db.kysely
      .selectFrom("ChatAccount")
      .select("id")
      .where("personId", "=", personId)
      .orderBy("id")
      .limit(1)
      .executeTakeFirstOrThrow()
  ).id;
const copyOf = async (directiveId: number, personId: number) =>
  (
    await db.kysely
      .selectFrom("Outbox")
      .select("id")
      .where("dedupeKey", "=", `directive:${directiveId}:p:${personId}`)
      .executeTakeFirstOrThrow()
  ).id;
/** The delivery engine sent the copy (set on the row: the engine itself is tested in test/delivery). */
const sent = (outboxId: number, when = at(2)) =>
  db.kysely.updateTable("Outbox").set({ status: "sent", sentAt: when.getTime() }).where("id", "=", outboxId).execute();
const scheduledJob = (dedupeKey: string) =>
  db.kysely
    .selectFrom("ScheduledJob")
    .select(["dueAt", "dedupeKey", "status"])
    .where("dedupeKey", "=", dedupeKey)
    .executeTakeFirst();
const pendingProgressJobs = async () =>
  (
    await db.kysely
      .selectFrom("ScheduledJob")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("kind", "=", "directive_progress")
      .where("status", "=", "pending")
      .executeTakeFirstOrThrow()
  ).n;
const deliveryOf = (directiveId: number, personId: number) =>
  db.kysely
    .selectFrom("DirectiveDelivery")
    .selectAll()
    .where("directiveId", "=", directiveId)
    .where("personId", "=", personId)
    .executeTakeFirstOrThrow();

/** A branch cadre sends a notice to branch A1: the cadre, three linked members, one not linked. */
async function setup(options: { senderAccount?: boolean } = {}) {
  const cadre = await person(tree.branchA1.id, "Trần Chi Hội", { role: "cadre" });
  const a = await person(tree.branchA1.id, "An");
  const b = await person(tree.branchA1.id, "Bình", { locale: "en" });
  const c = await person(tree.branchA1.id, "Cường");
  const u = await person(tree.branchA1.id, "Út", { linked: false });
  const d = await createDirective(
    db,
    {
      unitId: tree.branchA1.id,
      kind: "thong_bao",
      title: "Lịch tiêm phòng",
      summary: "Tiêm phòng cúm cho hội viên trên 60 tuổi vào thứ Bảy.",
      createdById: cadre,
    },
    t0,
  );
  await sendDirective(db, d.id, {
    now: at(0),
    byPersonId: cadre,
    senderAccountId: options.senderAccount === false ? null : await accountOf(cadre),
  });
  return { cadre, a, b, c, u, id: d.id };
}

/** Runs a job row the way the clock does: in one transaction. */
async function runProgress(directiveId: number, now: Date) {
  const job = await db.kysely
    .selectFrom("ScheduledJob")
    .select(["id", "entityId"])
    .where("kind", "=", "directive_progress")
    .where("entityId", "=", directiveId)
    .where("status", "=", "pending")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirstOrThrow();
  const outcome = await db.transaction(() =>
    runDirectiveProgressJob(db, { id: job.id, entityId: job.entityId! }, { now, timeZone: HCM }),
  );
  await db.kysely.updateTable("ScheduledJob").set({ status: outcome.status }).where("id", "=", job.id).execute();
  return outcome;
}

const reportsTo = async (personId: number) =>
  (
    await db.kysely
      .selectFrom("Outbox")
      .select((eb) => [storedBody(eb), "dedupeKey", "chatAccountId"])
      .where("personId", "=", personId)
      .where("dedupeKey", "like", "directive_progress:%")
      .orderBy("id")
      .execute()
  ).map((r) => ({ text: JSON.parse(r.body).text as string, key: r.dedupeKey, account: r.chatAccountId }));

describe("runDirectiveProgressJob", () => {
  it("should report progress to the sender when it changed, re-plan every two minutes and send the final tally when done", async () => {
    const s = await setup();
    await sent(await copyOf(s.id, s.a));
    await sent(await copyOf(s.id, s.cadre));
    expect(await runProgress(s.id, at(1))).toMatchObject({ status: "done", queued: 1 });
    expect((await reportsTo(s.cadre)).map((r) => r.text)).toEqual([
      `Văn bản #${s.id} "Lịch tiêm phòng": đã gửi 2/4 người, còn 2 tin đang chờ gửi.`,
    ]);
    expect(await scheduledJob(`directive_progress:${s.id}:2`)).toEqual({
      dueAt: at(1).getTime() + 120_000,
      dedupeKey: `directive_progress:${s.id}:2`,
      status: "pending",
    });

    // Nothing changed: no message, but it keeps watching.
    expect(await runProgress(s.id, at(3))).toMatchObject({ status: "done", queued: 0 });
    expect(await reportsTo(s.cadre)).toHaveLength(1);
    expect(await scheduledJob(`directive_progress:${s.id}:3`)).toBeDefined();

    await sent(await copyOf(s.id, s.b));
    await markFinal(db, { id: await copyOf(s.id, s.c), status: "unreachable", now: at(4) });
    await markRead(db, { directiveId: s.id, personId: s.a, viaAccountId: null, now: at(4) });
    await runProgress(s.id, at(5));
    const reports = await reportsTo(s.cadre);
    expect(reports.at(-1)!.text).toBe(
      `Đã gửi xong văn bản #${s.id} "Lịch tiêm phòng" (5 người):\n• Đã nhận: 3\n• Không gửi được: 1\n• Chưa liên kết tài khoản chat: 1\n• Đã xác nhận đọc: 1`,
    );
    expect(reports.at(-1)!.key).toBe(`directive_progress:${s.id}:final`);
    const cadreAccount = await accountOf(s.cadre);
    expect(reports.every((r) => r.account === cadreAccount)).toBe(true);
    expect((await getDirective(db, s.id)).status).toBe("sent");
    expect(await pendingProgressJobs()).toBe(0);
    expect(
      JSON.parse(
        (
          await db.kysely
            .selectFrom("Setting")
            .select("value")
            .where("key", "=", `directive.progress.${s.id}`)
            .executeTakeFirstOrThrow()
        ).value,
      ),
    ).toEqual({
      personId: s.cadre,
      accountId: await accountOf(s.cadre),
      sent: 3,
      unreachable: 1,
      total: 5,
      final: true,
    });
    // The deliveries now tell what happened without the outbox.
    expect(
      await db.kysely
        .selectFrom("DirectiveDelivery")
        .select(["personId", "status"])
        .where("directiveId", "=", s.id)
        .orderBy("personId")
        .execute(),
    ).toEqual([
      { personId: s.cadre, status: "sent" },
      { personId: s.a, status: "sent" },
      { personId: s.b, status: "sent" },
      { personId: s.c, status: "unreachable" },
      { personId: s.u, status: "not_linked" },
    ]);
    expect((await deliveryOf(s.id, s.a)).sentAt).toBe(at(2).getTime());
  });

  it("should stop reporting after three days with copies still waiting, and tell the sender so", async () => {
    const s = await setup();
    await sent(await copyOf(s.id, s.a));
    await runProgress(s.id, at(1));
    await runProgress(s.id, new Date(t0.getTime() + 3 * DAY));
    const last = (await reportsTo(s.cadre)).at(-1)!;
    expect(last.text).toContain("sau 3 ngày vẫn còn 3 tin chưa gửi được");
    expect(last.text).toContain("• Đã nhận: 1/5");
    expect((await getDirective(db, s.id)).status).toBe("sent");
    expect(await pendingProgressJobs()).toBe(0);
  });

  it("should report to the sender's delivery account and in their language when the sending account is not known", async () => {
    const cadre = await person(tree.branchA1.id, "Jane", { role: "cadre", locale: "en" });
    const d = await createDirective(
      db,
      { unitId: tree.branchA1.id, kind: "thong_bao", title: "Notice", summary: "Text", createdById: cadre },
      t0,
    );
    await sendDirective(db, d.id, { now: at(0), byPersonId: cadre });
    await sent(await copyOf(d.id, cadre));
    await runProgress(d.id, at(1));
    expect(await reportsTo(cadre)).toEqual([
      {
        text: expect.stringContaining(`Document #${d.id} "Notice": sending finished. Recipients: 1`),
        key: `directive_progress:${d.id}:final`,
        account: await accountOf(cadre),
      },
    ]);
  });

  it("should skip a directive that is gone or already finished", async () => {
    const s = await setup();
    await db.kysely.updateTable("Directive").set({ status: "sent" }).where("id", "=", s.id).execute();
    expect(await runProgress(s.id, at(1))).toEqual({ status: "skipped", queued: 0, unreachable: 0 });
    expect(
      await db.transaction(() =>
        runDirectiveProgressJob(db, { id: 999, entityId: 4242 }, { now: at(1), timeZone: HCM }),
      ),
    ).toEqual({ status: "skipped", queued: 0, unreachable: 0 });
  });
});

describe("runDirectiveReminderJob", () => {
  async function runReminder(directiveId: number, now: Date) {
    const job = await db.kysely
      .selectFrom("ScheduledJob")
      .select(["id", "entityId"])
      .where("dedupeKey", "=", `directive_reminder:${directiveId}`)
      .executeTakeFirstOrThrow();
    return db.transaction(() =>
      runDirectiveReminderJob(db, { id: job.id, entityId: job.entityId! }, { now, timeZone: HCM }),
    );
  }

  it("should remind once the people whose copy arrived and who have not read it, with the Đã đọc button", async () => {
    const s = await setup();
    await person(tree.branchA1.id, "Em"); // joined after the sending: got no copy, gets no reminder
    await sent(await copyOf(s.id, s.cadre));
    await sent(await copyOf(s.id, s.a));
    await sent(await copyOf(s.id, s.b));
    await markFinal(db, { id: await copyOf(s.id, s.c), status: "unreachable", now: at(2) }); // C blocked the bot: no copy arrived
    await markRead(db, { directiveId: s.id, personId: s.cadre, viaAccountId: null, now: at(3) });
    const reminderAt = new Date(t0.getTime() + 3 * DAY);
    await setPendingQuestion(db, {
      chatAccountId: await accountOf(s.b),
      kind: "rsvp_reason",
      data: { meetingId: 1 },
      expiresAt: new Date(reminderAt.getTime() + 3_600_000),
      now: reminderAt,
    });

    expect(await runReminder(s.id, reminderAt)).toEqual({ status: "done", queued: 2, unreachable: 0 });
    const rows = await db.kysely
      .selectFrom("Outbox")
      .select((eb) => ["personId", storedBody(eb), "priority", "chatAccountId", "entityType", "entityId"])
      .where("dedupeKey", "like", "directive_reminder:%")
      .orderBy("personId")
      .execute();
    expect(rows.map((r) => r.personId)).toEqual([s.a, s.b]);
    const vi = JSON.parse(rows[0]!.body);
    expect(vi.text).toMatch(
      /^Nhắc lại: anh\/chị chưa xác nhận đã đọc văn bản dưới đây\.\n\n📄 Thông báo\nLịch tiêm phòng/,
    );
    expect(vi.choices).toEqual([{ label: "Đã đọc", payload: `read:${s.id}` }]);
    expect(JSON.parse(rows[1]!.body).text).toMatch(/^Reminder: you have not yet confirmed reading/);
    expect(rows[0]).toMatchObject({
      priority: 9,
      chatAccountId: await accountOf(s.a),
      entityType: "Directive",
      entityId: s.id,
    });
    expect(
      await db.kysely
        .selectFrom("DirectiveDelivery")
        .select("personId")
        .where("directiveId", "=", s.id)
        .where("remindedAt", "=", reminderAt.getTime())
        .orderBy("personId")
        .execute(),
    ).toEqual([{ personId: s.a }, { personId: s.b }]);
    expect(await getPendingQuestion(db, await accountOf(s.a), reminderAt)).toEqual({
      kind: "directive",
      data: { directiveId: s.id, choices: [`read:${s.id}`] },
      expiresAt: reminderAt.getTime() + 7 * DAY,
    });
    expect((await getPendingQuestion(db, await accountOf(s.b), reminderAt))?.kind).toBe("rsvp_reason");
    expect(await runReminder(s.id, new Date(reminderAt.getTime() + 60_000))).toEqual({
      status: "done",
      queued: 0,
      unreachable: 0,
    });
  });

  it("should count as unreachable a non-reader who has no reachable account any more", async () => {
    const s = await setup();
    await sent(await copyOf(s.id, s.a));
    await db.kysely.updateTable("ChatAccount").set({ unreachable: true }).where("personId", "=", s.a).execute();
    expect(await runReminder(s.id, new Date(t0.getTime() + 3 * DAY))).toEqual({
      status: "done",
      queued: 0,
      unreachable: 1,
    });
    expect((await deliveryOf(s.id, s.a)).remindedAt).toBeNull();
  });

  it("should remind a person whose copy reached their other account", async () => {
    const s = await setup();
    await markFinal(db, { id: await copyOf(s.id, s.a), status: "unreachable", now: at(2) });
    const zalo = await ensureChatAccount(db, { platform: "zalo", externalId: "z-an" });
    const telegram = await accountOf(s.a);
    await db.kysely
      .updateTable("ChatAccount")
      .set({ personId: s.a, linkedAt: t0.getTime() })
      .where("id", "=", zalo.id)
      .execute();
    await db.kysely.updateTable("ChatAccount").set({ unreachable: true }).where("id", "=", telegram).execute();
    const fallback = (await enqueue(
      db,
      {
        platform: "zalo",
        chatId: "z-an",
        chatAccountId: zalo.id,
        personId: s.a,
        body: { text: "…" },
        dedupeKey: `directive:${s.id}:p:${s.a}:fallback:${zalo.id}`,
      },
      at(2),
    ))!;
    await sent(fallback);
    expect(await runReminder(s.id, new Date(t0.getTime() + 3 * DAY))).toMatchObject({ queued: 1 });
    expect(
      await db.kysely
        .selectFrom("Outbox")
        .select("chatAccountId")
        .where("dedupeKey", "=", `directive_reminder:${s.id}:p:${s.a}`)
        .executeTakeFirst(),
    ).toEqual({ chatAccountId: zalo.id });
  });
});

describe("registerJobHandler", () => {
  it("should run the directive jobs through the clock's job runner", async () => {
    registerJobHandler("directive_progress", runDirectiveProgressJob);
    registerJobHandler("directive_reminder", runDirectiveReminderJob);
    const s = await setup();
    for (const p of [s.cadre, s.a, s.b, s.c]) await sent(await copyOf(s.id, p));
    const work = (now: Date) => runDueJobs(db, { now, timeZone: HCM, workerId: "test" });
    expect(await work(at(1))).toMatchObject({ ran: 1, queued: 1 });
    expect((await getDirective(db, s.id)).status).toBe("sent");
    expect(await work(new Date(t0.getTime() + 3 * DAY))).toMatchObject({ ran: 1, queued: 4 });
    expect(await db.kysely.selectFrom("ScheduledJob").select(["kind", "status"]).orderBy("id").execute()).toEqual([
      { kind: "directive_progress", status: "done" },
      { kind: "directive_reminder", status: "done" },
    ]);
  });
});
