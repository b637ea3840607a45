import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { createTicket, defaultTicketsPerDay, ticketTextMaxLength } from "../../../src/domain/tickets/ticket-service.ts";
import { isAppError } from "../../../src/lib/app-error.ts";
import { ChatHarness } from "../../helpers/chat-harness.ts";
import { issueLinkCode } from "../../../src/domain/linking/link-service.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";

let db: TestDatabase;
let tree: TestTree;
beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

const t0 = new Date("2026-11-23T03:00:00Z");
const hours = (n: number) => new Date(t0.getTime() + n * 3_600_000);

async function member(name = "Nguyễn Văn An") {
  const p = await createPerson(db, { fullName: name });
  await addMembership(db, { actor: systemActor(), personId: p.id, unitId: tree.branchA1.id, role: "member" });
  return p;
}

describe("createTicket limits", () => {
  it("should cut a text longer than the maximum, with a note, and say how much was cut", async () => {
    const p = await member();
    const whole = "a".repeat(ticketTextMaxLength + 1234);
    const created = await createTicket(db, { personId: p.id, text: whole }, t0);
    expect(created.cut).toBe(1234);
    const stored = (
      await db.kysely
        .selectFrom("TicketMessage")
        .select("text")
        .where("ticketId", "=", created.id)
        .executeTakeFirstOrThrow()
    ).text;
    expect(stored.startsWith("a".repeat(ticketTextMaxLength))).toBe(true);
    expect(stored).toContain("+1234");
    expect(stored.length).toBeLessThan(ticketTextMaxLength + 20);
    expect((await createTicket(db, { personId: p.id, text: "ngắn thôi" }, t0)).cut).toBe(0);
  });

  it("should refuse a member's ticket past the daily cap, counting 24 hours back, and not another member's", async () => {
    const p = await member();
    for (let i = 0; i < 3; i++)
      await createTicket(db, { personId: p.id, text: `ý kiến ${i}` }, hours(i), { perDay: 3 });
    let error: unknown;
    try {
      await createTicket(db, { personId: p.id, text: "một nữa" }, hours(5), { perDay: 3 });
    } catch (e) {
      error = e;
    }
    expect(isAppError(error, "ticket_too_many")).toBe(true);
    expect((error as { params: { max: number } }).params.max).toBe(3);
    expect(
      (await createTicket(db, { personId: (await member("Trần Bình")).id, text: "của tôi" }, hours(5), { perDay: 3 }))
        .id,
    ).toBeGreaterThan(0);
    // The first ticket is more than 24 hours old at hour 24.5.
    expect(
      (await createTicket(db, { personId: p.id, text: "hôm sau" }, hours(24.5), { perDay: 3 })).id,
    ).toBeGreaterThan(0);
  });
});

describe("concerns in chat", () => {
  it("should tell a member clearly when the daily cap is reached", async () => {
    const h = await ChatHarness.create();
    try {
      const tree2 = await buildTree(h.db);
      const p = await createPerson(h.db, { fullName: "Nguyễn Văn An" });
      await addMembership(h.db, { actor: systemActor(), personId: p.id, unitId: tree2.branchA1.id, role: "member" });
      await h.text(42, `DK ${(await issueLinkCode(h.db, p.id)).code}`);
      for (let i = 0; i < defaultTicketsPerDay; i++) {
        await h.text(42, `/ykien đường làng số ${i} bị hỏng`);
        expect(await h.lastText(42)).toMatch(/#\d+/);
      }
      await h.text(42, "/ykien thêm một ý kiến nữa");
      expect(await h.lastText(42)).toContain(`Hôm nay anh/chị đã gửi ${defaultTicketsPerDay} ý kiến`);
      expect(
        (
          await h.db.kysely
            .selectFrom("Ticket")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      ).toBe(defaultTicketsPerDay);
      // The refused concern is still in the message log.
      expect(
        await h.db.kysely
          .selectFrom("MessageLog")
          .select("id")
          .where("text", "=", "/ykien thêm một ý kiến nữa")
          .executeTakeFirst(),
      ).toBeTruthy();
    } finally {
      await h.destroy();
    }
  });
});
