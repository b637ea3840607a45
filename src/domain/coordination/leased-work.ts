/**
 * Work that exactly one process at a time may do (poll one Telegram bot, listen on one Zalo
 * account), run while this process holds its lease: begun when the lease is taken, ended when it
 * is lost or on stop. With several processes on one database, one does the work and another takes
 * over within ttl + interval (40 s with the defaults) when the holder dies.
 */
import type { Database } from "../../storage/database.ts";
import { LeaseKeeper, type LeaseKeeperOptions } from "./lease.ts";

export interface LeasedWorkOptions extends Omit<LeaseKeeperOptions, "onAcquired" | "onLost"> {
  /** Begins the work; should return once it is under way (not when it ends). */
  begin: () => void | Promise<void>;
  /** Ends the work and resolves once it has ended. */
  end: () => void | Promise<void>;
}

/**
 * Begins and ends `begin`/`end` as the lease `name` is taken and lost, one transition at a time
 * (an `end` always completes before the next `begin`). Errors of either go to `onError`.
 */
export class LeasedWork {
  readonly keeper: LeaseKeeper;
  #running = false;
  #stopping = false;
  #transitions: Promise<void> = Promise.resolve();

  constructor(
    db: Database,
    readonly name: string,
    readonly options: LeasedWorkOptions,
  ) {
    this.keeper = new LeaseKeeper(db, name, {
      ...options,
      onAcquired: () => this.#switch(true),
      onLost: () => this.#switch(false),
    });
  }

  /** True while the work runs here (begun and not ended). */
  get running(): boolean {
    return this.#running;
  }

  /** Starts competing for the lease; resolves after the first attempt (and its `begin`, if taken). */
  async start(): Promise<void> {
    this.#stopping = false;
    await this.keeper.start();
    await this.#transitions;
  }

  /**
   * Ends the work if it runs here, then gives the lease up: the next holder begins only after
   * this one has ended (still holding the lease meanwhile).
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#switch(false);
    await this.#transitions;
    await this.keeper.stop();
    await this.#transitions;
  }

  #switch(on: boolean): void {
    this.#transitions = this.#transitions.then(async () => {
      if (on === this.#running) return;
      if (on && this.#stopping) return;
      // Taken and lost again before this transition's turn: nothing to begin.
      if (on && !this.keeper.held) return;
      this.#running = on;
      try {
        await (on ? this.options.begin() : this.options.end());
      } catch (error) {
        this.options.onError?.(error);
      }
    });
  }
}
