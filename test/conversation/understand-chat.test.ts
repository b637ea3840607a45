/**
 * Issue 14 §1 through the whole chat stack: no silent misreads. A concern never becomes "có mặt",
 * follow-ups reach the reopened concern, mixed messages are asked about, emoji reactions answer,
 * /ykien N opens a member's own concern and open questions never turn later text into a ticket.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatHarness } from "../helpers/chat-harness.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { linkInChat } from "../helpers/chat-people.ts";
import { createMeeting } from "../../src/domain/meetings/meeting-service.ts";
import { systemActor } from "../../src/domain/access/actor.ts";
import { getRsvp } from "../../src/domain/meetings/rsvp-service.ts";
import { answerTicket, getTicket, ticketThread } from "../../src/domain/tickets/ticket-service.ts";
import { runDueJobs } from "../../src/scheduler/jobs.ts";

const zone = "Asia/Ho_Chi_Minh";
let h: ChatHarness;
let tree: TestTree;
let member: { id: number };
let cadre: { id: number };
let clock: Date;

const link = async (name: string, chat: number, unitId: number, role?: "cadre") => ({
  id: await linkInChat(h, name, chat, unitId, role),
});

beforeEach(async () => {
  clock = new Date("2026-11-30T01:00:00Z");
  h = await ChatHarness.create({ now: () => clock });
  tree = await buildTree(h.db);
  member = await link("Nguyễn Thị Lan", 42, tree.branchA1.id);
  cadre = await link("Trần Văn Cán", 10, tree.branchA1.id, "cadre");
});
afterEach(() => h.destroy());

const tickets = async () =>
  (
    await h.db.kysely
      .selectFrom("Ticket")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow()
  ).n;

function meeting(at = new Date("2026-12-04T12:30:00Z"), title = "Sinh hoạt chi hội định kỳ") {
  return createMeeting(
    h.db,
    { unitId: tree.branchA1.id, title, place: "Nhà văn hóa", agenda: "", startsAt: at },
    { actor: systemActor(), now: clock, timeZone: zone },
  );
}

async function remind() {
  clock = new Date("2026-12-01T01:00:00Z");
  await runDueJobs(h.db, { now: clock, timeZone: zone, workerId: "test" });
  h.engine.kick();
  await h.take(42);
}

/** The member raises a concern (confirmed) and the cadre answers it. */
async function answeredConcern(text: string): Promise<number> {
  await h.text(42, text);
  await h.take(42);
  await h.text(42, "có");
  const id = Number(/#(\d+)/.exec(await h.lastText(42))![1]);
  await answerTicket(h.db, {
    ticketId: id,
    personId: cadre.id,
    text: "Xã đã ghi nhận, sẽ cho người xuống xem.",
    now: clock,
  });
  h.engine.kick();
  await h.take(42);
  return id;
}

describe("a concern is never recorded as có mặt", () => {
  it("should add the text after 'chưa hài lòng' to the reopened concern, with a meeting pending, and say so", async () => {
    const m = await meeting();
    await remind();
    const id = await answeredConcern("Đường vào xóm 3 ngập sâu mỗi khi mưa lớn, đề nghị xã khơi thông cống");
    await h.text(42, "Chưa hài lòng");
    expect(await h.lastText(42)).toContain(`Đã mở lại ý kiến #${id}`);
    await h.text(42, "Đến nay đường vẫn ngập, chưa thấy ai xuống xem");
    const reply = await h.lastText(42);
    expect(reply).toContain(`ý kiến #${id}`);
    expect(reply).not.toContain("Đã ghi nhận");
    expect(await getRsvp(h.db, m.id, member.id)).toBeUndefined();
    expect((await ticketThread(h.db, id, member.id)).messages.at(-1)?.text).toBe(
      "Đến nay đường vẫn ngập, chưa thấy ai xuống xem",
    );
    // A second line within the next minutes goes to the same concern.
    await h.text(42, "nước ngập tới đầu gối");
    expect(await h.lastText(42)).toContain(`ý kiến #${id}`);
    expect((await ticketThread(h.db, id, member.id)).messages).toHaveLength(4);
    // A clear answer still answers the reminder.
    await h.text(42, "có mặt");
    expect(await h.lastText(42)).toContain("Đã ghi nhận: anh/chị có mặt");
    expect((await getRsvp(h.db, m.id, member.id))?.answer).toBe("attend");
  });

  it("should not take a sentence that starts with 'đến nay' as an answer to the reminder", async () => {
    const m = await meeting();
    await remind();
    await h.text(42, "Đến nay đường vẫn ngập, chưa thấy ai xuống xem");
    const reply = await h.lastText(42);
    expect(reply).toContain("Anh/chị muốn gửi ý kiến này");
    expect(await getRsvp(h.db, m.id, member.id)).toBeUndefined();
  });

  it("should ask about a mixed message and do what the member picks, by button or by number", async () => {
    const m = await meeting();
    await remind();
    await h.text(42, "em có mặt, nhưng đề nghị chi hội xem lại việc thu hội phí");
    const [ask] = await h.take(42);
    expect(ask!.payload.text).toContain("Anh/chị muốn bot làm gì?");
    expect(
      ask!.payload.reply_markup.inline_keyboard.flat().map((b: { callback_data: string }) => b.callback_data),
    ).toEqual(["rsvpmix:answer", "rsvpmix:concern", "rsvpmix:both", "flow:cancel"]);
    expect(await getRsvp(h.db, m.id, member.id)).toBeUndefined();
    await h.text(42, "3");
    const done = await h.lastText(42);
    expect(done).toContain("Đã ghi nhận: anh/chị có mặt");
    expect(done).toMatch(/Đã gửi ý kiến #\d+/);
    expect((await getRsvp(h.db, m.id, member.id))?.answer).toBe("attend");
    expect(await tickets()).toBe(1);
  });

  it("should do nothing with a mixed message when the member says 'không'", async () => {
    const m = await meeting();
    await remind();
    await h.text(42, "em có mặt, nhưng đề nghị chi hội xem lại việc thu hội phí");
    await h.take(42);
    await h.text(42, "không");
    expect(await h.lastText(42)).toBe("Đã hủy, không lưu gì.");
    expect(await getRsvp(h.db, m.id, member.id)).toBeUndefined();
    expect(await tickets()).toBe(0);
  });

  it("should treat a mixed message as a concern when no meeting waits for an answer", async () => {
    await h.text(42, "em có mặt, nhưng đề nghị chi hội xem lại việc thu hội phí");
    expect(await h.lastText(42)).toContain("Anh/chị muốn gửi ý kiến này");
  });

  it("should let the mixed question expire within minutes", async () => {
    const m = await meeting();
    await remind();
    await h.text(42, "có mặt, cho hỏi hội phí năm nay bao nhiêu");
    await h.take(42);
    clock = new Date(clock.getTime() + 11 * 60_000);
    await h.text(42, "1");
    expect(await h.lastText(42)).toContain("không có câu hỏi nào");
    expect(await getRsvp(h.db, m.id, member.id)).toBeUndefined();
  });
});

describe("emoji answers", () => {
  it.each(["👍🏾", "✅", "✔️", "👌", "🙋‍♀️", "🙏", "🤝"])("should record %s as có mặt", async (emoji) => {
    const m = await meeting();
    await remind();
    await h.text(42, emoji);
    expect(await h.lastText(42)).toContain("có mặt");
    expect((await getRsvp(h.db, m.id, member.id))?.answer).toBe("attend");
  });

  it("should record 👎 as vắng and ask for the reason", async () => {
    const m = await meeting();
    await remind();
    await h.text(42, "👎");
    expect(await h.lastText(42)).toContain("cho biết lý do");
    expect((await getRsvp(h.db, m.id, member.id))?.answer).toBe("absent");
    await h.text(42, "em bận việc nhà");
    await h.take(42);
    expect((await getRsvp(h.db, m.id, member.id))?.reason).toBe("bận việc nhà");
  });

  it("should take a Zalo-style reaction on the reminder the same way", async () => {
    const m = await meeting();
    await remind();
    const logged = await h.db.kysely
      .selectFrom("MessageLog")
      .select("platformMessageId")
      .where("direction", "=", "out")
      .where("entityType", "=", "Meeting")
      .where("entityId", "=", m.id)
      .executeTakeFirstOrThrow();
    await h.inbox.receive({
      platform: "telegram",
      account: "chihoi_test_bot",
      chatId: "42",
      chatType: "private",
      sender: { id: "42" },
      kind: "reaction",
      reaction: "👌",
      replyTo: logged.platformMessageId ?? undefined,
      eventId: "react:1",
      at: clock,
    });
    h.engine.kick();
    expect(await h.lastText(42)).toContain("có mặt");
    expect((await getRsvp(h.db, m.id, member.id))?.answer).toBe("attend");
  });
});

describe("help, reading and reasons", () => {
  it("should answer 'không biết dùng' with the help text, not a concern or an answer", async () => {
    await meeting();
    await remind();
    for (const text of ["em không biết dùng cái này", "bấm thế nào ạ", "làm sao để báo vắng"]) {
      await h.text(42, text);
      expect(await h.lastText(42), text).toContain("Hướng dẫn dùng bot");
    }
    expect(await tickets()).toBe(0);
  });

  it("should keep the member's words in the reason", async () => {
    const m = await meeting();
    await remind();
    await h.text(42, "em bận việc nhà ạ");
    expect(await h.lastText(42)).toContain("bận việc nhà");
    expect(await getRsvp(h.db, m.id, member.id)).toMatchObject({ answer: "absent", reason: "bận việc nhà" });
  });
});

describe("/ykien for members", () => {
  it("should open the member's own concern by number, with its status, and refuse someone else's", async () => {
    await h.text(42, "Nhà văn hóa ấp 2 bị dột, mưa là ướt hết bàn ghế");
    await h.take(42);
    await h.text(42, "có");
    const id = Number(/#(\d+)/.exec(await h.lastText(42))![1]);
    await h.text(42, `/ykien ${id}`);
    const shown = await h.lastText(42);
    expect(shown).toContain(`Ý kiến #${id}`);
    expect(shown).toContain("mới");
    expect(shown).toContain("Nhà văn hóa ấp 2 bị dột");
    expect(shown).toContain("Lĩnh vực:");
    const other = await link("Lê Văn Bình", 43, tree.branchA1.id);
    expect(other).toBeDefined();
    // Someone else's concern: the same answer as for a number that does not exist.
    await h.text(43, `/ykien ${id}`);
    expect(await h.lastText(43)).toBe(`Không tìm thấy #${id}.`);
    await h.text(43, "/ykien 9999");
    expect(await h.lastText(43)).toBe("Không tìm thấy #9999.");
  });

  it("should list the member's concerns on /ykien and never turn a later message into a ticket without confirmation", async () => {
    await h.text(42, "/ykien");
    expect(await h.lastText(42)).toContain("nhắn nội dung ý kiến");
    await h.text(42, "điểm danh 1");
    expect(await h.lastText(42)).toContain("Anh/chị muốn gửi ý kiến này");
    expect(await tickets()).toBe(0);
    // The "write your concern" question expires within minutes.
    await h.text(42, "không");
    await h.take(42);
    await h.text(42, "/ykien");
    await h.take(42);
    clock = new Date(clock.getTime() + 11 * 60_000);
    await h.text(42, "Đường vào ấp 5 ổ gà nhiều quá");
    expect(await h.lastText(42)).toContain("Anh/chị muốn gửi ý kiến này");
    clock = new Date(clock.getTime() + 31 * 60_000);
    await h.text(42, "có");
    await h.take(42);
    expect(await tickets()).toBe(0);
  });

  it("should let the member add to their own concern from its thread", async () => {
    await h.text(42, "Đèn đường ngõ 5 hỏng cả tháng nay");
    await h.take(42);
    await h.text(42, "có");
    const id = Number(/#(\d+)/.exec(await h.lastText(42))![1]);
    await h.press(42, `tkadd:${id}`, 1);
    expect(await h.lastText(42)).toContain(`bổ sung cho ý kiến #${id}`);
    await h.text(42, "tối đến đi lại rất nguy hiểm");
    expect(await h.lastText(42)).toContain(`ý kiến #${id}`);
    expect((await getTicket(h.db, id)).status).toBe("new");
    expect((await ticketThread(h.db, id, member.id)).messages.map((x) => x.text)).toContain(
      "tối đến đi lại rất nguy hiểm",
    );
  });
});
