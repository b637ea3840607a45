/**
 * Pieces shared by the directives, reports and audit pages of the workplace: the viewer, the unit
 * picker of a person's scope, number and rate formatting, the "not found" page, and the small
 * script those pages use (the summary's character count, the print button).
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { Locale, Translate } from "../../lib/i18n.ts";
import { fromLocal, parseDateKey, toLocal } from "../../lib/zoned-time.ts";
import { scopeRoots, type Permission } from "../../domain/access/access-scope.ts";
import { listSubtree } from "../../domain/units/unit-service.ts";
import { Layout, type Viewer } from "./layout.tsx";
import type { AdminEnv } from "./admin-auth.ts";

export function viewerOf(c: Context<AdminEnv>): Viewer {
  const s = c.get("signedIn");
  return { personId: s.session.personId, name: s.name, csrfToken: s.session.csrfToken };
}

export function Page(props: { c: Context<AdminEnv>; title: string; children?: Child }) {
  return (
    <Layout t={props.c.get("t")} lang={props.c.get("locale")} title={props.title} viewer={viewerOf(props.c)}>
      {props.children}
    </Layout>
  );
}

/** A page saying something was not found (or is outside the viewer's subtree: the same words). */
export function notFoundPage(c: Context<AdminEnv>, message: string, back?: { href: string; label: string }) {
  return c.html(
    <Page c={c} title={message}>
      <p class="error" role="alert">
        {message}
      </p>
      {back ? (
        <p>
          <a href={back.href}>{back.label}</a>
        </p>
      ) : null}
    </Page>,
    404,
  );
}

/** A positive id from a URL part, or NaN. */
export const idParam = (value: string | undefined): number => (/^\d{1,9}$/.test(value ?? "") ? Number(value) : NaN);

export interface PickerUnit {
  id: number;
  name: string;
  depth: number;
}

/**
 * The units of the person's scope for a permission, top-most first in tree order, for a <select>
 * (large trees: the first 2,000; deeper units are reached by drilling down).
 */
export async function scopeUnits(
  c: Context<AdminEnv>,
  db: Parameters<typeof scopeRoots>[0],
  permission: Permission,
): Promise<PickerUnit[]> {
  const roots = await scopeRoots(db, viewerOf(c).personId, permission);
  const units: PickerUnit[] = [];
  for (const root of roots) {
    if (units.length >= 2000) break;
    units.push(...(await listSubtree(db, root.unitId)).slice(0, 2000 - units.length));
  }
  return units;
}

export function UnitOptions(props: { units: PickerUnit[]; selected?: number }) {
  const minDepth = props.units.length ? Math.min(...props.units.map((u) => u.depth)) : 0;
  return (
    <>
      {props.units.map((u) => (
        <option value={String(u.id)} selected={props.selected === u.id}>
          {"\u00a0\u00a0".repeat(u.depth - minDepth) + u.name}
        </option>
      ))}
    </>
  );
}

export function numberLocale(locale: Locale | string): string {
  return locale === "vi" ? "vi-VN" : "en-GB";
}

/** 1234 → "1.234" (vi) / "1,234" (en). */
export function formatCount(n: number, locale: Locale | string): string {
  return n.toLocaleString(numberLocale(locale));
}

/** 0.456 → "46%"; null → "—". */
export function formatRate(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)}%`;
}

/** Hours with one decimal ("12,5 giờ"), or "—". */
export function formatHours(ms: number | null, t: Translate, locale: Locale | string): string {
  if (ms === null) return "—";
  return t("admin_reports.hours", { hours: (Math.round(ms / 360_000) / 10).toLocaleString(numberLocale(locale)) });
}

/** A bar showing a rate, with the figure written next to it. */
export function RateBar(props: { rate: number | null; label?: string }) {
  const pct = props.rate === null ? 0 : Math.max(0, Math.min(100, Math.round(props.rate * 100)));
  return (
    <span class="ratebar">
      <span class="ratebar-track" aria-hidden="true">
        <span class="ratebar-fill" style={`width:${pct}%`}></span>
      </span>
      <span>{props.label ?? formatRate(props.rate)}</span>
    </span>
  );
}

/** Styles of these pages (the layout's own stay in layout.tsx). */
export const oversightStyles = `
.ratebar{display:inline-flex;align-items:center;gap:.4rem;white-space:nowrap}
.ratebar-track{display:inline-block;width:6rem;height:.7rem;background:#e5e7eb;border-radius:.35rem;overflow:hidden}
.ratebar-fill{display:block;height:100%;background:#15803d}
.figures{display:flex;flex-wrap:wrap;gap:.5rem 1rem;margin:.5rem 0}
.figures div{background:#fff;border:1px solid var(--line);border-radius:.5rem;padding:.4rem .8rem;min-width:8rem}
.figures strong{display:block;font-size:1.4rem}
.scroll{overflow-x:auto}
.bubble{white-space:pre-wrap;background:#fff;border:1px solid var(--line);border-radius:.8rem;padding:.6rem .8rem;max-width:34rem;font-size:1rem}
.bubble-buttons{display:flex;gap:.4rem;margin-top:.4rem}
.bubble-buttons span{border:1px solid #93c5fd;background:#eff6ff;border-radius:.4rem;padding:.2rem .8rem;font-size:.95rem}
.previews{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:1rem}
.counter.warn{color:var(--warn);font-weight:600}.counter.over{color:var(--red);font-weight:700}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,32rem),1fr));gap:1rem}
.chart svg{width:100%;max-width:44rem;height:auto;font-family:inherit}
tr.own td{font-weight:700}
td.num,th.num{text-align:right;white-space:nowrap}
@media print{header,nav,.no-print{display:none!important}body{background:#fff;font-size:12pt}main{max-width:none;padding:0}.card{border:0;padding:0}}
`;

export function OversightStyles() {
  return <style>{oversightStyles}</style>;
}

/** The start of a "YYYY-MM-DD" day in the zone (`plusDays` later), or undefined. */
export function dayStart(key: string | undefined, zone: string, plusDays = 0): Date | undefined {
  const d = key ? parseDateKey(key) : null;
  if (!d) return undefined;
  return new Date(fromLocal({ ...d, hour: 0, minute: 0 }, zone).getTime() + plusDays * 86_400_000);
}

/** "YYYY-MM-DD" of an instant in the zone. */
export function dayKey(instant: number, zone: string): string {
  const l = toLocal(new Date(instant), zone);
  return `${l.year}-${String(l.month).padStart(2, "0")}-${String(l.day).padStart(2, "0")}`;
}

/** The script of these pages: served by us (the CSP allows no inline script). */
export const oversightScript = `
(function(){
  function count(el){
    var out=document.getElementById(el.getAttribute('data-count-into'));if(!out)return;
    var n=el.value.normalize('NFC').replace(/\\r\\n?/g,'\\n').replace(/[ \\t\\u00a0]+/g,' ').replace(/ *\\n */g,'\\n').replace(/\\n{3,}/g,'\\n\\n').trim().length;
    var warn=+el.getAttribute('data-warn'),max=+el.getAttribute('data-max');
    out.textContent=out.getAttribute('data-template').replace('{count}',n.toLocaleString(document.documentElement.lang==='vi'?'vi-VN':'en-GB'));
    out.className='counter'+(n>max?' over':n>warn?' warn':'');
  }
  document.addEventListener('input',function(e){var el=e.target;if(el&&el.hasAttribute&&el.hasAttribute('data-count-into'))count(el);});
  document.addEventListener('click',function(e){var el=e.target;if(el&&el.closest&&el.closest('[data-print]')){e.preventDefault();window.print();}});
  document.addEventListener('DOMContentLoaded',function(){document.querySelectorAll('[data-count-into]').forEach(count);});
})();
`;
