/**
 * The real binary end to end (bin/chihoi.js → src/cli/main.ts in a child process): its exit code,
 * its stdout through a pipe, and the service it starts. Every other CLI test runs in-process.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chihoiBin,
  cliTestEnv,
  cliTestTimeout,
  removeCliDir,
  runCli,
  runCliProcess,
  spawnCli,
} from "../helpers/cli.ts";

// Read only by the tests below: one folder for all of them.
let dir: string;
let env: NodeJS.ProcessEnv;
const units = 3000;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "chihoi-cli-main-"));
  env = await cliTestEnv(dir, { TELEGRAM_BOT_USERNAME: "@ChiHoiTestBot" });
  expect(
    (await runCli(dir, env, "init", "--org", "Hội Nông dân xã Long Vĩnh", "--code", "hnd-lv", "--level", "Xã")).code,
  ).toBe(0);
  // A tree big enough that its printout (over 100 KB) cannot fit in a pipe's buffer.
  const rows = ["Đơn vị,Trực thuộc,Cấp"];
  for (let i = 1; i <= units; i++) rows.push(`Chi hội ấp số ${i} của xã Long Vĩnh,Hội Nông dân xã Long Vĩnh,Chi hội`);
  writeFileSync(path.join(dir, "units.csv"), rows.join("\n"));
  const imported = await runCli(dir, env, "units", "import", "units.csv", "--parent", "#1");
  expect(imported.stderr).toBe("");
}, cliTestTimeout);
afterAll(() => removeCliDir(dir));

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
