import { systemActor } from "../../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { buildTree, type TestTree } from "../../helpers/tree.ts";
import { isAppError } from "../../../src/lib/app-error.ts";
import { ensureChatAccount, markUnreachable } from "../../../src/domain/accounts/account-service.ts";
import { unlinkAccount } from "../../../src/domain/linking/link-service.ts";
import { getPendingQuestion, setPendingQuestion } from "../../../src/domain/conversation-state.ts";
import { createOrganisation, createUnit } from "../../../src/domain/units/unit-service.ts";
import type { OutboxBody } from "../../../src/domain/deliveries/outbox-service.ts";
import {
  addMemberMessage,
  answerTicket,
  canHandleTicket,
  closeTicket,
  createTicket,
  escalateTicket,
  getTicket,
  recordSatisfaction,
  takeTicket,
  ticketAccess,
  ticketExcerpt,
  ticketHandlers,
  ticketThread,
} from "../../../src/domain/tickets/ticket-service.ts";
import { listOpenTickets } from "../../../src/domain/tickets/ticket-queue.ts";
import { addTestPerson, type TestPersonOptions } from "../../helpers/people.ts";
import { storedBody } from "../../helpers/outbox.ts";

const t0 = new Date("2026-11-20T03:00:00Z");
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const DAY = 86_400_000;

let db: TestDatabase;
let tree: TestTree;

beforeEach(async () => {
  db = await createTestDatabase();
  tree = await buildTree(db);
});
afterEach(() => db.destroy());

const person = (unitId: number, fullName: string, options?: TestPersonOptions) =>
  addTestPerson(db, unitId, fullName, options);

const accountOf = async (personId: number) =>
  (
    await db.kysely
      .selectFrom("ChatAccount")
      .select("id")
      .where("personId", "=", personId)
      .orderBy("id")
      .limit(1)
      .executeTakeFirstOrThrow()
  ).id;
const count = async (table: "Outbox" | "TicketMessage") =>
  Number(
    (
      await db.kysely
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

async function code(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return isAppError(e) ? e.code : String(e);
  }
  return undefined;
}

/** A branch A1 member's concern, written from their Telegram account, with the people around it. */
async function setup() {
  const member = await person(tree.branchA1.id, "Nguyễn Văn Dân");
  const branchCadre = await person(tree.branchA1.id, "Trần Chi Hội", { role: "cadre" });
  const siblingCadre = await person(tree.branchA2.id, "Lê Chi Hội Hai", { role: "cadre" });
  const communeOfficial = await person(tree.communeA.id, "Phạm Xã", { role: "official" });
  const otherCommuneOfficial = await person(tree.communeB.id, "Võ Phường", { role: "official" });
  const provinceOfficial = await person(tree.province.id, "Đặng Tỉnh", { role: "official" });
  const fellowMember = await person(tree.branchA1.id, "Hồ Hội Viên");
  const created = await createTicket(
    db,
    { personId: member, text: "Đường vào thôn bị ngập mỗi khi mưa lớn.", sourceAccountId: await accountOf(member) },
    t0,
  );
  return {
    member,
    branchCadre,
    siblingCadre,
    communeOfficial,
    otherCommuneOfficial,
    provinceOfficial,
    fellowMember,
    id: created.id,
  };
}

const history = (ticketId: number) =>
  db.kysely
    .selectFrom("TicketStatusChange")
    .select(["fromStatus", "toStatus", "fromUnitId", "toUnitId", "byPersonId", "note"])
    .where("ticketId", "=", ticketId)
    .orderBy("id")
    .execute();

describe("createTicket", () => {
  it("should open a ticket in the member's branch with the organisation's due date and the first message", async () => {
    const { member, id } = await setup();
    expect(await getTicket(db, id)).toMatchObject({
      unitId: tree.branchA1.id,
      originUnitId: tree.branchA1.id,
      personId: member,
      status: "new",
      category: "ha_tang",
      dueAt: t0.getTime() + 7 * DAY,
      sourceAccountId: await accountOf(member),
      satisfied: null,
      assigneeId: null,
      closedAt: null,
    });
  });
});

describe("getTicket", () => {
  it("should throw not_found for an unknown ticket", async () => {
    expect(await code(() => getTicket(db, 404))).toBe("not_found");
  });
});

describe("canHandleTicket", () => {
  it("should allow the handlers whose scope holds the ticket's unit and nobody else", async () => {
    const s = await setup();
    const ticket = await getTicket(db, s.id);
    const { id: youth } = await createOrganisation(db, systemActor(), { code: "dtn", name: "Đoàn Thanh niên" });
    const youthRoot = await createUnit(db, systemActor(), { organisationId: youth, name: "Tỉnh đoàn" });
    const youthOfficial = await person(youthRoot.id, "Bí thư Tỉnh đoàn", { role: "official" });
    expect(
      await Promise.all(
        [s.branchCadre, s.communeOfficial, s.provinceOfficial].map((p) => canHandleTicket(db, p, ticket)),
      ),
    ).toEqual([true, true, true]);
    expect(
      await Promise.all(
        [s.siblingCadre, s.otherCommuneOfficial, s.fellowMember, s.member, youthOfficial].map((p) =>
          canHandleTicket(db, p, ticket),
        ),
      ),
    ).toEqual([false, false, false, false, false]);
  });

  it("should follow the ticket's current unit after an escalation", async () => {
    const s = await setup();
    await escalateTicket(db, { ticketId: s.id, personId: s.branchCadre, note: null, now: at(1) });
    const ticket = await getTicket(db, s.id);
    expect(await canHandleTicket(db, s.branchCadre, ticket)).toBe(false);
    expect(await canHandleTicket(db, s.communeOfficial, ticket)).toBe(true);
    expect(await canHandleTicket(db, s.provinceOfficial, ticket)).toBe(true);
  });
});

describe("takeTicket", () => {
  it("should make the handler the assignee and put the ticket in progress, with a history row and an audit entry", async () => {
    const s = await setup();
    const taken = await takeTicket(db, { ticketId: s.id, personId: s.branchCadre, now: at(1) });
    expect(taken).toMatchObject({ status: "in_progress", assigneeId: s.branchCadre, updatedAt: at(1).getTime() });
    expect((await history(s.id)).at(-1)).toEqual({
      fromStatus: "new",
      toStatus: "in_progress",
      fromUnitId: null,
      toUnitId: null,
      byPersonId: s.branchCadre,
      note: null,
    });
    expect(await db.kysely.selectFrom("AuditLog").select(["action", "actorPersonId", "entityId"]).execute()).toEqual([
      { action: "ticket.take", actorPersonId: s.branchCadre, entityId: s.id },
    ]);
    // Taking it again changes nothing; another handler taking it reassigns it.
    await takeTicket(db, { ticketId: s.id, personId: s.branchCadre, now: at(2) });
    expect(await history(s.id)).toHaveLength(2);
    expect((await takeTicket(db, { ticketId: s.id, personId: s.communeOfficial, now: at(3) })).assigneeId).toBe(
      s.communeOfficial,
    );
    expect((await history(s.id)).at(-1)?.note).toBe("reassigned");
  });

  it("should refuse people outside the scope and closed tickets", async () => {
    const s = await setup();
    for (const p of [s.siblingCadre, s.otherCommuneOfficial, s.fellowMember, s.member])
      expect(await code(() => takeTicket(db, { ticketId: s.id, personId: p, now: at(1) }))).toBe("forbidden");
    await closeTicket(db, { ticketId: s.id, personId: s.branchCadre, now: at(2) });
    expect(await code(() => takeTicket(db, { ticketId: s.id, personId: s.branchCadre, now: at(3) }))).toBe(
      "ticket_closed",
    );
    expect(await getTicket(db, s.id)).toMatchObject({ status: "closed", assigneeId: null });
  });
});

describe("answerTicket", () => {
  it("should store the answer, mark the ticket answered and send it to the account the member wrote from", async () => {
    const s = await setup();
    const { ticket, outboxId } = await answerTicket(db, {
      ticketId: s.id,
      personId: s.branchCadre,
      text: "  Chi hội đã báo xã, tuần sau khơi thông cống.  ",
      now: at(30),
    });
    expect(ticket).toMatchObject({ status: "answered", assigneeId: s.branchCadre, firstAnsweredAt: at(30).getTime() });
    expect(
      await db.kysely
        .selectFrom("TicketMessage")
        .select(["authorRole", "authorPersonId", "text"])
        .where("ticketId", "=", s.id)
        .orderBy("id", "desc")
        .limit(1)
        .executeTakeFirst(),
    ).toEqual({
      authorRole: "official",
      authorPersonId: s.branchCadre,
      text: "Chi hội đã báo xã, tuần sau khơi thông cống.",
    });
    const row = await db.kysely
      .selectFrom("Outbox")
      .select((eb) => ["chatAccountId", "personId", "priority", storedBody(eb), "entityType", "entityId"])
      .where("id", "=", outboxId!)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      chatAccountId: await accountOf(s.member),
      personId: s.member,
      priority: 5,
      entityType: "Ticket",
      entityId: s.id,
    });
    const body = JSON.parse(row.body) as OutboxBody;
    expect(body.text).toContain(`Trả lời ý kiến #${s.id} của anh/chị:`);
    expect(body.text).toContain("Chi hội đã báo xã, tuần sau khơi thông cống.");
    expect(body.choices).toEqual([
      { label: "Hài lòng", payload: `tsat:${s.id}:yes` },
      { label: "Chưa hài lòng", payload: `tsat:${s.id}:no` },
    ]);
    expect(await getPendingQuestion(db, await accountOf(s.member), at(31))).toEqual({
      kind: "ticket_feedback",
      data: { ticketId: s.id, choices: [`tsat:${s.id}:yes`, `tsat:${s.id}:no`] },
      expiresAt: at(30).getTime() + 7 * DAY,
    });
    expect(
      await db.kysely.selectFrom("AuditLog").select("action").where("action", "=", "ticket.answer").execute(),
    ).toEqual([{ action: "ticket.answer" }]);
  });

  it("should keep the first answer time and the assignee on a second answer", async () => {
    const s = await setup();
    await takeTicket(db, { ticketId: s.id, personId: s.communeOfficial, now: at(1) });
    await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Trả lời lần 1", now: at(10) });
    const { ticket } = await answerTicket(db, {
      ticketId: s.id,
      personId: s.branchCadre,
      text: "Bổ sung",
      now: at(20),
    });
    expect(ticket).toMatchObject({
      firstAnsweredAt: at(10).getTime(),
      assigneeId: s.communeOfficial,
      status: "answered",
    });
    expect(await count("Outbox")).toBe(2);
  });

  it("should fall back to the member's delivery account when the source account is unreachable or no longer theirs", async () => {
    const s = await setup();
    const zalo = await ensureChatAccount(db, { platform: "zalo", externalId: "z-dan" });
    await db.kysely
      .updateTable("ChatAccount")
      .set({ personId: s.member, linkedAt: t0.getTime() })
      .where("id", "=", zalo.id)
      .execute();
    await markUnreachable(db, await accountOf(s.member));
    const first = (await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Trả lời 1", now: at(10) }))
      .outboxId;
    expect(
      await db.kysely.selectFrom("Outbox").select("chatAccountId").where("id", "=", first!).executeTakeFirst(),
    ).toEqual({ chatAccountId: zalo.id });
    await unlinkAccount(db, zalo.id);
    expect(
      (await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Trả lời 2", now: at(20) })).outboxId,
    ).toBeNull();
    expect((await getTicket(db, s.id)).status).toBe("answered");
  });

  it("should answer in the member's language", async () => {
    const member = await person(tree.branchA1.id, "John", { locale: "en" });
    const cadre = await person(tree.branchA1.id, "Cán bộ", { role: "cadre" });
    const { id } = await createTicket(db, { personId: member, text: "Question" }, t0);
    const { outboxId } = await answerTicket(db, { ticketId: id, personId: cadre, text: "Answer", now: at(1) });
    const body = JSON.parse(
      (await db.kysely.selectFrom("Outbox").select(storedBody).where("id", "=", outboxId!).executeTakeFirstOrThrow())
        .body,
    ) as OutboxBody;
    expect(body.text).toContain(`Answer to your concern #${id}:`);
    expect(body.choices?.map((c) => c.label)).toEqual(["Satisfied", "Not satisfied"]);
  });

  it("should refuse an empty or overlong answer, a closed ticket and people outside the scope, storing nothing", async () => {
    const s = await setup();
    const messages = await count("TicketMessage");
    expect(
      await code(() => answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "   ", now: at(1) })),
    ).toBe("invalid_input");
    expect(
      await code(() =>
        answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "x".repeat(4001), now: at(1) }),
      ),
    ).toBe("invalid_input");
    expect(
      await code(() => answerTicket(db, { ticketId: s.id, personId: s.siblingCadre, text: "Trả lời", now: at(1) })),
    ).toBe("forbidden");
    expect(
      await code(() => answerTicket(db, { ticketId: s.id, personId: s.member, text: "Tự trả lời", now: at(1) })),
    ).toBe("forbidden");
    expect(await count("TicketMessage")).toBe(messages);
    expect(await count("Outbox")).toBe(0);
    expect(
      (await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "x".repeat(4000), now: at(1) }))
        .outboxId,
    ).not.toBeNull();
    await closeTicket(db, { ticketId: s.id, personId: s.branchCadre, now: at(2) });
    expect(
      await code(() => answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Muộn", now: at(3) })),
    ).toBe("ticket_closed");
  });

  it("should not replace a flow the member is typing into, but should replace a one-tap question", async () => {
    const s = await setup();
    await setPendingQuestion(db, {
      chatAccountId: await accountOf(s.member),
      kind: "rsvp_reason",
      data: { meetingId: 1 },
      expiresAt: at(60),
      now: at(0),
    });
    await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Trả lời", now: at(1) });
    expect((await getPendingQuestion(db, await accountOf(s.member), at(2)))?.kind).toBe("rsvp_reason");
    await setPendingQuestion(db, {
      chatAccountId: await accountOf(s.member),
      kind: "concern_confirm",
      data: { text: "x" },
      expiresAt: at(60),
      now: at(3),
    });
    await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Trả lời thêm", now: at(4) });
    expect((await getPendingQuestion(db, await accountOf(s.member), at(5)))?.kind).toBe("ticket_feedback");
  });
});

describe("escalateTicket", () => {
  it("should pass the ticket to the parent unit, new and unassigned, with the note in its history", async () => {
    const s = await setup();
    await takeTicket(db, { ticketId: s.id, personId: s.branchCadre, now: at(1) });
    const up = await escalateTicket(db, {
      ticketId: s.id,
      personId: s.branchCadre,
      note: "  Vượt thẩm quyền chi hội ",
      now: at(2),
    });
    expect(up).toMatchObject({
      unitId: tree.communeA.id,
      originUnitId: tree.branchA1.id,
      status: "new",
      assigneeId: null,
    });
    expect((await history(s.id)).at(-1)).toEqual({
      fromStatus: "in_progress",
      toStatus: "new",
      fromUnitId: tree.branchA1.id,
      toUnitId: tree.communeA.id,
      byPersonId: s.branchCadre,
      note: "Vượt thẩm quyền chi hội",
    });
    expect(
      await db.kysely.selectFrom("AuditLog").select("action").where("action", "=", "ticket.escalate").execute(),
    ).toEqual([{ action: "ticket.escalate" }]);
    // The branch cadre has lost it; the commune official passes it on to the province.
    expect(
      await code(() => escalateTicket(db, { ticketId: s.id, personId: s.branchCadre, note: null, now: at(3) })),
    ).toBe("forbidden");
    expect(
      await code(() => answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Trả lời", now: at(3) })),
    ).toBe("forbidden");
    expect(
      (await escalateTicket(db, { ticketId: s.id, personId: s.communeOfficial, note: null, now: at(4) })).unitId,
    ).toBe(tree.province.id);
    expect(
      await code(() => escalateTicket(db, { ticketId: s.id, personId: s.provinceOfficial, note: null, now: at(5) })),
    ).toBe("ticket_at_root");
    expect((await getTicket(db, s.id)).unitId).toBe(tree.province.id);
  });

  it("should refuse outsiders, closed tickets and an overlong note", async () => {
    const s = await setup();
    expect(
      await code(() =>
        escalateTicket(db, { ticketId: s.id, personId: s.otherCommuneOfficial, note: null, now: at(1) }),
      ),
    ).toBe("forbidden");
    expect(
      await code(() =>
        escalateTicket(db, { ticketId: s.id, personId: s.branchCadre, note: "n".repeat(1001), now: at(1) }),
      ),
    ).toBe("invalid_input");
    await closeTicket(db, { ticketId: s.id, personId: s.branchCadre, now: at(2) });
    expect(
      await code(() => escalateTicket(db, { ticketId: s.id, personId: s.branchCadre, note: null, now: at(3) })),
    ).toBe("ticket_closed");
    expect((await getTicket(db, s.id)).unitId).toBe(tree.branchA1.id);
  });
});

describe("closeTicket", () => {
  it("should close once, with the time and a history row", async () => {
    const s = await setup();
    await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Đã xử lý", now: at(1) });
    expect(await closeTicket(db, { ticketId: s.id, personId: s.communeOfficial, now: at(2) })).toMatchObject({
      status: "closed",
      closedAt: at(2).getTime(),
    });
    expect((await history(s.id)).at(-1)).toMatchObject({
      fromStatus: "answered",
      toStatus: "closed",
      byPersonId: s.communeOfficial,
    });
    expect(await code(() => closeTicket(db, { ticketId: s.id, personId: s.communeOfficial, now: at(3) }))).toBe(
      "ticket_closed",
    );
    expect(await code(() => closeTicket(db, { ticketId: s.id, personId: s.member, now: at(3) }))).toBe("forbidden");
  });
});

describe("recordSatisfaction", () => {
  it("should close a ticket whose answer satisfied the member, so it leaves the open queue", async () => {
    const s = await setup();
    await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Đã xử lý", now: at(1) });
    expect(
      await recordSatisfaction(db, { ticketId: s.id, personId: s.member, satisfied: true, now: at(2) }),
    ).toMatchObject({
      status: "closed",
      satisfied: 1,
      closedAt: at(2).getTime(),
    });
    expect((await listOpenTickets(db, s.branchCadre, { now: at(3) })).map((t) => t.id)).not.toContain(s.id);
    expect((await ticketThread(db, s.id, s.branchCadre)).history.at(-1)).toMatchObject({
      fromStatus: "answered",
      toStatus: "closed",
      note: "satisfied",
    });
  });

  it("should only note satisfaction with a ticket that has no answer yet", async () => {
    const s = await setup();
    expect(
      await recordSatisfaction(db, { ticketId: s.id, personId: s.member, satisfied: true, now: at(1) }),
    ).toMatchObject({ status: "new", satisfied: 1 });
  });

  it("should reopen an answered or closed ticket the member is not satisfied with and tell its assignee", async () => {
    const s = await setup();
    await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Đã xử lý", now: at(1) });
    expect(
      await recordSatisfaction(db, { ticketId: s.id, personId: s.member, satisfied: false, now: at(2) }),
    ).toMatchObject({
      status: "in_progress",
      satisfied: 0,
      closedAt: null,
    });
    expect((await history(s.id)).at(-1)).toMatchObject({
      fromStatus: "answered",
      toStatus: "in_progress",
      byPersonId: s.member,
      note: "reopened",
    });
    const told = await db.kysely
      .selectFrom("Outbox")
      .select((eb) => ["personId", storedBody(eb)])
      .where("personId", "=", s.branchCadre)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(told.body).text).toBe(
      `Hội viên Nguyễn Văn Dân chưa hài lòng với câu trả lời ý kiến #${s.id}; ý kiến đã được mở lại. Gửi /ykien ${s.id} để xem.`,
    );
    await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Bổ sung", now: at(3) });
    await closeTicket(db, { ticketId: s.id, personId: s.branchCadre, now: at(4) });
    expect(
      await recordSatisfaction(db, { ticketId: s.id, personId: s.member, satisfied: false, now: at(5) }),
    ).toMatchObject({
      status: "in_progress",
      closedAt: null,
    });
  });

  it("should only note dissatisfaction with a ticket that was never answered", async () => {
    const s = await setup();
    expect(
      await recordSatisfaction(db, { ticketId: s.id, personId: s.member, satisfied: false, now: at(1) }),
    ).toMatchObject({ status: "new", satisfied: 0 });
    expect(await history(s.id)).toHaveLength(1);
  });

  it("should refuse anyone but the author", async () => {
    const s = await setup();
    await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Đã xử lý", now: at(1) });
    expect(
      await code(() =>
        recordSatisfaction(db, { ticketId: s.id, personId: s.fellowMember, satisfied: false, now: at(2) }),
      ),
    ).toBe("ticket_not_yours");
    expect(
      await code(() =>
        recordSatisfaction(db, { ticketId: s.id, personId: s.branchCadre, satisfied: true, now: at(2) }),
      ),
    ).toBe("ticket_not_yours");
    expect(await getTicket(db, s.id)).toMatchObject({ status: "answered", satisfied: null });
  });
});

describe("addMemberMessage", () => {
  it("should add the member's message and bring an answered ticket back in progress", async () => {
    const s = await setup();
    await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Đã báo xã", now: at(1) });
    const updated = await addMemberMessage(db, {
      ticketId: s.id,
      personId: s.member,
      text: "Đến nay vẫn chưa làm ạ",
      messageLogId: null,
      now: at(2),
    });
    expect(updated).toMatchObject({ status: "in_progress", updatedAt: at(2).getTime() });
    expect((await history(s.id)).at(-1)).toMatchObject({
      fromStatus: "answered",
      toStatus: "in_progress",
      note: "member_reply",
    });
    expect(
      (
        await addMemberMessage(db, {
          ticketId: s.id,
          personId: s.member,
          text: "Bổ sung ảnh",
          messageLogId: null,
          now: at(3),
        })
      ).status,
    ).toBe("in_progress");
    expect(
      (
        await db.kysely
          .selectFrom("TicketMessage")
          .select(["authorRole", "text"])
          .where("ticketId", "=", s.id)
          .orderBy("id")
          .execute()
      ).map((m) => m.authorRole),
    ).toEqual(["member", "official", "member", "member"]);
  });

  it("should store the same inbound message once", async () => {
    const s = await setup();
    const logId = (
      await db.kysely
        .insertInto("MessageLog")
        .values({
          direction: "in",
          platform: "telegram",
          chatId: "c",
          kind: "text",
          text: "x",
          status: "received",
          createdAt: t0.getTime(),
        })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
    await addMemberMessage(db, {
      ticketId: s.id,
      personId: s.member,
      text: "Bổ sung",
      messageLogId: logId,
      now: at(1),
    });
    await addMemberMessage(db, {
      ticketId: s.id,
      personId: s.member,
      text: "Bổ sung",
      messageLogId: logId,
      now: at(2),
    });
    expect(
      (
        await db.kysely
          .selectFrom("TicketMessage")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("messageLogId", "=", logId)
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(1);
  });

  it("should refuse another person, a closed ticket and an empty message", async () => {
    const s = await setup();
    expect(
      await code(() =>
        addMemberMessage(db, {
          ticketId: s.id,
          personId: s.fellowMember,
          text: "Chen vào",
          messageLogId: null,
          now: at(1),
        }),
      ),
    ).toBe("ticket_not_yours");
    expect(
      await code(() =>
        addMemberMessage(db, { ticketId: s.id, personId: s.member, text: "  ", messageLogId: null, now: at(1) }),
      ),
    ).toBe("invalid_input");
    await closeTicket(db, { ticketId: s.id, personId: s.branchCadre, now: at(2) });
    expect(
      await code(() =>
        addMemberMessage(db, { ticketId: s.id, personId: s.member, text: "Còn nữa", messageLogId: null, now: at(3) }),
      ),
    ).toBe("ticket_closed");
    expect(await count("TicketMessage")).toBe(1);
  });
});

describe("ticketThread", () => {
  it("should show a handler the ticket with names, messages and history including notes", async () => {
    const s = await setup();
    await takeTicket(db, { ticketId: s.id, personId: s.branchCadre, now: at(1) });
    await answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Đã báo xã", now: at(2) });
    await addMemberMessage(db, {
      ticketId: s.id,
      personId: s.member,
      text: "Chưa thấy làm",
      messageLogId: null,
      now: at(3),
    });
    await escalateTicket(db, { ticketId: s.id, personId: s.branchCadre, note: "Cần xã hỗ trợ kinh phí", now: at(4) });
    const thread = await ticketThread(db, s.id, s.communeOfficial);
    expect(thread.ticket).toMatchObject({
      id: s.id,
      memberName: "Nguyễn Văn Dân",
      unitName: "Xã Phước Hòa",
      assigneeName: null,
      status: "new",
    });
    expect(thread.messages.map((m) => [m.authorRole, m.authorName, m.text])).toEqual([
      ["member", "Nguyễn Văn Dân", "Đường vào thôn bị ngập mỗi khi mưa lớn."],
      ["official", "Trần Chi Hội", "Đã báo xã"],
      ["member", "Nguyễn Văn Dân", "Chưa thấy làm"],
    ]);
    expect(thread.history.map((h) => [h.fromStatus, h.toStatus, h.fromUnit, h.toUnit, h.byName, h.note])).toEqual([
      [null, "new", null, "Chi hội 1", "Nguyễn Văn Dân", null],
      ["new", "in_progress", null, null, "Trần Chi Hội", null],
      ["in_progress", "answered", null, null, "Trần Chi Hội", null],
      ["answered", "in_progress", null, null, "Nguyễn Văn Dân", "member_reply"],
      ["in_progress", "new", "Chi hội 1", "Xã Phước Hòa", "Trần Chi Hội", "Cần xã hỗ trợ kinh phí"],
    ]);
  });

  it("should show the author their thread without the officials' notes, the cadre who passed it up read-only, and nobody else outside the scope", async () => {
    const s = await setup();
    await escalateTicket(db, { ticketId: s.id, personId: s.branchCadre, note: "Ghi chú nội bộ", now: at(1) });
    expect((await ticketThread(db, s.id, s.member)).history.map((h) => h.note)).toEqual([null, null]);
    expect((await ticketThread(db, s.id, s.branchCadre)).history.at(-1)?.note).toBe("Ghi chú nội bộ");
    expect((await ticketAccess(db, s.id, s.branchCadre)).access).toBe("handled_above");
    expect(
      await code(() => answerTicket(db, { ticketId: s.id, personId: s.branchCadre, text: "Trả lời muộn", now: at(2) })),
    ).toBe("forbidden");
    for (const p of [s.siblingCadre, s.fellowMember, s.otherCommuneOfficial])
      expect(await code(() => ticketThread(db, s.id, p))).toBe("forbidden");
    for (const p of [s.siblingCadre, s.fellowMember, s.otherCommuneOfficial])
      expect((await ticketAccess(db, s.id, p)).access).toBe("forbidden");
    expect((await ticketAccess(db, -1, s.branchCadre)).access).toBe("not_found");
    expect((await ticketThread(db, s.id, s.provinceOfficial)).history.at(-1)?.note).toBe("Ghi chú nội bộ");
  });
});

describe("ticketHandlers", () => {
  it("should name the unit's own cadres, or those of the nearest ancestor that has some", async () => {
    const branchCadre = await person(tree.branchA1.id, "Cán bộ chi hội", { role: "cadre" });
    const communeOfficial = await person(tree.communeA.id, "Lãnh đạo xã", { role: "official" });
    const communeAdmin = await person(tree.communeA.id, "Quản trị xã", { role: "admin" });
    await person(tree.branchA2.id, "Hội viên thường");
    expect(await ticketHandlers(db, tree.branchA1.id)).toEqual([branchCadre]);
    expect(await ticketHandlers(db, tree.branchA2.id)).toEqual([communeOfficial, communeAdmin]);
    expect(await ticketHandlers(db, tree.branchB1.id)).toEqual([]);
  });
});

describe("ticketExcerpt", () => {
  it("should cut long texts at a word and keep short ones", () => {
    expect(ticketExcerpt("Ngắn gọn")).toBe("Ngắn gọn");
    expect(ticketExcerpt("Đường vào thôn bị ngập mỗi khi mưa lớn, đề nghị hội kiến nghị xã nâng cấp.", 30)).toBe(
      "Đường vào thôn bị ngập mỗi…",
    );
    expect(ticketExcerpt("a\n\nb")).toBe("a b");
  });
});
