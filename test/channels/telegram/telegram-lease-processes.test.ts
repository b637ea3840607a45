/**
 * PostgreSQL only (skipped without TEST_DATABASE_URL): three real processes run the Telegram
 * channel of one bot on one database against the fake Bot API. Exactly one long-polls; when it is
 * killed with SIGKILL another takes over within the lease's ttl + interval (the promise: within a
 * minute), and the messages keep arriving.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testPostgresUrl, type TestDatabase } from "../../helpers/test-db.ts";
import { Processes, until } from "../../helpers/processes.ts";
import { startFakeTelegram } from "../../helpers/telegram.ts";
import { untilRenewedPastExpiry } from "../../helpers/lease.ts";
import type { FakeTelegramServer } from "../../fakes/telegram-server.ts";

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "../../helpers/telegram-poll-child.ts");

interface Line {
  pid: number;
  t: number;
  event: string;
  text?: string;
  eventId?: string;
}

const processes = new Processes();
let db: TestDatabase | undefined;
let fake: FakeTelegramServer | undefined;

const start = (args: string[]) => processes.start<Line>(child, args);

beforeAll(async () => {
  if (!testPostgresUrl) return;
  db = await createTestDatabase({ engine: "postgresql" }); // migrated once, before the processes start
  fake = await startFakeTelegram();
});
afterEach(() => processes.killAll());
afterAll(async () => {
  await fake?.stop();
  await db?.destroy();
});

describe.skipIf(!testPostgresUrl)("Telegram polling, three processes on one PostgreSQL", () => {
  it("should have exactly one process poll the bot, and another take over within a minute of its kill -9", async () => {
    const ttl = 3000;
    const procs = [0, 1, 2].map(() =>
      start([db!.url, fake!.apiRoot, fake!.token, JSON.stringify(fake!.botInfo), String(ttl)]),
    );
    const all = () => procs.flatMap((p) => p.lines);
    await until(() => procs.every((p) => p.lines.some((l) => l.event === "ready")), "all three processes to start");
    await until(() => all().some((l) => l.event === "polling"), "a first poller");
    // Past the first ttl (by the database's clock): renewals kept it with the first poller.
    const { before, after } = await untilRenewedPastExpiry(db!, `telegram:poll:${fake!.botInfo.id}`);
    expect(after).toMatchObject({ holder: before.holder, acquiredAt: before.acquiredAt });
    const pollers = new Set(
      all()
        .filter((l) => l.event === "polling")
        .map((l) => l.pid),
    );
    expect(pollers.size).toBe(1);
    const firstPid = [...pollers][0]!;
    const first = procs.find((p) => p.proc.pid === firstPid)!;

    fake!.userSendsText({ id: 701, first_name: "An" }, "một");
    await until(() => all().some((l) => l.event === "update" && l.text === "một"), "the first message");
    expect(
      all()
        .filter((l) => l.event === "update" && l.text === "một")
        .map((l) => l.pid),
    ).toEqual([firstPid]);

    const killedAt = Date.now();
    await processes.stop(first, "SIGKILL");
    await until(
      () => all().some((l) => l.event === "polling" && l.pid !== firstPid),
      "another process to poll",
      60_000,
    );
    const takeover = all().find((l) => l.event === "polling" && l.pid !== firstPid)!;
    expect(takeover.t - killedAt).toBeLessThan(60_000);

    fake!.userSendsText({ id: 701, first_name: "An" }, "hai");
    await until(() => all().some((l) => l.event === "update" && l.text === "hai"), "the second message");
    // Kept: a second copy would reach us on another child's stdout, read asynchronously; a copy that
    // was never received leaves nothing to wait on.
    await new Promise((r) => setTimeout(r, 500));
    // Received once, by the process that polls now.
    expect(
      all()
        .filter((l) => l.event === "update" && l.text === "hai")
        .map((l) => l.pid),
    ).toEqual([takeover.pid]);

    // Never two pollers at once: once another process polls, the one before never polls again.
    const polls = all()
      .filter((l) => l.event === "polling")
      .sort((a, b) => a.t - b.t);
    for (let i = 1; i < polls.length; i++)
      if (polls[i]!.pid !== polls[i - 1]!.pid)
        expect(polls.slice(i).some((p) => p.pid === polls[i - 1]!.pid)).toBe(false);
    expect(new Set(polls.map((p) => p.pid)).size).toBe(2);
  }, 120_000);
});
