/**
 * A meeting's page: what, when, where; the answers with names (có mặt, xin vắng with reasons,
 * chưa chắc, chưa trả lời), filterable and refreshing by themselves as members answer in chat;
 * attendance as a checklist once the meeting has started (pre-filled from "có mặt", members
 * without a phone included); moving and cancelling, which tell the members already reminded.
 */
import { createHash } from "node:crypto";
import type { Context, Hono } from "hono";
import { isAppError } from "../../lib/app-error.ts";
import { errorText, type Translate } from "../../lib/i18n.ts";
import { formatClock, formatMeetingTime, toLocal } from "../../lib/zoned-time.ts";
import { meetingSheet, type MeetingSheet, type SheetPerson } from "../../domain/meetings/meeting-board.ts";
import { cancelMeeting, cancelSeries, moveMeeting } from "../../domain/meetings/meeting-service.ts";
import { parseMeetingDateTime } from "../../domain/meetings/parse-datetime.ts";
import { describeRecurrence } from "../../domain/meetings/recurrence.ts";
import { recordAttendance } from "../../domain/meetings/rsvp-service.ts";
import { httpStatusOf, type AdminEnv } from "./admin-auth.ts";
import {
  CountBadges,
  formFields,
  idParam,
  MeetingStatus,
  Page,
  viewerOf,
  webActor,
  type MeetingOptions,
} from "./meeting-common.tsx";

/** Names per page of the tally: a branch of 5,000 stays quick to render and to refresh. */
const tallyPage = 200;

/** What the tally shows, in a few characters: the refresh sends the page again only when it changed. */
function tallyStamp(sheet: MeetingSheet): string {
  const hash = createHash("sha256");
  for (const p of sheet.people)
    hash.update(`${p.personId}:${p.answer ?? "-"}:${p.reason ?? ""}:${p.late ? 1 : 0}:${p.present ?? "-"};`);
  return hash.digest("base64url").slice(0, 16);
}

const filters = ["all", "attend", "absent", "unsure", "none", "late"] as const;
type Filter = (typeof filters)[number];

function isFilter(value: string | undefined): value is Filter {
  return (filters as readonly string[]).includes(value ?? "");
}

function matches(p: SheetPerson, filter: Filter): boolean {
  if (filter === "all") return true;
  if (filter === "late") return p.late;
  if (filter === "none") return p.answer === null;
  return p.answer === filter;
}

function answerText(t: Translate, p: SheetPerson): string {
  return t(`webmeetings.answer_${p.answer ?? "none"}`);
}

/** Marks shown beside a name: late answer, recorded by a cadre, no linked chat, no phone. */
function PersonMarks(props: { t: Translate; p: SheetPerson }) {
  const { t, p } = props;
  const marks = [
    p.late ? <span class="late">{t("webmeetings.mark_late")}</span> : null,
    p.recordedByName ? <span class="mute">{t("webmeetings.mark_recorded_by", { name: p.recordedByName })}</span> : null,
    !p.linked ? <span class="mute">{t("webmeetings.mark_not_linked")}</span> : null,
    !p.hasPhone ? <span class="mute">{t("webmeetings.mark_no_phone")}</span> : null,
  ].filter(Boolean);
  return marks.length
    ? marks.map((m, i) => (
        <>
          {i ? " · " : ""}
          {m}
        </>
      ))
    : null;
}

export function mountMeetingPage(app: Hono<AdminEnv>, options: MeetingOptions): void {
  const { db, timeZone } = options;
  const now = () => options.now?.() ?? new Date();

  const tallySection = (c: Context<AdminEnv>, sheet: MeetingSheet, filter: Filter, offset: number) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const id = sheet.meeting.id;
    const matching = sheet.people.filter((p) => matches(p, filter));
    const from = Math.min(offset, Math.max(0, matching.length - 1));
    const people = matching.slice(from, from + tallyPage);
    const count: Record<Filter, number> = {
      all: sheet.counts.invited,
      attend: sheet.counts.attend,
      absent: sheet.counts.absent,
      unsure: sheet.counts.unsure,
      none: sheet.counts.noAnswer,
      late: sheet.counts.late,
    };
    const page = (o: number) => `/admin/meetings/${id}?show=${filter}&offset=${o}#tally`;
    return (
      <section
        id="tally"
        class="card"
        aria-labelledby="tally-title"
        hx-get={`/admin/meetings/${id}/tally?show=${filter}&offset=${from}&stamp=${tallyStamp(sheet)}`}
        hx-trigger="every 4s"
        hx-swap="outerHTML"
      >
        <h2 id="tally-title" style="font-size:1.2rem;margin-top:0">
          {t("webmeetings.tally_title")}
        </h2>
        <p>
          <CountBadges t={t} counts={sheet.counts} />
        </p>
        <nav class="tabs" aria-label={t("webmeetings.tally_filter")}>
          {filters.map((f) => (
            <a href={`/admin/meetings/${id}?show=${f}#tally`} aria-current={f === filter ? "true" : undefined}>
              {t(`webmeetings.filter_${f}`)} ({count[f]})
            </a>
          ))}
        </nav>
        {people.length ? (
          <table id="tally-table">
            <thead>
              <tr>
                <th>{t("webmeetings.col_name")}</th>
                <th>{t("webmeetings.col_answer")}</th>
                <th>{t("webmeetings.col_reason")}</th>
                <th class="hide-small">{t("webmeetings.col_notes")}</th>
                {sheet.attendanceRecorded ? <th>{t("webmeetings.col_present")}</th> : null}
              </tr>
            </thead>
            <tbody>
              {people.map((p) => (
                <tr data-person={String(p.personId)}>
                  <td>{p.fullName}</td>
                  <td>
                    <span class={`badge answer-${p.answer ?? "none"}`}>{answerText(t, p)}</span>
                    {p.answeredAt !== null ? (
                      <div class="mute" style="font-size:.85rem">
                        {formatMeetingTime(new Date(p.answeredAt), timeZone, locale)}
                      </div>
                    ) : null}
                  </td>
                  <td>{p.reason ?? ""}</td>
                  <td class="hide-small">
                    <PersonMarks t={t} p={p} />
                  </td>
                  {sheet.attendanceRecorded ? (
                    <td>{p.present ? t("webmeetings.present_yes") : t("webmeetings.present_no")}</td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="mute">{t("webmeetings.tally_empty")}</p>
        )}
        {matching.length > tallyPage ? (
          <nav class="pager" aria-label={t("webmeetings.pages")}>
            {from > 0 ? (
              <a href={page(Math.max(0, from - tallyPage))} rel="prev">
                ← {t("webmeetings.page_prev")}
              </a>
            ) : null}
            <span class="mute">
              {t("webmeetings.tally_range", { from: from + 1, to: from + people.length, total: matching.length })}
            </span>
            {from + tallyPage < matching.length ? (
              <a href={page(from + tallyPage)} rel="next">
                {t("webmeetings.page_next")} →
              </a>
            ) : null}
          </nav>
        ) : null}
      </section>
    );
  };

  /** The attendance checklist's boxes: `fill` all, none, or as answered/recorded (the default). */
  const checklist = (c: Context<AdminEnv>, sheet: MeetingSheet, fill: "all" | "none" | "answers") => {
    const t = c.get("t");
    const checked = (p: SheetPerson) =>
      fill === "all"
        ? true
        : fill === "none"
          ? false
          : sheet.attendanceRecorded
            ? p.present === true
            : p.answer === "attend";
    return (
      <fieldset id="checklist" style="border:0;padding:0;margin:0">
        <legend class="sr-only">{t("webmeetings.attendance_title")}</legend>
        {sheet.people.map((p) => (
          <label style="font-weight:400;display:flex;gap:.5rem;align-items:baseline;margin:.3rem 0">
            <input type="checkbox" name="present" value={String(p.personId)} checked={checked(p)} />
            <span>
              {p.fullName}{" "}
              <span class={`badge answer-${p.answer ?? "none"}`} style="font-size:.75rem">
                {answerText(t, p)}
              </span>{" "}
              <span style="font-size:.85rem">
                <PersonMarks t={t} p={p} />
              </span>
            </span>
          </label>
        ))}
      </fieldset>
    );
  };

  const meetingPage = async (
    c: Context<AdminEnv>,
    id: number,
    flash: { ok?: string; error?: string } = {},
    status: 200 | 400 | 403 | 404 | 409 | 429 = 200,
  ) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const viewer = viewerOf(c);
    const sheet = await meetingSheet(db, webActor(c), id, now());
    const m = sheet.meeting;
    const query = c.req.query();
    const filter: Filter = isFilter(query.show) ? query.show : "all";
    const offset = idParam(query.offset) || 0;
    const csrf = <input type="hidden" name="_csrf" value={viewer.csrfToken} />;
    const changeable = sheet.canManage && m.status === "scheduled" && !sheet.finished;
    const seriesText = sheet.series ? describeRecurrence(sheet.series.rule, sheet.series.time, locale) : null;
    const end = toLocal(new Date(m.endsAt), timeZone);
    return c.html(
      <Page c={c} title={m.title}>
        <p>
          <a href="/admin/meetings">← {t("webmeetings.back_to_list")}</a>
        </p>
        <h1>
          {m.title} <MeetingStatus t={t} meeting={m} now={now().getTime()} />
        </h1>
        {flash.ok ? (
          <p class="notice" role="status">
            {flash.ok}
          </p>
        ) : null}
        {flash.error ? (
          <p class="error" role="alert">
            {flash.error}
          </p>
        ) : null}
        <div class="grid">
          <div>
            <section class="card" aria-label={t("webmeetings.details")}>
              <p>
                <strong>{t("webmeetings.col_when")}:</strong>{" "}
                {formatMeetingTime(new Date(m.startsAt), timeZone, locale)} – {formatClock(end)}
              </p>
              {m.previousStartsAt !== null ? (
                <p class="mute">
                  {t("webmeetings.moved_from", {
                    when: formatMeetingTime(new Date(m.previousStartsAt), timeZone, locale),
                  })}
                </p>
              ) : null}
              <p>
                <strong>{t("webmeetings.field_unit")}:</strong> {m.unitName}
                {m.includeSubtree ? ` (${t("webmeetings.with_subtree")})` : ""}
              </p>
              {seriesText ? (
                <p>
                  <strong>{t("webmeetings.repeating")}:</strong> {seriesText}
                  {sheet.series?.cancelled ? ` (${t("webmeetings.series_ended")})` : ""}
                </p>
              ) : null}
              <p>
                <strong>{t("webmeetings.field_place")}:</strong> {m.place || t("webmeetings.empty_value")}
              </p>
              <p style="margin-bottom:0">
                <strong>{t("webmeetings.field_agenda")}:</strong>
              </p>
              <div style="white-space:pre-wrap">{m.agenda || t("webmeetings.empty_value")}</div>
            </section>
            {await tallySection(c, sheet, filter, offset)}
            {sheet.canManage && m.status === "scheduled" && sheet.started ? (
              <form method="post" action={`/admin/meetings/${m.id}/attendance`} class="card" id="attendance">
                {csrf}
                <h2 style="font-size:1.2rem;margin-top:0">{t("webmeetings.attendance_title")}</h2>
                <p class="mute">
                  {t(sheet.attendanceRecorded ? "webmeetings.attendance_help_recorded" : "webmeetings.attendance_help")}
                </p>
                <p class="row">
                  <button
                    type="button"
                    class="secondary"
                    hx-get={`/admin/meetings/${m.id}/checklist?fill=all`}
                    hx-target="#checklist"
                    hx-swap="outerHTML"
                  >
                    {t("webmeetings.attendance_all")}
                  </button>
                  <button
                    type="button"
                    class="secondary"
                    hx-get={`/admin/meetings/${m.id}/checklist?fill=answers`}
                    hx-target="#checklist"
                    hx-swap="outerHTML"
                  >
                    {t("webmeetings.attendance_as_answered")}
                  </button>
                  <button
                    type="button"
                    class="secondary"
                    hx-get={`/admin/meetings/${m.id}/checklist?fill=none`}
                    hx-target="#checklist"
                    hx-swap="outerHTML"
                  >
                    {t("webmeetings.attendance_none")}
                  </button>
                </p>
                {await checklist(c, sheet, "answers")}
                <p>
                  <button type="submit">{t("webmeetings.attendance_save")}</button>
                </p>
              </form>
            ) : null}
          </div>
          <aside>
            {changeable ? (
              <form method="post" action={`/admin/meetings/${m.id}/move`} class="card">
                {csrf}
                <h2 style="font-size:1.1rem;margin-top:0">{t("webmeetings.move_title")}</h2>
                <label for="move-when">{t("webmeetings.move_when")}</label>
                <input
                  id="move-when"
                  name="when"
                  required
                  maxlength={200}
                  style="width:100%"
                  autocomplete="off"
                  aria-describedby="move-preview"
                  hx-get="/admin/meetings/preview?mode=once"
                  hx-trigger="input changed delay:300ms"
                  hx-target="#move-preview"
                  hx-include="#move-when"
                />
                <div id="move-preview" aria-live="polite">
                  <p class="mute">{t("webmeetings.move_help")}</p>
                </div>
                <button type="submit" class="secondary">
                  {t("webmeetings.move")}
                </button>
              </form>
            ) : null}
            {changeable ? (
              <form method="post" action={`/admin/meetings/${m.id}/cancel`} class="card">
                {csrf}
                <h2 style="font-size:1.1rem;margin-top:0">{t("webmeetings.cancel_title")}</h2>
                <p class="mute">{t("webmeetings.cancel_help")}</p>
                <label style="font-weight:400">
                  <input type="checkbox" name="confirm" value="1" required /> {t("webmeetings.cancel_confirm")}
                </label>
                <p>
                  <button type="submit">{t("webmeetings.cancel")}</button>
                </p>
              </form>
            ) : null}
            {sheet.canManage && sheet.series && !sheet.series.cancelled ? (
              <form method="post" action={`/admin/meetings/${m.id}/cancel-series`} class="card">
                {csrf}
                <h2 style="font-size:1.1rem;margin-top:0">{t("webmeetings.cancel_series_title")}</h2>
                <p class="mute">{t("webmeetings.cancel_series_help")}</p>
                <label style="font-weight:400">
                  <input type="checkbox" name="confirm" value="1" required /> {t("webmeetings.cancel_series_confirm")}
                </label>
                <p>
                  <button type="submit" class="secondary">
                    {t("webmeetings.cancel_series")}
                  </button>
                </p>
              </form>
            ) : null}
            {sheet.canManage ? (
              <p>
                <a href={`/admin/meetings/plan?unit=${m.unitId}`}>{t("webmeetings.plan_of_unit")}</a>
              </p>
            ) : null}
          </aside>
        </div>
      </Page>,
      status,
    );
  };

  const notFound = (c: Context<AdminEnv>) =>
    c.html(
      <Page c={c} title={c.get("t")("webmeetings.meeting_not_found")}>
        <p class="error" role="alert">
          {c.get("t")("webmeetings.meeting_not_found")}
        </p>
        <p>
          <a href="/admin/meetings">{c.get("t")("webmeetings.back_to_list")}</a>
        </p>
      </Page>,
      404,
    );

  /** Outside the subtree and not existing look the same: nobody learns which numbers exist. */
  const hidden = (e: unknown) => isAppError(e, "forbidden") || isAppError(e, "not_found");

  app.get("/admin/meetings/:id{[0-9]+}", async (c) => {
    const id = idParam(c.req.param("id"));
    const t = c.get("t");
    const done = c.req.query("done");
    const n = Number(c.req.query("n") ?? 0) || 0;
    const ok = done && /^[a-z_]+$/.test(done) ? t(`webmeetings.done_${done}`, { count: n, id }) : undefined;
    try {
      if (Number.isNaN(id)) return await notFound(c);
      return await meetingPage(c, id, { ok });
    } catch (e) {
      if (hidden(e)) return notFound(c);
      throw e;
    }
  });

  app.get("/admin/meetings/:id{[0-9]+}/tally", async (c) => {
    const id = idParam(c.req.param("id"));
    const show = c.req.query("show");
    try {
      if (Number.isNaN(id)) return c.text(c.get("t")("webmeetings.meeting_not_found"), 404);
      const sheet = await meetingSheet(db, webActor(c), id, now());
      // Nothing changed since the page's stamp: htmx keeps what it shows (no swap on 204).
      if (c.req.query("stamp") === tallyStamp(sheet)) return c.body(null, 204);
      return c.html(await tallySection(c, sheet, isFilter(show) ? show : "all", idParam(c.req.query("offset")) || 0));
    } catch (e) {
      if (hidden(e)) return c.text(c.get("t")("webmeetings.meeting_not_found"), 404);
      throw e;
    }
  });

  app.get("/admin/meetings/:id{[0-9]+}/checklist", async (c) => {
    const id = idParam(c.req.param("id"));
    const fill = c.req.query("fill");
    try {
      if (Number.isNaN(id)) return c.text(c.get("t")("webmeetings.meeting_not_found"), 404);
      const sheet = await meetingSheet(db, webActor(c), id, now());
      if (!sheet.canManage) return c.text(c.get("t")("webmeetings.meeting_not_found"), 404);
      return c.html(await checklist(c, sheet, fill === "all" || fill === "none" ? fill : "answers"));
    } catch (e) {
      if (hidden(e)) return c.text(c.get("t")("webmeetings.meeting_not_found"), 404);
      throw e;
    }
  });

  type Action = (
    c: Context<AdminEnv>,
    id: number,
    form: Record<string, string>,
    all: Record<string, unknown>,
  ) => Promise<{ done: string; n?: number }>;
  const needConfirm = (form: Record<string, string>) => {
    if (form.confirm !== "1") throw new ConfirmMissing();
  };
  const actions: Record<string, Action> = {
    move: async (c, id, form) => {
      const ctx = { now: now(), timeZone, actor: webActor(c) };
      const startsAt = parseMeetingDateTime(form.when ?? "", ctx.now, timeZone);
      const { notified } = await moveMeeting(db, id, startsAt, ctx);
      if (notified) options.onQueued?.();
      return { done: "moved", n: notified };
    },
    cancel: async (c, id, form) => {
      needConfirm(form);
      const { notified } = await cancelMeeting(db, id, { now: now(), timeZone, actor: webActor(c) });
      if (notified) options.onQueued?.();
      return { done: "cancelled", n: notified };
    },
    "cancel-series": async (c, id, form) => {
      needConfirm(form);
      const sheet = await meetingSheet(db, webActor(c), id, now());
      if (!sheet.series) throw new ConfirmMissing();
      const cancelled = await cancelSeries(db, sheet.series.id, { now: now(), timeZone, actor: webActor(c) });
      options.onQueued?.();
      return { done: "series_cancelled", n: cancelled };
    },
    attendance: async (c, id, _form, all) => {
      const present = ([] as unknown[])
        .concat(all.present ?? [])
        .filter((v): v is string => typeof v === "string" && /^\d{1,9}$/.test(v))
        .map(Number);
      const result = await recordAttendance(db, {
        meetingId: id,
        presentPersonIds: [...new Set(present)],
        actor: webActor(c),
        now: now(),
      });
      return { done: "attendance", n: result.present };
    },
  };

  app.post("/admin/meetings/:id{[0-9]+}/:action", async (c) => {
    const id = idParam(c.req.param("id"));
    const name = c.req.param("action");
    const run = Object.hasOwn(actions, name) ? actions[name] : undefined;
    if (Number.isNaN(id) || !run) return notFound(c);
    const all = await c.req.parseBody({ all: true });
    const form = formFields(all);
    try {
      // Reading the sheet first checks the read right: a meeting outside the subtree is "not found".
      await meetingSheet(db, webActor(c), id, now());
      const { done, n } = await run(c, id, form, all);
      return c.redirect(`/admin/meetings/${id}?done=${done}${n !== undefined ? `&n=${n}` : ""}`, 303);
    } catch (e) {
      if (hidden(e)) return notFound(c);
      const t = c.get("t");
      if (e instanceof ConfirmMissing) return meetingPage(c, id, { error: t("webmeetings.confirm_needed") }, 400);
      if (!isAppError(e)) throw e;
      return meetingPage(c, id, { error: errorText(t, e, { when: form.when ?? "" }) }, httpStatusOf(e.code));
    }
  });
}

class ConfirmMissing extends Error {}
