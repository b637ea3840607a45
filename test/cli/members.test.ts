import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dumpRoster, setUpChauThanh, setUpQuangTri, useCliFolder } from "../helpers/cli.ts";

const cli = useCliFolder();

function units(): Promise<{ name: string; levelLabel: string }[]> {
  return cli.db((db) => db.kysely.selectFrom("Unit").select(["name", "levelLabel"]).orderBy("id").execute());
}

/** Trần Văn B (ấp 1), Lê Thị Hoa (Long Vĩnh / ấp 3) and Võ Văn Tư (ấp 5, made by --create-units) under Long Vĩnh. */
async function importChauThanhRoster(): Promise<void> {
  cli.file(
    "roster.csv",
    [
      "Họ và tên,SĐT,Chi hội,Chức vụ",
      "Trần Văn B,0912345678,Chi hội ấp 1,",
      "Lê Thị Hoa,0912345679,Long Vĩnh / Chi hội ấp 3,",
      "Võ Văn Tư,0912345677,Chi hội ấp 5,",
    ].join("\n"),
  );
  expect((await cli.run("members", "import", "roster.csv", "--unit", "Long Vĩnh", "--create-units")).stderr).toBe("");
}

describe("chihoi members import and list", () => {
  it("should import a roster, refuse invalid rows with line numbers, and print link codes", async () => {
    await setUpQuangTri(cli);
    const bad = path.join(cli.dir, "bad.csv");
    writeFileSync(
      bad,
      "DANH SÁCH\nHọ và tên,SĐT,Chi hội\nNguyễn Văn An,0912 345 678,Chi hội thôn An Lợi\n,0912000001,Chi hội thôn An Lợi\nTrần Văn Ba,123,Chi hội thôn An Lợi\n",
    );
    const before = await dumpRoster(cli);
    const r = await cli.run("members", "import", bad, "--unit", "Triệu Phong");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Dòng 4/);
    expect(r.stdout).toMatch(/Dòng 5/);
    expect(r.stderr).toContain("chưa ghi gì");
    expect(await dumpRoster(cli)).toEqual(before);

    const good = path.join(cli.dir, "good.csv");
    writeFileSync(
      good,
      "\uFEFFHọ và tên;SĐT;Chi hội;Chức vụ\nNguyễn Văn An;0912 345 678;Chi hội thôn An Lợi;Chi hội trưởng\nLê Thị Hoa;84.912.345.679;Chi hội thôn An Lợi;\n",
    );
    const dry = await cli.run("members", "import", good, "--unit", "Triệu Phong", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("Chạy thử");
    expect(await dumpRoster(cli)).toEqual(before);
    const ok = await cli.run("members", "import", good, "--unit", "Triệu Phong");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("Thêm mới 2 người");
    const again = await cli.run("members", "import", good, "--unit", "Triệu Phong");
    expect(again.stdout).toContain("không đổi 2");

    const codes = await cli.run("codes", "Chi hội thôn An Lợi");
    expect(codes.code).toBe(0);
    const lines = codes.stdout.trim().split(/\r?\n/);
    expect(lines[0]).toBe("Họ và tên,Đơn vị,Mã liên kết,Hết hạn,Đã liên kết,Hướng dẫn");
    expect(lines).toHaveLength(3);
    // The code (grouped digits) is written as ="1234 5678 9012" so that Excel keeps it as text.
    expect(lines.find((l) => l.startsWith("Nguyễn Văn An,"))).toMatch(
      /^Nguyễn Văn An,Chi hội thôn An Lợi,"=""\d{4} \d{4} \d{4}(?: \d{4})?""",\d{2}\/\d{2}\/\d{4},,/,
    );
    const out = path.join(cli.dir, "codes.csv");
    expect((await cli.run("codes", "Chi hội thôn An Lợi", "--out", out)).code).toBe(0);
    const file = readFileSync(out, "utf8");
    expect(file.startsWith("\uFEFF")).toBe(true);
    // Printing again keeps the same codes (slips already handed out stay valid).
    expect(
      file
        .replace("\uFEFF", "")
        .trim()
        .split(/\r?\n/)
        .slice(1)
        .map((l) => l.split(",")[2]),
    ).toEqual(lines.slice(1).map((l) => l.split(",")[2]));
  });

  it("should answer a missing file and a wrong format with exit code 1", async () => {
    await setUpQuangTri(cli);
    const missing = await cli.run("members", "import", "khong-co.xlsx", "--unit", "Triệu Phong");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Không tìm thấy tệp");
    const pdf = path.join(cli.dir, "x.pdf");
    writeFileSync(pdf, "%PDF-1.5\n%\u00e2\u00e3\n1 0 obj");
    const wrong = await cli.run("members", "import", pdf, "--unit", "Triệu Phong");
    expect(wrong.code).toBe(1);
    // One sentence that names the file once and says what it really is.
    expect(wrong.stderr.trim()).toBe("Tệp x.pdf là tệp PDF, không phải bảng tính. Hãy gửi tệp Excel (.xlsx) hoặc CSV.");
    const binary = path.join(cli.dir, "du-lieu.csv");
    writeFileSync(binary, Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x10, 0x80, 0x00, 0x7f, 0x00, 0x00, 0x03]));
    const bin = await cli.run("members", "import", binary, "--unit", "Triệu Phong");
    expect(bin.code).toBe(1);
    expect(bin.stderr.trim()).toBe("Tệp du-lieu.csv không phải bảng tính CSV hay Excel (.xlsx).");
    expect(bin.stderr.split("du-lieu.csv").length - 1).toBe(1);
  });

  it("should give units made by --create-units their siblings' level, and take a path in the unit column", async () => {
    await setUpChauThanh(cli);
    cli.file(
      "roster.csv",
      [
        "Họ và tên,SĐT,Chi hội,Chức vụ",
        "Trần Văn B,0912345678,Chi hội ấp 1,",
        "Lê Thị Hoa,0912345679,Long Vĩnh / Chi hội ấp 3,",
        "Võ Văn Tư,0912345677,Chi hội ấp 5,",
      ].join("\n"),
    );
    const r = await cli.run("members", "import", "roster.csv", "--unit", "Long Vĩnh", "--create-units");
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Thêm mới 3 người");
    expect(await units()).toContainEqual({ name: "Chi hội ấp 5", levelLabel: "Chi hội" });
  });

  it("should describe a changed person in words in a dry run and flag a phone that now names someone else", async () => {
    await setUpChauThanh(cli);
    await importChauThanhRoster();
    cli.file(
      "roster2.csv",
      [
        "Họ và tên,SĐT,Chi hội,Chức vụ,Năm sinh",
        "Nguyễn Văn A,0912345678,Chi hội ấp 3,,1952",
        "Lê Thị Hoà,0912345679,Chi hội ấp 3,Chi hội trưởng,",
        "Vo Van Tu,0912345677,Chi hội ấp 5,,",
      ].join("\n"),
    );
    const r = await cli.run("members", "import", "roster2.csv", "--unit", "Long Vĩnh", "--dry-run");
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
    await setUpChauThanh(cli);
    await importChauThanhRoster();
    expect(
      (
        await cli.run(
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
    const list = await cli.run("members", "list", "Long Vĩnh");
    const lines = list.stdout.trim().split("\n");
    expect(lines.filter((l) => l.includes("Trần Văn B"))).toEqual([
      expect.stringMatching(
        /^#\d+\tTrần Văn B\t0912\*\*\*678\tlãnh đạo — Hội Nông dân xã Long Vĩnh; hội viên — Chi hội ấp 1\t$/,
      ),
    ]);
    expect(lines).toHaveLength(3);
    const full = await cli.run("members", "list", "Long Vĩnh", "--show-phones");
    expect(full.stdout).toContain("\t0912345678\t");
    const empty = await cli.run("members", "list", "Long Hòa");
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain("Chưa có ai trong “Hội Nông dân xã Long Hòa”");
  });

  it("should find a unit by the short name --unit accepts, so --create-units makes no duplicate", async () => {
    await setUpChauThanh(cli);
    await importChauThanhRoster();
    const before = await units();
    cli.file(
      "roster-short.csv",
      ["Họ và tên,SĐT,Chi hội", "Đặng Văn Năm,0912345670,ấp 3", "Phan Thị Sáu,0912345671,Ấp 1"].join("\n"),
    );
    const r = await cli.run("members", "import", "roster-short.csv", "--unit", "Long Vĩnh", "--create-units");
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Thêm mới 2 người");
    expect(r.stdout).toContain("tạo 0 đơn vị");
    expect(await units()).toEqual(before);
    const list = await cli.run("members", "list", "Long Vĩnh / Chi hội ấp 3");
    expect(list.stdout).toContain("Đặng Văn Năm");
    // Under the district both communes have a "Chi hội ấp 3": the row is refused, nothing is created.
    cli.file("roster-ambiguous.csv", ["Họ và tên,SĐT,Chi hội", "Mai Văn Bảy,0912345672,ấp 3"].join("\n"));
    const ambiguous = await cli.run("members", "import", "roster-ambiguous.csv", "--unit", "#1", "--create-units");
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stdout).toContain("Dòng 2: có nhiều đơn vị tên “ấp 3”");
    expect(await units()).toEqual(before);
  });
});
