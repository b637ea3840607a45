/**
 * Group chats through the real Telegram stack (grammY handleUpdate): the allow-list, and private
 * answers only in private chats.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Update } from "grammy/types";
import { ChatHarness } from "../helpers/chat-harness.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode } from "../../src/domain/linking/link-service.ts";
import { createTicket } from "../../src/domain/tickets/ticket-service.ts";
import { createMeeting } from "../../src/domain/meetings/meeting-service.ts";
import { systemActor } from "../../src/domain/access/actor.ts";
import { setGroupAllowed } from "../../src/domain/groups/group-service.ts";

const GROUP = -100777;
const bot = "@chihoi_test_bot";
let h: ChatHarness;
let tree: TestTree;
const ids: Record<string, number> = {};

async function link(name: string, chat: number, unitId: number, role?: "cadre" | "admin") {
  const p = await createPerson(h.db, { fullName: name });
  await addMembership(h.db, { actor: systemActor(), personId: p.id, unitId, role: "member" });
  if (role)
    await addMembership(h.db, {
      actor: systemActor(),
      personId: p.id,
      unitId: role === "admin" ? tree.province.id : unitId,
      role,
    });
  await h.text(chat, `DK ${(await issueLinkCode(h.db, p.id)).code}`);
  await h.take(chat);
  ids[name] = p.id;
}

function groupRow() {
  return h.db.kysely
    .selectFrom("ChatGroup")
    .select(["id", "platform", "title", "allowed"])
    .where("externalId", "=", String(GROUP))
    .executeTakeFirst();
}

/** A button pressed on a message in the group. */
function pressInGroup(userId: number, data: string): Promise<Update> {
  return h.update({
    callback_query: {
      id: `g${Date.now()}${Math.random()}`,
      from: { id: userId, is_bot: false, first_name: "U" },
      chat_instance: "g",
      data,
      message: { message_id: 5, date: 0, chat: { id: GROUP, type: "supergroup", title: "Chi hội" } },
    },
  } as Omit<Update, "update_id">);
}

beforeEach(async () => {
  h = await ChatHarness.create();
  tree = await buildTree(h.db);
  await link("Trần Văn Cán", 10, tree.branchA1.id, "cadre");
  await link("Nguyễn Văn An", 11, tree.branchA1.id);
  await link("Lê Quản Trị", 12, tree.branchA1.id, "admin");
});
afterEach(() => h.destroy());

describe("groups not allowed", () => {
  it("should stay silent, store the message and note the group for the admins", async () => {
    await h.text(11, `${bot} /lich`, { chatId: GROUP });
    await h.text(10, `/chophep${bot}`, { chatId: GROUP }); // a cadre is not an admin
    expect(await h.take(GROUP)).toEqual([]);
    expect(await groupRow()).toMatchObject({ platform: "telegram", title: "Chi hội", allowed: false });
    expect(
      (
        await h.db.kysely
          .selectFrom("MessageLog")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("direction", "=", "in")
          .where("chatId", "=", String(GROUP))
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(2);
  });

  it("should be allowed by an admin's /chophep typed in the group, and blocked again by /chanhom", async () => {
    await h.text(12, `/chophep${bot}`, { chatId: GROUP });
    expect((await h.take(GROUP)).map((c) => c.payload.text)).toEqual(["Đã cho phép nhóm này dùng bot Chi Hội."]);
    expect((await groupRow())!.allowed).toBe(true);
    expect(
      await h.db.kysely
        .selectFrom("AuditLog")
        .select(["actorPersonId", "source", "action"])
        .where("action", "like", "group.%")
        .executeTakeFirst(),
    ).toEqual({ actorPersonId: ids["Lê Quản Trị"], source: "chat", action: "group.allow" });
    await h.text(11, `${bot} /lich`, { chatId: GROUP });
    expect((await h.take(GROUP)).map((c) => c.payload.text).join()).toContain("chưa có buổi sinh hoạt");
    await h.text(10, `/chanhom${bot}`, { chatId: GROUP });
    expect((await h.take(GROUP)).map((c) => c.payload.text)).toEqual([
      "Chỉ quản trị viên mới cho phép hoặc chặn nhóm.",
    ]);
    await h.text(12, `/chanhom${bot}`, { chatId: GROUP });
    await h.take(GROUP);
    await h.text(11, `${bot} /lich`, { chatId: GROUP });
    expect(await h.take(GROUP)).toEqual([]);
  });

  it("should be allowed from the CLI (system actor) for Telegram groups as for Zalo ones", async () => {
    await h.text(11, `${bot} /lich`, { chatId: GROUP });
    await h.take(GROUP);
    await setGroupAllowed(h.db, {
      groupId: (await groupRow())!.id,
      allowed: true,
      actor: systemActor("cli"),
      unitId: tree.branchA1.id,
    });
    await h.text(11, `${bot} /lich`, { chatId: GROUP });
    expect(await h.take(GROUP)).toHaveLength(1);
  });
});

describe("private answers in an allowed group", () => {
  let ticketId: number;
  let meetingId: number;
  beforeEach(async () => {
    await h.text(12, `/chophep${bot}`, { chatId: GROUP });
    await h.take(GROUP);
    ticketId = (
      await createTicket(h.db, { personId: ids["Nguyễn Văn An"]!, text: "Nhà tôi khó khăn, xin hỗ trợ tiền chữa bệnh" })
    ).id;
    meetingId = (
      await createMeeting(
        h.db,
        { unitId: tree.branchA1.id, title: "Sinh hoạt", startsAt: new Date(Date.now() + 3 * 86_400_000) },
        { now: new Date(), timeZone: "Asia/Ho_Chi_Minh", actor: systemActor() },
      )
    ).id;
  });

  const personal: [string, number, string][] = [
    ["a concern's thread", 10, "/ykien {ticket}"],
    ["the concerns queue", 10, "/ykien"],
    ["an answer to a concern", 10, "/traloi {ticket} Đã xử lý"],
    ["passing a concern up", 10, "/chuyen {ticket}"],
    ["a tally with names and reasons", 10, "/tonghop {meeting}"],
    ["attendance", 10, "/diemdanh {meeting}"],
    ["creating a meeting", 10, "/taohop"],
    ["sending a directive", 10, "/guivanban"],
    ["the member's directives", 11, "/vanban"],
    ["the service status", 12, "/trangthai"],
    ["a new concern", 11, "Đường vào thôn bị ngập, đề nghị sửa"],
    ["a link code", 55, "{code}"],
    ["a language change", 11, "/ngonngu en"],
    ["unlinking", 11, "/huylienket"],
    ["starting", 11, "/start"],
  ];
  it.each(personal)(
    "should send %s to the private chat, with a button that opens it",
    async (_name, user, template) => {
      const text = template
        .replace("{ticket}", String(ticketId))
        .replace("{meeting}", String(meetingId))
        .replace("{code}", (await issueLinkCode(h.db, ids["Nguyễn Văn An"]!)).code);
      await h.text(user, `${bot} ${text}`, { chatId: GROUP });
      const sent = await h.take(GROUP);
      expect(sent.map((c) => c.payload.text)).toEqual([
        "Nội dung này chỉ trả lời trong tin nhắn riêng. Mời anh/chị nhắn riêng cho bot.",
      ]);
      expect(sent[0]!.payload.reply_markup.inline_keyboard.filter((row: unknown[]) => row.length)).toEqual([
        [{ text: "Nhắn riêng cho bot", url: "https://t.me/chihoi_test_bot?start=nhanrieng" }],
      ]);
      expect(
        (
          await h.db.kysely
            .selectFrom("TicketMessage")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("authorRole", "=", "official")
            .executeTakeFirstOrThrow()
        ).n,
      ).toBe(0);
      expect(
        await h.db.kysely
          .selectFrom("ConversationState")
          .select("kind")
          .where("chatAccountId", "=", (eb) =>
            eb.selectFrom("ChatAccount").select("id").where("externalId", "=", String(user)),
          )
          .executeTakeFirst(),
      ).toBeUndefined();
    },
  );

  it("should answer the same request in the private chat", async () => {
    await h.text(10, `/ykien ${ticketId}`);
    expect(await h.lastText(10)).toContain("xin hỗ trợ tiền chữa bệnh");
  });

  it("should send a forged or copied button pressed in the group to the private chat", async () => {
    await pressInGroup(10, `tk:answer:${ticketId}`);
    await pressInGroup(10, `attend:save`);
    const texts = (await h.take(GROUP)).map((c) => c.payload.text);
    expect(texts).toEqual([expect.stringContaining("nhắn riêng"), expect.stringContaining("nhắn riêng")]);
    expect(
      await h.db.kysely
        .selectFrom("ConversationState")
        .select("kind")
        .where("kind", "=", "ticket_answer")
        .executeTakeFirst(),
    ).toBeUndefined();
  });

  it("should never let a group message be taken by a flow opened in private", async () => {
    await h.text(10, `/traloi ${ticketId}`);
    expect(await h.lastText(10)).toContain("Nhắn nội dung trả lời");
    await h.text(10, `${bot} Chào cả chi hội`, { chatId: GROUP });
    expect((await h.take(GROUP)).map((c) => c.payload.text).join()).toContain("nhắn riêng");
    expect(
      (
        await h.db.kysely
          .selectFrom("TicketMessage")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("authorRole", "=", "official")
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
    // Nor by a public answer typed there.
    await h.text(10, `${bot} có mặt`, { chatId: GROUP });
    expect((await h.take(GROUP)).map((c) => c.payload.text).join()).not.toContain("Đã gửi trả lời");
    expect(
      (
        await h.db.kysely
          .selectFrom("TicketMessage")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("authorRole", "=", "official")
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
    // The private prompt is still open and takes the answer typed there.
    await h.text(10, "Hội sẽ đến thăm gia đình tuần này.");
    expect(await h.lastText(10)).toContain("Đã gửi trả lời");
  });

  it("should still take a member's own answer to a meeting and help in the group", async () => {
    await h.text(11, `${bot} có mặt`, { chatId: GROUP });
    expect((await h.take(GROUP)).map((c) => c.payload.text).join()).toContain("có mặt");
    await h.text(55, `${bot} /trogiup`, { chatId: GROUP });
    expect(await h.take(GROUP)).toHaveLength(1);
  });
});
