/**
 * Directives (văn bản) in the workplace: the subtree's list with read rates, the composer (live
 * character count, a preview as members will see it on each platform, the reach per unit), sending
 * with live progress, read rates rolled up the tree with drill-down to the members who have not
 * read, and "remind those who have not read" now. The same domain functions as chat, with the
 * signed-in person as the actor and "web" as the audit source.
 */
import type { Context, Hono } from "hono";
import { isAppError } from "../../lib/app-error.ts";
import { errorText, type Locale, type Translate } from "../../lib/i18n.ts";
import { formatDate, formatMeetingTime } from "../../lib/zoned-time.ts";
import { personActor, actorCan } from "../../domain/access/actor.ts";
import { scopeRoots } from "../../domain/access/access-scope.ts";
import { findUnit, listAncestors } from "../../domain/units/unit-service.ts";
import {
  createDirective,
  defaultReminderDays,
  directiveKinds,
  directiveProgress,
  getDirective,
  maxReminderDays,
  sendDirective,
  summaryMaxLength,
  summaryWarnLength,
  tidyDirective,
  type DirectiveInput,
  type DirectiveKind,
  type DirectiveRow,
} from "../../domain/directives/directive-service.ts";
import { readRates } from "../../domain/directives/read-rates.ts";
import {
  directiveNonReaders,
  directiveReach,
  listSubtreeDirectives,
  openDirective,
  remindableCount,
  remindNonReadersNow,
  type DirectiveView,
} from "../../domain/directives/directive-oversight.ts";
import type { Channel } from "../../channels/channel.ts";
import type { AdminEnv, AdminOptions } from "./admin-auth.ts";
import {
  Page,
  OversightStyles,
  RateBar,
  formatCount,
  formatRate,
  idParam,
  notFoundPage,
  scopeUnits,
  UnitOptions,
  viewerOf,
} from "./oversight-common.tsx";
import { platformPreviews, Previews, ReachTable } from "./directive-preview.tsx";

const listPageSize = 25;
const nonReaderPageSize = 50;
const DAY_MS = 86_400_000;

export interface DirectiveRouteOptions extends AdminOptions {
  timeZone: string;
  channels: readonly Channel[];
  /** Runs the clock's due jobs now (a reminder brought forward); otherwise the next minute's tick does. */
  runJobsNow?: () => void;
}

type Form = Record<string, string>;

function formOf(body: Record<string, unknown>): Form {
  const out: Form = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

function isKind(value: string | undefined): value is DirectiveKind {
  return (directiveKinds as readonly string[]).includes(value ?? "");
}

/** The composer's fields as the domain takes them (the unit is checked by the domain). */
function composerInput(form: Form, personId: number): DirectiveInput {
  const reminderDays = /^\d{1,2}$/.test(form.reminderDays ?? "") ? Number(form.reminderDays) : defaultReminderDays;
  return {
    unitId: idParam(form.unit),
    kind: isKind(form.kind) ? form.kind : "thong_bao",
    number: form.number ?? "",
    issuer: form.issuer ?? "",
    title: form.title ?? "",
    summary: form.summary ?? "",
    link: form.link ?? "",
    reminderDays,
    createdById: personId,
    source: "web",
  };
}

/** A stored-looking directive for rendering a preview of what is being composed. */
function previewRow(fields: ReturnType<typeof tidyDirective>, unitId: number): DirectiveRow {
  return {
    ...fields,
    id: 0,
    unitId,
    organisationId: null,
    status: "draft",
    createdById: null,
    createdAt: 0,
    sentAt: null,
  };
}

function kindLabel(t: Translate, kind: string): string {
  return t(`directives.kind.${kind}`);
}

function StatusBadge(props: { t: Translate; status: string }) {
  const cls = props.status === "draft" ? "new" : props.status === "sending" ? "in_progress" : "answered";
  return <span class={`badge ${cls}`}>{props.t(`admin_directives.status_${props.status}`)}</span>;
}

function Script() {
  return <script src="/admin/assets/oversight.js" defer></script>;
}

/** Mounts /admin/directives and its pages. */
export function mountDirectives(app: Hono<AdminEnv>, options: DirectiveRouteOptions): void {
  const { db, timeZone } = options;
  const now = () => options.now?.() ?? new Date();
  const actorOf = (c: Context<AdminEnv>) => personActor(viewerOf(c).personId, "web");
  const notFound = (c: Context<AdminEnv>) =>
    notFoundPage(c, c.get("t")("admin_directives.not_found"), {
      href: "/admin/directives",
      label: c.get("t")("admin_directives.back_to_list"),
    });

  // ── The list ────────────────────────────────────────────────────────────────────────────────
  app.get("/admin/directives", async (c) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const viewer = viewerOf(c);
    const units = await scopeUnits(c, db, "read");
    if (!units.length) return notFound(c);
    const wanted = idParam(c.req.query("unit"));
    const unitId = Number.isNaN(wanted) ? units[0]!.id : wanted;
    const offset = Math.max(0, Math.min(100_000, idParam(c.req.query("offset")) || 0));
    let list;
    try {
      list = await listSubtreeDirectives(db, actorOf(c), unitId, { limit: listPageSize, offset });
    } catch (e) {
      if (isAppError(e, "forbidden") || isAppError(e, "unit_not_found")) return notFound(c);
      throw e;
    }
    const canCompose = (await scopeRoots(db, viewer.personId, "send_directives")).length > 0;
    return c.html(
      <Page c={c} title={t("admin_directives.title")}>
        <OversightStyles />
        <h1>{t("admin_directives.title")}</h1>
        <form method="get" action="/admin/directives" class="card row">
          <div>
            <label for="unit">{t("admin_directives.unit")}</label>
            <select id="unit" name="unit" style="max-width:22rem">
              <UnitOptions units={units} selected={unitId} />
            </select>
          </div>
          <div style="min-width:auto">
            <button type="submit" class="secondary">
              {t("admin_directives.show")}
            </button>
          </div>
          {canCompose ? (
            <div style="min-width:auto;margin-left:auto">
              <a class="button" href={`/admin/directives/new?unit=${unitId}`}>
                {t("admin_directives.compose")}
              </a>
            </div>
          ) : null}
        </form>
        {list.rows.length ? (
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>{t("admin_directives.col_directive")}</th>
                  <th class="hide-small">{t("admin_directives.col_from")}</th>
                  <th>{t("admin_directives.col_sent")}</th>
                  <th class="num">{t("admin_directives.col_audience")}</th>
                  <th>{t("admin_directives.col_read_rate")}</th>
                </tr>
              </thead>
              <tbody>
                {list.rows.map((d) => (
                  <tr>
                    <td>
                      <a href={`/admin/directives/${d.id}?unit=${unitId}`}>{d.title}</a>
                      <div class="mute">
                        {kindLabel(t, d.kind)}
                        {d.number ? ` ${d.number}` : ""}
                        {d.issuer ? ` · ${d.issuer}` : ""}
                      </div>
                    </td>
                    <td class="hide-small">{d.unitName}</td>
                    <td>
                      {d.sentAt ? formatDate(new Date(d.sentAt), timeZone) : <StatusBadge t={t} status={d.status} />}
                    </td>
                    <td class="num">{d.status === "draft" ? "—" : formatCount(d.audience, locale)}</td>
                    <td>
                      {d.status === "draft" ? (
                        "—"
                      ) : (
                        <span
                          hx-get={`/admin/directives/${d.id}/rate?unit=${unitId}`}
                          hx-trigger="load"
                          hx-swap="outerHTML"
                        >
                          {t("admin_directives.counting")}
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="card">{t("admin_directives.none")}</p>
        )}
        <nav class="pager" aria-label={t("admin.pages")}>
          {offset > 0 ? (
            <a href={`/admin/directives?unit=${unitId}&offset=${Math.max(0, offset - listPageSize)}`} rel="prev">
              ← {t("admin.page_prev")}
            </a>
          ) : null}
          {list.more ? (
            <a href={`/admin/directives?unit=${unitId}&offset=${offset + listPageSize}`} rel="next">
              {t("admin.page_next")} →
            </a>
          ) : null}
        </nav>
      </Page>,
    );
  });

  /** The read rate of one directive over a unit's subtree (the list's cells, loaded one by one). */
  app.get("/admin/directives/:id/rate", async (c) => {
    const id = idParam(c.req.param("id"));
    const unitId = idParam(c.req.query("unit"));
    try {
      if (Number.isNaN(id)) throw new Error("bad id");
      const actor = actorOf(c);
      // A directive of a unit below the one listed is looked at from its own unit.
      const view = await openDirective(db, actor, id, Number.isNaN(unitId) ? undefined : unitId).catch(() =>
        openDirective(db, actor, id),
      );
      const root = (await readRates(db, view.unit.id, { directiveId: id }))[0]!;
      const locale = c.get("locale");
      return c.html(
        <RateBar
          rate={root.rateTotal}
          label={`${formatRate(root.rateTotal)} (${formatCount(root.readTotal, locale)}/${formatCount(root.deliveredTotal, locale)})`}
        />,
      );
    } catch (e) {
      if (isAppError(e) || (e instanceof Error && e.message === "bad id")) return c.text("—", 404);
      throw e;
    }
  });

  // ── The composer ────────────────────────────────────────────────────────────────────────────
  const composer = async (c: Context<AdminEnv>, form: Form, error?: string, status: 200 | 400 | 403 = 200) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const viewer = viewerOf(c);
    const units = await scopeUnits(c, db, "send_directives");
    if (!units.length) return notFound(c);
    const unitId = idParam(form.unit);
    const selected = units.some((u) => u.id === unitId) ? unitId : units[0]!.id;
    const counterTemplate = t("admin_directives.summary_count", {
      count: "{count}",
      warn: formatCount(summaryWarnLength, locale),
      max: formatCount(summaryMaxLength, locale),
    });
    return c.html(
      <Page c={c} title={t("admin_directives.compose_title")}>
        <OversightStyles />
        <Script />
        <p>
          <a href="/admin/directives">← {t("admin_directives.back_to_list")}</a>
        </p>
        <h1>{t("admin_directives.compose_title")}</h1>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <div class="grid">
          <form id="composer" method="post" action="/admin/directives" class="card">
            <input type="hidden" name="_csrf" value={viewer.csrfToken} />
            <label for="unit">{t("admin_directives.field_unit")}</label>
            <select id="unit" name="unit" style="max-width:100%">
              <UnitOptions units={units} selected={selected} />
            </select>
            <p class="mute" style="margin:.2rem 0">
              {t("admin_directives.field_unit_help")}
            </p>
            <div class="row">
              <div>
                <label for="kind">{t("admin_directives.field_kind")}</label>
                <select id="kind" name="kind">
                  {directiveKinds.map((k) => (
                    <option value={k} selected={form.kind === k}>
                      {kindLabel(t, k)}
                    </option>
                  ))}
                </select>
              </div>
              <div>
                <label for="number">{t("admin_directives.field_number")}</label>
                <input id="number" name="number" value={form.number ?? ""} maxlength={80} placeholder="784-QĐ/TU" />
              </div>
              <div style="flex:1 1 14rem">
                <label for="issuer">{t("admin_directives.field_issuer")}</label>
                <input
                  id="issuer"
                  name="issuer"
                  value={form.issuer ?? ""}
                  maxlength={200}
                  style="width:100%"
                  placeholder={t("admin_directives.field_issuer_hint")}
                />
              </div>
            </div>
            <label for="title">{t("admin_directives.field_title")}</label>
            <input id="title" name="title" value={form.title ?? ""} maxlength={300} required style="width:100%" />
            <label for="summary">{t("admin_directives.field_summary")}</label>
            <textarea
              id="summary"
              name="summary"
              required
              style="min-height:12rem"
              data-count-into="summary-count"
              data-warn={String(summaryWarnLength)}
              data-max={String(summaryMaxLength)}
              aria-describedby="summary-count summary-help"
            >
              {form.summary ?? ""}
            </textarea>
            <p style="margin:.2rem 0">
              <output id="summary-count" class="counter" data-template={counterTemplate} aria-live="polite">
                {counterTemplate.replace("{count}", formatCount((form.summary ?? "").trim().length, locale))}
              </output>
            </p>
            <p id="summary-help" class="mute" style="margin:.2rem 0">
              {t("admin_directives.field_summary_help", {
                warn: formatCount(summaryWarnLength, locale),
                max: formatCount(summaryMaxLength, locale),
              })}
            </p>
            <label for="link">{t("admin_directives.field_link")}</label>
            <input
              id="link"
              name="link"
              type="url"
              value={form.link ?? ""}
              maxlength={500}
              style="width:100%"
              placeholder="https://"
            />
            <label for="reminderDays">{t("admin_directives.field_reminder_days")}</label>
            <input
              id="reminderDays"
              name="reminderDays"
              type="number"
              min={1}
              max={maxReminderDays}
              value={form.reminderDays ?? String(defaultReminderDays)}
              style="width:6rem"
            />
            <p>
              <button type="submit">{t("admin_directives.to_preview")}</button>
            </p>
          </form>
          <aside>
            <div
              id="reach"
              class="card"
              hx-get="/admin/directives/reach"
              hx-include="#unit"
              hx-trigger="load, change from:#unit"
              aria-live="polite"
            >
              <p class="mute">{t("admin_directives.counting")}</p>
            </div>
          </aside>
        </div>
        <section
          id="preview"
          class="card"
          hx-post="/admin/directives/preview"
          hx-include="#composer"
          hx-trigger="load, input delay:700ms from:#composer, change from:#composer"
          aria-live="polite"
        >
          <p class="mute">{t("admin_directives.preview_empty")}</p>
        </section>
      </Page>,
      status,
    );
  };

  app.get("/admin/directives/new", async (c) => {
    const from = idParam(c.req.query("from"));
    const form: Form = { unit: c.req.query("unit") ?? "" };
    if (!Number.isNaN(from)) {
      try {
        const view = await openDirective(db, actorOf(c), from);
        if (view.canSend) {
          const d = view.directive;
          Object.assign(form, {
            unit: String(d.unitId),
            kind: d.kind,
            number: d.number,
            issuer: d.issuer,
            title: d.title,
            summary: d.summary,
            link: d.link ?? "",
            reminderDays: String(d.reminderDays),
          });
        }
      } catch (e) {
        if (!isAppError(e)) throw e;
      }
    }
    return composer(c, form);
  });

  /** The live preview while composing: nothing is stored. */
  app.post("/admin/directives/preview", async (c) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const form = formOf(await c.req.parseBody());
    const input = composerInput(form, viewerOf(c).personId);
    if (!input.title.trim() && !input.summary.trim())
      return c.html(<p class="mute">{t("admin_directives.preview_empty")}</p>);
    let fields;
    try {
      fields = tidyDirective({
        ...input,
        title: input.title.trim() ? input.title : "…",
        summary: input.summary.trim() ? input.summary : "…",
      });
    } catch (e) {
      if (!isAppError(e)) throw e;
      return c.html(
        <p class="error" role="alert">
          {errorText(t, e)}
        </p>,
      );
    }
    return c.html(
      <PreviewBody t={t} locale={locale} row={previewRow(fields, input.unitId)} warnings={fields.warnings} />,
    );
  });

  const PreviewBody = (props: { t: Translate; locale: Locale; row: DirectiveRow; warnings: string[] }) => {
    const { t, locale, row } = props;
    return (
      <>
        <h2 style="font-size:1.15rem;margin-top:0">{t("admin_directives.preview_title")}</h2>
        <p>
          <span
            class={`counter${row.summary.length > summaryMaxLength ? " over" : row.summary.length > summaryWarnLength ? " warn" : ""}`}
          >
            {t("admin_directives.summary_count", {
              count: formatCount(row.summary.length, locale),
              warn: formatCount(summaryWarnLength, locale),
              max: formatCount(summaryMaxLength, locale),
            })}
          </span>
        </p>
        {props.warnings.includes("summary_long") ? (
          <p class="error">{t("admin_directives.summary_long", { warn: formatCount(summaryWarnLength, locale) })}</p>
        ) : null}
        <Previews t={t} previews={platformPreviews(row, locale, options.channels)} />
      </>
    );
  };

  /** The reach of the unit chosen in the composer. */
  app.get("/admin/directives/reach", async (c) => {
    const t = c.get("t");
    const unitId = idParam(c.req.query("unit"));
    try {
      if (Number.isNaN(unitId)) throw new Error("bad id");
      const reach = await directiveReach(db, actorOf(c), unitId);
      const unit = await findUnit(db, unitId);
      return c.html(<ReachTable t={t} locale={c.get("locale")} reach={reach} unitName={unit.name} />);
    } catch (e) {
      if (isAppError(e) || (e instanceof Error && e.message === "bad id"))
        return c.html(<p class="error">{t("admin_directives.unit_not_allowed")}</p>, 404);
      throw e;
    }
  });

  /** Stores the draft (as chat does at its preview) and shows it with the send button. */
  app.post("/admin/directives", async (c) => {
    const form = formOf(await c.req.parseBody());
    const input = composerInput(form, viewerOf(c).personId);
    try {
      if (Number.isNaN(input.unitId)) throw new Error("bad unit");
      const draft = await createDirective(db, input, now());
      return c.redirect(`/admin/directives/${draft.id}`, 303);
    } catch (e) {
      if (e instanceof Error && e.message === "bad unit")
        return composer(c, form, c.get("t")("admin_directives.unit_not_allowed"), 400);
      if (!isAppError(e)) throw e;
      if (e.code === "forbidden" || e.code === "unit_not_found")
        return composer(c, form, c.get("t")("admin_directives.unit_not_allowed"), 403);
      return composer(c, form, errorText(c.get("t"), e), 400);
    }
  });

  // ── A directive's page ──────────────────────────────────────────────────────────────────────
  const openOr404 = async (c: Context<AdminEnv>): Promise<DirectiveView | undefined> => {
    const id = idParam(c.req.param("id"));
    if (Number.isNaN(id)) return undefined;
    const unit = c.req.query("unit");
    try {
      return await openDirective(db, actorOf(c), id, unit === undefined ? undefined : idParam(unit));
    } catch (e) {
      if (isAppError(e, "not_found") || isAppError(e, "unit_not_found") || isAppError(e, "forbidden")) return undefined;
      throw e;
    }
  };

  const pageOffset = (c: Context<AdminEnv>) => Math.max(0, Math.min(1_000_000, idParam(c.req.query("offset")) || 0));

  /**
   * Progress (at the directive's own unit), read rates of the viewed subtree, "remind now" and
   * who has not read: polled while the page is open, so everything moves together.
   */
  const liveSection = async (c: Context<AdminEnv>, view: DirectiveView, offset: number) => {
    const started = performance.now();
    const t = c.get("t");
    const locale = c.get("locale");
    const csrf = <input type="hidden" name="_csrf" value={viewerOf(c).csrfToken} />;
    const d = view.directive;
    // Progress first: copies are only ever delivered and read, never undone, so everything read
    // after it (read rates, who has not read) is at least as far along, and the page never shows
    // "3 delivered" beside a read rate that has seen none of them.
    const progress = view.unit.id === d.unitId ? await directiveProgress(db, d.id) : undefined;
    const nonReaders = await directiveNonReaders(db, {
      actor: actorOf(c),
      directiveId: view.directive.id,
      unitId: view.unit.id,
      page: {
        limit: nonReaderPageSize,
        offset,
      },
    });
    const remindable = view.canSend ? await remindableCount(db, view.directive.id) : 0;
    const n = (v: number) => formatCount(v, locale);
    const rates = await readRates(db, view.unit.id, { directiveId: d.id });
    const root = rates[0]!;
    const children = rates.filter((r) => r.parentId === view.unit.id);
    const live = d.status === "sending" || !progress || !progress.done;
    // Polling costs what this took (a province's directive: seconds): poll at most a fifth of the time.
    const tookS = (performance.now() - started) / 1000;
    const every = Math.min(60, Math.max(live ? 3 : 10, Math.ceil(tookS * 5)));
    const autoReminderAt = d.sentAt !== null ? d.sentAt + d.reminderDays * DAY_MS : null;
    return (
      <section
        id="live"
        hx-get={`/admin/directives/${d.id}/live?unit=${view.unit.id}&offset=${offset}`}
        hx-trigger={`every ${every}s`}
        hx-swap="outerHTML"
        aria-live="polite"
      >
        {progress ? (
          <div class="figures" id="progress">
            <div>
              <span>{t("admin_directives.fig_total")}</span>
              <strong data-figure="total">{n(progress.total)}</strong>
            </div>
            <div>
              <span>{t("admin_directives.fig_queued")}</span>
              <strong data-figure="queued">{n(progress.queued)}</strong>
            </div>
            <div>
              <span>{t("admin_directives.fig_delivered")}</span>
              <strong data-figure="delivered">{n(progress.sent)}</strong>
            </div>
            <div>
              <span>{t("admin_directives.fig_unreachable")}</span>
              <strong data-figure="unreachable">{n(progress.unreachable + progress.failed)}</strong>
            </div>
            <div>
              <span>{t("admin_directives.fig_not_linked")}</span>
              <strong data-figure="not_linked">{n(progress.notLinked)}</strong>
            </div>
            <div>
              <span>{t("admin_directives.fig_read")}</span>
              <strong data-figure="read">{n(progress.read)}</strong>
            </div>
            <div>
              <span>{t("admin_directives.fig_read_rate")}</span>
              <strong data-figure="read_rate">{formatRate(root.rateTotal)}</strong>
            </div>
          </div>
        ) : (
          <div class="figures" id="progress">
            <div>
              <span>{t("admin_directives.fig_delivered")}</span>
              <strong data-figure="delivered">{n(root.deliveredTotal)}</strong>
            </div>
            <div>
              <span>{t("admin_directives.fig_read")}</span>
              <strong data-figure="read">{n(root.readTotal)}</strong>
            </div>
            <div>
              <span>{t("admin_directives.fig_read_rate")}</span>
              <strong data-figure="read_rate">{formatRate(root.rateTotal)}</strong>
            </div>
          </div>
        )}
        {progress && progress.queued > 0 ? <p class="mute">{t("admin_directives.still_sending")}</p> : null}
        <h2 style="font-size:1.15rem">{t("admin_directives.rates_title", { unit: view.unit.name })}</h2>
        <div class="scroll">
          <table id="rates">
            <thead>
              <tr>
                <th>{t("admin_directives.col_unit")}</th>
                <th class="num">{t("admin_directives.col_delivered")}</th>
                <th class="num">{t("admin_directives.col_read")}</th>
                <th class="num">{t("admin_directives.col_unread")}</th>
                <th>{t("admin_directives.col_read_rate")}</th>
              </tr>
            </thead>
            <tbody>
              <tr class="own">
                <td>
                  {view.unit.name} <span class="mute">{t("admin_directives.whole_subtree")}</span>
                </td>
                <td class="num">{n(root.deliveredTotal)}</td>
                <td class="num">{n(root.readTotal)}</td>
                <td class="num">{n(root.deliveredTotal - root.readTotal)}</td>
                <td>
                  <RateBar rate={root.rateTotal} />
                </td>
              </tr>
              {root.delivered > 0 && children.length ? (
                <tr>
                  <td>{t("admin_directives.reach_direct", { unit: view.unit.name })}</td>
                  <td class="num">{n(root.delivered)}</td>
                  <td class="num">{n(root.read)}</td>
                  <td class="num">{n(root.delivered - root.read)}</td>
                  <td>
                    <RateBar rate={root.rate} />
                  </td>
                </tr>
              ) : null}
              {children.map((r) => (
                <tr>
                  <td>
                    <a href={`/admin/directives/${d.id}?unit=${r.unitId}`}>{r.name}</a>{" "}
                    <span class="mute">{r.levelLabel}</span>
                  </td>
                  <td class="num">{n(r.deliveredTotal)}</td>
                  <td class="num">{n(r.readTotal)}</td>
                  <td class="num">{n(r.deliveredTotal - r.readTotal)}</td>
                  <td>
                    <RateBar rate={r.rateTotal} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {view.canSend ? (
          <section class="card">
            <h2 style="font-size:1.1rem;margin-top:0">{t("admin_directives.remind_title")}</h2>
            <p>
              {autoReminderAt !== null && autoReminderAt > now().getTime()
                ? t("admin_directives.remind_auto", {
                    when: formatMeetingTime(new Date(autoReminderAt), timeZone, locale),
                  })
                : t("admin_directives.remind_auto_past")}
            </p>
            <form method="post" action={`/admin/directives/${d.id}/remind`}>
              {csrf}
              <button type="submit" disabled={remindable === 0}>
                {t("admin_directives.remind_now", { count: formatCount(remindable, locale) })}
              </button>
            </form>
            <p class="mute">{t("admin_directives.remind_help")}</p>
          </section>
        ) : null}
        <section id="unread">
          <h2 style="font-size:1.15rem">
            {t("admin_directives.unread_title", { unit: view.unit.name, count: formatCount(nonReaders.total, locale) })}
          </h2>
          {nonReaders.rows.length ? (
            <table>
              <thead>
                <tr>
                  <th>{t("admin_directives.col_name")}</th>
                  <th>{t("admin_directives.col_unit")}</th>
                  <th>{t("admin_directives.col_copy")}</th>
                  <th class="hide-small">{t("admin_directives.col_reminded")}</th>
                </tr>
              </thead>
              <tbody>
                {nonReaders.rows.map((r) => (
                  <tr>
                    <td>
                      <a href={`/admin/people/${r.personId}`}>{r.fullName}</a>
                    </td>
                    <td>{r.unitName ?? ""}</td>
                    <td>{t(`admin_directives.copy_${r.copy}`)}</td>
                    <td class="hide-small">{r.remindedAt ? formatDate(new Date(r.remindedAt), timeZone) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p class="card">{t("admin_directives.unread_none")}</p>
          )}
          <nav class="pager" aria-label={t("admin.pages")}>
            {offset > 0 ? (
              <a
                href={`/admin/directives/${d.id}?unit=${view.unit.id}&offset=${Math.max(0, offset - nonReaderPageSize)}#unread`}
                rel="prev"
              >
                ← {t("admin.page_prev")}
              </a>
            ) : null}
            {offset + nonReaders.rows.length < nonReaders.total ? (
              <a
                href={`/admin/directives/${d.id}?unit=${view.unit.id}&offset=${offset + nonReaderPageSize}#unread`}
                rel="next"
              >
                {t("admin.page_next")} →
              </a>
            ) : null}
          </nav>
        </section>
      </section>
    );
  };

  app.get("/admin/directives/:id/live", async (c) => {
    const view = await openOr404(c);
    if (!view || view.directive.status === "draft") return c.text(c.get("t")("admin_directives.not_found"), 404);
    return c.html(await liveSection(c, view, pageOffset(c)));
  });

  app.get("/admin/directives/:id", async (c) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const viewer = viewerOf(c);
    const view = await openOr404(c);
    if (!view) return notFound(c);
    const d = view.directive;
    const csrf = <input type="hidden" name="_csrf" value={viewer.csrfToken} />;
    const done = c.req.query("done");
    const count = c.req.query("count");
    const flash =
      done === "send"
        ? t("admin_directives.done_send")
        : done === "remind"
          ? t("admin_directives.done_remind", {
              count: /^\d+$/.test(count ?? "") ? formatCount(Number(count), locale) : "0",
            })
          : done === "remind_none"
            ? t("admin_directives.done_remind_none")
            : undefined;
    const error = c.req.query("error") === "remind" ? t("admin_directives.remind_failed") : undefined;

    let body;
    if (d.status === "draft") {
      const row = await getDirective(db, d.id);
      const reach = await directiveReach(db, actorOf(c), d.unitId, row.organisationId);
      body = (
        <>
          <section class="card">
            <h2 style="font-size:1.15rem;margin-top:0">{t("admin_directives.preview_title")}</h2>
            <Previews t={t} previews={platformPreviews(row, locale, options.channels)} />
          </section>
          <section class="card">
            <ReachTable t={t} locale={locale} reach={reach} unitName={d.unitName} />
          </section>
          <div class="row">
            <form method="post" action={`/admin/directives/${d.id}/send`}>
              {csrf}
              <button type="submit">
                {t("admin_directives.send_to", { count: formatCount(reach.total, locale) })}
              </button>
            </form>
            <a class="button secondary" href={`/admin/directives/new?from=${d.id}`}>
              {t("admin_directives.edit")}
            </a>
          </div>
          <p class="mute">{t("admin_directives.send_help", { days: d.reminderDays })}</p>
        </>
      );
    } else {
      const home = await findUnit(db, d.unitId);
      const trail = [];
      if (view.unit.id !== d.unitId)
        for (const a of await listAncestors(db, view.unit.id))
          if (a.path.startsWith(home.path) && (await actorCan(db, actorOf(c), "read", a.id))) trail.push(a);
      body = (
        <>
          {trail.length ? (
            <nav aria-label={t("admin.breadcrumb")} class="mute">
              {trail.map((a) => (
                <>
                  <a href={`/admin/directives/${d.id}?unit=${a.id}`}>{a.name}</a> /{" "}
                </>
              ))}
              {view.unit.name}
            </nav>
          ) : null}
          {await liveSection(c, view, pageOffset(c))}
        </>
      );
    }
    return c.html(
      <Page c={c} title={d.title}>
        <OversightStyles />
        <p>
          <a href={`/admin/directives?unit=${view.unit.id}`}>← {t("admin_directives.back_to_list")}</a>
        </p>
        <h1>
          {d.title} <StatusBadge t={t} status={d.status} />
        </h1>
        <p class="mute">
          {kindLabel(t, d.kind)}
          {d.number ? ` ${d.number}` : ""}
          {d.issuer ? ` · ${d.issuer}` : ""} · {d.unitName}
          {d.sentAt
            ? ` · ${t("admin_directives.sent_at", { when: formatMeetingTime(new Date(d.sentAt), timeZone, locale), by: d.createdByName ?? "" })}`
            : ""}
        </p>
        {flash ? (
          <p class="notice" role="status">
            {flash}
          </p>
        ) : null}
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        {body}
      </Page>,
    );
  });

  app.post("/admin/directives/:id/send", async (c) => {
    const view = await openOr404(c);
    if (!view) return notFound(c);
    try {
      await sendDirective(db, view.directive.id, { now: now(), byPersonId: viewerOf(c).personId, source: "web" });
    } catch (e) {
      if (!isAppError(e)) throw e;
      if (e.code === "forbidden" || e.code === "not_found") return notFound(c);
      // Sent already (a second click, another tab): its page shows where it is.
      if (e.code === "conflict") return c.redirect(`/admin/directives/${view.directive.id}`, 303);
      throw e;
    }
    options.onQueued?.();
    return c.redirect(`/admin/directives/${view.directive.id}?done=send`, 303);
  });

  app.post("/admin/directives/:id/remind", async (c) => {
    const view = await openOr404(c);
    if (!view) return notFound(c);
    let count: number;
    try {
      ({ count } = await remindNonReadersNow(db, actorOf(c), view.directive.id, now()));
    } catch (e) {
      if (!isAppError(e)) throw e;
      if (e.code === "forbidden" || e.code === "not_found") return notFound(c);
      return c.redirect(`/admin/directives/${view.directive.id}?error=remind`, 303);
    }
    if (count) options.runJobsNow?.();
    return c.redirect(
      `/admin/directives/${view.directive.id}?${count ? `done=remind&count=${count}` : "done=remind_none"}`,
      303,
    );
  });
}
