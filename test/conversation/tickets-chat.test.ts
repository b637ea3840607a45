import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatHarness } from "../helpers/chat-harness.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode } from "../../src/domain/linking/link-service.ts";
import { getTicket } from "../../src/domain/tickets/ticket-service.ts";

let h: ChatHarness;
let tree: TestTree;

async function link(name: string, chat: number, unitId: number, role?: "cadre" | "official") {
  const p = createPerson(h.db, { fullName: name });
  addMembership(h.db, p.id, unitId, "member");
  if (role) addMembership(h.db, p.id, unitId, role);
  await h.text(chat, `DK ${issueLinkCode(h.db, p.id).code}`);
  await h.take(chat);
  return p.id;
}

beforeEach(async () => {
  h = await ChatHarness.create();
  tree = buildTree(h.db);
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
    expect(getTicket(h.db, id).status).toBe("answered");
    await h.text(11, "chưa hài lòng");
    expect(await h.lastText(11)).toContain("Đã mở lại");
    expect(getTicket(h.db, id).status).toBe("in_progress");
    await h.text(10, `/traloi ${id}`);
    expect(await h.lastText(10)).toContain("Nhắn nội dung trả lời");
    await h.text(10, "Xã đã duyệt kinh phí, tuần sau thi công.");
    await h.take(10);
    await h.take(11);
    await h.text(11, "hài lòng");
    expect(await h.lastText(11)).toContain("đã giải quyết");
    // Answered and satisfied: closed, out of the open list.
    expect(getTicket(h.db, id).status).toBe("closed");
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
    expect(getTicket(h.db, id).unitId).toBe(tree.communeA.id);
    await h.text(10, "/ykien");
    expect(await h.lastText(10)).not.toContain(`#${id}`);
    await h.text(20, "/ykien");
    expect(await h.lastText(20)).toContain(`#${id}`);
    await h.text(20, `/chuyen ${id}`);
    await h.take(20);
    await h.text(20, "/ykien");
    expect(await h.lastText(20)).not.toContain(`#${id} `);
  });

  it("should let a member start a concern with /ykien and refuse handler commands to members", async () => {
    await h.text(11, "/ykien");
    expect(await h.lastText(11)).toContain("nhắn nội dung ý kiến");
    await h.text(11, "/traloi 1 xin chào");
    expect(await h.lastText(11)).toContain("chỉ cán bộ, lãnh đạo");
  });
});
