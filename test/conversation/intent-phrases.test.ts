import { describe, expect, it } from "vitest";
import { type Intent, type ParseContext, parseIntent } from "../../src/conversation/intent.ts";

/** Short fixed phrases (src/conversation/intent-phrases.ts), through the public parser. */
type Case = [context: ParseContext, text: string, expected: Intent];

describe("parseIntent", () => {
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
});
