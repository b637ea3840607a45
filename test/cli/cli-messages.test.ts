import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  chihoiBin,
  cliTestEnv,
  cliTestTimeout,
  removeCliDir,
  runCli,
  runCliProcess,
  spawnCli,
} from "../helpers/cli.ts";

let dir: string;
// With the bot named, `codes` prints no warning, so stderr holds only the error under test.
let env: NodeJS.ProcessEnv;
const run = (...args: string[]) => runCli(dir, env, ...args);
const units = 3000;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "chihoi-cli-msg-"));
  env = await cliTestEnv(dir, { TELEGRAM_BOT_USERNAME: "@ChiHoiTestBot" });
  expect((await run("init", "--org", "Hội Nông dân xã Long Vĩnh", "--code", "hnd-lv", "--level", "Xã")).code).toBe(0);
  // A tree big enough that its printout (over 100 KB) cannot fit in a pipe's buffer.
  const rows = ["Đơn vị,Trực thuộc,Cấp"];
  for (let i = 1; i <= units; i++) rows.push(`Chi hội ấp số ${i} của xã Long Vĩnh,Hội Nông dân xã Long Vĩnh,Chi hội`);
  writeFileSync(path.join(dir, "units.csv"), rows.join("\n"));
  const imported = await run("units", "import", "units.csv", "--parent", "#1");
  expect(imported.stderr).toBe("");
}, cliTestTimeout);
afterAll(() => removeCliDir(dir));

describe("command-line errors", { timeout: cliTestTimeout }, () => {
  it("should answer an unknown option in Vietnamese with a hint, not commander's English", async () => {
    const r = await run("units", "tree", "--depth", "2");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Không có tùy chọn “--depth”.");
    expect(r.stderr).toContain("Xem cách dùng: chihoi units tree --help");
    expect(r.stderr).not.toMatch(/error:|unknown option/);
  });

  it("should suggest the command meant", async () => {
    const r = await run("membrs", "list", "#1");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Không có lệnh “membrs”. Có phải ý anh/chị là members?");
  });

  it("should name a missing argument, a missing option, a value-less option and an invalid choice", async () => {
    const missingArg = await run("units", "rename", "#1");
    expect(missingArg.stderr).toContain("Thiếu tên.");
    const missingOption = await run("units", "add", "Chi hội mới");
    expect(missingOption.stderr).toContain("Cần có tùy chọn “--parent <unit>”.");
    const noValue = await run("units", "add", "Chi hội mới", "--parent");
    expect(noValue.stderr).toContain("Tùy chọn “--parent <unit>” cần có giá trị đi kèm.");
    const choice = await run("admin", "add", "--unit", "#1", "--name", "Lê Văn Tám", "--role", "boss");
    expect(choice.stderr).toContain(
      "Giá trị “boss” của “--role <role>” không hợp lệ. Chọn một trong: admin, official, cadre.",
    );
    const duration = await run("meetings", "add", "--unit", "#1", "--when", "05/12/2099 19:30", "--duration", "2h");
    expect(duration.stderr).toContain(
      "Giá trị “2h” của “--duration <minutes>” không hợp lệ. Cần một số phút từ 1 đến 1440, ví dụ 90.",
    );
    const extra = await run("units", "add", "Chi", "hội", "mới", "--parent", "#1");
    expect(extra.stderr).toContain("Thừa đối số: lệnh này nhận 1 nhưng đang có 3.");
    for (const r of [missingArg, missingOption, noValue, choice, duration, extra]) {
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(/error:/);
    }
  });

  it("should speak English when DEFAULT_LOCALE is en", async () => {
    const r = await runCli(dir, { ...env, DEFAULT_LOCALE: "en" }, "units", "tree", "--depth", "2");
    expect(r.stderr).toContain("There is no option “--depth”.");
    expect(r.stderr).toContain("Usage: chihoi units tree --help");
  });

  it("should say in words why a file cannot be written or read", async () => {
    const noFolder = await run("codes", "#1", "--out", path.join(dir, "khong-co", "ma.csv"));
    expect(noFolder.code).toBe(1);
    expect(noFolder.stderr.trim()).toBe(
      `Không mở được tệp “${path.join(dir, "khong-co", "ma.csv")}”: không có tệp hoặc thư mục này.`,
    );
    mkdirSync(path.join(dir, "a-folder.csv"));
    const folder = await run("codes", "#1", "--out", path.join(dir, "a-folder.csv"));
    expect(folder.stderr).toContain("đây là thư mục, không phải tệp");
    const readFolder = await run("members", "import", "a-folder.csv", "--unit", "#1");
    expect(readFolder.stderr.trim()).toBe("a-folder.csv là một thư mục, không phải tệp.");
    writeFileSync(path.join(dir, "not-a-db.txt"), "Danh sách hội viên\n".repeat(200));
    const notDb = await runCli(dir, { ...env, DATABASE_URL: "file:./not-a-db.txt" }, "units", "tree");
    expect(notDb.code).toBe(1);
    expect(notDb.stderr.trim()).toBe(
      "Không dùng được cơ sở dữ liệu “./not-a-db.txt” (DATABASE_URL): tệp này không phải cơ sở dữ liệu Chi Hội.",
    );
    for (const r of [noFolder, folder, readFolder]) expect(r.stderr).not.toMatch(/ENOENT|EISDIR|EACCES/);
  });

  it("should name an invalid field in words with its limit", async () => {
    const longName = await run("units", "add", "x".repeat(201), "--parent", "#1");
    expect(longName.code).toBe(1);
    expect(longName.stderr.trim()).toBe("Tên dài quá 200 ký tự.");
    const place = await run(
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
    const english = await runCli(dir, { ...env, DEFAULT_LOCALE: "en" }, "units", "rename", "#1", "y".repeat(201));
    expect(english.stderr.trim()).toBe("Name is longer than 200 characters.");
  });
});

describe("a closed output pipe", { timeout: cliTestTimeout }, () => {
  it("should end `chihoi units tree | head -1` quietly", async () => {
    const shell = spawn("sh", ["-c", `"${process.execPath}" "${chihoiBin}" units tree | head -1; echo "status=$?"`], {
      env,
      cwd: dir,
    });
    let stdout = "";
    let stderr = "";
    shell.stdout.on("data", (d) => (stdout += d));
    shell.stderr.on("data", (d) => (stderr += d));
    await new Promise((resolve) => shell.on("close", resolve));
    expect(stdout).toBe("#1 Hội Nông dân xã Long Vĩnh (Xã)\nstatus=0\n");
    expect(stderr).toBe("");
  });

  it("should exit 0 with nothing on stderr when the reader closes the pipe before any output", async () => {
    const child = spawnCli(dir, env, "units", "tree", "#1");
    child.stdout!.destroy();
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

describe("start on a port already taken", { timeout: cliTestTimeout }, () => {
  it("should say in words that the port is in use and how to choose another, not Node's EADDRINUSE", async () => {
    const { createServer } = await import("node:net");
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await runCliProcess(dir, { ...env, PORT: String(port), DEMO_MODE: "off" }, "start");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `Không mở được cổng ${port} trên 127.0.0.1: cổng đang được một chương trình khác dùng.`,
      );
      expect(r.stderr).toContain("PORT=3001");
      expect(r.stderr).not.toContain("EADDRINUSE");
    } finally {
      taken.close();
    }
  });
});
