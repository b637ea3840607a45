import { describe, expect, it } from "vitest";
import { type Intent, type ParseContext, parseIntent } from "../../src/conversation/intent.ts";

/** Commands and link codes (src/conversation/intent-commands.ts), through the public parser. */
type Case = [context: ParseContext, text: string, expected: Intent];

describe("parseIntent", () => {
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
});
