/**
 * What the `chihoi` command says when the command line or the file system goes wrong, in the
 * user's language: commander's own English errors ("unknown option", "missing required argument",
 * "argument 'x' is invalid") and Node's errno messages ("ENOENT: no such file or directory") are
 * turned into sentences from locales/<lang>/command.json. Also: a closed output pipe
 * (`chihoi … | head -3`) ends the command quietly, as Unix tools do.
 */
import { Command, InvalidArgumentError, type ErrorOptions } from "commander";
import type { Translate } from "../lib/i18n.ts";

/**
 * A commander Command whose parse errors are localised and followed by a one-line hint instead of
 * the whole help. Subcommands created with `.command()` are of the same class.
 */
export class LocalisedCommand extends Command {
  constructor(
    name: string | undefined,
    private readonly translate: () => Translate,
  ) {
    super(name);
  }

  override createCommand(name?: string): Command {
    return new LocalisedCommand(name, this.translate);
  }

  override error(message: string, errorOptions?: ErrorOptions): never {
    const t = this.translate();
    const code = errorOptions?.code ?? "commander.error";
    const text = parseErrorText(t, code, message);
    // A parse error from the command line: a hint names this command's help.
    const hint = code === "commander.error" ? "" : `\n${t("command.see_help", { command: commandPath(this) })}`;
    // Commander prints `message` and exits with the code; printing our own text is all we change.
    return super.error(text + hint, errorOptions);
  }
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Quoted pieces of commander's English message, in order: 'x' or "x". */
function quoted(message: string): string[] {
  return [...message.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
}

/** The localised text of one of commander's parse errors (its message is English; its code is stable). */
export function parseErrorText(t: Translate, code: string, message: string): string {
  const q = quoted(message);
  const suggestion = /\(Did you mean (.+)\?\)/.exec(message)?.[1];
  const didYouMean = suggestion ? ` ${t("command.did_you_mean", { suggestion })}` : "";
  switch (code) {
    case "commander.unknownOption":
      return t("command.unknown_option", { option: q[0] ?? "" }) + didYouMean;
    case "commander.unknownCommand":
      return t("command.unknown_command", { command: q[0] ?? "" }) + didYouMean;
    case "commander.missingArgument": {
      // The argument in words ("tên tệp"), not its name in the code ("file").
      const name = q[0] ?? "";
      const words = t(`command.args.${name}`);
      return t("command.missing_argument", { argument: words === `command.args.${name}` ? `‹${name}›` : words });
    }
    case "commander.optionMissingArgument":
      return t("command.option_missing_value", { option: q[0] ?? "" });
    case "commander.missingMandatoryOptionValue":
      return t("command.required_option", { option: q[0] ?? "" });
    case "commander.conflictingOption":
      return t("command.conflicting_option", { option: q[0] ?? "", other: q[1] ?? "" });
    case "commander.excessArguments": {
      const [, expected, got] = /Expected (\d+) arguments? but got (\d+)/.exec(message) ?? [];
      return t("command.excess_arguments", { expected: Number(expected ?? 0), got: Number(got ?? 0) });
    }
    case "commander.invalidArgument": {
      const choices = /Allowed choices are (.+)\.$/.exec(message)?.[1];
      const [option, value] = message.includes("command-argument")
        ? [q[1] ?? "", q[0] ?? ""]
        : [q[0] ?? "", q[1] ?? ""];
      if (choices) return t("command.invalid_choice", { option, value, choices });
      // A parser of ours explains what it expects (already in the user's language).
      const reason = /is invalid\.? (.+)$/s.exec(message)?.[1]?.trim();
      return t("command.invalid_value", { option, value }) + (reason ? ` ${reason}` : "");
    }
    default:
      return message.replace(/^error: /, "");
  }
}

const fsReasons = new Set([
  "ENOENT",
  "EACCES",
  "EPERM",
  "EISDIR",
  "ENOTDIR",
  "ENOSPC",
  "EROFS",
  "EEXIST",
  "ENAMETOOLONG",
  "EMFILE",
  "EBUSY",
  "ELOOP",
  "EDQUOT",
  "EIO",
]);

/**
 * The localised text of a file-system error (Node's ErrnoException with a `path`), or undefined
 * when the error is something else. Names the file and says why in words.
 */
export function fileErrorText(t: Translate, error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as NodeJS.ErrnoException;
  if (typeof e.code !== "string" || !fsReasons.has(e.code) || typeof e.path !== "string") return undefined;
  const key = `command.fs.${e.code}`;
  return t("command.file_error", { file: e.path, reason: t(key) });
}

const sqliteReasons = new Set([
  "SQLITE_NOTADB",
  "SQLITE_CANTOPEN",
  "SQLITE_READONLY",
  "SQLITE_CORRUPT",
  "SQLITE_FULL",
  "SQLITE_BUSY",
  "SQLITE_PERM",
]);

/** The localised text of a database-file error (better-sqlite3's SqliteError), or undefined. */
export function databaseErrorText(t: Translate, error: unknown, databaseUrl: string): string | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== "string" || !sqliteReasons.has(code)) return undefined;
  return t("command.database_error", { file: databaseUrl.replace(/^file:/, ""), reason: t(`command.sqlite.${code}`) });
}

const listenReasons = new Set(["EADDRINUSE", "EACCES", "EADDRNOTAVAIL"]);

/** The localised text of a web server that could not listen (port taken, not allowed), or undefined. */
export function listenErrorText(t: Translate, error: unknown): string | undefined {
  const e = error as { code?: unknown; syscall?: unknown; port?: unknown; address?: unknown };
  if (typeof e?.code !== "string" || e.syscall !== "listen" || !listenReasons.has(e.code)) return undefined;
  return t("command.listen_error", {
    port: String(e.port ?? ""),
    host: String(e.address ?? ""),
    reason: t(`command.listen.${e.code}`),
  });
}

/**
 * Ends the process quietly when the reader of stdout or stderr has gone (`| head -3`): exit code 0,
 * no stack. Any other stream error is rethrown.
 */
export function exitQuietlyOnClosedPipe(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams)
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") process.exit(0);
      throw error;
    });
}

/** A commander option parser for a whole number of minutes (1…max); says what it expects otherwise. */
export function minutesOption(t: () => Translate, max: number): (value: string) => string {
  return (value) => {
    const n = Number(value.trim());
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(t()("command.expect_minutes", { max }));
    return String(n);
  };
}
