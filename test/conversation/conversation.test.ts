import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { noteGroup, setGroupAllowed } from "../../src/domain/groups/group-service.ts";
import { systemActor } from "../../src/domain/access/actor.ts";
import { ChatHarness } from "../helpers/chat-harness.ts";
import { buildTree, type TestTree } from "../helpers/tree.ts";
import { addMembership, createPerson, getPerson } from "../../src/domain/people/people-service.ts";
import { formatLinkCode, issueLinkCode } from "../../src/domain/linking/link-service.ts";
import { maxMessageText } from "../../src/domain/messages/message-log.ts";
import { findAccount } from "../../src/domain/accounts/account-service.ts";

let h: ChatHarness;
let tree: TestTree;
let an: { id: number };
let code: string;

beforeEach(async () => {
  h = await ChatHarness.create();
  tree = await buildTree(h.db);
  an = await createPerson(h.db, { fullName: "Nguyễn Văn An", phone: "0912345678" });
  await addMembership(h.db, { actor: systemActor(), personId: an.id, unitId: tree.branchA1.id, role: "member" });
  code = (await issueLinkCode(h.db, an.id)).code;
});
afterEach(() => h.destroy());

async function link(userId = 42) {
  await h.text(userId, `DK ${code}`);
  await h.take(userId);
}

describe("strangers", () => {
  it("should get linking instructions and nothing else, and their messages are stored", async () => {
    await h.text(7, "Cho tôi xem lịch họp");
    expect(await h.lastText(7)).toContain("mã liên kết 12 chữ số");
    await h.text(7, "/lich");
    expect(await h.lastText(7)).toContain("mã liên kết");
    const stored = await h.db.kysely
      .selectFrom("MessageLog")
      .select(["text", "status"])
      .where("direction", "=", "in")
      .where("chatId", "=", "7")
      .orderBy("id")
      .execute();
    expect(stored).toEqual([
      { text: "Cho tôi xem lịch họp", status: "handled" },
      { text: "/lich", status: "handled" },
    ]);
  });

  it("should answer in English to an English Telegram user", async () => {
    await h.update({
      message: {
        message_id: 1,
        date: 0,
        chat: { id: 8, type: "private", first_name: "J" },
        from: { id: 8, is_bot: false, first_name: "J", language_code: "en" },
        text: "hello",
      },
    } as never);
    expect((await h.lastText(8)).toLowerCase()).toContain("send the 12-digit link code");
  });
});

describe("linking", () => {
  const grouped = () => formatLinkCode(code);
  const dashed = () => formatLinkCode(code).replace(/ /g, "-");
  for (const form of [
    "DK {code}",
    "mã {code}",
    "{code}",
    "/start {code}",
    "dk {code} ạ",
    "{grouped}",
    "DK {dashed}",
    "/start {grouped}",
  ]) {
    it(`should link with "${form}"`, async () => {
      await h.text(42, form.replace("{code}", code).replace("{grouped}", grouped()).replace("{dashed}", dashed()));
      expect(await h.lastText(42)).toContain("Liên kết thành công! Xin chào Nguyễn Văn An");
      expect((await findAccount(h.db, "telegram", "42"))?.personId).toBe(an.id);
    });
  }

  it("should refuse a wrong code politely and throttle guessing", async () => {
    const wrong = code === "111111111111" ? "222222222222" : "111111111111";
    for (let i = 0; i < 5; i++) {
      await h.text(43, wrong);
      expect(await h.lastText(43)).toContain("Mã liên kết không đúng");
    }
    await h.text(43, code);
    expect(await h.lastText(43)).toContain("nhập sai mã quá nhiều lần");
    expect((await findAccount(h.db, "telegram", "43"))?.personId).toBeNull();
  });

  it("should link by the sender's own shared contact and refuse someone else's", async () => {
    await h.contact(44, "+84 912 345 679", 99);
    expect(await h.lastText(44)).toContain("chỉ liên kết được bằng số điện thoại của chính");
    await h.contact(44, "+84 912 345 678");
    expect(await h.lastText(44)).toContain("chỉ liên kết được");
    await h.contact(44, "+84987000000", 44);
    expect(await h.lastText(44)).toContain("không có trong danh sách");
    await h.contact(44, "+84912345678", 44);
    expect(await h.lastText(44)).toContain("Liên kết thành công");
    expect((await findAccount(h.db, "telegram", "44"))?.personId).toBe(an.id);
  });

  it("should unlink after a confirmation by button or by number", async () => {
    await link();
    await h.text(42, "/huylienket");
    const [ask] = await h.take(42);
    expect(ask!.payload.text).toContain("chắc chắn muốn hủy liên kết");
    expect(
      ask!.payload.reply_markup.inline_keyboard.flat().map((b: { callback_data: string }) => b.callback_data),
    ).toEqual(["unlink:yes", "unlink:no"]);
    await h.text(42, "2");
    expect(await h.lastText(42)).toContain("Đã giữ nguyên");
    await h.text(42, "hủy liên kết");
    await h.take(42);
    await h.press(42, "unlink:yes", 1);
    expect(await h.lastText(42)).toContain("Đã hủy liên kết");
    expect((await findAccount(h.db, "telegram", "42"))?.personId).toBeNull();
    expect(h.calls.some((c) => c.method === "answerCallbackQuery")).toBe(true);
  });

  it("should say a button is no longer valid when its payload is unknown or malformed, and change nothing", async () => {
    await link();
    for (const data of ["unlink:maybe", "rsvp:abc:attend", "oldfeature:7", "tsat:1:ok"]) {
      await h.press(42, data, 1);
      expect(await h.lastText(42)).toBe("Nút này không còn dùng được nữa. Gửi /trogiup để xem hướng dẫn.");
    }
    expect((await findAccount(h.db, "telegram", "42"))?.personId).toBe(an.id);
  });
});

describe("member commands", () => {
  it("should answer /start, /trogiup and help in plain words", async () => {
    await link();
    await h.text(42, "/start");
    expect(await h.lastText(42)).toContain("Xin chào Nguyễn Văn An");
    await h.text(42, "/trogiup");
    expect(await h.lastText(42)).toContain("/lich");
    await h.text(42, "hướng dẫn");
    expect(await h.lastText(42)).toContain("/ykien");
  });

  it("should switch language with /ngonngu, by button and in words", async () => {
    await link();
    await h.text(42, "/ngonngu");
    await h.take(42);
    await h.press(42, "lang:en", 5);
    expect(await h.lastText(42)).toBe("Switched to English.");
    expect((await getPerson(h.db, an.id)).locale).toBe("en");
    await h.text(42, "/trogiup");
    expect(await h.lastText(42)).toContain("How to use");
    await h.text(42, "tiếng việt");
    expect(await h.lastText(42)).toBe("Đã chuyển sang tiếng Việt.");
  });

  it("should list upcoming meetings with /lich and in words", async () => {
    await link();
    await h.text(42, "/lich");
    expect(await h.lastText(42)).toContain("chưa có buổi sinh hoạt");
    const startsAt = Date.parse("2030-12-06T12:30:00Z");
    await h.db.kysely
      .insertInto("Meeting")
      .values({
        unitId: tree.branchA1.id,
        title: "Sinh hoạt định kỳ",
        place: "Nhà văn hóa",
        startsAt,
        endsAt: startsAt + 7_200_000,
        status: "scheduled",
        createdAt: 0,
        updatedAt: 0,
      })
      .execute();
    await h.text(42, "khi nào họp?");
    expect(await h.lastText(42)).toBe(
      "Lịch sinh hoạt sắp tới:\n• 19:30 thứ Sáu, 06/12/2030 — Sinh hoạt định kỳ, tại Nhà văn hóa",
    );
  });

  it("should understand '1' and 'có' only while a question is open", async () => {
    await link();
    await h.text(42, "1");
    expect(await h.lastText(42)).toContain("không có câu hỏi nào");
    await h.text(42, "có");
    expect(await h.lastText(42)).toContain("không có câu hỏi nào");
  });
});

describe("concerns", () => {
  it("should turn free text into a ticket after a one-tap confirmation", async () => {
    await link();
    await h.text(42, "Đường vào thôn bị ngập mỗi khi mưa, đề nghị hội kiến nghị sửa");
    const [ask] = await h.take(42);
    expect(ask!.payload.text).toContain("gửi ý kiến này tới Ban chấp hành");
    await h.text(42, "có");
    const confirmation = await h.lastText(42);
    expect(confirmation).toMatch(/^Đã gửi ý kiến #\d+ tới Chi hội 1\./);
    const ticket = await h.db.kysely
      .selectFrom("Ticket")
      .select(["personId", "unitId", "category", "status"])
      .executeTakeFirstOrThrow();
    expect(ticket).toEqual({ personId: an.id, unitId: tree.branchA1.id, category: "ha_tang", status: "new" });
    expect(await h.db.kysely.selectFrom("TicketMessage").select("text").executeTakeFirst()).toEqual({
      text: "Đường vào thôn bị ngập mỗi khi mưa, đề nghị hội kiến nghị sửa",
    });
  });

  it("should not create a ticket when the member declines, and /ykien asks for the text", async () => {
    await link();
    await h.text(42, "Hội phí năm nay đóng bao nhiêu và nộp cho ai?");
    await h.take(42);
    await h.text(42, "không");
    expect(await h.lastText(42)).toContain("Đã không gửi");
    expect(
      (
        await h.db.kysely
          .selectFrom("Ticket")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
    await h.text(42, "/ykien");
    expect(await h.lastText(42)).toContain("nhắn nội dung ý kiến");
    await h.text(42, "Đề nghị chi hội thăm hỏi gia đình bác Tâm đang ốm nặng");
    // The text after /ykien gets the same one-tap confirmation as any other.
    expect(await h.lastText(42)).toContain("Anh/chị muốn gửi ý kiến này");
    expect(
      (
        await h.db.kysely
          .selectFrom("Ticket")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(0);
    await h.text(42, "có");
    expect(await h.lastText(42)).toMatch(/Đã gửi ý kiến #\d+/);
    expect(await h.db.kysely.selectFrom("Ticket").select("category").executeTakeFirst()).toEqual({
      category: "doi_song",
    });
  });
});

describe("bad input", () => {
  const bad = [
    "",
    "   ",
    "\u0000\u0001\u0002",
    "🙂🙂🙂",
    "x".repeat(100_000),
    "مرحبا كيف حالك",
    "<script>alert(1)</script>",
    "\uFFFD\uFFFD binary \u0007",
  ];
  it("should answer every bad input politely, store it, and keep going", async () => {
    await link();
    for (const text of bad) {
      await h.text(42, text);
      const reply = await h.lastText(42);
      expect(reply.length).toBeGreaterThan(0);
    }
    const stored = (
      await h.db.kysely
        .selectFrom("MessageLog")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("direction", "=", "in")
        .where("chatId", "=", "42")
        .where("status", "=", "handled")
        .executeTakeFirstOrThrow()
    ).n;
    expect(stored).toBe(bad.length + 1);
    // Stored whole up to maxMessageText; beyond it cut, with a note saying how much.
    const long = (
      await h.db.kysely
        .selectFrom("MessageLog")
        .select("text")
        .where("direction", "=", "in")
        .where((eb) => eb(eb.fn<number>("length", [eb.ref("text")]), ">", 1000))
        .executeTakeFirstOrThrow()
    ).text!;
    expect(long.startsWith("x".repeat(maxMessageText))).toBe(true);
    expect(long.slice(maxMessageText)).toContain(`${100_000 - maxMessageText} ký tự`);
    await h.text(42, "/trogiup");
    expect(await h.lastText(42)).toContain("/lich");
  });

  it("should answer stickers, photos, voice and locations with a text-only note", async () => {
    await link();
    for (const extra of [
      { sticker: { file_id: "s" } },
      { photo: [{ file_id: "p" }] },
      { voice: { file_id: "v" } },
      { location: { latitude: 1, longitude: 2 } },
    ]) {
      await h.update({
        message: {
          message_id: 1,
          date: 0,
          chat: { id: 42, type: "private", first_name: "U" },
          from: { id: 42, is_bot: false, first_name: "U" },
          ...extra,
        },
      } as never);
      expect(await h.lastText(42)).toContain("chỉ đọc được tin nhắn chữ");
    }
  });

  it("should handle a duplicate update once", async () => {
    await link();
    const update = await h.text(42, "/trogiup");
    await h.take(42);
    await h.channel.bot.handleUpdate(update);
    expect(await h.take(42)).toHaveLength(0);
    expect(
      (
        await h.db.kysely
          .selectFrom("MessageLog")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("direction", "=", "in")
          .where("text", "=", "/trogiup")
          .executeTakeFirstOrThrow()
      ).n,
    ).toBe(1);
  });

  it("should survive malformed and unknown updates", async () => {
    await h.update({
      edited_message: { message_id: 1, date: 0, chat: { id: 42, type: "private" }, text: "x" },
    } as never);
    await h.update({ poll: { id: "p", question: "?", options: [] } } as never);
    await h.update({
      callback_query: { id: "c", from: { id: 42, is_bot: false, first_name: "U" }, chat_instance: "x" },
    } as never);
    await h.text(42, "help");
    expect(await h.lastText(42)).toContain("mã liên kết");
  });
});

describe("group chats", () => {
  it("should answer only messages addressed to the bot, replying in the thread", async () => {
    await link();
    await setGroupAllowed(h.db, {
      groupId: (await noteGroup(h.db, { platform: "telegram", externalId: "-100", title: "Chi hội" })).id,
      allowed: true,
      actor: systemActor("cli"),
    });
    await h.text(42, "chào cả nhà", { chatId: -100 });
    await h.text(42, "@chihoi_test_bot /lich", { chatId: -100 });
    const sent = await h.take(-100);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.payload.text).toContain("chưa có buổi sinh hoạt");
    expect(sent[0]!.payload.reply_parameters.message_id).toBeGreaterThan(0);
  });
});
