/** The concerns queue (filters, search, pages, bulk actions) and a concern's page (thread, actions, internal notes). */
import type { Context, Hono } from "hono";
import { isAppError } from "../../lib/app-error.ts";
import { errorText, type Translate } from "../../lib/i18n.ts";
import { formatDate, formatMeetingTime, fromLocal, parseDateKey } from "../../lib/zoned-time.ts";
import { scopeRoots } from "../../domain/access/access-scope.ts";
import { findUnit, listSubtree } from "../../domain/units/unit-service.ts";
import { personChatAccounts, personUnitNames } from "../../domain/person-profile/person-profile.ts";
import {
  answerTicket,
  closeTicket,
  escalateTicket,
  takeTicket,
  ticketCategories,
  ticketStatuses,
  ticketThread,
  type TicketStatus,
} from "../../domain/tickets/ticket-service.ts";
import { countTicketsByStatus, searchTickets, type TicketFilters } from "../../domain/tickets/ticket-search.ts";
import {
  addTicketNote,
  listTicketNotes,
  reopenTicket,
  setTicketCategory,
  setTicketDueDate,
} from "../../domain/tickets/ticket-edits.ts";
import { assignableHandlers, assignTicket, type AssignableHandler } from "../../domain/tickets/ticket-assign.ts";
import { Layout, type Viewer } from "./layout.tsx";
import { httpStatusOf, type AdminEnv, type AdminOptions } from "./admin-auth.ts";

const pageSize = 25;

function viewerOf(c: Context<AdminEnv>): Viewer {
  const s = c.get("signedIn");
  return { personId: s.session.personId, name: s.name, csrfToken: s.session.csrfToken };
}

/** Reads the queue's filters from the query string; anything unreadable is ignored. */
export function filtersFromQuery(query: Record<string, string>, timeZone: string): TicketFilters {
  const f: TicketFilters = {};
  const status = (query.status ?? "")
    .split(",")
    .filter((s): s is TicketStatus => (ticketStatuses as readonly string[]).includes(s));
  if (status.length) f.status = status;
  else if (query.status === undefined) f.status = ["new", "in_progress", "answered"];
  if (/^\d{1,9}$/.test(query.unit ?? "")) f.unitId = Number(query.unit);
  if ((ticketCategories as readonly string[]).includes(query.category ?? "")) f.category = query.category;
  if (query.overdue === "1") f.overdue = true;
  if (query.assignee === "me" || query.assignee === "none") f.assignee = query.assignee;
  if (query.satisfaction === "yes" || query.satisfaction === "no" || query.satisfaction === "unsaid")
    f.satisfaction = query.satisfaction;
  const day = (key: string | undefined, plus: number) => {
    const d = key ? parseDateKey(key) : null;
    return d ? fromLocal({ ...d, hour: 0, minute: 0 }, timeZone).getTime() + plus * 86_400_000 : undefined;
  };
  f.from = day(query.from, 0);
  f.to = day(query.to, 1);
  if (query.q?.trim()) f.text = query.q.slice(0, 200);
  if (query.sort === "age" || query.sort === "newest") f.sort = query.sort;
  return f;
}

function queryString(query: Record<string, string>, change: Record<string, string | undefined>): string {
  const merged = { ...query, ...change };
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(merged)) if (v !== undefined && v !== "") params.set(k, v);
  return params.toString();
}

function StatusBadge(props: { t: Translate; status: string }) {
  return <span class={`badge ${props.status}`}>{props.t(`admin.status_${props.status}`)}</span>;
}

function satisfactionText(t: Translate, satisfied: number | null): string {
  return satisfied === 1 ? t("admin.satisfied_yes") : satisfied === 0 ? t("admin.satisfied_no") : "";
}

/**
 * The list's selection helper (no inline script: the CSP allows scripts from us only): "select all
 * on this page" and the count of selected concerns. Without it the checkboxes work the same.
 */
const bulkScript = `
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-needs-js]").forEach(function (el) { el.hidden = false; });
});
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") return;
  var form = box.closest("form[data-bulk]");
  if (!form) return;
  var items = Array.prototype.slice.call(form.querySelectorAll('input[name="ids"]'));
  if (box.hasAttribute("data-all")) items.forEach(function (i) { i.checked = box.checked; });
  var n = items.filter(function (i) { return i.checked; }).length;
  var all = form.querySelector("input[data-all]");
  if (all) { all.checked = n > 0 && n === items.length; all.indeterminate = n > 0 && n < items.length; }
  var out = form.querySelector("[data-selected]");
  if (out) out.textContent = out.getAttribute("data-template").replace("{count}", String(n));
});
`;

/** Each person once (their first unit in tree order), or nothing when the only one is the viewer (then "take" is the same). */
function choices(handlers: AssignableHandler[], viewerId: number): AssignableHandler[] {
  const seen = new Set<number>();
  const once = handlers.filter((h) => !seen.has(h.personId) && Boolean(seen.add(h.personId)));
  return once.some((h) => h.personId !== viewerId) ? once : [];
}

/** A handler as a choice: "Nguyễn Văn Cán — Chi hội 1". */
function handlerLabel(h: AssignableHandler): string {
  return `${h.fullName} — ${h.unitName}`;
}

/** Why one concern of a bulk action was refused, in words that do not tell whether it exists. */
function refusalText(t: Translate, e: { code: string; params: Record<string, string | number> }): string {
  if (e.code === "forbidden" || e.code === "not_found") return t("workplace.bulk_refused_scope");
  return errorText(t, e);
}

/** Mounts /admin/tickets and /admin/tickets/:id. */
export function mountTickets(app: Hono<AdminEnv>, options: AdminOptions & { timeZone: string }): void {
  const { db, timeZone } = options;
  const now = () => options.now?.() ?? new Date();

  app.get("/admin/tickets", async (c) => {
    const t = c.get("t");
    const viewer = viewerOf(c);
    const query = c.req.query();
    const filters = filtersFromQuery(query, timeZone);
    const offset = Math.max(0, Math.min(1_000_000, Number(/^\d+$/.test(query.offset ?? "") ? query.offset : 0)));
    let result: Awaited<ReturnType<typeof searchTickets>> = { rows: [], more: false };
    let error: string | undefined;
    try {
      result = await searchTickets(db, viewer.personId, filters, { limit: pageSize, offset, now: now() });
    } catch (e) {
      if (!isAppError(e)) throw e;
      error = errorText(t, e);
    }
    const roots = await scopeRoots(db, viewer.personId, "handle_tickets");
    const handlers = result.rows.length ? choices(await assignableHandlers(db, viewer.personId), viewer.personId) : [];
    // The unit picker: the scope's units, indented (large trees: the first 2,000; the rest by link from a unit's page).
    const units = (await Promise.all(roots.map((r) => listSubtree(db, r.unitId)))).flat().slice(0, 2000);
    const minDepth = Math.min(...units.map((u) => u.depth), 0);
    const statusValue = query.status ?? "new,in_progress,answered";
    const countsUrl = `/admin/tickets/counts?${queryString(query, { offset: undefined })}`;
    return c.html(
      <Layout t={t} lang={c.get("locale")} title={t("admin.tickets_title")} viewer={viewer}>
        <h1>{t("admin.tickets_title")}</h1>
        <script src="/admin/assets/tickets.js" defer></script>
        {/^[a-z]+$/.test(query.done ?? "") && /^\d+$/.test(query.id ?? "") ? (
          <p class="notice" role="status">
            {t(`admin.done_${query.done}`, { id: query.id })}
          </p>
        ) : null}
        <div id="counts" hx-get={countsUrl} hx-trigger="load" hx-swap="innerHTML" class="counts" aria-live="polite">
          <span class="mute">{t("admin.counting")}</span>
        </div>
        <form method="get" action="/admin/tickets" class="card" role="search">
          <div class="row">
            <div style="flex:2 1 16rem">
              <label for="q">{t("admin.filter_text")}</label>
              <input
                id="q"
                name="q"
                type="search"
                value={query.q ?? ""}
                maxlength={200}
                style="width:100%"
                placeholder={t("admin.filter_text_hint")}
              />
            </div>
            <div>
              <label for="status">{t("admin.filter_status")}</label>
              <select id="status" name="status">
                <option value="new,in_progress,answered" selected={statusValue === "new,in_progress,answered"}>
                  {t("admin.status_open")}
                </option>
                {ticketStatuses.map((s) => (
                  <option value={s} selected={statusValue === s}>
                    {t(`admin.status_${s}`)}
                  </option>
                ))}
                <option value="" selected={statusValue === ""}>
                  {t("admin.status_all")}
                </option>
              </select>
            </div>
            <div>
              <label for="unit">{t("admin.filter_unit")}</label>
              <select id="unit" name="unit" style="max-width:18rem">
                <option value="">{t("admin.all_units")}</option>
                {units.map((u) => (
                  <option value={String(u.id)} selected={query.unit === String(u.id)}>
                    {"\u00a0\u00a0".repeat(u.depth - minDepth) + u.name}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="category">{t("admin.filter_category")}</label>
              <select id="category" name="category">
                <option value="">{t("admin.all_categories")}</option>
                {ticketCategories.map((k) => (
                  <option value={k} selected={query.category === k}>
                    {t(`admin.category_${k}`)}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="assignee">{t("admin.filter_assignee")}</label>
              <select id="assignee" name="assignee">
                <option value="">{t("admin.anyone")}</option>
                <option value="me" selected={query.assignee === "me"}>
                  {t("admin.assignee_me")}
                </option>
                <option value="none" selected={query.assignee === "none"}>
                  {t("admin.assignee_none")}
                </option>
              </select>
            </div>
            <div>
              <label for="satisfaction">{t("admin.filter_satisfaction")}</label>
              <select id="satisfaction" name="satisfaction">
                <option value="">{t("admin.anything")}</option>
                <option value="yes" selected={query.satisfaction === "yes"}>
                  {t("admin.satisfied_yes")}
                </option>
                <option value="no" selected={query.satisfaction === "no"}>
                  {t("admin.satisfied_no")}
                </option>
                <option value="unsaid" selected={query.satisfaction === "unsaid"}>
                  {t("admin.satisfied_unsaid")}
                </option>
              </select>
            </div>
            <div>
              <label for="from">{t("admin.filter_from")}</label>
              <input id="from" name="from" type="date" value={query.from ?? ""} />
            </div>
            <div>
              <label for="to">{t("admin.filter_to")}</label>
              <input id="to" name="to" type="date" value={query.to ?? ""} />
            </div>
            <div>
              <label for="sort">{t("admin.sort")}</label>
              <select id="sort" name="sort">
                <option value="due">{t("admin.sort_due")}</option>
                <option value="age" selected={query.sort === "age"}>
                  {t("admin.sort_age")}
                </option>
                <option value="newest" selected={query.sort === "newest"}>
                  {t("admin.sort_newest")}
                </option>
              </select>
            </div>
            <div style="min-width:auto">
              <label>
                <input type="checkbox" name="overdue" value="1" checked={query.overdue === "1"} />{" "}
                {t("admin.filter_overdue")}
              </label>
            </div>
            <div style="min-width:auto">
              <button type="submit">{t("admin.filter_apply")}</button>{" "}
              <a href="/admin/tickets">{t("admin.filter_clear")}</a>
            </div>
          </div>
        </form>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        {result.rows.length ? (
          <form method="post" action="/admin/tickets/bulk" data-bulk="1" aria-label={t("workplace.bulk_form")}>
            <input type="hidden" name="_csrf" value={viewer.csrfToken} />
            <input type="hidden" name="back" value={`/admin/tickets?${queryString(query, {})}`} />
            <table>
              <thead>
                <tr>
                  <th>
                    <span class="sr-only">{t("admin.select")}</span>
                    <input
                      type="checkbox"
                      data-all="1"
                      data-needs-js="1"
                      hidden
                      aria-label={t("workplace.bulk_select_all")}
                    />
                  </th>
                  <th>#</th>
                  <th>{t("admin.col_concern")}</th>
                  <th class="hide-small">{t("admin.col_unit")}</th>
                  <th>{t("admin.col_status")}</th>
                  <th>{t("admin.col_due")}</th>
                </tr>
              </thead>
              <tbody>
                {result.rows.map((r) => (
                  <tr>
                    <td>
                      <input
                        type="checkbox"
                        name="ids"
                        value={String(r.id)}
                        aria-label={t("admin.select_ticket", { id: r.id })}
                      />
                    </td>
                    <td>
                      <a href={`/admin/tickets/${r.id}`}>#{r.id}</a>
                    </td>
                    <td>
                      <a href={`/admin/tickets/${r.id}`}>
                        {r.firstMessage.length > 120 ? `${r.firstMessage.slice(0, 120)}…` : r.firstMessage}
                      </a>
                      <div class="mute">
                        {r.memberName} · {t(`admin.category_${r.category}`)}
                        {r.assigneeName ? ` · ${t("admin.assigned_to", { name: r.assigneeName })}` : ""}
                        {r.satisfied !== null ? ` · ${satisfactionText(t, r.satisfied)}` : ""}
                      </div>
                    </td>
                    <td class="hide-small">{r.unitName}</td>
                    <td>
                      <StatusBadge t={t} status={r.status} />
                    </td>
                    <td class={r.overdue ? "overdue" : ""}>
                      {formatDate(new Date(r.dueAt), timeZone)}
                      {r.overdue ? ` ${t("admin.overdue_mark")}` : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <fieldset class="card row" style="margin-top:1rem">
              <legend>{t("workplace.bulk_legend")}</legend>
              <p
                class="mute"
                style="flex-basis:100%;margin:0"
                data-selected="1"
                data-template={t("workplace.bulk_selected", { count: "{count}" })}
                aria-live="polite"
              >
                {t("workplace.bulk_help")}
              </p>
              <div>
                <button type="submit" name="action" value="take" class="secondary">
                  {t("workplace.bulk_take")}
                </button>
              </div>
              {handlers.length ? (
                <div class="row" style="align-items:flex-end">
                  <div>
                    <label for="bulk-assignee">{t("workplace.bulk_assignee")}</label>
                    <select id="bulk-assignee" name="assignee">
                      <option value="">{t("workplace.bulk_assignee_pick")}</option>
                      {handlers.map((h) => (
                        <option value={String(h.personId)}>{handlerLabel(h)}</option>
                      ))}
                    </select>
                  </div>
                  <button type="submit" name="action" value="assign" class="secondary">
                    {t("workplace.bulk_assign")}
                  </button>
                </div>
              ) : null}
              <div>
                <button type="submit" name="action" value="close" class="secondary">
                  {t("workplace.bulk_close")}
                </button>
              </div>
            </fieldset>
          </form>
        ) : (
          <p class="card">{t("admin.tickets_none")}</p>
        )}
        <nav class="pager" aria-label={t("admin.pages")}>
          {offset > 0 ? (
            <a
              href={`/admin/tickets?${queryString(query, { offset: String(Math.max(0, offset - pageSize)) })}`}
              rel="prev"
            >
              ← {t("admin.page_prev")}
            </a>
          ) : null}
          <span class="mute">
            {t("admin.page_range", { from: result.rows.length ? offset + 1 : 0, to: offset + result.rows.length })}
          </span>
          {result.more ? (
            <a href={`/admin/tickets?${queryString(query, { offset: String(offset + pageSize) })}`} rel="next">
              {t("admin.page_next")} →
            </a>
          ) : null}
        </nav>
      </Layout>,
      error ? 400 : 200,
    );
  });

  app.get("/admin/tickets/counts", async (c) => {
    const t = c.get("t");
    const query = c.req.query();
    let counts: Record<TicketStatus, number>;
    try {
      counts = await countTicketsByStatus(db, viewerOf(c).personId, filtersFromQuery(query, timeZone), now());
    } catch (e) {
      if (!isAppError(e)) throw e;
      return c.html(<span class="error">{errorText(t, e)}</span>);
    }
    return c.html(
      // biome-ignore lint/complexity/noUselessFragments: c.html takes one element, not a list
      <>
        {ticketStatuses.map((s) => (
          <a href={`/admin/tickets?${queryString(query, { status: s, offset: undefined })}`} class={`badge ${s}`}>
            {t(`admin.status_${s}`)}:{" "}
            <strong>{counts[s].toLocaleString(c.get("locale") === "vi" ? "vi-VN" : "en-GB")}</strong>
          </a>
        ))}
      </>,
    );
  });

  app.get("/admin/assets/tickets.js", (c) => {
    c.header("Cache-Control", "public, max-age=86400");
    return c.body(bulkScript, 200, { "Content-Type": "text/javascript; charset=utf-8" });
  });

  /**
   * Bulk actions on the list: each selected concern goes through the same domain function as the
   * single action (take, assign, close), with the signed-in person's rights checked per concern and
   * the same audit entries; the page says which were done and which were refused, and why.
   */
  app.post("/admin/tickets/bulk", async (c) => {
    const t = c.get("t");
    const viewer = viewerOf(c);
    const body = await c.req.parseBody({ all: true });
    const ids = [
      ...new Set(
        ([] as unknown[])
          .concat(body.ids ?? [])
          .filter((v): v is string => typeof v === "string" && /^\d{1,9}$/.test(v))
          .map(Number),
      ),
    ].slice(0, 200);
    const action = typeof body.action === "string" ? body.action : "";
    const assigneeId =
      typeof body.assignee === "string" && /^\d{1,9}$/.test(body.assignee) ? Number(body.assignee) : NaN;
    const back =
      typeof body.back === "string" && /^\/admin\/tickets(\?|$)/.test(body.back) ? body.back : "/admin/tickets";
    const page = (content: unknown, status: 200 | 400 = 200) =>
      c.html(
        <Layout t={t} lang={c.get("locale")} title={t("workplace.bulk_title")} viewer={viewer}>
          <h1>{t("workplace.bulk_title")}</h1>
          {content as never}
          <p>
            <a href={back}>{t("admin.back_to_queue")}</a>
          </p>
        </Layout>,
        status,
      );
    if (!["take", "assign", "close"].includes(action))
      return page(
        <p class="error" role="alert">
          {t("workplace.bulk_no_action")}
        </p>,
        400,
      );
    if (!ids.length)
      return page(
        <p class="error" role="alert">
          {t("workplace.bulk_none_selected")}
        </p>,
        400,
      );
    if (action === "assign" && Number.isNaN(assigneeId))
      return page(
        <p class="error" role="alert">
          {t("workplace.bulk_no_assignee")}
        </p>,
        400,
      );
    const done: number[] = [];
    const refused: { id: number; reason: string }[] = [];
    for (const id of ids) {
      try {
        if (action === "take")
          await takeTicket(db, { ticketId: id, personId: viewer.personId, now: now(), source: "web" });
        else if (action === "assign")
          await assignTicket(db, { ticketId: id, actorId: viewer.personId, assigneeId, now: now(), source: "web" });
        else await closeTicket(db, { ticketId: id, personId: viewer.personId, now: now(), source: "web" });
        done.push(id);
      } catch (e) {
        if (!isAppError(e)) throw e;
        refused.push({ id, reason: refusalText(t, e) });
      }
    }
    const assignee =
      action === "assign"
        ? (await assignableHandlers(db, viewer.personId)).find((h) => h.personId === assigneeId)?.fullName
        : undefined;
    return page(
      <>
        {done.length ? (
          <div class="notice" role="status" style="margin-bottom:1rem">
            <p style="margin:0">{t(`workplace.bulk_done_${action}`, { count: done.length, name: assignee ?? "" })}</p>
            <p style="margin:0">
              {done.map((id, i) => (
                <>
                  {i ? ", " : ""}
                  <a href={`/admin/tickets/${id}`}>#{id}</a>
                </>
              ))}
            </p>
          </div>
        ) : null}
        {refused.length ? (
          <div class="error" role="alert">
            <p style="margin:0">{t("workplace.bulk_refused", { count: refused.length })}</p>
            <ul>
              {refused.map((r) => (
                <li>
                  #{r.id}: {r.reason}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
      </>,
    );
  });

  const threadSection = async (c: Context<AdminEnv>, id: number) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const personId = viewerOf(c).personId;
    const thread = await ticketThread(db, id, personId);
    // A cadre still sees a concern they passed up, but its notes belong to its handlers now.
    const notes = await (async () => {
      try {
        return await listTicketNotes(db, id, personId);
      } catch (e) {
        if (isAppError(e, "forbidden")) return [];
        throw e;
      }
    })();
    type Item = { at: number; kind: string; who: string; text: string };
    const items: Item[] = [
      ...thread.messages.map((m) => ({
        at: m.createdAt,
        kind: m.authorRole === "member" ? "member" : "official",
        who: m.authorName ?? t("admin.system"),
        text: m.text,
      })),
      ...thread.history.map((h) => ({
        at: h.createdAt,
        kind: "event",
        who: h.byName ?? t("admin.system"),
        text: [
          h.fromStatus
            ? `${t(`admin.status_${h.fromStatus}`)} → ${t(`admin.status_${h.toStatus}`)}`
            : t(`admin.status_${h.toStatus}`),
          h.toUnit && h.fromUnit ? t("admin.moved_units", { from: h.fromUnit, to: h.toUnit }) : "",
          h.note
            ? ["reopened", "reassigned", "member_reply"].includes(h.note)
              ? t(`admin.history_${h.note}`)
              : h.note
            : "",
        ]
          .filter(Boolean)
          .join(" · "),
      })),
      ...notes.map((n) => ({ at: n.createdAt, kind: "note", who: n.authorName ?? "", text: n.text })),
    ].sort((a, b) => a.at - b.at);
    const stamp = `${thread.messages.length}:${thread.history.length}:${notes.length}`;
    return (
      <section
        id="thread"
        hx-get={`/admin/tickets/${id}/thread`}
        hx-trigger="every 4s"
        hx-swap="outerHTML"
        data-stamp={stamp}
        aria-live="polite"
      >
        <h2 style="font-size:1.2rem">{t("admin.thread")}</h2>
        <ol class="thread">
          {items.map((i) => (
            <li class={i.kind}>
              <div class="meta">
                {formatMeetingTime(new Date(i.at), timeZone, locale)} · {i.who}
                {i.kind === "note"
                  ? ` · ${t("admin.internal_note")}`
                  : i.kind === "official"
                    ? ` · ${t("admin.answer")}`
                    : ""}
              </div>
              <div style="white-space:pre-wrap">{i.text}</div>
            </li>
          ))}
        </ol>
        {thread.ticket.satisfied !== null ? (
          <p>
            <strong>{t("admin.satisfaction")}:</strong> {satisfactionText(t, thread.ticket.satisfied)}
          </p>
        ) : null}
      </section>
    );
  };

  const ticketPage = async (
    c: Context<AdminEnv>,
    id: number,
    flash?: { ok?: string; error?: string },
    status: 200 | 400 | 403 | 404 | 409 | 429 = 200,
  ) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const viewer = viewerOf(c);
    const thread = await ticketThread(db, id, viewer.personId);
    const tk = thread.ticket;
    // Whom the concern may be given to: handlers whose rights cover its current unit.
    const unitPath = (await findUnit(db, tk.unitId)).path;
    const handlers =
      tk.status !== "closed"
        ? choices(
            (await assignableHandlers(db, viewer.personId)).filter((h) => unitPath.startsWith(h.unitPath)),
            viewer.personId,
          )
        : [];
    const accounts = await personChatAccounts(db, tk.personId);
    const memberUnits = await personUnitNames(db, tk.personId);
    const overdue = tk.status !== "closed" && tk.dueAt < now().getTime();
    const csrf = <input type="hidden" name="_csrf" value={viewer.csrfToken} />;
    const dueKey = new Date(tk.dueAt);
    return c.html(
      <Layout t={t} lang={locale} title={t("admin.ticket_title", { id })} viewer={viewer}>
        <p>
          <a href="/admin/tickets">← {t("admin.back_to_queue")}</a>
        </p>
        <h1>
          {t("admin.ticket_title", { id })} <StatusBadge t={t} status={tk.status} />
        </h1>
        {flash?.ok ? (
          <p class="notice" role="status">
            {flash.ok}
          </p>
        ) : null}
        {flash?.error ? (
          <p class="error" role="alert">
            {flash.error}
          </p>
        ) : null}
        <div class="grid">
          <div>
            {await threadSection(c, id)}
            {tk.status !== "closed" ? (
              <form method="post" action={`/admin/tickets/${id}/answer`} class="card">
                {csrf}
                <label for="answer">{t("admin.answer_label")}</label>
                <textarea id="answer" name="text" required maxlength={4000}></textarea>
                <p class="mute">{t("admin.answer_help")}</p>
                <button type="submit">{t("admin.answer_send")}</button>
              </form>
            ) : null}
            <form method="post" action={`/admin/tickets/${id}/note`} class="card">
              {csrf}
              <label for="note">{t("admin.note_label")}</label>
              <textarea id="note" name="text" required maxlength={1000} style="min-height:4rem"></textarea>
              <p class="mute">{t("admin.note_help")}</p>
              <button type="submit" class="secondary">
                {t("admin.note_add")}
              </button>
            </form>
          </div>
          <aside>
            <div class="card">
              <h2 style="font-size:1.1rem;margin-top:0">{t("admin.member")}</h2>
              <p>
                <strong>{tk.memberName}</strong>
              </p>
              <p class="mute">{memberUnits.map((u) => u.name).join(", ")}</p>
              <p>
                {accounts.length
                  ? accounts.map((a) => t(`admin.platform_${a.platform}`)).join(", ")
                  : t("admin.not_linked")}
              </p>
            </div>
            <div class="card">
              <p>
                <strong>{t("admin.col_unit")}:</strong> {tk.unitName}
              </p>
              <p>
                <strong>{t("admin.col_due")}:</strong>{" "}
                <span class={overdue ? "overdue" : ""}>
                  {formatDate(new Date(tk.dueAt), timeZone)}
                  {overdue ? ` ${t("admin.overdue_mark")}` : ""}
                </span>
              </p>
              <p>
                <strong>{t("admin.assignee")}:</strong> {tk.assigneeName ?? t("admin.assignee_none")}
              </p>
              <div class="row">
                {tk.status !== "closed" && !(tk.status === "in_progress" && tk.assigneeId === viewer.personId) ? (
                  <form method="post" action={`/admin/tickets/${id}/take`}>
                    {csrf}
                    <button type="submit" class="secondary">
                      {t("admin.take")}
                    </button>
                  </form>
                ) : null}
                {tk.status !== "closed" ? (
                  <form method="post" action={`/admin/tickets/${id}/close`}>
                    {csrf}
                    <button type="submit" class="secondary">
                      {t("admin.close")}
                    </button>
                  </form>
                ) : (
                  <form method="post" action={`/admin/tickets/${id}/reopen`}>
                    {csrf}
                    <button type="submit" class="secondary">
                      {t("admin.reopen")}
                    </button>
                  </form>
                )}
              </div>
            </div>
            {handlers.length ? (
              <form method="post" action={`/admin/tickets/${id}/assign`} class="card">
                {csrf}
                <label for="assignee">{t("workplace.assign_to")}</label>
                <select id="assignee" name="assignee" required>
                  <option value="">{t("workplace.bulk_assignee_pick")}</option>
                  {handlers.map((h) => (
                    <option value={String(h.personId)} selected={h.personId === tk.assigneeId}>
                      {handlerLabel(h)}
                    </option>
                  ))}
                </select>
                <p>
                  <button type="submit" class="secondary">
                    {t("workplace.assign")}
                  </button>
                </p>
              </form>
            ) : null}
            {tk.status !== "closed" ? (
              <form method="post" action={`/admin/tickets/${id}/escalate`} class="card">
                {csrf}
                <label for="escalate-note">{t("admin.escalate_note")}</label>
                <input id="escalate-note" name="note" maxlength={1000} style="width:100%" />
                <p>
                  <button type="submit" class="secondary">
                    {t("admin.escalate")}
                  </button>
                </p>
              </form>
            ) : null}
            <form method="post" action={`/admin/tickets/${id}/category`} class="card">
              {csrf}
              <label for="category">{t("admin.filter_category")}</label>
              <select id="category" name="category">
                {ticketCategories.map((k) => (
                  <option value={k} selected={tk.category === k}>
                    {t(`admin.category_${k}`)}
                  </option>
                ))}
              </select>
              <p>
                <button type="submit" class="secondary">
                  {t("admin.save")}
                </button>
              </p>
            </form>
            {tk.status !== "closed" ? (
              <form method="post" action={`/admin/tickets/${id}/due`} class="card">
                {csrf}
                <label for="due">{t("admin.due_change")}</label>
                <input
                  id="due"
                  name="due"
                  type="date"
                  required
                  value={formatDate(dueKey, timeZone).split("/").reverse().join("-")}
                />
                <p>
                  <button type="submit" class="secondary">
                    {t("admin.save")}
                  </button>
                </p>
              </form>
            ) : null}
          </aside>
        </div>
      </Layout>,
      status,
    );
  };

  const ticketId = (c: Context) => (/^\d{1,9}$/.test(c.req.param("id") ?? "") ? Number(c.req.param("id")) : NaN);

  const notFound = (c: Context<AdminEnv>, message: string, status: 403 | 404) =>
    c.html(
      <Layout t={c.get("t")} lang={c.get("locale")} title={message} viewer={viewerOf(c)}>
        <p class="error" role="alert">
          {message}
        </p>
        <p>
          <a href="/admin/tickets">{c.get("t")("admin.back_to_queue")}</a>
        </p>
      </Layout>,
      status,
    );

  app.get("/admin/tickets/:id", async (c) => {
    const id = ticketId(c);
    try {
      if (Number.isNaN(id)) throw new Error("bad id");
      const done = c.req.query("done");
      const doneText =
        done === "assign" ? c.get("t")("workplace.done_assign", { id }) : c.get("t")(`admin.done_${done}`, { id });
      return await ticketPage(c, id, done && /^[a-z_]+$/.test(done) ? { ok: doneText } : undefined);
    } catch (e) {
      // Outside the scope and not existing look the same: nobody learns which numbers exist.
      if (isAppError(e, "forbidden") || isAppError(e, "not_found") || (e instanceof Error && e.message === "bad id"))
        return notFound(c, c.get("t")("admin.ticket_not_found"), 404);
      throw e;
    }
  });

  app.get("/admin/tickets/:id/thread", async (c) => {
    const id = ticketId(c);
    try {
      if (Number.isNaN(id)) throw new Error("bad id");
      return c.html(await threadSection(c, id));
    } catch (e) {
      if (isAppError(e, "forbidden") || isAppError(e, "not_found") || (e instanceof Error && e.message === "bad id"))
        return c.text(c.get("t")("admin.ticket_not_found"), 404);
      throw e;
    }
  });

  const actions: Record<string, (id: number, personId: number, form: Record<string, string>) => Promise<unknown>> = {
    take: async (id, personId) => takeTicket(db, { ticketId: id, personId, now: now(), source: "web" }),
    assign: async (id, personId, form) =>
      assignTicket(db, {
        ticketId: id,
        actorId: personId,
        assigneeId: /^\d{1,9}$/.test(form.assignee ?? "") ? Number(form.assignee) : NaN,
        now: now(),
        source: "web",
      }),
    answer: async (id, personId, form) => {
      const result = await answerTicket(db, {
        ticketId: id,
        personId,
        text: form.text ?? "",
        now: now(),
        source: "web",
      });
      if (result.outboxId !== null) options.onQueued?.();
      return result;
    },
    escalate: async (id, personId, form) =>
      escalateTicket(db, { ticketId: id, personId, note: form.note ?? null, now: now(), source: "web" }),
    close: async (id, personId) => closeTicket(db, { ticketId: id, personId, now: now(), source: "web" }),
    reopen: async (id, personId) => reopenTicket(db, { ticketId: id, personId, now: now(), source: "web" }),
    note: async (id, personId, form) =>
      addTicketNote(db, { ticketId: id, personId, text: form.text ?? "", now: now(), source: "web" }),
    category: async (id, personId, form) =>
      setTicketCategory(db, { ticketId: id, personId, category: form.category ?? "", now: now(), source: "web" }),
    due: async (id, personId, form) => {
      const d = parseDateKey(form.due ?? "");
      const dueAt = d ? fromLocal({ ...d, hour: 23, minute: 59 }, timeZone).getTime() : NaN;
      return setTicketDueDate(db, { ticketId: id, personId, dueAt, now: now(), source: "web" });
    },
  };

  app.post("/admin/tickets/:id/:action", async (c) => {
    const id = ticketId(c);
    const action = c.req.param("action");
    const run = actions[action];
    if (Number.isNaN(id) || !run || !Object.hasOwn(actions, action))
      return notFound(c, c.get("t")("admin.ticket_not_found"), 404);
    const body = await c.req.parseBody();
    const form = Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === "string")) as Record<
      string,
      string
    >;
    const personId = viewerOf(c).personId;
    try {
      await run(id, personId, form);
    } catch (e) {
      if (!isAppError(e)) throw e;
      if (e.code === "forbidden" || e.code === "not_found") {
        // After passing a ticket up the actor may no longer see it: that is success, not an error.
        return notFound(c, c.get("t")("admin.ticket_not_found"), 404);
      }
      return ticketPage(c, id, { error: errorText(c.get("t"), e) }, httpStatusOf(e.code));
    }
    let visible = true;
    try {
      await ticketThread(db, id, personId);
    } catch {
      visible = false;
    }
    if (!visible) return c.redirect(`/admin/tickets?done=${action}&id=${id}`, 303);
    return c.redirect(`/admin/tickets/${id}?done=${action}`, 303);
  });
}
