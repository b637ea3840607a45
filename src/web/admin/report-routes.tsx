/**
 * Reports (báo cáo) in the workplace: for any unit of the viewer's subtree and a period, the unit
 * and each child side by side, charts (server-side SVG), the .xlsx and CSV downloads (the writers
 * `chihoi report` uses), and a print view of a unit's monthly report. The domain checks the rights
 * (unitReport: "read" on the unit), so nothing outside the subtree can be opened by URL.
 */
import type { Context, Hono } from "hono";
import { isAppError } from "../../lib/app-error.ts";
import { errorText, type Locale, type Translate } from "../../lib/i18n.ts";
import { formatDate, formatMeetingTime, fromLocal, toLocal } from "../../lib/zoned-time.ts";
import { personActor, actorCan, assertActorCan } from "../../domain/access/actor.ts";
import { findUnit, listAncestors } from "../../domain/units/unit-service.ts";
import {
  reportPeriod,
  reportPlatforms,
  unitReport,
  type ReportRow,
  type UnitReport,
} from "../../domain/reports/unit-report.ts";
import { reportCsv, reportXlsx } from "../../domain/reports/report-tables.ts";
import type { AdminEnv, AdminOptions } from "./admin-auth.ts";
import {
  Page,
  OversightStyles,
  dayKey,
  dayStart,
  formatCount,
  formatHours,
  formatRate,
  idParam,
  notFoundPage,
  scopeUnits,
  UnitOptions,
  viewerOf,
} from "./oversight-common.tsx";
import { ConcernChart, DirectiveChart, MonthlyChart, SlowestChart } from "./report-charts.tsx";

/** How long a computed report is reused (the page says when its figures were made). */
const reportCacheMs = 120_000;
const reportCacheEntries = 16;

export interface ReportRouteOptions extends AdminOptions {
  timeZone: string;
}

interface ReportRequest {
  unitId: number;
  from?: Date;
  to?: Date;
  /** The query as given, for the form and the links. */
  fromKey: string;
  toKey: string;
}

/** The month holding `instant` in the zone, `delta` months later: start and "YYYY-MM". */
function monthStart(year: number, month: number, zone: string): Date {
  const m = new Date(Date.UTC(year, month - 1, 1));
  return fromLocal({ year: m.getUTCFullYear(), month: m.getUTCMonth() + 1, day: 1, hour: 0, minute: 0 }, zone);
}

/** Mounts /admin/reports, its downloads and the print view. */
export function mountReports(app: Hono<AdminEnv>, options: ReportRouteOptions): void {
  const { db, timeZone } = options;
  const now = () => options.now?.() ?? new Date();
  const notFound = (c: Context<AdminEnv>) =>
    notFoundPage(c, c.get("t")("admin_reports.not_found"), {
      href: "/admin/reports",
      label: c.get("t")("admin_reports.title"),
    });

  /** The unit and period asked for; the end day is included, and never later than now. */
  const requestOf = async (c: Context<AdminEnv>): Promise<ReportRequest | undefined> => {
    const q = c.req.query();
    let unitId = idParam(q.unit);
    if (q.unit === undefined || q.unit === "") {
      const units = await scopeUnits(c, db, "read");
      if (!units.length) return undefined;
      unitId = units[0]!.id;
    }
    if (Number.isNaN(unitId)) return undefined;
    let to = dayStart(q.to, timeZone, 1);
    if (to && to.getTime() > now().getTime()) to = now();
    return { unitId, from: dayStart(q.from, timeZone), to, fromKey: q.from ?? "", toKey: q.to ?? "" };
  };

  // A province's report takes seconds: the page and the downloads that follow it within a short
  // while share one computation. The domain checks the rights on every request, cached or not.
  const cache = new Map<string, { at: number; report: UnitReport }>();
  const load = async (c: Context<AdminEnv>, r: { unitId: number; from?: Date; to?: Date }): Promise<UnitReport> => {
    const actor = personActor(viewerOf(c).personId, "web");
    const key = `${r.unitId}:${r.from?.getTime() ?? ""}:${r.to?.getTime() ?? ""}`;
    const at = now().getTime();
    const hit = cache.get(key);
    if (hit && at - hit.at < reportCacheMs && at >= hit.at) {
      await assertActorCan(db, actor, "read", r.unitId);
      return hit.report;
    }
    const report = await unitReport(db, actor, r.unitId, { from: r.from, to: r.to, now: now(), timeZone });
    for (const [k, v] of cache) if (at - v.at >= reportCacheMs || at < v.at) cache.delete(k);
    if (cache.size >= reportCacheEntries) cache.delete(cache.keys().next().value!);
    cache.set(key, { at, report });
    return report;
  };

  const query = (r: ReportRequest, unitId = r.unitId) => {
    const p = new URLSearchParams({ unit: String(unitId) });
    if (r.fromKey) p.set("from", r.fromKey);
    if (r.toKey) p.set("to", r.toKey);
    return p.toString();
  };

  app.get("/admin/reports", async (c) => {
    const t = c.get("t");
    const request = await requestOf(c);
    if (!request) return notFound(c);
    const actor = personActor(viewerOf(c).personId, "web");
    // The rights and the period are checked here; the figures (seconds for a province) come after.
    const unit = await findUnit(db, request.unitId).catch(() => undefined);
    if (!unit || !(await actorCan(db, actor, "read", unit.id))) return notFound(c);
    let period: { from: Date; to: Date } | undefined;
    let error: string | undefined;
    try {
      period = reportPeriod({ from: request.from, to: request.to, now: now() });
    } catch (e) {
      if (!isAppError(e)) throw e;
      error = errorText(t, e);
    }
    const units = await scopeUnits(c, db, "read");
    const trail = [];
    for (const a of await listAncestors(db, unit.id)) if (await actorCan(db, actor, "read", a.id)) trail.push(a);
    const fromKey = request.fromKey || (period ? dayKey(period.from.getTime(), timeZone) : "");
    const toKey = request.toKey || (period ? dayKey(period.to.getTime() - 1, timeZone) : "");
    const title = t("admin_reports.page_title", { unit: unit.name });
    return c.html(
      <Page c={c} title={title}>
        <OversightStyles />
        {trail.length ? (
          <nav aria-label={t("admin.breadcrumb")} class="mute">
            {trail.map((a) => (
              <>
                <a href={`/admin/reports?${query(request, a.id)}`}>{a.name}</a> /{" "}
              </>
            ))}
          </nav>
        ) : null}
        <h1>{title}</h1>
        <form method="get" action="/admin/reports" class="card row no-print">
          <div>
            <label for="unit">{t("admin_reports.unit")}</label>
            <select id="unit" name="unit" style="max-width:22rem">
              <UnitOptions units={units} selected={request.unitId} />
            </select>
          </div>
          <div>
            <label for="from">{t("admin_reports.from")}</label>
            <input id="from" name="from" type="date" value={fromKey} />
          </div>
          <div>
            <label for="to">{t("admin_reports.to")}</label>
            <input id="to" name="to" type="date" value={toKey} />
          </div>
          <div style="min-width:auto">
            <button type="submit">{t("admin_reports.show")}</button>
          </div>
        </form>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : (
          <section
            id="report-body"
            hx-get={`/admin/reports/body?${query(request)}`}
            hx-trigger="load"
            hx-swap="innerHTML"
            aria-live="polite"
            aria-busy="true"
          >
            <p class="card">{t("admin_reports.computing")}</p>
          </section>
        )}
      </Page>,
      error ? 400 : 200,
    );
  });

  /** The figures, tables and charts of the report (loaded by the page: a province takes seconds). */
  app.get("/admin/reports/body", async (c) => {
    const t = c.get("t");
    const request = await requestOf(c);
    if (!request) return c.text(t("admin_reports.not_found"), 404);
    let report: UnitReport;
    try {
      report = await load(c, request);
    } catch (e) {
      if (!isAppError(e)) throw e;
      if (e.code === "report_period_invalid")
        return c.html(
          <p class="error" role="alert">
            {errorText(t, e)}
          </p>,
          400,
        );
      return c.text(t("admin_reports.not_found"), 404);
    }
    return c.html(<ReportBody t={t} locale={c.get("locale")} report={report} request={request} query={query} />);
  });

  function ReportBody(props: {
    t: Translate;
    locale: Locale;
    report: UnitReport;
    request: ReportRequest;
    query: (r: ReportRequest, unitId?: number) => string;
  }) {
    const { t, locale, report, request } = props;
    const qs = props.query(request);
    return (
      <>
        <p class="mute">
          {t("admin_reports.period", {
            from: formatDate(new Date(report.from), timeZone),
            to: formatDate(new Date(report.to - 1), timeZone),
          })}{" "}
          {t("admin_reports.generated", { when: formatMeetingTime(new Date(report.generatedAt), timeZone, locale) })}
        </p>
        <p class="row no-print">
          <a class="button secondary" href={`/admin/reports/export.xlsx?${qs}`} download>
            {t("admin_reports.download_xlsx")}
          </a>
          <a class="button secondary" href={`/admin/reports/export.csv?${qs}`} download>
            {t("admin_reports.download_csv")}
          </a>
        </p>
        <form method="get" action="/admin/reports/print" class="row no-print" style="margin-bottom:1rem">
          <input type="hidden" name="unit" value={String(report.unitId)} />
          <div>
            <label for="month">{t("admin_reports.print_month")}</label>
            <select id="month" name="month">
              {[...report.monthly].reverse().map((m) => (
                <option value={m.month}>{`${m.month.slice(5)}/${m.month.slice(0, 4)}`}</option>
              ))}
            </select>
          </div>
          <div style="min-width:auto">
            <button type="submit" class="secondary">
              {t("admin_reports.print_open")}
            </button>
          </div>
        </form>
        <UnitsTable
          t={t}
          locale={locale}
          report={report}
          link={(unitId) => `/admin/reports?${props.query(request, unitId)}`}
        />
        <h2 style="font-size:1.2rem">{t("admin_reports.charts")}</h2>
        <div class="charts">
          <MonthlyChart t={t} months={report.monthly} />
          <DirectiveChart t={t} locale={locale} directives={report.directives} />
          <ConcernChart t={t} locale={locale} concerns={report.concerns} />
          <SlowestChart t={t} locale={locale} units={report.slowestUnits} />
        </div>
      </>
    );
  }

  async function UnitsTable(props: {
    t: Translate;
    locale: Locale;
    report: UnitReport;
    link?: (unitId: number) => string;
  }) {
    const { t, locale, report } = props;
    const n = (v: number) => formatCount(v, locale);
    const line = (r: ReportRow, own: boolean) => {
      return (
        <tr class={own ? "own" : undefined}>
          <td style="min-width:12rem">
            {!own && props.link ? <a href={props.link(r.unitId)}>{r.name}</a> : r.name}{" "}
            <span class="mute">{r.levelLabel}</span>
          </td>
          <td class="num">{n(r.members)}</td>
          <td class="num">{formatRate(r.linkedShare)}</td>
          {reportPlatforms.map((p) => (
            <td class="num hide-small">{formatRate(r.linkedShareByPlatform[p])}</td>
          ))}
          <td class="num">{n(r.meetingsHeld)}</td>
          <td class="num">{formatRate(r.responseRate)}</td>
          <td class="num">{formatRate(r.attendanceRate)}</td>
          <td class="num">{formatRate(r.readRate)}</td>
          <td class="num">{n(r.concernsOpened)}</td>
          <td class="num">{n(r.concernsAnswered)}</td>
          <td class="num">{n(r.openConcerns)}</td>
          <td class="num">{n(r.overdueConcerns)}</td>
          <td class="num">{formatHours(r.medianFirstAnswerMs, t, locale)}</td>
          <td class="num">{formatRate(r.satisfactionRate)}</td>
        </tr>
      );
    };
    return (
      <div class="scroll card" style="padding:0">
        <table id="report-units">
          <thead>
            <tr>
              <th>{t("reports.col_unit")}</th>
              <th class="num">{t("reports.col_members")}</th>
              <th class="num">{t("reports.col_linked_share")}</th>
              {reportPlatforms.map((p) => (
                <th class="num hide-small">{t(`reports.platform_${p}`)}</th>
              ))}
              <th class="num">{t("reports.col_meetings")}</th>
              <th class="num">{t("reports.col_response_rate")}</th>
              <th class="num">{t("reports.col_attendance_rate")}</th>
              <th class="num">{t("reports.col_read_rate")}</th>
              <th class="num">{t("reports.col_concerns_opened")}</th>
              <th class="num">{t("reports.col_concerns_answered")}</th>
              <th class="num">{t("reports.col_concerns_open")}</th>
              <th class="num">{t("reports.col_concerns_overdue")}</th>
              <th class="num">{t("admin_reports.col_first_answer")}</th>
              <th class="num">{t("reports.col_satisfaction")}</th>
            </tr>
          </thead>
          <tbody>
            {await line(report.unit, true)}
            {report.children.map((r) => line(r, false))}
          </tbody>
        </table>
      </div>
    );
  }

  const download = async (c: Context<AdminEnv>, format: "xlsx" | "csv") => {
    const t = c.get("t");
    const request = await requestOf(c);
    if (!request) return notFound(c);
    let report: UnitReport;
    try {
      report = await load(c, request);
    } catch (e) {
      if (!isAppError(e)) throw e;
      if (e.code === "report_period_invalid") return c.text(errorText(t, e), 400);
      return notFound(c);
    }
    const name = `bao-cao-${report.unitId}-${dayKey(report.from, timeZone)}-${dayKey(report.to - 1, timeZone)}.${format}`;
    c.header("Content-Disposition", `attachment; filename="${name}"`);
    if (format === "xlsx") {
      const bytes = await reportXlsx(report, t);
      return c.body(new Uint8Array(bytes), 200, {
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      });
    }
    // With a BOM, Excel opens the Vietnamese text as UTF-8 (as `chihoi report --csv` writes it).
    return c.body(`\ufeff${reportCsv(report, t)}`, 200, { "Content-Type": "text/csv; charset=utf-8" });
  };

  app.get("/admin/reports/export.xlsx", (c) => download(c, "xlsx"));
  app.get("/admin/reports/export.csv", (c) => download(c, "csv"));

  /** A unit's report of one calendar month, laid out for paper. */
  app.get("/admin/reports/print", async (c) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const unitId = idParam(c.req.query("unit"));
    const current = toLocal(now(), timeZone);
    const m = /^(\d{4})-(\d{2})$/.exec(c.req.query("month") ?? "");
    const [year, month] = m ? [Number(m[1]), Number(m[2])] : [current.year, current.month];
    if (Number.isNaN(unitId) || month < 1 || month > 12 || year < 2000 || year > 2200) return notFound(c);
    const from = monthStart(year, month, timeZone);
    let to = monthStart(year, month + 1, timeZone);
    if (to.getTime() > now().getTime()) to = now();
    if (from.getTime() >= to.getTime()) return notFound(c);
    let report: UnitReport;
    try {
      report = await load(c, { unitId, from, to });
    } catch (e) {
      if (!isAppError(e)) throw e;
      return notFound(c);
    }
    const n = (v: number) => formatCount(v, locale);
    const u = report.unit;
    const monthLabel = `${String(month).padStart(2, "0")}/${year}`;
    return c.html(
      <Page c={c} title={t("admin_reports.print_title", { unit: report.name, month: monthLabel })}>
        <OversightStyles />
        <script src="/admin/assets/oversight.js" defer></script>
        <p class="row no-print">
          <a href={`/admin/reports?unit=${report.unitId}`}>← {t("admin_reports.title")}</a>
          <button type="button" data-print>
            {t("admin_reports.print_button")}
          </button>
        </p>
        <h1>{t("admin_reports.print_title", { unit: report.name, month: monthLabel })}</h1>
        <p class="mute">
          {t("admin_reports.print_made", {
            when: formatDate(new Date(report.generatedAt), timeZone),
            by: viewerOf(c).name,
          })}
        </p>
        <table id="print-figures" style="max-width:40rem">
          <tbody>
            <tr>
              <th>{t("reports.col_members")}</th>
              <td class="num">{n(u.members)}</td>
            </tr>
            <tr>
              <th>{t("reports.col_linked")}</th>
              <td class="num">
                {n(u.linked)} ({formatRate(u.linkedShare)})
              </td>
            </tr>
            <tr>
              <th>{t("reports.col_meetings")}</th>
              <td class="num">{n(u.meetingsHeld)}</td>
            </tr>
            <tr>
              <th>{t("reports.col_response_rate")}</th>
              <td class="num">{formatRate(u.responseRate)}</td>
            </tr>
            <tr>
              <th>{t("reports.col_attendance_rate")}</th>
              <td class="num">{formatRate(u.attendanceRate)}</td>
            </tr>
            <tr>
              <th>{t("reports.col_read_rate")}</th>
              <td class="num">{formatRate(u.readRate)}</td>
            </tr>
            <tr>
              <th>{t("reports.col_concerns_opened")}</th>
              <td class="num">{n(u.concernsOpened)}</td>
            </tr>
            <tr>
              <th>{t("reports.col_concerns_answered")}</th>
              <td class="num">{n(u.concernsAnswered)}</td>
            </tr>
            <tr>
              <th>{t("reports.col_concerns_open")}</th>
              <td class="num">{n(u.openConcerns)}</td>
            </tr>
            <tr>
              <th>{t("reports.col_concerns_overdue")}</th>
              <td class="num">{n(u.overdueConcerns)}</td>
            </tr>
            <tr>
              <th>{t("admin_reports.col_first_answer")}</th>
              <td class="num">{formatHours(u.medianFirstAnswerMs, t, locale)}</td>
            </tr>
            <tr>
              <th>{t("reports.col_satisfaction")}</th>
              <td class="num">{formatRate(u.satisfactionRate)}</td>
            </tr>
          </tbody>
        </table>
        {report.children.length ? (
          <>
            <h2 style="font-size:1.15rem">{t("admin_reports.print_children")}</h2>
            <UnitsTable t={t} locale={locale} report={report} />
          </>
        ) : null}
        <h2 style="font-size:1.15rem">{t("admin_reports.print_directives")}</h2>
        {report.directives.length ? (
          <table>
            <thead>
              <tr>
                <th>{t("reports.col_sent_at")}</th>
                <th>{t("reports.col_number")}</th>
                <th>{t("reports.col_title")}</th>
                <th class="num">{t("reports.col_delivered")}</th>
                <th class="num">{t("reports.col_read")}</th>
                <th class="num">{t("reports.col_read_rate")}</th>
              </tr>
            </thead>
            <tbody>
              {report.directives.map((d) => (
                <tr>
                  <td>{formatDate(new Date(d.sentAt), timeZone)}</td>
                  <td>{d.number}</td>
                  <td>{d.title}</td>
                  <td class="num">{n(d.delivered)}</td>
                  <td class="num">{n(d.read)}</td>
                  <td class="num">{formatRate(d.readRate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="mute">{t("admin_reports.chart_no_directives")}</p>
        )}
        <div class="charts" style="margin-top:1rem">
          <ConcernChart t={t} locale={locale} concerns={report.concerns} />
          <SlowestChart t={t} locale={locale} units={report.slowestUnits} />
        </div>
      </Page>,
    );
  });
}
