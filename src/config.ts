/**
 * The only place that reads process.env. Parsed once with zod; a wrong value stops start-up with
 * a readable line in Vietnamese and one in English naming the variable and what is expected
 * (locales/<lang>/config.json: `config.expected.<VARIABLE>`, `config.rule.<rule>`). A channel
 * whose credentials are absent is switched off, not an error.
 */
import { z } from "zod";
import { estimateKeyBits, keyRecipe, minKeyBits } from "./lib/key-strength.ts";
import { locales, translator } from "./lib/i18n.ts";

const bool = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
  .transform((v) => ["1", "true", "yes", "on"].includes(v));

const positiveInt = z.coerce.number().int().positive();

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const envSchema = z
  .object({
    /** SQLite file URL (file:./data/chihoi.db, relative to the working directory) or postgresql://… */
    DATABASE_URL: z
      .string()
      .regex(/^(file:.+|postgres(ql)?:\/\/.+)/)
      .default("file:./data/chihoi.db"),
    /** Port of the web server (local web chat, webhooks, dashboard). */
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** Interface the web server listens on; 0.0.0.0 to accept connections from other machines. */
    HOST: z.string().min(1).default("127.0.0.1"),
    /** Time zone of meetings and reminders (APP_TIMEZONE, or TZ when it is not set). */
    APP_TIMEZONE: z.string().refine(isTimeZone).optional(),
    TZ: z.string().optional(),
    /** Language of people who have not chosen one: vi or en. */
    DEFAULT_LOCALE: z.enum(["vi", "en"]).default("vi"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** auto: demo when no channel is configured and the database is empty; on; off. */
    DEMO_MODE: z.enum(["auto", "on", "off"]).default("auto"),
    /** Days a link code stays valid. */
    LINK_CODE_TTL_DAYS: positiveInt.default(30),
    /** Behind a reverse proxy: trust X-Forwarded-Proto (Secure cookies on https) and X-Forwarded-For (client address). */
    TRUST_PROXY: bool.default(false),
    /** Wrong link codes allowed per chat account an hour, per network address an hour, per deployment a day. */
    LINK_GUESSES_PER_ACCOUNT_HOUR: positiveInt.default(5),
    LINK_GUESSES_PER_ADDRESS_HOUR: positiveInt.default(20),
    LINK_GUESSES_PER_DAY: positiveInt.default(3000),
    /** The local web chat outside demo mode: off unless an admin turns it on. */
    WEB_CHAT: z.enum(["auto", "on", "off"]).default("auto"),
    /** Inbound messages one sender may send: a burst, then one every INBOUND_INTERVAL_MS. */
    INBOUND_BURST: positiveInt.default(20),
    INBOUND_INTERVAL_MS: positiveInt.default(3000),
    /** Concerns (tickets) one member may open in 24 hours. */
    TICKETS_PER_DAY: positiveInt.default(10),

    TELEGRAM_BOT_TOKEN: z
      .string()
      .regex(/^\d+:[\w-]{20,}$/)
      .optional(),
    TELEGRAM_MODE: z.enum(["polling", "webhook"]).default("polling"),
    TELEGRAM_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
    TELEGRAM_WEBHOOK_SECRET: z
      .string()
      .regex(/^[A-Za-z0-9_-]{8,256}$/)
      .optional(),
    TELEGRAM_API_ROOT: z.url().default("https://api.telegram.org"),
    /** Telegram limits: messages per second across chats, ms between messages to one chat, per minute to a group. */
    TELEGRAM_RATE_PER_SECOND: positiveInt.default(30),
    TELEGRAM_CHAT_INTERVAL_MS: z.coerce.number().int().min(0).default(1000),
    TELEGRAM_GROUP_PER_MINUTE: positiveInt.default(20),
    TELEGRAM_WINDOW_MARGIN_MS: z.coerce.number().int().min(0).max(1000).default(0),

    /** Outbox: rows a platform's worker holds at once (waiting for their moment or in flight; at least the
     *  per-second cap, so that a whole window can go the moment it opens), attempts before a message is given up. */
    OUTBOX_CONCURRENCY: positiveInt.max(100).default(40),
    OUTBOX_MAX_ATTEMPTS: positiveInt.max(50).default(8),
    /** How long a claimed message is held before another worker may retry it (crash recovery). */
    OUTBOX_LEASE_MS: positiveInt.min(500).default(60_000),
    OUTBOX_OUTAGE_NOTICE_MS: positiveInt.default(120_000),

    /** What link-code slips tell members to open: the bot's name, its Telegram @username, its Zalo link. */
    BOT_NAME: z.string().max(100).default("Chi Hội"),
    TELEGRAM_BOT_USERNAME: z
      .string()
      .regex(/^@?[A-Za-z][A-Za-z0-9_]{3,31}$/)
      .optional(),
    ZALO_BOT_LINK: z.url({ protocol: /^https?$/ }).optional(),

    /** Zalo personal account (zca-js): key that encrypts the stored login at rest. */
    ZALO_CREDENTIALS_KEY: z
      .string()
      // A random key of at least minKeyBits bits; a changed key means logging in to Zalo again.
      .refine((key) => estimateKeyBits(key) >= minKeyBits)
      .optional(),
    ZALO_ENABLED: bool.default(false),
    ZALO_SEND_INTERVAL_MS: z.coerce.number().int().min(0).default(3000),
    ZALO_NEW_RECIPIENTS_PER_HOUR: positiveInt.default(60),
    /** Zalo Bot Platform (official). */
    ZALO_BOT_TOKEN: z.string().min(10).optional(),
    ZALO_BOT_MODE: z.enum(["polling", "webhook"]).default("polling"),
    ZALO_BOT_API_ROOT: z.url().default("https://bot-api.zaloplatforms.com"),
    ZALO_BOT_WEBHOOK_URL: z.url().optional(),
    ZALO_BOT_WEBHOOK_SECRET: z.string().min(8).max(256).optional(),
  })
  // The message of a rule is its key under config.rule in the locales.
  .superRefine((env, ctx) => {
    if (env.TELEGRAM_BOT_TOKEN && env.TELEGRAM_MODE === "webhook") {
      if (!env.TELEGRAM_WEBHOOK_URL)
        ctx.addIssue({ code: "custom", path: ["TELEGRAM_WEBHOOK_URL"], message: "telegram_webhook_url_required" });
      if (!env.TELEGRAM_WEBHOOK_SECRET)
        ctx.addIssue({
          code: "custom",
          path: ["TELEGRAM_WEBHOOK_SECRET"],
          message: "telegram_webhook_secret_required",
        });
    }
    if (env.ZALO_BOT_TOKEN && env.ZALO_BOT_MODE === "webhook") {
      if (!env.ZALO_BOT_WEBHOOK_URL)
        ctx.addIssue({ code: "custom", path: ["ZALO_BOT_WEBHOOK_URL"], message: "zalo_bot_webhook_url_required" });
      // The Bot Platform refuses http:// webhooks: catch it here, not as a failing setWebhook later.
      else if (!/^https:\/\//i.test(env.ZALO_BOT_WEBHOOK_URL))
        ctx.addIssue({ code: "custom", path: ["ZALO_BOT_WEBHOOK_URL"], message: "zalo_bot_webhook_https" });
      if (!env.ZALO_BOT_WEBHOOK_SECRET)
        ctx.addIssue({
          code: "custom",
          path: ["ZALO_BOT_WEBHOOK_SECRET"],
          message: "zalo_bot_webhook_secret_required",
        });
    }
    if (env.TZ && !env.APP_TIMEZONE && !isTimeZone(env.TZ)) ctx.addIssue({ code: "custom", path: ["TZ"], message: "" });
  });

export type Env = z.input<typeof envSchema>;

/** The variables read (each has its words in locales/<lang>/config.json under `expected`). */
export const configVariables: readonly string[] = Object.keys(envSchema.shape);

export interface TelegramConfig {
  token: string;
  mode: "polling" | "webhook";
  webhookUrl?: string;
  webhookSecret?: string;
  apiRoot: string;
}

export interface RateLimits {
  perSecond: number;
  chatIntervalMs: number;
  groupPerMinute: number;
  /** Zalo: at most this many first-time recipients an hour. */
  newRecipientsPerHour?: number;
  /** Zalo: at least this long between any two sends of the account. */
  minIntervalMs?: number;
  /** Added to every window as a safety margin (default 0: a request's answer bounds its arrival exactly). */
  marginMs?: number;
}

export interface Config {
  databaseUrl: string;
  /** True when DATABASE_URL came from the environment rather than the default. */
  databaseUrlExplicit: boolean;
  port: number;
  host: string;
  timeZone: string;
  defaultLocale: "vi" | "en";
  logLevel: string;
  demoMode: "auto" | "on" | "off";
  linkCodeTtlDays: number;
  trustProxy: boolean;
  linkGuessLimits: { perAccountPerHour: number; perAddressPerHour: number; globalPerDay: number };
  /** "auto": the web chat runs in demo mode only; "on": also on a real deployment; "off": never. */
  webChat: "auto" | "on" | "off";
  inbound: { burst: number; intervalMs: number };
  ticketsPerDay: number;
  telegram?: TelegramConfig;
  /** Printed on link-code slips. */
  slips: { botName: string; telegramLink?: string; zaloLink?: string };
  zalo?: { credentialsKey: string; sendIntervalMs: number; newRecipientsPerHour: number };
  zaloBot?: {
    token: string;
    mode: "polling" | "webhook";
    apiRoot: string;
    webhookUrl?: string;
    webhookSecret?: string;
  };
  outbox: {
    concurrency: number;
    maxAttempts: number;
    leaseMs: number;
    /** A platform down this long is reported to the admins in chat. */
    outageNoticeMs: number;
    limits: Record<string, RateLimits>;
  };
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * What is wrong with one variable, in Vietnamese then English (the language setting is not read
 * yet): "PORT: cần một số cổng từ 0 đến 65535, ví dụ 3000 (đang là "abc")". Secrets are not echoed.
 */
function configErrorText(issue: z.core.$ZodIssue, name: string, value: string | undefined): string {
  const params = { bits: minKeyBits, recipe: keyRecipe };
  return locales
    .map((lang) => {
      const t = translator(lang);
      const keys = [
        issue.code === "custom" && issue.message ? `config.rule.${issue.message}` : "",
        `config.expected.${name}`,
      ].filter(Boolean);
      const expected = keys.map((key) => t(key, params)).find((text, i) => text !== keys[i]) ?? issue.message;
      const got = value === undefined || /TOKEN|SECRET|KEY/.test(name) ? "" : t("config.got", { value });
      return t("config.invalid", { name, expected, got });
    })
    .join("\n");
}

/** Parses the environment. Throws ConfigError naming the variable and what is expected, in both languages. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? "environment");
    throw new ConfigError(configErrorText(issue, name, cleaned[name]));
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    databaseUrlExplicit: cleaned.DATABASE_URL !== undefined,
    port: e.PORT,
    host: e.HOST,
    timeZone: e.APP_TIMEZONE ?? e.TZ ?? "Asia/Ho_Chi_Minh",
    defaultLocale: e.DEFAULT_LOCALE,
    logLevel: e.LOG_LEVEL,
    demoMode: e.DEMO_MODE,
    linkCodeTtlDays: e.LINK_CODE_TTL_DAYS,
    slips: {
      botName: e.BOT_NAME,
      telegramLink: e.TELEGRAM_BOT_USERNAME ? `https://t.me/${e.TELEGRAM_BOT_USERNAME.replace(/^@/, "")}` : undefined,
      zaloLink: e.ZALO_BOT_LINK,
    },
    trustProxy: e.TRUST_PROXY,
    linkGuessLimits: {
      perAccountPerHour: e.LINK_GUESSES_PER_ACCOUNT_HOUR,
      perAddressPerHour: e.LINK_GUESSES_PER_ADDRESS_HOUR,
      globalPerDay: e.LINK_GUESSES_PER_DAY,
    },
    webChat: e.WEB_CHAT,
    inbound: { burst: e.INBOUND_BURST, intervalMs: e.INBOUND_INTERVAL_MS },
    ticketsPerDay: e.TICKETS_PER_DAY,
    telegram: e.TELEGRAM_BOT_TOKEN
      ? {
          token: e.TELEGRAM_BOT_TOKEN,
          mode: e.TELEGRAM_MODE,
          webhookUrl: e.TELEGRAM_WEBHOOK_URL,
          webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
          apiRoot: e.TELEGRAM_API_ROOT.replace(/\/+$/, ""),
        }
      : undefined,
    zalo:
      e.ZALO_ENABLED && e.ZALO_CREDENTIALS_KEY
        ? {
            credentialsKey: e.ZALO_CREDENTIALS_KEY,
            sendIntervalMs: e.ZALO_SEND_INTERVAL_MS,
            newRecipientsPerHour: e.ZALO_NEW_RECIPIENTS_PER_HOUR,
          }
        : undefined,
    zaloBot: e.ZALO_BOT_TOKEN
      ? {
          token: e.ZALO_BOT_TOKEN,
          mode: e.ZALO_BOT_MODE,
          apiRoot: e.ZALO_BOT_API_ROOT.replace(/\/+$/, ""),
          webhookUrl: e.ZALO_BOT_WEBHOOK_URL,
          webhookSecret: e.ZALO_BOT_WEBHOOK_SECRET,
        }
      : undefined,
    outbox: {
      concurrency: e.OUTBOX_CONCURRENCY,
      maxAttempts: e.OUTBOX_MAX_ATTEMPTS,
      leaseMs: e.OUTBOX_LEASE_MS,
      outageNoticeMs: e.OUTBOX_OUTAGE_NOTICE_MS,
      limits: {
        telegram: {
          perSecond: e.TELEGRAM_RATE_PER_SECOND,
          chatIntervalMs: e.TELEGRAM_CHAT_INTERVAL_MS,
          groupPerMinute: e.TELEGRAM_GROUP_PER_MINUTE,
          marginMs: e.TELEGRAM_WINDOW_MARGIN_MS,
        },
        zalo: {
          perSecond: 1000,
          minIntervalMs: e.ZALO_SEND_INTERVAL_MS,
          chatIntervalMs: e.ZALO_SEND_INTERVAL_MS,
          groupPerMinute: 20,
          newRecipientsPerHour: e.ZALO_NEW_RECIPIENTS_PER_HOUR,
        },
        zalo_bot: { perSecond: 20, chatIntervalMs: 1000, groupPerMinute: 20 },
        web: { perSecond: 1000, chatIntervalMs: 0, groupPerMinute: 6000 },
      },
    },
  };
}

/** True when at least one chat platform has credentials. */
export function hasChannelCredentials(config: Config): boolean {
  return Boolean(config.telegram || config.zalo || config.zaloBot);
}
