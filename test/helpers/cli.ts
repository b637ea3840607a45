/** Runs the real `chihoi` command (bin/chihoi.js) in a child process, in a throwaway folder. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const chihoiBin = path.join(repoDir, "bin/chihoi.js");

/** Per-test time for tests that start the command several times (each start loads TypeScript through tsx). */
export const cliTestTimeout = 180_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI run on `dir/data/chihoi.db`, quiet, in a zone that is neither UTC nor Vietnam. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: "file:./data/chihoi.db", LOG_LEVEL: "silent", TZ: "America/Sao_Paulo", ...extra };
}

/** Runs `chihoi ...args` in `dir` and resolves with its exit code and output. */
export function runCli(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [chihoiBin, ...args], { env, cwd: dir, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Starts `chihoi ...args` with piped output, for tests that close the pipe early. */
export function spawnCli(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): ChildProcess {
  return spawn(process.execPath, [chihoiBin, ...args], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
}
