import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { initOrganisation, useCliFolder } from "../helpers/cli.ts";

// With the bot named, `codes` prints no warning, so stderr holds only the error under test.
const cli = useCliFolder({ TELEGRAM_BOT_USERNAME: "@ChiHoiTestBot" });
beforeEach(() => initOrganisation(cli, "Hội Nông dân xã Long Vĩnh", "hnd-lv", "Xã"));

describe("command-line errors", () => {
  it("should answer an unknown option in Vietnamese with a hint, not commander's English", async () => {
    const r = await cli.run("units", "tree", "--depth", "2");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Không có tùy chọn “--depth”.");
    expect(r.stderr).toContain("Xem cách dùng: chihoi units tree --help");
    expect(r.stderr).not.toMatch(/error:|unknown option/);
  });

  it("should suggest the command meant", async () => {
    const r = await cli.run("membrs", "list", "#1");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Không có lệnh “membrs”. Có phải ý anh/chị là members?");
  });

  it("should name a missing argument, a missing option, a value-less option and an invalid choice", async () => {
    const missingArg = await cli.run("units", "rename", "#1");
    expect(missingArg.stderr).toContain("Thiếu tên.");
    const missingOption = await cli.run("units", "add", "Chi hội mới");
    expect(missingOption.stderr).toContain("Cần có tùy chọn “--parent <unit>”.");
    const noValue = await cli.run("units", "add", "Chi hội mới", "--parent");
    expect(noValue.stderr).toContain("Tùy chọn “--parent <unit>” cần có giá trị đi kèm.");
    const choice = await cli.run("admin", "add", "--unit", "#1", "--name", "Lê Văn Tám", "--role", "boss");
    expect(choice.stderr).toContain(
      "Giá trị “boss” của “--role <role>” không hợp lệ. Chọn một trong: admin, official, cadre.",
    );
    const duration = await cli.run("meetings", "add", "--unit", "#1", "--when", "05/12/2099 19:30", "--duration", "2h");
    expect(duration.stderr).toContain(
      "Giá trị “2h” của “--duration <minutes>” không hợp lệ. Cần một số phút từ 1 đến 1440, ví dụ 90.",
    );
    const extra = await cli.run("units", "add", "Chi", "hội", "mới", "--parent", "#1");
    expect(extra.stderr).toContain("Thừa đối số: lệnh này nhận 1 nhưng đang có 3.");
    for (const r of [missingArg, missingOption, noValue, choice, duration, extra]) {
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(/error:/);
    }
  });

  it("should speak English when DEFAULT_LOCALE is en", async () => {
    const r = await cli.runWith({ DEFAULT_LOCALE: "en" }, "units", "tree", "--depth", "2");
    expect(r.stderr).toContain("There is no option “--depth”.");
    expect(r.stderr).toContain("Usage: chihoi units tree --help");
  });

  it("should say in words why a file cannot be written or read", async () => {
    const noFolder = await cli.run("codes", "#1", "--out", path.join(cli.dir, "khong-co", "ma.csv"));
    expect(noFolder.code).toBe(1);
    expect(noFolder.stderr.trim()).toBe(
      `Không mở được tệp “${path.join(cli.dir, "khong-co", "ma.csv")}”: không có tệp hoặc thư mục này.`,
    );
    mkdirSync(path.join(cli.dir, "a-folder.csv"));
    const folder = await cli.run("codes", "#1", "--out", path.join(cli.dir, "a-folder.csv"));
    expect(folder.stderr).toContain("đây là thư mục, không phải tệp");
    const readFolder = await cli.run("members", "import", "a-folder.csv", "--unit", "#1");
    expect(readFolder.stderr.trim()).toBe("a-folder.csv là một thư mục, không phải tệp.");
    writeFileSync(path.join(cli.dir, "not-a-db.txt"), "Danh sách hội viên\n".repeat(200));
    const notDb = await cli.runWith({ DATABASE_URL: "file:./not-a-db.txt" }, "units", "tree");
    expect(notDb.code).toBe(1);
    expect(notDb.stderr.trim()).toBe(
      "Không dùng được cơ sở dữ liệu “./not-a-db.txt” (DATABASE_URL): tệp này không phải cơ sở dữ liệu Chi Hội.",
    );
    for (const r of [noFolder, folder, readFolder]) expect(r.stderr).not.toMatch(/ENOENT|EISDIR|EACCES/);
  });

  it("should name an invalid field in words with its limit", async () => {
    const longName = await cli.run("units", "add", "x".repeat(201), "--parent", "#1");
    expect(longName.code).toBe(1);
    expect(longName.stderr.trim()).toBe("Tên dài quá 200 ký tự.");
    const place = await cli.run(
      "meetings",
      "add",
      "--unit",
      "#1",
      "--when",
      "05/12/2099 19:30",
      "--place",
      "p".repeat(301),
    );
    expect(place.stderr.trim()).toBe("Địa điểm dài quá 300 ký tự.");
    const english = await cli.runWith({ DEFAULT_LOCALE: "en" }, "units", "rename", "#1", "y".repeat(201));
    expect(english.stderr.trim()).toBe("Name is longer than 200 characters.");
  });
});
