/**
 * PostgreSQL only (skipped without TEST_DATABASE_URL, as the other multi-process tests): three
 * real delivery processes on one database keep each chat's own limits together, not each on its
 * own: never two messages to one private chat within a second, never more than the group's cap
 * in a minute, whichever process sends. The fake Bot API refuses nothing and records each arrival,
 * so an excess shows in the arrival times.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, testPostgresUrl, type TestDatabase } from "../helpers/test-db.ts";
import { Processes, until, type ChildLine } from "../helpers/processes.ts";
import { startFakeTelegram } from "../helpers/telegram.ts";
import type { FakeTelegramServer } from "../fakes/telegram-server.ts";
import { enqueueMany, priorities, type OutboxItem } from "../../src/domain/deliveries/outbox-service.ts";

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "../helpers/delivery-child.ts");

const processes = new Processes();
let db: TestDatabase | undefined;
let fake: FakeTelegramServer | undefined;

afterEach(async () => {
  await processes.killAll();
  await fake?.stop();
  fake = undefined;
  await db?.destroy();
  db = undefined;
});

describe.skipIf(!testPostgresUrl)("per-chat limits kept by three processes on one PostgreSQL", () => {
  it("should space the messages to each chat and cap each group's minute across the processes", async () => {
    db = await createTestDatabase({ engine: "postgresql" });
    fake = await startFakeTelegram({ latencyMs: 10 });
    const chats = 12;
    const perChat = 4;
    const group = "-100777";
    const groupMessages = 10;
    const groupPerMinute = 5;
    // Replies to a few chats, several each (a conversation), and a group's announcements.
    const items: OutboxItem[] = [];
    for (let n = 0; n < perChat; n++)
      for (let c = 0; c < chats; c++)
        items.push({
          platform: "telegram",
          chatId: String(600_000 + c),
          priority: priorities.reply,
          body: { text: `${c}.${n}` },
        });
    for (let n = 0; n < groupMessages; n++)
      items.push({ platform: "telegram", chatId: group, chatType: "group", body: { text: `nhóm ${n}` } });
    await enqueueMany(db, items);

    const limits = { perSecond: 30, chatIntervalMs: 1000, groupPerMinute };
    const args = [db.url, fake.apiRoot, fake.token, JSON.stringify(fake.botInfo), JSON.stringify(limits)];
    const children = [0, 1, 2].map(() => processes.start<ChildLine>(child, args));
    await until(() => children.every((c) => c.lines.some((l) => l.event === "ready")), "three processes ready", 60_000);

    const arrivals = (chatId: string) =>
      fake!
        .sent()
        .filter((s) => String(s.chat_id) === chatId)
        .map((s) => s.at)
        .sort((a, b) => a - b);
    await until(
      () => fake!.sentCount() >= chats * perChat + groupPerMinute,
      "every private message and a group's minute",
      60_000,
      50,
    );
    // Longer than it takes to send the rest were the group's cap per process.
    await new Promise((r) => setTimeout(r, 5000));
    for (const c of children) await processes.stop(c);

    let closest = Number.POSITIVE_INFINITY;
    for (let c = 0; c < chats; c++) {
      const times = arrivals(String(600_000 + c));
      expect(times).toHaveLength(perChat);
      for (let i = 1; i < times.length; i++) closest = Math.min(closest, times[i]! - times[i - 1]!);
    }
    // A second between two messages to one chat (less a few milliseconds: the processes' clocks).
    expect(closest, "closest two messages to one chat (ms)").toBeGreaterThanOrEqual(995);
    const groupTimes = arrivals(group);
    expect(groupTimes, "group messages within its first minute").toHaveLength(groupPerMinute);

    // The case at hand happened: chats whose messages several processes sent.
    const owners = await db.kysely
      .selectFrom("Outbox")
      .select(["chatId", "claimedBy"])
      .where("status", "=", "sent")
      .execute();
    const byChat = new Map<string, Set<string | null>>();
    for (const o of owners) byChat.set(o.chatId, (byChat.get(o.chatId) ?? new Set()).add(o.claimedBy));
    const shared = [...byChat.values()].filter((s) => s.size > 1).length;
    expect(shared, "chats served by more than one process").toBeGreaterThan(0);
    console.log(
      `${chats} chats × ${perChat} and a group: closest two to one chat ${closest.toFixed(1)} ms, ` +
        `${shared} chats served by several processes, group ${groupTimes.length} in its first minute`,
    );
  }, 120_000);
});
