import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { cliDatabaseUrl, removeCliDir, runCli, withCliDatabase } from "../helpers/cli.ts";

let dir: string;
let env: NodeJS.ProcessEnv;

const run = (...args: string[]) => runCli(dir, env, ...args);

function rights(): Promise<{ fullName: string; role: string }[]> {
  return withCliDatabase(dir, (db) =>
    db.kysely
      .selectFrom("Membership as m")
      .innerJoin("Person as p", "p.id", "m.personId")
      .select(["p.fullName", "m.role"])
      .where("m.role", "!=", "member")
      .orderBy("m.id")
      .execute(),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "chihoi-admin-cli-"));
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: await cliDatabaseUrl(dir),
    LOG_LEVEL: "silent",
    TZ: "America/Sao_Paulo",
    PORT: "3456",
  };
  expect((await run("init", "--org", "Hội CCB tỉnh Quảng Trị", "--code", "ccb-qt", "--level", "Tỉnh")).code).toBe(0);
  expect(
    (await run("units", "add", "Xã Triệu Phong", "--parent", "Hội CCB tỉnh Quảng Trị", "--level", "Xã")).code,
  ).toBe(0);
});
afterAll(() => removeCliDir(dir));

describe("chihoi admin", () => {
  it("should refuse to give rights to a phone's owner under another name unless --yes, then list and remove them", async () => {
    expect(
      (await run("admin", "add", "--unit", "Hội CCB tỉnh Quảng Trị", "--name", "Lê Minh Quản", "--phone", "0912000001"))
        .code,
    ).toBe(0);
    const other = await run(
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
        await run(
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
        await run(
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

    const list = await run("admin", "list");
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split("\n")).toEqual([
      "Hội CCB tỉnh Quảng Trị | Lê Minh Quản | quản trị viên | 0912***001 | chưa liên kết",
      "Xã Triệu Phong | Lê Minh Quản | lãnh đạo | 0912***001 | chưa liên kết",
      "Xã Triệu Phong | Nguyễn Thị Cán | cán bộ | 0912***002 | chưa liên kết",
    ]);
    expect((await run("admin", "list", "--unit", "Triệu Phong")).stdout.trim().split("\n")).toHaveLength(2);

    const removed = await run("admin", "remove", "--unit", "Triệu Phong", "--phone", "0912000002", "--role", "cadre");
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain("Đã thu hồi quyền cán bộ");
    expect(
      (await run("admin", "remove", "--unit", "Triệu Phong", "--phone", "0912000002", "--role", "cadre")).code,
    ).toBe(1);
    expect(await rights()).toEqual([
      { fullName: "Lê Minh Quản", role: "admin" },
      { fullName: "Lê Minh Quản", role: "official" },
    ]);
  }, 240_000);

  it("should print a one-time sign-in link for an admin, and refuse an unknown phone", async () => {
    const made = await run("admin", "login-link", "--phone", "0912000001");
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/http:\/\/127\.0\.0\.1:3456\/admin\/link\/[A-Za-z0-9_-]{32}/);
    const custom = await run("admin", "login-link", "--phone", "0912000001", "--url", "https://chihoi.example.vn/");
    expect(custom.stdout).toMatch(/https:\/\/chihoi\.example\.vn\/admin\/link\//);
    expect((await run("admin", "login-link", "--phone", "0999999999")).code).toBe(1);
  }, 120_000);
});
