import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { databaseUrl, removeDir, tempDir, waitUntil } from "../helpers/service.ts";
import { testPostgresUrl } from "../helpers/test-db.ts";

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/chihoi.js");
let dir: string;
afterEach(() => removeDir(dir));

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [bin, "start"], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: "0", ...env },
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return { child, output: () => out };
}

describe("chihoi start", () => {
  it("should start in demo mode on ./data/demo.db with nothing configured, print both languages, and stop cleanly on SIGTERM", async () => {
    dir = tempDir();
    const { child, output } = start({ LOG_LEVEL: "warn" });
    await waitUntil(() => output().includes("Stop: Ctrl+C."), 20_000, "the start banner");
    expect(output()).toContain("CHẾ ĐỘ DÙNG THỬ");
    expect(output()).toContain("DEMO MODE");
    expect(existsSync(path.join(dir, "data/demo.db"))).toBe(true);
    const url = /Open (http:\/\/[^ ]+)\/chat/.exec(output())![1]!;
    expect((await fetch(`${url}/health`)).status).toBe(200);
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
    expect(output()).toContain("Chi Hội đã dừng.");
  });

  // The service used to refuse PostgreSQL; it now runs on it (only with a PostgreSQL server to test on).
  it.skipIf(!testPostgresUrl)(
    "should start on a PostgreSQL DATABASE_URL, serve, and stop cleanly on SIGTERM",
    async () => {
      dir = tempDir();
      const { child, output } = start({
        LOG_LEVEL: "warn",
        DEMO_MODE: "off",
        WEB_CHAT: "on",
        DATABASE_URL: await databaseUrl(dir),
      });
      await waitUntil(() => output().includes("Stop: Ctrl+C."), 60_000, "the start banner");
      expect(output()).not.toContain("DEMO MODE");
      expect(output()).toContain("Chi Hội is running (database postgresql://");
      expect(existsSync(path.join(dir, "data/demo.db"))).toBe(false);
      const url = /(http:\/\/[^\s/]+)\/chat/.exec(output())![1]!;
      expect((await fetch(`${url}/health`)).status).toBe(200);
      child.kill("SIGTERM");
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      expect(code).toBe(0);
      expect(output()).toContain("Chi Hội đã dừng.");
    },
    90_000,
  );

  it("should refuse a wrong setting with one line naming it in Vietnamese and one in English", async () => {
    dir = tempDir();
    const { child, output } = start({ PORT: "70000" });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(output().trim().split("\n")).toEqual([
      `PORT: cần một số cổng từ 0 đến 65535, ví dụ 3000 (đang là "70000")`,
      `PORT: expected a port number from 0 to 65535, such as 3000 (got "70000")`,
    ]);
  });
});
