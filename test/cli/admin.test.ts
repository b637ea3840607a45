import { describe, expect, it } from "vitest";
import { dumpRoster, importQuangTriRoster, setUpQuangTri, useCliFolder } from "../helpers/cli.ts";

const cli = useCliFolder({ PORT: "3456" });

function rights(): Promise<{ fullName: string; role: string }[]> {
  return cli.db((db) =>
    db.kysely
      .selectFrom("Membership as m")
      .innerJoin("Person as p", "p.id", "m.personId")
      .select(["p.fullName", "m.role"])
      .where("m.role", "!=", "member")
      .orderBy("m.id")
      .execute(),
  );
}

/** Hội CCB tỉnh Quảng Trị (#1) and its Xã Triệu Phong. */
async function setUpAdminTree(): Promise<void> {
  expect((await cli.run("init", "--org", "Hội CCB tỉnh Quảng Trị", "--code", "ccb-qt", "--level", "Tỉnh")).code).toBe(
    0,
  );
  expect(
    (await cli.run("units", "add", "Xã Triệu Phong", "--parent", "Hội CCB tỉnh Quảng Trị", "--level", "Xã")).code,
  ).toBe(0);
}

/** Lê Minh Quản (0912000001), admin of the province. */
async function addProvinceAdmin(): Promise<void> {
  const added = await cli.run(
    "admin",
    "add",
    "--unit",
    "Hội CCB tỉnh Quảng Trị",
    "--name",
    "Lê Minh Quản",
    "--phone",
    "0912000001",
  );
  expect(added.code).toBe(0);
}

describe("chihoi admin", () => {
  it("should refuse to give rights to a phone's owner under another name unless --yes, then list and remove them", async () => {
    await setUpAdminTree();
    await addProvinceAdmin();
    const other = await cli.run(
      "admin",
      "add",
      "--unit",
      "Triệu Phong",
      "--name",
      "Trần Văn Khác",
      "--phone",
      "0912 000 001",
      "--role",
      "official",
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("thuộc về Lê Minh Quản");
    expect(await rights()).toEqual([{ fullName: "Lê Minh Quản", role: "admin" }]);
    expect(
      (
        await cli.run(
          "admin",
          "add",
          "--unit",
          "Triệu Phong",
          "--name",
          "Trần Văn Khác",
          "--phone",
          "0912000001",
          "--role",
          "official",
          "--yes",
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await cli.run(
          "admin",
          "add",
          "--unit",
          "Triệu Phong",
          "--name",
          "Nguyễn Thị Cán",
          "--phone",
          "0912000002",
          "--role",
          "cadre",
        )
      ).code,
    ).toBe(0);

    const list = await cli.run("admin", "list");
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split("\n")).toEqual([
      "Hội CCB tỉnh Quảng Trị | Lê Minh Quản | quản trị viên | 0912***001 | chưa liên kết",
      "Xã Triệu Phong | Lê Minh Quản | lãnh đạo | 0912***001 | chưa liên kết",
      "Xã Triệu Phong | Nguyễn Thị Cán | cán bộ | 0912***002 | chưa liên kết",
    ]);
    expect((await cli.run("admin", "list", "--unit", "Triệu Phong")).stdout.trim().split("\n")).toHaveLength(2);

    const removed = await cli.run(
      "admin",
      "remove",
      "--unit",
      "Triệu Phong",
      "--phone",
      "0912000002",
      "--role",
      "cadre",
    );
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain("Đã thu hồi quyền cán bộ");
    expect(
      (await cli.run("admin", "remove", "--unit", "Triệu Phong", "--phone", "0912000002", "--role", "cadre")).code,
    ).toBe(1);
    expect(await rights()).toEqual([
      { fullName: "Lê Minh Quản", role: "admin" },
      { fullName: "Lê Minh Quản", role: "official" },
    ]);
  });

  it("should print a one-time sign-in link for an admin, and refuse an unknown phone", async () => {
    await setUpAdminTree();
    await addProvinceAdmin();
    const made = await cli.run("admin", "login-link", "--phone", "0912000001");
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/http:\/\/127\.0\.0\.1:3456\/admin\/link\/[A-Za-z0-9_-]{32}/);
    const custom = await cli.run("admin", "login-link", "--phone", "0912000001", "--url", "https://chihoi.example.vn/");
    expect(custom.stdout).toMatch(/https:\/\/chihoi\.example\.vn\/admin\/link\//);
    expect((await cli.run("admin", "login-link", "--phone", "0999999999")).code).toBe(1);
  });

  it("should add an admin with a link code", async () => {
    await setUpQuangTri(cli);
    await importQuangTriRoster(cli);
    const admin = await cli.run(
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
  });

  it("should refuse to make someone else an official when the phone given belongs to another person", async () => {
    await setUpQuangTri(cli);
    await importQuangTriRoster(cli);
    // 0912 345 678 is Nguyễn Văn An's (imported above); the README's example adds an official by phone.
    const before = await dumpRoster(cli);
    const r = await cli.run(
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
    expect(await dumpRoster(cli)).toEqual(before);
    // The same person written without accents is the same person.
    const same = await cli.run(
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
});
