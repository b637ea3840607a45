/**
 * Three real service processes on one PostgreSQL database deliver a 3,000-message broadcast
 * through the local fake Bot API, one of them killed with SIGKILL midway: every member gets the
 * message (at most the requests in flight at the kill twice), and no 1,000 ms window holds more
 * than 30 arrivals, all processes together (the shared send budget). PostgreSQL only (skipped
 * without TEST_DATABASE_URL): several processes on one SQLite file is not a supported set-up.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testPostgresUrl, type TestDatabase } from "../helpers/test-db.ts";
import { Processes, until } from "../helpers/processes.ts";
import { startFakeTelegram } from "../helpers/telegram.ts";
import type { FakeTelegramServer } from "../fakes/telegram-server.ts";
import { enqueueMany, outboxCounts, priorities } from "../../src/domain/deliveries/outbox-service.ts";

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "../helpers/delivery-child.ts");

interface Line {
  pid: number;
  t: number;
  event: string;
  sent?: number;
  worker?: string;
}

let db: TestDatabase | undefined;
let fake: FakeTelegramServer | undefined;
const processes = new Processes();

afterEach(async () => {
  await processes.killAll();
  await fake?.stop();
  fake = undefined;
  await db?.destroy();
  db = undefined;
});

const start = (args: string[]) => processes.start<Line>(child, args);

/** The largest number of arrival times inside any window of `windowMs` (half-open, as the fake counts). */
function busiestWindow(times: number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j]! - t[i]! >= windowMs) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe.skipIf(!testPostgresUrl)("a broadcast by three processes on one PostgreSQL database", () => {
  it("should reach every member once within 30 sends a second together, losing nothing when one process is killed", async () => {
    db = await createTestDatabase({ engine: "postgresql" });
    // The fake refuses nothing: every arrival is counted, so an excess shows in the windows.
    fake = await startFakeTelegram({ latencyMs: 10, arrivalJitterMs: 5 });
    const members = 3000;
    await enqueueMany(
      db,
      Array.from({ length: members }, (_, i) => ({
        platform: "telegram",
        chatId: String(100_000 + i),
        priority: priorities.broadcast,
        body: { text: `văn bản ${i}` },
        entityType: "Directive",
        entityId: 1,
      })),
    );
    const args = [db.url, fake.apiRoot, fake.token, JSON.stringify(fake.botInfo)];
    const children = [start(args), start(args), start(args)];
    await until(
      () => children.every((c) => c.lines.some((l) => l.event === "ready")),
      "three processes ready",
      60_000,
      100,
    );

    // Kill one process in the middle of the broadcast, while it has requests in flight.
    await until(() => fake!.sentCount() >= members / 3, "a third of the broadcast", 120_000, 100);
    const victim = children[1]!;
    const killedAt = performance.timeOrigin + performance.now();
    victim.proc.kill("SIGKILL");
    await victim.exited;
    const sentAtKill = fake.sentCount();

    await until(
      () => new Set(fake!.sent().map((s) => String(s.chat_id))).size >= members,
      "every member served",
      240_000,
      100,
    );
    await until(async () => (await outboxCounts(db!, "telegram")).sent === members, "every row recorded", 30_000, 100);
    for (const c of [children[0]!, children[2]!]) await processes.stop(c);

    const perChat = new Map<string, number>();
    for (const s of fake.sent()) perChat.set(String(s.chat_id), (perChat.get(String(s.chat_id)) ?? 0) + 1);
    const twice = [...perChat.values()].filter((n) => n > 1).length;
    expect(perChat.size).toBe(members);
    expect(Math.max(...perChat.values())).toBeLessThanOrEqual(2);
    // Only what the killed process had in flight can go twice: at most its concurrency.
    expect(twice).toBeLessThanOrEqual(40);
    expect(fake.sentCount()).toBe(members + twice);
    expect(await outboxCounts(db, "telegram")).toEqual({ sent: members });
    const arrivals = fake.sent().map((s) => s.at);
    const busiest = busiestWindow(arrivals, 1000);
    if (busiest > 30) {
      // Where: the start of each overfull window, against the kill (fake's clock, ms).
      const t = [...arrivals].sort((a, b) => a - b);
      const over: number[] = [];
      for (let i = 0, j = 0; j < t.length; j++) {
        while (t[j]! - t[i]! >= 1000) i++;
        if (j - i + 1 > 30) over.push(Math.round(t[i]! - killedAt));
      }
      console.log(`overfull windows start at (ms after the kill): ${over.slice(0, 20).join(", ")}`);
    }
    expect(busiest, "busiest second").toBeLessThanOrEqual(30);
    // All three took part, and the two survivors finished what the killed one left.
    const owners = await db.kysely.selectFrom("Outbox").select("claimedBy").distinct().execute();
    expect(owners.length).toBe(3);
    expect(sentAtKill).toBeLessThan(members);
    // The killed process held claimed rows (waiting for their moment): the survivors took them
    // back and sent them (a second claim, so a second attempt counted).
    const takenBack = (await db.kysely.selectFrom("Outbox").select("id").where("attempts", ">=", 2).execute()).length;
    expect(takenBack).toBeGreaterThan(0);
    const first = fake.sent()[0]!.at;
    const last = fake.sent().at(-1)!.at;
    console.log(
      `3 processes, ${members} members: ${fake.sentCount()} sends (${twice} twice after the kill, ${takenBack} taken back from it) in ${((last - first) / 1000).toFixed(1)} s, ` +
        `${(fake.sentCount() / ((last - first) / 1000 + 1)).toFixed(2)}/s, busiest second ${busiestWindow(
          fake.sent().map((s) => s.at),
          1000,
        )}`,
    );
  }, 360_000);
});
