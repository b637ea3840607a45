/**
 * Request plumbing of the web workplace: client address, cookies, the session of a request, CSRF
 * (a per-session token on every form and htmx request, plus an Origin check), security headers.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Database } from "../../storage/database.ts";
import { resumeWebSession, workplacePerson, type WebSession } from "../../domain/web-auth/web-session-service.ts";
import { isLocale, translator, type Locale, type Translate } from "../../lib/i18n.ts";
import type { AppErrorCode } from "../../lib/app-error.ts";

export const sessionCookie = "chihoi_admin";
/** Double-submit token for the forms shown before sign-in (sign-in, demo, sign-in link). */
export const preSignInCookie = "chihoi_presign";
export const langCookie = "chihoi_lang";

export interface AdminOptions {
  db: Database;
  demo: boolean;
  defaultLocale: Locale;
  trustProxy: boolean;
  /** Called after messages were queued, so the delivery engine sends them now. */
  onQueued?: (platform?: string) => void;
  /** Runs the clock's due jobs now (a directive's reminder brought forward from the workplace). */
  runJobsNow?: () => void;
  now?: () => Date;
}

export interface SignedIn {
  session: WebSession;
  name: string;
  locale: Locale;
}

export type AdminEnv = { Variables: { signedIn: SignedIn; t: Translate; locale: Locale } };

/** The client's address: the socket's, or the first X-Forwarded-For entry behind a trusted proxy. */
export function clientIp(c: Context, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded.slice(0, 64);
  }
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

/** https as the browser sees it: the URL's scheme, or X-Forwarded-Proto behind a trusted proxy. */
export function isHttps(c: Context, trustProxy: boolean): boolean {
  if (trustProxy && c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https") return true;
  return new URL(c.req.url).protocol === "https:";
}

export function setSessionCookie(c: Context, token: string, expiresAt: number, trustProxy: boolean): void {
  setCookie(c, sessionCookie, token, {
    path: "/admin",
    httpOnly: true,
    sameSite: "Lax",
    secure: isHttps(c, trustProxy),
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(c: Context): void {
  deleteCookie(c, sessionCookie, { path: "/admin" });
}

/** The page language: the signed-in person's, else the language cookie, else the service default. */
export function requestLocale(c: Context, fallback: Locale): Locale {
  const chosen = getCookie(c, langCookie);
  return isLocale(chosen) ? chosen : fallback;
}

/** The pre-sign-in token of this browser, set when absent. */
export function preSignInToken(c: Context, trustProxy: boolean): string {
  const existing = getCookie(c, preSignInCookie);
  if (existing && /^[A-Za-z0-9_-]{32}$/.test(existing)) return existing;
  const token = randomBytes(24).toString("base64url");
  setCookie(c, preSignInCookie, token, {
    path: "/admin",
    httpOnly: true,
    sameSite: "Strict",
    secure: isHttps(c, trustProxy),
  });
  return token;
}

function same(a: string | undefined | null, b: string | undefined | null): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** Whether a state-changing request comes from our own pages: Origin (when sent) is ours. */
export function originAllowed(c: Context, trustProxy: boolean): boolean {
  const origin = c.req.header("origin");
  if (!origin) return true;
  const url = new URL(c.req.url);
  const host = (trustProxy && c.req.header("x-forwarded-host")) || c.req.header("host") || url.host;
  const scheme = isHttps(c, trustProxy) ? "https" : url.protocol.replace(":", "");
  return origin === `${scheme}://${host}` || origin === `${url.protocol}//${host}`;
}

/** The CSRF token a request carries: the X-CSRF-Token header (htmx) or the _csrf form field. */
export async function submittedCsrf(c: Context): Promise<string | undefined> {
  const header = c.req.header("x-csrf-token");
  if (header) return header;
  const type = c.req.header("content-type") ?? "";
  if (!type.includes("application/x-www-form-urlencoded") && !type.includes("multipart/form-data")) return undefined;
  const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
  const value = body._csrf;
  return typeof value === "string" ? value : undefined;
}

export function csrfMatches(expected: string, submitted: string | undefined): boolean {
  return same(expected, submitted);
}

/** The signed-in person of a request, or undefined (unknown, ended, expired or idle session). */
export async function signedInPerson(c: Context, options: AdminOptions): Promise<SignedIn | undefined> {
  const now = options.now?.() ?? new Date();
  const session = await resumeWebSession(options.db, getCookie(c, sessionCookie), now);
  if (!session) return undefined;
  const person = await workplacePerson(options.db, session.personId);
  if (!person) return undefined;
  const chosen = getCookie(c, langCookie);
  const locale: Locale = isLocale(chosen) ? chosen : isLocale(person.locale) ? person.locale : options.defaultLocale;
  return { session, name: person.fullName, locale };
}

/**
 * Requires a live session: otherwise a page request goes to sign-in (htmx requests get
 * HX-Redirect). On POST, also requires our Origin and the session's CSRF token (403 otherwise).
 */
export function requireSession(options: AdminOptions): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const signedIn = await signedInPerson(c, options);
    if (!signedIn) {
      clearSessionCookie(c);
      if (c.req.header("hx-request")) {
        c.header("HX-Redirect", "/admin/sign-in");
        return c.body(null, 401);
      }
      if (c.req.method !== "GET") return c.redirect("/admin/sign-in", 303);
      const next = new URL(c.req.url).pathname + new URL(c.req.url).search;
      return c.redirect(`/admin/sign-in?next=${encodeURIComponent(next)}`, 303);
    }
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      if (!originAllowed(c, options.trustProxy) || !csrfMatches(signedIn.session.csrfToken, await submittedCsrf(c)))
        return c.text(translator(signedIn.locale)("admin.forbidden_csrf"), 403);
    }
    c.set("signedIn", signedIn);
    c.set("locale", signedIn.locale);
    c.set("t", translator(signedIn.locale));
    await next();
  };
}

/** Security headers on every workplace response: no framing, scripts only from us, no caching. */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header(
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  );
  c.header("X-Frame-Options", "DENY");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "same-origin");
  if (!c.req.path.startsWith("/admin/assets/")) c.header("Cache-Control", "no-store");
};

/** The HTTP status of an application error. */
export function httpStatusOf(code: AppErrorCode): 400 | 403 | 404 | 409 | 429 {
  if (code === "forbidden" || code === "ticket_not_yours") return 403;
  if (code === "not_found" || code === "person_not_found" || code === "unit_not_found") return 404;
  if (code === "code_throttled") return 429;
  if (code === "conflict" || code === "ticket_closed" || code === "phone_taken") return 409;
  return 400;
}
