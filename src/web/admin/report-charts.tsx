/**
 * The report's charts as server-side SVG (no script, no CDN, prints as it shows): attendance and
 * response rate per month, read rate per directive, concerns by category and status, the slowest
 * units. Each chart is an image with a text label; the same figures are in the tables and exports.
 */
import type { Locale, Translate } from "../../lib/i18n.ts";
import type { ConcernCount, DirectiveReadRate, MonthPoint, SlowUnit } from "../../domain/reports/unit-report.ts";
import { formatCount, formatRate, numberLocale } from "./oversight-common.tsx";

const ink = "#1f2937";
const mute = "#6b7280";
const grid = "#e5e7eb";
const font = 14;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function Frame(props: {
  title: string;
  label: string;
  width: number;
  height: number;
  children?: unknown;
  empty?: string;
}) {
  return (
    <figure class="card chart" style="margin:0">
      <figcaption style="font-weight:600;margin-bottom:.4rem">{props.title}</figcaption>
      {props.empty ? (
        <p class="mute">{props.empty}</p>
      ) : (
        <svg
          viewBox={`0 0 ${props.width} ${props.height}`}
          role="img"
          aria-label={props.label}
          xmlns="http://www.w3.org/2000/svg"
        >
          <title>{props.label}</title>
          {props.children as never}
        </svg>
      )}
    </figure>
  );
}

/** Attendance and response rate per month (12 months), as two lines over a 0–100 % scale. */
export function MonthlyChart(props: { t: Translate; months: MonthPoint[] }) {
  const { t, months } = props;
  const width = 640,
    height = 260,
    left = 48,
    right = 24,
    top = 28,
    bottom = 36;
  const plotW = width - left - right,
    plotH = height - top - bottom;
  const x = (i: number) => left + (months.length <= 1 ? plotW / 2 : (i * plotW) / (months.length - 1));
  const y = (rate: number) => top + plotH - rate * plotH;
  const series = [
    { key: "attendanceRate" as const, label: t("reports.col_attendance_rate"), colour: "#b91c1c" },
    { key: "responseRate" as const, label: t("reports.col_response_rate"), colour: "#1d4ed8" },
  ];
  // A month without meetings has no rate: the line breaks there rather than dropping to 0.
  const segments = (key: "attendanceRate" | "responseRate") => {
    const out: string[][] = [];
    let current: string[] = [];
    months.forEach((m, i) => {
      const v = m[key];
      if (v === null) {
        if (current.length) out.push(current);
        current = [];
      } else current.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    });
    if (current.length) out.push(current);
    return out;
  };
  const label = t("admin_reports.chart_monthly_label", {
    months: months.map((m) => `${m.month}: ${formatRate(m.attendanceRate)} / ${formatRate(m.responseRate)}`).join("; "),
  });
  const anyData = months.some((m) => m.attendanceRate !== null || m.responseRate !== null);
  return (
    <Frame
      title={t("admin_reports.chart_monthly")}
      label={label}
      width={width}
      height={height}
      empty={anyData ? undefined : t("admin_reports.chart_no_data")}
    >
      {[0, 0.25, 0.5, 0.75, 1].map((g) => (
        <>
          <line x1={left} x2={width - right} y1={y(g)} y2={y(g)} stroke={grid} stroke-width="1" />
          <text x={left - 6} y={y(g) + 4} text-anchor="end" font-size={font} fill={mute}>{`${g * 100}%`}</text>
        </>
      ))}
      {months.map((m, i) => (
        <text
          x={x(i)}
          y={height - bottom + 16}
          text-anchor="middle"
          font-size={font}
          fill={mute}
        >{`${m.month.slice(5)}/${m.month.slice(2, 4)}`}</text>
      ))}
      {series.map((s, si) => (
        <>
          {segments(s.key).map((points) =>
            points.length > 1 ? (
              <polyline points={points.join(" ")} fill="none" stroke={s.colour} stroke-width="2.5" />
            ) : null,
          )}
          {months.map((m, i) => {
            const v = m[s.key];
            return v === null ? null : (
              <circle cx={x(i)} cy={y(v)} r="3.5" fill={s.colour}>
                <title>{`${s.label} ${m.month}: ${formatRate(v)}`}</title>
              </circle>
            );
          })}
          <rect x={left + si * 180} y={6} width="12" height="12" fill={s.colour} />
          <text x={left + si * 180 + 18} y={16} font-size={font} fill={ink}>
            {s.label}
          </text>
        </>
      ))}
    </Frame>
  );
}

interface BarRow {
  label: string;
  value: number;
  text: string;
  href?: string;
}

/** Horizontal bars, one row each, scaled to `max`. */
function Bars(props: { title: string; label: string; rows: BarRow[]; max: number; colour: string; empty: string }) {
  const width = 640,
    labelW = 250,
    valueW = 110,
    rowH = 24,
    top = 6;
  const height = top + props.rows.length * rowH + 6;
  const barW = width - labelW - valueW;
  return (
    <Frame
      title={props.title}
      label={props.label}
      width={width}
      height={height}
      empty={props.rows.length ? undefined : props.empty}
    >
      {props.rows.map((r, i) => {
        const yy = top + i * rowH;
        const w = props.max > 0 ? Math.max(0, (r.value / props.max) * barW) : 0;
        return (
          <>
            <text x={labelW - 8} y={yy + 16} text-anchor="end" font-size={font} fill={ink}>
              {cut(r.label, 32)}
              <title>{r.label}</title>
            </text>
            <rect x={labelW} y={yy + 4} width={barW} height={rowH - 8} fill={grid} />
            <rect x={labelW} y={yy + 4} width={w.toFixed(1)} height={rowH - 8} fill={props.colour} />
            <text x={labelW + barW + 6} y={yy + 16} font-size={font} fill={ink}>
              {r.text}
            </text>
          </>
        );
      })}
    </Frame>
  );
}

/** Read rate of each directive of the period (the newest 15). */
export function DirectiveChart(props: { t: Translate; locale: Locale; directives: DirectiveReadRate[] }) {
  const { t, locale } = props;
  const rows = props.directives.slice(0, 15).map((d) => ({
    label: `${d.number ? `${d.number} ` : ""}${d.title}`,
    value: d.readRate ?? 0,
    text: `${formatRate(d.readRate)} (${formatCount(d.read, locale)}/${formatCount(d.delivered, locale)})`,
  }));
  return (
    <Bars
      title={t("admin_reports.chart_directives")}
      colour="#15803d"
      max={1}
      rows={rows}
      empty={t("admin_reports.chart_no_directives")}
      label={t("admin_reports.chart_list_label", { items: rows.map((r) => `${r.label}: ${r.text}`).join("; ") })}
    />
  );
}

const statusOrder = ["new", "in_progress", "answered", "closed"] as const;
const statusColours: Record<string, string> = {
  new: "#2563eb",
  in_progress: "#d97706",
  answered: "#16a34a",
  closed: "#9ca3af",
};

/** Concerns of the period by category, each bar split by status. */
export function ConcernChart(props: { t: Translate; locale: Locale; concerns: ConcernCount[] }) {
  const { t, locale } = props;
  const byCategory = new Map<string, Map<string, number>>();
  for (const c of props.concerns) {
    let m = byCategory.get(c.category);
    if (!m) byCategory.set(c.category, (m = new Map()));
    m.set(c.status, (m.get(c.status) ?? 0) + c.count);
  }
  const categories = [...byCategory.entries()]
    .map(([category, counts]) => ({ category, counts, total: [...counts.values()].reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.total - a.total);
  const max = Math.max(0, ...categories.map((c) => c.total));
  const width = 640,
    labelW = 190,
    valueW = 80,
    rowH = 26,
    top = 30;
  const barW = width - labelW - valueW;
  const height = top + categories.length * rowH + 6;
  const label = t("admin_reports.chart_list_label", {
    items: categories
      .map(
        (c) =>
          `${t(`reports.category_${c.category}`)}: ${statusOrder.map((s) => `${t(`ykien.status_${s}`)} ${c.counts.get(s) ?? 0}`).join(", ")}`,
      )
      .join("; "),
  });
  return (
    <Frame
      title={t("admin_reports.chart_concerns")}
      label={label}
      width={width}
      height={height}
      empty={categories.length ? undefined : t("admin_reports.chart_no_concerns")}
    >
      {statusOrder.map((s, i) => (
        <>
          <rect x={labelW + i * 110} y={6} width="12" height="12" fill={statusColours[s]} />
          <text x={labelW + i * 110 + 16} y={16} font-size={font} fill={ink}>
            {t(`ykien.status_${s}`)}
          </text>
        </>
      ))}
      {categories.map((c, i) => {
        const yy = top + i * rowH;
        let offset = 0;
        return (
          <>
            <text x={labelW - 8} y={yy + 17} text-anchor="end" font-size={font} fill={ink}>
              {cut(t(`reports.category_${c.category}`), 24)}
            </text>
            {statusOrder.map((s) => {
              const n = c.counts.get(s) ?? 0;
              const w = max > 0 ? (n / max) * barW : 0;
              const rect = n ? (
                <rect
                  x={(labelW + offset).toFixed(1)}
                  y={yy + 4}
                  width={w.toFixed(1)}
                  height={rowH - 8}
                  fill={statusColours[s]}
                >
                  <title>{`${t(`reports.category_${c.category}`)} · ${t(`ykien.status_${s}`)}: ${formatCount(n, locale)}`}</title>
                </rect>
              ) : null;
              offset += w;
              return rect;
            })}
            <text x={labelW + barW + 6} y={yy + 17} font-size={font} fill={ink}>
              {formatCount(c.total, locale)}
            </text>
          </>
        );
      })}
    </Frame>
  );
}

/** The ten units of the subtree with the slowest median first answer. */
export function SlowestChart(props: { t: Translate; locale: Locale; units: SlowUnit[] }) {
  const { t, locale } = props;
  const hours = (ms: number) => Math.round(ms / 360_000) / 10;
  const rows = props.units.map((u) => ({
    label: u.name,
    value: hours(u.medianFirstAnswerMs),
    text: t("admin_reports.hours", { hours: hours(u.medianFirstAnswerMs).toLocaleString(numberLocale(locale)) }),
  }));
  return (
    <Bars
      title={t("admin_reports.chart_slowest")}
      colour="#b45309"
      max={Math.max(0, ...rows.map((r) => r.value))}
      rows={rows}
      empty={t("admin_reports.chart_no_answers")}
      label={t("admin_reports.chart_list_label", { items: rows.map((r) => `${r.label}: ${r.text}`).join("; ") })}
    />
  );
}
