/**
 * Telling the other processes on one database that messages were queued (PostgreSQL LISTEN/NOTIFY,
 * src/storage/notify.ts). A hint only: every process still polls the outbox. No-ops on SQLite.
 */
import type { Database } from "../../storage/database.ts";
import { listen, notify, type Listening } from "../../storage/notify.ts";

export type { Listening };

/** The notification channel of queued messages (payload: the platform, or "" for all). */
const outboxChannel = "chihoi_outbox";

/** Tells the listening processes that messages for `platform` ("" for any) were queued. */
export async function announceQueued(db: Database, platform: string): Promise<void> {
  await notify(db, outboxChannel, platform);
}

/** Calls `onQueued` with the platform of each announcement; undefined on SQLite. */
export async function listenForQueued(
  db: Database,
  onQueued: (platform: string) => void,
  onError: (error: unknown) => void,
): Promise<Listening | undefined> {
  return await listen(db, outboxChannel, onQueued, onError);
}
