/**
 * `chihoi db status` and `chihoi db copy`: the database commands (registered by cli.ts).
 */
import type { Command } from "commander";
import BetterSqlite3 from "better-sqlite3";
import { existsSync } from "node:fs";
import type { Translate } from "./lib/i18n.ts";
import { databaseFile, engineOf, openDatabase, redactUrl } from "./storage/database.ts";
import { listMigrations, migrationsDir, migrationStatus, postgresMigrationsDir, type MigrationStatus } from "./storage/migrate.ts";
import { copyDatabase, CopyError } from "./storage/copy.ts";

interface Io {
  t: Translate;
  help: (key: string) => string;
  out: (line?: string) => void;
  fail: (message: string) => never;
  databaseUrl: () => string;
}

type Row = { migration_name: string; checksum: string; finished_at: unknown };

/** The migrations of the database at `url`, without applying any (status only reads). */
export async function readMigrationStatus(url: string): Promise<MigrationStatus[]> {
  if (engineOf(url) === "postgresql") {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const exists = await client.query(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS ok`);
      const rows = exists.rows[0]?.ok ? (await client.query<Row>(`SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"`)).rows : [];
      return migrationStatus(listMigrations(postgresMigrationsDir), rows);
    } finally {
      await client.end();
    }
  }
  const file = databaseFile(url);
  if (!existsSync(file)) return migrationStatus(listMigrations(migrationsDir), []);
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'`).get();
    const rows = has ? (db.prepare(`SELECT migration_name, checksum, finished_at FROM _prisma_migrations`).all() as Row[]) : [];
    return migrationStatus(listMigrations(migrationsDir), rows);
  } finally {
    db.close();
  }
}

export function registerDbCommands(program: Command, io: Io): void {
  const { t, help, out, fail } = io;
  const db = program.command("db").description(help("db.command"));

  db.command("status")
    .description(help("db.status"))
    .option("--url <url>", help("db.opt_url"))
    .action(async (o: { url?: string }) => {
      const url = o.url ?? io.databaseUrl();
      const status = await readMigrationStatus(url);
      const pending = status.filter((s) => s.state === "pending").length;
      out(t("db.status_header", { url: redactUrl(url), engine: engineOf(url), applied: status.length - pending, pending }));
      for (const s of status) out(`  ${s.name}  ${t(`db.state_${s.state}`)}${s.appliedAt ? `  ${s.appliedAt.toISOString()}` : ""}`);
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
      if (same(o.from) === same(o.to)) fail(t("db.copy_same"));
      out(t("db.copy_start", { from: redactUrl(o.from), to: redactUrl(o.to) }));
      const source = await openDatabase(o.from);
      try {
        const target = await openDatabase(o.to);
        try {
          const reports = await copyDatabase(source, target, {
            force: o.force,
            onTable: (r) => out(t("db.copy_table", { table: r.table, rows: r.rows, checksum: r.checksum, converted: r.convertedTimes ? t("db.copy_converted", { count: r.convertedTimes }) : "" })),
          });
          out(t("db.copy_done", { tables: reports.length, rows: reports.reduce((n, r) => n + r.rows, 0) }));
          out(t("db.copy_next", { to: redactUrl(o.to) }));
        } catch (error) {
          if (error instanceof CopyError) {
            if (error.reason === "target_not_empty") fail(t("db.copy_not_empty", error.detail));
            fail(t(`db.copy_${error.reason}`, error.detail));
          }
          fail(t("db.copy_failed", { reason: error instanceof Error ? error.message : String(error) }));
        } finally {
          await target.close();
        }
      } finally {
        await source.close();
      }
    });
}
