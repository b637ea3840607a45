/**
 * The `fetch` grammY calls the Bot API with: node:http(s) on keep-alive connections, and nothing
 * else. grammY's default (node-fetch) spends about twice the CPU per request; when the delivery
 * engine lets a window's worth of sends go at once, that work is what holds the requests back
 * (and a send may only start a second after the answer of the one it replaces: every millisecond
 * between its turn and its answer is lost from the rate). Only what grammY uses is implemented:
 * method, headers, a string or stream body, an abort signal, and `json()` of the answer.
 */
import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";

interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Readable;
  signal?: {
    aborted: boolean;
    addEventListener(type: "abort", fn: () => void): void;
    removeEventListener(type: "abort", fn: () => void): void;
  } | null;
}

interface FetchResponse {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
  text(): Promise<string>;
}

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

export function botApiFetch(input: string | URL, init: FetchInit = {}): Promise<FetchResponse> {
  const url = typeof input === "string" ? new URL(input) : input;
  const secure = url.protocol === "https:";
  const body = init.body;
  const headers: Record<string, string | number> = { ...init.headers };
  if (typeof body === "string") headers["content-length"] = Buffer.byteLength(body);
  return new Promise((resolve, reject) => {
    const signal = init.signal ?? undefined;
    if (signal?.aborted) {
      reject(new Error("The request was aborted"));
      return;
    }
    const req = (secure ? https : http).request(
      url,
      { method: init.method ?? "GET", headers, agent: agents[secure ? "https:" : "http:"] },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("end", () => {
          signal?.removeEventListener("abort", abort);
          const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          resolve({
            ok: status >= 200 && status < 300,
            status,
            json: async () => JSON.parse(text) as unknown,
            text: async () => text,
          });
        });
      },
    );
    function fail(error: Error) {
      signal?.removeEventListener("abort", abort);
      reject(error);
    }
    function abort() {
      req.destroy(new Error("The request was aborted"));
    }
    signal?.addEventListener("abort", abort);
    req.on("error", fail);
    if (body === undefined || typeof body === "string") req.end(body);
    else {
      body.on("error", (error) => req.destroy(error));
      body.pipe(req);
    }
  });
}
