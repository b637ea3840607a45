/**
 * The `chihoi` command. Help is bilingual (Vietnamese first); messages follow DEFAULT_LOCALE.
 * Every command answers bad input with a clear message and exit code 1, leaving the database as
 * it was. Each command group lives in a file of its own that registers itself here; runCli() runs
 * one command line in-process and returns its exit code (bin/chihoi.js → main.ts, and the tests).
 */
import { type Command, CommanderError } from "commander";
import { type Config, ConfigError, loadConfig } from "../config.ts";
import { isAppError } from "../lib/app-error.ts";
import { errorText } from "../lib/i18n.ts";
import { createLogger, setRootLogger } from "../lib/logger.ts";
import { registerAdminCommands } from "./admin.ts";
import { registerApiTokenCommands } from "./api-token.ts";
import { registerBackupCommand } from "./backup.ts";
import { registerCodesCommand } from "./codes.ts";
import { type CliContext, CliFailure, type CliOutput, createContext, help, vi } from "./context.ts";
import { registerDbCommands } from "./db.ts";
import { registerGroupCommands } from "./groups.ts";
import { registerInitCommand } from "./init.ts";
import { registerMeetingCommands } from "./meetings.ts";
import { registerMemberCommands } from "./members.ts";
import { databaseErrorText, fileErrorText, LocalisedCommand, listenErrorText } from "./messages.ts";
import { registerReportCommand } from "./report.ts";
import { registerStartCommand } from "./start.ts";
import { registerStatsCommand } from "./stats.ts";
import { registerTicketCommands } from "./tickets.ts";
import { registerUnitCommands } from "./units.ts";
import { registerZaloCommands } from "./zalo.ts";

/** The whole command tree of one run. Commander never exits the process: runCli turns its exits into codes. */
export function buildProgram(ctx: CliContext): Command {
  const { stdout, stderr } = ctx;
  const program = new LocalisedCommand("chihoi", () => ctx.t)
    .description(help("program"))
    .usage(vi("cli.usage"))
    .helpOption("-h, --help", "Trợ giúp / Help")
    .version("0.1.0", "-V, --version", "Phiên bản / Version")
    // Set before the subcommands are made: they inherit both.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => stdout.write(s),
      writeErr: (s) => stderr.write(s),
      // A terminal's width, else commander's 80 columns.
      getOutHelpWidth: () => (stdout.isTTY && stdout.columns) || 80,
      getErrHelpWidth: () => (stderr.isTTY && stderr.columns) || 80,
    });
  program.addHelpCommand("help [command]", "Trợ giúp cho một lệnh / Help for a command");

  registerStartCommand(program, ctx);
  registerInitCommand(program, ctx);
  registerUnitCommands(program, ctx);
  registerMemberCommands(program, ctx);
  registerCodesCommand(program, ctx);
  registerAdminCommands(program, ctx);
  registerMeetingCommands(program, ctx);
  registerZaloCommands(program, ctx);
  registerGroupCommands(program, ctx);
  registerBackupCommand(program, ctx);
  registerTicketCommands(program, ctx);
  registerStatsCommand(program, ctx);
  registerReportCommand(program, ctx);
  registerApiTokenCommands(program, ctx);
  registerDbCommands(program, ctx);
  return program;
}

export interface CliRun {
  /** The settings (DATABASE_URL, DEFAULT_LOCALE…); the process environment by default (config.ts). */
  env?: Record<string, string | undefined>;
  stdout: CliOutput;
  stderr: CliOutput;
  /** The clock; the real one by default. */
  now?: () => Date;
}

/**
 * Runs one command line (`args` without node and the script: ["units", "tree"]) and resolves with
 * its exit code: 0, or 1 with one message on stderr. Relative file names are read from the
 * process's working directory.
 */
export async function runCli(args: readonly string[], run: CliRun): Promise<number> {
  const failWith = (message: string): number => {
    run.stderr.write(`${message.trimEnd()}\n`);
    return 1;
  };
  let config: Config;
  try {
    config = loadConfig(run.env);
  } catch (e) {
    if (e instanceof ConfigError) return failWith(e.message);
    throw e;
  }
  setRootLogger(createLogger(config.logLevel));
  const ctx = createContext({ config, stdout: run.stdout, stderr: run.stderr, now: run.now });
  const { t } = ctx;
  try {
    await buildProgram(ctx).parseAsync([...args], { from: "user" });
    return 0;
  } catch (e) {
    // Help, version, or a parse error commander has already printed.
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof CliFailure) return failWith(e.message);
    // File errors carry a reason code with its own message (roster.file.<reason>).
    if (isAppError(e)) return failWith(errorText(t, e));
    const fileText = fileErrorText(t, e) ?? databaseErrorText(t, e, config.databaseUrl) ?? listenErrorText(t, e);
    if (fileText) return failWith(fileText);
    return failWith(t("cli.unexpected", { message: e instanceof Error ? e.message : String(e) }));
  }
}
