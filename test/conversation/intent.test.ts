import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type Intent, type ParseContext, parseIntent } from "../../src/conversation/intent.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
/** Members' replies and their meaning: kept inside the repository so a bare clone passes `npm test`. */
const fixturePath = path.resolve(here, "../fixtures/replies-vi.tsv");

interface FixtureRow {
  line: number;
  context: ParseContext;
  text: string;
  intent: string;
  reason: string;
}

function readFixture(): FixtureRow[] {
  const rows: FixtureRow[] = [];
  readFileSync(fixturePath, "utf8")
    .split(/\r?\n/)
    .forEach((raw, index) => {
      if (raw.trim() === "" || raw.startsWith("#")) return;
      const [context = "", text = "", intent = "", reason = ""] = raw.split("\t");
      rows.push({ line: index + 1, context: context as ParseContext, text, intent, reason });
    });
  return rows;
}

type Case = [context: ParseContext, text: string, expected: Intent];

describe("parseIntent", () => {
  it("should classify every line of the replies fixture (intent and absence reason)", () => {
    const rows = readFixture();
    expect(rows.length).toBeGreaterThan(500);
    const failures: string[] = [];
    for (const row of rows) {
      const got = parseIntent(row.text, row.context);
      const kind = got.kind === "mixed" ? `mixed:${got.answer}` : got.kind;
      const absent = got.kind === "absent" || (got.kind === "mixed" && got.answer === "absent");
      const reason = absent && "reason" in got ? (got.reason ?? "").trim() : "";
      if (kind !== row.intent || reason !== (absent ? row.reason.trim() : ""))
        failures.push(
          `line ${row.line} [${row.context}] ${JSON.stringify(row.text)}: expected ${row.intent}` +
            `${row.reason ? ` (reason ${JSON.stringify(row.reason)})` : ""}, got ${JSON.stringify(got)}`,
        );
    }
    expect(failures).toEqual([]);
  });

  it("should cover every class of reply with several lines", () => {
    const counts = new Map<string, number>();
    for (const row of readFixture()) counts.set(row.intent, (counts.get(row.intent) ?? 0) + 1);
    for (const intent of [
      "attend",
      "absent",
      "unsure",
      "read",
      "schedule",
      "help",
      "link",
      "concern",
      "mixed:attend",
      "mixed:absent",
    ])
      expect(counts.get(intent) ?? 0, intent).toBeGreaterThanOrEqual(8);
  });

  it("should not contain any fixture reply verbatim in the sources", () => {
    const sources = (readdirSync(path.join(repoRoot, "src"), { recursive: true }) as string[])
      .filter((f) => /\.(ts|json)$/.test(f) && !f.includes("generated"))
      .map((f) => readFileSync(path.join(repoRoot, "src", f), "utf8"));
    const copied = readFixture()
      .map((r) => r.text)
      .filter((text) => text.length >= 14 && sources.some((s) => s.includes(text)));
    expect(copied).toEqual([]);
  });

  describe("attendance answers to a reminder", () => {
    const cases: Case[] = [
      ["reminder", "ok e co mat a", { kind: "attend" }],
      ["reminder", "Báo cáo: có mặt", { kind: "attend" }],
      ["reminder", "CÓ MẶT Ạ", { kind: "attend" }],
      ["reminder", "co matt", { kind: "attend" }],
      ["reminder", "có    mặt  !!!", { kind: "attend" }],
      ["reminder", "Có mặt.\nEm cảm ơn", { kind: "attend" }],
      ["reminder", "co\u0301 ma\u0323\u0306t", { kind: "attend" }],
      ["reminder", "c\u200bó mặt\u200b", { kind: "attend" }],
      ["reminder", "\uFEFFcó mặt", { kind: "attend" }],
      ["reminder", "em đi được", { kind: "attend" }],
      ["reminder", "đi đc", { kind: "attend" }],
      ["reminder", "ok em tới", { kind: "attend" }],
      ["reminder", "sẽ tới", { kind: "attend" }],
      ["reminder", "se toi", { kind: "attend" }],
      ["reminder", "tới liền", { kind: "attend" }],
      ["reminder", "có ạ, em sẽ đến", { kind: "attend" }],
      ["reminder", "Dạ không, em có mặt", { kind: "attend" }],
      ["reminder", "không vắng đâu", { kind: "attend" }],
      ["reminder", "có thể tham gia", { kind: "attend" }],
      ["reminder", "👍🏻", { kind: "attend" }],
      ["reminder", "👍 ạ", { kind: "attend" }],
      ["reminder", "xin phép đến muộn 10 phút", { kind: "attend", note: "đến muộn 10 phút" }],
      ["reminder", "tôi sẽ đến trễ", { kind: "attend", note: "đến trễ" }],
      ["reminder", "Có mặt nhưng về sớm", { kind: "attend", note: "về sớm" }],
      ["reminder", "I'll be there", { kind: "attend" }],
      ["reminder", "I will come", { kind: "attend" }],
      ["reminder", "count me in", { kind: "attend" }],
      ["none", "mình đi nhé", { kind: "attend" }],
      ["none", "Có mặt đúng giờ", { kind: "attend" }],
      ["none", "Em đi họp nhé", { kind: "attend" }],
      ["none", "tham gia đầy đủ", { kind: "attend" }],

      ["reminder", "Dạ cháu xin phép vắng ạ vì đi làm ca đêm", { kind: "absent", reason: "đi làm ca đêm" }],
      ["none", "hôm đó tôi không đến được vì đi khám bệnh", { kind: "absent", reason: "đi khám bệnh" }],
      ["reminder", "Chắc là không đi được", { kind: "absent" }],
      ["none", "k tham gia dc", { kind: "absent" }],
      ["reminder", "E k di dc a", { kind: "absent" }],
      ["reminder", "nghỉ", { kind: "absent" }],
      ["reminder", "em bận rồi", { kind: "absent" }],
      ["none", "em bận rồi", { kind: "absent" }],
      ["reminder", "vắng mặt có lý do", { kind: "absent" }],
      ["none", "vắng", { kind: "absent" }],
      ["reminder", "vangg", { kind: "absent" }],
      ["reminder", "e xin phep vang a", { kind: "absent" }],
      ["reminder", "không đi", { kind: "absent" }],
      ["reminder", "hông đi được đâu", { kind: "absent" }],
      ["reminder", "đi không được", { kind: "absent" }],
      ["reminder", "không thể có mặt", { kind: "absent" }],
      ["reminder", "k the tham gia", { kind: "absent" }],
      ["reminder", "ko tham du dc", { kind: "absent" }],
      ["reminder", "không về kịp", { kind: "absent" }],
      ["reminder", "chắc ko đi dc đâu", { kind: "absent" }],
      ["reminder", "em xin phép nghỉ ạ", { kind: "absent" }],
      ["reminder", "Cho em nghỉ 1 buổi", { kind: "absent" }],
      ["reminder", "Xin phép vắng mặt buổi họp tối nay", { kind: "absent" }],
      ["reminder", "xin vắng, mong chi hội thông cảm", { kind: "absent" }],
      ["reminder", "hôm nay e bận ko đi đc", { kind: "absent" }],
      ["reminder", "Vì con ốm nên em xin vắng ạ", { kind: "absent", reason: "con ốm" }],
      ["reminder", "Hôm nay con ốm, em không đi được", { kind: "absent", reason: "con ốm" }],
      ["reminder", "chồng em ốm nên em không đi được ạ", { kind: "absent", reason: "chồng em ốm" }],
      ["reminder", "k đi đc con ốm", { kind: "absent", reason: "con ốm" }],
      ["reminder", "ko đi đc vì con ốm ạ 🙏", { kind: "absent", reason: "con ốm" }],
      ["reminder", "xin vang  vi   di vien !!!", { kind: "absent", reason: "di vien" }],
      ["reminder", "KHÔNG ĐI ĐƯỢC VÌ BẬN", { kind: "absent", reason: "BẬN" }],
      ["reminder", "em xin vắng ạ, em đi viện", { kind: "absent", reason: "đi viện" }],
      ["reminder", "vắng - đi viện", { kind: "absent", reason: "đi viện" }],
      ["reminder", "Lý do: đi công tác", { kind: "absent", reason: "đi công tác" }],
      ["reminder", "em xin vắng mặt vì lý do sức khỏe", { kind: "absent", reason: "sức khỏe" }],
      ["reminder", "xin vắng do bận việc gia đình ạ", { kind: "absent", reason: "bận việc gia đình" }],
      ["reminder", "em bận việc nhà", { kind: "absent", reason: "bận việc nhà" }],
      ["reminder", "tôi ko thể tham gia vì đau chân", { kind: "absent", reason: "đau chân" }],
      ["reminder", "đang ở quê, ko về kịp", { kind: "absent", reason: "đang ở quê" }],
      ["reminder", "mai em đi công tác", { kind: "absent", reason: "đi công tác" }],
      ["reminder", "em đang ốm", { kind: "absent", reason: "đang ốm" }],
      ["reminder", "trời mưa, e k đi đc nhé a", { kind: "absent", reason: "trời mưa" }],
      ["reminder", "can't come, sick", { kind: "absent", reason: "sick" }],
      ["reminder", "I can't come because I'm sick", { kind: "absent", reason: "I'm sick" }],
      ["reminder", "won't be able to come", { kind: "absent" }],
      ["reminder", "sorry, I can't", { kind: "absent" }],
      ["reminder", "I am sick", { kind: "absent", reason: "sick" }],
      ["reminder", "no, I can not come", { kind: "absent" }],
      ["none", "mai tôi bận, không đi được", { kind: "absent" }],
      // An absence and a question to the association: the member is asked what to do with it.
      [
        "none",
        "tôi ko đi họp được vì ốm, cho hỏi có tài liệu không",
        { kind: "mixed", answer: "absent", reason: "ốm", text: "tôi ko đi họp được vì ốm, cho hỏi có tài liệu không" },
      ],
      ["reminder", "Trực cơ quan nên không đi được", { kind: "absent", reason: "Trực cơ quan" }],
      ["reminder", "Hôm nay tôi đi đám cưới", { kind: "absent", reason: "đi đám cưới" }],
      ["reminder", "hihi em có mặt", { kind: "attend" }],

      ["reminder", "có lẽ tôi đến muộn", { kind: "unsure" }],
      ["reminder", "không chắc", { kind: "unsure" }],
      ["reminder", "chua chac nua", { kind: "unsure" }],
      ["reminder", "chưa biết nữa", { kind: "unsure" }],
      ["reminder", "để em xem đã", { kind: "unsure" }],
      ["reminder", "để mai em báo lại", { kind: "unsure" }],
      ["reminder", "không biết có đi được không", { kind: "unsure" }],
      ["reminder", "em ko chắc có đi được ko", { kind: "unsure" }],
      ["reminder", "có thể không đi được", { kind: "unsure" }],
      ["reminder", "nếu kịp em sẽ đến", { kind: "unsure" }],
      ["reminder", "em sẽ cố gắng có mặt", { kind: "unsure" }],
      ["reminder", "maybe", { kind: "unsure" }],
      ["reminder", "not sure", { kind: "unsure" }],
    ];
    it.each(cases)("should parse [%s] %j", (context, text, expected) => {
      expect(parseIntent(text, context)).toEqual(expected);
    });
  });

  describe("short answers that depend on an open question", () => {
    const cases: Case[] = [
      ["none", "có", { kind: "yes" }],
      ["reminder", "có", { kind: "yes" }],
      ["reminder", "ok", { kind: "yes" }],
      ["reminder", "Dạ có ạ", { kind: "yes" }],
      ["question", "dạ vâng", { kind: "yes" }],
      ["question", "vang", { kind: "yes" }],
      ["question", "OK!", { kind: "yes" }],
      ["question", "oke e", { kind: "yes" }],
      ["question", "đc", { kind: "yes" }],
      ["question", "u", { kind: "yes" }],
      ["question", "đồng ý", { kind: "yes" }],
      ["none", "yes", { kind: "yes" }],
      ["none", "👍", { kind: "yes" }],
      ["directive", "👍", { kind: "yes" }],
      ["reminder", "ko", { kind: "no" }],
      ["question", "kg", { kind: "no" }],
      ["question", "dạ không", { kind: "no" }],
      ["question", "không đồng ý", { kind: "no" }],
      ["none", "hủy", { kind: "no" }],
      ["none", "thôi", { kind: "no" }],
      ["none", "no", { kind: "no" }],
      ["none", "1", { kind: "choice", index: 1 }],
      ["reminder", "1", { kind: "choice", index: 1 }],
      ["none", "2", { kind: "choice", index: 2 }],
      ["reminder", "2", { kind: "choice", index: 2 }],
      ["reminder", "3", { kind: "choice", index: 3 }],
      ["none", "2.", { kind: "choice", index: 2 }],
      ["question", "số 2", { kind: "choice", index: 2 }],
      ["question", "1️⃣", { kind: "choice", index: 1 }],
    ];
    it.each(cases)("should parse [%s] %j", (context, text, expected) => {
      expect(parseIntent(text, context)).toEqual(expected);
    });
  });

  describe("link codes and commands", () => {
    const cases: Case[] = [
      ["none", "DK483920", { kind: "link", code: "483920" }],
      ["none", "dk 483920", { kind: "link", code: "483920" }],
      ["none", "đăng ký 483 920", { kind: "link", code: "483920" }],
      ["none", "Mã liên kết: 483-920", { kind: "link", code: "483920" }],
      ["none", "mã của tôi là 483920", { kind: "link", code: "483920" }],
      ["none", "48 39 20", { kind: "link", code: "483920" }],
      ["none", "https://t.me/SomeBot?start=483920", { kind: "link", code: "483920" }],
      ["none", "t.me/ChiHoiBot?start=123456", { kind: "link", code: "123456" }],
      ["none", "/start@ChiHoiBot 483920", { kind: "link", code: "483920" }],
      ["none", "0912345678", { kind: "concern", text: "0912345678" }],
      ["none", "hội phí 100000 đồng", { kind: "concern", text: "hội phí 100000 đồng" }],
      ["none", "/start", { kind: "command", name: "start", args: "" }],
      ["none", "/lich@ChiHoiBot", { kind: "schedule" }],
      ["none", "/HELP", { kind: "help" }],
      ["none", "/help@ChiHoi_bot", { kind: "help" }],
      ["none", "/trogiup", { kind: "help" }],
      ["none", "/ykien@ChiHoiBot đường hỏng", { kind: "command", name: "ykien", args: "đường hỏng" }],
      ["none", "/vanban", { kind: "command", name: "vanban", args: "" }],
      ["none", "/huylienket", { kind: "unlink" }],
      ["none", "/ngonngu en", { kind: "language", locale: "en" }],
      ["none", "/ngonngu vi", { kind: "language", locale: "vi" }],
    ];
    it.each(cases)("should parse [%s] %j", (context, text, expected) => {
      expect(parseIntent(text, context)).toEqual(expected);
    });
  });

  describe("requests and confirmations", () => {
    const cases: Case[] = [
      ["none", "em đọc rồi ạ", { kind: "read" }],
      ["directive", "ok đã đọc", { kind: "read" }],
      ["reminder", "Đã đọc ạ", { kind: "read" }],
      ["none", "Da doc, cam on", { kind: "read" }],
      ["directive", "tôi đã đọc và sẽ thực hiện", { kind: "read" }],
      ["directive", "rõ rồi ạ", { kind: "read" }],
      ["none", "read", { kind: "read" }],
      ["directive", "em chưa đọc ạ", { kind: "no" }],
      ["none", "họp lúc mấy giờ", { kind: "schedule" }],
      ["none", "mai có họp không?", { kind: "schedule" }],
      ["none", "khi nao hop vay", { kind: "schedule" }],
      ["none", "hop o dau", { kind: "schedule" }],
      ["none", "hôm nào sinh hoạt", { kind: "schedule" }],
      ["none", "cho xin lịch sinh hoạt", { kind: "schedule" }],
      ["none", "when is the meeting?", { kind: "schedule" }],
      ["none", "help", { kind: "help" }],
      ["none", "giup toi voi", { kind: "help" }],
      ["none", "huong dan su dung", { kind: "help" }],
      ["none", "làm sao để dùng", { kind: "help" }],
      ["none", "??", { kind: "help" }],
      ["none", "xin chào", { kind: "help" }],
      ["none", "tiếng anh", { kind: "language", locale: "en" }],
      ["none", "chuyển sang tiếng Anh", { kind: "language", locale: "en" }],
      ["none", "tieng viet", { kind: "language", locale: "vi" }],
      ["none", "English", { kind: "language", locale: "en" }],
      ["none", "đổi ngôn ngữ", { kind: "language" }],
      ["none", "hủy liên kết", { kind: "unlink" }],
      ["none", "huy lien ket", { kind: "unlink" }],
      ["none", "tôi muốn hủy liên kết tài khoản", { kind: "unlink" }],
      ["none", "gửi ý kiến", { kind: "concern_start" }],
      ["none", "tôi muốn kiến nghị", { kind: "concern_start" }],
      ["none", "góp ý", { kind: "concern_start" }],
      ["none", "kien nghi", { kind: "concern_start" }],
      ["none", "hài lòng", { kind: "satisfied" }],
      ["none", "rất hài lòng, cảm ơn chi hội", { kind: "satisfied" }],
      ["none", "chưa hài lòng", { kind: "unsatisfied" }],
      ["none", "ko hai long", { kind: "unsatisfied" }],
      ["none", "không hài lòng vì đường vẫn chưa sửa", { kind: "unsatisfied" }],
    ];
    it.each(cases)("should parse [%s] %j", (context, text, expected) => {
      expect(parseIntent(text, context)).toEqual(expected);
    });
  });

  describe("concerns (free text stays a concern)", () => {
    const texts: [ParseContext, string][] = [
      ["none", "đường đi vào xóm tối quá, xin lắp đèn"],
      ["none", "Con tôi đi học xa, hội có hỗ trợ gì không?"],
      ["none", "Đề nghị chi hội vận động hội viên tham gia đóng quỹ"],
      ["none", "Hội viên già yếu không đến được chi hội thì nộp hội phí thế nào?"],
      ["none", "Tuần trước tôi không đi họp được, có tài liệu gì không?"],
      ["none", "Tôi tham gia bảo hiểm y tế ở đâu?"],
      ["none", "Tại sao cuộc họp tháng trước bị hủy?"],
      ["none", "Tôi nghĩ là chi hội nên tổ chức thăm hỏi"],
      ["none", "Tôi muốn phản ánh việc đổ rác bừa bãi"],
      ["none", "lịch tiêm phòng ở đâu"],
      ["none", "tiếng Anh giao tiếp cho thanh niên có lớp không?"],
      ["none", "Tôi là cựu chiến binh, tôi có mặt ở địa phương từ năm 1975, đề nghị xem xét chế độ"],
      ["reminder", "Cựu chiến binh ấp 4 đề nghị sửa nhà văn hóa"],
      ["reminder", "xin phép hỏi về chế độ"],
      ["reminder", "em đến muộn được không ạ?"],
      ["directive", "đọc rồi nhưng chưa hiểu phần 2"],
    ];
    it.each(texts)("should keep [%s] %j as a concern", (context, text) => {
      expect(parseIntent(text, context)).toEqual({ kind: "concern", text });
    });

    it("should keep the original text, trimmed", () => {
      expect(parseIntent("  Nhà văn hóa   ấp 2 bị dột  \n", "none")).toEqual({
        kind: "concern",
        text: "Nhà văn hóa   ấp 2 bị dột",
      });
    });
  });

  describe("bad input", () => {
    it.each(["", "   ", "\u0000\u0001", "\t\n\r", "🙂🙂", "...", "👎👍", "\u200b\u200e\u202e", "hahaha", "ạ"])(
      "should return empty for %j",
      (text) => {
        expect(parseIntent(text)).toEqual({ kind: "empty" });
        expect(parseIntent(text, "reminder")).toEqual({ kind: "empty" });
      },
    );

    it("should treat a lone '?' as a help request", () => {
      expect(parseIntent("?")).toEqual({ kind: "help" });
    });

    it("should not crash on a non-string value", () => {
      expect(parseIntent(undefined as unknown as string)).toEqual({ kind: "empty" });
    });

    it("should parse a 100,000-character message as a concern", () => {
      const text = "Đường ngập nặng quá ".repeat(5_000);
      expect(text.length).toBe(100_000);
      const got = parseIntent(text, "reminder");
      expect(got).toEqual({ kind: "concern", text: text.trim() });
    });

    it("should still read an answer at the start of a huge message, ask about it, with a bounded reason", () => {
      const got = parseIntent(`xin vắng vì ${"bận ".repeat(30_000)}`, "reminder");
      expect(got.kind === "mixed" && got.answer).toBe("absent");
      expect(got.kind === "mixed" && (got.reason ?? "").length).toBeLessThanOrEqual(300);
    });

    it("should survive a 100,000-character single word", () => {
      expect(parseIntent("a".repeat(100_000)).kind).toBe("concern");
    });

    it("should treat Arabic and right-to-left text as a concern", () => {
      expect(parseIntent("مرحبا كيف حالك")).toEqual({ kind: "concern", text: "مرحبا كيف حالك" });
      expect(parseIntent("\u202eكم").kind).toBe("concern");
    });

    it("should treat markup as plain concern text", () => {
      expect(parseIntent("<script>")).toEqual({ kind: "concern", text: "<script>" });
      expect(parseIntent("<script>alert('có mặt')</script>").kind).toBe("concern");
    });

    it("should not crash on binary-looking text", () => {
      let seed = 7;
      const bytes = Array.from({ length: 4096 }, () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return String.fromCharCode(seed % 256);
      }).join("");
      const lone = "\ud800có\udfff mặt";
      expect(() => parseIntent(bytes)).not.toThrow();
      expect(() => parseIntent(bytes, "reminder")).not.toThrow();
      expect(() => parseIntent(lone, "reminder")).not.toThrow();
    });
  });
});
