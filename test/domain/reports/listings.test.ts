/**
 * The API pages of a subtree (units, people, memberships, directives with read rates) and the
 * read rates themselves, on both engines: setup through db.kysely only.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import {
  listDirectivesPage,
  listMembershipsPage,
  listPeoplePage,
  listUnitsPage,
} from "../../../src/domain/reports/listings.ts";
import { readRates } from "../../../src/domain/directives/read-rates.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";

const now = Date.UTC(2027, 0, 10);
let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(() => db.destroy());

async function addUnit(
  organisationId: number,
  parent: { id: number; path: string; depth: number } | null,
  name: string,
) {
  const { id } = await db.kysely
    .insertInto("Unit")
    .values({
      organisationId,
      parentId: parent?.id ?? null,
      name,
      nameKey: name.toLowerCase(),
      path: `tmp-${name}`,
      depth: parent ? parent.depth + 1 : 0,
      createdAt: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const path = `${parent?.path ?? "/"}${id}/`;
  await db.kysely.updateTable("Unit").set({ path }).where("id", "=", id).execute();
  return { id, path, depth: parent ? parent.depth + 1 : 0 };
}

async function addPerson(name: string, memberships: { unitId: number; role: string }[]) {
  const { id } = await db.kysely
    .insertInto("Person")
    .values({ fullName: name, nameKey: name.toLowerCase(), createdAt: now, updatedAt: now })
    .returning("id")
    .executeTakeFirstOrThrow();
  for (const m of memberships)
    await db.kysely
      .insertInto("Membership")
      .values({ personId: id, unitId: m.unitId, role: m.role, createdAt: now })
      .execute();
  return id;
}

async function build() {
  const { id: org } = await db.kysely
    .insertInto("Organisation")
    .values({ code: "ccb", name: "Hội CCB", createdAt: now })
    .returning("id")
    .executeTakeFirstOrThrow();
  const root = await addUnit(org, null, "Tỉnh");
  const a = await addUnit(org, root, "Xã A");
  const b = await addUnit(org, root, "Xã B");
  const a1 = await addUnit(org, a, "Chi hội A1");
  const b1 = await addUnit(org, b, "Chi hội B1");
  const people = {
    an: await addPerson("An", [{ unitId: a1.id, role: "member" }]),
    binh: await addPerson("Bình", [
      { unitId: a1.id, role: "cadre" },
      { unitId: a.id, role: "official" },
    ]),
    cuong: await addPerson("Cường", [{ unitId: b1.id, role: "member" }]),
    dung: await addPerson("Dũng", [{ unitId: b1.id, role: "member" }]),
    em: await addPerson("Em", [{ unitId: root.id, role: "admin" }]),
  };
  return { root, a, b, a1, b1, people };
}

describe("listings", () => {
  it("should page the subtree's units, people and memberships by id, nothing outside it", async () => {
    const t = await build();
    const units = await listUnitsPage(db, systemActor(), t.a.id, { limit: 1 });
    expect(units.items.map((u) => u.id)).toEqual([t.a.id]);
    const next = await listUnitsPage(db, systemActor(), t.a.id, { limit: 1, after: units.nextCursor! });
    expect(next).toEqual({
      items: [expect.objectContaining({ id: t.a1.id, parentId: t.a.id, depth: 2, memberCount: 2, linkedCount: 0 })],
      nextCursor: null,
    });

    const people = await listPeoplePage(db, systemActor(), t.a.id);
    expect(people.items.map((p) => p.fullName)).toEqual(["An", "Bình"]);
    expect((await listPeoplePage(db, systemActor(), t.root.id, { limit: 4 })).nextCursor).toBe(t.people.dung);

    const memberships = await listMembershipsPage(db, systemActor(), t.a.id);
    expect(memberships.items.map((m) => [m.personId, m.unitId, m.role])).toEqual([
      [t.people.an, t.a1.id, "member"],
      [t.people.binh, t.a1.id, "cadre"],
      [t.people.binh, t.a.id, "official"],
    ]);
    await expect(listUnitsPage(db, systemActor(), t.a.id, { limit: 0 })).rejects.toMatchObject({
      code: "invalid_input",
    });
    await expect(listUnitsPage(db, systemActor(), 999_999)).rejects.toMatchObject({ code: "unit_not_found" });
  });

  it("should page people the same way whether found from the subtree's memberships or from all people", async () => {
    const t = await build();
    for (const unit of [t.root, t.a, t.a1]) {
      for (const limit of [1, 2, 3, 100]) {
        const pages = { memberships: [] as number[][], people: [] as number[][] };
        for (const plan of ["memberships", "people"] as const) {
          let after: number | null = 0;
          while (after !== null) {
            const page = await listPeoplePage(db, systemActor(), unit.id, { after, limit }, plan);
            expect(page.items.length).toBeLessThanOrEqual(limit);
            pages[plan].push(page.items.map((p) => p.id));
            after = page.nextCursor;
          }
        }
        expect(pages.memberships, `unit ${unit.id}, ${limit} a page`).toEqual(pages.people);
        // Each person once, in id order (Bình holds two roles in the subtree of A).
        const ids = pages.people.flat();
        expect(ids).toEqual([...new Set(ids)].sort((x, y) => x - y));
      }
    }
    expect((await listPeoplePage(db, systemActor(), t.a.id, {}, "people")).items.map((p) => p.fullName)).toEqual([
      "An",
      "Bình",
    ]);
  });

  it("should list the directives reaching the subtree with read rates counted at each reader's home unit", async () => {
    const t = await build();
    const directive = async (unitId: number, status: string) =>
      (
        await db.kysely
          .insertInto("Directive")
          .values({
            unitId,
            kind: "thong_bao",
            title: `Thông báo ${unitId}`,
            summary: "…",
            status,
            createdAt: now,
            sentAt: status === "draft" ? null : now,
          })
          .returning("id")
          .executeTakeFirstOrThrow()
      ).id;
    const fromRoot = await directive(t.root.id, "sent");
    const fromB = await directive(t.b.id, "sent");
    await directive(t.a.id, "draft");
    const outbox = async (status: string, dedupeKey: string | null) =>
      (
        await db.kysely
          .insertInto("Outbox")
          .values({ platform: "telegram", chatId: "1", body: "…", status, dedupeKey, notBefore: now, createdAt: now })
          .returning("id")
          .executeTakeFirstOrThrow()
      ).id;
    const copy = (
      directiveId: number,
      personId: number,
      values: { status?: string; outboxId?: number | null; readAt?: number | null },
    ) =>
      db.kysely
        .insertInto("DirectiveDelivery")
        .values({
          directiveId,
          personId,
          status: values.status ?? "queued",
          outboxId: values.outboxId ?? null,
          readAt: values.readAt ?? null,
        })
        .execute();
    // An: read. Bình: recorded sent. Cường: still queued, its outbox row sent. Dũng: unreachable
    // on one account, the fallback sent. Em (no member role): sent, and counts at the province.
    await copy(fromRoot, t.people.an, { status: "sent", readAt: now });
    await copy(fromRoot, t.people.binh, { status: "sent" });
    await copy(fromRoot, t.people.cuong, { outboxId: await outbox("sent", null) });
    await copy(fromRoot, t.people.dung, {
      outboxId: await outbox("unreachable", `directive:${fromRoot}:p:${t.people.dung}`),
    });
    await outbox("sent", `directive:${fromRoot}:p:${t.people.dung}:fallback:7`);
    await copy(fromRoot, t.people.em, { status: "sent" });
    // Six more in B1 make commune A a small part of the audience (its own walk, below).
    for (let i = 0; i < 6; i++)
      await copy(fromRoot, await addPerson(`Thêm ${i}`, [{ unitId: t.b1.id, role: "member" }]), { status: "sent" });
    await copy(fromB, t.people.cuong, { outboxId: await outbox("pending", null) });
    await copy(fromB, t.people.dung, { status: "sent", readAt: now });

    const rates = new Map((await readRates(db, t.root.id, { directiveId: fromRoot })).map((r) => [r.unitId, r]));
    expect(rates.get(t.root.id)).toMatchObject({
      delivered: 1,
      read: 0,
      deliveredTotal: 11,
      readTotal: 1,
      rateTotal: 1 / 11,
    });
    expect(rates.get(t.a1.id)).toMatchObject({ delivered: 2, read: 1 });
    expect(rates.get(t.a.id)).toMatchObject({ delivered: 0, deliveredTotal: 2, readTotal: 1, rateTotal: 0.5 });
    expect(rates.get(t.b1.id)).toMatchObject({ delivered: 8, read: 0 });
    // A commune of a large audience walks its own memberships: the same counts.
    expect((await readRates(db, t.a.id, { directiveId: fromRoot }))[0]).toMatchObject({
      deliveredTotal: 2,
      readTotal: 1,
    });

    const page = await listDirectivesPage(db, systemActor(), t.b.id);
    expect(page.items.map((d) => [d.id, d.delivered, d.read])).toEqual([
      [fromRoot, 8, 0],
      [fromB, 1, 1],
    ]);
    const ofA = await listDirectivesPage(db, systemActor(), t.a.id);
    expect(ofA.items.map((d) => [d.id, d.delivered, d.read, d.readRate])).toEqual([[fromRoot, 2, 1, 0.5]]);
    // The period filter of readRates: directives sent in [since, until).
    expect((await readRates(db, t.root.id, { since: new Date(now), until: new Date(now + 1) }))[0]).toMatchObject({
      deliveredTotal: 12,
      readTotal: 2,
    });
    expect((await readRates(db, t.root.id, { since: new Date(now + 1) }))[0]).toMatchObject({
      deliveredTotal: 0,
      rateTotal: null,
    });
  });
});
