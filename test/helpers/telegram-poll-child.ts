/**
 * A stand-in service process for the multi-process Telegram test: opens the database and runs the
 * real TelegramChannel in polling mode under its lease against a fake Bot API, printing one JSON
 * line per event on stdout ("polling" every 20 ms while it long-polls, "update" per message).
 *
 *   node --import tsx telegram-poll-child.ts <databaseUrl> <apiRoot> <token> <botInfo JSON> <ttlMs>
 */
import { openDatabase } from "../../src/storage/database.ts";
import { TelegramChannel } from "../../src/channels/telegram/telegram-channel.ts";
import { createLogger } from "../../src/lib/logger.ts";

const [url, apiRoot, token, botInfo, ttlMs] = process.argv.slice(2);
const say = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ pid: process.pid, t: Date.now(), ...event })}\n`);

const db = await openDatabase(url!, { poolSize: 3 });
const channel = new TelegramChannel({
  config: { token: token!, mode: "polling", apiRoot: apiRoot! },
  logger: createLogger("silent"),
  botInfo: JSON.parse(botInfo!),
  lease: { db, ttlMs: Number(ttlMs) },
});
const beat = setInterval(() => channel.polling && say({ event: "polling" }), 20);
process.on("SIGTERM", () => {
  clearInterval(beat);
  void channel
    .stop()
    .then(() => db.close())
    .then(() => process.exit(0));
});
await channel.start(async (message) => {
  say({ event: "update", text: message.text ?? "", eventId: message.eventId });
});
say({ event: "ready" });
