/**
 * The JSON API under /api/v1 for the systems offices already run: units, people, memberships,
 * roster import (with dry-run), meetings with tallies, directives with read rates, reports.
 *
 * - Authorization: `Bearer chk_…` (a token from `chihoi api-token create`). The token acts as an
 *   Actor of kind "token": the domain checks every unit it asks for against the token's subtree.
 * - Requests and responses are described by zod schemas; the same schemas validate the requests
 *   and generate the OpenAPI 3.1 document at /api/v1/openapi.json (openapi.ts).
 * - Every error is `{ "error": { "code", "message" } }` with an HTTP status (see errorStatus).
 * - Bodies are bounded (maxImportBytes for imports, 1 KB otherwise) and each token has a request
 *   budget per minute (429 with Retry-After beyond it). Tokens never reach the log.
 */
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Database } from "../../storage/database.ts";
import { errorText, translator, type Locale } from "../../lib/i18n.ts";
import { isAppError } from "../../lib/app-error.ts";
import type { Actor } from "../../domain/access/actor.ts";
import { authenticateApiToken } from "../../domain/api-tokens/api-token-service.ts";
import { getUnit } from "../../domain/units/unit-service.ts";
import {
  listDirectivesPage,
  listMeetingsPage,
  listMembershipsPage,
  listPeoplePage,
  listUnitsPage,
  MAX_COUNTED_PAGE,
  MAX_PAGE,
} from "../../domain/reports/listings.ts";
import { unitReport } from "../../domain/reports/unit-report.ts";
import { importRosterRows } from "../../domain/roster/import-roster.ts";
import { readRosterBuffer } from "../../input/roster/read-roster.ts";
import { openApiDocument, type ApiRoute } from "./openapi.ts";
import * as s from "./schemas.ts";

/** Largest roster file the API takes (about 20,000 rows of CSV; below the server-wide limit so the API answers in its own error shape). */
export const maxImportBytes = 1_000_000;
/** Requests one token may make per minute. */
export const defaultRequestsPerMinute = 600;

export interface ApiOptions {
  db: Database;
  locale: Locale;
  timeZone: string;
  requestsPerMinute?: number;
  now?: () => Date;
}

type Handler = (
  c: Context,
  actor: Actor & { kind: "token" },
  input: { query: Record<string, unknown>; params: Record<string, string> },
) => Promise<unknown> | unknown;

class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413 | 415 | 422 | 429 | 500,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** HTTP status of a domain error code. */
export function errorStatus(code: string): 400 | 403 | 404 | 422 {
  if (code === "forbidden") return 403;
  if (code === "not_found" || code.endsWith("_not_found")) return 404;
  if (code.startsWith("file_") || code === "import_invalid_rows") return 422;
  return 400;
}

export function mountApi(app: Hono, options: ApiOptions): { routes: ApiRoute[] } {
  const { db } = options;
  const now = options.now ?? (() => new Date());
  const t = translator(options.locale);
  const perMinute = options.requestsPerMinute ?? defaultRequestsPerMinute;
  const windows = new Map<number, { start: number; count: number }>();

  const fail = (c: Context, error: ApiError) => {
    if (error.status === 429) c.header("Retry-After", "60");
    return c.json({ error: { code: error.code, message: error.message } }, error.status);
  };

  const authenticate = async (c: Context): Promise<Actor & { kind: "token" }> => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const actor = match ? await authenticateApiToken(db, match[1]!, now()) : undefined;
    if (!actor) throw new ApiError(401, "unauthorized", t("api.unauthorized"));
    const minute = Math.floor(now().getTime() / 60_000);
    const w = windows.get(actor.tokenId);
    if (!w || w.start !== minute) windows.set(actor.tokenId, { start: minute, count: 1 });
    else if (++w.count > perMinute)
      throw new ApiError(429, "rate_limited", t("api.rate_limited", { limit: perMinute }));
    return actor;
  };

  const routes: ApiRoute[] = [];
  const route = (r: ApiRoute, handler: Handler) => {
    routes.push(r);
    const honoPath = `/api/v1${r.path.replace(/\{(\w+)\}/g, ":$1")}`;
    const limit = bodyLimit({
      maxSize: r.body ? maxImportBytes : 1024,
      onError: (c) => fail(c, new ApiError(413, "too_large", t("api.too_large"))),
    });
    app.on(r.method.toUpperCase(), honoPath, limit, async (c) => {
      try {
        const actor = await authenticate(c);
        const query = r.query ? r.query.safeParse(c.req.query()) : { success: true as const, data: {} };
        if (!query.success) {
          const issue = query.error.issues[0]!;
          throw new ApiError(
            400,
            "invalid_input",
            t("api.invalid_query", { field: issue.path.join(".") || "?", problem: issue.message }),
          );
        }
        const params = r.params ? r.params.safeParse(c.req.param()) : { success: true as const, data: {} };
        if (!params.success) throw new ApiError(400, "invalid_input", t("api.invalid_path"));
        const result = await handler(c, actor, {
          query: query.data as Record<string, unknown>,
          params: params.data as Record<string, string>,
        });
        return c.json(result as object);
      } catch (error) {
        if (error instanceof ApiError) return fail(c, error);
        if (isAppError(error)) return fail(c, new ApiError(errorStatus(error.code), error.code, errorText(t, error)));
        throw error;
      }
    });
  };

  const unitOf = (actor: Actor & { kind: "token" }, query: Record<string, unknown>): number =>
    (query.unit as number | undefined) ?? Number(actor.unitPath.split("/").filter(Boolean).pop());
  const page = (query: Record<string, unknown>) => ({
    after: query.after as number | undefined,
    limit: query.limit as number | undefined,
  });

  route(
    {
      method: "get",
      path: "/units",
      summary: "Units of the token's subtree (or of `unit`), by id",
      query: s.pageQuery(MAX_PAGE),
      response: s.page(s.unit),
    },
    (_c, actor, { query }) => listUnitsPage(db, actor, unitOf(actor, query), page(query)),
  );
  route(
    {
      method: "get",
      path: "/people",
      summary: "People with a membership in the subtree, by id",
      query: s.pageQuery(MAX_PAGE),
      response: s.page(s.person),
    },
    (_c, actor, { query }) => listPeoplePage(db, actor, unitOf(actor, query), page(query)),
  );
  route(
    {
      method: "get",
      path: "/memberships",
      summary: "Memberships (person × unit × role) in the subtree, by id",
      query: s.pageQuery(MAX_PAGE),
      response: s.page(s.membership),
    },
    (_c, actor, { query }) => listMembershipsPage(db, actor, unitOf(actor, query), page(query)),
  );
  route(
    {
      method: "get",
      path: "/meetings",
      summary: "Meetings of the subtree with their tallies, by id",
      query: s.meetingsQuery,
      response: s.page(s.meeting),
    },
    (_c, actor, { query }) =>
      listMeetingsPage(db, actor, unitOf(actor, query), {
        ...page(query),
        from: query.from as Date | undefined,
        to: query.to as Date | undefined,
      }),
  );
  route(
    {
      method: "get",
      path: "/directives",
      summary: "Directives its people received, with read rates over the subtree, by id",
      query: s.pageQuery(MAX_COUNTED_PAGE),
      response: s.page(s.directive),
    },
    (_c, actor, { query }) => listDirectivesPage(db, actor, unitOf(actor, query), page(query)),
  );
  route(
    {
      method: "get",
      path: "/reports/{unitId}",
      summary: "A unit's report for a period (default: the last 12 months)",
      params: s.unitParams,
      query: s.reportQuery,
      response: s.report,
    },
    (_c, actor, { query, params }) =>
      unitReport(db, actor, Number(params.unitId), {
        from: query.from as Date | undefined,
        to: query.to as Date | undefined,
        now: now(),
        timeZone: options.timeZone,
      }),
  );
  route(
    {
      method: "post",
      path: "/roster/import",
      summary: "Import a roster (CSV or .xlsx as the body) into `unit`; read-write tokens only; dry-run by default",
      query: s.importQuery,
      body: {
        "text/csv": "A roster in CSV (UTF-8)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "A roster workbook",
      },
      response: s.importResult,
    },
    async (c, actor, { query }) => {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      const fileName =
        type === "text/csv"
          ? "roster.csv"
          : type === "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ? "roster.xlsx"
            : undefined;
      if (!fileName) throw new ApiError(415, "unsupported_media_type", t("api.unsupported_type"));
      const unitId = unitOf(actor, query);
      await getUnit(db, unitId);
      const read = await readRosterBuffer(Buffer.from(await c.req.arrayBuffer()), fileName);
      const result = await importRosterRows(db, read.rows, read.issues, {
        unitId,
        actor,
        dryRun: query.dryRun !== false,
        skipInvalid: query.skipInvalid === true,
        now: now(),
      });
      return result;
    },
  );

  const document = openApiDocument(routes);
  app.get("/api/v1/openapi.json", (c) => c.json(document));
  app.all("/api/v1/*", (c) => fail(c, new ApiError(404, "not_found", t("api.no_route"))));
  return { routes };
}
