import { describe, expect, it } from "vitest";
import { TALLY_NAMES_SHOWN, tallyBody, tallyText } from "../../../src/domain/meetings/meeting-messages.ts";
import type { MeetingText, Tally } from "../../../src/domain/meetings/meeting-types.ts";

const meeting: MeetingText = {
  title: "Sinh hoạt tháng 12",
  place: "",
  agenda: "",
  startsAt: Date.parse("2026-12-05T12:30:00Z"),
  unitName: "Chi hội 1",
};
const named = (personId: number, fullName = `Hội viên ${personId}`) => ({ personId, fullName });

function tally(extra: Partial<Tally> = {}): Tally {
  return {
    meetingId: 1,
    invited: 4,
    attend: [named(1, "Nguyễn Văn An")],
    absent: [{ ...named(2, "Lê Thị Bình"), reason: "đi viện" }],
    unsure: [],
    noAnswer: [named(3, "Hồ Văn Dũng"), named(4, "Trần Thị Em")],
    notLinked: 0,
    came: null,
    ...extra,
  };
}

describe("tallyText", () => {
  it("should give counts and names per category, the reasons for absences, and 'nobody' for an empty one", () => {
    const text = tallyText({ tally: tally(), meeting, locale: "vi", timeZone: "Asia/Ho_Chi_Minh" });
    expect(text.split("\n")).toEqual([
      "Tình hình trả lời – Sinh hoạt tháng 12 (Chi hội 1), 19:30 thứ Bảy, 05/12/2026:",
      "Số người được mời: 4",
      "Có mặt (1): Nguyễn Văn An",
      "Xin vắng (1): Lê Thị Bình (đi viện)",
      "Chưa chắc (0): không có",
      "Chưa trả lời (2): Hồ Văn Dũng, Trần Thị Em",
    ]);
  });

  it("should add who is not linked and, once recorded, who came", () => {
    const text = tallyText({
      tally: tally({ notLinked: 2, came: [named(1), named(2), named(3)] }),
      meeting,
      locale: "en",
      timeZone: "Asia/Ho_Chi_Minh",
    });
    expect(text).toContain("Excused (1): Lê Thị Bình (đi viện)");
    expect(text).toContain("2 invitees have no linked chat account");
    expect(text.split("\n").at(-1)).toBe("Actually came: 3/4");
  });

  it("should list TALLY_NAMES_SHOWN names per category by default and count the rest, or as many as asked", () => {
    const many = Array.from({ length: TALLY_NAMES_SHOWN + 5 }, (_, i) => named(10 + i));
    const big = tally({ invited: many.length, attend: [], absent: [], noAnswer: many });
    const short = tallyText({ tally: big, meeting, locale: "vi", timeZone: "Asia/Ho_Chi_Minh" });
    expect(short).toContain(`Hội viên ${10 + TALLY_NAMES_SHOWN - 1} và 5 người khác`);
    expect(short).not.toContain(`Hội viên ${10 + TALLY_NAMES_SHOWN},`);
    const all = tallyText({ tally: big, meeting, locale: "vi", timeZone: "Asia/Ho_Chi_Minh", namesShown: Infinity });
    expect(all).toContain(`Hội viên ${10 + many.length - 1}`);
    expect(all).not.toContain("người khác");
  });
});

describe("tallyBody", () => {
  it("should carry the tally text in the member's language", () => {
    const body = tallyBody(tally(), meeting, "en", "Asia/Ho_Chi_Minh");
    expect(body).toEqual({
      text: tallyText({ tally: tally(), meeting, locale: "en", timeZone: "Asia/Ho_Chi_Minh" }),
      locale: "en",
    });
  });
});
