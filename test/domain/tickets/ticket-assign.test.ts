import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { addMembership, createPerson } from "../../../src/domain/people/people-service.ts";
import { systemActor } from "../../../src/domain/access/actor.ts";
import { closeTicket, createTicket, escalateTicket } from "../../../src/domain/tickets/ticket-service.ts";
import { assignableHandlers, assignTicket } from "../../../src/domain/tickets/ticket-assign.ts";
import { AppError } from "../../../src/lib/app-error.ts";

let db: TestDatabase;
let tree: TestTree;
beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

const now = new Date("2026-11-23T03:00:00Z");

async function person(name: string, unitId: number, role: "member" | "cadre" | "official") {
  const p = await createPerson(db, { fullName: name });
  await addMembership(db, { actor: systemActor(), personId: p.id, unitId, role });
  return p.id;
}

async function setup() {
  const official = await person("Trần Quốc Khánh", tree.communeA.id, "official");
  const cadre = await person("Nguyễn Văn Cán", tree.branchA1.id, "cadre");
  const lan = await person("Hồ Thị Lan", tree.branchA1.id, "cadre");
  const other = await person("Phạm Văn Xa", tree.branchB1.id, "cadre");
  const member = await person("Lê Thị Hoa", tree.branchA1.id, "member");
  const ticket = (await createTicket(db, { personId: member, text: "Đường ngập" }, now)).id;
  return { official, cadre, lan, other, member, ticket };
}

const row = async (id: number) =>
  await db.kysely.selectFrom("Ticket").select(["status", "assigneeId"]).where("id", "=", id).executeTakeFirstOrThrow();
const refusal = async (p: Promise<unknown>) => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return { code: (error as AppError).code, params: (error as AppError).params };
};

describe("assignTicket", () => {
  it("should give the concern to another handler: in progress with them, history noted, audited with the source", async () => {
    const s = await setup();
    await expect(
      assignTicket(db, { ticketId: s.ticket, actorId: s.official, assigneeId: s.lan, now, source: "web" }),
    ).resolves.toEqual({
      ticketId: s.ticket,
      assigneeId: s.lan,
      changed: true,
    });
    expect(await row(s.ticket)).toEqual({ status: "in_progress", assigneeId: s.lan });
    expect(
      await db.kysely
        .selectFrom("TicketStatusChange")
        .select(["fromStatus", "toStatus", "byPersonId", "note"])
        .where("ticketId", "=", s.ticket)
        .orderBy("id", "desc")
        .limit(1)
        .executeTakeFirst(),
    ).toEqual({ fromStatus: "new", toStatus: "in_progress", byPersonId: s.official, note: "reassigned" });
    expect(
      await db.kysely
        .selectFrom("AuditLog")
        .select(["actorPersonId", "source", "action", "detail"])
        .where("entityType", "=", "Ticket")
        .where("entityId", "=", s.ticket)
        .executeTakeFirst(),
    ).toEqual({
      actorPersonId: s.official,
      source: "web",
      action: "ticket.assign",
      detail: JSON.stringify({ assigneeId: s.lan, from: null }),
    });
    // Again to the same person: nothing changes, nothing is recorded.
    await expect(
      assignTicket(db, { ticketId: s.ticket, actorId: s.official, assigneeId: s.lan, now, source: "web" }),
    ).resolves.toMatchObject({ changed: false });
    expect(
      (
        await db.kysely
          .selectFrom("AuditLog")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("entityId", "=", s.ticket)
          .where("action", "=", "ticket.assign")
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(1);
  });

  it("should refuse an actor outside the concern's unit, an assignee who cannot handle it, and a closed concern", async () => {
    const s = await setup();
    expect(await refusal(assignTicket(db, { ticketId: s.ticket, actorId: s.other, assigneeId: s.other, now }))).toEqual(
      {
        code: "forbidden",
        params: { permission: "handle_tickets" },
      },
    );
    expect(
      await refusal(assignTicket(db, { ticketId: s.ticket, actorId: s.official, assigneeId: s.other, now })),
    ).toEqual({
      code: "ticket_assignee_not_handler",
      params: { name: "Phạm Văn Xa", unit: "Chi hội 1" },
    });
    expect(
      await refusal(assignTicket(db, { ticketId: s.ticket, actorId: s.official, assigneeId: s.member, now })),
    ).toMatchObject({
      code: "ticket_assignee_not_handler",
    });
    expect(
      await refusal(assignTicket(db, { ticketId: s.ticket, actorId: s.official, assigneeId: 999_999, now })),
    ).toMatchObject({
      code: "person_not_found",
    });
    expect(
      await refusal(assignTicket(db, { ticketId: 999_999, actorId: s.official, assigneeId: s.lan, now })),
    ).toMatchObject({ code: "not_found" });
    // Passed up to the commune: the branch cadres can no longer be given it.
    await escalateTicket(db, { ticketId: s.ticket, personId: s.cadre, note: null, now });
    expect(
      await refusal(assignTicket(db, { ticketId: s.ticket, actorId: s.official, assigneeId: s.lan, now })),
    ).toEqual({
      code: "ticket_assignee_not_handler",
      params: { name: "Hồ Thị Lan", unit: "Xã Phước Hòa" },
    });
    await closeTicket(db, { ticketId: s.ticket, personId: s.official, now });
    expect(
      await refusal(assignTicket(db, { ticketId: s.ticket, actorId: s.official, assigneeId: s.official, now })),
    ).toMatchObject({
      code: "ticket_closed",
    });
    expect((await row(s.ticket)).assigneeId).toBeNull();
  });
});

describe("assignableHandlers", () => {
  it("should list the handlers inside the person's scope, each person and unit once, in tree order", async () => {
    const s = await setup();
    const names = (list: { fullName: string; unitName: string }[]) => list.map((h) => `${h.fullName} — ${h.unitName}`);
    expect(names(await assignableHandlers(db, s.official))).toEqual([
      "Trần Quốc Khánh — Xã Phước Hòa",
      "Hồ Thị Lan — Chi hội 1",
      "Nguyễn Văn Cán — Chi hội 1",
    ]);
    expect(names(await assignableHandlers(db, s.cadre))).toEqual([
      "Hồ Thị Lan — Chi hội 1",
      "Nguyễn Văn Cán — Chi hội 1",
    ]);
    expect(await assignableHandlers(db, s.member)).toEqual([]);
  });
});
