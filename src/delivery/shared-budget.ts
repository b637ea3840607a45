/**
 * A bot's send budget shared by every process on one database (rate-budget.ts), as the delivery
 * engine uses it: after the in-process gate (SendGate: priority order, in-flight accounting) has
 * let a request go, it asks here too, so that several processes together never exceed the bot's
 * limit. Requests let go in the same moment ask in ONE transaction; when the budget is spent
 * elsewhere they wait until a place frees up, first come first served (the gate already ordered
 * them by priority).
 *
 * A use counts from its grant as if made `sharedHoldMs` later, then, once the answer is in, as made
 * at the answer's time (moved in batches by `settle`): a request may arrive at the platform at any
 * moment until its answer, which is the same rule the gate applies within a process, and a process
 * that dies with requests in flight leaves them counted long enough.
 */
import type { Logger } from "../lib/logger.ts";
import type { Database } from "../storage/database.ts";
import { settleBudgetUses, takeFromBudget, type BudgetRule } from "../domain/coordination/rate-budget.ts";

/** A place taken from the shared budget. */
export interface SharedUse {
  /** The grant's time on the database clock (how the budget knows the use). */
  takenAt: number;
  /** When it was asked for, on the local monotonic clock (to carry the answer's time over). */
  askedAt: number;
}

/** How long finished sends gather before their uses are moved to their answers' times. */
const settleDelayMs = 25;
/** Longest wait before asking the shared budget again when it is spent. */
const retryPollMs = 50;
/**
 * A use counts as made this long after its grant until its answer is recorded: should the process
 * die with the request in flight, the request may still arrive that late (a second is far beyond
 * any answer the engine waits for at this rate; the platform's own timeouts are shorter).
 */
export const sharedHoldMs = 1000;

const localNow = () => performance.now();

export class SharedBudget {
  readonly #waiting: { askedAt: number; resolve(use: SharedUse | null): void }[] = [];
  #draining = false;
  #moves: { from: number; to: number }[] = [];
  #settleTimer?: ReturnType<typeof setTimeout>;
  #settling: Promise<void> = Promise.resolve();

  constructor(
    readonly db: Database,
    readonly key: string,
    readonly rule: BudgetRule,
    readonly logger: Logger,
  ) {}

  /**
   * Resolves when the shared budget lets one more request go. Null when the database could not be
   * asked (the request then goes on the in-process gate's word alone; the error is logged).
   */
  take(): Promise<SharedUse | null> {
    return new Promise((resolve) => {
      this.#waiting.push({ askedAt: localNow(), resolve });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#waiting.length) {
        const askedAt = localNow();
        let granted: number;
        let wait = 0;
        let takenAt = 0;
        try {
          const grant = await takeFromBudget(this.db, this.key, this.#waiting.length, this.rule);
          granted = grant.granted;
          takenAt = grant.now;
          // The database clock moved on while the answer came back. Uses still held (see
          // `holdMs`) are moved to their answers within a few tens of milliseconds: ask again soon.
          if (grant.retryAt !== null) wait = Math.min(retryPollMs, grant.retryAt - grant.now - (localNow() - askedAt));
        } catch (error) {
          this.logger.error(
            { err: error, key: this.key },
            "could not take from the shared send budget; sending on this process's own limits",
          );
          for (const w of this.#waiting.splice(0)) w.resolve(null);
          return;
        }
        for (const w of this.#waiting.splice(0, granted)) w.resolve({ takenAt, askedAt });
        if (this.#waiting.length) await new Promise((r) => setTimeout(r, Math.max(1, Math.ceil(wait))));
      }
    } finally {
      this.#draining = false;
    }
  }

  /**
   * The request's answer (or failure) is in: its use will count from now (database clock: the
   * grant's time plus the local time since it was asked for, which is never earlier than the answer).
   */
  settle(use: SharedUse | null): void {
    if (!use) return;
    this.#moves.push({
      from: use.takenAt + (this.rule.holdMs ?? 0),
      to: use.takenAt + Math.ceil(localNow() - use.askedAt),
    });
    this.#settleTimer ??= setTimeout(() => {
      this.#settleTimer = undefined;
      void this.#flush();
    }, settleDelayMs);
  }

  #flush(): Promise<void> {
    this.#settling = this.#settling.then(async () => {
      const moves = this.#moves;
      this.#moves = [];
      try {
        await settleBudgetUses(this.db, this.key, moves, this.rule);
      } catch (error) {
        // The uses keep their grant times: the window forgets them a little early.
        this.logger.error({ err: error, key: this.key }, "could not record the answers in the shared send budget");
      }
    });
    return this.#settling;
  }

  /** Writes the answers not yet recorded (before stopping). */
  async stop(): Promise<void> {
    if (this.#settleTimer) clearTimeout(this.#settleTimer);
    this.#settleTimer = undefined;
    await this.#flush();
  }
}
