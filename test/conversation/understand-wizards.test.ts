/**
 * Issue 14 §2 through the whole chat stack: every guided flow can be cancelled the same way, at
 * every step; /guivanban asks for the unit and names the targets; the concerns queue shows the
 * category and satisfaction; /vanban N and "which meeting?" never answer with the wrong thing.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ChatHarness, type CapturedCall } from "../helpers/chat-harness.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { linkInChat } from "../helpers/chat-people.ts";
import { createMeeting } from "../../src/domain/meetings/meeting-service.ts";
import { systemActor } from "../../src/domain/access/actor.ts";
import { getRsvp } from "../../src/domain/meetings/rsvp-service.ts";
import { getPendingQuestion } from "../../src/domain/conversation-state.ts";
import { findAccount } from "../../src/domain/accounts/account-service.ts";
import { getTicket } from "../../src/domain/tickets/ticket-service.ts";

const zone = "Asia/Ho_Chi_Minh";
let h: ChatHarness;
let tree: TestTree;
let clock: Date;
const people: Record<string, number> = {};

const link = async (name: string, chat: number, unitId: number, role?: "cadre" | "official") => {
  people[name] = await linkInChat(h, name, chat, unitId, role);
};

beforeEach(async () => {
  clock = new Date("2026-11-23T03:00:00Z");
  h = await ChatHarness.create({ now: () => clock });
  tree = await buildTree(h.db);
  await link("Trần Văn Cán", 10, tree.branchA1.id, "cadre");
  await link("Trần Quốc Khánh", 20, tree.communeA.id, "official");
  await link("Nguyễn Văn An", 11, tree.branchA1.id);
  await link("Lê Thị Bình", 12, tree.branchA2.id);
  await link("Võ Văn Chín", 13, tree.branchA2.id);
});
afterEach(() => h.destroy());

const buttons = (call: CapturedCall | undefined): string[] =>
  (call?.payload.reply_markup?.inline_keyboard ?? []).flat().map((b: { callback_data: string }) => b.callback_data);
const pendingOf = async (chat: number) =>
  getPendingQuestion(h.db, (await findAccount(h.db, "telegram", String(chat)))!.id, clock);

async function step(chat: number, text: string): Promise<CapturedCall> {
  await h.text(chat, text);
  const calls = await h.take(chat);
  return calls[calls.length - 1]!;
}

describe("cancelling a guided flow", () => {
  /** Walks /taohop to each step in turn and checks it offers "Hủy" and understands `word` there. */
  const meetingSteps = ["/taohop", "Họp chi hội tháng 12", "thứ 6 tuần sau 19:30", "Nhà văn hóa"];

  it.each(["hủy", "huy", "/huy", "thôi", "cancel", "/cancel", "Hủy ạ"])(
    "should stop /taohop at every step on %j",
    async (word) => {
      for (let depth = 1; depth <= meetingSteps.length; depth++) {
        let last: CapturedCall | undefined;
        for (const text of meetingSteps.slice(0, depth)) last = await step(10, text);
        expect(buttons(last).at(-1), `step ${depth}`).toBe("flow:cancel");
        const reply = await step(10, word);
        expect(reply.payload.text, `step ${depth}`).toBe("Đã hủy, không tạo lịch.");
        expect(await pendingOf(10)).toBeUndefined();
      }
      expect(
        (
          await h.db.kysely
            .selectFrom("Meeting")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      ).toBe(0);
    },
  );

  it("should stop /taohop by the Hủy button and by its number", async () => {
    await step(10, "/taohop");
    await step(10, "Họp chi hội tháng 12");
    await h.press(10, "flow:cancel", 1, 10);
    expect(await h.lastText(10)).toBe("Đã hủy, không tạo lịch.");
    const title = await step(10, "/taohop");
    expect(buttons(title)).toEqual(["mnew:title:default", "flow:cancel"]);
    expect((await step(10, "2")).payload.text).toBe("Đã hủy, không tạo lịch.");
    // A pressed "Hủy" of a flow already finished does nothing.
    await h.press(10, "flow:cancel", 1, 10);
    expect(await h.lastText(10)).toContain("hết hạn");
  });

  it("should not take 'không' at an optional step for the Hủy button", async () => {
    await step(10, "/taohop");
    await step(10, "Họp chi hội tháng 12");
    await step(10, "thứ 6 tuần sau 19:30");
    expect((await step(10, "không")).payload.text).toContain("Nội dung chính");
  });

  it.each(["hủy", "/huy", "thôi", "cancel"])(
    "should stop /guivanban at the document-kind step on %j, never taking it as a kind",
    async (word) => {
      await step(20, "/guivanban");
      const kind = await step(20, "Chi hội 1");
      expect(kind.payload.text).toContain("Loại văn bản");
      expect(buttons(kind).at(-1)).toBe("flow:cancel");
      expect((await step(20, word)).payload.text).toBe("Đã hủy, chưa gửi văn bản.");
      expect(await pendingOf(20)).toBeUndefined();
    },
  );

  it("should offer Hủy at every step of /guivanban until the preview", async () => {
    const replies = [await step(20, "/guivanban"), await step(20, "Xã Phước Hòa")];
    await h.press(20, "dnew:kind:thong_bao", 1, 20);
    replies.push((await h.take(20)).at(-1)!);
    replies.push(await step(20, "12-TB/HCCB, Hội CCB xã"));
    replies.push(await step(20, "Thông báo lịch trực Tết"));
    replies.push(await step(20, "Các chi hội cử người trực từ 28 tháng Chạp."));
    for (const r of replies) expect(buttons(r).at(-1), r.payload.text).toBe("flow:cancel");
    expect((await step(20, "/cancel")).payload.text).toBe("Đã hủy, chưa gửi văn bản.");
    expect(
      (
        await h.db.kysely
          .selectFrom("Directive")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("status", "!=", "draft")
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
  });

  it("should stop an answer to a concern, attendance and the 'write your concern' question", async () => {
    await h.text(11, "Đèn đường ngõ 5 hỏng cả tháng nay");
    await h.take(11);
    await h.text(11, "có");
    const id = Number(/#(\d+)/.exec(await h.lastText(11))![1]);
    const ask = await step(10, `/traloi ${id}`);
    expect(buttons(ask)).toEqual(["flow:cancel"]);
    expect((await step(10, "hủy")).payload.text).toBe("Đã hủy, không lưu gì.");
    expect((await getTicket(h.db, id)).status).toBe("new");
    await h.take(11);
    expect(await h.take(11)).toHaveLength(0);

    const m = await createMeeting(
      h.db,
      {
        unitId: tree.branchA1.id,
        title: "Họp",
        place: "",
        agenda: "",
        startsAt: new Date(clock.getTime() - 3_600_000),
      },
      { actor: systemActor(), now: new Date(clock.getTime() - 86_400_000), timeZone: zone },
    );
    const list = await step(10, `/diemdanh ${m.id}`);
    expect(buttons(list).at(-1)).toBe("flow:cancel");
    expect((await step(10, "/huy")).payload.text).toBe("Đã hủy, không lưu gì.");
    expect(
      (
        await h.db.kysely
          .selectFrom("Attendance")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);

    await step(11, "/ykien");
    expect((await step(11, "thôi")).payload.text).toBe("Đã hủy, không lưu gì.");
    expect(await pendingOf(11)).toBeUndefined();
  });

  it("should say there is nothing to cancel when no flow is open", async () => {
    expect((await step(11, "/huy")).payload.text).toContain("không có câu hỏi nào");
  });
});

describe("/guivanban: the target unit", () => {
  it("should ask which unit when the scope has several, and name the targets with their counts", async () => {
    const ask = await step(20, "/guivanban");
    expect(ask.payload.text).toContain("đơn vị nào");
    const labels = (ask.payload.reply_markup.inline_keyboard.flat() as { text: string }[]).map((b) => b.text);
    expect(labels.slice(0, 3)).toEqual(["Xã Phước Hòa (cả các đơn vị trực thuộc)", "Chi hội 1", "Chi hội 2"]);
    await h.press(20, `dnew:unit:${tree.branchA2.id}`, 1, 20);
    await h.take(20);
    await h.press(20, "dnew:kind:thong_bao", 1, 20);
    await h.take(20);
    await step(20, "bỏ qua");
    await step(20, "Thông báo lịch trực Tết");
    await step(20, "Các chi hội cử người trực.");
    const preview = await step(20, "bỏ qua");
    expect(preview.payload.text).toContain("Gửi tới: Chi hội 2 — 2 người (0 chưa liên kết).");
    await step(20, "gửi");
    expect(await h.take(12)).toHaveLength(1);
    expect(await h.take(11)).toHaveLength(0); // Chi hội 1 was not chosen
  });

  it("should list the people per sub-unit when sending to the whole commune", async () => {
    await step(20, "/guivanban");
    await step(20, "Xã Phước Hòa");
    await h.press(20, "dnew:kind:thong_bao", 1, 20);
    await h.take(20);
    await step(20, "bỏ qua");
    await step(20, "Thông báo");
    await step(20, "Nội dung.");
    const preview = (await step(20, "bỏ qua")).payload.text as string;
    expect(preview).toContain("Gửi tới: Xã Phước Hòa — 5 người (0 chưa liên kết).");
    expect(preview).toContain("• Chi hội 1: 2 người");
    expect(preview).toContain("• Chi hội 2: 2 người");
    expect(preview).toContain("• Xã Phước Hòa: 1 người");
  });

  it("should not ask a cadre whose scope is one unit", async () => {
    expect((await step(10, "/guivanban")).payload.text).toContain("Loại văn bản");
  });
});

describe("concerns: category and satisfaction", () => {
  it("should show the category and the member's satisfaction in /ykien and in the thread", async () => {
    await h.text(11, "Đường vào xóm ngập sâu, đề nghị khơi thông cống");
    await h.take(11);
    await h.text(11, "có");
    const id = Number(/#(\d+)/.exec(await h.lastText(11))![1]);
    expect(await step(10, "/ykien").then((r) => r.payload.text)).toContain("Hạ tầng; chưa cho biết");
    await step(10, `/traloi ${id} Xã sẽ nạo vét trong tuần.`);
    await h.take(11);
    await step(11, "chưa hài lòng");
    const queue = (await step(10, "/ykien")).payload.text as string;
    expect(queue).toContain(`#${id}`);
    expect(queue).toContain("Hạ tầng; chưa hài lòng");
    const thread = (await step(10, `/ykien ${id}`)).payload.text as string;
    expect(thread).toContain("Lĩnh vực: Hạ tầng. Mức độ hài lòng của hội viên: chưa hài lòng.");
    expect(thread).toContain("(hội viên chưa hài lòng, mở lại)");
    await step(10, `/traloi ${id} Đã nạo vét xong.`);
    await h.take(11);
    await step(11, "hài lòng");
    expect((await step(10, "/ykien")).payload.text).not.toContain(`#${id}`);
    const mine = (await step(11, `/ykien ${id}`)).payload.text as string;
    expect(mine).toContain("Mức độ hài lòng của hội viên: hài lòng.");
    expect(mine).toContain("đã đóng");
  });
});

describe("/vanban N and which meeting", () => {
  it("should say a document number is not found instead of listing", async () => {
    expect((await step(11, "/vanban 99")).payload.text).toBe(
      "Không có văn bản số 99 trong danh sách của anh/chị. Gửi /vanban để xem các văn bản gần đây.",
    );
  });

  it("should never offer a meeting that has already started", async () => {
    const started = await createMeeting(
      h.db,
      {
        unitId: tree.branchA1.id,
        title: "Đang họp",
        place: "",
        agenda: "",
        startsAt: new Date(clock.getTime() - 30 * 60_000),
      },
      { actor: systemActor(), now: new Date(clock.getTime() - 86_400_000), timeZone: zone },
    );
    const a = await createMeeting(
      h.db,
      {
        unitId: tree.branchA1.id,
        title: "Họp tuần sau",
        place: "",
        agenda: "",
        startsAt: new Date(clock.getTime() + 7 * 86_400_000),
      },
      { actor: systemActor(), now: clock, timeZone: zone },
    );
    const b = await createMeeting(
      h.db,
      {
        unitId: tree.branchA1.id,
        title: "Họp tháng sau",
        place: "",
        agenda: "",
        startsAt: new Date(clock.getTime() + 20 * 86_400_000),
      },
      { actor: systemActor(), now: clock, timeZone: zone },
    );
    const ask = await step(11, "có mặt");
    expect(ask.payload.text).toContain("trả lời cho buổi nào");
    expect(buttons(ask)).toEqual([`rsvpwhich:${a.id}`, `rsvpwhich:${b.id}`]);
    expect(buttons(ask)).not.toContain(`rsvpwhich:${started.id}`);
    expect(await getRsvp(h.db, started.id, people["Nguyễn Văn An"]!)).toBeUndefined();
  });
});
