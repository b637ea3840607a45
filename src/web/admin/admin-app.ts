/**
 * The officials' web workplace at /admin: sign-in by a code sent in chat, the concerns queue and
 * a concern's page, units and rosters, people, rights. Server-rendered (Hono JSX) with htmx for partial updates, served from npm by
 * our own route: no CDN, no build step. Every action calls the same domain functions as chat,
 * with the signed-in person as the actor and "web" as the audit source.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { translator } from "../../lib/i18n.ts";
import { requestLocale, requireSession, securityHeaders, type AdminEnv, type AdminOptions } from "./admin-auth.ts";
import { mountSignIn } from "./sign-in-routes.tsx";
import { mountTickets } from "./ticket-routes.tsx";
import { mountPeople } from "./people-routes.tsx";
import { mountImport } from "./import-routes.tsx";
import { linkTargets, mountSlips } from "./slip-routes.tsx";
import { mountMeetings } from "./meeting-routes.tsx";
import { mountOversight } from "./oversight-routes.ts";
import type { Channel } from "../../channels/channel.ts";
import { rosterUploadMaxBytes } from "../../input/roster/roster-upload.ts";

/** Largest request body of the workplace's forms (uploads have their own, larger limit). */
export const adminBodyLimit = 64 * 1024;

let htmxSource: string | undefined;
function htmx(): string {
  htmxSource ??= readFileSync(createRequire(import.meta.url).resolve("htmx.org/dist/htmx.min.js"), "utf8");
  return htmxSource;
}

/** Mounts the workplace on the service's web server. */
export function mountAdmin(
  app: Hono,
  options: AdminOptions & {
    timeZone: string;
    linkCodeTtlDays: number;
    channels: readonly Channel[];
    serviceUrl: () => string;
  },
): void {
  const admin = new Hono<AdminEnv>();
  admin.use("/admin/*", securityHeaders);
  admin.use("/admin", securityHeaders);
  const tooLarge = (c: Context) => c.text(translator(requestLocale(c, options.defaultLocale))("admin.too_large"), 413);
  const formLimit = bodyLimit({ maxSize: adminBodyLimit, onError: tooLarge });
  const uploadLimit = bodyLimit({ maxSize: rosterUploadMaxBytes + 64 * 1024, onError: tooLarge });
  // Every route has a body limit: roster uploads 10 MB, everything else 64 KB.
  admin.use("/admin/*", (c, next) =>
    /^\/admin\/units\/\d+\/import$/.test(c.req.path) ? uploadLimit(c, next) : formLimit(c, next),
  );
  admin.get("/admin/assets/htmx.min.js", (c) => {
    c.header("Cache-Control", "public, max-age=86400");
    return c.body(htmx(), 200, { "Content-Type": "text/javascript; charset=utf-8" });
  });
  mountSignIn(admin, options);
  admin.use("/admin", requireSession(options));
  admin.get("/admin", (c) => c.redirect("/admin/tickets", 303));
  for (const section of ["tickets", "units", "people", "rights", "meetings"]) {
    admin.use(`/admin/${section}`, requireSession(options));
    admin.use(`/admin/${section}/*`, requireSession(options));
  }
  mountTickets(admin, options);
  mountImport(admin, options);
  mountSlips(admin, { ...options, targets: () => linkTargets(options.channels, options.serviceUrl) });
  mountPeople(admin, options);
  mountMeetings(admin, options);
  mountOversight(admin, options);
  app.route("/", admin as unknown as Hono);
}
