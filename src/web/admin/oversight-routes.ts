/**
 * Mounts the workplace's directives, reports and audit pages (and their script) on the admin
 * app: behind a signed-in session like the other sections.
 */
import type { Hono } from "hono";
import { requireSession, type AdminEnv } from "./admin-auth.ts";
import { oversightScript } from "./oversight-common.tsx";
import { mountDirectives, type DirectiveRouteOptions } from "./directive-routes.tsx";
import { mountReports } from "./report-routes.tsx";
import { mountAudit } from "./audit-routes.tsx";

export function mountOversight(app: Hono<AdminEnv>, options: DirectiveRouteOptions): void {
  app.get("/admin/assets/oversight.js", (c) => {
    c.header("Cache-Control", "public, max-age=86400");
    return c.body(oversightScript, 200, { "Content-Type": "text/javascript; charset=utf-8" });
  });
  for (const section of ["directives", "reports", "audit"]) {
    app.use(`/admin/${section}`, requireSession(options));
    app.use(`/admin/${section}/*`, requireSession(options));
  }
  mountDirectives(app, options);
  mountReports(app, options);
  mountAudit(app, options);
}
