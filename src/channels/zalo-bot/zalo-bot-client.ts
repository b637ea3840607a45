/**
 * A small client for the official Zalo Bot Platform API: `POST <apiRoot>/bot<TOKEN>/<method>` with
 * a JSON body, answered by the envelope `{ ok, result?, error_code?, description? }`. Every result is
 * validated with zod. The token is part of the URL, so it never leaves this file: error messages,
 * stacks, causes and log lines carry `bot[REDACTED]` instead.
 *
 * There is no maintained npm client (see notes/zalo.md §2.5); this follows @openclaw/zalo's shape:
 * injectable `fetch`, separate timeouts for the long poll (poll + 5 s) and for everything else.
 */
import { z } from "zod";
import type { Logger } from "../../lib/logger.ts";

export const zaloBotDefaultApiRoot = "https://bot-api.zaloplatforms.com";
/** Seconds the platform holds a getUpdates call open when nothing arrives. */
export const zaloBotDefaultPollSeconds = 30;
const pollGraceMs = 5_000;
const defaultRequestTimeoutMs = 20_000;

const id = z.union([z.string().min(1), z.number().finite()]).transform(String);

const envelopeSchema = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error_code: z.number().optional(),
  description: z.string().optional(),
  parameters: z.looseObject({ retry_after: z.number().optional() }).optional(),
});

const botInfoSchema = z.looseObject({
  id,
  account_name: z.string().optional(),
  account_type: z.string().optional(),
  can_join_groups: z.boolean().optional(),
});
/** A raw update: the normaliser decides what it means; here it only has to be an object. */
const updateSchema = z.looseObject({ event_name: z.string().optional(), message: z.unknown().optional() });
const webhookInfoSchema = z.looseObject({ url: z.string().optional(), updated_at: z.number().optional() });
const sentMessageSchema = z.looseObject({ message_id: id, date: z.number().optional() });

export type ZaloBotInfo = z.infer<typeof botInfoSchema>;
export type ZaloBotUpdate = z.infer<typeof updateSchema>;
export type ZaloBotWebhookInfo = z.infer<typeof webhookInfoSchema>;
export type ZaloBotSentMessage = z.infer<typeof sentMessageSchema>;

export type ZaloBotMethod =
  | "getMe"
  | "getUpdates"
  | "setWebhook"
  | "deleteWebhook"
  | "getWebhookInfo"
  | "sendMessage"
  | "sendChatAction";

/** The platform answered `ok: false` (or a non-2xx status without an envelope). */
export class ZaloBotApiError extends Error {
  override readonly name = "ZaloBotApiError";
  constructor(
    readonly method: ZaloBotMethod,
    readonly errorCode: number,
    readonly description: string,
    /** Seconds to wait, when the platform said (`parameters.retry_after`). */
    readonly retryAfterSeconds?: number,
  ) {
    super(`Zalo Bot API ${method} failed: ${errorCode} ${description}`);
  }
}

/** The call did not get a usable answer: network failure, timeout, abort, or an unreadable response. */
export class ZaloBotHttpError extends Error {
  override readonly name = "ZaloBotHttpError";
  constructor(
    readonly method: ZaloBotMethod,
    readonly reason: "network" | "timeout" | "aborted" | "bad_response",
    message: string,
    cause?: unknown,
  ) {
    super(`Zalo Bot API ${method}: ${message}`, cause === undefined ? undefined : { cause });
  }
}

export interface ZaloBotClientOptions {
  token: string;
  /** Default https://bot-api.zaloplatforms.com; a fake server in tests. */
  apiRoot?: string;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Timeout of every call but getUpdates (whose timeout is its poll time + 5 s). Default 20 s. */
  requestTimeoutMs?: number;
}

export interface CallOptions {
  /** Aborts the call (e.g. on shutdown); the call then throws ZaloBotHttpError with reason "aborted". */
  signal?: AbortSignal;
  timeoutMs?: number;
}

export class ZaloBotClient {
  readonly apiRoot: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #log?: Logger;
  readonly #timeoutMs: number;

  constructor(options: ZaloBotClientOptions) {
    this.#token = options.token;
    this.apiRoot = (options.apiRoot ?? zaloBotDefaultApiRoot).replace(/\/+$/, "");
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#log = options.logger?.child({ module: "zalo-bot-client" });
    this.#timeoutMs = options.requestTimeoutMs ?? defaultRequestTimeoutMs;
  }

  /** The URL of a method with the token replaced, safe for logs and error messages. */
  redactedUrl(method: string): string {
    return `${this.apiRoot}/bot[REDACTED]/${method}`;
  }

  /** Replaces the token (plain or URL-encoded) wherever it appears in a string. */
  redact(text: string): string {
    const token = this.#token;
    if (token.length < 4) return text;
    let out = text.split(token).join("[REDACTED]");
    const encoded = encodeURIComponent(token);
    if (encoded !== token) out = out.split(encoded).join("[REDACTED]");
    return out;
  }

  getMe(options?: CallOptions): Promise<ZaloBotInfo> {
    return this.#call("getMe", {}, botInfoSchema, options);
  }

  /**
   * Long-polls for ONE update (the platform returns a single object, not an array). Resolves null
   * when nothing arrived within `timeoutSeconds` (error_code 408) or the result is empty.
   */
  async getUpdates(options: { timeoutSeconds?: number; signal?: AbortSignal } = {}): Promise<ZaloBotUpdate | null> {
    const seconds = options.timeoutSeconds ?? zaloBotDefaultPollSeconds;
    try {
      return await this.#call(
        "getUpdates",
        { timeout: String(seconds) },
        updateSchema
          .nullable()
          .optional()
          .transform((u) => u ?? null),
        {
          signal: options.signal,
          timeoutMs: seconds * 1000 + pollGraceMs,
        },
      );
    } catch (error) {
      if (error instanceof ZaloBotApiError && error.errorCode === 408) return null;
      throw error;
    }
  }

  /** Sets the webhook; the platform then POSTs each update with `X-Bot-Api-Secret-Token: secret_token`. */
  setWebhook(params: { url: string; secret_token: string }, options?: CallOptions): Promise<ZaloBotWebhookInfo> {
    return this.#call("setWebhook", params, webhookInfoSchema, options);
  }

  deleteWebhook(options?: CallOptions): Promise<ZaloBotWebhookInfo> {
    return this.#call("deleteWebhook", {}, webhookInfoSchema, options);
  }

  getWebhookInfo(options?: CallOptions): Promise<ZaloBotWebhookInfo> {
    return this.#call("getWebhookInfo", {}, webhookInfoSchema, options);
  }

  /** Sends 1–2000 characters of text to a chat. */
  sendMessage(params: { chat_id: string; text: string }, options?: CallOptions): Promise<ZaloBotSentMessage> {
    return this.#call("sendMessage", params, sentMessageSchema, options);
  }

  sendChatAction(params: { chat_id: string; action: "typing" }, options?: CallOptions): Promise<void> {
    return this.#call(
      "sendChatAction",
      params,
      z.unknown().transform(() => undefined),
      options,
    );
  }

  async #call<S extends z.ZodType>(
    method: ZaloBotMethod,
    body: object,
    schema: S,
    options: CallOptions = {},
  ): Promise<z.output<S>> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const started = Date.now();
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(`${this.apiRoot}/bot${this.#token}/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal,
      });
      text = await response.text();
    } catch (error) {
      const reason = options.signal?.aborted ? "aborted" : timeout.aborted ? "timeout" : "network";
      const message =
        reason === "network"
          ? `network error: ${this.redact(messageOf(error))}`
          : reason === "timeout"
            ? "timed out"
            : "aborted";
      this.#log?.debug({ method, reason, ms: Date.now() - started }, "Zalo Bot API call failed");
      throw new ZaloBotHttpError(method, reason, message, this.#sanitise(error));
    }
    this.#log?.debug({ method, status: response.status, ms: Date.now() - started }, "Zalo Bot API call");

    let envelope: z.infer<typeof envelopeSchema> | undefined;
    try {
      const parsed = envelopeSchema.safeParse(JSON.parse(text));
      if (parsed.success) envelope = parsed.data;
    } catch {
      // not JSON: handled below
    }
    if (!envelope) {
      if (!response.ok)
        throw new ZaloBotApiError(
          method,
          response.status,
          `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`,
        );
      throw new ZaloBotHttpError(method, "bad_response", `unreadable response (HTTP ${response.status})`);
    }
    if (!envelope.ok) {
      throw new ZaloBotApiError(
        method,
        envelope.error_code ?? (response.ok ? 0 : response.status),
        this.redact(envelope.description ?? "no description"),
        envelope.parameters?.retry_after,
      );
    }
    const result = schema.safeParse(envelope.result);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new ZaloBotHttpError(
        method,
        "bad_response",
        `unexpected result: ${issue ? `${issue.path.join(".") || "result"}: ${issue.message}` : "invalid"}`,
      );
    }
    return result.data;
  }

  /** A copy of an error (and its causes) with the token removed from messages and stacks. */
  #sanitise(error: unknown, depth = 0): unknown {
    if (!(error instanceof Error)) return typeof error === "string" ? this.redact(error) : undefined;
    const copy = new Error(this.redact(error.message)) as Error & { code?: unknown };
    copy.name = error.name;
    copy.stack = error.stack === undefined ? undefined : this.redact(error.stack);
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" || typeof code === "number") copy.code = code;
    if (error.cause !== undefined && depth < 4) copy.cause = this.#sanitise(error.cause, depth + 1);
    return copy;
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}
