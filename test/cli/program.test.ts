import { describe, expect, it } from "vitest";
import { useCliFolder } from "../helpers/cli.ts";

const cli = useCliFolder();

describe("chihoi", () => {
  it("should show bilingual help for every command", async () => {
    const top = await cli.run("--help");
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Khởi tạo một tổ chức");
    expect(top.stdout.replace(/\s+/g, " ")).toContain("Set up an organisation");
    const imp = await cli.run("members", "import", "--help");
    expect(imp.stdout).toContain("--skip-invalid");
    expect(imp.stdout.replace(/\s+/g, " ")).toContain("ghi các dòng hợp lệ");
    expect(imp.stdout.replace(/\s+/g, " ")).toContain("write the valid rows");
  });

  it("should stop with one readable line in Vietnamese and one in English on a wrong setting", async () => {
    const r = await cli.runWith({ PORT: "abc" }, "units", "tree");
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      `PORT: cần một số cổng từ 0 đến 65535, ví dụ 3000 (đang là "abc")`,
      `PORT: expected a port number from 0 to 65535, such as 3000 (got "abc")`,
    ]);
  });
});
