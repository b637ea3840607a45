/**
 * `chihoi stats UNIT [--csv FILE] [--xlsx FILE]`: members (people, not roles) and linked accounts,
 * concerns, directives' read rate and meetings of the last 12 months, rolled up the tree; printed,
 * and written as a spreadsheet on request (numbers as numbers).
 */
import type { Command } from "commander";
import { unitStats, type UnitStats } from "../domain/stats/unit-stats.ts";
import { resolveUnit } from "../domain/units/unit-service.ts";
import type { Translate } from "../lib/i18n.ts";
import { type Table, writeTableFile } from "../lib/table-file.ts";
import type { Database } from "../storage/database.ts";
import { bilingualHelp, type CliContext, help } from "./context.ts";

export function registerStatsCommand(program: Command, ctx: CliContext): void {
  const { t, out } = ctx;
  program
    .command("stats <unit>")
    .description(help("stats"))
    .option("--csv <file>", bilingualHelp("stats.opt_csv"))
    .option("--xlsx <file>", bilingualHelp("stats.opt_xlsx"))
    .action((ref: string, o: { csv?: string; xlsx?: string }) =>
      ctx.withDatabase(async (db) => {
        const unit = await resolveUnit(db, ref);
        const table = await printCliStats(db, unit.id, t, out, ctx.now());
        for (const [file, format] of [
          [o.csv, "csv"],
          [o.xlsx, "xlsx"],
        ] as const) {
          if (!file) continue;
          await writeTableFile(file, table, format);
          out(t("stats.written", { file }));
        }
      }),
    );
}

export function formatRate(rate: number | null): string {
  return rate === null ? "—" : `${Math.round(rate * 100)}%`;
}

/** "45 phút", "5 giờ", "3 ngày". */
export function formatDuration(ms: number | null, t: Translate): string {
  if (ms === null) return "—";
  const minutes = Math.round(ms / 60_000);
  if (minutes < 90) return t("stats.minutes", { count: minutes });
  const hours = Math.round(minutes / 60);
  if (hours < 48) return t("stats.hours", { count: hours });
  return t("stats.days", { count: Math.round(hours / 24) });
}

/** Prints the figures and returns them as a table for --csv / --xlsx. */
export async function printCliStats(
  db: Database,
  unitId: number,
  t: Translate,
  out: (line: string) => void,
  now = new Date(),
): Promise<Table> {
  const stats = await unitStats(db, { unitId, now });
  const base = stats[0]?.depth ?? 0;
  const indent = (s: UnitStats) => "  ".repeat(s.depth - base);
  out(t("cli.stats_header"));
  for (const s of stats)
    out(
      t("cli.stats_line", {
        indent: indent(s),
        name: s.name,
        level: s.levelLabel ? ` (${s.levelLabel})` : "",
        membersTotal: s.members,
        linkedTotal: s.linked,
        percent: s.members ? Math.round((100 * s.linked) / s.members) : 0,
      }),
    );
  out("");
  out(t("stats.concerns_header"));
  for (const s of stats)
    out(
      t("stats.concerns_line", {
        indent: indent(s),
        name: s.name,
        open: s.openConcerns,
        overdue: s.overdueConcerns,
        firstAnswer: formatDuration(s.medianFirstAnswerMs, t),
        readRate: formatRate(s.readRate),
      }),
    );
  out("");
  out(t("cli.stats_meetings_header"));
  for (const s of stats)
    out(
      t("cli.stats_meetings_line", {
        indent: indent(s),
        name: s.name,
        held: s.meetingsHeld,
        responseRate: formatRate(s.responseRate),
        attendanceRate: formatRate(s.attendanceRate),
      }),
    );
  return statsTable(stats, t, base);
}

function statsTable(stats: UnitStats[], t: Translate, base: number): Table {
  const col = (key: string, kind: Table["columns"][number]["kind"], width?: number) => ({
    header: t(`stats.col_${key}`),
    kind,
    width,
  });
  return {
    sheet: t("stats.sheet"),
    columns: [
      col("unit", "text", 36),
      col("level", "text", 12),
      col("members", "integer"),
      col("linked", "integer"),
      col("linked_rate", "percent"),
      col("open", "integer"),
      col("overdue", "integer"),
      col("first_answer_hours", "decimal"),
      col("read_rate", "percent"),
      col("meetings", "integer"),
      col("response_rate", "percent"),
      col("attendance_rate", "percent"),
    ],
    rows: stats.map((s) => [
      s.name,
      s.levelLabel,
      s.members,
      s.linked,
      s.members ? s.linked / s.members : null,
      s.openConcerns,
      s.overdueConcerns,
      s.medianFirstAnswerMs === null ? null : Math.round(s.medianFirstAnswerMs / 360_000) / 10,
      s.readRate,
      s.meetingsHeld,
      s.responseRate,
      s.attendanceRate,
    ]),
    indents: stats.map((s) => s.depth - base),
  };
}
