import { describe, expect, it } from "vitest";
import { unitStats } from "../../../src/domain/stats/unit-stats.ts";
import { addMembership } from "../../../src/domain/people/people-service.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { answerTicket, createTicket } from "../../../src/domain/tickets/ticket-service.ts";
import { createDirective, markRead, sendDirective } from "../../../src/domain/directives/directive-service.ts";
import { addTestPerson } from "../../helpers/people.ts";
import { useTreeDatabase } from "../../helpers/tree.ts";
import { createUnit } from "../../../src/domain/units/unit-service.ts";

const ctx = useTreeDatabase();
const now = new Date("2027-03-01T03:00:00Z");
const hours = (h: number) => new Date(now.getTime() - h * 3_600_000);

describe("unitStats", () => {
  it("should count people, not roles: a branch head who is a commune official is one member, officials alone are none", async () => {
    const { db, tree } = ctx;
    await addTestPerson(db, tree.branchA1.id, "Nguyễn Văn An");
    await addTestPerson(db, tree.branchA1.id, "Lê Thị Hoa", { linked: false });
    const head = await addTestPerson(db, tree.branchA1.id, "Trần Văn Bình", { role: "cadre" });
    await addMembership(db, { actor: systemActor(), personId: head, unitId: tree.branchA1.id, role: "member" });
    await addMembership(db, { actor: systemActor(), personId: head, unitId: tree.communeA.id, role: "official" });
    await addTestPerson(db, tree.communeA.id, "Phạm Văn Chủ", { role: "official" });
    await addTestPerson(db, tree.province.id, "Võ Thị Quản", { role: "admin" });
    await addTestPerson(db, tree.branchB1.id, "Đỗ Văn Dũng");

    const stats = new Map((await unitStats(db, { unitId: tree.province.id, now })).map((s) => [s.unitId, s]));
    expect(stats.get(tree.branchA1.id)).toMatchObject({ members: 3, linked: 2 });
    expect(stats.get(tree.communeA.id)).toMatchObject({ members: 3, linked: 2 });
    expect(stats.get(tree.communeB.id)).toMatchObject({ members: 1, linked: 1 });
    expect(stats.get(tree.province.id)).toMatchObject({ members: 4, linked: 3 });
    // A subtree counts only its own people.
    expect((await unitStats(db, { unitId: tree.communeB.id, now })).map((s) => s.members)).toEqual([1, 1, 0]);
  });

  it("should count open and overdue concerns and the median time to a first answer, rolled up", async () => {
    const { db, tree } = ctx;
    const cadre = await addTestPerson(db, tree.branchA1.id, "Trần Văn Bình", { role: "cadre" });
    const a = await addTestPerson(db, tree.branchA1.id, "Nguyễn Văn An");
    const b = await addTestPerson(db, tree.branchB1.id, "Đỗ Văn Dũng");
    const cadreB = await addTestPerson(db, tree.branchB1.id, "Lê Văn Cường", { role: "cadre" });
    const answered1 = await createTicket(db, { personId: a, text: "Đường ngập" }, hours(100));
    await answerTicket(db, { ticketId: answered1.id, personId: cadre, text: "Đã báo xã", now: hours(98) }); // 2 h
    const answered2 = await createTicket(db, { personId: b, text: "Đèn đường hỏng" }, hours(50));
    await answerTicket(db, { ticketId: answered2.id, personId: cadreB, text: "Đã sửa", now: hours(40) }); // 10 h
    await createTicket(db, { personId: a, text: "Xin hỗ trợ" }, hours(24 * 30)); // open, long past due
    await createTicket(db, { personId: b, text: "Hỏi lịch" }, hours(1)); // open, not due yet

    const stats = new Map((await unitStats(db, { unitId: tree.province.id, now })).map((s) => [s.unitId, s]));
    expect(stats.get(tree.branchA1.id)).toMatchObject({
      openConcerns: 1,
      overdueConcerns: 1,
      medianFirstAnswerMs: 2 * 3_600_000,
    });
    expect(stats.get(tree.communeB.id)).toMatchObject({
      openConcerns: 1,
      overdueConcerns: 0,
      medianFirstAnswerMs: 10 * 3_600_000,
    });
    expect(stats.get(tree.province.id)).toMatchObject({
      openConcerns: 2,
      overdueConcerns: 1,
      medianFirstAnswerMs: 6 * 3_600_000,
    });
    expect(stats.get(tree.branchA2.id)).toMatchObject({ openConcerns: 0, medianFirstAnswerMs: null });
  });

  it("should give the read rate of the directives of the last 12 months", async () => {
    const { db, tree } = ctx;
    const cadre = await addTestPerson(db, tree.communeA.id, "Trần Văn Bình", { role: "cadre" });
    const a = await addTestPerson(db, tree.branchA1.id, "Nguyễn Văn An");
    await addTestPerson(db, tree.branchA1.id, "Lê Thị Hoa");
    const d = await createDirective(
      db,
      {
        unitId: tree.communeA.id,
        kind: "thong_bao",
        title: "Thông báo họp",
        summary: "Họp tổng kết năm.",
        createdById: cadre,
      },
      hours(10),
    );
    await sendDirective(db, d.id, { now: hours(9), byPersonId: cadre });
    await db.kysely.updateTable("DirectiveDelivery").set({ status: "sent" }).where("directiveId", "=", d.id).execute();
    await markRead(db, { directiveId: d.id, personId: a, viaAccountId: null, now: hours(8) });
    const stats = new Map((await unitStats(db, { unitId: tree.province.id, now })).map((s) => [s.unitId, s]));
    expect(stats.get(tree.branchA1.id)!.readRate).toBe(0.5);
    expect(stats.get(tree.communeB.id)!.readRate).toBeNull();
  });

  it("should count the concerns of a tree larger than one read (they are read a few hundred units at a time)", async () => {
    const { db, tree } = ctx;
    const branches: number[] = [];
    for (let i = 0; i < 520; i++)
      branches.push((await createUnit(db, systemActor(), { parentId: tree.communeA.id, name: `Chi hội số ${i}` })).id);
    const cadre = await addTestPerson(db, tree.communeA.id, "Trần Văn Bình", { role: "cadre" });
    const first = await addTestPerson(db, branches[0]!, "Nguyễn Văn An");
    const last = await addTestPerson(db, branches[519]!, "Lê Thị Hoa");
    const t1 = await createTicket(db, { personId: first, text: "Đường ngập" }, hours(100));
    await answerTicket(db, { ticketId: t1.id, personId: cadre, text: "Đã báo xã", now: hours(96) }); // 4 h
    const t2 = await createTicket(db, { personId: last, text: "Đèn hỏng" }, hours(50));
    await answerTicket(db, { ticketId: t2.id, personId: cadre, text: "Đã sửa", now: hours(42) }); // 8 h
    await createTicket(db, { personId: last, text: "Hỏi lịch" }, hours(1));
    const stats = new Map((await unitStats(db, { unitId: tree.province.id, now })).map((s) => [s.unitId, s]));
    expect(stats.get(branches[519]!)).toMatchObject({
      concernsOpened: 2,
      openConcerns: 1,
      medianFirstAnswerMs: 8 * 3_600_000,
    });
    expect(stats.get(tree.communeA.id)).toMatchObject({
      concernsOpened: 3,
      concernsAnswered: 2,
      openConcerns: 1,
      medianFirstAnswerMs: 6 * 3_600_000,
    });
    expect(stats.get(tree.province.id)).toMatchObject({ concernsOpened: 3, openConcerns: 1 });
  });
});
