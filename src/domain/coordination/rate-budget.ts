/**
 * A send budget shared by every process on one database: at most `limit` sends per `windowMs`
 * per key (one key per bot or account, e.g. "telegram:123456"), counted over a sliding window,
 * whichever process sends. Each process asks before it sends; the answer says how many of the
 * sends it wants it may make now, and when to ask again.
 *
 * The key's row is locked for the short transaction that reads and updates it (PostgreSQL row
 * lock; SQLite's IMMEDIATE write lock), so two processes never both take the last slot. Times
 * are the database's clock, as for leases.
 */
import { sql } from "kysely";
import { z } from "zod";
import type { Database } from "../../storage/database.ts";
import { nowMs } from "../../storage/dialect.ts";

export interface BudgetRule {
  /** Sends allowed per window. */
  limit: number;
  windowMs: number;
  /**
   * Each use is recorded as made this long after its grant (default 0), until `settleBudgetUses`
   * moves it to its answer's time: a request whose answer never comes back (its process died in
   * flight) may still arrive at the platform up to then. The use counts meanwhile, as any use.
   */
  holdMs?: number;
}

export interface Grant {
  /** How many sends the caller may make now (0 … wanted). */
  granted: number;
  /** When a slot frees up (epoch ms, database clock), or null when slots are left. */
  retryAt: number | null;
  /** The database clock at the time of the grant. */
  now: number;
}

const usesSchema = z.array(z.number().int());

/** Reads a budget row's `uses`; a damaged value counts as empty rather than stopping all sends. */
function parseUses(text: string): number[] {
  try {
    const parsed = usesSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/**
 * Takes up to `wanted` sends from the budget `key`. The sends count from now: call it right before
 * sending. A send that did not happen after all is not given back (the platform counts attempts
 * too); the window forgets it after `windowMs`.
 */
export async function takeFromBudget(db: Database, key: string, wanted: number, rule: BudgetRule): Promise<Grant> {
  if (!Number.isInteger(wanted) || wanted < 0)
    throw new Error(`takeFromBudget: wanted must be a whole number ≥ 0, not ${wanted}`);
  if (!(rule.limit > 0) || !(rule.windowMs > 0)) throw new Error("takeFromBudget: limit and windowMs must be positive");
  return db.transaction(async () => {
    const trx = db.kysely;
    const now = nowMs(db.engine);
    await trx
      .insertInto("RateBudget")
      .values({ key, uses: "[]", updatedAt: now })
      .onConflict((oc) => oc.column("key").doNothing())
      .execute();
    let read = trx
      .selectFrom("RateBudget")
      .select(["uses", sql<number>`${now}`.as("now")])
      .where("key", "=", key);
    if (db.engine === "postgresql") read = read.forUpdate();
    const row = await read.executeTakeFirstOrThrow();
    const at = Number(row.now);
    const since = at - rule.windowMs;
    // A use later than now (moved to its answer's time by `settleBudgetUses`) still counts.
    const uses = parseUses(row.uses)
      .filter((t) => t > since)
      .sort((a, b) => a - b);
    const granted = Math.min(wanted, Math.max(0, rule.limit - uses.length));
    for (let i = 0; i < granted; i++) uses.push(at + (rule.holdMs ?? 0));
    uses.sort((a, b) => a - b);
    if (granted > 0 || uses.length !== parseUses(row.uses).length) {
      await trx
        .updateTable("RateBudget")
        .set({ uses: JSON.stringify(uses), updatedAt: at })
        .where("key", "=", key)
        .execute();
    }
    // The oldest use within the window leaves it at oldest + windowMs.
    const retryAt =
      granted < wanted && uses.length >= rule.limit ? uses[uses.length - rule.limit]! + rule.windowMs : null;
    return { granted, retryAt, now: at };
  });
}

/** Sends taken from a budget within the last window (for status pages and tests). */
export async function budgetInUse(db: Database, key: string, windowMs: number): Promise<number> {
  const row = await db.kysely
    .selectFrom("RateBudget")
    .select(["uses", sql<number>`${nowMs(db.engine)}`.as("now")])
    .where("key", "=", key)
    .executeTakeFirst();
  if (!row) return 0;
  const at = Number(row.now);
  return parseUses(row.uses).filter((t) => t > at - windowMs).length;
}

/**
 * Moves uses of the budget `key`: each `from` (as recorded: the grant's `now` plus the rule's
 * `holdMs`) becomes its `to` (when the send's answer came back, on the database clock). A platform
 * that judges sends on their arrival can see a request at any moment until its answer, so a use
 * that counts from the answer keeps the window exact whatever the network's latency (as the
 * in-process gate does). A `from` no longer in the window is added back at `to`. One short
 * transaction.
 */
export async function settleBudgetUses(
  db: Database,
  key: string,
  moves: readonly { from: number; to: number }[],
  rule: BudgetRule,
): Promise<void> {
  if (!moves.length) return;
  await db.transaction(async () => {
    const trx = db.kysely;
    let read = trx
      .selectFrom("RateBudget")
      .select(["uses", sql<number>`${nowMs(db.engine)}`.as("now")])
      .where("key", "=", key);
    if (db.engine === "postgresql") read = read.forUpdate();
    const row = await read.executeTakeFirst();
    if (!row) return;
    const since = Number(row.now) - rule.windowMs;
    const uses = parseUses(row.uses).filter((t) => t > since);
    for (const { from, to } of moves) {
      const i = uses.indexOf(from);
      if (i >= 0) uses.splice(i, 1);
      if (to > since) uses.push(to);
    }
    uses.sort((a, b) => a - b);
    await trx
      .updateTable("RateBudget")
      .set({ uses: JSON.stringify(uses), updatedAt: Number(row.now) })
      .where("key", "=", key)
      .execute();
  });
}
