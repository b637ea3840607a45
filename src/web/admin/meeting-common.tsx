/** What the meeting pages of the web workplace share: the actor, form helpers, badges, the page frame. */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { Translate } from "../../lib/i18n.ts";
import { personActor, type Actor } from "../../domain/access/actor.ts";
import type { AnswerCounts, BoardMeeting, ScopeUnit } from "../../domain/meetings/meeting-board.ts";
import { Layout, type Viewer } from "./layout.tsx";
import type { AdminEnv, AdminOptions } from "./admin-auth.ts";

export type MeetingOptions = AdminOptions & { timeZone: string };

export function viewerOf(c: Context<AdminEnv>): Viewer {
  const s = c.get("signedIn");
  return { personId: s.session.personId, name: s.name, csrfToken: s.session.csrfToken };
}

/** The signed-in person acting from the web. */
export function webActor(c: Context<AdminEnv>): Actor {
  return personActor(c.get("signedIn").session.personId, "web");
}

export const idParam = (value: string | undefined): number => (/^\d{1,9}$/.test(value ?? "") ? Number(value) : NaN);

/** The string fields of a parsed form body (files and repeated fields are left out). */
export function formFields(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

/** One meeting's answers in a line of badges: có mặt, xin vắng, chưa chắc, chưa trả lời, of the invited. */
export function CountBadges(props: { t: Translate; counts: AnswerCounts; compact?: boolean }) {
  const { t, counts } = props;
  if (props.compact) {
    return (
      <span
        class="mute"
        title={t("webmeetings.counts_title", {
          attend: counts.attend,
          absent: counts.absent,
          unsure: counts.unsure,
          none: counts.noAnswer,
          invited: counts.invited,
        })}
      >
        {t("webmeetings.counts_short", { answered: counts.invited - counts.noAnswer, invited: counts.invited })}
      </span>
    );
  }
  return (
    <span class="counts" style="margin:0">
      <span class="badge answer-attend">
        {t("webmeetings.answer_attend")}: <strong>{counts.attend}</strong>
      </span>
      <span class="badge answer-absent">
        {t("webmeetings.answer_absent")}: <strong>{counts.absent}</strong>
      </span>
      <span class="badge answer-unsure">
        {t("webmeetings.answer_unsure")}: <strong>{counts.unsure}</strong>
      </span>
      <span class="badge answer-none">
        {t("webmeetings.answer_none")}: <strong>{counts.noAnswer}</strong>
      </span>
      <span class="mute">{t("webmeetings.invited", { count: counts.invited })}</span>
      {counts.came !== null ? (
        <span class="badge answer-attend">{t("webmeetings.came", { came: counts.came, invited: counts.invited })}</span>
      ) : null}
    </span>
  );
}

/** Styles of the meeting pages (the layout's are shared with the other sections). */
export const meetingStyles = `
.badge.answer-attend{background:#dcfce7}.badge.answer-absent{background:#fee2e2}.badge.answer-unsure{background:#fef3c7}.badge.answer-none{background:#e5e7eb}
.badge.m-upcoming{background:#dbeafe}.badge.m-ongoing{background:#fef3c7}.badge.m-past{background:#e5e7eb}.badge.m-cancelled{background:#fee2e2;text-decoration:line-through}
.tabs{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 1rem}.tabs a{padding:.3rem .8rem;border:1px solid var(--line);border-radius:1rem;text-decoration:none;background:#fff}
.tabs a[aria-current]{background:var(--red);color:#fff;border-color:var(--red)}
.cal{table-layout:fixed}.cal td{height:7rem;font-size:.9rem;padding:.3rem}.cal td.other{background:#f3f4f6;color:var(--mute)}.cal td.today{outline:2px solid var(--red);outline-offset:-2px}
.cal .day{font-weight:700}.cal ul{list-style:none;margin:0;padding:0}.cal li{margin:.15rem 0;line-height:1.25}.cal li.cancelled a{text-decoration:line-through;color:var(--mute)}
.preview{background:#f0f9ff;border:1px solid #bae6fd;padding:.6rem .8rem;border-radius:.4rem;margin:.5rem 0}
.late{color:var(--warn);font-weight:600}
@media(max-width:40rem){.cal td{height:auto;font-size:.8rem}.cal li span.mute{display:none}}
`;

export function MeetingStatus(props: { t: Translate; meeting: BoardMeeting; now: number }) {
  const { meeting, now } = props;
  const state =
    meeting.status === "cancelled"
      ? "cancelled"
      : now >= meeting.endsAt
        ? "past"
        : now >= meeting.startsAt
          ? "ongoing"
          : "upcoming";
  return <span class={`badge m-${state}`}>{props.t(`webmeetings.state_${state}`)}</span>;
}

export function Page(props: { c: Context<AdminEnv>; title: string; children?: Child }) {
  return (
    <Layout t={props.c.get("t")} lang={props.c.get("locale")} title={props.title} viewer={viewerOf(props.c)}>
      <style>{meetingStyles}</style>
      {props.children}
    </Layout>
  );
}

export async function SectionLinks(props: {
  t: Translate;
  current: "list" | "calendar" | "new" | "plan";
  unit?: number;
}) {
  const { t } = props;
  const unit = props.unit !== undefined ? `?unit=${props.unit}` : "";
  const link = (key: typeof props.current, href: string, label: string) => (
    <a href={href} aria-current={props.current === key ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <nav class="tabs" aria-label={t("webmeetings.sections")}>
      {await link("list", `/admin/meetings${unit}`, t("webmeetings.list_link"))}
      {await link("calendar", `/admin/meetings/calendar${unit}`, t("webmeetings.calendar_link"))}
      {await link("new", "/admin/meetings/new", t("webmeetings.new_link"))}
      {await link("plan", `/admin/meetings/plan${unit}`, t("webmeetings.plan_link"))}
    </nav>
  );
}

export function unitOptions(units: readonly ScopeUnit[], selected: number | undefined) {
  const minDepth = Math.min(...units.map((u) => u.depth), 99);
  return units.map((u) => (
    <option value={String(u.id)} selected={selected === u.id}>
      {"\u00a0\u00a0".repeat(Math.max(0, u.depth - minDepth)) + u.name}
    </option>
  ));
}
