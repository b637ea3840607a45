/**
 * A stand-in service process for the multi-process tests: opens the database (migrating it, as
 * a service does at start-up) and then either keeps a lease or sends from a shared budget,
 * printing one JSON line per event on stdout.
 *
 *   node --import tsx coordination-child.ts <url> lease <name> <ttlMs>
 *   node --import tsx coordination-child.ts <url> budget <key> <limit> <windowMs> <durationMs>
 */
import { openDatabase } from "../../src/storage/database.ts";
import { LeaseKeeper } from "../../src/domain/coordination/lease.ts";
import { takeFromBudget } from "../../src/domain/coordination/rate-budget.ts";

const [url, mode, name, ...rest] = process.argv.slice(2);
const say = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ pid: process.pid, t: Date.now(), ...event })}\n`);

const db = await openDatabase(url!, { poolSize: 3 });
say({ event: "ready" });
if (mode === "lease") {
  const keeper = new LeaseKeeper(db, name!, {
    ttlMs: Number(rest[0]),
    onAcquired: () => say({ event: "acquired" }),
    onLost: () => say({ event: "lost" }),
    onError: (error) => say({ event: "error", message: String(error) }),
  });
  // While it believes it holds the lease, it says so: the test checks no two overlap.
  const beat = setInterval(() => keeper.held && say({ event: "holding" }), 20);
  process.on("SIGTERM", () => {
    clearInterval(beat);
    void keeper
      .stop()
      .then(() => db.close())
      .then(() => process.exit(0));
  });
  await keeper.start();
} else if (mode === "budget") {
  const [limit, windowMs, durationMs] = rest.map(Number) as [number, number, number];
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    const grant = await takeFromBudget(db, name!, 5, { limit, windowMs });
    if (grant.granted) say({ event: "granted", n: grant.granted, at: grant.now });
    else
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min(50, (grant.retryAt ?? grant.now + 10) - grant.now))));
  }
  await db.close();
  say({ event: "done" });
}
