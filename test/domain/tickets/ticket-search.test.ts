import { describe, expect, it } from "vitest";
import { useTreeDatabase } from "../../helpers/tree.ts";
import { addTestPerson } from "../../helpers/people.ts";
import { appErrorCode as codeOf } from "../../helpers/app-error-code.ts";
import { answerTicket, closeTicket, createTicket, escalateTicket, recordSatisfaction, takeTicket } from "../../../src/domain/tickets/ticket-service.ts";
import { countTicketsByStatus, searchTickets, ticketSearchQuery } from "../../../src/domain/tickets/ticket-search.ts";
import { addTicketNote, listTicketNotes, reopenTicket, setTicketCategory, setTicketDueDate } from "../../../src/domain/tickets/ticket-edits.ts";
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
    expect(await codeOf(() => searchTickets(ctx.db, s.officialA, { unitId: ctx.tree.branchB1.id }, page))).toBe("forbidden");
    expect(await codeOf(() => searchTickets(ctx.db, s.cadreA1, { unitId: ctx.tree.communeA.id }, page))).toBe("forbidden");
    expect(ids(await searchTickets(ctx.db, s.adminP, { sort: "newest" }, page))).toEqual([s.b1, s.a2, s.benefit, s.flood]);
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
    await answerTicket(ctx.db, s.a2, s.officialA, "Xã đã cử điện lực sửa trong tuần này", at(3));
    await addTicketNote(ctx.db, s.benefit, s.cadreA1, "hồ sơ điện lực riêng", at(3));
    expect(ids(await searchTickets(ctx.db, s.adminP, { text: "dien luc" }, page))).toEqual([s.a2]);
    expect(ids(await searchTickets(ctx.db, s.adminP, { text: "\"*:(" }, page))).toEqual([]);
    expect(ticketSearchQuery("Đường  ngập!")).toBe('"duong"* "ngap"*');
  });

  it("should filter by status, category, overdue, assignee, satisfaction and date range, and count per status", async () => {
    const s = await setup();
    await takeTicket(ctx.db, s.benefit, s.officialA, at(2));
    await answerTicket(ctx.db, s.a2, s.officialA, "Đã báo điện lực", at(3));
    await recordSatisfaction(ctx.db, s.a2, s.a2 && (await ctx.db.sql.get<{ personId: number }>(`SELECT personId FROM Ticket WHERE id = ?`, s.a2))!.personId, true, at(3));
    await closeTicket(ctx.db, s.b1, s.adminP, at(3));
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
    expect(ids(await searchTickets(ctx.db, s.adminP, { from: at(1).getTime(), to: at(3).getTime() }, page))).toEqual([s.benefit, s.a2]);
    expect(await countTicketsByStatus(ctx.db, s.adminP, {}, now)).toEqual({ new: 1, in_progress: 1, answered: 0, closed: 2 });
    expect(await countTicketsByStatus(ctx.db, s.cadreA1, {}, now)).toEqual({ new: 1, in_progress: 1, answered: 0, closed: 0 });
    expect(await countTicketsByStatus(ctx.db, s.m1, {}, now)).toEqual({ new: 0, in_progress: 0, answered: 0, closed: 0 });
    expect(await codeOf(() => searchTickets(ctx.db, s.adminP, { category: "bogus" }, page))).toBe("invalid_input");
  });

  it("should follow a ticket passed up: the branch cadre no longer lists it, the commune does", async () => {
    const s = await setup();
    await escalateTicket(ctx.db, s.flood, s.cadreA1, "vượt thẩm quyền", at(1));
    expect(ids(await searchTickets(ctx.db, s.cadreA1, {}, { now: at(3) }))).toEqual([s.benefit]);
    expect(ids(await searchTickets(ctx.db, s.officialA, { unitId: ctx.tree.communeA.id }, { now: at(3) }))).toContain(s.flood);
  });
});

describe("ticket edits", () => {
  it("should keep internal notes from the member, reopen, and change category and due date within the scope", async () => {
    const s = await setup();
    await addTicketNote(ctx.db, s.flood, s.cadreA1, "Đã gọi trưởng thôn", at(1));
    expect((await listTicketNotes(ctx.db, s.flood, s.officialA)).map((n) => n.text)).toEqual(["Đã gọi trưởng thôn"]);
    expect(await codeOf(() => listTicketNotes(ctx.db, s.flood, s.m1))).toBe("forbidden");
    expect(JSON.stringify(await ticketThread(ctx.db, s.flood, s.m1))).not.toContain("trưởng thôn");
    expect(await codeOf(() => addTicketNote(ctx.db, s.b1, s.officialA, "x", at(1)))).toBe("forbidden");
    expect(await codeOf(() => addTicketNote(ctx.db, s.flood, s.cadreA1, "  ", at(1)))).toBe("invalid_input");

    expect(await codeOf(() => reopenTicket(ctx.db, s.flood, s.cadreA1, at(1)))).toBe("conflict");
    await closeTicket(ctx.db, s.flood, s.cadreA1, at(1));
    expect((await reopenTicket(ctx.db, s.flood, s.cadreA1, at(2))).status).toBe("in_progress");

    expect((await setTicketCategory(ctx.db, s.flood, s.cadreA1, "doi_song", at(2))).category).toBe("doi_song");
    expect(await codeOf(() => setTicketCategory(ctx.db, s.flood, s.cadreA1, "nope", at(2)))).toBe("invalid_input");
    expect((await setTicketDueDate(ctx.db, s.flood, s.cadreA1, at(20).getTime(), at(2))).dueAt).toBe(at(20).getTime());
    expect(await codeOf(() => setTicketDueDate(ctx.db, s.flood, s.cadreA1, at(-5).getTime(), at(2)))).toBe("invalid_input");
    expect(await codeOf(() => setTicketDueDate(ctx.db, s.b1, s.cadreA1, at(20).getTime(), at(2)))).toBe("forbidden");
    const audit = await ctx.db.sql.all<{ action: string; source: string }>(`SELECT action, source FROM AuditLog WHERE entityType = 'Ticket' AND entityId = ? ORDER BY id`, s.flood);
    expect(audit).toEqual([
      { action: "ticket.note", source: "web" }, { action: "ticket.close", source: "chat" }, { action: "ticket.reopen", source: "web" },
      { action: "ticket.category", source: "web" }, { action: "ticket.due", source: "web" },
    ]);
  });
});
