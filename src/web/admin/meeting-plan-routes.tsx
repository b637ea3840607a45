/**
 * A unit's reminder plan (inherited by its subtree): when reminders go out before a meeting, the
 * nudge to members who have not answered and the tally to the cadres. Saving re-plans the pending
 * reminders of the upcoming meetings it governs, through the same domain function as the CLI.
 */
import type { Context, Hono } from "hono";
import { isAppError } from "../../lib/app-error.ts";
import { errorText, type Translate } from "../../lib/i18n.ts";
import { unitReminderPlan, unitsWithPermission } from "../../domain/meetings/meeting-board.ts";
import { setReminderPlan, type ReminderOffset, type ReminderPlan } from "../../domain/meetings/reminder-plan.ts";
import { httpStatusOf, type AdminEnv } from "./admin-auth.ts";
import {
  formFields,
  idParam,
  Page,
  SectionLinks,
  unitOptions,
  viewerOf,
  webActor,
  type MeetingOptions,
} from "./meeting-common.tsx";

/** Rows of reminder offsets on the form (reminderPlanSchema allows at most 6). */
const rows = 6;

/** "3 days before, at 08:00" / "2 hours before the start". */
export function describeOffset(t: Translate, locale: string, o: ReminderOffset): string {
  if (o.minutesBefore !== undefined)
    return t("webmeetings.offset_hours", { hours: hoursText(o.minutesBefore, locale) });
  if (!o.daysBefore) return o.at ? t("webmeetings.offset_same_day_at", { at: o.at }) : t("webmeetings.offset_same_day");
  return o.at
    ? t("webmeetings.offset_days_at", { days: o.daysBefore, at: o.at })
    : t("webmeetings.offset_days", { days: o.daysBefore });
}

/** Hours with up to two decimals, with the decimal comma in Vietnamese ("1,5"). */
function hoursText(minutes: number, locale: string): string {
  const text = String(Math.round((minutes / 60) * 100) / 100);
  return locale === "vi" ? text.replace(".", ",") : text;
}

/** Reads the plan typed on the form; what the schema refuses is refused by setReminderPlan. */
function planFromForm(form: Record<string, string>): ReminderPlan {
  const offsets: ReminderOffset[] = [];
  for (let i = 0; i < rows; i++) {
    const kind = form[`kind_${i}`];
    const value = (form[`value_${i}`] ?? "").trim().replace(",", ".");
    if (kind === "days") {
      const at = (form[`at_${i}`] ?? "").trim();
      offsets.push(at ? { daysBefore: Number(value || "0"), at } : { daysBefore: Number(value || "0") });
    } else if (kind === "hours") {
      offsets.push({ minutesBefore: Math.round(Number(value) * 60) });
    }
  }
  const minutes = (text: string | undefined) => Math.round(Number((text ?? "").trim().replace(",", ".") || "0") * 60);
  return { offsets, nudgeMinutesBefore: minutes(form.nudge), tallyMinutesBefore: minutes(form.tally) };
}

export function mountMeetingPlan(app: Hono<AdminEnv>, options: MeetingOptions): void {
  const { db, timeZone } = options;
  const now = () => options.now?.() ?? new Date();

  const planPage = async (
    c: Context<AdminEnv>,
    unitParam: string | undefined,
    flash: { ok?: string; error?: string } = {},
    status: 200 | 400 | 403 | 404 | 409 | 429 = 200,
  ) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const viewer = viewerOf(c);
    const units = await unitsWithPermission(db, webActor(c), "manage_meetings");
    const unitId = unitParam ? idParam(unitParam) : units[0]?.id;
    const notFound = () =>
      c.html(
        <Page c={c} title={t("webmeetings.plan_title")}>
          <h1>{t("webmeetings.plan_title")}</h1>
          <p class="error" role="alert">
            {t("webmeetings.unit_not_found")}
          </p>
        </Page>,
        404,
      );
    if (unitId === undefined) {
      return c.html(
        <Page c={c} title={t("webmeetings.plan_title")}>
          <h1>{t("webmeetings.plan_title")}</h1>
          <p class="card">{t("webmeetings.no_units_to_manage")}</p>
        </Page>,
      );
    }
    // Only units where the person may change the plan: elsewhere it is "not found", like any unit outside the subtree.
    if (Number.isNaN(unitId) || !units.some((u) => u.id === unitId)) return notFound();
    let current: Awaited<ReturnType<typeof unitReminderPlan>>;
    try {
      current = await unitReminderPlan(db, webActor(c), unitId);
    } catch (e) {
      if (isAppError(e, "forbidden") || isAppError(e, "unit_not_found")) return notFound();
      throw e;
    }
    const unitName = units.find((u) => u.id === unitId)?.name ?? "";
    const plan = current.plan;
    const source =
      current.source === "own"
        ? t("webmeetings.plan_source_own")
        : current.source === "inherited"
          ? t("webmeetings.plan_source_inherited", { unit: current.fromUnitName ?? "" })
          : t("webmeetings.plan_source_default");
    return c.html(
      <Page c={c} title={t("webmeetings.plan_title")}>
        <h1>{t("webmeetings.plan_title")}</h1>
        <SectionLinks t={t} current="plan" unit={unitId} />
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
        <form method="get" action="/admin/meetings/plan" class="row card">
          <div>
            <label for="unit">{t("webmeetings.field_unit")}</label>
            <select id="unit" name="unit" style="max-width:20rem">
              {unitOptions(units, unitId)}
            </select>
          </div>
          <div style="min-width:auto">
            <button type="submit" class="secondary">
              {t("webmeetings.plan_show")}
            </button>
          </div>
        </form>
        <section class="card" id="plan-now">
          <h2 style="font-size:1.15rem;margin-top:0">{t("webmeetings.plan_now", { unit: unitName })}</h2>
          <p class="mute">{source}</p>
          <ul>
            {plan.offsets.map((o) => (
              <li>{describeOffset(t, locale, o)}</li>
            ))}
            <li>
              {plan.nudgeMinutesBefore
                ? t("webmeetings.plan_nudge_on", { hours: hoursText(plan.nudgeMinutesBefore, locale) })
                : t("webmeetings.plan_nudge_off")}
            </li>
            <li>
              {plan.tallyMinutesBefore
                ? t("webmeetings.plan_tally_on", { hours: hoursText(plan.tallyMinutesBefore, locale) })
                : t("webmeetings.plan_tally_off")}
            </li>
          </ul>
        </section>
        <form method="post" action="/admin/meetings/plan" class="card">
          <input type="hidden" name="_csrf" value={viewer.csrfToken} />
          <input type="hidden" name="unit" value={String(unitId)} />
          <h2 style="font-size:1.15rem;margin-top:0">{t("webmeetings.plan_change")}</h2>
          <p class="mute">{t("webmeetings.plan_help")}</p>
          <table>
            <thead>
              <tr>
                <th>#</th>
                <th>{t("webmeetings.plan_kind")}</th>
                <th>{t("webmeetings.plan_value")}</th>
                <th>{t("webmeetings.plan_at")}</th>
              </tr>
            </thead>
            <tbody>
              {Array.from({ length: rows }, (_, i) => {
                const o = plan.offsets[i];
                const kind = !o ? "" : o.minutesBefore !== undefined ? "hours" : "days";
                const value = !o
                  ? ""
                  : o.minutesBefore !== undefined
                    ? hoursText(o.minutesBefore, locale)
                    : String(o.daysBefore ?? 0);
                return (
                  <tr>
                    <td>{i + 1}</td>
                    <td>
                      <select name={`kind_${i}`} aria-label={t("webmeetings.plan_kind_n", { n: i + 1 })}>
                        <option value="" selected={kind === ""}>
                          {t("webmeetings.plan_kind_none")}
                        </option>
                        <option value="days" selected={kind === "days"}>
                          {t("webmeetings.plan_kind_days")}
                        </option>
                        <option value="hours" selected={kind === "hours"}>
                          {t("webmeetings.plan_kind_hours")}
                        </option>
                      </select>
                    </td>
                    <td>
                      <input
                        name={`value_${i}`}
                        inputmode="decimal"
                        size={5}
                        value={value}
                        aria-label={t("webmeetings.plan_value_n", { n: i + 1 })}
                      />
                    </td>
                    <td>
                      <input
                        name={`at_${i}`}
                        type="time"
                        value={o && o.minutesBefore === undefined ? (o.at ?? "") : ""}
                        aria-label={t("webmeetings.plan_at_n", { n: i + 1 })}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div class="row">
            <div>
              <label for="nudge">{t("webmeetings.plan_nudge")}</label>
              <input
                id="nudge"
                name="nudge"
                inputmode="decimal"
                size={6}
                value={hoursText(plan.nudgeMinutesBefore, locale)}
              />
            </div>
            <div>
              <label for="tally">{t("webmeetings.plan_tally")}</label>
              <input
                id="tally"
                name="tally"
                inputmode="decimal"
                size={6}
                value={hoursText(plan.tallyMinutesBefore, locale)}
              />
            </div>
          </div>
          <p>
            <button type="submit">{t("webmeetings.plan_save")}</button>
          </p>
        </form>
      </Page>,
      status,
    );
  };

  app.get("/admin/meetings/plan", (c) => {
    const done = c.req.query("done");
    return planPage(c, c.req.query("unit"), done === "plan" ? { ok: c.get("t")("webmeetings.done_plan") } : {});
  });

  app.post("/admin/meetings/plan", async (c) => {
    const t = c.get("t");
    const form = formFields(await c.req.parseBody());
    const unitId = idParam(form.unit);
    if (Number.isNaN(unitId)) return planPage(c, form.unit);
    try {
      await setReminderPlan(db, {
        target: { unitId },
        plan: planFromForm(form),
        actor: webActor(c),
        ctx: { now: now(), timeZone },
      });
    } catch (e) {
      if (!isAppError(e)) throw e;
      if (e.code === "forbidden" || e.code === "unit_not_found") return planPage(c, "x");
      return planPage(
        c,
        form.unit,
        { error: e.code === "invalid_input" ? t("webmeetings.plan_invalid") : errorText(t, e) },
        httpStatusOf(e.code),
      );
    }
    return c.redirect(`/admin/meetings/plan?unit=${unitId}&done=plan`, 303);
  });
}
