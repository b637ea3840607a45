/**
 * Starts and stops the whole service from a config: storage (real or demo), web server, channels,
 * delivery engine and clock. Used by `chihoi start` and by end-to-end tests in-process.
 */
import path from "node:path";
import type { Config } from "./config.ts";
import { hasChannelCredentials } from "./config.ts";
import type { Logger } from "./lib/logger.ts";
import { bilingual, translator, type Locale } from "./lib/i18n.ts";
import { openDatabase, databaseFile, redactUrl, type Database } from "./storage/database.ts";
import { Inbox } from "./conversation/inbox.ts";
import { DeliveryEngine } from "./delivery/delivery-engine.ts";
import { createWebServer } from "./web/server.ts";
import { mountApi } from "./web/api/api.ts";
import { mountAdmin } from "./web/admin/admin-app.ts";
import { WebChatChannel } from "./channels/web/web-chat-channel.ts";
import { isSeeded, seedDemoOrganisation } from "./demo/demo-seed.ts";
import { seedDemoActivity } from "./demo/demo-activity.ts";
import type { Channel } from "./channels/channel.ts";
import { LeasedChannel } from "./channels/leased-channel.ts";
import { Clock } from "./scheduler/clock.ts";
import { TelegramChannel } from "./channels/telegram/telegram-channel.ts";
import { ZaloBotChannel } from "./channels/zalo-bot/zalo-bot-channel.ts";
import { enqueue, outboxCounts, platformHealth, priorities } from "./domain/deliveries/outbox-service.ts";
import type { PlatformEvent } from "./delivery/delivery-engine.ts";
import { formatMeetingTime } from "./lib/zoned-time.ts";
import { guessRisk, legacyCodeHolders } from "./domain/linking/link-service.ts";
import { hasRealOrganisation } from "./domain/organisations/organisation-presence.ts";
import { adminChatAccounts } from "./domain/admins/admin-accounts.ts";
import { countBackedOffZaloAccounts } from "./domain/channels-state/zalo-state.ts";

/** The lease of the personal Zalo account's channel (one account per database). */
export const zaloLeaseName = "zalo:listen";

export interface RunningService {
  config: Config;
  db: Database;
  demo: boolean;
  url: string;
  banner: string;
  inbox: Inbox;
  engine: DeliveryEngine;
  channels: Channel[];
  clock: Clock;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  logger: Logger;
  now?: () => Date;
}

/** Opens the database the service should run on, seeding the demo one when demo mode applies. */
async function openServiceDatabase(config: Config, logger: Logger): Promise<{ db: Database; demo: boolean }> {
  const real = await openDatabase(config.databaseUrl);
  const demo =
    config.demoMode === "on" ||
    (config.demoMode === "auto" && !hasChannelCredentials(config) && !(await hasRealOrganisation(real)));
  if (!demo) return { db: real, demo: false };
  // Demo data never enters the real database: it lives in its own SQLite file beside it (beside
  // the working directory's data folder when the real one is on PostgreSQL).
  const demoDir = real.engine === "sqlite" ? path.dirname(databaseFile(config.databaseUrl)) : path.resolve("data");
  const demoUrl = `file:${path.join(demoDir, "demo.db")}`;
  await real.close();
  const db = await openDatabase(demoUrl);
  if (!(await isSeeded(db))) {
    const seeded = await seedDemoOrganisation(db);
    await seedDemoActivity(db, seeded, config.timeZone);
    logger.info("demo data seeded");
  }
  return { db, demo: true };
}

/** The admins' view of the channels in chat (/trangthai): login state, last event, queues, back-offs. */
async function describeChannels(
  db: Database,
  channels: Channel[],
  timeZone: string,
  locale: Locale,
  at: Date,
): Promise<string[]> {
  const t = translator(locale);
  const when = (ms: number | null) => (ms ? formatMeetingTime(new Date(ms), timeZone, locale) : t("cli.never"));
  const lines: string[] = [];
  const down = new Map(
    (await platformHealth(db)).filter((h) => h.state === "down" && h.downSince != null).map((h) => [h.platform, h]),
  );
  for (const listed of channels) {
    // A channel run under a lease (several processes) reports the channel it wraps.
    const channel = listed instanceof LeasedChannel ? listed.inner : listed;
    const queue = Object.entries(await outboxCounts(db, channel.id))
      .filter(([status]) => status === "pending" || status === "sending")
      .reduce((n, [, c]) => n + c, 0);
    const outage = down.get(channel.id);
    if (outage) {
      lines.push(
        t("delivery.status_down", {
          platform: channel.id,
          since: when(Number(outage.downSince)),
          minutes: Math.floor((at.getTime() - Number(outage.downSince)) / 60_000),
          count: queue,
          error: outage.lastError ? t("delivery.status_error", { error: outage.lastError }) : "",
        }),
      );
      continue;
    }
    if (channel.id === "zalo" && "status" in channel && typeof channel.status === "function") {
      const s = await (
        channel as unknown as {
          status(): Promise<{ state: string; since: number; lastEventAt: number | null; lastError: string | null }>;
        }
      ).status();
      const backedOff = await countBackedOffZaloAccounts(db, at.getTime());
      lines.push(
        t("chat.status_zalo", {
          state: t(`cli.zalo_state_${s.state}`),
          since: when(s.since),
          lastEvent: when(s.lastEventAt),
          queue,
          backedOff,
          error: s.lastError ? t("chat.status_error", { error: s.lastError }) : "",
        }),
      );
    } else if (channel.id === "zalo_bot" && "status" in channel && typeof channel.status === "function") {
      const s = (
        channel as unknown as { status(): { state: string; since: number; failures: number; lastError: string | null } }
      ).status();
      lines.push(
        t(`zalo.status_bot_${s.state}`, {
          queue,
          since: when(s.since),
          failures: s.failures,
          error: s.lastError ? t("chat.status_error", { error: s.lastError }) : "",
        }),
      );
    } else {
      lines.push(t("chat.status_line", { channel: channel.id, state: t("chat.status_running") }));
      lines.push(t("chat.status_queue", { channel: channel.id, count: queue }));
    }
  }
  return lines;
}

/**
 * Tells the admins something in chat, on any reachable account that is not Zalo personal (the
 * channel that usually has the problem) nor the web chat.
 */
async function notifyAdmins(db: Database, engine: DeliveryEngine, text: string, at: Date): Promise<void> {
  const rows = await adminChatAccounts(db, ["zalo", "web"]);
  for (const r of rows)
    await enqueue(
      db,
      {
        platform: r.platform,
        chatId: r.externalId,
        chatAccountId: r.id,
        personId: r.personId,
        priority: priorities.reply,
        body: { text },
        dedupeKey: `admin-alert:${r.id}:${at.getTime()}`,
      },
      at,
    );
  for (const platform of new Set(rows.map((r) => r.platform))) engine.kick(platform);
}

/**
 * A platform down for a while, or back: the admins hear it in chat, in their own language, on
 * every platform that is up (the one down cannot carry it; its own copy waits and goes when it is
 * back, as does the "back" message).
 */
async function tellAdminsAboutPlatform(
  db: Database,
  engine: DeliveryEngine,
  event: PlatformEvent,
  timeZone: string,
  at: Date,
): Promise<void> {
  const rows = await adminChatAccounts(db, ["web"]);
  for (const r of rows) {
    if (event.kind === "down" && r.platform === event.platform) continue;
    const locale: Locale = r.locale === "en" ? "en" : "vi";
    const t = translator(locale);
    const minutes = Math.max(1, Math.round((at.getTime() - event.since.getTime()) / 60_000));
    const text =
      event.kind === "down"
        ? t("delivery.platform_down", {
            platform: event.platform,
            since: formatMeetingTime(event.since, timeZone, locale),
            minutes,
          })
        : t("delivery.platform_up", { platform: event.platform, minutes });
    await enqueue(
      db,
      {
        platform: r.platform,
        chatId: r.externalId,
        chatAccountId: r.id,
        personId: r.personId,
        priority: priorities.reply,
        body: { text, locale },
        dedupeKey: `platform-${event.kind}:${event.platform}:${event.since.getTime()}:${r.id}`,
      },
      at,
    );
  }
  engine.kick();
}

/** Start-up lines for admins: old 6-digit slips to reprint, and guess limits looser than the goal. */
async function warnAboutLinking(db: Database, config: Config, logger: Logger): Promise<void> {
  const log = logger.child({ module: "linking" });
  const t = translator("en");
  const legacy = await legacyCodeHolders(db);
  if (legacy) log.warn({ people: legacy }, t("security.legacy_codes_log", { count: legacy }));
  const risk = guessRisk(config.linkGuessLimits, 100_000);
  if (risk.any >= 0.01)
    log.warn(
      { perDay: config.linkGuessLimits.globalPerDay },
      t("security.guess_risk_log", { perDay: config.linkGuessLimits.globalPerDay, any: (risk.any * 100).toFixed(2) }),
    );
}

export async function startService(config: Config, options: ServiceOptions): Promise<RunningService> {
  const logger = options.logger;
  const now = options.now ?? (() => new Date());
  const { db, demo } = await openServiceDatabase(config, logger);

  const engine = new DeliveryEngine(db, {
    concurrency: config.outbox.concurrency,
    maxAttempts: config.outbox.maxAttempts,
    leaseMs: config.outbox.leaseMs,
    outageNoticeMs: config.outbox.outageNoticeMs,
    limits: config.outbox.limits,
    logger,
    now,
    onPlatformEvent: (event) => tellAdminsAboutPlatform(db, engine, event, config.timeZone, now()),
  });
  const channels: Channel[] = [];
  // PostgreSQL may be shared by several service processes; SQLite is one process's.
  const shared = db.engine === "postgresql";
  const inbox = new Inbox({
    db,
    settings: {
      timeZone: config.timeZone,
      defaultLocale: config.defaultLocale,
      linkCodeTtlDays: config.linkCodeTtlDays,
      linkGuessLimits: config.linkGuessLimits,
      ticketsPerDay: config.ticketsPerDay,
      channelStatus: (locale) => describeChannels(db, channels, config.timeZone, locale, now()),
    },
    logger,
    now,
    onQueued: (platform) => engine.kick(platform),
    inboundLimit: config.inbound,
  });
  await warnAboutLinking(db, config, logger);

  // Outside demo mode the web chat is a way in for anyone who reaches the port: off unless asked for.
  const webChatOn = demo ? config.webChat !== "off" : config.webChat === "on";
  const web = createWebServer({
    host: config.host,
    port: config.port,
    locale: config.defaultLocale,
    demo,
    chat: webChatOn,
  });
  mountApi(web.app, { db, locale: config.defaultLocale, timeZone: config.timeZone });
  if (webChatOn) {
    const webChat = new WebChatChannel({ db, demo, defaultLocale: config.defaultLocale });
    webChat.mount(web.app);
    channels.push(webChat);
  }
  // The clock starts after the web server; until then a job brought forward waits for its first tick.
  const jobsNow = { run: (): void => undefined };
  mountAdmin(web.app, {
    db,
    demo,
    defaultLocale: config.defaultLocale,
    timeZone: config.timeZone,
    trustProxy: config.trustProxy,
    linkCodeTtlDays: config.linkCodeTtlDays,
    channels,
    serviceUrl: () => web.url,
    now,
    onQueued: () => engine.kick(),
    runJobsNow: () => jobsNow.run(),
  });
  if (config.telegram) {
    // Several processes on one PostgreSQL: exactly one long-polls the bot (under its lease);
    // sends and the webhook work in every process. One SQLite process polls from the start.
    const telegram = new TelegramChannel({
      config: config.telegram,
      logger,
      app: web.app,
      lease: shared ? { db } : undefined,
    });
    channels.push(telegram);
  }
  // Several processes on one PostgreSQL: exactly one long-polls the Zalo bot (under its lease).
  if (config.zaloBot)
    channels.push(
      new ZaloBotChannel({ config: config.zaloBot, logger, app: web.app, lease: shared ? { db } : undefined }),
    );
  if (config.zalo) {
    // Loaded only when enabled: zca-js and its dependencies weigh ~30 MB of memory.
    const { ZaloChannel } = await import("./channels/zalo/zalo-channel.ts");
    const zalo = new ZaloChannel({
      db,
      config: config.zalo,
      logger,
      notifyAdmins: async (text) => notifyAdmins(db, engine, text, now()),
    });
    // One login per account: with several processes on one PostgreSQL only the lease holder runs it.
    channels.push(shared ? new LeasedChannel(zalo, { db, name: zaloLeaseName, logger }) : zalo);
  }

  for (const channel of channels) engine.addChannel(channel);
  const handler = async (message: Parameters<Inbox["receive"]>[0]) => {
    await inbox.receive(message);
  };
  await web.listen();
  for (const channel of channels) await channel.start(handler);
  await inbox.recover();
  await engine.start();
  const clock = new Clock(db, { timeZone: config.timeZone, logger, now, onQueued: () => engine.kick() });
  clock.start();
  jobsNow.run = () => void clock.tick().catch((error: unknown) => logger.error({ err: error }, "clock tick failed"));

  // Where the data lives, for the banner: the SQLite file, or the PostgreSQL URL without its password.
  const file = db.engine === "sqlite" ? db.file : redactUrl(db.url);
  const channelNames = channels
    .filter((c) => c.id !== "web")
    .map((c) => c.id)
    .join(", ");
  const banner = demo
    ? bilingual("service.banner_demo", { url: web.url, file })
    : (["vi", "en"] as const)
        .map((locale) => {
          const t = translator(locale);
          return t("service.banner_real", {
            url: web.url,
            file,
            channels: channelNames || t("service.no_channels"),
            webChat: webChatOn ? `${web.url}/chat` : t("service.web_chat_off"),
          });
        })
        .join("\n");

  return {
    config,
    db,
    demo,
    url: web.url,
    banner,
    inbox,
    engine,
    channels,
    clock,
    async stop() {
      await clock.stop();
      for (const channel of channels) {
        try {
          await channel.stop();
        } catch (error) {
          logger.warn({ err: error, channel: channel.id }, "channel did not stop cleanly");
        }
      }
      await engine.stop();
      await web.close();
      await db.close();
    },
  };
}
