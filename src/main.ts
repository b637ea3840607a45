/**
 * Composition root: read config, open storage (the real database, or the demo database when no
 * channel is configured and the real one is empty), start the web server, channels, delivery and
 * clock; shut everything down cleanly on SIGINT/SIGTERM.
 */
import { loadConfig, ConfigError, type Config } from "./config.ts";
import { createLogger, setRootLogger } from "./lib/logger.ts";
import { bilingual } from "./lib/i18n.ts";
import { startService, type RunningService } from "./service.ts";

export async function runMain(config: Config): Promise<RunningService> {
  const logger = createLogger(config.logLevel);
  setRootLogger(logger);
  const service = await startService(config, { logger });
  process.stdout.write(`${service.banner}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    const timer = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, 15_000);
    timer.unref();
    try {
      await service.stop();
      process.stdout.write(`${bilingual("service.stopped")}\n`);
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "error while stopping");
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  return service;
}

// Run directly (tsx src/main.ts) as well as through `chihoi start`.
if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await runMain(loadConfig());
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}
