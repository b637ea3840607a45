/**
 * What every `chihoi` command shares during one run: the settings, the translator, where output
 * goes, the clock and the database. Built by runCli() (program.ts) for each run, so the commands
 * hold no module state and can run in-process (tests) as well as from bin/chihoi.js.
 */
import type { Config } from "../config.ts";
import { translator, type Translate } from "../lib/i18n.ts";
import { openDatabase, type Database } from "../storage/database.ts";

/** Where a run writes: process.stdout / process.stderr, or a capture in tests. */
export interface CliOutput {
  write(text: string): unknown;
  /** Width of a terminal, for help text; absent on a pipe. */
  columns?: number;
  isTTY?: boolean;
}

export interface CliContext {
  readonly config: Config;
  /** Messages in DEFAULT_LOCALE. */
  readonly t: Translate;
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  /** The current time (a command reads it once per use, as `new Date()` did). */
  now(): Date;
  /** One line on stdout. */
  out(line?: string): void;
  /** One line on stderr (a warning; the command goes on). */
  warn(line: string): void;
  /** Ends the command with `message` on stderr and exit code 1 (throws CliFailure). */
  fail(message: string): never;
  /** Opens DATABASE_URL for `fn` and closes it afterwards, whatever happens. */
  withDatabase<T>(fn: (db: Database) => Promise<T> | T): Promise<T>;
}

/** A refusal already worded for the user: runCli prints it on stderr and returns exit code 1. */
export class CliFailure extends Error {}

export function createContext(options: {
  config: Config;
  stdout: CliOutput;
  stderr: CliOutput;
  now?: () => Date;
}): CliContext {
  const { config, stdout, stderr } = options;
  return {
    config,
    t: translator(config.defaultLocale),
    stdout,
    stderr,
    now: options.now ?? (() => new Date()),
    out: (line = "") => void stdout.write(`${line}\n`),
    warn: (line) => void stderr.write(`${line}\n`),
    fail(message): never {
      throw new CliFailure(message);
    },
    async withDatabase(fn) {
      const db = await openDatabase(config.databaseUrl);
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    },
  };
}

export const vi = translator("vi");
export const en = translator("en");

/** Bilingual help text of any key: "Vietnamese / English". */
export function bilingualHelp(key: string): string {
  return `${vi(key)} / ${en(key)}`;
}

/** Bilingual help text of a `cli.` key. */
export const help = (key: string): string => bilingualHelp(`cli.${key}`);

/** "#12" or "12" → 12. */
export const idOf = (ref: string): number => Number(ref.replace("#", ""));

/** A day as dd/mm/yyyy in the configured zone. */
export function formatDate(ctx: CliContext, ms: number): string {
  return new Intl.DateTimeFormat("vi-VN", {
    timeZone: ctx.config.timeZone,
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
  }).format(new Date(ms));
}
