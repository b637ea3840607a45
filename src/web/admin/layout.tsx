/** The page frame of the officials' web workplace: header, navigation, language switch, styles. */
import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import type { Translate } from "../../lib/i18n.ts";

export interface Viewer {
  personId: number;
  name: string;
  csrfToken: string;
}

const styles = `
:root{--red:#b91c1c;--ink:#1f2937;--mute:#6b7280;--line:#d1d5db;--bg:#f9fafb;--ok:#166534;--warn:#b45309}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:18px;line-height:1.5;color:var(--ink);background:var(--bg);margin:0}
header{background:var(--red);color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center}
header a{color:#fff}
header .brand{font-weight:700;font-size:1.2rem;text-decoration:none}
header nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
header .who{margin-left:auto;display:flex;gap:.75rem;align-items:center;flex-wrap:wrap}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
a{color:#1d4ed8}
a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f59e0b;outline-offset:2px}
button,.button{font:inherit;background:var(--red);color:#fff;border:0;border-radius:.4rem;padding:.5rem 1rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:var(--ink);border:1px solid var(--line)}
header button.link{background:none;border:1px solid #fff;padding:.2rem .6rem}
input,select,textarea{font:inherit;padding:.45rem .6rem;border:1px solid var(--line);border-radius:.4rem;max-width:100%;background:#fff}
textarea{width:100%;min-height:6rem}
label{display:block;font-weight:600;margin:.5rem 0 .2rem}
.card{background:#fff;border:1px solid var(--line);border-radius:.5rem;padding:1rem;margin:0 0 1rem}
.narrow{max-width:28rem;margin:2rem auto}
.error{background:#fee2e2;border:1px solid #fca5a5;padding:.6rem .8rem;border-radius:.4rem}
.notice{background:#ecfdf5;border:1px solid #6ee7b7;padding:.6rem .8rem;border-radius:.4rem}
.mute{color:var(--mute)}
.row{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end}
.row>div{min-width:10rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.9rem;color:var(--mute)}
.badge{display:inline-block;font-size:.85rem;padding:0 .45rem;border-radius:1rem;border:1px solid var(--line);white-space:nowrap}
.badge.new{background:#dbeafe}.badge.in_progress{background:#fef3c7}.badge.answered{background:#dcfce7}.badge.closed{background:#e5e7eb}
.overdue{color:var(--red);font-weight:600}
.counts{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 1rem}
.counts a{text-decoration:none}
.pager{display:flex;gap:1rem;align-items:center;margin:1rem 0}
.thread{list-style:none;padding:0;margin:0}
.thread li{border-left:4px solid var(--line);padding:.4rem .8rem;margin:.5rem 0;background:#fff}
.thread li.member{border-color:#2563eb}.thread li.official{border-color:var(--ok)}.thread li.event{border-color:#9ca3af;font-size:.95rem}.thread li.note{border-color:var(--warn);background:#fffbeb}
.thread .meta{font-size:.85rem;color:var(--mute)}
.grid{display:grid;grid-template-columns:1fr;gap:1rem}
@media(min-width:60rem){.grid{grid-template-columns:2fr 1fr}}
@media(max-width:40rem){.hide-small{display:none}td,th{padding:.4rem .3rem}body{font-size:17px}}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
`;

/** The whole page: pass `viewer` for a signed-in person (navigation, sign out, CSRF header for htmx). */
export function Layout(props: { t: Translate; lang: string; title: string; viewer?: Viewer; children?: Child }) {
  const { t, viewer } = props;
  const other = props.lang === "vi" ? "en" : "vi";
  return (
    <>
      {raw("<!doctype html>")}
      <html lang={props.lang}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${props.title} · ${t("admin.brand")}`}</title>
          <style>{raw(styles)}</style>
          <script src="/admin/assets/htmx.min.js" defer></script>
        </head>
        <body hx-headers={viewer ? JSON.stringify({ "X-CSRF-Token": viewer.csrfToken }) : undefined}>
          <a class="sr-only" href="#main">
            {t("admin.skip_to_content")}
          </a>
          <header>
            <a class="brand" href="/admin">
              {t("admin.brand")}
            </a>
            {viewer ? (
              <nav aria-label={t("admin.nav_label")}>
                <a href="/admin/tickets">{t("admin.nav_tickets")}</a>
                <a href="/admin/meetings">{t("webmeetings.nav")}</a>
                <a href="/admin/units">{t("admin.nav_units")}</a>
                <a href="/admin/people">{t("admin.nav_people")}</a>
                <a href="/admin/rights">{t("admin.nav_rights")}</a>
                <a href="/admin/directives">{t("admin_directives.nav")}</a>
                <a href="/admin/reports">{t("admin_reports.nav")}</a>
                <a href="/admin/audit">{t("admin_audit.nav")}</a>
                <a href="/admin/account">{t("admin.nav_account")}</a>
              </nav>
            ) : null}
            <div class="who">
              <a href={`/admin/lang/${other}`} lang={other}>
                {t(`admin.lang_${other}`)}
              </a>
              {viewer ? (
                <>
                  <span>{viewer.name}</span>
                  <form method="post" action="/admin/sign-out" style="display:inline">
                    <input type="hidden" name="_csrf" value={viewer.csrfToken} />
                    <button class="link" type="submit">
                      {t("admin.sign_out")}
                    </button>
                  </form>
                </>
              ) : null}
            </div>
          </header>
          <main id="main">{props.children}</main>
        </body>
      </html>
    </>
  );
}
