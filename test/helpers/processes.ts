/**
 * Real child processes for the multi-process tests (PostgreSQL): started from a script, read line
 * by line, killed at the end of each test. A child prints one JSON object per line on stdout (the
 * `say` of test/helpers/*-child.ts, or the service's own pino log); a line that is not JSON (the
 * service's banner) is kept as text.
 *
 *   const processes = new Processes();
 *   afterEach(() => processes.killAll());
 *   const p = processes.start(childScript, [db.url, …]);
 *   await until(() => p.lines.some((l) => l.event === "ready"), "the child to start");
 */
import { spawn, type ChildProcess } from "node:child_process";

/** One JSON line of a child: at least its pid; most also say when (`t`) and what (`event`). */
export interface ChildLine {
  pid: number;
  t?: number;
  event?: string;
}

export interface Child<L extends ChildLine = ChildLine> {
  proc: ChildProcess;
  /** The JSON lines read so far, in order. */
  lines: L[];
  /** The other lines read so far. */
  text: string[];
  /** Resolves once the process has exited (whatever the cause). */
  exited: Promise<void>;
}

export interface StartOptions {
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export class Processes {
  readonly #running: Child<ChildLine>[] = [];

  /**
   * Starts `node <script> ...args` (a .ts script through tsx), its stdout read into `lines` and
   * `text`, its stderr shown as this process's.
   */
  start<L extends ChildLine = ChildLine>(script: string, args: string[] = [], options: StartOptions = {}): Child<L> {
    const loader = script.endsWith(".ts") ? ["--import", "tsx"] : [];
    const proc = spawn(process.execPath, [...loader, script, ...args], {
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const child: Child<L> = {
      proc,
      lines: [],
      text: [],
      exited: new Promise<void>((resolve) => proc.once("exit", () => resolve())),
    };
    readLines(proc, (line) => {
      const json = parseJsonLine(line);
      if (json) child.lines.push(json as L);
      else child.text.push(line);
    });
    this.#running.push(child as unknown as Child<ChildLine>);
    return child;
  }

  /** Sends `signal` (default SIGTERM) to a child and waits for it to exit. */
  async stop(child: Child<ChildLine>, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (isRunning(child.proc)) child.proc.kill(signal);
    await child.exited;
  }

  /** Kills (SIGKILL) every child still running and waits for them: call it after each test. */
  async killAll(): Promise<void> {
    const children = this.#running.splice(0);
    for (const c of children) if (isRunning(c.proc)) c.proc.kill("SIGKILL");
    await Promise.all(children.map((c) => c.exited));
  }
}

function isRunning(proc: ChildProcess): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}

/** Calls `onLine` with each complete line of the child's stdout. */
function readLines(proc: ChildProcess, onLine: (line: string) => void): void {
  let buffer = "";
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const line of parts) if (line.trim()) onLine(line);
  });
  proc.stdout!.on("end", () => {
    if (buffer.trim()) onLine(buffer);
    buffer = "";
  });
}

function parseJsonLine(line: string): ChildLine | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === "object" ? (value as ChildLine) : undefined;
  } catch {
    return undefined;
  }
}

/** Waits until `check` holds, looking every `everyMs`; throws after `limitMs` naming `what`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  limitMs = 60_000,
  everyMs = 20,
): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
