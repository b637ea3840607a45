/** Units, rosters, people and rights in the web workplace. */
import type { Context, Hono } from "hono";
import { isAppError } from "../../lib/app-error.ts";
import { errorText, type Translate } from "../../lib/i18n.ts";
import { maskPhone } from "../../lib/phone.ts";
import { formatDate, formatMeetingTime } from "../../lib/zoned-time.ts";
import { scopeRoots, can } from "../../domain/access/access-scope.ts";
import { grantRight, isRightRole, listRights, revokeRight, rightRoles } from "../../domain/access/rights-service.ts";
import { personProfile, searchPeople, unitRoster } from "../../domain/people/people-directory.ts";
import { getUnit, listAncestors, listSubtree, rollUpCounts } from "../../domain/units/unit-service.ts";
import { personName } from "../../domain/person-profile/person-profile.ts";
import { Layout, type Viewer } from "./layout.tsx";
import { httpStatusOf, type AdminEnv, type AdminOptions } from "./admin-auth.ts";

const rosterPage = 500;

function viewerOf(c: Context<AdminEnv>): Viewer {
  const s = c.get("signedIn");
  return { personId: s.session.personId, name: s.name, csrfToken: s.session.csrfToken };
}

function platformsText(t: Translate, platforms: string): string {
  return platforms
    ? platforms
        .split(",")
        .map((p) => t(`admin.platform_${p}`))
        .join(", ")
    : t("admin.not_linked_short");
}

function Page(props: { c: Context<AdminEnv>; title: string; children?: unknown; status?: number }) {
  return (
    <Layout t={props.c.get("t")} lang={props.c.get("locale")} title={props.title} viewer={viewerOf(props.c)}>
      {props.children as never}
    </Layout>
  );
}

const id = (value: string | undefined) => (/^\d{1,9}$/.test(value ?? "") ? Number(value) : NaN);

/** Mounts /admin/units, /admin/people and /admin/rights. */
export function mountPeople(app: Hono<AdminEnv>, options: AdminOptions & { timeZone: string }): void {
  const { db, timeZone } = options;
  const now = () => options.now?.() ?? new Date();

  const notFound = (c: Context<AdminEnv>, message: string) =>
    c.html(
      <Page c={c} title={message}>
        <p class="error" role="alert">
          {message}
        </p>
      </Page>,
      404,
    );

  app.get("/admin/units", async (c) => {
    const t = c.get("t");
    const roots = await scopeRoots(db, viewerOf(c).personId, "read");
    if (roots.length === 1) return c.redirect(`/admin/units/${roots[0]!.unitId}`, 303);
    const rootUnits = await Promise.all(roots.map((r) => getUnit(db, r.unitId)));
    return c.html(
      <Page c={c} title={t("admin.units_title")}>
        <h1>{t("admin.units_title")}</h1>
        <ul>
          {rootUnits.map((u) => (
            <li>
              <a href={`/admin/units/${u.id}`}>{u.name}</a>
            </li>
          ))}
        </ul>
      </Page>,
    );
  });

  app.get("/admin/units/:id", async (c) => {
    const t = c.get("t");
    const unitId = id(c.req.param("id"));
    const viewer = viewerOf(c);
    if (
      Number.isNaN(unitId) ||
      !(await (async () => {
        try {
          return await can(db, viewer.personId, "read", unitId);
        } catch {
          return false;
        }
      })())
    )
      return notFound(c, t("admin.unit_not_found"));
    const unit = await getUnit(db, unitId);
    const offset = Math.max(0, id(c.req.query("offset")) || 0);
    const counts = await rollUpCounts(db, unitId);
    const self = counts[0]!;
    const children = counts.filter((u) => u.parentId === unitId);
    const roster = await unitRoster(db, viewer.personId, unitId, { limit: rosterPage, offset });
    const visibleAncestors = [];
    for (const a of await listAncestors(db, unitId))
      if (await can(db, viewer.personId, "read", a.id)) visibleAncestors.push(a);
    const pct = (linked: number, members: number) => (members ? Math.round((100 * linked) / members) : 0);
    return c.html(
      <Page c={c} title={unit.name}>
        <nav aria-label={t("admin.breadcrumb")} class="mute">
          {visibleAncestors.map((a) => (
            <>
              <a href={`/admin/units/${a.id}`}>{a.name}</a> /{" "}
            </>
          ))}
        </nav>
        <h1>
          {unit.name}{" "}
          <span class="mute" style="font-size:1rem">
            {unit.levelLabel}
          </span>
        </h1>
        <p>
          {t("admin.unit_counts", {
            members: self.membersTotal,
            linked: self.linkedTotal,
            pct: pct(self.linkedTotal, self.membersTotal),
          })}
        </p>
        <p class="row">
          <a href={`/admin/tickets?unit=${unitId}`}>{t("admin.unit_tickets")}</a>
          {(await can(db, viewer.personId, "manage_people", unitId)) ? (
            <>
              <a href={`/admin/units/${unitId}/import`}>{t("admin.unit_import")}</a>
              <a href={`/admin/units/${unitId}/slips`}>{t("admin.unit_slips")}</a>
            </>
          ) : null}
        </p>
        {children.length ? (
          <section class="card">
            <h2 style="font-size:1.1rem;margin-top:0">{t("admin.unit_children")}</h2>
            <table>
              <thead>
                <tr>
                  <th>{t("admin.col_unit")}</th>
                  <th>{t("admin.col_members")}</th>
                  <th>{t("admin.col_linked")}</th>
                </tr>
              </thead>
              <tbody>
                {children.map((u) => (
                  <tr>
                    <td>
                      <a href={`/admin/units/${u.unitId}`}>{u.name}</a> <span class="mute">{u.levelLabel}</span>
                    </td>
                    <td>{u.membersTotal}</td>
                    <td>
                      {u.linkedTotal} ({pct(u.linkedTotal, u.membersTotal)}%)
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ) : null}
        <section>
          <h2 style="font-size:1.1rem">{t("admin.unit_roster", { count: self.members })}</h2>
          {roster.rows.length ? (
            <table>
              <thead>
                <tr>
                  <th>{t("admin.col_name")}</th>
                  <th class="hide-small">{t("admin.col_phone")}</th>
                  <th>{t("admin.col_role")}</th>
                  <th>{t("admin.col_linked_on")}</th>
                  <th class="hide-small">{t("admin.col_last_seen")}</th>
                </tr>
              </thead>
              <tbody>
                {roster.rows.map((r) => (
                  <tr>
                    <td>
                      <a href={`/admin/people/${r.id}`}>{r.fullName}</a>
                    </td>
                    <td class="hide-small">{maskPhone(r.phone)}</td>
                    <td>
                      {t(`admin.role_${r.role}`)}
                      {r.title ? ` · ${r.title}` : ""}
                    </td>
                    <td>{platformsText(t, r.platforms)}</td>
                    <td class="hide-small">{r.lastSeenAt ? formatDate(new Date(r.lastSeenAt), timeZone) : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p class="card">{t("admin.unit_roster_empty")}</p>
          )}
          <nav class="pager" aria-label={t("admin.pages")}>
            {offset > 0 ? (
              <a href={`/admin/units/${unitId}?offset=${Math.max(0, offset - rosterPage)}`}>← {t("admin.page_prev")}</a>
            ) : null}
            {roster.more ? (
              <a href={`/admin/units/${unitId}?offset=${offset + rosterPage}`}>{t("admin.page_next")} →</a>
            ) : null}
          </nav>
        </section>
      </Page>,
    );
  });

  app.get("/admin/people", async (c) => {
    const t = c.get("t");
    const q = (c.req.query("q") ?? "").slice(0, 100);
    const hits = q.trim() ? await searchPeople(db, viewerOf(c).personId, q) : [];
    return c.html(
      <Page c={c} title={t("admin.people_title")}>
        <h1>{t("admin.people_title")}</h1>
        <form method="get" action="/admin/people" class="card row" role="search">
          <div style="flex:1 1 16rem">
            <label for="pq">{t("admin.people_search")}</label>
            <input id="pq" name="q" type="search" value={q} maxlength={100} style="width:100%" />
          </div>
          <div style="min-width:auto">
            <button type="submit">{t("admin.search")}</button>
          </div>
        </form>
        {q.trim() ? (
          hits.length ? (
            <table>
              <thead>
                <tr>
                  <th>{t("admin.col_name")}</th>
                  <th>{t("admin.col_phone")}</th>
                  <th>{t("admin.col_unit")}</th>
                  <th>{t("admin.col_linked_on")}</th>
                </tr>
              </thead>
              <tbody>
                {hits.map((h) => (
                  <tr>
                    <td>
                      <a href={`/admin/people/${h.id}`}>{h.fullName}</a>
                    </td>
                    <td>{maskPhone(h.phone)}</td>
                    <td>{h.units}</td>
                    <td>{h.linkedAccounts ? t("admin.linked_yes") : t("admin.not_linked_short")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p class="card">{t("admin.people_none")}</p>
          )
        ) : null}
      </Page>,
    );
  });

  app.get("/admin/people/:id", async (c) => {
    const t = c.get("t");
    const locale = c.get("locale");
    const personId = id(c.req.param("id"));
    let p;
    try {
      if (Number.isNaN(personId)) throw new Error("bad id");
      p = await personProfile(db, viewerOf(c).personId, personId);
    } catch (e) {
      if (isAppError(e) || (e instanceof Error && e.message === "bad id"))
        return notFound(c, t("admin.person_not_found"));
      throw e;
    }
    const when = (ms: number | null) => (ms ? formatMeetingTime(new Date(ms), timeZone, locale) : "—");
    return c.html(
      <Page c={c} title={p.person.fullName}>
        <h1>{p.person.fullName}</h1>
        <div class="grid">
          <div>
            <section class="card">
              <h2 style="font-size:1.1rem;margin-top:0">{t("admin.person_memberships")}</h2>
              <ul>
                {p.memberships.map((m) => (
                  <li>
                    <a href={`/admin/units/${m.unitId}`}>{m.unitName}</a> — {t(`admin.role_${m.role}`)}
                    {m.title ? ` (${m.title})` : ""}
                  </li>
                ))}
              </ul>
            </section>
            <section class="card">
              <h2 style="font-size:1.1rem;margin-top:0">{t("admin.person_tickets")}</h2>
              {p.tickets.length ? (
                <ul>
                  {p.tickets.map((k) => (
                    <li>
                      <a href={`/admin/tickets/${k.id}`}>#{k.id}</a> {t(`admin.status_${k.status}`)} —{" "}
                      {(k.text ?? "").slice(0, 100)}
                    </li>
                  ))}
                </ul>
              ) : (
                <p class="mute">—</p>
              )}
            </section>
            <section class="card">
              <h2 style="font-size:1.1rem;margin-top:0">{t("admin.person_rsvps")}</h2>
              {p.rsvps.length ? (
                <ul>
                  {p.rsvps.map((r) => (
                    <li>
                      {r.title}, {when(r.startsAt)}: <strong>{t(`admin.rsvp_${r.answer}`)}</strong>
                      {r.reason ? ` (${r.reason})` : ""}
                      {r.late ? ` · ${t("admin.rsvp_late")}` : ""}
                    </li>
                  ))}
                </ul>
              ) : (
                <p class="mute">—</p>
              )}
            </section>
            <section class="card">
              <h2 style="font-size:1.1rem;margin-top:0">{t("admin.person_reads")}</h2>
              {p.reads.length ? (
                <ul>
                  {p.reads.map((r) => (
                    <li>
                      {r.title}:{" "}
                      {r.readAt ? t("admin.read_at", { when: when(r.readAt) }) : t(`admin.delivery_${r.status}`)}
                    </li>
                  ))}
                </ul>
              ) : (
                <p class="mute">—</p>
              )}
            </section>
          </div>
          <aside class="card">
            <p>
              <strong>{t("admin.col_phone")}:</strong> {p.person.phone ?? "—"}
            </p>
            {p.person.birthYear ? (
              <p>
                <strong>{t("admin.birth_year")}:</strong> {p.person.birthYear}
              </p>
            ) : null}
            <h2 style="font-size:1.1rem">{t("admin.person_accounts")}</h2>
            {p.accounts.length ? (
              <ul>
                {p.accounts.map((a) => (
                  <li>
                    {t(`admin.platform_${a.platform}`)}
                    {a.unreachable ? ` · ${t("admin.unreachable")}` : ""} —{" "}
                    {t("admin.last_seen", { when: when(a.lastSeenAt) })}
                  </li>
                ))}
              </ul>
            ) : (
              <p>{t("admin.not_linked")}</p>
            )}
          </aside>
        </div>
      </Page>,
    );
  });

  const rightsPage = async (
    c: Context<AdminEnv>,
    flash: {
      ok?: string;
      error?: string;
      confirm?: { fullName: string; units: string[]; form: Record<string, string> };
    } = {},
    status: 200 | 400 | 403 | 404 | 409 | 429 = 200,
  ) => {
    const t = c.get("t");
    const viewer = viewerOf(c);
    const roots = await scopeRoots(db, viewer.personId, "administer");
    if (!roots.length)
      return c.html(
        <Page c={c} title={t("admin.rights_title")}>
          <h1>{t("admin.rights_title")}</h1>
          <p class="card">{t("admin.rights_admins_only")}</p>
        </Page>,
        403,
      );
    const holders = await listRights(db, { actorId: viewer.personId });
    const units = (await Promise.all(roots.map((r) => listSubtree(db, r.unitId)))).flat().slice(0, 2000);
    const csrf = <input type="hidden" name="_csrf" value={viewer.csrfToken} />;
    const form = flash.confirm?.form ?? {};
    return c.html(
      <Page c={c} title={t("admin.rights_title")}>
        <h1>{t("admin.rights_title")}</h1>
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
        {flash.confirm ? (
          <form method="post" action="/admin/rights/grant" class="card" style="border-color:#f59e0b">
            {csrf}
            {Object.entries(form).map(([k, v]) => (
              <input type="hidden" name={k} value={v} />
            ))}
            <input type="hidden" name="confirmed" value="1" />
            <p role="alert">
              {t("admin.rights_confirm", {
                phone: form.phone ?? "",
                owner: flash.confirm.fullName,
                typed: form.fullName ?? "",
                units: flash.confirm.units.join(", ") || "—",
              })}
            </p>
            <p class="row">
              <button type="submit">{t("admin.rights_confirm_yes", { name: flash.confirm.fullName })}</button>{" "}
              <a href="/admin/rights">{t("admin.cancel")}</a>
            </p>
          </form>
        ) : null}
        <form method="post" action="/admin/rights/grant" class="card">
          {csrf}
          <h2 style="font-size:1.1rem;margin-top:0">{t("admin.rights_grant")}</h2>
          <div class="row">
            <div>
              <label for="g-name">{t("admin.col_name")}</label>
              <input id="g-name" name="fullName" required maxlength={200} />
            </div>
            <div>
              <label for="g-phone">{t("admin.col_phone")}</label>
              <input id="g-phone" name="phone" type="tel" required maxlength={20} />
            </div>
            <div>
              <label for="g-unit">{t("admin.col_unit")}</label>
              <select id="g-unit" name="unitId" style="max-width:18rem">
                {units.map((u) => (
                  <option value={String(u.id)}>
                    {"\u00a0\u00a0".repeat(u.depth - (units[0]?.depth ?? 0)) + u.name}
                  </option>
                ))}
              </select>
            </div>
            <div>
              <label for="g-role">{t("admin.col_role")}</label>
              <select id="g-role" name="role">
                {rightRoles.map((r) => (
                  <option value={r}>{t(`admin.role_${r}`)}</option>
                ))}
              </select>
            </div>
            <div style="min-width:auto">
              <button type="submit">{t("admin.rights_grant_button")}</button>
            </div>
          </div>
        </form>
        <table>
          <thead>
            <tr>
              <th>{t("admin.col_name")}</th>
              <th>{t("admin.col_unit")}</th>
              <th>{t("admin.col_role")}</th>
              <th>{t("admin.col_linked_on")}</th>
              <th>
                <span class="sr-only">{t("admin.rights_revoke")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {holders.map((h) => (
              <tr>
                <td>
                  <a href={`/admin/people/${h.personId}`}>{h.fullName}</a>{" "}
                  <span class="mute">{maskPhone(h.phone)}</span>
                </td>
                <td>{h.unitName}</td>
                <td>{t(`admin.role_${h.role}`)}</td>
                <td>{h.linkedAccounts ? t("admin.linked_yes") : t("admin.not_linked_short")}</td>
                <td>
                  <form method="post" action="/admin/rights/revoke">
                    {csrf}
                    <input type="hidden" name="personId" value={String(h.personId)} />
                    <input type="hidden" name="unitId" value={String(h.unitId)} />
                    <input type="hidden" name="role" value={h.role} />
                    <button
                      type="submit"
                      class="secondary"
                      aria-label={t("admin.rights_revoke_label", {
                        name: h.fullName,
                        role: t(`admin.role_${h.role}`),
                        unit: h.unitName,
                      })}
                    >
                      {t("admin.rights_revoke")}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Page>,
      status,
    );
  };

  app.get("/admin/rights", (c) => rightsPage(c));

  const formOf = async (c: Context) =>
    Object.fromEntries(Object.entries(await c.req.parseBody()).filter(([, v]) => typeof v === "string")) as Record<
      string,
      string
    >;

  app.post("/admin/rights/grant", async (c) => {
    const t = c.get("t");
    const form = await formOf(c);
    const role = form.role ?? "";
    try {
      if (!isRightRole(role)) throw new Error("role");
      const result = await grantRight(db, {
        actorId: viewerOf(c).personId,
        input: {
          unitId: id(form.unitId),
          role,
          phone: form.phone ?? "",
          fullName: form.fullName ?? "",
          confirmed: form.confirmed === "1",
        },
        now: now(),
        source: "web",
      });
      const unitName = (await getUnit(db, id(form.unitId))).name;
      if (result.status === "confirm") {
        const { _csrf: _ignored, confirmed: _c, ...keep } = form;
        return rightsPage(c, { confirm: { fullName: result.fullName, units: result.units, form: keep } });
      }
      const key = result.status === "already" ? "admin.rights_already" : "admin.rights_granted";
      return rightsPage(c, { ok: t(key, { name: result.fullName, role: t(`admin.role_${role}`), unit: unitName }) });
    } catch (e) {
      if (isAppError(e)) return rightsPage(c, { error: errorText(t, e) }, httpStatusOf(e.code));
      if (e instanceof Error && e.message === "role") return rightsPage(c, { error: t("admin.rights_bad_role") }, 400);
      throw e;
    }
  });

  app.post("/admin/rights/revoke", async (c) => {
    const t = c.get("t");
    const form = await formOf(c);
    const role = form.role ?? "";
    try {
      if (!isRightRole(role)) throw new Error("role");
      const personId = id(form.personId);
      const done = await revokeRight(db, {
        actorId: viewerOf(c).personId,
        input: { personId, unitId: id(form.unitId), role },
        now: now(),
        source: "web",
      });
      const name = await personName(db, personId);
      return rightsPage(c, {
        ok: done
          ? t("admin.rights_revoked", {
              name,
              role: t(`admin.role_${role}`),
              unit: (await getUnit(db, id(form.unitId))).name,
            })
          : t("admin.rights_nothing"),
      });
    } catch (e) {
      if (isAppError(e)) return rightsPage(c, { error: errorText(t, e) }, httpStatusOf(e.code));
      if (e instanceof Error && e.message === "role") return rightsPage(c, { error: t("admin.rights_bad_role") }, 400);
      throw e;
    }
  });
}
