import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { cliTestEnv, cliTestTimeout, removeCliDir, runCli, withCliDatabase } from "../helpers/cli.ts";
import { testPostgresUrl } from "../helpers/test-db.ts";

let dir: string;
let env: NodeJS.ProcessEnv;

function run(...args: string[]) {
  return runCli(dir, env, ...args);
}

/** The tree, the people and their roles as stored, to compare before and after a refused command. */
function dump(): Promise<unknown> {
  return withCliDatabase(dir, async (db) => ({
    units: await db.kysely.selectFrom("Unit").select(["id", "parentId", "name", "path"]).orderBy("id").execute(),
    people: await db.kysely.selectFrom("Person").select(["id", "fullName", "phone"]).orderBy("id").execute(),
    memberships: await db.kysely
      .selectFrom("Membership")
      .select(["personId", "unitId", "role"])
      .orderBy("id")
      .execute(),
  }));
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "chihoi-cli-"));
  env = await cliTestEnv(dir);
  const init = await run("init", "--org", "Hội Cựu chiến binh tỉnh Quảng Trị", "--code", "ccb-qt", "--level", "Tỉnh");
  expect(init.code).toBe(0);
});
afterAll(() => removeCliDir(dir));

describe("chihoi", { timeout: cliTestTimeout }, () => {
  it("should show bilingual help for every command", async () => {
    const top = await run("--help");
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Khởi tạo một tổ chức");
    expect(top.stdout.replace(/\s+/g, " ")).toContain("Set up an organisation");
    const imp = await run("members", "import", "--help");
    expect(imp.stdout).toContain("--skip-invalid");
    expect(imp.stdout.replace(/\s+/g, " ")).toContain("ghi các dòng hợp lệ");
    expect(imp.stdout.replace(/\s+/g, " ")).toContain("write the valid rows");
  });

  it("should build a unit tree, refuse a cycle and leave the database as it was", async () => {
    const added = await run(
      "units",
      "add",
      "Hội CCB xã Triệu Phong",
      "--parent",
      "Hội Cựu chiến binh tỉnh Quảng Trị",
      "--level",
      "Xã",
    );
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);
    expect(
      (await run("units", "add", "Chi hội thôn An Lợi", "--parent", "trieu phong", "--level", "Chi hội")).code,
    ).toBe(0);
    expect((await run("units", "add", "Hội CCB xã Gio Linh", "--parent", "#1", "--level", "Xã")).code).toBe(0);
    const tree = await run("units", "tree");
    expect(tree.stdout).toContain("  #2 Hội CCB xã Triệu Phong (Xã)");
    expect(tree.stdout).toContain("    #3 Chi hội thôn An Lợi (Chi hội)");
    const before = await dump();
    const cycle = await run("units", "move", "Triệu Phong", "--to", "An Lợi".replace("An Lợi", "Chi hội thôn An Lợi"));
    expect(cycle.code).toBe(1);
    expect(cycle.stderr).toContain("nằm bên trong");
    expect(await dump()).toEqual(before);
    const missing = await run("units", "add", "X", "--parent", "Không Có");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Không tìm thấy đơn vị");
    expect((await run("units", "move", "Chi hội thôn An Lợi", "--to", "Gio Linh")).code).toBe(0);
    expect((await run("units", "move", "Chi hội thôn An Lợi", "--to", "Triệu Phong")).code).toBe(0);
  });

  it("should import a roster, refuse invalid rows with line numbers, and print link codes", async () => {
    const bad = path.join(dir, "bad.csv");
    writeFileSync(
      bad,
      "DANH SÁCH\nHọ và tên,SĐT,Chi hội\nNguyễn Văn An,0912 345 678,Chi hội thôn An Lợi\n,0912000001,Chi hội thôn An Lợi\nTrần Văn Ba,123,Chi hội thôn An Lợi\n",
    );
    const before = await dump();
    const r = await run("members", "import", bad, "--unit", "Triệu Phong");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Dòng 4/);
    expect(r.stdout).toMatch(/Dòng 5/);
    expect(r.stderr).toContain("chưa ghi gì");
    expect(await dump()).toEqual(before);

    const good = path.join(dir, "good.csv");
    writeFileSync(
      good,
      "\uFEFFHọ và tên;SĐT;Chi hội;Chức vụ\nNguyễn Văn An;0912 345 678;Chi hội thôn An Lợi;Chi hội trưởng\nLê Thị Hoa;84.912.345.679;Chi hội thôn An Lợi;\n",
    );
    const dry = await run("members", "import", good, "--unit", "Triệu Phong", "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("Chạy thử");
    expect(await dump()).toEqual(before);
    const ok = await run("members", "import", good, "--unit", "Triệu Phong");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("Thêm mới 2 người");
    const again = await run("members", "import", good, "--unit", "Triệu Phong");
    expect(again.stdout).toContain("không đổi 2");

    const codes = await run("codes", "Chi hội thôn An Lợi");
    expect(codes.code).toBe(0);
    const lines = codes.stdout.trim().split(/\r?\n/);
    expect(lines[0]).toBe("Họ và tên,Đơn vị,Mã liên kết,Hết hạn,Đã liên kết,Hướng dẫn");
    expect(lines).toHaveLength(3);
    // The code (grouped digits) is written as ="1234 5678 9012" so that Excel keeps it as text.
    expect(lines.find((l) => l.startsWith("Nguyễn Văn An,"))).toMatch(
      /^Nguyễn Văn An,Chi hội thôn An Lợi,"=""\d{4} \d{4} \d{4}(?: \d{4})?""",\d{2}\/\d{2}\/\d{4},,/,
    );
    const out = path.join(dir, "codes.csv");
    expect((await run("codes", "Chi hội thôn An Lợi", "--out", out)).code).toBe(0);
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
    const missing = await run("members", "import", "khong-co.xlsx", "--unit", "Triệu Phong");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Không tìm thấy tệp");
    const pdf = path.join(dir, "x.pdf");
    writeFileSync(pdf, "%PDF-1.5\n%\u00e2\u00e3\n1 0 obj");
    const wrong = await run("members", "import", pdf, "--unit", "Triệu Phong");
    expect(wrong.code).toBe(1);
    // One sentence that names the file once and says what it really is.
    expect(wrong.stderr.trim()).toBe("Tệp x.pdf là tệp PDF, không phải bảng tính. Hãy gửi tệp Excel (.xlsx) hoặc CSV.");
    const binary = path.join(dir, "du-lieu.csv");
    writeFileSync(binary, Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x00, 0x10, 0x80, 0x00, 0x7f, 0x00, 0x00, 0x03]));
    const bin = await run("members", "import", binary, "--unit", "Triệu Phong");
    expect(bin.code).toBe(1);
    expect(bin.stderr.trim()).toBe("Tệp du-lieu.csv không phải bảng tính CSV hay Excel (.xlsx).");
    expect(bin.stderr.split("du-lieu.csv").length - 1).toBe(1);
  });

  it("should add an admin with a link code, print stats, and back up", async () => {
    const admin = await run(
      "admin",
      "add",
      "--unit",
      "Triệu Phong",
      "--name",
      "Trần Quốc Khánh",
      "--phone",
      "0987654321",
      "--role",
      "official",
    );
    expect(admin.code).toBe(0);
    expect(admin.stdout).toMatch(/Mã liên kết: \d{4} \d{4} \d{4} \d{4}/);
    const stats = await run("stats", "Hội Cựu chiến binh tỉnh Quảng Trị");
    // People, not roles: the commune official just added is not a member.
    expect(stats.stdout).toContain("Hội CCB xã Triệu Phong (Xã) | 2 | 0 (0%)");
    const backup = path.join(dir, "backup.db");
    if (testPostgresUrl) {
      // `chihoi backup` copies SQLite files only; on PostgreSQL it refuses (test/cli/backup-postgres.test.ts).
      expect((await run("backup", backup)).code).toBe(1);
      expect(existsSync(backup)).toBe(false);
      return;
    }
    expect((await run("backup", backup)).code).toBe(0);
    expect(existsSync(backup)).toBe(true);
    const copy = new BetterSqlite3(backup, { readonly: true });
    expect((copy.prepare(`SELECT COUNT(*) AS n FROM Person`).get() as { n: number }).n).toBe(3);
    copy.close();
  });

  it("should refuse to make someone else an official when the phone given belongs to another person", async () => {
    // 0912 345 678 is Nguyễn Văn An's (imported above); the README's example adds an official by phone.
    const before = await dump();
    const r = await run(
      "admin",
      "add",
      "--unit",
      "Triệu Phong",
      "--name",
      "Phạm Thị Hồng",
      "--phone",
      "0912345678",
      "--role",
      "official",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("0912***678");
    expect(r.stderr).toContain("Nguyễn Văn An");
    expect(r.stderr).toContain("Phạm Thị Hồng");
    expect(r.stdout).toBe("");
    expect(await dump()).toEqual(before);
    // The same person written without accents is the same person.
    const same = await run(
      "admin",
      "add",
      "--unit",
      "Triệu Phong",
      "--name",
      "Nguyen Van An",
      "--phone",
      "0912345678",
      "--role",
      "cadre",
    );
    expect(same.code).toBe(0);
    expect(same.stdout).toContain("Nguyễn Văn An");
  });

  it("should list group chats and allow one for a unit", async () => {
    await withCliDatabase(dir, (db) =>
      db.kysely
        .insertInto("ChatGroup")
        .values({ platform: "zalo", externalId: "g-123", title: "Chi hội An Lợi", allowed: false, createdAt: 0 })
        .execute(),
    );
    expect((await run("groups", "list")).stdout).toContain("Chi hội An Lợi\t—\tchưa cho phép");
    expect((await run("groups", "allow", "1", "--unit", "Chi hội thôn An Lợi")).code).toBe(0);
    expect((await run("groups", "list")).stdout).toContain("Chi hội An Lợi\tChi hội thôn An Lợi\tđã cho phép");
    expect((await run("groups", "allow", "99")).code).toBe(1);
  });

  it("should stop with one readable line in Vietnamese and one in English on a wrong setting", async () => {
    const saved = env;
    env = { ...env, PORT: "abc" };
    const r = await run("units", "tree");
    env = saved;
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      `PORT: cần một số cổng từ 0 đến 65535, ví dụ 3000 (đang là "abc")`,
      `PORT: expected a port number from 0 to 65535, such as 3000 (got "abc")`,
    ]);
  });
});
