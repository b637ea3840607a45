import { systemActor } from "../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatHarness } from "../helpers/chat-harness.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode } from "../../src/domain/linking/link-service.ts";
import { getTicket } from "../../src/domain/tickets/ticket-service.ts";

let h: ChatHarness;
let tree: TestTree;

async function link(name: string, chat: number, unitId: number, role?: "cadre" | "official") {
  const p = await createPerson(h.db, { fullName: name });
  await addMembership(h.db, { actor: systemActor(), personId: p.id, unitId, role: "member" });
  if (role) await addMembership(h.db, { actor: systemActor(), personId: p.id, unitId, role });
  await h.text(chat, `DK ${(await issueLinkCode(h.db, p.id)).code}`);
  await h.take(chat);
  return p.id;
}

beforeEach(async () => {
  h = await ChatHarness.create();
  tree = await buildTree(h.db);
  await link("Trần Văn Cán", 10, tree.branchA1.id, "cadre");
  await link("Trần Quốc Khánh", 20, tree.communeA.id, "official");
  await link("Phạm Văn Cường", 30, tree.branchA2.id, "cadre");
  await link("Nguyễn Văn An", 11, tree.branchA1.id);
});
afterEach(() => h.destroy());

async function raise(text: string): Promise<number> {
  await h.text(11, text);
  await h.take(11);
  await h.text(11, "có");
  const confirmation = await h.lastText(11);
  return Number(/#(\d+)/.exec(confirmation)![1]);
}

describe("the concerns queue in chat", () => {
  it("should list, take, answer, get feedback, reopen and close, within the right scope", async () => {
    const id = await raise("Đường vào thôn bị ngập mỗi khi mưa, đề nghị kiến nghị xã sửa");
    await h.text(10, "/ykien");
    expect(await h.lastText(10)).toContain(`#${id}`);
    await h.text(30, "/ykien");
    expect(await h.lastText(30)).toContain("Không có ý kiến nào"); // sibling branch
    await h.text(30, `/ykien ${id}`);
    expect(await h.lastText(30)).toContain("không có quyền");
    await h.text(10, `/ykien ${id}`);
    const thread = await h.lastText(10);
    expect(thread).toContain("Nguyễn Văn An");
    expect(thread).toContain("Đường vào thôn bị ngập");
    await h.press(10, `tk:take:${id}`, 1, 10);
    expect(await h.lastText(10)).toContain("đã nhận xử lý");
    await h.text(10, `/traloi ${id} Hội đã kiến nghị xã, dự kiến sửa trong tháng 12.`);
    expect(await h.lastText(10)).toContain("Đã gửi trả lời");
    const [answer] = await h.take(11);
    expect(answer!.payload.text).toContain("Hội đã kiến nghị xã, dự kiến sửa trong tháng 12.");
    expect((await getTicket(h.db, id)).status).toBe("answered");
    await h.text(11, "chưa hài lòng");
    expect(await h.lastText(11)).toContain("Đã mở lại");
    expect((await getTicket(h.db, id)).status).toBe("in_progress");
    await h.text(10, `/traloi ${id}`);
    expect(await h.lastText(10)).toContain("Nhắn nội dung trả lời");
    await h.text(10, "Xã đã duyệt kinh phí, tuần sau thi công.");
    await h.take(10);
    await h.take(11);
    await h.text(11, "hài lòng");
    expect(await h.lastText(11)).toContain("đã giải quyết");
    // Answered and satisfied: closed, out of the open list.
    expect((await getTicket(h.db, id)).status).toBe("closed");
    await h.text(10, "/ykien");
    expect(await h.lastText(10)).not.toContain(`#${id}`);
    await h.text(10, `/dong ${id}`);
    expect(await h.lastText(10)).toContain("đã đóng");
    await h.text(10, `/traloi ${id} thêm`);
    expect(await h.lastText(10)).toContain("đã đóng");
  });

  it("should pass a concern up to the commune, where the official takes over", async () => {
    const id = await raise("Tôi muốn hỏi về chế độ trợ cấp cho cựu chiến binh bị bệnh");
    await h.text(10, `/chuyen ${id} Vượt thẩm quyền chi hội`);
    expect(await h.lastText(10)).toContain("Đã chuyển ý kiến");
    expect((await getTicket(h.db, id)).unitId).toBe(tree.communeA.id);
    await h.text(10, "/ykien");
    // Gone from the branch's queue, listed read-only under what it passed up.
    const [queue, passedUp] = (await h.lastText(10)).split("Ý kiến anh/chị đã chuyển lên cấp trên:");
    expect(queue).not.toContain(`#${id}`);
    expect(passedUp).toContain(`#${id} Nguyễn Văn An — Xã Phước Hòa`);
    await h.text(20, "/ykien");
    expect(await h.lastText(20)).toContain(`#${id}`);
    await h.text(20, `/chuyen ${id}`);
    await h.take(20);
    await h.text(20, "/ykien");
    const [communeQueue, communePassedUp] = (await h.lastText(20)).split("Ý kiến anh/chị đã chuyển lên cấp trên:");
    expect(communeQueue).not.toContain(`#${id} `);
    expect(communePassedUp).toContain(`#${id} Nguyễn Văn An — Tỉnh Bình Định`);
  });

  it("should let a member start a concern with /ykien and refuse handler commands to members", async () => {
    await h.text(11, "/ykien");
    expect(await h.lastText(11)).toContain("nhắn nội dung ý kiến");
    await h.text(11, "/traloi 1 xin chào");
    expect(await h.lastText(11)).toContain("chỉ cán bộ, lãnh đạo");
  });

  it("should never open a prompt for a forged button: a member pressing tk:answer keeps their next message", async () => {
    const id = await raise("Đường vào thôn bị ngập mỗi khi mưa, đề nghị kiến nghị xã sửa");
    for (const data of [`tk:answer:${id}`, `tk:escalate:${id}`, "tk:answer:-1", "tk:escalate:999999"]) {
      await h.press(11, data, 1, 11);
      const reply = await h.lastText(11);
      expect(reply).not.toContain("Nhắn nội dung trả lời");
      expect(reply).not.toContain("ghi chú");
    }
    expect(
      await h.db.kysely
        .selectFrom("ConversationState")
        .select("kind")
        .where("kind", "in", ["ticket_answer", "ticket_escalate"])
        .executeTakeFirst(),
    ).toBeUndefined();
    // The next message is theirs, not swallowed as an "answer".
    await h.text(11, "Xin hỏi lịch khám sức khỏe định kỳ năm nay");
    expect(await h.lastText(11)).toContain("ý kiến");
    expect(
      (
        await h.db.kysely
          .selectFrom("TicketMessage")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("authorRole", "=", "official")
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
    // A cadre of a sibling branch is refused at the press, too.
    await h.press(30, `tk:answer:${id}`, 1, 30);
    expect(await h.lastText(30)).toContain(`không còn quyền xử lý ý kiến #${id}`);
  });

  it("should say at the press that a concern was passed up, then keep the cadre informed read-only", async () => {
    const id = await raise("Tôi muốn hỏi về chế độ trợ cấp cho cựu chiến binh bị bệnh");
    await h.text(10, `/ykien ${id}`);
    expect(JSON.stringify((await h.take(10))[0]!.payload.reply_markup)).toContain(`tk:answer:${id}`); // the old message's buttons
    await h.text(10, `/chuyen ${id} Vượt thẩm quyền chi hội`);
    await h.take(10);
    // The old "Trả lời" button, pressed after passing it up: told at once, no prompt.
    await h.press(10, `tk:answer:${id}`, 1, 10);
    expect(await h.lastText(10)).toContain(`Ý kiến #${id} đã được chuyển lên Xã Phước Hòa`);
    expect(
      await h.db.kysely
        .selectFrom("ConversationState")
        .select("kind")
        .where("kind", "=", "ticket_answer")
        .executeTakeFirst(),
    ).toBeUndefined();
    // Still visible, marked as handled above, without action buttons.
    await h.text(10, `/ykien ${id}`);
    const [view] = await h.take(10);
    expect(view!.payload.text).toContain("Vượt thẩm quyền chi hội");
    expect(view!.payload.text).toContain("đã chuyển lên Xã Phước Hòa xử lý; anh/chị chỉ xem");
    expect(view!.payload.reply_markup).toBeUndefined();
    // The commune answers and closes: the branch cadre is told both times; the sibling cadre never.
    await h.text(20, `/traloi ${id} Xã sẽ rà soát hồ sơ trong tuần này.`);
    await h.take(20);
    const told = (await h.take(10)).map((c) => c.payload.text as string);
    expect(told).toHaveLength(1);
    expect(told[0]).toContain(`Ý kiến #${id} của Nguyễn Văn An mà anh/chị đã chuyển lên vừa được Xã Phước Hòa trả lời`);
    expect(told[0]).toContain("Xã sẽ rà soát hồ sơ trong tuần này.");
    await h.text(20, `/dong ${id}`);
    await h.take(20);
    expect((await h.take(10)).map((c) => c.payload.text as string)).toEqual([
      `Ý kiến #${id} của Nguyễn Văn An mà anh/chị đã chuyển lên đã được Xã Phước Hòa đóng.`,
    ]);
    expect(await h.take(30)).toEqual([]);
  });
});
