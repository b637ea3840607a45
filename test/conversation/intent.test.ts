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
