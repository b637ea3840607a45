/** The HTTP server: home page, health, and whatever channels mount (web chat, webhooks). */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { translator, type Locale } from "../lib/i18n.ts";
import { faviconIco } from "./favicon.ts";
import { rootLogger } from "../lib/logger.ts";

/**
 * Largest request body any route accepts (the Telegram webhook's updates are the largest; routes
 * set lower limits of their own). A larger body gets 413 before anything reads or stores it.
 */
export const maxRequestBytes = 1024 * 1024;

/**
 * Hono's bodyLimit, without its cost on the common request. Hono's reads `c.req.raw.body`, which on
 * @hono/node-server turns the lightweight request into a full Fetch Request (an AbortSignal and a
 * web stream over the socket) for every request with a body; reading the body then goes through
 * that stream. That was the largest single cost of a Telegram webhook call (about a fifth of its
 * CPU). Here a request without a body (GET, HEAD) or with a declared Content-Length (and no
 * Transfer-Encoding: Node's parser then reads exactly that many bytes) is decided from its headers,
 * as Hono's does; only a streamed (chunked) body goes through Hono's own, which counts the bytes.
 */
function requestBodyLimit(maxSize: number): MiddlewareHandler {
  const onError: Parameters<typeof bodyLimit>[0]["onError"] = (c) => c.json({ error: "too_large" }, 413);
  const streamed = bodyLimit({ maxSize, onError });
  return (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    const length = c.req.header("content-length");
    if (length !== undefined && c.req.header("transfer-encoding") === undefined)
      return Number.parseInt(length || "0", 10) > maxSize ? Promise.resolve(onError(c)) : next();
    return streamed(c, next);
  };
}

export interface WebServer {
  app: Hono;
  url: string;
  listen(): Promise<string>;
  close(): Promise<void>;
}

export function createWebServer(options: {
  host: string;
  port: number;
  locale: Locale;
  demo: boolean;
  chat?: boolean;
}): WebServer {
  const app = new Hono();
  let server: ServerType | undefined;
  const self: WebServer = {
    app,
    url: "",
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () => resolve());
        server.once("error", reject);
      });
      const address = server!.address() as AddressInfo;
      const host = options.host === "0.0.0.0" || options.host === "::" ? "localhost" : options.host;
      self.url = `http://${host}:${address.port}`;
      return self.url;
    },
    async close() {
      if (!server) return;
      const s = server as ServerType & { closeAllConnections?: () => void };
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        // SSE streams stay open forever; close them so shutdown does not wait.
        s.closeAllConnections?.();
      });
    },
  };

  app.use("*", requestBodyLimit(maxRequestBytes));
  app.get("/health", (c) => c.json({ ok: true }));
  const icon = faviconIco();
  app.get("/favicon.ico", (c) =>
    c.body(new Uint8Array(icon), 200, { "content-type": "image/x-icon", "cache-control": "public, max-age=86400" }),
  );
  app.get("/", (c) => {
    const t = translator(options.locale);
    return c.html(`<!doctype html><html lang="${options.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${t("service.home_title")}</title>
<style>body{font-family:system-ui,sans-serif;font-size:18px;max-width:40rem;margin:2rem auto;padding:0 1rem}a.button{display:inline-block;background:#b91c1c;color:#fff;padding:.6rem 1rem;border-radius:.5rem;text-decoration:none}</style></head>
<body><h1>${t("service.home_title")}</h1><p>${t("service.home_intro")}</p>${options.demo ? `<p><strong>${t("service.home_demo")}</strong></p>` : ""}
${options.chat === false ? "" : `<p><a class="button" href="/chat">${t("service.home_chat")}</a></p>`}</body></html>`);
  });
  app.notFound((c) => c.json({ error: "not_found" }, 404));
  // Never echo an internal message to a browser: it may name files, SQL or secrets. The log has it.
  app.onError((error, c) => {
    rootLogger().child({ module: "web" }).error({ err: error, path: c.req.path }, "request failed");
    return c.json({ error: "internal" }, 500);
  });
  return self;
}
