/**
 * PostgreSQL's LISTEN/NOTIFY, to wake the other processes on one database when there is work for
 * them (messages queued). A notification is a hint, never the only way work is found: the
 * processes still poll, so one lost while a listener reconnects only delays. On SQLite (one
 * process) both are no-ops.
 */
import type pg from "pg";
import { sql } from "kysely";
import type { Database } from "./database.ts";

const channelName = /^[a-z_][a-z0-9_]*$/;

/** Notifies the listeners of `channel` (in the ambient transaction: delivered when it commits). */
export async function notify(db: Database, channel: string, payload: string): Promise<void> {
  if (db.engine !== "postgresql") return;
  await sql`SELECT pg_notify(${channel}, ${payload})`.execute(db.kysely);
}

export interface Listening {
  /** True while the connection listens (false while it reconnects). */
  readonly connected: boolean;
  stop(): Promise<void>;
}

/**
 * Listens on `channel` on a connection of its own (not one of the pool's), calling `onPayload`
 * for each notification; a lost connection is opened again with backoff (0.5 s doubling to 30 s).
 * Resolves once the first attempt to listen has ended (listening or not: errors go to `onError`).
 * Undefined on SQLite.
 */
export async function listen(
  db: Database,
  channel: string,
  onPayload: (payload: string) => void,
  onError: (error: unknown) => void,
): Promise<Listening | undefined> {
  if (db.engine !== "postgresql") return undefined;
  if (!channelName.test(channel)) throw new Error(`listen: not a channel name: ${channel}`);
  const { default: driver } = await import("pg");
  let client: pg.Client | undefined;
  let connected = false;
  let stopped = false;
  let delay = 500;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const again = () => {
    connected = false;
    client = undefined;
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void open();
    }, delay);
    delay = Math.min(30_000, delay * 2);
  };

  const open = async () => {
    const c = new driver.Client({ connectionString: db.url });
    client = c;
    let lost = false;
    const lose = (error?: unknown) => {
      if (lost) return;
      lost = true;
      if (error !== undefined && !stopped) onError(error);
      if (client === c) again();
    };
    c.on("notification", (m) => {
      if (m.channel === channel) onPayload(m.payload ?? "");
    });
    c.on("error", (error) => lose(error));
    c.on("end", () => lose());
    try {
      await c.connect();
      await c.query(`LISTEN "${channel}"`);
      if (stopped) {
        await c.end();
        return;
      }
      connected = true;
      delay = 500;
    } catch (error) {
      lose(error);
      c.end().catch(() => undefined);
    }
  };

  await open();
  return {
    get connected() {
      return connected;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const c = client;
      client = undefined;
      connected = false;
      await c?.end().catch(() => undefined);
    },
  };
}
