/**
 * Leases: exactly one process at a time does a piece of work that several service processes on
 * one database share (polls one Telegram bot, listens on one Zalo account). The holder renews its
 * lease well before it expires; if the holder dies, its lease expires and another process takes
 * it over (with the defaults, within 40 seconds).
 *
 * Times come from the database's clock (not the processes'), so machines whose clocks disagree
 * still agree on when a lease has expired. A holder trusts its lease only until
 * `renew started + ttl` by its own monotonic clock, which is never later than the expiry the
 * database recorded: a holder that cannot renew (database unreachable, process paused) stops
 * believing it holds the lease before anyone else can take it.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { sql } from "kysely";
import type { Database } from "../../storage/database.ts";
import { nowMs } from "../../storage/dialect.ts";

/** A process's identity as a lease holder: host, pid and a random part (pids are reused). */
export function processHolderId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Takes or renews the lease `name` for `holder` for `ttlMs`. Returns true when `holder` now holds
 * it (it was free, expired, or already its own). One statement: atomic on both engines.
 */
export async function acquireLease(db: Database, name: string, holder: string, ttlMs: number): Promise<boolean> {
  const now = nowMs(db.engine);
  const row = await db.kysely
    .insertInto("Lease")
    .values({ name, holder, expiresAt: sql<number>`${now} + ${ttlMs}`, acquiredAt: now, renewedAt: now })
    .onConflict((oc) =>
      oc
        .column("name")
        .doUpdateSet((eb) => ({
          holder: eb.ref("excluded.holder"),
          expiresAt: eb.ref("excluded.expiresAt"),
          renewedAt: eb.ref("excluded.renewedAt"),
          acquiredAt: eb
            .case()
            .when("Lease.holder", "=", eb.ref("excluded.holder"))
            .then(eb.ref("Lease.acquiredAt"))
            .else(eb.ref("excluded.acquiredAt"))
            .end(),
        }))
        .where((eb) =>
          eb.or([
            eb("Lease.holder", "=", eb.ref("excluded.holder")),
            eb("Lease.expiresAt", "<=", eb.ref("excluded.renewedAt")),
          ]),
        ),
    )
    .returning("holder")
    .executeTakeFirst();
  return row?.holder === holder;
}

/** Gives the lease up (only if `holder` holds it), so another process can take it at once. */
export async function releaseLease(db: Database, name: string, holder: string): Promise<void> {
  await db.kysely.deleteFrom("Lease").where("name", "=", name).where("holder", "=", holder).execute();
}

export interface LeaseInfo {
  name: string;
  holder: string;
  expiresAt: number;
  acquiredAt: number;
  renewedAt: number;
}

/** Who holds what (for status pages); expired leases included, marked by their expiry. */
export async function listLeases(db: Database, prefix = ""): Promise<LeaseInfo[]> {
  let q = db.kysely.selectFrom("Lease").selectAll().orderBy("name");
  if (prefix) q = q.where("name", ">=", prefix).where("name", "<", `${prefix}\uffff`);
  return q.execute();
}

export interface LeaseKeeperOptions {
  /** How long a lease lasts without renewal (default 30 s). */
  ttlMs?: number;
  /** How often the keeper renews or tries to take the lease (default ttl / 3). */
  intervalMs?: number;
  holder?: string;
  /** Called when this process starts holding the lease. */
  onAcquired?: () => void;
  /** Called when it stops holding it (lost, expired unrenewed, or released). */
  onLost?: () => void;
  onError?: (error: unknown) => void;
}

/**
 * Keeps trying to hold one lease: renews it while held, takes it when free. `held` is true only
 * while the lease is certainly this process's (see the file comment).
 */
export class LeaseKeeper {
  readonly holder: string;
  readonly ttlMs: number;
  readonly intervalMs: number;
  #trustedUntil = 0;
  #timer: NodeJS.Timeout | undefined;
  #wasHeld = false;
  #stopped = true;
  #tick: Promise<void> = Promise.resolve();

  constructor(
    readonly db: Database,
    readonly name: string,
    readonly options: LeaseKeeperOptions = {},
  ) {
    this.holder = options.holder ?? processHolderId();
    this.ttlMs = options.ttlMs ?? 30_000;
    this.intervalMs = options.intervalMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
    if (this.intervalMs >= this.ttlMs) throw new Error("LeaseKeeper: the interval must be shorter than the ttl");
  }

  get held(): boolean {
    return performance.now() < this.#trustedUntil;
  }

  /** Starts trying; resolves after the first attempt. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#attempt();
    this.#schedule();
  }

  /** Stops, releasing the lease if held (another process can take over at once). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#tick;
    if (this.#wasHeld) {
      this.#trustedUntil = 0;
      this.#noteChange();
      await releaseLease(this.db, this.name, this.holder).catch((error) => this.options.onError?.(error));
    }
  }

  #schedule(): void {
    if (this.#stopped) return;
    // `held` itself is exact; onLost can come up to one interval after the trusted deadline.
    this.#timer = setTimeout(() => {
      this.#tick = this.#attempt().finally(() => this.#schedule());
    }, this.intervalMs);
    this.#timer.unref?.();
  }

  async #attempt(): Promise<void> {
    const started = performance.now();
    try {
      const ok = await acquireLease(this.db, this.name, this.holder, this.ttlMs);
      this.#trustedUntil = ok ? started + this.ttlMs : 0;
    } catch (error) {
      this.options.onError?.(error);
    }
    this.#noteChange();
  }

  #noteChange(): void {
    const held = this.held;
    if (held && !this.#wasHeld) this.options.onAcquired?.();
    if (!held && this.#wasHeld) this.options.onLost?.();
    this.#wasHeld = held;
  }
}
