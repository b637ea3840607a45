import { describe, expect, it } from "vitest";
import { roleForTitle } from "../../../src/domain/roster/roster-row.ts";

describe("roleForTitle", () => {
  it.each([
    ["Chi hội trưởng", "cadre"],
    ["Tổ trưởng", "cadre"],
    ["TỔ TRƯỞNG", "cadre"],
    ["Phó bí thư", "cadre"],
    ["Bí thư chi đoàn", "cadre"],
    ["Chủ tịch Hội", "cadre"],
    ["Phó Chủ tịch", "cadre"],
    ["Cán bộ", "cadre"],
    ["to truong", "cadre"],
    ["Chi hoi pho", "cadre"],
    ["Tổ truong", "cadre"],
    ["Bi thu", "cadre"],
    ["CHT", "cadre"],
    ["PBT", "cadre"],
    ["Hội viên", "member"],
    ["Đoàn viên", "member"],
    ["Giáo viên trường THCS", "member"],
    ["Tổ dân phố số 3", "member"],
    ["Trương Văn A", "member"],
    ["Hưu trí", "member"],
    [" ", "member"],
    ["Ủy viên", "member"],
  ])("should map the title %j to %s", (title, role) => {
    expect(roleForTitle(title)).toBe(role);
  });
});
