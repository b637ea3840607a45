/** The audit log: recording, and the subtree query with its filters, on the run's engine. */
import { beforeEach, describe, expect, it } from "vitest";
import { useTreeDatabase } from "../../helpers/tree.ts";
import { recordAudit } from "../../../src/domain/audit/audit-service.ts";
import { queryAuditLog } from "../../../src/domain/audit/audit-query.ts";
import { auditActorChoices } from "../../../src/domain/audit/audit-actors.ts";
import { personActor, systemActor } from "../../../src/domain/access/actor.ts";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { isAppError } from "../../../src/lib/app-error.ts";

const ctx = useTreeDatabase();
let adminA: number;
let meetingB1: number;

beforeEach(async () => {
  const { db, tree } = ctx;
  adminA = (await createPerson(db, { fullName: "Lê Văn Quản", phone: "0901000001" })).id;
  await addMembership(db, { actor: systemActor("cli"), personId: adminA, unitId: tree.communeA.id, role: "admin" });
  const m = await db.kysely
    .insertInto("Meeting")
    .values({ unitId: tree.branchB1.id, title: "Họp", startsAt: 1, endsAt: 2, createdAt: 1, updatedAt: 1 })
    .returning("id")
    .executeTakeFirstOrThrow();
  meetingB1 = m.id;
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 8, minute));
  await recordAudit(
    ctx.db,
    { actorPersonId: adminA, source: "web", action: "unit.rename", entityType: "Unit", entityId: tree.branchA1.id },
    at(1),
  );
  await recordAudit(
    ctx.db,
    {
      actorPersonId: adminA,
      source: "chat",
      action: "membership.add",
      entityType: "Person",
      entityId: 99,
      detail: { unitId: tree.branchA2.id, role: "member" },
    },
    at(2),
  );
  await recordAudit(
    ctx.db,
    { actorPersonId: null, source: "cli", action: "meeting.create", entityType: "Meeting", entityId: meetingB1 },
    at(3),
  );
  await recordAudit(ctx.db, { source: "system", action: "organisation.create", detail: { code: "x" } }, at(4));
  await recordAudit(
    ctx.db,
    {
      actorPersonId: adminA,
      source: "web",
      action: "ticket.answer",
      entityType: "Unit",
      entityId: tree.communeA.id,
      detail: { circular: undefined },
    },
    at(5),
  );
});

describe("queryAuditLog", () => {
  it("should list a subtree's rows newest first, with the unit each touched and the actor's name", async () => {
    const { db, tree } = ctx;
    const page = await queryAuditLog(db, personActor(adminA, "web"), { unitId: tree.communeA.id });
    expect(page.total).toBe(3);
    expect(page.rows.map((r) => [r.action, r.unitId, r.actorName])).toEqual([
      ["ticket.answer", tree.communeA.id, "Lê Văn Quản"],
      ["membership.add", tree.branchA2.id, "Lê Văn Quản"],
      ["unit.rename", tree.branchA1.id, "Lê Văn Quản"],
    ]);
    expect(page.rows[1]!.detail).toEqual({ unitId: tree.branchA2.id, role: "member" });
    expect(page.rows[1]!.unitName).toBe("Chi hội 2");
  });

  it("should find a meeting's row through the meeting's unit", async () => {
    const { db, tree } = ctx;
    const page = await queryAuditLog(db, systemActor("cli"), { unitId: tree.communeB.id });
    expect(page.rows.map((r) => [r.action, r.unitId, r.actorName, r.source])).toEqual([
      ["meeting.create", tree.branchB1.id, null, "cli"],
    ]);
  });

  it("should show rows touching no unit to the system only, without a unit filter", async () => {
    const { db, tree } = ctx;
    const all = await queryAuditLog(db, systemActor("cli"), {});
    expect(all.total).toBe(5);
    expect(all.rows[1]).toMatchObject({
      action: "organisation.create",
      unitId: null,
      unitName: null,
      detail: { code: "x" },
    });
    const province = await queryAuditLog(db, systemActor("cli"), { unitId: tree.province.id });
    expect(province.total).toBe(4);
  });

  it("should filter by action prefix, exact action, actor, source and period, and page", async () => {
    const { db, tree } = ctx;
    const unitId = tree.province.id;
    const sys = systemActor("cli");
    expect((await queryAuditLog(db, sys, { unitId, action: "membership." })).rows.map((r) => r.action)).toEqual([
      "membership.add",
    ]);
    expect((await queryAuditLog(db, sys, { unitId, action: "membership" })).total).toBe(0);
    expect((await queryAuditLog(db, sys, { unitId, action: "unit.rename" })).total).toBe(1);
    expect((await queryAuditLog(db, sys, { unitId, actorPersonId: adminA })).total).toBe(3);
    expect((await queryAuditLog(db, sys, { unitId, source: "cli" })).total).toBe(1);
    const from = new Date(Date.UTC(2026, 10, 1, 8, 2));
    const to = new Date(Date.UTC(2026, 10, 1, 8, 5));
    expect((await queryAuditLog(db, sys, { unitId, from, to })).rows.map((r) => r.action)).toEqual([
      "meeting.create",
      "membership.add",
    ]);
    const second = await queryAuditLog(db, sys, { unitId, page: 2, pageSize: 3 });
    expect(second).toMatchObject({ total: 4, page: 2, pageSize: 3 });
    expect(second.rows.map((r) => r.action)).toEqual(["unit.rename"]);
  });

  it("should refuse a person outside the unit and a person without a unit", async () => {
    const { db, tree } = ctx;
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e) => (isAppError(e) ? e.code : String(e)),
      );
    expect(await code(queryAuditLog(db, personActor(adminA, "web"), { unitId: tree.communeB.id }))).toBe("forbidden");
    expect(await code(queryAuditLog(db, personActor(adminA, "web"), {}))).toBe("forbidden");
    expect(await code(queryAuditLog(db, systemActor("cli"), { pageSize: 0 }))).toBe("invalid_input");
  });
});

describe("auditActorChoices", () => {
  it("should list the rights holders of the subtree and above, by name", async () => {
    const { db, tree } = ctx;
    const head = (await createPerson(db, { fullName: "An Thị Bình", phone: "0901000002" })).id;
    await addMembership(db, { actor: systemActor("cli"), personId: head, unitId: tree.branchA1.id, role: "cadre" });
    const member = (await createPerson(db, { fullName: "Ba Văn Cư", phone: "0901000003" })).id;
    await addMembership(db, { actor: systemActor("cli"), personId: member, unitId: tree.branchA1.id, role: "member" });
    expect(await auditActorChoices(db, systemActor("cli"), tree.branchA1.id)).toEqual([
      { personId: head, fullName: "An Thị Bình" },
      { personId: adminA, fullName: "Lê Văn Quản" },
    ]);
    expect(await auditActorChoices(db, systemActor("cli"), tree.branchB1.id)).toEqual([]);
  });
});
