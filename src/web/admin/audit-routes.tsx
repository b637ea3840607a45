/**
 * The audit log of the viewer's subtree (nhật ký thao tác): who did what, when, from chat, web,
 * CLI or the API, filtered by who, action, source and dates, a page at a time. The domain
 * (queryAuditLog) checks "read" on the unit, so another subtree's log cannot be opened by URL.
 */
import type { Context, Hono } from "hono";
import { isAppError } from "../../lib/app-error.ts";
import { errorText, type Translate } from "../../lib/i18n.ts";
import { formatMeetingTime } from "../../lib/zoned-time.ts";
import { personActor } from "../../domain/access/actor.ts";
import { queryAuditLog, type AuditPage, type AuditQuery, type AuditRow } from "../../domain/audit/audit-query.ts";
import { auditActorChoices } from "../../domain/audit/audit-actors.ts";
import type { AuditSource } from "../../domain/audit/audit-service.ts";
import type { AdminEnv, AdminOptions } from "./admin-auth.ts";
import {
  Page,
  OversightStyles,
  dayStart,
  idParam,
  notFoundPage,
  scopeUnits,
  UnitOptions,
  viewerOf,
  formatCount,
} from "./oversight-common.tsx";

const pageSize = 50;
const sources: readonly AuditSource[] = ["chat", "web", "cli", "api", "system"];
/** The action groups of the filter (an action's prefix up to its dot). */
const actionGroups = [
  "ticket.",
  "directive.",
  "meeting.",
  "series.",
  "rsvp.",
  "reminder_plan.",
  "membership.",
  "members.",
  "roster.",
  "rights.",
  "unit.",
  "codes.",
  "account.",
  "group.",
  "web.",
  "api_token.",
] as const;

function actionLabel(t: Translate, action: string): string {
  const key = `admin_audit.action.${action.replace(/\./g, "_")}`;
  const label = t(key);
  return label === key ? action : label;
}

function entityLink(row: AuditRow): string | undefined {
  if (row.entityId === null) return undefined;
  if (row.entityType === "Ticket") return `/admin/tickets/${row.entityId}`;
  if (row.entityType === "Directive") return `/admin/directives/${row.entityId}`;
  if (row.entityType === "Unit") return `/admin/units/${row.entityId}`;
  return undefined;
}

/** A short line of the detail's plain values ("count: 3 · unitId: 12"). */
function detailText(detail: Record<string, unknown> | null): string {
  if (!detail) return "";
  return Object.entries(detail)
    .filter(([, v]) => v !== null && (typeof v === "string" || typeof v === "number" || typeof v === "boolean"))
    .slice(0, 6)
    .map(([k, v]) => `${k}: ${String(v).slice(0, 80)}`)
    .join(" · ");
}

/** Mounts /admin/audit. */
export function mountAudit(app: Hono<AdminEnv>, options: AdminOptions & { timeZone: string }): void {
  const { db, timeZone } = options;

  app.get("/admin/audit", async (c: Context<AdminEnv>) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const q = c.req.query();
    const units = await scopeUnits(c, db, "read");
    if (!units.length && !q.unit) return notFoundPage(c, t("admin_audit.not_found"));
    const unitId = q.unit ? idParam(q.unit) : units[0]!.id;
    if (Number.isNaN(unitId)) return notFoundPage(c, t("admin_audit.not_found"));
    const actor = personActor(viewerOf(c).personId, "web");
    const page = Math.max(1, Math.min(100_000, idParam(q.page) || 1));
    const query: AuditQuery = { unitId, page, pageSize };
    const who = idParam(q.who);
    if (!Number.isNaN(who)) query.actorPersonId = who;
    if ((actionGroups as readonly string[]).includes(q.action ?? "") || /^[a-z_]+\.[a-z_]+$/.test(q.action ?? ""))
      query.action = q.action;
    const source = sources.find((s) => s === q.source);
    if (source) query.source = source;
    query.from = dayStart(q.from, timeZone);
    query.to = dayStart(q.to, timeZone, 1);
    let result: AuditPage;
    let choices;
    try {
      result = await queryAuditLog(db, actor, query);
      choices = await auditActorChoices(db, actor, unitId);
    } catch (e) {
      if (!isAppError(e)) throw e;
      if (e.code === "forbidden" || e.code === "unit_not_found") return notFoundPage(c, t("admin_audit.not_found"));
      return c.html(
        <Page c={c} title={t("admin_audit.title")}>
          <p class="error" role="alert">
            {errorText(t, e)}
          </p>
        </Page>,
        400,
      );
    }
    const pages = Math.max(1, Math.ceil(result.total / pageSize));
    const link = (p: number) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...q, page: String(p) })) if (v) params.set(k, v);
      return `/admin/audit?${params.toString()}`;
    };
    return c.html(
      <Page c={c} title={t("admin_audit.title")}>
        <OversightStyles />
        <h1>{t("admin_audit.title")}</h1>
        <form method="get" action="/admin/audit" class="card" role="search">
          <div class="row">
            <div>
              <label for="unit">{t("admin_audit.unit")}</label>
              <select id="unit" name="unit" style="max-width:20rem">
                <UnitOptions units={units} selected={unitId} />
              </select>
            </div>
            <div>
              <label for="who">{t("admin_audit.who")}</label>
              <select id="who" name="who" style="max-width:16rem">
                <option value="">{t("admin_audit.anyone")}</option>
                {choices.map((p) => (
                  <option value={String(p.personId)} selected={query.actorPersonId === p.personId}>
                    {p.fullName}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="action">{t("admin_audit.action_filter")}</label>
              <select id="action" name="action">
                <option value="">{t("admin_audit.any_action")}</option>
                {actionGroups.map((g) => (
                  <option value={g} selected={q.action === g}>
                    {t(`admin_audit.group.${g.slice(0, -1)}`)}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="source">{t("admin_audit.source")}</label>
              <select id="source" name="source">
                <option value="">{t("admin_audit.any_source")}</option>
                {sources.map((s) => (
                  <option value={s} selected={q.source === s}>
                    {t(`admin_audit.source_${s}`)}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="from">{t("admin_audit.from")}</label>
              <input id="from" name="from" type="date" value={q.from ?? ""} />
            </div>
            <div>
              <label for="to">{t("admin_audit.to")}</label>
              <input id="to" name="to" type="date" value={q.to ?? ""} />
            </div>
            <div style="min-width:auto">
              <button type="submit">{t("admin_audit.apply")}</button>{" "}
              <a href="/admin/audit">{t("admin_audit.clear")}</a>
            </div>
          </div>
        </form>
        <p class="mute">{t("admin_audit.count", { count: formatCount(result.total, locale) })}</p>
        {result.rows.length ? (
          <div class="scroll">
            <table id="audit">
              <thead>
                <tr>
                  <th>{t("admin_audit.col_when")}</th>
                  <th>{t("admin_audit.col_who")}</th>
                  <th>{t("admin_audit.col_source")}</th>
                  <th>{t("admin_audit.col_action")}</th>
                  <th>{t("admin_audit.col_what")}</th>
                  <th class="hide-small">{t("admin_audit.col_unit")}</th>
                  <th class="hide-small">{t("admin_audit.col_detail")}</th>
                </tr>
              </thead>
              <tbody>
                {result.rows.map((r) => {
                  const href = entityLink(r);
                  const what = r.entityType
                    ? `${t(`admin_audit.entity_${r.entityType}`) === `admin_audit.entity_${r.entityType}` ? r.entityType : t(`admin_audit.entity_${r.entityType}`)}${r.entityId !== null ? ` #${r.entityId}` : ""}`
                    : "";
                  return (
                    <tr data-action={r.action} data-source={r.source}>
                      <td style="white-space:nowrap">{formatMeetingTime(new Date(r.createdAt), timeZone, locale)}</td>
                      <td>{r.actorName ?? t("admin_audit.system")}</td>
                      <td>{t(`admin_audit.source_${r.source}`)}</td>
                      <td>{actionLabel(t, r.action)}</td>
                      <td>{href ? <a href={href}>{what}</a> : what}</td>
                      <td class="hide-small">{r.unitName ?? ""}</td>
                      <td class="hide-small mute" style="font-size:.9rem">
                        {detailText(r.detail)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="card">{t("admin_audit.none")}</p>
        )}
        <nav class="pager" aria-label={t("admin.pages")}>
          {page > 1 ? (
            <a href={link(page - 1)} rel="prev">
              ← {t("admin.page_prev")}
            </a>
          ) : null}
          <span class="mute">{t("admin_audit.page_of", { page, pages })}</span>
          {page < pages ? (
            <a href={link(page + 1)} rel="next">
              {t("admin.page_next")} →
            </a>
          ) : null}
        </nav>
      </Page>,
    );
  });
}
