/**
 * `chihoi report UNIT [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--xlsx FILE] [--csv FILE]`: the unit
 * report of domain/reports printed (the unit and its children side by side, the months, the
 * slowest units) and written as a workbook (one sheet per table) or CSV on request.
 */
import type { Command } from "commander";
import { systemActor } from "../domain/access/actor.ts";
import { reportTables } from "../domain/reports/report-tables.ts";
import { type ReportRow, type UnitReport, unitReport } from "../domain/reports/unit-report.ts";
import { resolveUnit } from "../domain/units/unit-service.ts";
import type { Translate } from "../lib/i18n.ts";
import { writeTablesFile } from "../lib/table-file.ts";
import { fromLocal, toLocal } from "../lib/zoned-time.ts";
import type { Database } from "../storage/database.ts";
import { bilingualHelp, type CliContext } from "./context.ts";
import { formatDuration, formatRate } from "./stats.ts";

export function registerReportCommand(program: Command, ctx: CliContext): void {
  program
    .command("report <unit>")
    .description(bilingualHelp("reports.help"))
    .option("--from <date>", bilingualHelp("reports.opt_from"))
    .option("--to <date>", bilingualHelp("reports.opt_to"))
    .option("--csv <file>", bilingualHelp("reports.opt_csv"))
    .option("--xlsx <file>", bilingualHelp("reports.opt_xlsx"))
    .action((ref: string, o: CliReportOptions) =>
      ctx.withDatabase(async (db) => {
        try {
          const unitId = (await resolveUnit(db, ref)).id;
          await runCliReport(db, unitId, o, ctx.t, ctx.config.timeZone, ctx.out, ctx.now());
        } catch (error) {
          if (error instanceof CliReportError) ctx.fail(error.message);
          throw error;
        }
      }),
    );
}

/** "2026-01-31" → the start of that day in the zone; `endOfDay` gives the start of the next one. Throws CliReportError. */
export function parseReportDay(input: string, zone: string, t: Translate, endOfDay = false): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.trim());
  const [year, month, day] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (!m || check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    throw new CliReportError(t("reports.bad_date", { input }));
  return fromLocal({ ...(endOfDay ? nextDay(year, month, day) : { year, month, day }), hour: 0, minute: 0 }, zone);
}

function nextDay(year: number, month: number, day: number): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(year, month - 1, day + 1));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** A message for the CLI user (already in their language). */
export class CliReportError extends Error {}

export interface CliReportOptions {
  from?: string;
  to?: string;
  xlsx?: string;
  csv?: string;
}

function formatDay(ms: number, zone: string): string {
  const l = toLocal(new Date(ms), zone);
  return `${String(l.day).padStart(2, "0")}/${String(l.month).padStart(2, "0")}/${l.year}`;
}

/** Prints the report and writes the files asked for. Returns the report (for tests). */
export async function runCliReport(
  db: Database,
  unitId: number,
  options: CliReportOptions,
  t: Translate,
  zone: string,
  out: (line: string) => void,
  now = new Date(),
): Promise<UnitReport> {
  const from = options.from ? parseReportDay(options.from, zone, t) : undefined;
  const to = options.to ? parseReportDay(options.to, zone, t, true) : undefined;
  const report = await unitReport(db, systemActor("cli"), unitId, {
    from,
    to: to && to.getTime() > now.getTime() ? now : to,
    now,
    timeZone: zone,
  });
  out(
    t("reports.title", { unit: report.name, from: formatDay(report.from, zone), to: formatDay(report.to - 1, zone) }),
  );
  out("");
  out(t("reports.units_header"));
  const line = (r: ReportRow, indent: string) =>
    out(
      t("reports.units_line", {
        indent,
        name: r.name,
        members: r.members,
        linked: formatRate(r.linkedShare),
        meetings: r.meetingsHeld,
        response: formatRate(r.responseRate),
        attendance: formatRate(r.attendanceRate),
        read: formatRate(r.readRate),
        opened: r.concernsOpened,
        answered: r.concernsAnswered,
        open: r.openConcerns,
        overdue: r.overdueConcerns,
        firstAnswer: formatDuration(r.medianFirstAnswerMs, t),
        satisfaction: formatRate(r.satisfactionRate),
      }),
    );
  line(report.unit, "");
  for (const child of report.children) line(child, "  ");
  out("");
  out(t("reports.months_header"));
  for (const m of report.monthly)
    out(
      t("reports.months_line", {
        month: m.month,
        meetings: m.meetingsHeld,
        response: formatRate(m.responseRate),
        attendance: formatRate(m.attendanceRate),
      }),
    );
  if (report.slowestUnits.length) {
    out("");
    out(t("reports.slowest_header"));
    for (const s of report.slowestUnits)
      out(t("reports.slowest_line", { name: s.name, firstAnswer: formatDuration(s.medianFirstAnswerMs, t) }));
  }
  const tables = reportTables(report, t);
  for (const [file, format] of [
    [options.csv, "csv"],
    [options.xlsx, "xlsx"],
  ] as const) {
    if (!file) continue;
    await writeTablesFile(file, tables, format);
    out(t("reports.written", { file }));
  }
  return report;
}
