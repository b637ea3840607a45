import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { addMembership, createPerson, type Role } from "../../../src/domain/people/people-service.ts";
import { createUnit } from "../../../src/domain/units/unit-service.ts";
import {
  answerTicket,
  closeTicket,
  createTicket,
  escalateTicket,
  takeTicket,
  type TicketStatus,
} from "../../../src/domain/tickets/ticket-service.ts";
import { countOpenTickets, listOpenTickets, queuePage } from "../../../src/domain/tickets/ticket-queue.ts";

const t0 = new Date("2026-11-20T03:00:00Z");
const DAY = 86_400_000;
const day = (n: number) => new Date(t0.getTime() + n * DAY);

let db: TestDatabase;
let tree: TestTree;
let people = 0;

beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

async function person(unitId: number, fullName: string, role: Role = "member"): Promise<number> {
  const p = await createPerson(db, { fullName: `${fullName}`, phone: `09${String(++people).padStart(8, "0")}` });
  await addMembership(db, { actor: systemActor(), personId: p.id, unitId, role });
  return p.id;
}

describe("listOpenTickets", () => {
  async function setup() {
    const a1 = await person(tree.branchA1.id, "Nguyễn Văn An");
    const a2 = await person(tree.branchA2.id, "Trần Thị Bình");
    const b1 = await person(tree.branchB1.id, "Lê Văn Cường");
    const branchCadre = await person(tree.branchA1.id, "Cán bộ chi hội 1", "cadre");
    const siblingCadre = await person(tree.branchA2.id, "Cán bộ chi hội 2", "cadre");
    const communeOfficial = await person(tree.communeA.id, "Lãnh đạo xã", "official");
    const provinceOfficial = await person(tree.province.id, "Lãnh đạo tỉnh", "official");
    // Raised on days 0, 1, 2, 3: due 7 days later each.
    const first = (await createTicket(db, { personId: a1, text: "Đường vào thôn bị ngập" }, day(0))).id;
    const second = (await createTicket(db, { personId: a2, text: "Xin hỗ trợ hội viên ốm" }, day(1))).id;
    const third = (await createTicket(db, { personId: a1, text: "Đèn đường hỏng" }, day(2))).id;
    const other = (await createTicket(db, { personId: b1, text: "Tụ tập ồn ào ban đêm" }, day(3))).id;
    return { a1, a2, b1, branchCadre, siblingCadre, communeOfficial, provinceOfficial, first, second, third, other };
  }

  it("should list the open tickets of the person's subtree, overdue first, then by due date, with names and first message", async () => {
    const s = await setup();
    const closed = (await createTicket(db, { personId: s.a1, text: "Đã xong" }, day(0))).id;
    await closeTicket(db, { ticketId: closed, personId: s.branchCadre, now: day(1) });
    // On day 8 the first ticket (due day 7) is overdue, the others not yet.
    const list = await listOpenTickets(db, s.communeOfficial, { now: day(8) });
    expect(list.map((t) => [t.id, t.overdue])).toEqual([
      [s.first, true],
      [s.second, false],
      [s.third, false],
    ]);
    expect(list[0]).toMatchObject({
      memberName: "Nguyễn Văn An",
      unitName: "Chi hội 1",
      firstMessage: "Đường vào thôn bị ngập",
      status: "new",
      unitId: tree.branchA1.id,
    });
    expect((await listOpenTickets(db, s.branchCadre, { now: day(8) })).map((t) => t.id)).toEqual([s.first, s.third]);
    expect((await listOpenTickets(db, s.siblingCadre, { now: day(8) })).map((t) => t.id)).toEqual([s.second]);
    expect((await listOpenTickets(db, s.provinceOfficial, { now: day(8) })).map((t) => t.id)).toEqual([
      s.first,
      s.second,
      s.third,
      s.other,
    ]);
    expect(await listOpenTickets(db, s.a1, { now: day(8) })).toEqual([]);
  });

  it("should put a ticket that became overdue before one raised earlier but due later", async () => {
    const s = await setup();
    // An organisation with a shorter due time makes the newer ticket fall due first.
    await db.kysely
      .updateTable("Ticket")
      .set({ dueAt: day(2).getTime() })
      .where("id", "=", s.third)
      .execute();
    expect((await listOpenTickets(db, s.communeOfficial, { now: day(5) })).map((t) => [t.id, t.overdue])).toEqual([
      [s.third, true],
      [s.first, false],
      [s.second, false],
    ]);
  });

  it("should follow a ticket to the parent unit when it is escalated", async () => {
    const s = await setup();
    await escalateTicket(db, { ticketId: s.first, personId: s.branchCadre, note: null, now: day(1) });
    expect((await listOpenTickets(db, s.branchCadre, { now: day(2) })).map((t) => t.id)).toEqual([s.third]);
    expect((await listOpenTickets(db, s.communeOfficial, { now: day(2) })).map((t) => [t.id, t.unitName])).toEqual([
      [s.first, "Xã Phước Hòa"],
      [s.second, "Chi hội 2"],
      [s.third, "Chi hội 1"],
    ]);
  });

  it("should page and filter by status", async () => {
    const s = await setup();
    await takeTicket(db, { ticketId: s.second, personId: s.communeOfficial, now: day(2) });
    await answerTicket(db, { ticketId: s.third, personId: s.branchCadre, text: "Đã báo điện lực", now: day(3) });
    const all = async (o: { limit?: number; offset?: number; status?: TicketStatus[] }) =>
      (await listOpenTickets(db, s.provinceOfficial, { now: day(4), ...o })).map((t) => t.id);
    expect(await all({ limit: 2 })).toEqual([s.first, s.second]);
    expect(await all({ limit: 2, offset: 2 })).toEqual([s.third, s.other]);
    expect(await all({ limit: 2, offset: 4 })).toEqual([]);
    expect(await all({ status: ["in_progress", "answered"] })).toEqual([s.second, s.third]);
    await closeTicket(db, { ticketId: s.first, personId: s.branchCadre, now: day(4) });
    expect(await all({ status: ["closed"] })).toEqual([s.first]);
  });
});

describe("queuePage", () => {
  /** Three communes of 150 branches each (454 units), a member in each branch. */
  async function bigTree() {
    const communes = [
      tree.communeA,
      tree.communeB,
      await createUnit(db, systemActor(), { parentId: tree.province.id, name: "Xã Lớn" }),
    ];
    const branches: number[] = [];
    const members: number[] = [];
    await db.transaction(async () => {
      for (const commune of communes)
        for (let i = 0; i < 150; i++) {
          const branch = (await createUnit(db, systemActor(), { parentId: commune.id, name: `Chi hội số ${i}` })).id;
          branches.push(branch);
          members.push(await person(branch, `Hội viên ${branch}`));
        }
    });
    return { communes, branches, members };
  }

  /** Gives a commune of `bigTree` 300 more branches (450 in all); their ids. */
  async function growTo450(communeId: number): Promise<number[]> {
    const added: number[] = [];
    await db.transaction(async () => {
      for (let i = 150; i < 450; i++)
        added.push((await createUnit(db, systemActor(), { parentId: communeId, name: `Chi hội số ${i}` })).id);
    });
    return added;
  }

  const statuses: TicketStatus[] = ["new", "in_progress", "answered", "closed"];

  /** Raw tickets with chosen due dates and statuses (dueAt ties on purpose). */
  async function rawTickets(units: number[], members: number[], n: number, seed: number): Promise<void> {
    let x = seed;
    const next = () => (x = (x * 48271) % 2147483647);
    await db.transaction(async () => {
      for (let i = 0; i < n; i++) {
        const k = next() % units.length;
        const due = t0.getTime() + (next() % 40) * 3_600_000;
        const { id } = await db.kysely
          .insertInto("Ticket")
          .values({
            unitId: units[k]!,
            originUnitId: units[k]!,
            personId: members[k % members.length]!,
            category: "khac",
            status: statuses[next() % 4]!,
            dueAt: due,
            createdAt: due - 7 * DAY,
            updatedAt: due - 7 * DAY,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        await db.kysely
          .insertInto("TicketMessage")
          .values({
            ticketId: id,
            authorRole: "member",
            authorPersonId: members[k % members.length]!,
            text: `Ý kiến ${i}`,
            createdAt: due,
          })
          .execute();
      }
    });
  }

  /** The expected page, computed the slow way. */
  async function expected(
    pathPrefix: string,
    wanted: TicketStatus[],
    offset: number,
    limit: number,
  ): Promise<number[]> {
    // Every ticket with its unit's path, filtered and sorted here.
    const rows = await db.kysely
      .selectFrom("Ticket as t")
      .innerJoin("Unit as u", "u.id", "t.unitId")
      .select(["t.id", "t.dueAt", "t.status", "u.path"])
      .execute();
    return rows
      .filter((r) => r.path.startsWith(pathPrefix) && (wanted as string[]).includes(r.status))
      .sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)
      .slice(offset, offset + limit)
      .map((r) => r.id);
  }

  it("should give the same pages whichever plan it takes", async () => {
    const { communes, branches, members } = await bigTree();
    await rawTickets(branches, members, 3000, 7);
    const provinceOfficial = await person(tree.province.id, "Lãnh đạo tỉnh", "official");
    const communeOfficial = await person(communes[0]!.id, "Lãnh đạo xã", "official");
    for (const [offset, limit] of [
      [0, 15],
      [15, 15],
      [90, 30],
      [2990, 20],
    ] as const) {
      const page = await queuePage(db, provinceOfficial, { offset, limit });
      expect(page.ids, `${offset}+${limit}`).toEqual(
        await expected(tree.province.path, ["new", "in_progress", "answered"], offset, limit),
      );
    }
    expect((await queuePage(db, provinceOfficial, { limit: 15 })).plan).toBe("walk");
    expect((await queuePage(db, provinceOfficial, { offset: 2990, limit: 20 })).plan).toBe("units");
    expect((await queuePage(db, provinceOfficial, { limit: 10, status: ["answered", "closed"] })).ids).toEqual(
      await expected(tree.province.path, ["answered", "closed"], 0, 10),
    );
    const commune = await queuePage(db, communeOfficial, { limit: 25 });
    expect(commune.plan).toBe("units");
    expect(commune.ids).toEqual(await expected(communes[0]!.path, ["new", "in_progress", "answered"], 0, 25));
  }, 120_000); // builds a tree of 400+ units and 3,000 tickets: 30-50 s on PostgreSQL under load

  it("should fall back to the per-unit plan when a large scope holds too few of the open tickets", async () => {
    const { communes, branches, members } = await bigTree();
    // The big commune gets 300 more branches (over 400 units) but only two tickets, due last.
    const quiet = communes[2]!;
    const quietBranches = await growTo450(quiet.id);
    const busy = branches.slice(0, 300);
    await rawTickets(busy, members, 6000, 11);
    const late = async (unitId: number) =>
      (
        await db.kysely
          .insertInto("Ticket")
          .values({
            unitId,
            originUnitId: unitId,
            personId: members[0]!,
            category: "khac",
            status: "new",
            dueAt: day(30).getTime(),
            createdAt: t0.getTime(),
            updatedAt: t0.getTime(),
          })
          .returning("id")
          .executeTakeFirstOrThrow()
      ).id;
    const lateIds = [await late(quietBranches[5]!), await late(quietBranches[6]!)];
    const quietOfficial = await person(quiet.id, "Lãnh đạo xã yên ả", "official");
    const page = await queuePage(db, quietOfficial, { limit: 15 });
    expect(page).toEqual({ plan: "units", ids: lateIds });
  }, 120_000); // builds a tree of 400+ units and 3,000 tickets: 30-50 s on PostgreSQL under load

  it("should walk a large scope's tickets and leave out those of the units outside it", async () => {
    const { communes, branches, members } = await bigTree();
    // One commune grows to 450 branches: over 400 units and a large share of the tree, so its
    // official's first page is found by the due-date walk, among tickets of every commune.
    const big = communes[2]!;
    const more = await growTo450(big.id);
    await rawTickets([...branches, ...more], members, 3000, 13);
    const official = await person(big.id, "Lãnh đạo xã lớn", "official");
    const page = await queuePage(db, official, { limit: 15 });
    expect(page.plan).toBe("walk");
    expect(page.ids).toEqual(await expected(big.path, ["new", "in_progress", "answered"], 0, 15));
    // The tickets the walk passed over are there: outside the commune, due as early.
    expect(
      (await expected(tree.province.path, ["new", "in_progress", "answered"], 0, 15)).some(
        (id) => !page.ids.includes(id),
      ),
    ).toBe(true);
  }, 120_000); // builds a tree of 750+ units and 3,000 tickets

  it("should find nothing for a person without the right", async () => {
    const member = await person(tree.branchA1.id, "Hội viên");
    expect(await queuePage(db, member, {})).toEqual({ plan: "none", ids: [] });
  });
});

describe("countOpenTickets", () => {
  it("should count the open and overdue tickets of the scope", async () => {
    const a1 = await person(tree.branchA1.id, "An");
    const b1 = await person(tree.branchB1.id, "Cường");
    const cadre = await person(tree.branchA1.id, "Cán bộ", "cadre");
    const official = await person(tree.province.id, "Tỉnh", "official");
    const old = (await createTicket(db, { personId: a1, text: "Cũ" }, day(0))).id;
    await createTicket(db, { personId: a1, text: "Mới" }, day(5));
    await createTicket(db, { personId: b1, text: "Phường" }, day(0));
    const done = (await createTicket(db, { personId: a1, text: "Xong" }, day(0))).id;
    await closeTicket(db, { ticketId: done, personId: cadre, now: day(1) });
    await answerTicket(db, { ticketId: old, personId: cadre, text: "Đã trả lời", now: day(2) });
    expect(await countOpenTickets(db, cadre, day(8))).toEqual({ open: 2, overdue: 1 });
    expect(await countOpenTickets(db, official, day(8))).toEqual({ open: 3, overdue: 2 });
    expect(await countOpenTickets(db, a1, day(8))).toEqual({ open: 0, overdue: 0 });
  });
});
