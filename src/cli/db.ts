/**
 * `chihoi db status` and `chihoi db copy`: the database commands.
 */
import type { Command } from "commander";
import { CopyError, copyDatabase } from "../storage/copy.ts";
import { databaseFile, engineOf, openDatabase, redactUrl } from "../storage/database.ts";
import { readMigrationStatus } from "../storage/migrate.ts";
import { bilingualHelp as help, type CliContext } from "./context.ts";

export function registerDbCommands(program: Command, ctx: CliContext): void {
  const { t, out } = ctx;
  const db = program.command("db").description(help("db.command"));

  db.command("status")
    .description(help("db.status"))
    .option("--url <url>", help("db.opt_url"))
    .action(async (o: { url?: string }) => {
      const url = o.url ?? ctx.config.databaseUrl;
      const status = await readMigrationStatus(url);
      const pending = status.filter((s) => s.state === "pending").length;
      out(
        t("db.status_header", {
          url: redactUrl(url),
          engine: engineOf(url),
          applied: status.length - pending,
          pending,
        }),
      );
      for (const s of status)
        out(`  ${s.name}  ${t(`db.state_${s.state}`)}${s.appliedAt ? `  ${s.appliedAt.toISOString()}` : ""}`);
      if (pending) out(t("db.status_pending_hint"));
    });

  db.command("copy")
    .description(help("db.copy"))
    .requiredOption("--from <url>", help("db.opt_from"))
    .requiredOption("--to <url>", help("db.opt_to"))
    .option("--force", help("db.opt_force"))
    .action(async (o: { from: string; to: string; force?: boolean }) => {
      engineOf(o.from);
      engineOf(o.to);
      const same = (u: string) => (engineOf(u) === "sqlite" ? databaseFile(u) : u);
      if (same(o.from) === same(o.to)) ctx.fail(t("db.copy_same"));
      out(t("db.copy_start", { from: redactUrl(o.from), to: redactUrl(o.to) }));
      const source = await openDatabase(o.from);
      try {
        const target = await openDatabase(o.to);
        try {
          const reports = await copyDatabase(source, target, {
            force: o.force,
            onTable: (r) =>
              out(
                t("db.copy_table", {
                  table: r.table,
                  rows: r.rows,
                  checksum: r.checksum,
                  converted: r.convertedTimes ? t("db.copy_converted", { count: r.convertedTimes }) : "",
                }),
              ),
          });
          out(t("db.copy_done", { tables: reports.length, rows: reports.reduce((n, r) => n + r.rows, 0) }));
          out(t("db.copy_next", { to: redactUrl(o.to) }));
        } catch (error) {
          if (error instanceof CopyError) {
            if (error.reason === "target_not_empty") ctx.fail(t("db.copy_not_empty", error.detail));
            ctx.fail(t(`db.copy_${error.reason}`, error.detail));
          }
          ctx.fail(t("db.copy_failed", { reason: error instanceof Error ? error.message : String(error) }));
        } finally {
          await target.close();
        }
      } finally {
        await source.close();
      }
    });
}
