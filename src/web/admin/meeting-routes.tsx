/**
 * Meetings in the web workplace: the list (upcoming, past, cancelled) and the month calendar of the
 * signed-in person's subtree with answer counts that refresh by themselves, and the form that
 * creates a meeting or a repeating series with a preview of its dates as it is typed. A meeting's
 * own page is in meeting-page.tsx, the unit's reminder plan in meeting-plan-routes.tsx. Every read
 * and change goes through the domain with the signed-in person as the actor (source "web").
 */
import type { Context, Hono } from "hono";
import { isAppError } from "../../lib/app-error.ts";
import { errorText, type Translate } from "../../lib/i18n.ts";
import {
  daysInMonth,
  epochDay,
  formatClock,
  formatLocalDate,
  formatMeetingTime,
  fromEpochDay,
  fromLocal,
  parseDateKey,
  toLocal,
  weekdayOf,
  dateKey,
  type LocalDate,
} from "../../lib/zoned-time.ts";
import {
  boardViews,
  calendarMeetings,
  listBoardMeetings,
  unitsWithPermission,
  type AnswerCounts,
  type BoardMeeting,
  type BoardView,
  type CalendarDay,
} from "../../domain/meetings/meeting-board.ts";
import {
  createMeeting,
  createSeries,
  DEFAULT_DURATION_MINUTES,
  MAX_AGENDA_LENGTH,
  MAX_PLACE_LENGTH,
  MAX_TITLE_LENGTH,
} from "../../domain/meetings/meeting-service.ts";
import { nextSeriesDates, parseMeetingWhen } from "../../domain/meetings/meeting-when.ts";
import { parseMeetingDateTime } from "../../domain/meetings/parse-datetime.ts";
import { describeRecurrence } from "../../domain/meetings/recurrence.ts";
import { httpStatusOf, type AdminEnv } from "./admin-auth.ts";
import {
  CountBadges,
  formFields,
  idParam,
  MeetingStatus,
  Page,
  SectionLinks,
  unitOptions,
  viewerOf,
  webActor,
  type MeetingOptions,
} from "./meeting-common.tsx";
import { mountMeetingPage } from "./meeting-page.tsx";
import { mountMeetingPlan } from "./meeting-plan-routes.tsx";

const pageSize = 25;
/** A calendar day shows this many meetings, then "+ n more" linking to the day's list. */
const perDay = 4;
const durations = [60, 90, 120, 150, 180, 240];

function queryString(query: Record<string, string>, change: Record<string, string | undefined>): string {
  const merged = { ...query, ...change };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(merged)) if (v !== undefined && v !== "") params.set(k, v);
  return params.toString();
}

function isView(value: string | undefined): value is BoardView {
  return (boardViews as readonly string[]).includes(value ?? "");
}

/** Mounts every meeting page under /admin/meetings. */
export function mountMeetings(app: Hono<AdminEnv>, options: MeetingOptions): void {
  const { db, timeZone } = options;
  const now = () => options.now?.() ?? new Date();

  // ---- the list ----------------------------------------------------------------------------

  const listRows = (c: Context<AdminEnv>, rows: (BoardMeeting & { counts?: AnswerCounts })[], pollUrl: string) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const nowMs = now().getTime();
    return (
      <tbody id="meeting-rows" hx-get={pollUrl} hx-trigger="every 10s" hx-swap="outerHTML">
        {rows.map((m) => (
          <tr>
            <td>
              <a href={`/admin/meetings/${m.id}`}>{formatMeetingTime(new Date(m.startsAt), timeZone, locale)}</a>
              {m.previousStartsAt !== null ? (
                <div class="mute">
                  {t("webmeetings.moved_from", {
                    when: formatMeetingTime(new Date(m.previousStartsAt), timeZone, locale),
                  })}
                </div>
              ) : null}
            </td>
            <td>
              <a href={`/admin/meetings/${m.id}`}>{m.title}</a> <MeetingStatus t={t} meeting={m} now={nowMs} />
              <div class="mute">
                {m.unitName}
                {m.includeSubtree ? ` · ${t("webmeetings.with_subtree")}` : ""}
                {m.seriesId !== null ? ` · ${t("webmeetings.repeating")}` : ""}
                {m.place ? ` · ${m.place}` : ""}
              </div>
            </td>
            <td>{m.counts ? <CountBadges t={t} counts={m.counts} /> : null}</td>
          </tr>
        ))}
      </tbody>
    );
  };

  app.get("/admin/meetings", async (c) => {
    const t = c.get("t");
    const query = c.req.query();
    const view: BoardView = isView(query.view) ? query.view : "upcoming";
    const unitId = query.unit ? idParam(query.unit) : undefined;
    const day = query.day ? parseDateKey(query.day) : null;
    const offset = Math.max(0, Math.min(1_000_000, idParam(query.offset) || 0));
    const range = day
      ? {
          from: fromLocal({ ...day, hour: 0, minute: 0 }, timeZone).getTime(),
          to: fromLocal({ ...fromEpochDay(epochDay(day) + 1), hour: 0, minute: 0 }, timeZone).getTime(),
        }
      : {};
    let result: Awaited<ReturnType<typeof listBoardMeetings>> = { rows: [], more: false };
    let error: string | undefined;
    let status: 200 | 400 | 403 | 404 = 200;
    try {
      if (unitId !== undefined && Number.isNaN(unitId)) throw new Error("bad unit");
      result = await listBoardMeetings(
        db,
        webActor(c),
        { view, unitId, ...range, limit: pageSize, offset, withCounts: true },
        now(),
      );
    } catch (e) {
      if (isAppError(e)) {
        // A unit outside the subtree and one that does not exist look the same.
        const hidden = e.code === "forbidden" || e.code === "unit_not_found";
        error = hidden ? t("webmeetings.unit_not_found") : errorText(t, e);
        status = hidden ? 404 : 400;
      } else if (e instanceof Error && e.message === "bad unit") {
        error = t("webmeetings.unit_not_found");
        status = 404;
      } else throw e;
    }
    const pollUrl = `/admin/meetings?${queryString(query, { part: "rows" })}`;
    if (query.part === "rows") return c.html(await listRows(c, result.rows, pollUrl), status);
    const units = await unitsWithPermission(db, webActor(c), "read");
    const tab = (v: BoardView) => (
      <a
        href={`/admin/meetings?${queryString(query, { view: v, offset: undefined, day: undefined, part: undefined })}`}
        aria-current={!day && view === v ? "page" : undefined}
      >
        {t(`webmeetings.view_${v}`)}
      </a>
    );
    return c.html(
      <Page c={c} title={t("webmeetings.title")}>
        <h1>{t("webmeetings.title")}</h1>
        <SectionLinks
          t={t}
          current="list"
          unit={unitId !== undefined && !Number.isNaN(unitId) && !error ? unitId : undefined}
        />
        <nav class="tabs" aria-label={t("webmeetings.views")}>
          {await tab("upcoming")}
          {await tab("past")}
          {await tab("cancelled")}
        </nav>
        {query.done === "created_series" ? (
          <p class="notice" role="status">
            {t("webmeetings.done_created_series_later")}
          </p>
        ) : null}
        {day ? <h2 style="font-size:1.2rem">{t("webmeetings.day_heading", { date: formatLocalDate(day) })}</h2> : null}
        <form method="get" action="/admin/meetings" class="row card" role="search">
          <input type="hidden" name="view" value={view} />
          {day ? <input type="hidden" name="day" value={dateKey(day)} /> : null}
          <div>
            <label for="unit">{t("webmeetings.filter_unit")}</label>
            <select id="unit" name="unit" style="max-width:20rem">
              <option value="">{t("webmeetings.all_units")}</option>
              {unitOptions(units, unitId)}
            </select>
          </div>
          <div style="min-width:auto">
            <button type="submit">{t("webmeetings.filter_apply")}</button>
          </div>
        </form>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <table>
          <caption class="sr-only">{t(`webmeetings.view_${view}`)}</caption>
          <thead>
            <tr>
              <th>{t("webmeetings.col_when")}</th>
              <th>{t("webmeetings.col_meeting")}</th>
              <th>{t("webmeetings.col_answers")}</th>
            </tr>
          </thead>
          {await listRows(c, result.rows, pollUrl)}
        </table>
        {!result.rows.length && !error ? (
          <p class="card">{t(day ? "webmeetings.none_day" : `webmeetings.none_${view}`)}</p>
        ) : null}
        <nav class="pager" aria-label={t("webmeetings.pages")}>
          {offset > 0 ? (
            <a
              href={`/admin/meetings?${queryString(query, { offset: String(Math.max(0, offset - pageSize)), part: undefined })}`}
              rel="prev"
            >
              ← {t("webmeetings.page_prev")}
            </a>
          ) : null}
          {result.more ? (
            <a
              href={`/admin/meetings?${queryString(query, { offset: String(offset + pageSize), part: undefined })}`}
              rel="next"
            >
              {t("webmeetings.page_next")} →
            </a>
          ) : null}
        </nav>
      </Page>,
      status,
    );
  });

  // ---- the month calendar ------------------------------------------------------------------

  app.get("/admin/meetings/calendar", async (c) => {
    const t = c.get("t");
    const query = c.req.query();
    const today = toLocal(now(), timeZone);
    const m = /^(\d{4})-(\d{2})$/.exec(query.month ?? "");
    const month =
      m && Number(m[2]) >= 1 && Number(m[2]) <= 12
        ? { year: Number(m[1]), month: Number(m[2]) }
        : { year: today.year, month: today.month };
    const first: LocalDate = { ...month, day: 1 };
    const next: LocalDate =
      month.month === 12
        ? { year: month.year + 1, month: 1, day: 1 }
        : { year: month.year, month: month.month + 1, day: 1 };
    const prev: LocalDate =
      month.month === 1
        ? { year: month.year - 1, month: 12, day: 1 }
        : { year: month.year, month: month.month - 1, day: 1 };
    const monthKey = (d: LocalDate) => `${d.year}-${String(d.month).padStart(2, "0")}`;
    const unitId = query.unit ? idParam(query.unit) : undefined;
    const from = fromLocal({ ...first, hour: 0, minute: 0 }, timeZone).getTime();
    const to = fromLocal({ ...next, hour: 0, minute: 0 }, timeZone).getTime();
    let days: CalendarDay[] = [];
    let error: string | undefined;
    try {
      if (unitId !== undefined && Number.isNaN(unitId)) throw new Error("bad unit");
      days = await calendarMeetings(db, webActor(c), { unitId, from, to, perDay, timeZone });
    } catch (e) {
      if (!isAppError(e) && !(e instanceof Error && e.message === "bad unit")) throw e;
      error = t("webmeetings.unit_not_found");
    }
    const byDay = new Map(days.map((d) => [d.date, d]));
    const startDay = epochDay(first) - ((weekdayOf(first) + 6) % 7);
    const lastDay = epochDay(first) + daysInMonth(month.year, month.month) - 1;
    const endDay = lastDay + (6 - ((weekdayOf(fromEpochDay(lastDay)) + 6) % 7));
    const weeks: LocalDate[][] = [];
    for (let d = startDay; d <= endDay; d += 7) weeks.push(Array.from({ length: 7 }, (_, i) => fromEpochDay(d + i)));
    const todayKey = dateKey(today);
    const unitQuery = unitId !== undefined && !Number.isNaN(unitId) ? `&unit=${unitId}` : "";
    const grid = (
      <table
        class="cal"
        id="calendar"
        hx-get={`/admin/meetings/calendar?month=${monthKey(first)}${unitQuery}&part=grid`}
        hx-trigger="every 30s"
        hx-swap="outerHTML"
      >
        <caption class="sr-only">{t("webmeetings.calendar_caption", { month: month.month, year: month.year })}</caption>
        <thead>
          <tr>
            {[1, 2, 3, 4, 5, 6, 7].map((d) => (
              <th scope="col">{t(`webmeetings.dow_${d}`)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {weeks.map((week) => (
            <tr>
              {week.map((d) => {
                const key = dateKey(d);
                const day = byDay.get(key);
                const total = day?.total ?? 0;
                const inMonth = d.month === month.month;
                return (
                  <td class={`${inMonth ? "" : "other"} ${key === todayKey ? "today" : ""}`.trim() || undefined}>
                    <div class="day">
                      {total ? (
                        <a
                          href={`/admin/meetings?day=${key}${unitQuery}`}
                          aria-label={t("webmeetings.day_link", { date: formatLocalDate(d), count: total })}
                        >
                          {d.day}
                        </a>
                      ) : (
                        d.day
                      )}
                    </div>
                    <ul>
                      {(day?.shown ?? []).map((mt) => {
                        const n = mt.counts;
                        return (
                          <li class={mt.status === "cancelled" ? "cancelled" : undefined}>
                            <a href={`/admin/meetings/${mt.id}`}>
                              {formatClock(toLocal(new Date(mt.startsAt), timeZone))} {mt.title}
                            </a>{" "}
                            <span class="mute">{mt.unitName}</span>{" "}
                            {n && mt.status !== "cancelled" ? <CountBadges t={t} counts={n} compact /> : null}
                          </li>
                        );
                      })}
                      {day && total > day.shown.length ? (
                        <li>
                          <a href={`/admin/meetings?day=${key}${unitQuery}`}>
                            {t("webmeetings.more_that_day", { count: total - day.shown.length })}
                          </a>
                        </li>
                      ) : null}
                    </ul>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    );
    if (query.part === "grid") return c.html(grid, error ? 404 : 200);
    const units = await unitsWithPermission(db, webActor(c), "read");
    return c.html(
      <Page c={c} title={t("webmeetings.calendar_title")}>
        <h1>{t("webmeetings.calendar_title")}</h1>
        <SectionLinks t={t} current="calendar" unit={unitQuery ? unitId : undefined} />
        <div class="row" style="align-items:center;margin-bottom:1rem">
          <a href={`/admin/meetings/calendar?month=${monthKey(prev)}${unitQuery}`} rel="prev">
            ← {t("webmeetings.month_prev")}
          </a>
          <h2 style="font-size:1.3rem;margin:0">
            {t("webmeetings.month_name", { month: month.month, year: month.year })}
          </h2>
          <a href={`/admin/meetings/calendar?month=${monthKey(next)}${unitQuery}`} rel="next">
            {t("webmeetings.month_next")} →
          </a>
          <form method="get" action="/admin/meetings/calendar" class="row" style="margin-left:auto">
            <input type="hidden" name="month" value={monthKey(first)} />
            <label for="unit" class="sr-only">
              {t("webmeetings.filter_unit")}
            </label>
            <select id="unit" name="unit" style="max-width:16rem">
              <option value="">{t("webmeetings.all_units")}</option>
              {unitOptions(units, unitId)}
            </select>
            <button type="submit" class="secondary">
              {t("webmeetings.filter_apply")}
            </button>
          </form>
        </div>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        {grid}
        <p class="mute">{t("webmeetings.calendar_help")}</p>
      </Page>,
      error ? 404 : 200,
    );
  });

  // ---- creating ----------------------------------------------------------------------------

  /** The preview of what was typed for the time: one meeting's time, or a series' rule and next dates. */
  const whenPreview = (t: Translate, locale: string, form: Record<string, string>, mode: "any" | "once") => {
    const text = (form.when ?? "").trim();
    if (!text) return <p class="mute">{t("webmeetings.when_preview_empty")}</p>;
    try {
      if (mode === "once") {
        const startsAt = parseMeetingDateTime(text, now(), timeZone);
        return (
          <p class="preview" role="status">
            {t("webmeetings.preview_new_time", { when: formatMeetingTime(startsAt, timeZone, locale) })}
          </p>
        );
      }
      const when = parseMeetingWhen(text, now(), timeZone);
      if (when.kind === "once") {
        return (
          <p class="preview" role="status">
            {t("webmeetings.preview_once", { when: formatMeetingTime(when.startsAt, timeZone, locale) })}
          </p>
        );
      }
      if (!when.time)
        return (
          <p class="error" role="status">
            {t("meetings.time_missing_repeat")}
          </p>
        );
      const dates = nextSeriesDates({ rule: when.rule, time: when.time, ...seriesBounds(form) }, now(), timeZone, 5);
      return (
        <div class="preview" role="status">
          <p style="margin:0">
            {t("webmeetings.preview_series", { rule: describeRecurrence(when.rule, when.time, locale) })}
          </p>
          <p style="margin:.3rem 0 0">{t("webmeetings.preview_next")}</p>
          <ol id="next-dates">
            {dates.map((d) => (
              <li>{formatMeetingTime(d, timeZone, locale)}</li>
            ))}
          </ol>
          {dates.length ? null : <p>{t("webmeetings.preview_no_dates")}</p>}
        </div>
      );
    } catch (e) {
      if (!isAppError(e)) throw e;
      return (
        <p class="error" role="status">
          {errorText(t, e)}
        </p>
      );
    }
  };

  const seriesBounds = (form: Record<string, string>) => {
    const bounds: { startsOn?: string; endsOn?: string } = {};
    if (parseDateKey(form.startsOn ?? "")) bounds.startsOn = form.startsOn;
    if (parseDateKey(form.endsOn ?? "")) bounds.endsOn = form.endsOn;
    return bounds;
  };

  app.get("/admin/meetings/preview", async (c) => {
    const form = c.req.query();
    return c.html(await whenPreview(c.get("t"), c.get("locale"), form, form.mode === "once" ? "once" : "any"));
  });

  const newForm = async (
    c: Context<AdminEnv>,
    form: Record<string, string>,
    error?: string,
    status: 200 | 400 | 403 | 404 | 409 | 429 = 200,
  ) => {
    const t = c.get("t");
    const viewer = viewerOf(c);
    const units = await unitsWithPermission(db, webActor(c), "manage_meetings");
    const unitId = form.unitId ? idParam(form.unitId) : units[0]?.id;
    const include = "#when,#startsOn,#endsOn";
    const duration = Number(form.duration) || DEFAULT_DURATION_MINUTES;
    return c.html(
      <Page c={c} title={t("webmeetings.new_title")}>
        <h1>{t("webmeetings.new_title")}</h1>
        <SectionLinks t={t} current="new" />
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        {!units.length ? (
          <p class="card">{t("webmeetings.no_units_to_manage")}</p>
        ) : (
          <form method="post" action="/admin/meetings" class="card">
            <input type="hidden" name="_csrf" value={viewer.csrfToken} />
            <label for="unitId">{t("webmeetings.field_unit")}</label>
            <select id="unitId" name="unitId" required style="max-width:100%">
              {unitOptions(units, unitId)}
            </select>
            <label for="title">{t("webmeetings.field_title")}</label>
            <input
              id="title"
              name="title"
              required
              maxlength={MAX_TITLE_LENGTH}
              style="width:100%"
              value={form.title ?? t("meetings.default_title")}
            />
            <label for="when">{t("webmeetings.field_when")}</label>
            <input
              id="when"
              name="when"
              required
              maxlength={200}
              style="width:100%"
              autocomplete="off"
              value={form.when ?? ""}
              aria-describedby="when-help when-preview"
              hx-get="/admin/meetings/preview"
              hx-trigger="input changed delay:300ms, load"
              hx-target="#when-preview"
              hx-include={include}
            />
            <p class="mute" id="when-help">
              {t("webmeetings.when_help")}
            </p>
            <div id="when-preview" aria-live="polite">
              {await whenPreview(t, c.get("locale"), form, "any")}
            </div>
            <details open={Boolean(form.startsOn || form.endsOn)}>
              <summary>{t("webmeetings.series_bounds")}</summary>
              <div class="row">
                <div>
                  <label for="startsOn">{t("webmeetings.field_starts_on")}</label>
                  <input
                    id="startsOn"
                    name="startsOn"
                    type="date"
                    value={form.startsOn ?? ""}
                    hx-get="/admin/meetings/preview"
                    hx-trigger="change"
                    hx-target="#when-preview"
                    hx-include={include}
                  />
                </div>
                <div>
                  <label for="endsOn">{t("webmeetings.field_ends_on")}</label>
                  <input
                    id="endsOn"
                    name="endsOn"
                    type="date"
                    value={form.endsOn ?? ""}
                    hx-get="/admin/meetings/preview"
                    hx-trigger="change"
                    hx-target="#when-preview"
                    hx-include={include}
                  />
                </div>
              </div>
            </details>
            <label for="duration">{t("webmeetings.field_duration")}</label>
            <select id="duration" name="duration">
              {durations.map((d) => (
                <option value={String(d)} selected={d === duration}>
                  {t("webmeetings.duration_option", { hours: d / 60 })}
                </option>
              ))}
            </select>
            <label for="place">{t("webmeetings.field_place")}</label>
            <input id="place" name="place" maxlength={MAX_PLACE_LENGTH} style="width:100%" value={form.place ?? ""} />
            <label for="agenda">{t("webmeetings.field_agenda")}</label>
            <textarea id="agenda" name="agenda" maxlength={MAX_AGENDA_LENGTH}>
              {form.agenda ?? ""}
            </textarea>
            <label style="font-weight:400">
              <input type="checkbox" name="includeSubtree" value="1" checked={form.includeSubtree === "1"} />{" "}
              {t("webmeetings.field_include_subtree")}
            </label>
            <p class="mute">{t("webmeetings.create_help")}</p>
            <button type="submit">{t("webmeetings.create")}</button>
          </form>
        )}
      </Page>,
      status,
    );
  };

  app.get("/admin/meetings/new", (c) => newForm(c, c.req.query()));

  app.post("/admin/meetings", async (c) => {
    const t = c.get("t");
    const form = formFields(await c.req.parseBody());
    const unitId = idParam(form.unitId);
    const duration = durations.includes(Number(form.duration)) ? Number(form.duration) : DEFAULT_DURATION_MINUTES;
    const ctx = { now: now(), timeZone, actor: webActor(c) };
    const base = {
      unitId,
      title: form.title ?? "",
      place: form.place ?? "",
      agenda: form.agenda ?? "",
      durationMinutes: duration,
      includeSubtree: form.includeSubtree === "1",
    };
    try {
      if (Number.isNaN(unitId)) return await newForm(c, form, t("webmeetings.unit_not_found"), 404);
      const when = parseMeetingWhen(form.when ?? "", ctx.now, timeZone);
      if (when.kind === "once") {
        const meeting = await createMeeting(db, { ...base, startsAt: when.startsAt }, ctx);
        return c.redirect(`/admin/meetings/${meeting.id}?done=created`, 303);
      }
      if (!when.time) return await newForm(c, form, t("meetings.time_missing_repeat"), 400);
      const { meetings } = await createSeries(
        db,
        { ...base, rule: when.rule, time: when.time, ...seriesBounds(form) },
        ctx,
      );
      const first = meetings[0];
      return c.redirect(
        first
          ? `/admin/meetings/${first.id}?done=created_series&n=${meetings.length}`
          : `/admin/meetings?done=created_series`,
        303,
      );
    } catch (e) {
      if (!isAppError(e)) throw e;
      if (e.code === "forbidden" || e.code === "unit_not_found")
        return newForm(c, form, t("webmeetings.unit_not_found"), e.code === "forbidden" ? 403 : 404);
      return newForm(c, form, errorText(t, e, { when: form.when ?? "" }), httpStatusOf(e.code));
    }
  });

  mountMeetingPlan(app, options);
  mountMeetingPage(app, options);
}
