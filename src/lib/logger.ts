/**
 * pino logger with secrets scrubbed from everything it writes, at any depth:
 * - by key, case-insensitively (token, secret, password, cookie, set-cookie, authorization, phone,
 *   imei, credentials, session…): the value becomes "[REDACTED]";
 * - by value, in every string: bot tokens in URLs (Telegram's and the Zalo Bot Platform's
 *   `/bot<id>:<secret>/`), bare `<id>:<secret>` tokens, token-like query parameters, Cookie,
 *   Set-Cookie and Authorization headers written into text, bearer tokens, and Vietnamese phone
 *   numbers in every usual form (0912 345 678, +84 912-345-678, (+84) 912.345.678, 0084…).
 * Objects, arrays, Maps, fetch Headers and Errors (with their causes) are walked; cycles are cut.
 */
import pino, { type Logger } from "pino";

export type { Logger };

/** Keys whose values never reach a log, compared lower-case without "-" and "_". */
const secretKey =
  /token|secret|passw|cookie|authori[sz]ation|phone|imei|credential|session|apikey|privatekey|signature|zpw|^enk$/;

const botUrlToken = /\bbot\d+(?::|%3A)[^/\s?#"'<>]+/gi;
const bareToken = /(?<!\d)\d{5,15}:[A-Za-z0-9_-]{16,}/g;
const queryToken =
  /([?&;](?:access_?token|token|secret|api_?key|key|sig|signature|session|zpw_enk|password)=)[^&\s#"']+/gi;
const headerInText =
  /\b(cookie|set-cookie|authorization|proxy-authorization|x-telegram-bot-api-secret-token|x-bot-api-secret-token)(["']?\s*[:=]\s*)[^\r\n]+/gi;
const bearer = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
/** 0xx… national form (10 or 11 digits), or 84 / +84 / 0084 / (+84) [ (0) ] international form. */
const phone = new RegExp(
  [
    String.raw`(?<![\d+])0[1-9](?:[\s.\-]?\d){8,9}(?!\d)`,
    String.raw`(?:\(\s*\+?84\s*\)|\+\s?84|(?<![\d+])0084|(?<![\d+])84)[\s.\-]*(?:\(\s*0\s*\)[\s.\-]*)?[1-9](?:[\s.\-]?\d){7,9}(?!\d)`,
  ].join("|"),
  "g",
);

/** Replaces tokens, secret headers and phone numbers inside a string. */
export function scrubSecrets(value: string): string {
  return value
    .replace(botUrlToken, "bot[REDACTED]")
    .replace(bareToken, "[REDACTED]")
    .replace(queryToken, "$1[REDACTED]")
    .replace(headerInText, "$1$2[REDACTED]")
    .replace(bearer, "$1 [REDACTED]")
    .replace(phone, "[PHONE]");
}

function isSecretKey(key: string): boolean {
  return secretKey.test(key.toLowerCase().replace(/[-_]/g, ""));
}

const maxDepth = 12;

/** A copy of `value` with every secret replaced; never mutates the input. */
export function scrubDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return scrubSecrets(value);
  if (value === null || typeof value !== "object") return value;
  if (seen.has(value)) return "[Circular]";
  if (depth > maxDepth) return "[Deep]";
  seen.add(value);
  const walk = (v: unknown) => scrubDeep(v, depth + 1, seen);
  const entries = (pairs: Iterable<[unknown, unknown]>) =>
    Object.fromEntries([...pairs].map(([k, v]) => [String(k), isSecretKey(String(k)) ? "[REDACTED]" : walk(v)]));
  if (value instanceof Error) {
    const extra = Object.entries(value).filter(([k]) => k !== "cause");
    return {
      type: value.name,
      message: scrubSecrets(value.message),
      stack: value.stack ? scrubSecrets(value.stack) : undefined,
      ...entries(extra),
      ...(value.cause !== undefined ? { cause: walk(value.cause) } : {}),
    };
  }
  if (Array.isArray(value)) return value.map(walk);
  if (value instanceof Map) return entries(value.entries());
  if (typeof Headers !== "undefined" && value instanceof Headers) return entries(value.entries());
  if (value instanceof Set) return [...value].map(walk);
  if (value instanceof Date) return value;
  if (value instanceof URL) return scrubSecrets(value.href);
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  return entries(Object.entries(value));
}

/** A secret-named JSON key with a string value, in a finished log line. */
const secretJsonField = /"([^"\\]*)":"(?:[^"\\]|\\.)*"/g;

/** Last pass over a serialised line: value patterns, and secret-named keys at any depth. */
function scrubLine(line: string): string {
  const fields = line.replace(secretJsonField, (whole, key: string) =>
    isSecretKey(key) ? `"${key}":"[REDACTED]"` : whole,
  );
  return fields
    .replace(botUrlToken, "bot[REDACTED]")
    .replace(bareToken, "[REDACTED]")
    .replace(queryToken, "$1[REDACTED]")
    .replace(bearer, "$1 [REDACTED]")
    .replace(phone, "[PHONE]");
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      serializers: { err: (err: unknown) => scrubDeep(err), error: (err: unknown) => scrubDeep(err) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => scrubDeep(a)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
        // The finished line, child loggers' bindings included (they do not pass through logMethod).
        streamWrite: scrubLine,
      },
    },
    destination,
  );
}

let root: Logger | undefined;

/** The process-wide root logger; modules take `logger.child({ module })`. */
export function rootLogger(): Logger {
  root ??= createLogger("silent");
  return root;
}

export function setRootLogger(logger: Logger): void {
  root = logger;
}
