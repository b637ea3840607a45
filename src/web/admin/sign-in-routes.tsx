/** Sign-in pages of the web workplace: phone (or name + unit) → code sent in chat → session; demo one-click; sign-in links; sign out. */
import type { Context, Hono } from "hono";
import { z } from "zod";
import { translator, errorText, type Locale, type Translate } from "../../lib/i18n.ts";
import { isAppError } from "../../lib/app-error.ts";
import {
  countOpenWebSessions,
  createWebSession,
  endAllWebSessions,
  endWebSession,
} from "../../domain/web-auth/web-session-service.ts";
import { demoWorkplaceRoles, type DemoWorkplacePerson } from "../../domain/web-auth/demo-sign-in.ts";
import {
  hasWorkplaceRights,
  peekSignInLink,
  redeemSignInLink,
  requestSignInCode,
  verifySignInCode,
} from "../../domain/web-auth/sign-in-service.ts";
import {
  requestSignInCodeByName,
  signInNameMaxLength,
  signInUnitMaxLength,
  verifySignInCodeByName,
} from "../../domain/web-auth/sign-in-by-name.ts";
import { recordAudit } from "../../domain/audit/audit-service.ts";
import { Layout } from "./layout.tsx";
import {
  clearSessionCookie,
  clientIp,
  csrfMatches,
  httpStatusOf,
  originAllowed,
  preSignInToken,
  requestLocale,
  requireSession,
  setSessionCookie,
  signedInPerson,
  type AdminEnv,
  type AdminOptions,
} from "./admin-auth.ts";

/** Where to go after sign-in: only a path inside the workplace (no open redirect). */
function safeNext(value: unknown): string {
  return typeof value === "string" && /^\/admin(\/[A-Za-z0-9/_\-?=&%.+]*)?$/.test(value) && !value.startsWith("//")
    ? value
    : "/admin/tickets";
}

type DemoPerson = DemoWorkplacePerson;

async function demoPeople(options: AdminOptions): Promise<DemoPerson[]> {
  if (!options.demo) return [];
  // The highest role of each demo person with rights: one cadre, the official and the admin.
  const rows = await demoWorkplaceRoles(options.db);
  const picked: DemoPerson[] = [];
  for (const role of ["cadre", "official", "admin"]) {
    const row = rows.find((r) => r.role === role);
    if (row) picked.push(row);
  }
  return picked;
}

/** Who a sign-in is for, as typed: a phone, or a name and a unit. */
type Who = { phone: string } | { name: string; unit: string };

function SignInPage(props: {
  t: Translate;
  lang: Locale;
  csrf: string;
  next: string;
  error?: string;
  demo: DemoPerson[];
  typed?: { name?: string; unit?: string };
}) {
  const { t } = props;
  return (
    <Layout t={t} lang={props.lang} title={t("admin.signin_title")}>
      <div class="narrow">
        <h1>{t("admin.signin_title")}</h1>
        {props.error ? (
          <p class="error" role="alert">
            {props.error}
          </p>
        ) : null}
        <form method="post" action="/admin/sign-in" class="card">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <input type="hidden" name="next" value={props.next} />
          <label for="phone">{t("admin.signin_phone")}</label>
          <input
            id="phone"
            name="phone"
            type="tel"
            inputmode="tel"
            autocomplete="tel"
            maxlength={20}
            autofocus
            style="width:100%"
          />
          <p class="mute">{t("admin.signin_phone_help")}</p>
          <fieldset style="border:1px solid var(--line);border-radius:.4rem;margin:0 0 1rem">
            <legend>{t("workplace.signin_by_name")}</legend>
            <label for="name">{t("workplace.signin_name")}</label>
            <input
              id="name"
              name="name"
              autocomplete="name"
              maxlength={signInNameMaxLength}
              value={props.typed?.name ?? ""}
              style="width:100%"
            />
            <label for="unit">{t("workplace.signin_unit")}</label>
            <input
              id="unit"
              name="unit"
              maxlength={signInUnitMaxLength}
              value={props.typed?.unit ?? ""}
              style="width:100%"
              aria-describedby="unit-help"
            />
            <p class="mute" id="unit-help">
              {t("workplace.signin_unit_help")}
            </p>
          </fieldset>
          <button type="submit">{t("admin.signin_send_code")}</button>
        </form>
        {props.demo.length ? (
          <div class="card">
            <h2 style="font-size:1.1rem;margin-top:0">{t("admin.demo_title")}</h2>
            <p class="mute">{t("admin.demo_help")}</p>
            {props.demo.map((p) => (
              <form method="post" action="/admin/demo-login" style="margin:.4rem 0">
                <input type="hidden" name="_csrf" value={props.csrf} />
                <input type="hidden" name="personId" value={String(p.id)} />
                <input type="hidden" name="next" value={props.next} />
                <button type="submit" class="secondary" style="width:100%;text-align:left">
                  {t("admin.demo_as", { name: p.fullName, role: t(`admin.role_${p.role}`), unit: p.unitName })}
                </button>
              </form>
            ))}
          </div>
        ) : null}
      </div>
    </Layout>
  );
}

function CodePage(props: { t: Translate; lang: Locale; csrf: string; who: Who; next: string; error?: string }) {
  const { t, who } = props;
  // The same words whoever matched; by name they also say what to do when no code comes.
  const sent = "phone" in who ? t("admin.signin_code_sent") : t("workplace.signin_code_sent_name");
  return (
    <Layout t={t} lang={props.lang} title={t("admin.signin_title")}>
      <div class="narrow">
        <h1>{t("admin.signin_code_title")}</h1>
        {props.error ? (
          <p class="error" role="alert">
            {props.error}
          </p>
        ) : (
          <p class="notice" role="status">
            {sent}
          </p>
        )}
        <form method="post" action="/admin/sign-in/verify" class="card">
          <input type="hidden" name="_csrf" value={props.csrf} />
          {"phone" in who ? (
            <input type="hidden" name="phone" value={who.phone} />
          ) : (
            <>
              <input type="hidden" name="name" value={who.name} />
              <input type="hidden" name="unit" value={who.unit} />
            </>
          )}
          <input type="hidden" name="next" value={props.next} />
          <label for="code">{t("admin.signin_code")}</label>
          <input
            id="code"
            name="code"
            inputmode="numeric"
            autocomplete="one-time-code"
            pattern="[0-9 ]{6,8}"
            maxlength={8}
            required
            autofocus
            style="font-size:1.6rem;letter-spacing:.3rem;width:10rem"
          />
          <p>
            <button type="submit">{t("admin.signin_submit")}</button>
          </p>
        </form>
        <p>
          <a href="/admin/sign-in">{t("admin.signin_other_phone")}</a>
        </p>
      </div>
    </Layout>
  );
}

const whoFields = {
  phone: z.string().max(40).optional(),
  name: z
    .string()
    .max(signInNameMaxLength * 2)
    .optional(),
  unit: z
    .string()
    .max(signInUnitMaxLength * 2)
    .optional(),
};
const requestForm = z.object({ ...whoFields, next: z.string().max(300).optional() });
const codeForm = z.object({ ...whoFields, code: z.string().max(20), next: z.string().max(300).optional() });

/** The phone when one was typed, else the name and unit (either may be empty), else undefined. */
function whoOf(form: { phone?: string; name?: string; unit?: string }): Who | undefined {
  if (form.phone?.trim()) return { phone: form.phone };
  if (form.name?.trim() || form.unit?.trim()) return { name: form.name ?? "", unit: form.unit ?? "" };
  return undefined;
}

async function formOf(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody().catch(() => ({}));
  return Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === "string")) as Record<string, string>;
}

/** Mounts sign-in, demo sign-in, sign-in links, sign out and the language switch. */
export function mountSignIn(app: Hono<AdminEnv>, options: AdminOptions): void {
  const now = () => options.now?.() ?? new Date();
  const { db } = options;

  /** Pre-sign-in forms: our Origin and the double-submit token, else 403. */
  const preSignInOk = async (c: Context, form: Record<string, string>) =>
    originAllowed(c, options.trustProxy) && csrfMatches(preSignInToken(c, options.trustProxy), form._csrf);

  const startSession = async (c: Context, personId: number, next: string) => {
    const { token, session } = await createWebSession(db, personId, now(), c.req.header("user-agent") ?? null);
    setSessionCookie(c, token, session.expiresAt, options.trustProxy);
    return c.redirect(safeNext(next), 303);
  };

  app.get("/admin/sign-in", async (c) => {
    if (await signedInPerson(c, options)) return c.redirect("/admin/tickets", 303);
    const lang = requestLocale(c, options.defaultLocale);
    return c.html(
      <SignInPage
        t={translator(lang)}
        lang={lang}
        csrf={preSignInToken(c, options.trustProxy)}
        next={safeNext(c.req.query("next"))}
        demo={await demoPeople(options)}
      />,
    );
  });

  app.post("/admin/sign-in", async (c) => {
    const lang = requestLocale(c, options.defaultLocale);
    const t = translator(lang);
    const form = await formOf(c);
    if (!(await preSignInOk(c, form))) return c.text(t("admin.forbidden_csrf"), 403);
    const parsed = requestForm.safeParse(form);
    const csrf = preSignInToken(c, options.trustProxy);
    const next = safeNext(parsed.data?.next);
    const who = parsed.success ? whoOf(parsed.data) : undefined;
    const typed = who && "name" in who ? who : undefined;
    const again = async (error: string, status: 400 | 429) =>
      c.html(
        <SignInPage
          t={t}
          lang={lang}
          csrf={csrf}
          next={next}
          error={error}
          demo={await demoPeople(options)}
          typed={typed}
        />,
        status,
      );
    if (!who) return again(t("workplace.signin_nothing_typed"), 400);
    const ip = clientIp(c, options.trustProxy);
    try {
      if ("phone" in who) await requestSignInCode(db, { phone: who.phone, ip }, now());
      else await requestSignInCodeByName(db, { name: who.name, unit: who.unit, ip }, now());
      options.onQueued?.();
    } catch (error) {
      if (isAppError(error, "code_throttled")) return again(t("admin.signin_throttled"), 429);
      if (isAppError(error, "unit_not_found"))
        return again(t("workplace.signin_unit_unknown", { unit: error.params.unit }), 400);
      if (!isAppError(error, "invalid_input")) throw error;
      return again("phone" in who ? t("admin.signin_bad_phone") : t("workplace.signin_name_and_unit"), 400);
    }
    // The same page whether or not the phone, or the name in the unit, is someone who may sign in.
    return c.html(<CodePage t={t} lang={lang} csrf={csrf} who={who} next={next} />);
  });

  app.post("/admin/sign-in/verify", async (c) => {
    const lang = requestLocale(c, options.defaultLocale);
    const t = translator(lang);
    const form = await formOf(c);
    if (!(await preSignInOk(c, form))) return c.text(t("admin.forbidden_csrf"), 403);
    const parsed = codeForm.safeParse(form);
    const csrf = preSignInToken(c, options.trustProxy);
    const who = parsed.success ? whoOf(parsed.data) : undefined;
    if (!parsed.success || !who) return c.redirect("/admin/sign-in", 303);
    const ip = clientIp(c, options.trustProxy);
    try {
      const personId =
        "phone" in who
          ? await verifySignInCode(db, { phone: who.phone, code: parsed.data.code, ip }, now())
          : await verifySignInCodeByName(db, { name: who.name, unit: who.unit, code: parsed.data.code, ip }, now());
      return await startSession(c, personId, parsed.data.next ?? "");
    } catch (error) {
      if (!isAppError(error)) throw error;
      const message =
        error.code === "code_expired"
          ? t("admin.signin_code_expired")
          : error.code === "code_throttled"
            ? t("admin.signin_throttled")
            : t("admin.signin_code_wrong");
      return c.html(
        <CodePage t={t} lang={lang} csrf={csrf} who={who} next={safeNext(parsed.data.next)} error={message} />,
        httpStatusOf(error.code),
      );
    }
  });

  app.post("/admin/demo-login", async (c) => {
    const t = translator(requestLocale(c, options.defaultLocale));
    if (!options.demo) return c.text(t("admin.not_found"), 404);
    const form = await formOf(c);
    if (!(await preSignInOk(c, form))) return c.text(t("admin.forbidden_csrf"), 403);
    const personId = Number(form.personId);
    if (!(await demoPeople(options)).some((p) => p.id === personId) || !(await hasWorkplaceRights(db, personId)))
      return c.text(t("admin.not_found"), 404);
    await recordAudit(
      db,
      {
        actorPersonId: personId,
        source: "web",
        action: "web.sign_in",
        entityType: "Person",
        entityId: personId,
        detail: { by: "demo" },
      },
      now(),
    );
    return startSession(c, personId, form.next ?? "");
  });

  app.get("/admin/link/:token", async (c) => {
    const lang = requestLocale(c, options.defaultLocale);
    const t = translator(lang);
    const found = await peekSignInLink(db, c.req.param("token"), now());
    const csrf = preSignInToken(c, options.trustProxy);
    return c.html(
      <Layout t={t} lang={lang} title={t("admin.signin_title")}>
        <div class="narrow card">
          {found ? (
            <form method="post" action={`/admin/link/${c.req.param("token")}`}>
              <input type="hidden" name="_csrf" value={csrf} />
              <p>{t("admin.link_confirm", { name: found.fullName })}</p>
              <button type="submit">{t("admin.signin_submit")}</button>
            </form>
          ) : (
            <p class="error" role="alert">
              {t("admin.link_invalid")} <a href="/admin/sign-in">{t("admin.signin_title")}</a>
            </p>
          )}
        </div>
      </Layout>,
      found ? 200 : 404,
    );
  });

  app.post("/admin/link/:token", async (c) => {
    const t = translator(requestLocale(c, options.defaultLocale));
    const form = await formOf(c);
    if (!(await preSignInOk(c, form))) return c.text(t("admin.forbidden_csrf"), 403);
    try {
      return await startSession(
        c,
        await redeemSignInLink(db, c.req.param("token"), clientIp(c, options.trustProxy), now()),
        "/admin/tickets",
      );
    } catch (error) {
      if (!isAppError(error)) throw error;
      return c.text(errorText(t, error), httpStatusOf(error.code));
    }
  });

  app.get("/admin/lang/:lang", (c) => {
    const lang = c.req.param("lang") === "en" ? "en" : "vi";
    c.header("Set-Cookie", `chihoi_lang=${lang}; Path=/admin; Max-Age=31536000; SameSite=Lax`);
    const referer = c.req.header("referer");
    const back = referer ? new URL(referer, c.req.url) : undefined;
    return c.redirect(
      back && back.host === new URL(c.req.url).host ? safeNext(back.pathname + back.search) : "/admin",
      303,
    );
  });

  app.post("/admin/sign-out", requireSession(options), async (c) => {
    await endWebSession(db, c.get("signedIn").session.id, now());
    clearSessionCookie(c);
    return c.redirect("/admin/sign-in", 303);
  });

  app.get("/admin/account", requireSession(options), async (c) => {
    const signed = c.get("signedIn");
    const t = c.get("t");
    const open = await countOpenWebSessions(db, signed.session.personId, now());
    return c.html(
      <Layout
        t={t}
        lang={c.get("locale")}
        title={t("admin.account_title")}
        viewer={{ personId: signed.session.personId, name: signed.name, csrfToken: signed.session.csrfToken }}
      >
        <h1>{t("admin.account_title")}</h1>
        <div class="card">
          <p>{t("admin.account_sessions", { count: open })}</p>
          <form method="post" action="/admin/sign-out-everywhere">
            <input type="hidden" name="_csrf" value={signed.session.csrfToken} />
            <button type="submit">{t("admin.sign_out_everywhere")}</button>
          </form>
        </div>
      </Layout>,
    );
  });

  app.post("/admin/sign-out-everywhere", requireSession(options), async (c) => {
    await endAllWebSessions(db, c.get("signedIn").session.personId, now());
    clearSessionCookie(c);
    return c.redirect("/admin/sign-in", 303);
  });
}
