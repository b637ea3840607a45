import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { cliTestEnv, cliTestTimeout, removeCliDir, runCli, withCliDatabase } from "../helpers/cli.ts";

let dir: string;
let env: NodeJS.ProcessEnv;
const run = (...args: string[]) => runCli(dir, env, ...args);
const file = (name: string, text: string) => writeFileSync(path.join(dir, name), text);

function units(): Promise<{ name: string; levelLabel: string }[]> {
  return withCliDatabase(dir, (db) =>
    db.kysely.selectFrom("Unit").select(["name", "levelLabel"]).orderBy("id").execute(),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "chihoi-cli-roster-"));
  env = await cliTestEnv(dir);
  expect(
    (await run("init", "--org", "Hội Nông dân huyện Châu Thành", "--code", "hnd-ct", "--level", "Huyện")).code,
  ).toBe(0);
  file(
    "units.csv",
    [
      "Đơn vị,Trực thuộc,Cấp",
      "Hội Nông dân xã Long Vĩnh,,Xã",
      "Hội Nông dân xã Long Hòa,,Xã",
      "Chi hội ấp 1,Hội Nông dân xã Long Vĩnh,Chi hội",
      "Chi hội ấp 3,Hội Nông dân xã Long Vĩnh,Chi hội",
      "Chi hội ấp 3,Hội Nông dân xã Long Hòa,Chi hội",
    ].join("\n"),
  );
  expect((await run("units", "import", "units.csv", "--parent", "#1")).stderr).toBe("");
}, cliTestTimeout);
afterAll(() => removeCliDir(dir));

describe("chihoi units and members import", { timeout: cliTestTimeout }, () => {
  it("should resolve a path of short names as the short names resolve alone", async () => {
    const alone = await run("units", "tree", "Long Vĩnh");
    expect(alone.stdout).toContain("Hội Nông dân xã Long Vĩnh (Xã)");
    const short = await run("units", "tree", "Long Vĩnh / Chi hội ấp 3");
    expect(short.stderr).toBe("");
    expect(short.stdout.trim()).toMatch(/^#\d+ Chi hội ấp 3 \(Chi hội\)$/);
    const ambiguous = await run("units", "tree", "Chi hội ấp 3");
    expect(ambiguous.stderr).toContain("Có nhiều đơn vị tên");
  });

  it("should not suggest options units import does not have", async () => {
    file("bad-units.csv", "Đơn vị,Trực thuộc\nChi hội ấp 9,Xã Không Có\n");
    const r = await run("units", "import", "bad-units.csv", "--parent", "#1");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "Dòng 2: không tìm thấy đơn vị cấp trên “Xã Không Có” trong “Hội Nông dân huyện Châu Thành”.",
    );
    expect(r.stdout + r.stderr).not.toMatch(/--create-units|--skip-invalid/);
  });

  it("should give units made by --create-units their siblings' level, and take a path in the unit column", async () => {
    file(
      "roster.csv",
      [
        "Họ và tên,SĐT,Chi hội,Chức vụ",
        "Trần Văn B,0912345678,Chi hội ấp 1,",
        "Lê Thị Hoa,0912345679,Long Vĩnh / Chi hội ấp 3,",
        "Võ Văn Tư,0912345677,Chi hội ấp 5,",
      ].join("\n"),
    );
    const r = await run("members", "import", "roster.csv", "--unit", "Long Vĩnh", "--create-units");
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Thêm mới 3 người");
    expect(await units()).toContainEqual({ name: "Chi hội ấp 5", levelLabel: "Chi hội" });
  });

  it("should describe a changed person in words in a dry run and flag a phone that now names someone else", async () => {
    file(
      "roster2.csv",
      [
        "Họ và tên,SĐT,Chi hội,Chức vụ,Năm sinh",
        "Nguyễn Văn A,0912345678,Chi hội ấp 3,,1952",
        "Lê Thị Hoà,0912345679,Chi hội ấp 3,Chi hội trưởng,",
        "Vo Van Tu,0912345677,Chi hội ấp 5,,",
      ].join("\n"),
    );
    const r = await run("members", "import", "roster2.csv", "--unit", "Long Vĩnh", "--dry-run");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "Dòng 2: Trần Văn B → Nguyễn Văn A: đổi tên, năm sinh (trống) → 1952, chuyển từ Chi hội ấp 1 sang Chi hội ấp 3",
    );
    expect(r.stdout).toContain("Dòng 3: Lê Thị Hoa → Lê Thị Hoà: đổi tên, làm cán bộ (Chi hội trưởng)");
    expect(r.stderr).toContain(
      "⚠ Dòng 2: số điện thoại 0912***678 đang là của Trần Văn B, nhưng tệp ghi Nguyễn Văn A.",
    );
    // Missing accents or a small change of the same name is not flagged.
    expect(r.stderr).not.toContain("Dòng 3");
    expect(r.stderr).not.toContain("Dòng 4");
  });

  it("should list each person once with all their roles, say when a unit has nobody, and show full phones on request", async () => {
    expect(
      (
        await run(
          "admin",
          "add",
          "--unit",
          "Long Vĩnh",
          "--name",
          "Trần Văn B",
          "--phone",
          "0912345678",
          "--role",
          "official",
        )
      ).code,
    ).toBe(0);
    const list = await run("members", "list", "Long Vĩnh");
    const lines = list.stdout.trim().split("\n");
    expect(lines.filter((l) => l.includes("Trần Văn B"))).toEqual([
      expect.stringMatching(
        /^#\d+\tTrần Văn B\t0912\*\*\*678\tlãnh đạo — Hội Nông dân xã Long Vĩnh; hội viên — Chi hội ấp 1\t$/,
      ),
    ]);
    expect(lines).toHaveLength(3);
    const full = await run("members", "list", "Long Vĩnh", "--show-phones");
    expect(full.stdout).toContain("\t0912345678\t");
    const empty = await run("members", "list", "Long Hòa");
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain("Chưa có ai trong “Hội Nông dân xã Long Hòa”");
  });

  it("should find a unit by the short name --unit accepts, so --create-units makes no duplicate", async () => {
    const before = await units();
    file(
      "roster-short.csv",
      ["Họ và tên,SĐT,Chi hội", "Đặng Văn Năm,0912345670,ấp 3", "Phan Thị Sáu,0912345671,Ấp 1"].join("\n"),
    );
    const r = await run("members", "import", "roster-short.csv", "--unit", "Long Vĩnh", "--create-units");
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Thêm mới 2 người");
    expect(r.stdout).toContain("tạo 0 đơn vị");
    expect(await units()).toEqual(before);
    const list = await run("members", "list", "Long Vĩnh / Chi hội ấp 3");
    expect(list.stdout).toContain("Đặng Văn Năm");
    // Under the district both communes have a "Chi hội ấp 3": the row is refused, nothing is created.
    file("roster-ambiguous.csv", ["Họ và tên,SĐT,Chi hội", "Mai Văn Bảy,0912345672,ấp 3"].join("\n"));
    const ambiguous = await run("members", "import", "roster-ambiguous.csv", "--unit", "#1", "--create-units");
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stdout).toContain("Dòng 2: có nhiều đơn vị tên “ấp 3”");
    expect(await units()).toEqual(before);
  });

  it("should say in codes --help that it writes an Excel .xlsx or a .csv file", async () => {
    const help = await run("codes", "--help");
    expect(help.stdout.replace(/\s+/g, " ")).toContain(
      "vào tệp Excel .xlsx (mã giữ nguyên dạng chữ) hay .csv với --out",
    );
    expect(help.stdout.replace(/\s+/g, " ")).toContain(".xlsx (Excel) hoặc .csv, theo đuôi tên tệp");
  });
});
