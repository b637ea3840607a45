import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { addTestPerson, type TestPersonOptions } from "../../helpers/people.ts";
import { personActor, systemActor } from "../../../src/domain/access/actor.ts";
import { addMembership } from "../../../src/domain/people/people-service.ts";
import {
  createDirective,
  directiveAudienceCounts,
  markRead,
  sendDirective,
} from "../../../src/domain/directives/directive-service.ts";
import {
  directiveNonReaders,
  directiveReach,
  listSubtreeDirectives,
  openDirective,
  remindableCount,
  remindNonReadersNow,
} from "../../../src/domain/directives/directive-oversight.ts";
import { runDirectiveReminderJob } from "../../../src/domain/directives/directive-jobs.ts";
import { auditActorChoices } from "../../../src/domain/audit/audit-actors.ts";

const t0 = new Date("2026-11-20T03:00:00Z");
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

let db: TestDatabase;
let tree: TestTree;

beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

const person = (unitId: number, fullName: string, options?: TestPersonOptions) =>
  addTestPerson(db, unitId, fullName, options);

async function send(byPersonId: number, unitId: number, now: Date, title = "Văn bản"): Promise<number> {
  const d = await createDirective(
    db,
    { unitId, kind: "thong_bao", title, summary: "Nội dung tóm tắt.", createdById: byPersonId },
    now,
  );
  await sendDirective(db, d.id, { now, byPersonId });
  return d.id;
}

async function deliverAll(directiveId: number): Promise<void> {
  await db.kysely
    .updateTable("Outbox")
    .set({ status: "sent", sentAt: at(5).getTime() })
    .where("entityType", "=", "Directive")
    .where("entityId", "=", directiveId)
    .execute();
}

describe("directiveReach", () => {
  it("should count the audience per direct sub-unit, linked and not, as sending would", async () => {
    const official = await person(tree.communeA.id, "Lãnh đạo xã", { role: "official" });
    await person(tree.branchA1.id, "A1 liên kết");
    const both = await person(tree.branchA1.id, "A1 và A2");
    await addMembership(db, { actor: systemActor(), personId: both, unitId: tree.branchA2.id, role: "member" });
    await person(tree.branchA2.id, "A2 chưa liên kết", { linked: false });
    await person(tree.branchB1.id, "B1 ở xã khác");
    const reach = await directiveReach(db, personActor(official, "web"), tree.communeA.id);
    expect({ total: reach.total, linked: reach.linked, notLinked: reach.notLinked }).toEqual({
      total: 4,
      linked: 3,
      notLinked: 1,
    });
    expect(reach.direct).toEqual({ total: 1, linked: 1, notLinked: 0 });
    expect(reach.units.map((u) => [u.name, u.total, u.linked, u.notLinked])).toEqual([
      ["Chi hội 1", 2, 2, 0],
      ["Chi hội 2", 2, 1, 1],
    ]);
    // The same people the draft would be sent to.
    const d = await createDirective(
      db,
      { unitId: tree.communeA.id, kind: "thong_bao", title: "T", summary: "S", createdById: official },
      at(0),
    );
    expect(await directiveAudienceCounts(db, d.id)).toEqual({ total: reach.total, notLinked: reach.notLinked });
  });

  it("should refuse a unit the actor may not send to", async () => {
    const cadre = await person(tree.branchA1.id, "Cán bộ A1", { role: "cadre" });
    await expect(directiveReach(db, personActor(cadre), tree.communeA.id)).rejects.toMatchObject({ code: "forbidden" });
    await expect(directiveReach(db, personActor(cadre), tree.branchB1.id)).rejects.toMatchObject({ code: "forbidden" });
  });
});

describe("openDirective", () => {
  it("should open a directive from its own unit or one inside it, and hide it elsewhere", async () => {
    const provincial = await person(tree.province.id, "Lãnh đạo tỉnh", { role: "official" });
    const cadreA1 = await person(tree.branchA1.id, "Cán bộ A1", { role: "cadre" });
    const cadreB1 = await person(tree.branchB1.id, "Cán bộ B1", { role: "cadre" });
    const toCommuneA = await send(provincial, tree.communeA.id, at(0));
    const view = await openDirective(db, personActor(cadreA1), toCommuneA);
    expect([view.unit.id, view.canSend]).toEqual([tree.branchA1.id, false]);
    expect((await openDirective(db, personActor(provincial), toCommuneA)).unit.id).toBe(tree.communeA.id);
    expect((await openDirective(db, personActor(provincial), toCommuneA, tree.branchA2.id)).unit.id).toBe(
      tree.branchA2.id,
    );
    await expect(openDirective(db, personActor(cadreB1), toCommuneA)).rejects.toMatchObject({ code: "not_found" });
    await expect(openDirective(db, personActor(cadreA1), toCommuneA, tree.branchA2.id)).rejects.toMatchObject({
      code: "not_found",
    });
    // Above the directive's unit is not a view of it (the province sees it from the commune).
    await expect(openDirective(db, personActor(provincial), toCommuneA, tree.province.id)).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(openDirective(db, personActor(provincial), 999_999)).rejects.toMatchObject({ code: "not_found" });
  });

  it("should show a draft only to those who may send it", async () => {
    const official = await person(tree.communeA.id, "Lãnh đạo xã", { role: "official" });
    const cadreA1 = await person(tree.branchA1.id, "Cán bộ A1", { role: "cadre" });
    const draft = await createDirective(
      db,
      { unitId: tree.communeA.id, kind: "thong_bao", title: "Nháp", summary: "S", createdById: official },
      at(0),
    );
    expect((await openDirective(db, personActor(official), draft.id)).directive.status).toBe("draft");
    await expect(openDirective(db, personActor(cadreA1), draft.id)).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("listSubtreeDirectives", () => {
  it("should list what the unit's people received and its own drafts, newest first", async () => {
    const provincial = await person(tree.province.id, "Lãnh đạo tỉnh", { role: "official" });
    const official = await person(tree.communeA.id, "Lãnh đạo xã", { role: "official" });
    await person(tree.branchA1.id, "Hội viên A1");
    const fromProvince = await send(provincial, tree.province.id, at(0), "Của tỉnh");
    const fromCommuneA = await send(official, tree.communeA.id, at(10), "Của xã A");
    await send(provincial, tree.communeB.id, at(20), "Của xã B");
    const draft = await createDirective(
      db,
      { unitId: tree.branchA1.id, kind: "thong_bao", title: "Nháp", summary: "S", createdById: official },
      at(30),
    );
    const list = await listSubtreeDirectives(db, personActor(official), tree.communeA.id);
    expect(list.rows.map((r) => r.id)).toEqual([draft.id, fromCommuneA, fromProvince]);
    expect(list.rows.find((r) => r.id === fromProvince)!.audience).toBe(
      (await directiveAudienceCounts(db, fromProvince)).total,
    );
    // Someone else's draft is not listed; paging.
    const cadre = await person(tree.communeA.id, "Cán bộ xã", { role: "cadre" });
    expect((await listSubtreeDirectives(db, personActor(cadre), tree.communeA.id)).rows.map((r) => r.id)).toEqual([
      fromCommuneA,
      fromProvince,
    ]);
    expect(await listSubtreeDirectives(db, personActor(official), tree.communeA.id, { limit: 2 })).toMatchObject({
      more: true,
    });
    await expect(listSubtreeDirectives(db, personActor(official), tree.communeB.id)).rejects.toMatchObject({
      code: "forbidden",
    });
  });
});

describe("directiveNonReaders and remindNonReadersNow", () => {
  it("should list who has not read in the viewed subtree, and remind each delivered non-reader once", async () => {
    const official = await person(tree.communeA.id, "Lãnh đạo xã", { role: "official" });
    const reader = await person(tree.branchA1.id, "Anh Đọc");
    const late = await person(tree.branchA1.id, "Bà Chưa Đọc");
    const unlinked = await person(tree.branchA2.id, "Ông Chưa Liên Kết", { linked: false });
    const d = await send(official, tree.communeA.id, at(0));
    await deliverAll(d);
    await markRead(db, { directiveId: d, personId: reader, viaAccountId: null, now: at(10) });

    const a1 = await directiveNonReaders(db, {
      actor: personActor(official),
      directiveId: d,
      unitId: tree.branchA1.id,
    });
    expect(a1).toEqual({
      total: 1,
      rows: [{ personId: late, fullName: "Bà Chưa Đọc", unitName: "Chi hội 1", copy: "sent", remindedAt: null }],
    });
    const all = await directiveNonReaders(db, {
      actor: personActor(official),
      directiveId: d,
      unitId: tree.communeA.id,
    });
    expect(all.rows.map((r) => [r.fullName, r.copy])).toEqual([
      ["Bà Chưa Đọc", "sent"],
      ["Lãnh đạo xã", "sent"],
      ["Ông Chưa Liên Kết", "not_linked"],
    ]);
    expect(unlinked).toBeGreaterThan(0);

    expect(await remindableCount(db, d)).toBe(2);
    expect(await remindNonReadersNow(db, personActor(official, "web"), d, at(60))).toEqual({ count: 2 });
    const job = await db.kysely
      .selectFrom("ScheduledJob")
      .select(["id", "dueAt", "kind"])
      .where("dedupeKey", "=", `directive_reminder:${d}:now:${at(60).getTime()}`)
      .executeTakeFirstOrThrow();
    expect([job.kind, job.dueAt]).toEqual(["directive_reminder", at(60).getTime()]);
    expect(
      await db.kysely
        .selectFrom("AuditLog")
        .select(["actorPersonId", "source", "detail"])
        .where("action", "=", "directive.remind")
        .where("entityId", "=", d)
        .executeTakeFirst(),
    ).toEqual({ actorPersonId: official, source: "web", detail: JSON.stringify({ count: 2 }) });
    // The clock runs the job: the same reminder as the automatic one, to the two non-readers.
    await runDirectiveReminderJob(db, { id: job.id, entityId: d }, { now: at(61), timeZone: "Asia/Ho_Chi_Minh" });
    const reminded = (
      await db.kysely
        .selectFrom("Outbox")
        .select("personId")
        .where("dedupeKey", "like", `directive_reminder:${d}:p:%`)
        .orderBy("personId")
        .execute()
    ).map((r) => r.personId);
    expect(reminded).toEqual([official, late].sort((a, b) => a - b));
    // Once each: nobody is left, and nothing more is planned.
    expect(await remindNonReadersNow(db, personActor(official, "web"), d, at(120))).toEqual({ count: 0 });
    expect(
      Number(
        (
          await db.kysely
            .selectFrom("ScheduledJob")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("dedupeKey", "like", `directive_reminder:${d}:now:%`)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    ).toBe(1);
  });

  it("should let only those who may send the directive remind, and not for a draft", async () => {
    const official = await person(tree.communeA.id, "Lãnh đạo xã", { role: "official" });
    const cadreA1 = await person(tree.branchA1.id, "Cán bộ A1", { role: "cadre" });
    const d = await send(official, tree.communeA.id, at(0));
    await deliverAll(d);
    await expect(remindNonReadersNow(db, personActor(cadreA1, "web"), d, at(5))).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(
      directiveNonReaders(db, { actor: personActor(cadreA1), directiveId: d, unitId: tree.branchA2.id }),
    ).rejects.toMatchObject({
      code: "not_found",
    });
    const draft = await createDirective(
      db,
      { unitId: tree.communeA.id, kind: "thong_bao", title: "Nháp", summary: "S", createdById: official },
      at(0),
    );
    await expect(remindNonReadersNow(db, personActor(official, "web"), draft.id, at(5))).rejects.toMatchObject({
      code: "conflict",
    });
  });
});

describe("auditActorChoices", () => {
  it("should offer the rights holders of the subtree and of its ancestors, not of siblings", async () => {
    const provincial = await person(tree.province.id, "Lãnh đạo tỉnh", { role: "official" });
    const cadreA1 = await person(tree.branchA1.id, "Cán bộ A1", { role: "cadre" });
    await person(tree.branchB1.id, "Cán bộ B1", { role: "cadre" });
    await person(tree.branchA1.id, "Hội viên A1");
    const choices = await auditActorChoices(db, personActor(provincial), tree.communeA.id);
    expect(choices.map((c) => c.personId).sort()).toEqual([provincial, cadreA1].sort());
    await expect(auditActorChoices(db, personActor(cadreA1), tree.communeA.id)).rejects.toMatchObject({
      code: "forbidden",
    });
  });
});
