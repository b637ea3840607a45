/** Waiting on leases and budgets by the database's clock, the clock their expiries are measured by. */
import type { Database } from "../../src/storage/database.ts";
import { nowMs } from "../../src/storage/dialect.ts";
import { listLeases, type LeaseInfo } from "../../src/domain/coordination/lease.ts";
import { until } from "./processes.ts";

/** The database's clock (epoch ms), as leases and send budgets read it. */
export async function databaseNow(db: Database): Promise<number> {
  const row = await db.kysely.selectNoFrom(nowMs(db.engine).as("now")).executeTakeFirstOrThrow();
  return Number(row.now);
}

/** Waits until the database's clock has passed `epochMs` (a lease's expiry, a budget window's end). */
export async function untilDatabaseTime(db: Database, epochMs: number, limitMs = 30_000): Promise<void> {
  await until(async () => (await databaseNow(db)) > epochMs, `the database clock to pass ${epochMs}`, limitMs);
}

async function lease(db: Database, name: string): Promise<LeaseInfo | undefined> {
  return (await listLeases(db, name)).find((l) => l.name === name);
}

/**
 * Waits until the lease `name` has been renewed after the expiry it had when this was called: its
 * first ttl has run out by the database's clock and renewals carried it over. Returns the lease as
 * it was and as it is, so a test can check it stayed with one holder all along (same holder, same
 * acquiredAt: taken once), instead of sleeping past the ttl by the test's own clock.
 */
export async function untilRenewedPastExpiry(
  db: Database,
  name: string,
  limitMs = 30_000,
): Promise<{ before: LeaseInfo; after: LeaseInfo }> {
  const before = await lease(db, name);
  if (!before) throw new Error(`no lease ${name}`);
  let after: LeaseInfo | undefined;
  await until(
    async () => {
      after = await lease(db, name);
      return !after || after.holder !== before.holder || after.renewedAt > before.expiresAt;
    },
    `the lease ${name} renewed past its expiry`,
    limitMs,
  );
  if (!after) throw new Error(`the lease ${name} was given up`);
  return { before, after };
}
