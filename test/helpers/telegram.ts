/** Wires the real TelegramChannel to a FakeTelegramServer (the platform boundary). */
import { FakeTelegramServer, type FakeTelegramOptions } from "../fakes/telegram-server.ts";
import { TelegramChannel } from "../../src/channels/telegram/telegram-channel.ts";
import { createLogger } from "../../src/lib/logger.ts";

export const silentLogger = createLogger("silent");

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegramServer> {
  const server = new FakeTelegramServer(options);
  await server.start();
  return server;
}

export function telegramChannelFor(
  server: FakeTelegramServer,
  extra: Partial<ConstructorParameters<typeof TelegramChannel>[0]> = {},
): TelegramChannel {
  return new TelegramChannel({
    config: { token: server.token, mode: "polling", apiRoot: server.apiRoot },
    logger: silentLogger,
    botInfo: server.botInfo,
    ...extra,
  });
}
