import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeZaloBotServer } from "../../fakes/zalo-bot-server.ts";
import { ZaloBotApiError, ZaloBotClient, ZaloBotHttpError } from "../../../src/channels/zalo-bot/zalo-bot-client.ts";
import { createLogger } from "../../../src/lib/logger.ts";

/** Not shaped like a Telegram token, so the logger's own scrubbing cannot hide a leak. */
const secretToken = "9876543210:zbSECRETabc";

let fake: FakeZaloBotServer;
let client: ZaloBotClient;
let requests: { url: string; method: string; contentType: string | null; body: unknown }[];

/** Real fetch to the fake, recording what went over the wire. */
const recordingFetch: typeof fetch = async (input, init) => {
  const headers = new Headers(init?.headers);
  requests.push({
    url: String(input),
    method: init?.method ?? "GET",
    contentType: headers.get("content-type"),
    body: JSON.parse(String(init?.body)),
  });
  return fetch(input, init);
};

beforeEach(async () => {
  requests = [];
  fake = new FakeZaloBotServer();
  await fake.start();
  client = new ZaloBotClient({ token: fake.token, apiRoot: fake.apiRoot, fetch: recordingFetch });
});
afterEach(async () => {
  await fake.stop();
});

async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}

/** Everything an error could show: message, stack, and its causes', plus own properties. */
function everythingIn(error: unknown, depth = 0): string {
  if (!(error instanceof Error) || depth > 5) return String(error);
  const own = JSON.stringify(Object.fromEntries(Object.entries(error)));
  return [error.message, error.stack ?? "", own, everythingIn(error.cause, depth + 1)].join("\n");
}

describe("ZaloBotClient", () => {
  it("should POST JSON to <apiRoot>/bot<TOKEN>/getMe and return the validated result", async () => {
    const me = await client.getMe();
    expect(me).toMatchObject({ id: "1234567890", account_name: "Bot Chi Hội Test", can_join_groups: false });
    expect(requests).toEqual([
      { url: `${fake.apiRoot}/bot${fake.token}/getMe`, method: "POST", contentType: "application/json", body: {} },
    ]);
    expect(fake.calls.map((c) => [c.method, c.status])).toEqual([["getMe", 200]]);
  });

  it("should send chat_id and text and return the message id as a string", async () => {
    const sent = await client.sendMessage({ chat_id: "abc123", text: "Nhắc lịch sinh hoạt" });
    expect(requests[0]).toMatchObject({
      url: `${fake.apiRoot}/bot${fake.token}/sendMessage`,
      body: { chat_id: "abc123", text: "Nhắc lịch sinh hoạt" },
    });
    expect(sent.message_id).toBe(fake.sent("abc123")[0]!.message_id);
    expect(typeof sent.message_id).toBe("string");
    expect(fake.sent()).toHaveLength(1);
  });

  it("should set, read and delete the webhook with the documented bodies", async () => {
    const set = await client.setWebhook({
      url: "https://chihoi.example/zalo-bot/webhook",
      secret_token: "s3cret-s3cret",
    });
    expect(set.url).toBe("https://chihoi.example/zalo-bot/webhook");
    expect(fake.webhook).toEqual({ url: "https://chihoi.example/zalo-bot/webhook", secret: "s3cret-s3cret" });
    expect((await client.getWebhookInfo()).url).toBe("https://chihoi.example/zalo-bot/webhook");
    expect((await client.deleteWebhook()).url).toBe("");
    expect(fake.webhook).toBeUndefined();
    expect(requests.map((r) => [r.url.split("/").pop(), r.body])).toEqual([
      ["setWebhook", { url: "https://chihoi.example/zalo-bot/webhook", secret_token: "s3cret-s3cret" }],
      ["getWebhookInfo", {}],
      ["deleteWebhook", {}],
    ]);
  });

  it("should send a typing action", async () => {
    await client.sendChatAction({ chat_id: "abc123", action: "typing" });
    expect(fake.calls.map((c) => [c.method, c.payload, c.status])).toEqual([
      ["sendChatAction", { chat_id: "abc123", action: "typing" }, 200],
    ]);
  });

  it("should ask getUpdates with the timeout as a string and return the one queued update", async () => {
    const update = fake.userSendsText({ id: "u1", name: "An" }, "có mặt");
    const got = await client.getUpdates({ timeoutSeconds: 7 });
    expect(got).toEqual(update);
    expect(requests[0]!.body).toEqual({ timeout: "7" });
    expect(fake.pendingUpdateCount).toBe(0);
  });

  it("should return null when getUpdates times out with error_code 408", async () => {
    expect(await client.getUpdates({ timeoutSeconds: 0 })).toBeNull();
    expect(fake.calls.map((c) => [c.method, c.status])).toEqual([["getUpdates", 408]]);
    fake.failNext("getUpdates", { error_code: 408, description: "Request timeout" });
    expect(await client.getUpdates({ timeoutSeconds: 5 })).toBeNull();
  });

  it("should read a 408 answered with HTTP 200 as no update, too", async () => {
    const lenient = new FakeZaloBotServer({ errorStatus: "200" });
    await lenient.start();
    try {
      const c = new ZaloBotClient({ token: lenient.token, apiRoot: lenient.apiRoot });
      expect(await c.getUpdates({ timeoutSeconds: 0 })).toBeNull();
      expect(lenient.calls.map((x) => x.status)).toEqual([200]);
    } finally {
      await lenient.stop();
    }
  });

  it("should hold the long poll until an update arrives", async () => {
    const pending = client.getUpdates({ timeoutSeconds: 20 });
    await fake.waitFor(() => fake.isLongPolling, 5000, "long poll held");
    const update = fake.userSendsText({ id: "u2" }, "xin vắng");
    expect(await pending).toEqual(update);
  });

  it("should throw ZaloBotApiError with code, description and method on ok:false", async () => {
    fake.failNext("sendMessage", { error_code: 400, description: "Bad Request: text must be 1-2000 characters" });
    const error = await caught(client.sendMessage({ chat_id: "c", text: "x" }));
    expect(error).toBeInstanceOf(ZaloBotApiError);
    expect(error).toMatchObject({
      method: "sendMessage",
      errorCode: 400,
      description: "Bad Request: text must be 1-2000 characters",
      retryAfterSeconds: undefined,
    });
    expect(error.message).toBe("Zalo Bot API sendMessage failed: 400 Bad Request: text must be 1-2000 characters");
  });

  it("should throw on ok:false even when the HTTP status is 200", async () => {
    const lenient = new FakeZaloBotServer({ errorStatus: "200" });
    await lenient.start();
    try {
      lenient.failNext("sendMessage", {
        error_code: 429,
        description: "Too many requests",
        parameters: { retry_after: 12 },
      });
      const error = await caught(
        new ZaloBotClient({ token: lenient.token, apiRoot: lenient.apiRoot }).sendMessage({ chat_id: "c", text: "x" }),
      );
      expect(error).toMatchObject({ name: "ZaloBotApiError", errorCode: 429, retryAfterSeconds: 12 });
    } finally {
      await lenient.stop();
    }
  });

  it("should reject what the fake platform rejects: empty and 2001-character texts", async () => {
    for (const text of ["", "x".repeat(2001)]) {
      const error = await caught(client.sendMessage({ chat_id: "c", text }));
      expect(error).toMatchObject({ errorCode: 400, description: "Bad Request: text must be 1-2000 characters" });
    }
    await client.sendMessage({ chat_id: "c", text: "x".repeat(2000) });
    expect(fake.sent("c")).toHaveLength(1);
  });

  it("should answer 401 to a wrong token", async () => {
    const wrong = new ZaloBotClient({ token: "111:wrong-token-xyz", apiRoot: fake.apiRoot });
    expect(await caught(wrong.getMe())).toMatchObject({
      name: "ZaloBotApiError",
      errorCode: 401,
      description: "Unauthorized",
    });
  });

  it("should turn a non-JSON error page into ZaloBotApiError with the HTTP status", async () => {
    const c = new ZaloBotClient({
      token: secretToken,
      apiRoot: "http://zalo.invalid",
      fetch: async () => new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
    });
    expect(await caught(c.getMe())).toMatchObject({
      name: "ZaloBotApiError",
      errorCode: 502,
      description: "HTTP 502 Bad Gateway",
      method: "getMe",
    });
  });

  it("should report an unreadable 200 or a result of the wrong shape as a bad response", async () => {
    const html = new ZaloBotClient({
      token: secretToken,
      apiRoot: "http://zalo.invalid",
      fetch: async () => new Response("<html>ok</html>", { status: 200 }),
    });
    expect(await caught(html.getMe())).toMatchObject({ name: "ZaloBotHttpError", reason: "bad_response" });
    const shape = new ZaloBotClient({
      token: secretToken,
      apiRoot: "http://zalo.invalid",
      fetch: async () => Response.json({ ok: true, result: { date: 1 } }),
    });
    const error = await caught(shape.sendMessage({ chat_id: "c", text: "x" }));
    expect(error).toBeInstanceOf(ZaloBotHttpError);
    expect(error.message).toMatch(/^Zalo Bot API sendMessage: unexpected result: message_id: /);
  });

  it("should report a dropped connection as a network error", async () => {
    fake.failNext("sendMessage", "network");
    const error = await caught(client.sendMessage({ chat_id: "c", text: "x" }));
    expect(error).toMatchObject({ name: "ZaloBotHttpError", reason: "network", method: "sendMessage" });
    expect(fake.calls.map((c) => [c.method, c.status])).toEqual([["sendMessage", 0]]);
  });

  it("should time out a call that gets no answer", async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)));
    const c = new ZaloBotClient({
      token: secretToken,
      apiRoot: "http://zalo.invalid",
      fetch: hanging,
      requestTimeoutMs: 20,
    });
    expect(await caught(c.getMe())).toMatchObject({
      name: "ZaloBotHttpError",
      reason: "timeout",
      message: "Zalo Bot API getMe: timed out",
    });
  });

  it("should stop a long poll when its signal is aborted", async () => {
    const controller = new AbortController();
    const pending = caught(client.getUpdates({ timeoutSeconds: 25, signal: controller.signal }));
    await fake.waitFor(() => fake.isLongPolling, 5000, "long poll held");
    controller.abort();
    expect(await pending).toMatchObject({ name: "ZaloBotHttpError", reason: "aborted" });
    await fake.waitFor(() => !fake.isLongPolling, 5000, "poll released");
    // The fake saw the client leave (status 0) rather than answering 408: nothing was swallowed.
    expect(fake.callsOf("getUpdates").map((c) => c.status)).toEqual([0]);
    const update = fake.userSendsText({ id: "u3" }, "còn đây");
    expect(await client.getUpdates({ timeoutSeconds: 1 })).toEqual(update);
  });
});

describe("ZaloBotClient token redaction", () => {
  it("should keep the token out of a URL-parse error's message, stack and cause", async () => {
    const c = new ZaloBotClient({ token: secretToken, apiRoot: "http://127.0.0.1:99999" });
    const error = await caught(c.getMe());
    expect(error).toMatchObject({ name: "ZaloBotHttpError", reason: "network" });
    // The original undici error did name the URL; the redacted one shows where the token was.
    expect(error.message).toContain("bot[REDACTED]/getMe");
    expect(everythingIn(error)).not.toContain("zbSECRETabc");
    expect(everythingIn(error)).not.toContain(secretToken);
  });

  it("should keep the token out of errors from a fetch that echoes the URL, plain or encoded", async () => {
    const echoing: typeof fetch = async (input) => {
      throw new Error(`connect failed to ${String(input)}`, {
        cause: new Error(`while fetching ${encodeURIComponent(String(input))}`),
      });
    };
    const c = new ZaloBotClient({ token: secretToken, apiRoot: "http://zalo.invalid", fetch: echoing });
    const error = await caught(c.sendMessage({ chat_id: "c", text: "x" }));
    expect(everythingIn(error)).not.toContain("zbSECRETabc");
    expect(error.message).toBe(
      "Zalo Bot API sendMessage: network error: connect failed to http://zalo.invalid/bot[REDACTED]/sendMessage: while fetching http%3A%2F%2Fzalo.invalid%2Fbot[REDACTED]%2FsendMessage",
    );
  });

  it("should keep the token out of a description that echoes it", async () => {
    const c = new ZaloBotClient({
      token: secretToken,
      apiRoot: "http://zalo.invalid",
      fetch: async () =>
        Response.json({ ok: false, error_code: 401, description: `invalid token ${secretToken}` }, { status: 401 }),
    });
    const error = await caught(c.getMe());
    expect(error).toMatchObject({ errorCode: 401, description: "invalid token [REDACTED]" });
    expect(everythingIn(error)).not.toContain("zbSECRETabc");
  });

  it("should write no token into debug logs, nor into a logged error", async () => {
    const lines: string[] = [];
    const logger = createLogger("debug", { write: (s: string) => void lines.push(s) });
    const c = new ZaloBotClient({ token: secretToken, apiRoot: "http://127.0.0.1:99999", logger });
    const error = await caught(c.getMe());
    logger.error({ err: error }, "getMe failed");
    const ok = new ZaloBotClient({ token: fake.token, apiRoot: fake.apiRoot, logger });
    await ok.getMe();
    const output = lines.join("");
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(output).toContain("getMe failed");
    expect(output).not.toContain("zbSECRETabc");
    expect(output).not.toContain(fake.token.split(":")[1]!);
  });

  it("should redact the token in redactedUrl", () => {
    const c = new ZaloBotClient({ token: secretToken, apiRoot: "https://bot-api.zaloplatforms.com/" });
    expect(c.redactedUrl("sendMessage")).toBe("https://bot-api.zaloplatforms.com/bot[REDACTED]/sendMessage");
  });
});
