/** LeasedWork on the run's engine (SQLite, or PostgreSQL with TEST_DATABASE_URL). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../helpers/test-db.ts";
import { LeasedWork } from "../../../src/domain/coordination/leased-work.ts";
import { listLeases } from "../../../src/domain/coordination/lease.ts";
import { untilRenewedPastExpiry } from "../../helpers/lease.ts";
import { until } from "../../helpers/processes.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.destroy();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("LeasedWork", () => {
  it("should run the work in one holder at a time, end it before the next begins, and hand over on stop", async () => {
    const log: string[] = [];
    let running = 0;
    let overlap = false;
    const work = (name: string) =>
      new LeasedWork(db, "work:test", {
        ttlMs: 2000,
        intervalMs: 200,
        holder: name,
        begin: async () => {
          running++;
          if (running > 1) overlap = true;
          log.push(`${name}+`);
        },
        end: async () => {
          await sleep(30); // ending takes a while: the next holder must not begin meanwhile
          running--;
          log.push(`${name}-`);
        },
      });
    const a = work("a");
    const b = work("b");
    await a.start();
    await b.start();
    expect([a.running, b.running]).toEqual([true, false]);
    // Past the first ttl (by the database's clock): renewals kept it with a, never taken by b.
    const { before, after } = await untilRenewedPastExpiry(db, "work:test");
    expect(after).toMatchObject({ holder: "a", acquiredAt: before.acquiredAt });
    expect([a.running, b.running]).toEqual([true, false]);
    await a.stop();
    expect(a.running).toBe(false);
    await until(() => b.running, "b to begin", 5000);
    expect(b.running).toBe(true);
    expect((await listLeases(db, "work:"))[0]?.holder).toBe("b");
    await b.stop();
    expect(await listLeases(db, "work:")).toEqual([]);
    expect(log).toEqual(["a+", "a-", "b+", "b-"]);
    expect(overlap).toBe(false);
  });

  it("should end nothing and begin nothing for a process that never held the lease", async () => {
    const log: string[] = [];
    const holder = new LeasedWork(db, "work:other", {
      ttlMs: 2000,
      intervalMs: 200,
      begin: () => void log.push("h+"),
      end: () => void log.push("h-"),
    });
    const waiting = new LeasedWork(db, "work:other", {
      ttlMs: 2000,
      intervalMs: 200,
      begin: () => void log.push("w+"),
      end: () => void log.push("w-"),
    });
    await holder.start();
    await waiting.start();
    await waiting.stop();
    await holder.stop();
    expect(log).toEqual(["h+", "h-"]);
  });

  it("should report an error of begin and keep holding", async () => {
    const errors: unknown[] = [];
    const work = new LeasedWork(db, "work:failing", {
      ttlMs: 2000,
      intervalMs: 200,
      begin: () => {
        throw new Error("no network");
      },
      end: () => undefined,
      onError: (error) => errors.push(error),
    });
    await work.start();
    expect(work.keeper.held).toBe(true);
    expect(errors.map(String)).toEqual(["Error: no network"]);
    await work.stop();
  });
});
