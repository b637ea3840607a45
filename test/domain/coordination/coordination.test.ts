/** Leases and shared budgets on the run's engine (SQLite, or PostgreSQL with TEST_DATABASE_URL). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { acquireLease, listLeases, releaseLease, LeaseKeeper } from "../../../src/domain/coordination/lease.ts";
import { budgetInUse, takeFromBudget } from "../../../src/domain/coordination/rate-budget.ts";
import { untilDatabaseTime, untilRenewedPastExpiry } from "../../helpers/lease.ts";
import { until } from "../../helpers/processes.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});

describe("leases", () => {
  it("give a lease to one holder until it expires or is released", async () => {
    expect(await acquireLease(db, "bot:1", "a", 2000)).toBe(true);
    expect(await acquireLease(db, "bot:1", "b", 2000)).toBe(false);
    expect(await acquireLease(db, "bot:1", "a", 2000)).toBe(true); // renewal
    const [lease] = await listLeases(db, "bot:");
    expect(lease).toMatchObject({ name: "bot:1", holder: "a" });
    expect(lease!.expiresAt - lease!.renewedAt).toBe(2000);
    await untilDatabaseTime(db, lease!.expiresAt); // expiry is by the database's clock
    expect(await acquireLease(db, "bot:1", "b", 2000)).toBe(true); // a's lease expired
    expect(await acquireLease(db, "bot:1", "a", 2000)).toBe(false);
    await releaseLease(db, "bot:1", "a"); // not a's to release
    expect(await acquireLease(db, "bot:1", "a", 2000)).toBe(false);
    await releaseLease(db, "bot:1", "b");
    expect(await acquireLease(db, "bot:1", "a", 2000)).toBe(true);
    expect(await acquireLease(db, "bot:2", "b", 2000)).toBe(true); // leases are independent
  });

  it("a keeper holds, renews, and hands over on stop", async () => {
    const events: string[] = [];
    const one = new LeaseKeeper(db, "zalo:9", {
      ttlMs: 1500,
      holder: "one",
      onAcquired: () => events.push("one+"),
      onLost: () => events.push("one-"),
    });
    const two = new LeaseKeeper(db, "zalo:9", {
      ttlMs: 1500,
      holder: "two",
      onAcquired: () => events.push("two+"),
      onLost: () => events.push("two-"),
    });
    await one.start();
    await two.start();
    expect([one.held, two.held]).toEqual([true, false]);
    // Past the first ttl (by the database's clock): renewals kept it with one, never taken by two.
    const { before, after } = await untilRenewedPastExpiry(db, "zalo:9");
    expect(after).toMatchObject({ holder: "one", acquiredAt: before.acquiredAt });
    expect([one.held, two.held]).toEqual([true, false]);
    await one.stop();
    expect(one.held).toBe(false);
    await until(() => two.held, "two to take the lease", 5000);
    expect(two.held).toBe(true);
    await two.stop();
    expect(events).toEqual(["one+", "one-", "two+", "two-"]);
  });
});

describe("shared send budget", () => {
  it("grants up to the limit per sliding window and says when to retry", async () => {
    const rule = { limit: 5, windowMs: 3000 };
    const a = await takeFromBudget(db, "tg:1", 3, rule);
    expect(a).toMatchObject({ granted: 3, retryAt: null });
    const b = await takeFromBudget(db, "tg:1", 3, rule);
    expect(b.granted).toBe(2);
    expect(b.retryAt).not.toBeNull();
    expect(b.retryAt! - a.now).toBeLessThanOrEqual(rule.windowMs);
    expect(b.retryAt! - a.now).toBeGreaterThan(0);
    expect((await takeFromBudget(db, "tg:1", 1, rule)).granted).toBe(0);
    expect(await budgetInUse(db, "tg:1", rule.windowMs)).toBe(5);
    expect((await takeFromBudget(db, "tg:2", 5, rule)).granted).toBe(5); // another bot, its own budget
    await untilDatabaseTime(db, b.now + rule.windowMs); // b's uses leave the window (database clock)
    expect((await takeFromBudget(db, "tg:1", 9, rule)).granted).toBe(5);
  });

  it("never grants more than the limit to concurrent callers", async () => {
    const rule = { limit: 10, windowMs: 60_000 };
    const grants = await Promise.all(Array.from({ length: 12 }, () => takeFromBudget(db, "tg:3", 2, rule)));
    expect(grants.reduce((n, g) => n + g.granted, 0)).toBe(10);
  });

  it("refuses nonsense requests", async () => {
    await expect(takeFromBudget(db, "tg:4", -1, { limit: 1, windowMs: 1 })).rejects.toThrow();
    await expect(takeFromBudget(db, "tg:4", 1, { limit: 0, windowMs: 1 })).rejects.toThrow();
  });
});
