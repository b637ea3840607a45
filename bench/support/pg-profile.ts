/**
 * PG_PROFILE=1: counts and times every statement the pg driver runs in this process, by text, and
 * prints the costliest on exit (stderr). For finding round trips in a benchmark on PostgreSQL.
 */
import pg from "pg";

const profile = new Map<string, { n: number; ms: number }>();

export function startPgProfile(): void {
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  // biome-ignore lint/suspicious/noExplicitAny: patching the driver for the profile
  (pg.Client.prototype as any).query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === "string" ? args[0] : String((args[0] as { text?: string })?.text);
    const started = performance.now();
    const p = query.apply(this, args);
    const done = () => {
      const e = profile.get(text) ?? { n: 0, ms: 0 };
      e.n++;
      e.ms += performance.now() - started;
      profile.set(text, e);
    };
    if (p && typeof (p as Promise<unknown>).then === "function") (p as Promise<unknown>).then(done, done);
    return p;
  };
}

/** Forgets what was counted so far, so that the lines cover one phase of a figure. */
export function resetPgProfile(): void {
  profile.clear();
}

export function pgProfileLines(top = 12): string[] {
  return [...profile.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([q, e]) => `${e.n}× ${e.ms.toFixed(0)} ms ${q.replace(/\s+/g, " ").slice(0, 200)}`);
}
