/**
 * pino logger with secrets scrubbed twice: by key (token, cookie, phone, text…) and by value
 * (bot tokens inside URLs, Vietnamese phone numbers inside strings).
 */
import pino, { type Logger } from "pino";

export type { Logger };

const botToken = /\bbot?\d{6,12}:[A-Za-z0-9_-]{20,}/g;
const bareToken = /\b\d{6,12}:[A-Za-z0-9_-]{30,}\b/g;
const phoneLike = /(?<![\d])(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?![\d])/g;

/** Replaces bot tokens and phone numbers inside a string. */
export function scrubSecrets(value: string): string {
  return value.replace(botToken, "bot[REDACTED]").replace(bareToken, "[REDACTED]").replace(phoneLike, "[PHONE]");
}

const redactPaths = [
  "token", "*.token", "cookie", "*.cookie", "cookies", "*.cookies", "password", "*.password",
  "phone", "*.phone", "secret", "*.secret", "imei", "*.imei", "credentials", "*.credentials",
  "headers.authorization", "*.headers.authorization", "headers.cookie",
  'headers["x-telegram-bot-api-secret-token"]', 'headers["x-bot-api-secret-token"]',
];

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubSecrets(value);
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    return { type: value.name, message: scrubSecrets(value.message), stack: value.stack ? scrubSecrets(value.stack) : undefined };
  }
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubDeep(v, depth + 1)]));
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactPaths, censor: "[REDACTED]" },
      serializers: { err: (err: unknown) => scrubDeep(err), error: (err: unknown) => scrubDeep(err) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => scrubDeep(a)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
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
