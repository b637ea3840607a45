import { describe, expect, it } from "vitest";
import { useTreeDatabase } from "../../helpers/tree.ts";
import { addTestPerson } from "../../helpers/people.ts";
import { appErrorCode as codeOf } from "../../helpers/app-error-code.ts";
import {
  answerTicket,
  closeTicket,
  createTicket,
  escalateTicket,
  recordSatisfaction,
  takeTicket,
} from "../../../src/domain/tickets/ticket-service.ts";
import {
  countTicketsByStatus,
  searchTickets,
  ticketSearchPlans,
  ticketSearchQuery,
  type TicketFilters,
} from "../../../src/domain/tickets/ticket-search.ts";
import type { TicketStatus } from "../../../src/domain/tickets/ticket-service.ts";
import { foldVietnamese } from "../../../src/lib/vietnamese.ts";
import {
  addTicketNote,
  listTicketNotes,
  reopenTicket,
  setTicketCategory,
  setTicketDueDate,
} from "../../../src/domain/tickets/ticket-edits.ts";
import { ticketThread } from "../../../src/domain/tickets/ticket-service.ts";

const ctx = useTreeDatabase();
const t0 = new Date("2026-11-20T03:00:00Z");
const at = (days: number) => new Date(t0.getTime() + days * 86_400_000);

async function setup() {
  const { db, tree } = ctx;
  const cadreA1 = await addTestPerson(db, tree.branchA1.id, "Cán Bộ A1", { role: "cadre" });
  const officialA = await addTestPerson(db, tree.communeA.id, "Lãnh Đạo Xã A", { role: "official" });
  const adminP = await addTestPerson(db, tree.province.id, "Quản Trị Tỉnh", { role: "admin" });
  const m1 = await addTestPerson(db, tree.branchA1.id, "Hội Viên Một");
  const m2 = await addTestPerson(db, tree.branchA2.id, "Hội Viên Hai");
  const m3 = await addTestPerson(db, tree.branchB1.id, "Hội Viên Ba");
  const flood = (await createTicket(db, { personId: m1, text: "Đường vào thôn bị NGẬP mỗi khi mưa" }, at(0))).id;
  const benefit = (await createTicket(db, { personId: m1, text: "Xin hỏi chế độ trợ cấp thương binh" }, at(1))).id;
  const a2 = (await createTicket(db, { personId: m2, text: "Đèn đường hỏng ở xóm Đông" }, at(2))).id;
  const b1 = (await createTicket(db, { personId: m3, text: "Đường ngập ở khu phố 3" }, at(3))).id;
  return { cadreA1, officialA, adminP, m1, flood, benefit, a2, b1 };
}

const ids = (r: { rows: { id: number }[] }) => r.rows.map((x) => x.id);

describe("searchTickets", () => {
  it("should list only the subtree's tickets, by due date, and refuse a unit outside the scope", async () => {
    const s = await setup();
    const page = { now: at(3) };
    expect(ids(await searchTickets(ctx.db, s.cadreA1, {}, page))).toEqual([s.flood, s.benefit]);
    expect(ids(await searchTickets(ctx.db, s.officialA, {}, page))).toEqual([s.flood, s.benefit, s.a2]);
    expect(ids(await searchTickets(ctx.db, s.adminP, {}, page))).toEqual([s.flood, s.benefit, s.a2, s.b1]);
    expect(ids(await searchTickets(ctx.db, s.m1, {}, page))).toEqual([]);
    expect(ids(await searchTickets(ctx.db, s.officialA, { unitId: ctx.tree.branchA2.id }, page))).toEqual([s.a2]);
    expect(await codeOf(() => searchTickets(ctx.db, s.officialA, { unitId: ctx.tree.branchB1.id }, page))).toBe(
      "forbidden",
    );
    expect(await codeOf(() => searchTickets(ctx.db, s.cadreA1, { unitId: ctx.tree.communeA.id }, page))).toBe(
      "forbidden",
    );
    expect(ids(await searchTickets(ctx.db, s.adminP, { sort: "newest" }, page))).toEqual([
      s.b1,
      s.a2,
      s.benefit,
      s.flood,
    ]);
    const first = await searchTickets(ctx.db, s.adminP, {}, { now: at(3), limit: 3 });
    expect(first.more).toBe(true);
    expect(ids(await searchTickets(ctx.db, s.adminP, {}, { now: at(3), limit: 3, offset: 3 }))).toEqual([s.b1]);
  });

  it("should find words with or without diacritics in the member's text and in answers, never in internal notes", async () => {
    const s = await setup();
    const page = { now: at(3) };
    expect(ids(await searchTickets(ctx.db, s.adminP, { text: "duong ngap" }, page))).toEqual([s.flood, s.b1]);
    expect(ids(await searchTickets(ctx.db, s.adminP, { text: "ĐƯỜNG Ngập" }, page))).toEqual([s.flood, s.b1]);
    expect(ids(await searchTickets(ctx.db, s.officialA, { text: "duong ngap" }, page))).toEqual([s.flood]);
    expect(ids(await searchTickets(ctx.db, s.adminP, { text: "thuong" }, page))).toEqual([s.benefit]);
    await answerTicket(ctx.db, {
      ticketId: s.a2,
      personId: s.officialA,
      text: "Xã đã cử điện lực sửa trong tuần này",
      now: at(3),
    });
    await addTicketNote(ctx.db, { ticketId: s.benefit, personId: s.cadreA1, text: "hồ sơ điện lực riêng", now: at(3) });
    expect(ids(await searchTickets(ctx.db, s.adminP, { text: "dien luc" }, page))).toEqual([s.a2]);
    expect(ids(await searchTickets(ctx.db, s.adminP, { text: '"*:(' }, page))).toEqual([]);
    expect(ticketSearchQuery("Đường  ngập!")).toBe('"duong"* "ngap"*');
  });

  it("should filter by status, category, overdue, assignee, satisfaction and date range, and count per status", async () => {
    const s = await setup();
    await takeTicket(ctx.db, { ticketId: s.benefit, personId: s.officialA, now: at(2) });
    await answerTicket(ctx.db, { ticketId: s.a2, personId: s.officialA, text: "Đã báo điện lực", now: at(3) });
    await recordSatisfaction(ctx.db, {
      ticketId: s.a2,
      personId: (
        await ctx.db.kysely.selectFrom("Ticket").select("personId").where("id", "=", s.a2).executeTakeFirstOrThrow()
      ).personId,
      satisfied: true,
      now: at(3),
    });
    await closeTicket(ctx.db, { ticketId: s.b1, personId: s.adminP, now: at(3) });
    const now = at(8); // flood (due day 7) is overdue; benefit (due day 8) is due exactly now
    const page = { now };
    // A member satisfied with the answer closes their concern (chat rule), so a2 is closed too.
    expect(ids(await searchTickets(ctx.db, s.adminP, { status: ["closed"] }, page))).toEqual([s.a2, s.b1]);
    expect(ids(await searchTickets(ctx.db, s.adminP, { category: "che_do_chinh_sach" }, page))).toEqual([s.benefit]);
    expect(ids(await searchTickets(ctx.db, s.adminP, { overdue: true }, page))).toEqual([s.flood]);
    expect(ids(await searchTickets(ctx.db, s.officialA, { assignee: "me" }, page))).toEqual([s.benefit, s.a2]);
    expect(ids(await searchTickets(ctx.db, s.adminP, { assignee: "none" }, page))).toEqual([s.flood, s.b1]);
    expect(ids(await searchTickets(ctx.db, s.adminP, { assignee: "none", status: ["new"] }, page))).toEqual([s.flood]);
    expect(ids(await searchTickets(ctx.db, s.adminP, { satisfaction: "yes" }, page))).toEqual([s.a2]);
    expect(ids(await searchTickets(ctx.db, s.adminP, { from: at(1).getTime(), to: at(3).getTime() }, page))).toEqual([
      s.benefit,
      s.a2,
    ]);
    expect(await countTicketsByStatus(ctx.db, s.adminP, {}, now)).toEqual({
      new: 1,
      in_progress: 1,
      answered: 0,
      closed: 2,
    });
    expect(await countTicketsByStatus(ctx.db, s.cadreA1, {}, now)).toEqual({
      new: 1,
      in_progress: 1,
      answered: 0,
      closed: 0,
    });
    expect(await countTicketsByStatus(ctx.db, s.m1, {}, now)).toEqual({
      new: 0,
      in_progress: 0,
      answered: 0,
      closed: 0,
    });
    expect(await codeOf(() => searchTickets(ctx.db, s.adminP, { category: "bogus" }, page))).toBe("invalid_input");
  });

  it("should follow a ticket passed up: the branch cadre no longer lists it, the commune does", async () => {
    const s = await setup();
    await escalateTicket(ctx.db, { ticketId: s.flood, personId: s.cadreA1, note: "vượt thẩm quyền", now: at(1) });
    expect(ids(await searchTickets(ctx.db, s.cadreA1, {}, { now: at(3) }))).toEqual([s.benefit]);
    expect(ids(await searchTickets(ctx.db, s.officialA, { unitId: ctx.tree.communeA.id }, { now: at(3) }))).toContain(
      s.flood,
    );
  });
});

describe("ticket edits", () => {
  it("should keep internal notes from the member, reopen, and change category and due date within the scope", async () => {
    const s = await setup();
    await addTicketNote(ctx.db, { ticketId: s.flood, personId: s.cadreA1, text: "Đã gọi trưởng thôn", now: at(1) });
    expect((await listTicketNotes(ctx.db, s.flood, s.officialA)).map((n) => n.text)).toEqual(["Đã gọi trưởng thôn"]);
    expect(await codeOf(() => listTicketNotes(ctx.db, s.flood, s.m1))).toBe("forbidden");
    expect(JSON.stringify(await ticketThread(ctx.db, s.flood, s.m1))).not.toContain("trưởng thôn");
    expect(
      await codeOf(() => addTicketNote(ctx.db, { ticketId: s.b1, personId: s.officialA, text: "x", now: at(1) })),
    ).toBe("forbidden");
    expect(
      await codeOf(() => addTicketNote(ctx.db, { ticketId: s.flood, personId: s.cadreA1, text: "  ", now: at(1) })),
    ).toBe("invalid_input");

    expect(await codeOf(() => reopenTicket(ctx.db, { ticketId: s.flood, personId: s.cadreA1, now: at(1) }))).toBe(
      "conflict",
    );
    await closeTicket(ctx.db, { ticketId: s.flood, personId: s.cadreA1, now: at(1) });
    expect((await reopenTicket(ctx.db, { ticketId: s.flood, personId: s.cadreA1, now: at(2) })).status).toBe(
      "in_progress",
    );

    expect(
      (await setTicketCategory(ctx.db, { ticketId: s.flood, personId: s.cadreA1, category: "doi_song", now: at(2) }))
        .category,
    ).toBe("doi_song");
    expect(
      await codeOf(() =>
        setTicketCategory(ctx.db, { ticketId: s.flood, personId: s.cadreA1, category: "nope", now: at(2) }),
      ),
    ).toBe("invalid_input");
    expect(
      (await setTicketDueDate(ctx.db, { ticketId: s.flood, personId: s.cadreA1, dueAt: at(20).getTime(), now: at(2) }))
        .dueAt,
    ).toBe(at(20).getTime());
    expect(
      await codeOf(() =>
        setTicketDueDate(ctx.db, { ticketId: s.flood, personId: s.cadreA1, dueAt: at(-5).getTime(), now: at(2) }),
      ),
    ).toBe("invalid_input");
    expect(
      await codeOf(() =>
        setTicketDueDate(ctx.db, { ticketId: s.b1, personId: s.cadreA1, dueAt: at(20).getTime(), now: at(2) }),
      ),
    ).toBe("forbidden");
    const audit = await ctx.db.kysely
      .selectFrom("AuditLog")
      .select(["action", "source"])
      .where("entityType", "=", "Ticket")
      .where("entityId", "=", s.flood)
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { action: "ticket.note", source: "web" },
      { action: "ticket.close", source: "chat" },
      { action: "ticket.reopen", source: "web" },
      { action: "ticket.category", source: "web" },
      { action: "ticket.due", source: "web" },
    ]);
  });
});

describe("searchTickets plans", () => {
  const subjects = ["Đường giao thông", "Mương thoát nước", "Đèn chiếu sáng", "Chế độ trợ cấp", "Tiếng ồn karaoke"];
  const problems = ["xuống cấp", "bị ngập khi mưa", "hỏng đã lâu", "chưa được giải quyết"];
  const places = ["thôn An Lợi", "xóm Đông", "khu phố 3", "ngã ba Đồng Lộc"];
  const categories = ["ha_tang", "doi_song", "an_ninh_trat_tu"];

  /** 48 concerns over the tree with every status, categories, assignees, answers and satisfaction. */
  async function seed() {
    const { db, tree } = ctx;
    const adminP = await addTestPerson(db, tree.province.id, "Quản Trị Tỉnh", { role: "admin" });
    const officialA = await addTestPerson(db, tree.communeA.id, "Lãnh Đạo Xã A", { role: "official" });
    const branches = [tree.branchA1, tree.branchA2, tree.branchB1, tree.branchB2];
    const members: number[] = [];
    for (const [i, b] of branches.entries())
      members.push(await addTestPerson(db, b.id, `Hội Viên ${i}`), await addTestPerson(db, b.id, `Hội Viên ${i}b`));
    for (let i = 0; i < 48; i++) {
      const k = (i * 5) % members.length;
      const member = members[k]!;
      const text = `${subjects[i % 5]} ở ${places[(i * 3) % 4]} ${problems[(i * 7) % 4]}`;
      const id = (await createTicket(db, { personId: member, text }, at(i % 17), { perDay: 100 })).id;
      await setTicketCategory(db, { ticketId: id, personId: adminP, category: categories[i % 3]!, now: at(20) });
      if (i % 5 === 0)
        await setTicketDueDate(db, { ticketId: id, personId: adminP, dueAt: at(30 + (i % 7)).getTime(), now: at(20) });
      if (i % 4 === 1)
        await takeTicket(db, { ticketId: id, personId: i % 8 === 1 && k < 4 ? officialA : adminP, now: at(20) });
      if (i % 4 === 2 || i % 4 === 3)
        await answerTicket(db, {
          ticketId: id,
          personId: adminP,
          text: `Đã chuyển, giải quyết trong tháng ${1 + (i % 12)}`,
          now: at(20),
        });
      if (i % 4 === 3) await closeTicket(db, { ticketId: id, personId: adminP, now: at(21) });
      if (i % 6 === 2)
        await recordSatisfaction(db, { ticketId: id, personId: member, satisfied: i % 12 === 2, now: at(21) });
    }
    return { adminP, officialA };
  }

  /** The answer computed here from every stored row: scope, filters, words (as the search index folds them), order. */
  async function reference(viewer: number, f: TicketFilters, now: Date): Promise<number[]> {
    const { db } = ctx;
    const roots = (
      await db.kysely
        .selectFrom("Membership as m")
        .innerJoin("Unit as u", "u.id", "m.unitId")
        .select(["u.path", "m.role"])
        .where("m.personId", "=", viewer)
        .execute()
    )
      .filter((r) => r.role !== "member")
      .map((r) => r.path);
    const scopePath =
      f.unitId !== undefined
        ? (await db.kysely.selectFrom("Unit").select("path").where("id", "=", f.unitId).executeTakeFirstOrThrow()).path
        : undefined;
    const tickets = await db.kysely
      .selectFrom("Ticket as t")
      .innerJoin("Unit as u", "u.id", "t.unitId")
      .selectAll("t")
      .select("u.path")
      .execute();
    const messages = await db.kysely
      .selectFrom("TicketMessage")
      .select(["ticketId", "text"])
      .where("authorRole", "in", ["member", "official"])
      .execute();
    const words =
      f.text === undefined
        ? null
        : foldVietnamese(f.text)
            .split(/[^a-z0-9]+/)
            .filter(Boolean);
    const matches = (text: string) => {
      const tokens = foldVietnamese(text)
        .split(/[^a-z0-9]+/)
        .filter(Boolean);
      return words!.every((w) => tokens.some((t) => t.startsWith(w)));
    };
    const statuses = f.status?.length ? f.status : ["new", "in_progress", "answered", "closed"];
    const column = f.sort === "age" || f.sort === "newest" ? "createdAt" : "dueAt";
    const sign = f.sort === "newest" ? -1 : 1;
    return tickets
      .filter(
        (t) => roots.some((p) => t.path.startsWith(p)) && (scopePath === undefined || t.path.startsWith(scopePath)),
      )
      .filter((t) => statuses.includes(t.status as TicketStatus))
      .filter((t) => !f.category || t.category === f.category)
      .filter((t) => !f.overdue || (t.status !== "closed" && t.dueAt < now.getTime()))
      .filter(
        (t) => f.assignee === undefined || (f.assignee === "me" ? t.assigneeId === viewer : t.assigneeId === null),
      )
      .filter(
        (t) =>
          f.satisfaction === undefined ||
          t.satisfied === (f.satisfaction === "yes" ? true : f.satisfaction === "no" ? false : null),
      )
      .filter((t) => (f.from === undefined || t.createdAt >= f.from) && (f.to === undefined || t.createdAt < f.to))
      .filter(
        (t) => words === null || (words.length > 0 && messages.some((m) => m.ticketId === t.id && matches(m.text))),
      )
      .sort((a, b) => sign * (a[column] - b[column] || a.id - b.id))
      .map((t) => t.id);
  }

  it("should give exactly the reference rows and order with every plan, filter, sort and page", async () => {
    const s = await seed();
    const now = at(22);
    const filterSets: TicketFilters[] = [
      {},
      { status: ["new"] },
      { status: ["closed"] },
      { status: ["new", "in_progress", "answered"] },
      { unitId: ctx.tree.communeA.id },
      { unitId: ctx.tree.branchB1.id },
      { category: "ha_tang" },
      { overdue: true },
      { assignee: "me" },
      { assignee: "none" },
      { satisfaction: "no" },
      { satisfaction: "yes" },
      { satisfaction: "unsaid" },
      { from: at(3).getTime(), to: at(9).getTime() },
      { from: at(10).getTime() },
      { text: "duong ngap" },
      { text: "karaoke" },
      { text: "ĐỒNG lộc trợ cấp" },
      { text: "thang 12" },
      { text: "giai" },
      { text: "zzz" },
      { text: "!!" },
      { text: "duong", status: ["new", "in_progress", "answered"] },
      { text: "muong", unitId: ctx.tree.communeA.id },
      { text: "den", from: at(2).getTime(), to: at(12).getTime() },
    ];
    const saved = { ...ticketSearchPlans };
    try {
      for (const plans of [
        saved,
        { smallDateRange: 0, rareWords: 0, commonWords: 1_000_000 },
        { smallDateRange: 1_000_000, rareWords: 1_000_000, commonWords: 1_000_000 },
        { smallDateRange: 0, rareWords: 0, commonWords: 0 },
      ]) {
        Object.assign(ticketSearchPlans, plans);
        for (const viewer of [s.adminP, s.officialA])
          for (const base of filterSets) {
            if (base.unitId === ctx.tree.branchB1.id && viewer === s.officialA) continue;
            for (const sort of [undefined, "age", "newest"] as const) {
              const f: TicketFilters = { ...base, ...(sort ? { sort } : {}) };
              const want = await reference(viewer, f, now);
              const label = JSON.stringify({ plans, viewer, f });
              const first = await searchTickets(ctx.db, viewer, f, { now, limit: 7 });
              expect(ids(first), label).toEqual(want.slice(0, 7));
              expect(first.more, label).toBe(want.length > 7);
              expect(ids(await searchTickets(ctx.db, viewer, f, { now, limit: 7, offset: 7 })), label).toEqual(
                want.slice(7, 14),
              );
              expect(ids(await searchTickets(ctx.db, viewer, f, { now, limit: 2, offset: 2 })), label).toEqual(
                want.slice(2, 4),
              );
              const counts = await countTicketsByStatus(ctx.db, viewer, { ...f, status: undefined }, now);
              const all = await reference(viewer, { ...f, status: undefined }, now);
              expect(
                Object.values(counts).reduce((a, b) => a + b, 0),
                label,
              ).toBe(all.length);
            }
          }
      }
    } finally {
      Object.assign(ticketSearchPlans, saved);
    }
  }, 240_000); // ~2,000 searches, each checked against the reference (PostgreSQL under load: minutes)
});
