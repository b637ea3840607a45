/**
 * A unit report (unit-report.ts) as tables for Excel and CSV, with headers in the reader's
 * language (locales/<lang>/reports.json): one sheet per table — the unit and its children, the
 * months, the directives, the concerns, the slowest units. Numbers stay numbers, rates are
 * fractions shown with a percent format, dates are dates.
 */
import type { Translate } from "../../lib/i18n.ts";
import { tablesCsv, tablesXlsx, type ColumnKind, type Table, type TableColumn } from "../../lib/table-file.ts";
import { reportPlatforms, type UnitReport } from "./unit-report.ts";

const hours = (ms: number | null) => (ms === null ? null : Math.round(ms / 360_000) / 10);

/** The report's tables, in sheet order. */
export function reportTables(report: UnitReport, t: Translate): Table[] {
  const col = (key: string, kind: ColumnKind, width?: number, params?: Record<string, string>): TableColumn => ({
    header: t(`reports.col_${key}`, params),
    kind,
    width: width ?? Math.max(12, Math.min(24, t(`reports.col_${key}`, params).length + 2)),
  });
  const rows = [report.unit, ...report.children];
  const summary: Table = {
    sheet: t("reports.sheet_units"),
    columns: [
      col("unit", "text", 36),
      col("level", "text", 12),
      col("members", "integer"),
      col("linked", "integer"),
      col("linked_share", "percent"),
      ...reportPlatforms.map((p) => col("platform_share", "percent", 16, { platform: t(`reports.platform_${p}`) })),
      col("meetings", "integer"),
      col("response_rate", "percent"),
      col("attendance_rate", "percent"),
      col("read_rate", "percent"),
      col("concerns_opened", "integer"),
      col("concerns_answered", "integer"),
      col("concerns_open", "integer"),
      col("concerns_overdue", "integer"),
      col("first_answer_hours", "decimal", 18),
      col("satisfaction", "percent"),
    ],
    rows: rows.map((r) => [
      r.name,
      r.levelLabel,
      r.members,
      r.linked,
      r.linkedShare,
      ...reportPlatforms.map((p) => r.linkedShareByPlatform[p]),
      r.meetingsHeld,
      r.responseRate,
      r.attendanceRate,
      r.readRate,
      r.concernsOpened,
      r.concernsAnswered,
      r.openConcerns,
      r.overdueConcerns,
      hours(r.medianFirstAnswerMs),
      r.satisfactionRate,
    ]),
    indents: rows.map((_, i) => (i === 0 ? 0 : 1)),
  };
  const monthly: Table = {
    sheet: t("reports.sheet_months"),
    columns: [
      col("month", "month", 12),
      col("meetings", "integer"),
      col("response_rate", "percent"),
      col("attendance_rate", "percent"),
    ],
    rows: report.monthly.map((m) => [m.start, m.meetingsHeld, m.responseRate, m.attendanceRate]),
  };
  const directives: Table = {
    sheet: t("reports.sheet_directives"),
    columns: [
      col("sent_at", "date", 12),
      col("number", "text", 14),
      col("kind", "text", 14),
      col("title", "text", 48),
      col("delivered", "integer"),
      col("read", "integer"),
      col("read_rate", "percent"),
    ],
    rows: report.directives.map((d) => [d.sentAt, d.number, d.kind, d.title, d.delivered, d.read, d.readRate]),
  };
  const concerns: Table = {
    sheet: t("reports.sheet_concerns"),
    columns: [col("category", "text", 28), col("status", "text", 16), col("count", "integer")],
    rows: report.concerns.map((c) => [t(`reports.category_${c.category}`), t(`ykien.status_${c.status}`), c.count]),
  };
  const slowest: Table = {
    sheet: t("reports.sheet_slowest"),
    columns: [
      col("unit", "text", 36),
      col("level", "text", 12),
      col("first_answer_hours", "decimal", 18),
      col("concerns_opened", "integer"),
      col("concerns_overdue", "integer"),
    ],
    rows: report.slowestUnits.map((s) => [
      s.name,
      s.levelLabel,
      hours(s.medianFirstAnswerMs),
      s.concernsOpened,
      s.overdueConcerns,
    ]),
  };
  const tables = [summary, monthly, directives, concerns, slowest];
  for (const table of tables) table.timeZone = report.timeZone;
  return tables;
}

/** The report as an .xlsx workbook, one sheet per table. */
export function reportXlsx(report: UnitReport, t: Translate): Promise<Buffer> {
  return tablesXlsx(reportTables(report, t));
}

/** The report as CSV text (no BOM): each table headed by its sheet name. */
export function reportCsv(report: UnitReport, t: Translate): string {
  return tablesCsv(reportTables(report, t));
}
