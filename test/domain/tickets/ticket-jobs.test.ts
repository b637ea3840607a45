import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { closeTicket, createTicket, escalateTicket, takeTicket } from "../../../src/domain/tickets/ticket-service.ts";
import {
  digestSettingKey,
  planTicketJobs,
  runOverdueReportJob,
  runTicketDigestJob,
} from "../../../src/domain/tickets/ticket-jobs.ts";
import { registerJobHandler, runDueJobs } from "../../../src/scheduler/jobs.ts";
import { addTestPerson, type TestPersonOptions } from "../../helpers/people.ts";
import { storedBody } from "../../helpers/outbox.ts";

const HCM = "Asia/Ho_Chi_Minh";
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

const jobs = () =>
  db.kysely
    .selectFrom("ScheduledJob")
    .select(["kind", "dueAt", "expiresAt", "dedupeKey"])
    .orderBy("dueAt")
    .orderBy("id")
    .execute();
const iso = (ms: number) => new Date(ms).toISOString();

/** What each person was sent by jobs of a kind, in order. */
async function messages(kind: "ticket_digest" | "overdue_report") {
  return (
    (
      await db.kysely
        .selectFrom("Outbox")
        .select((eb) => ["personId", storedBody(eb), "dedupeKey"])
        .where("dedupeKey", "like", `${kind}:%`)
        .orderBy("id")
        .execute()
    )
      // The query matched on dedupeKey, and jobs always address a person: neither is null here.
      .map((r) => ({ personId: r.personId ?? -1, text: JSON.parse(r.body).text as string, key: r.dedupeKey ?? "" }))
  );
}

describe("planTicketJobs", () => {
  it("should plan the digest at the next whole hour and the report at the next 08:00 in Vietnam, once", async () => {
    const now = new Date("2026-11-20T03:17:00Z"); // 10:17 in Vietnam
    await planTicketJobs(db, { now, timeZone: HCM });
    await planTicketJobs(db, { now: new Date(now.getTime() + 60_000), timeZone: HCM });
    expect((await jobs()).map((j) => [j.kind, iso(j.dueAt), j.dedupeKey, j.expiresAt && iso(j.expiresAt)])).toEqual([
      ["ticket_digest", "2026-11-20T04:00:00.000Z", "ticket_digest:2026-11-20T04:00:00.000Z", null],
      ["overdue_report", "2026-11-21T01:00:00.000Z", "overdue_report:2026-11-21", "2026-11-21T11:00:00.000Z"],
    ]);
  });

  it("should plan today's report before 08:00 and use the zone's own whole hours", async () => {
    await planTicketJobs(db, { now: new Date("2026-11-19T23:30:00Z"), timeZone: HCM }); // 06:30 on the 20th
    expect((await jobs()).find((j) => j.kind === "overdue_report")).toMatchObject({
      dueAt: Date.parse("2026-11-20T01:00:00Z"),
      dedupeKey: "overdue_report:2026-11-20",
    });
    // India is UTC+05:30: 08:47 there is 03:17Z, and its next whole hour is 03:30Z.
    await planTicketJobs(db, { now: new Date("2026-11-20T03:17:00Z"), timeZone: "Asia/Kolkata" });
    expect((await jobs()).filter((j) => j.kind === "ticket_digest").map((j) => iso(j.dueAt))).toContain(
      "2026-11-20T03:30:00.000Z",
    );
  });
});

describe("runTicketDigestJob", () => {
  async function setup() {
    const cadreA1 = await person(tree.branchA1.id, "Trần Chi Hội Một", { role: "cadre" });
    const officialA = await person(tree.communeA.id, "Phạm Lãnh Đạo Xã", { role: "official" });
    const officialP = await person(tree.province.id, "Đặng Lãnh Đạo Tỉnh", { role: "official", locale: "en" });
    const an = await person(tree.branchA1.id, "Nguyễn Văn An");
    const binh = await person(tree.branchA1.id, "Lê Thị Bình");
    const cuong = await person(tree.branchA2.id, "Võ Văn Cường"); // branch A2 has no cadre: the commune answers
    return { cadreA1, officialA, officialP, an, binh, cuong };
  }

  const run = (id: number, now: Date) =>
    db.transaction(() => runTicketDigestJob(db, { id, dueAt: now.getTime() }, { now, timeZone: HCM }));

  it("should send each handler one message listing the new tickets of their units since the last digest", async () => {
    const s = await setup();
    const old = (
      await createTicket(db, { personId: s.an, text: "Ý kiến từ hôm qua" }, new Date("2026-11-19T03:00:00Z"))
    ).id;
    const t1 = (
      await createTicket(
        db,
        { personId: s.an, text: "Đường vào thôn bị ngập mỗi khi mưa lớn, đề nghị hội kiến nghị xã nâng cấp." },
        new Date("2026-11-20T03:10:00Z"),
      )
    ).id;
    const t2 = (
      await createTicket(db, { personId: s.binh, text: "Xin thăm hỏi hội viên ốm" }, new Date("2026-11-20T03:20:00Z"))
    ).id;
    const t3 = (await createTicket(db, { personId: s.cuong, text: "Đèn đường hỏng" }, new Date("2026-11-20T03:30:00Z")))
      .id;
    const taken = (
      await createTicket(db, { personId: s.binh, text: "Đã có người nhận" }, new Date("2026-11-20T03:40:00Z"))
    ).id;
    await takeTicket(db, { ticketId: taken, personId: s.cadreA1, now: new Date("2026-11-20T03:45:00Z") });

    const outcome = await run(1, new Date("2026-11-20T04:00:00Z"));
    expect(outcome).toEqual({ status: "done", queued: 2, unreachable: 0 });
    expect(await messages("ticket_digest")).toEqual([
      {
        personId: s.cadreA1,
        key: `ticket_digest:1:p:${s.cadreA1}`,
        text: [
          "Có 2 ý kiến mới cần anh/chị xử lý:",
          `#${t1} — Nguyễn Văn An (Chi hội 1) — Đường vào thôn bị ngập mỗi khi mưa lớn, đề nghị hội kiến…`,
          `#${t2} — Lê Thị Bình (Chi hội 1) — Xin thăm hỏi hội viên ốm`,
          "",
          "Gửi /ykien SỐ để xem và trả lời một ý kiến, /ykien để xem tất cả.",
        ].join("\n"),
      },
      {
        personId: s.officialA,
        key: `ticket_digest:1:p:${s.officialA}`,
        text: expect.stringContaining(
          `Có 1 ý kiến mới cần anh/chị xử lý:\n#${t3} — Võ Văn Cường (Chi hội 2) — Đèn đường hỏng`,
        ),
      },
    ]);
    expect(
      (await messages("ticket_digest")).some((m) => m.text.includes(`#${old} `) || m.text.includes(`#${taken} `)),
    ).toBe(false);
    expect(
      JSON.parse(
        (
          await db.kysely
            .selectFrom("Setting")
            .select("value")
            .where("key", "=", digestSettingKey)
            .executeTakeFirstOrThrow()
        ).value,
      ),
    ).toEqual({ ticketId: taken, changeId: expect.any(Number) });
    // The next digests are planned.
    expect((await jobs()).map((j) => j.dedupeKey)).toEqual([
      "ticket_digest:2026-11-20T05:00:00.000Z",
      "overdue_report:2026-11-21",
    ]);
  });

  it("should list only what is new since the last digest, including tickets passed up to a unit", async () => {
    const s = await setup();
    await createTicket(db, { personId: s.an, text: "Cũ" }, new Date("2026-11-20T03:10:00Z"));
    const passedUp = (
      await createTicket(db, { personId: s.an, text: "Vượt thẩm quyền" }, new Date("2026-11-20T03:20:00Z"))
    ).id;
    await run(1, new Date("2026-11-20T04:00:00Z"));
    expect(await run(2, new Date("2026-11-20T05:00:00Z"))).toEqual({ status: "done", queued: 0, unreachable: 0 });

    const fresh = (await createTicket(db, { personId: s.binh, text: "Mới" }, new Date("2026-11-20T05:10:00Z"))).id;
    await escalateTicket(db, {
      ticketId: passedUp,
      personId: s.cadreA1,
      note: null,
      now: new Date("2026-11-20T05:20:00Z"),
    });
    const closedOne = (
      await createTicket(db, { personId: s.binh, text: "Đóng ngay" }, new Date("2026-11-20T05:30:00Z"))
    ).id;
    await closeTicket(db, { ticketId: closedOne, personId: s.cadreA1, now: new Date("2026-11-20T05:31:00Z") });
    await run(3, new Date("2026-11-20T06:00:00Z"));
    const third = (await messages("ticket_digest"))
      .filter((m) => m.key.startsWith("ticket_digest:3:"))
      .sort((a, b) => a.personId - b.personId);
    expect(third.map((m) => m.personId)).toEqual([s.cadreA1, s.officialA]);
    expect(third[0]!.text).toContain(`#${fresh} — Lê Thị Bình`);
    expect(third[0]!.text).not.toContain(`#${passedUp} `);
    expect(third[1]!.text).toContain(
      `Có 1 ý kiến mới cần anh/chị xử lý:\n#${passedUp} — Nguyễn Văn An (Xã Phước Hòa) — Vượt thẩm quyền`,
    );
    expect(third.some((m) => m.text.includes(`#${closedOne} `))).toBe(false);
  });

  it("should cap a long list and count the rest, in the handler's language, and count handlers without an account", async () => {
    const official = await person(tree.communeB.id, "Jane Official", { role: "official", locale: "en" });
    await person(tree.communeB.id, "Cán bộ không dùng chat", { role: "official", linked: false });
    const member = await person(tree.branchB1.id, "Hội viên");
    for (let i = 0; i < 23; i++)
      await createTicket(
        db,
        { personId: member, text: `Ý kiến ${i}` },
        new Date(Date.parse("2026-11-20T03:10:00Z") + i * 1000),
        { perDay: 23 },
      );
    expect(await run(1, new Date("2026-11-20T04:00:00Z"))).toEqual({ status: "done", queued: 1, unreachable: 1 });
    const [message] = await messages("ticket_digest");
    expect(message!.personId).toBe(official);
    const lines = message!.text.split("\n");
    expect(lines[0]).toBe("23 new concerns for you to handle:");
    expect(lines.filter((l) => l.startsWith("#"))).toHaveLength(20);
    expect(lines).toContain("… and 3 more.");
  });
});

describe("runOverdueReportJob", () => {
  it("should send each handler the open tickets of their units that are past due", async () => {
    const cadre = await person(tree.branchA1.id, "Trần Chi Hội", { role: "cadre" });
    const official = await person(tree.communeB.id, "Võ Phường", { role: "official" });
    const an = await person(tree.branchA1.id, "Nguyễn Văn An");
    const cuong = await person(tree.branchB1.id, "Võ Văn Cường");
    const raised = new Date("2026-11-10T03:00:00Z"); // due 17/11
    const late = (await createTicket(db, { personId: an, text: "Đường vào thôn bị ngập" }, raised)).id;
    const done = (await createTicket(db, { personId: an, text: "Đã xong" }, raised)).id;
    await closeTicket(db, { ticketId: done, personId: cadre, now: new Date("2026-11-11T03:00:00Z") });
    const inProgress = (
      await createTicket(db, { personId: cuong, text: "Đèn đường hỏng" }, new Date("2026-11-12T03:00:00Z"))
    ).id;
    await takeTicket(db, { ticketId: inProgress, personId: official, now: new Date("2026-11-13T03:00:00Z") });
    await createTicket(db, { personId: an, text: "Chưa đến hạn" }, new Date("2026-11-19T03:00:00Z"));

    const now = new Date("2026-11-20T01:00:00Z"); // 08:00 on 20/11 in Vietnam
    expect(await db.transaction(() => runOverdueReportJob(db, { id: 7 }, { now, timeZone: HCM }))).toEqual({
      status: "done",
      queued: 2,
      unreachable: 0,
    });
    expect(await messages("overdue_report")).toEqual([
      {
        personId: cadre,
        key: `overdue_report:7:p:${cadre}`,
        text: `Có 1 ý kiến đã quá hạn trả lời:\n#${late} — Nguyễn Văn An (Chi hội 1) — hạn 17/11/2026, quá 2 ngày — Đường vào thôn bị ngập\n\nGửi /ykien SỐ để xem và trả lời một ý kiến, /ykien để xem tất cả.`,
      },
      {
        personId: official,
        key: `overdue_report:7:p:${official}`,
        text: expect.stringContaining(`#${inProgress} — Võ Văn Cường (Chi hội 1) — hạn 19/11/2026, quá 1 ngày`),
      },
    ]);
    expect((await jobs()).map((j) => j.dedupeKey)).toEqual([
      "ticket_digest:2026-11-20T02:00:00.000Z",
      "overdue_report:2026-11-21",
    ]);
  });
});

describe("registerJobHandler", () => {
  it("should run the ticket jobs through the clock's job runner, each planning the next", async () => {
    registerJobHandler("ticket_digest", runTicketDigestJob);
    registerJobHandler("overdue_report", runOverdueReportJob);
    const cadre = await person(tree.branchA1.id, "Cán bộ", { role: "cadre" });
    const member = await person(tree.branchA1.id, "Hội viên");
    await planTicketJobs(db, { now: new Date("2026-11-20T00:10:00Z"), timeZone: HCM });
    await createTicket(db, { personId: member, text: "Ý kiến mới" }, new Date("2026-11-20T00:20:00Z"));
    const work = (iso: string) => runDueJobs(db, { now: new Date(iso), timeZone: HCM, workerId: "test" });
    expect(await work("2026-11-20T01:00:00Z")).toMatchObject({ ran: 2, queued: 1 }); // 08:00: the digest and an empty report
    expect((await messages("ticket_digest")).map((m) => m.personId)).toEqual([cadre]);
    expect(await work("2026-11-20T02:00:00Z")).toMatchObject({ ran: 1, queued: 0 });
    expect(
      await db.kysely
        .selectFrom("ScheduledJob")
        .select(["dedupeKey", "status"])
        .where("status", "=", "pending")
        .orderBy("dueAt")
        .orderBy("id")
        .execute(),
    ).toEqual([
      { dedupeKey: "ticket_digest:2026-11-20T03:00:00.000Z", status: "pending" },
      { dedupeKey: "overdue_report:2026-11-21", status: "pending" },
    ]);
  });
});
