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
 * moment until its answer, which is the same rule the gate applies within a process. While the
 * answer is awaited the process keeps moving the use ahead (`renew`), so a request that takes long
 * (a slow platform, a stalled machine) still counts when it arrives; a process that dies with
 * requests in flight stops moving them, and they count `sharedHoldMs` more, then a window.
 */
import type { Logger } from "../lib/logger.ts";
import type { Database } from "../storage/database.ts";
import { settleBudgetUses, takeFromBudget, type BudgetRule } from "../domain/coordination/rate-budget.ts";

/** A place taken from the shared budget. */
export interface SharedUse {
  /** The grant's time on the database clock. */
  readonly takenAt: number;
  /** When it was asked for, on the local monotonic clock (to carry later times over). */
  readonly askedAt: number;
  /** Where the budget holds it now (database clock): how the budget knows the use. */
  heldAt: number;
}

/** How long finished sends gather before their uses are moved to their answers' times. */
const settleDelayMs = 25;
/** Longest wait before asking the shared budget again when it is spent. */
const retryPollMs = 50;
/**
 * A use counts as made this long ahead until its answer is recorded, and is moved ahead again every
 * `renewEveryMs` while the answer is awaited: a process that stalls for up to about this long, or
 * dies with requests in flight, still has them counted when they may arrive. A process that dies
 * holds the bot's budget at most this long plus a window.
 */
export const sharedHoldMs = 3000;
/** How often uses still awaiting their answer are moved ahead. */
const renewEveryMs = 1000;

const localNow = () => performance.now();

export class SharedBudget {
  readonly #waiting: { askedAt: number; resolve(use: SharedUse | null): void }[] = [];
  #draining = false;
  /** Uses granted here whose answer is not in yet. */
  readonly #inFlight = new Set<SharedUse>();
  /** Answers in, to be recorded: the use and its answer's time (database clock). */
  #answers: { use: SharedUse; at: number }[] = [];
  #settleTimer?: ReturnType<typeof setTimeout>;
  #renewTimer?: ReturnType<typeof setInterval>;
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
        for (const w of this.#waiting.splice(0, granted)) {
          const use: SharedUse = { takenAt, askedAt, heldAt: takenAt + (this.rule.holdMs ?? 0) };
          this.#inFlight.add(use);
          w.resolve(use);
        }
        if (granted) this.#renewTimer ??= setInterval(() => void this.#renew(), renewEveryMs);
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
    if (!use || !this.#inFlight.delete(use)) return;
    this.#answers.push({ use, at: this.#dbNow(use) });
    this.#settleTimer ??= setTimeout(() => {
      this.#settleTimer = undefined;
      void this.#flush([]);
    }, settleDelayMs);
  }

  /** The database clock now, carried over from a use's grant on the local clock (never early). */
  #dbNow(use: SharedUse): number {
    return use.takenAt + Math.ceil(localNow() - use.askedAt);
  }

  /** Moves the uses still awaiting their answer a hold ahead of now. */
  #renew(): Promise<void> {
    if (!this.#inFlight.size) {
      clearInterval(this.#renewTimer);
      this.#renewTimer = undefined;
      return this.#settling;
    }
    return this.#flush([...this.#inFlight]);
  }

  /**
   * Records the answers gathered so far and moves `renewing` ahead, in one transaction, one after
   * another (each move names where the use is held now).
   */
  #flush(renewing: SharedUse[]): Promise<void> {
    this.#settling = this.#settling.then(async () => {
      const answers = this.#answers;
      this.#answers = [];
      const hold = this.rule.holdMs ?? 0;
      const moves = [
        ...answers.map(({ use, at }) => ({ use, to: at })),
        // An answer that came in meanwhile is recorded above instead.
        ...renewing.filter((use) => this.#inFlight.has(use)).map((use) => ({ use, to: this.#dbNow(use) + hold })),
      ];
      if (!moves.length) return;
      try {
        await settleBudgetUses(
          this.db,
          this.key,
          moves.map(({ use, to }) => ({ from: use.heldAt, to })),
          this.rule,
        );
        for (const { use, to } of moves) use.heldAt = to;
      } catch (error) {
        // The answered uses keep their held times: the window forgets them a little late, not early.
        this.logger.error({ err: error, key: this.key }, "could not record the answers in the shared send budget");
      }
    });
    return this.#settling;
  }

  /** Writes the answers not yet recorded (before stopping). */
  async stop(): Promise<void> {
    if (this.#settleTimer) clearTimeout(this.#settleTimer);
    this.#settleTimer = undefined;
    clearInterval(this.#renewTimer);
    this.#renewTimer = undefined;
    await this.#flush([]);
  }
}
