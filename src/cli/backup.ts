/** `chihoi backup FILE`: a consistent copy of the SQLite database (on PostgreSQL it points to pg_dump). */
import path from "node:path";
import type { Command } from "commander";
import { bilingual } from "../lib/i18n.ts";
import { BackupError, backupDatabase } from "../storage/backup.ts";
import { type CliContext, en, help, vi } from "./context.ts";

export function registerBackupCommand(program: Command, ctx: CliContext): void {
  const { t, out } = ctx;
  program
    .command("backup <file>")
    .description(help("backup"))
    .option("--force", `${vi("security.opt_force")} / ${en("security.opt_force")}`, false)
    .action((file: string, o: { force: boolean }) =>
      ctx.withDatabase(async (db) => {
        try {
          const copy = await backupDatabase(db, file, { force: o.force });
          out(t("cli.backup_done", { file: copy.file, size: `${(copy.size / 1024).toFixed(0)} KB` }));
        } catch (error) {
          if (error instanceof BackupError && error.problem === "not_sqlite")
            ctx.fail(bilingual("cli.backup_not_sqlite", { url: error.file }));
          if (error instanceof BackupError)
            ctx.fail(
              t(error.problem === "same_file" ? "cli.backup_same_file" : `security.backup_${error.problem}`, {
                file: error.file,
              }),
            );
          ctx.fail(
            t("cli.backup_failed", {
              file: path.resolve(file),
              reason: error instanceof Error ? error.message : String(error),
            }),
          );
        }
      }),
    );
}
