import { systemActor } from "../../src/domain/access/actor.ts";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatHarness } from "../helpers/chat-harness.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { addMembership, createPerson } from "../../src/domain/people/people-service.ts";
import { issueLinkCode } from "../../src/domain/linking/link-service.ts";
import { directiveProgress } from "../../src/domain/directives/directive-service.ts";

let h: ChatHarness;
let tree: TestTree;
const people: Record<string, number> = {};

async function link(name: string, chat: number, unitId: number, role?: "cadre" | "official") {
  const p = await createPerson(h.db, { fullName: name });
  await addMembership(h.db, { actor: systemActor(), personId: p.id, unitId, role: "member" });
  if (role) await addMembership(h.db, { actor: systemActor(), personId: p.id, unitId, role });
  people[name] = p.id;
  await h.text(chat, `DK ${(await issueLinkCode(h.db, p.id)).code}`);
  await h.take(chat);
}

beforeEach(async () => {
  h = await ChatHarness.create();
  tree = await buildTree(h.db);
  await link("Trần Quốc Khánh", 10, tree.communeA.id, "official");
  await link("Nguyễn Văn An", 11, tree.branchA1.id);
  await link("Lê Thị Bình", 12, tree.branchA2.id);
  await link("Phạm Văn Xa", 13, tree.branchB1.id);
  const noAccount = await createPerson(h.db, { fullName: "Hồ Văn Dũng" });
  await addMembership(h.db, { actor: systemActor(), personId: noAccount.id, unitId: tree.branchA2.id, role: "member" });
});
afterEach(() => h.destroy());

/** /guivanban from the commune official: the commune has branches, so the unit is asked first. */
async function start() {
  await h.text(10, "/guivanban");
  expect(await h.lastText(10)).toContain("đơn vị nào");
  await h.press(10, `dnew:unit:${tree.communeA.id}`, 1, 10);
}

async function compose(summary = "Tập trung phát triển hội viên mới và chăm lo hội viên khó khăn.") {
  await start();
  expect(await h.lastText(10)).toContain("Loại văn bản");
  await h.press(10, "dnew:kind:nghi_quyet", 1, 10);
  expect(await h.lastText(10)).toContain("Số hiệu");
  await h.text(10, "05-NQ/HCCB, Ban Thường vụ Hội CCB tỉnh");
  await h.take(10);
  await h.text(10, "Nghị quyết về công tác hội năm 2027");
  await h.take(10);
  await h.text(10, summary);
}

describe("composing and sending a directive", () => {
  it("should preview exactly what members get, send it to the subtree once each, and report", async () => {
    await compose();
    expect(await h.lastText(10)).toContain("Đường dẫn");
    await h.text(10, "bỏ qua");
    const preview = await h.lastText(10);
    expect(preview).toContain("Nghị quyết về công tác hội năm 2027");
    expect(preview).toContain("05-NQ/HCCB");
    expect(preview).toContain("Sẽ gửi tới 4 người (1 người chưa liên kết");
    await h.text(10, "gửi");
    expect(await h.lastText(10)).toMatch(/Đang gửi văn bản #\d+ tới 3 người; 1 người chưa liên kết/);
    const [toAn] = await h.take(11);
    expect(toAn!.payload.text).toContain("Tập trung phát triển hội viên mới");
    expect(toAn!.payload.reply_markup.inline_keyboard.flat()[0].callback_data).toMatch(/^read:\d+$/);
    expect(await h.take(12)).toHaveLength(1);
    expect(await h.take(13)).toHaveLength(0); // another commune
    const id = Number(/read:(\d+)/.exec(toAn!.payload.reply_markup.inline_keyboard.flat()[0].callback_data)![1]);
    await h.press(11, `read:${id}`, 1, 11);
    expect(await h.lastText(11)).toContain("Cảm ơn anh/chị đã xác nhận đọc");
    await h.text(12, "da doc");
    expect(await h.lastText(12)).toContain("Cảm ơn anh/chị đã xác nhận đọc");
    await h.text(12, "đã đọc");
    expect(await h.lastText(12)).toContain("không có văn bản nào đang chờ");
    await h.press(11, `read:${id}`, 1, 11);
    expect(await h.lastText(11)).toContain("đã xác nhận đọc văn bản này rồi");
    expect(await directiveProgress(h.db, id)).toMatchObject({ total: 4, notLinked: 1, read: 2 });
  });

  it("should warn about a long summary, refuse an oversized one, and refuse a member", async () => {
    await compose("Dài ".repeat(200));
    expect(await h.lastText(10)).toContain("Nên rút gọn dưới 700");
    await h.text(10, "x".repeat(3100));
    expect(await h.lastText(10)).toContain("vượt quá 3000");
    await h.text(10, "Bản ngắn gọn.");
    expect(await h.lastText(10)).toContain("Đường dẫn");
    await h.text(11, "/guivanban");
    expect(await h.lastText(11)).toContain("Chỉ cán bộ, lãnh đạo");
  });

  it("should refuse a number with stray characters", async () => {
    await start();
    await h.take(10);
    await h.press(10, "dnew:kind:thong_bao", 1, 10);
    await h.take(10);
    await h.text(10, "784-QĐ/TU<script>, Tỉnh ủy");
    expect(await h.lastText(10)).toContain("không hợp lệ");
  });

  it("should list recent directives with /vanban and turn a reply into a linked question", async () => {
    await compose();
    await h.take(10);
    await h.text(10, "bỏ qua");
    await h.take(10);
    await h.text(10, "gửi");
    await h.take(10);
    await h.take(11);
    await h.text(11, "/vanban");
    expect(await h.lastText(11)).toContain("Nghị quyết về công tác hội năm 2027");
    const sent = await h.db.kysely
      .selectFrom("MessageLog")
      .select(["platformMessageId", "entityId"])
      .where("direction", "=", "out")
      .where("entityType", "=", "Directive")
      .where("chatId", "=", "11")
      .executeTakeFirstOrThrow();
    await h.text(11, "Chi hội mình thu hội phí theo mức nào ạ?", { replyTo: Number(sent.platformMessageId) });
    expect(await h.lastText(11)).toMatch(/Đã gửi câu hỏi #\d+ về văn bản/);
    expect(await h.db.kysely.selectFrom("Ticket").select(["directiveId", "personId"]).executeTakeFirst()).toEqual({
      directiveId: sent.entityId,
      personId: people["Nguyễn Văn An"],
    });
  });
});
