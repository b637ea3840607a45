import { describe, expect, it } from "vitest";
import { unitReport } from "../../../src/domain/reports/unit-report.ts";
import { queryAuditLog } from "../../../src/domain/audit/audit-query.ts";
import { recordAudit } from "../../../src/domain/audit/audit-service.ts";
import { personActor, systemActor } from "../../../src/domain/access/actor.ts";
import { answerTicket, createTicket } from "../../../src/domain/tickets/ticket-service.ts";
import { createDirective, markRead, sendDirective } from "../../../src/domain/directives/directive-service.ts";
import { ensureChatAccount } from "../../../src/domain/accounts/account-service.ts";
import type { Database } from "../../../src/storage/database.ts";
import { addTestPerson } from "../../helpers/people.ts";
import { useTreeDatabase } from "../../helpers/tree.ts";

const ctx = useTreeDatabase();
const now = new Date("2027-03-15T03:00:00Z");
const hours = (h: number) => new Date(now.getTime() - h * 3_600_000);

/** A past meeting with answers and (optionally) attendance, written as the chat would have left it. */
async function pastMeeting(
  db: Database,
  unitId: number,
  startsAt: Date,
  answers: [number, "attend" | "absent" | "unsure"][],
  present?: number[],
): Promise<number> {
  const { id } = await db.kysely
    .insertInto("Meeting")
    .values({
      unitId,
      title: "Sinh hoạt",
      startsAt: startsAt.getTime(),
      endsAt: startsAt.getTime() + 7_200_000,
      createdAt: startsAt.getTime() - 86_400_000,
      updatedAt: startsAt.getTime(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const [personId, answer] of answers)
    await db.kysely
      .insertInto("Rsvp")
      .values({ meetingId: id, personId, answer, answeredAt: startsAt.getTime() - 3_600_000 })
      .execute();
  // Attendance is recorded as a checklist over everyone who answered: ticked or not.
  if (present)
    for (const [personId] of answers)
      await db.kysely
        .insertInto("Attendance")
        .values({ meetingId: id, personId, present: present.includes(personId), recordedAt: startsAt.getTime() })
        .execute();
  return id;
}

describe("unitReport", () => {
  it("should give the unit and each child side by side, with figures matching the data", async () => {
    const { db, tree } = ctx;
    const cadreA = await addTestPerson(db, tree.branchA1.id, "Trần Văn Bình", { role: "cadre" });
    const a1 = await addTestPerson(db, tree.branchA1.id, "Nguyễn Văn An");
    const a2 = await addTestPerson(db, tree.branchA1.id, "Lê Thị Hoa", { linked: false });
    const b1 = await addTestPerson(db, tree.branchB1.id, "Đỗ Văn Dũng");
    const cadreB = await addTestPerson(db, tree.branchB1.id, "Lê Văn Cường", { role: "cadre" });
    // Dũng also has a Zalo account.
    await db.kysely
      .updateTable("ChatAccount")
      .set({ personId: b1 })
      .where("id", "=", (await ensureChatAccount(db, { platform: "zalo", externalId: "z-dung" })).id)
      .execute();
    await addTestPerson(db, tree.province.id, "Võ Thị Quản", { role: "official" });

    // Branch A1: two meetings in February: 3 invited each; 3 + 1 answers; attendance at the first: 2 of 3 present.
    await pastMeeting(
      db,
      tree.branchA1.id,
      new Date("2027-02-05T12:00:00Z"),
      [
        [cadreA, "attend"],
        [a1, "attend"],
        [a2, "absent"],
      ],
      [cadreA, a1],
    );
    await pastMeeting(db, tree.branchA1.id, new Date("2027-02-20T12:00:00Z"), [[a1, "unsure"]]);
    // Branch B1: one meeting in January, 1 of 2 answers, no attendance recorded.
    await pastMeeting(db, tree.branchB1.id, new Date("2027-01-10T12:00:00Z"), [[b1, "attend"]]);
    // A meeting before the period is not counted.
    await pastMeeting(db, tree.branchB1.id, new Date("2025-01-10T12:00:00Z"), [[b1, "attend"]]);

    const t1 = await createTicket(db, { personId: a1, text: "Đường ngập" }, hours(100));
    await answerTicket(db, { ticketId: t1.id, personId: cadreA, text: "Đã báo xã", now: hours(96) }); // 4 h
    const t2 = await createTicket(db, { personId: b1, text: "Đèn hỏng" }, hours(50));
    await answerTicket(db, { ticketId: t2.id, personId: cadreB, text: "Đã sửa", now: hours(40) }); // 10 h
    await createTicket(db, { personId: a1, text: "Xin hỗ trợ" }, hours(24 * 30)); // open, overdue
    await db.kysely
      .updateTable("Ticket")
      .set({ satisfied: true, category: "ha_tang" })
      .where("id", "=", t1.id)
      .execute();
    await db.kysely
      .updateTable("Ticket")
      .set({ satisfied: false, category: "ha_tang" })
      .where("id", "=", t2.id)
      .execute();

    const d = await createDirective(
      db,
      {
        unitId: tree.branchA1.id,
        kind: "thong_bao",
        title: "Thông báo họp",
        summary: "Họp tổng kết năm.",
        createdById: cadreA,
      },
      hours(10),
    );
    await sendDirective(db, d.id, { now: hours(9), byPersonId: cadreA });
    await db.kysely.updateTable("DirectiveDelivery").set({ status: "sent" }).where("directiveId", "=", d.id).execute();
    await markRead(db, { directiveId: d.id, personId: a1, viaAccountId: null, now: hours(8) });

    const report = await unitReport(db, systemActor("cli"), tree.province.id, {
      from: new Date("2026-03-15T03:00:00Z"),
      to: now,
      now,
    });
    expect(report.children.map((c) => c.unitId)).toEqual([tree.communeA.id, tree.communeB.id]);
    const [communeA, communeB] = report.children;
    expect(report.unit).toMatchObject({
      members: 5,
      linked: 4,
      meetingsHeld: 3,
      concernsOpened: 3,
      concernsAnswered: 2,
      openConcerns: 1,
      overdueConcerns: 1,
      concernsRated: 2,
      concernsSatisfied: 1,
    });
    expect(report.unit.satisfactionRate).toBe(0.5);
    expect(report.unit.medianFirstAnswerMs).toBe(7 * 3_600_000);
    expect(report.unit.linkedShare).toBe(4 / 5);
    expect(report.unit.linkedShareByPlatform).toEqual({ telegram: 4 / 5, zalo: 1 / 5, zalo_bot: 0, web: 0 });
    // Commune A: 2 meetings × 3 invited = 6 invitations, 4 answers; attendance recorded for 3, 2 present.
    expect(communeA).toMatchObject({
      members: 3,
      linked: 2,
      meetingsHeld: 2,
      concernsOpened: 2,
      concernsAnswered: 1,
      medianFirstAnswerMs: 4 * 3_600_000,
    });
    expect(communeA!.responseRate).toBeCloseTo(4 / 6);
    expect(communeA!.attendanceRate).toBeCloseTo(2 / 3);
    expect(communeA!.readRate).toBe(1 / 3);
    expect(communeB).toMatchObject({
      members: 2,
      meetingsHeld: 1,
      responseRate: 0.5,
      attendanceRate: null,
      readRate: null,
      satisfactionRate: 0,
    });

    // Monthly series: 12 months ending March 2027; February has commune A's two meetings.
    expect(report.monthly).toHaveLength(12);
    expect(report.monthly[0]!.month).toBe("2026-04");
    expect(report.monthly[11]!.month).toBe("2027-03");
    const feb = report.monthly.find((m) => m.month === "2027-02")!;
    expect(feb.meetingsHeld).toBe(2);
    expect(feb.responseRate).toBeCloseTo(4 / 6);
    expect(report.monthly.find((m) => m.month === "2027-01")).toMatchObject({
      meetingsHeld: 1,
      responseRate: 0.5,
      attendanceRate: null,
    });

    expect(report.directives).toEqual([
      expect.objectContaining({ directiveId: d.id, delivered: 3, read: 1, readRate: 1 / 3 }),
    ]);
    expect(report.concerns).toEqual([
      { category: "ha_tang", status: "answered", count: 2 },
      { category: "khac", status: "new", count: 1 },
    ]);
    expect(report.slowestUnits.map((u) => [u.unitId, u.medianFirstAnswerMs])).toEqual([
      [tree.branchB1.id, 10 * 3_600_000],
      [tree.branchA1.id, 4 * 3_600_000],
    ]);
  });

  it("should refuse a unit outside the actor's subtree and a period that makes no sense", async () => {
    const { db, tree } = ctx;
    const cadre = await addTestPerson(db, tree.communeA.id, "Trần Văn Bình", { role: "cadre" });
    const member = await addTestPerson(db, tree.branchA1.id, "Nguyễn Văn An");
    expect((await unitReport(db, personActor(cadre, "web"), tree.branchA1.id, { now })).unitId).toBe(tree.branchA1.id);
    await expect(unitReport(db, personActor(cadre, "web"), tree.communeB.id, { now })).rejects.toThrow(
      expect.objectContaining({ code: "forbidden" }),
    );
    await expect(unitReport(db, personActor(cadre, "web"), tree.province.id, { now })).rejects.toThrow(
      expect.objectContaining({ code: "forbidden" }),
    );
    await expect(unitReport(db, personActor(member), tree.branchA1.id, { now })).rejects.toThrow(
      expect.objectContaining({ code: "forbidden" }),
    );
    await expect(unitReport(db, systemActor(), tree.province.id, { from: now, to: hours(1), now })).rejects.toThrow(
      expect.objectContaining({ code: "report_period_invalid" }),
    );
    await expect(
      unitReport(db, systemActor(), tree.province.id, { from: new Date("2010-01-01"), to: now, now }),
    ).rejects.toThrow(expect.objectContaining({ code: "report_period_invalid" }));
  });
});

describe("queryAuditLog", () => {
  it("should show the subtree's actions with who, what and where, filtered and paged, and nothing outside it", async () => {
    const { db, tree } = ctx;
    const cadre = await addTestPerson(db, tree.communeA.id, "Trần Văn Bình", { role: "cadre" });
    const other = await addTestPerson(db, tree.communeB.id, "Lê Văn Cường", { role: "cadre" });
    const member = await addTestPerson(db, tree.branchA1.id, "Nguyễn Văn An");
    const t1 = await createTicket(db, { personId: member, text: "Đường ngập" }, hours(10));
    await answerTicket(db, { ticketId: t1.id, personId: cadre, text: "Đã báo xã", now: hours(9) });
    await recordAudit(
      db,
      {
        actorPersonId: other,
        source: "web",
        action: "membership.add",
        entityType: "Person",
        entityId: member,
        detail: { unitId: tree.branchB1.id },
      },
      hours(8),
    );
    await recordAudit(
      db,
      { source: "cli", action: "unit.rename", entityType: "Unit", entityId: tree.branchA2.id },
      hours(7),
    );
    await recordAudit(
      db,
      { source: "cli", action: "organisation.init", entityType: "Organisation", entityId: 1 },
      hours(6),
    );

    const mine = await queryAuditLog(db, personActor(cadre, "web"), { unitId: tree.communeA.id });
    expect(mine.rows.map((r) => [r.action, r.unitId, r.source])).toEqual([
      ["unit.rename", tree.branchA2.id, "cli"],
      ["ticket.answer", tree.branchA1.id, "chat"],
    ]);
    expect(mine.rows[1]).toMatchObject({
      actorPersonId: cadre,
      actorName: "Trần Văn Bình",
      entityType: "Ticket",
      entityId: t1.id,
    });
    expect(mine.total).toBe(2);
    expect(
      (await queryAuditLog(db, personActor(cadre, "web"), { unitId: tree.communeA.id, action: "ticket." })).rows.map(
        (r) => r.action,
      ),
    ).toEqual(["ticket.answer"]);
    expect(
      (await queryAuditLog(db, personActor(cadre, "web"), { unitId: tree.communeA.id, actorPersonId: cadre })).total,
    ).toBe(1);
    expect(
      (await queryAuditLog(db, personActor(cadre, "web"), { unitId: tree.communeA.id, from: hours(8) })).total,
    ).toBe(1);
    const page2 = await queryAuditLog(db, personActor(cadre, "web"), {
      unitId: tree.communeA.id,
      page: 2,
      pageSize: 1,
    });
    expect(page2).toMatchObject({ total: 2, page: 2, pageSize: 1 });
    expect(page2.rows.map((r) => r.action)).toEqual(["ticket.answer"]);
    // Outside the subtree, without a unit, or a page too large: refused.
    await expect(queryAuditLog(db, personActor(cadre, "web"), { unitId: tree.communeB.id })).rejects.toThrow(
      expect.objectContaining({ code: "forbidden" }),
    );
    await expect(queryAuditLog(db, personActor(cadre, "web"), {})).rejects.toThrow(
      expect.objectContaining({ code: "forbidden" }),
    );
    await expect(
      queryAuditLog(db, personActor(cadre, "web"), { unitId: tree.communeA.id, pageSize: 10_000 }),
    ).rejects.toThrow(expect.objectContaining({ code: "invalid_input" }));
    // The system sees everything, the organisation's creation included.
    expect((await queryAuditLog(db, systemActor("cli"), {})).total).toBe(4);
    expect(
      (await queryAuditLog(db, systemActor("cli"), { unitId: tree.communeB.id })).rows.map((r) => r.action),
    ).toEqual(["membership.add"]);
  });
});
