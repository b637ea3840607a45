import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { isAppError } from "../../../src/lib/app-error.ts";
import { addMembership } from "../../../src/domain/people/people-service.ts";
import { enqueue, markFinal } from "../../../src/domain/deliveries/outbox-service.ts";
import { createDirective, markRead, sendDirective } from "../../../src/domain/directives/directive-service.ts";
import { readRates, type UnitReadRate } from "../../../src/domain/directives/read-rates.ts";
import { addTestPerson, type TestPersonOptions } from "../../helpers/people.ts";

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

/** Marks every queued copy of the directive sent, except those of `except` (left unreachable). */
async function deliverAll(directiveId: number, except: number[] = []): Promise<void> {
  const rows = await db.kysely
    .selectFrom("Outbox")
    .select(["id", "personId"])
    .where("entityType", "=", "Directive")
    .where("entityId", "=", directiveId)
    .execute();
  for (const row of rows) {
    if (row.personId !== null && except.includes(row.personId))
      await markFinal(db, { id: row.id, status: "unreachable", now: at(5) });
    else
      await db.kysely
        .updateTable("Outbox")
        .set({ status: "sent", sentAt: at(5).getTime() })
        .where("id", "=", row.id)
        .execute();
  }
}

const pick = (rates: UnitReadRate[], unitId: number) => {
  const r = rates.find((x) => x.unitId === unitId)!;
  return [r.delivered, r.read, r.deliveredTotal, r.readTotal, r.rate, r.rateTotal];
};

describe("readRates", () => {
  it("should count each copy at the reader's home unit and roll the counts up the tree", async () => {
    const official = await person(tree.province.id, "Lãnh đạo tỉnh", { role: "official" });
    const cadre = await person(tree.communeA.id, "Cán bộ xã", { role: "cadre" });
    await addMembership(db, { actor: systemActor(), personId: cadre, unitId: tree.branchA1.id, role: "member" }); // home unit: the deeper branch
    const a1 = [
      await person(tree.branchA1.id, "A1a"),
      await person(tree.branchA1.id, "A1b"),
      await person(tree.branchA1.id, "A1c"),
    ];
    await person(tree.branchA2.id, "A2a");
    const b1 = [await person(tree.branchB1.id, "B1a"), await person(tree.branchB1.id, "B1b")];
    const unreachable = await person(tree.branchB2.id, "B2 chặn bot");
    await person(tree.branchB2.id, "B2 chưa liên kết", { linked: false });
    const d = await send(official, tree.province.id, at(1));
    await deliverAll(d, [unreachable]);
    for (const p of [cadre, a1[0]!, a1[1]!, b1[0]!])
      await markRead(db, { directiveId: d, personId: p, viaAccountId: null, now: at(10) });

    const rates = await readRates(db, tree.province.id, { directiveId: d });
    expect(rates.map((r) => r.unitId)).toEqual(
      [tree.province, tree.communeA, tree.branchA1, tree.branchA2, tree.communeB, tree.branchB1, tree.branchB2].map(
        (u) => u.id,
      ),
    );
    expect(pick(rates, tree.branchA1.id)).toEqual([4, 3, 4, 3, 0.75, 0.75]);
    expect(pick(rates, tree.branchA2.id)).toEqual([1, 0, 1, 0, 0, 0]);
    expect(pick(rates, tree.communeA.id)).toEqual([0, 0, 5, 3, null, 0.6]);
    expect(pick(rates, tree.branchB2.id)).toEqual([0, 0, 0, 0, null, null]);
    expect(pick(rates, tree.communeB.id)).toEqual([0, 0, 2, 1, null, 0.5]);
    // The official is a member of the province unit itself.
    expect(pick(rates, tree.province.id)).toEqual([1, 0, 8, 4, 0, 0.5]);
    expect(rates[0]).toMatchObject({ name: "Tỉnh Bình Định", depth: 0, parentId: null, levelLabel: "Tỉnh" });
  });

  it("should count a person once, at their deepest unit, for a small subtree of a large audience as for the whole tree", async () => {
    const official = await person(tree.province.id, "Lãnh đạo tỉnh", { role: "official" });
    const twoBranches = await person(tree.branchA1.id, "Hai chi hội");
    await addMembership(db, { actor: systemActor(), personId: twoBranches, unitId: tree.branchA2.id, role: "member" }); // same depth: the lower id, branch A1
    const twoRoles = await person(tree.branchA2.id, "Hai vai trò");
    await addMembership(db, { actor: systemActor(), personId: twoRoles, unitId: tree.branchA2.id, role: "cadre" });
    const communeAndBranch = await person(tree.communeA.id, "Xã và chi hội");
    await addMembership(db, {
      actor: systemActor(),
      personId: communeAndBranch,
      unitId: tree.branchA2.id,
      role: "member",
    });
    for (let i = 0; i < 20; i++) await person(tree.branchB1.id, `Phường ${i}`);
    const d = await send(official, tree.province.id, at(1));
    await deliverAll(d);
    await markRead(db, { directiveId: d, personId: twoRoles, viaAccountId: null, now: at(9) });
    const small = await readRates(db, tree.communeA.id, { directiveId: d });
    const whole = await readRates(db, tree.province.id, { directiveId: d });
    for (const rates of [small, whole]) {
      expect(pick(rates, tree.branchA1.id)).toEqual([1, 0, 1, 0, 0, 0]);
      expect(pick(rates, tree.branchA2.id)).toEqual([2, 1, 2, 1, 0.5, 0.5]);
      expect(pick(rates, tree.communeA.id)).toEqual([0, 0, 3, 1, null, 1 / 3]);
    }
    expect(pick(whole, tree.province.id)).toEqual([1, 0, 24, 1, 0, 1 / 24]);
  });

  it("should not count copies still waiting, but count a read copy as delivered", async () => {
    const cadre = await person(tree.branchA1.id, "Cán bộ", { role: "cadre" });
    const waiting = await person(tree.branchA1.id, "Đang chờ");
    const d = await send(cadre, tree.branchA1.id, at(1));
    expect(pick(await readRates(db, tree.branchA1.id, { directiveId: d }), tree.branchA1.id)).toEqual([
      0,
      0,
      0,
      0,
      null,
      null,
    ]);
    await markRead(db, { directiveId: d, personId: waiting, viaAccountId: null, now: at(3) }); // read via /vanban before the outbox row was marked sent
    expect(pick(await readRates(db, tree.branchA1.id, { directiveId: d }), tree.branchA1.id)).toEqual([
      1, 1, 1, 1, 1, 1,
    ]);
  });

  it("should count a copy that reached the person's other account after the first one was unreachable", async () => {
    const cadre = await person(tree.branchA1.id, "Cán bộ", { role: "cadre" });
    const moved = await person(tree.branchA1.id, "Đổi tài khoản");
    const d = await send(cadre, tree.branchA1.id, at(1));
    await deliverAll(d, [moved]);
    expect(pick(await readRates(db, tree.branchA1.id, { directiveId: d }), tree.branchA1.id)).toEqual([
      1, 0, 1, 0, 0, 0,
    ]);
    const fallback = (await enqueue(
      db,
      {
        platform: "zalo",
        chatId: "z",
        personId: moved,
        body: { text: "…" },
        dedupeKey: `directive:${d}:p:${moved}:fallback:7`,
      },
      at(5),
    ))!;
    await db.kysely.updateTable("Outbox").set({ status: "sent" }).where("id", "=", fallback).execute();
    expect(pick(await readRates(db, tree.branchA1.id, { directiveId: d }), tree.branchA1.id)).toEqual([
      2, 0, 2, 0, 0, 0,
    ]);
  });

  it("should sum the directives sent to the subtree since a date, from above, inside, but not from a sibling", async () => {
    const official = await person(tree.province.id, "Lãnh đạo tỉnh", { role: "official" });
    const cadreA = await person(tree.communeA.id, "Cán bộ xã A", { role: "cadre" });
    const cadreB = await person(tree.communeB.id, "Cán bộ phường B", { role: "cadre" });
    const a = await person(tree.branchA1.id, "A");
    await addMembership(db, { actor: systemActor(), personId: a, unitId: tree.branchB1.id, role: "member" }); // also in the other commune
    const old = await send(official, tree.province.id, at(0), "Cũ");
    const fromAbove = await send(official, tree.province.id, at(60), "Tỉnh");
    const inside = await send(cadreA, tree.branchA1.id, at(61), "Chi hội");
    const sibling = await send(cadreB, tree.communeB.id, at(62), "Phường");
    for (const d of [old, fromAbove, inside, sibling]) await deliverAll(d);
    for (const d of [old, fromAbove, sibling])
      await markRead(db, { directiveId: d, personId: a, viaAccountId: null, now: at(70) });

    const all = await readRates(db, tree.communeA.id);
    // A: old, fromAbove, inside (3 delivered, 2 read); cadre A: old, fromAbove (2 delivered).
    expect(pick(all, tree.branchA1.id)).toEqual([3, 2, 3, 2, 2 / 3, 2 / 3]);
    expect(pick(all, tree.communeA.id)).toEqual([2, 0, 5, 2, 0, 0.4]);
    const recent = await readRates(db, tree.communeA.id, { since: at(30) });
    expect(pick(recent, tree.branchA1.id)).toEqual([2, 1, 2, 1, 0.5, 0.5]);
    expect(pick(recent, tree.communeA.id)).toEqual([1, 0, 3, 1, 0, 1 / 3]);
    expect(recent.map((r) => r.unitId)).toEqual([tree.communeA.id, tree.branchA1.id, tree.branchA2.id]);
  });

  it("should throw unit_not_found for an unknown unit", async () => {
    let caught: unknown;
    try {
      await readRates(db, 9999);
    } catch (e) {
      caught = e;
    }
    expect(isAppError(caught, "unit_not_found")).toBe(true);
  });
});
