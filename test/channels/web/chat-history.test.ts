import { describe, expect, it } from "vitest";
import { pageHistory } from "../../../src/channels/web/chat-history.ts";
import type { ChatLine } from "../../../src/domain/messages/message-log.ts";

const line = (id: number, direction: "in" | "out", text: string | null, payload: string | null = null): ChatLine => ({
  id,
  direction,
  text,
  payload,
  createdAt: id,
});
const buttons = (...pairs: [string, string][]) => JSON.stringify(pairs.map(([label, payload]) => ({ label, payload })));

describe("pageHistory", () => {
  it("should show a button press with the label of the button pressed", () => {
    const lines = [
      line(1, "out", "Nhắc lịch", buttons(["Có mặt", "rsvp:1:yes"], ["Vắng", "rsvp:1:no"])),
      line(2, "in", null, "rsvp:1:no"),
      line(3, "out", "Lý do?"),
      line(4, "in", "bận việc nhà"),
    ];
    expect(pageHistory(lines, 100, "(nút)").map((l) => [l.direction, l.text])).toEqual([
      ["out", "Nhắc lịch"],
      ["in", "Vắng"],
      ["out", "Lý do?"],
      ["in", "bận việc nhà"],
    ]);
  });

  it("should take the latest button with that payload, and fall back when it is out of sight", () => {
    const lines = [
      line(1, "out", "a", buttons(["Tiếng Việt", "lang:vi"])),
      line(2, "out", "b", buttons(["Vietnamese", "lang:vi"])),
      line(3, "in", null, "lang:vi"),
      line(4, "in", null, "lang:xx"),
    ];
    const history = pageHistory(lines, 2, "(pressed a button)");
    expect(history.map((l) => l.text)).toEqual(["Vietnamese", "(pressed a button)"]);
    expect(history.every((l) => l.pressed)).toBe(true);
  });

  it("should ignore a malformed stored payload", () => {
    expect(pageHistory([line(1, "out", "x", "{not json")], 10, "?")[0]!.choices).toBeUndefined();
  });
});
