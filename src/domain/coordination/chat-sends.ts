/**
 * Recent sends to each chat, shared by every process on one database, so that the platforms'
 * per-chat limits (Telegram: one message a second to a chat, 20 a minute to a group; the Zalo
 * account's spacing) hold whichever process sent before. A chat's entry holds the times (epoch ms,
 * the sending process's clock) at which the answers to its latest sends came back: the last one,
 * and for a group those of the last minute. Stored in the RateBudget table under
 * "chat:<platform>:<chatId>".
 *
 * No lock is needed: one process at a time sends to a chat (the outbox claim never takes a chat's
 * row while another of its rows is being sent), it writes the times in the transaction that marks
 * the row sent, and the next process to send to the chat reads them after its own claim.
 */
import { z } from "zod";
import type { Database } from "../../storage/database.ts";
import { sql } from "kysely";
import { inList, keyPrefix, listParam } from "../../storage/dialect.ts";

const prefix = (platform: string) => `chat:${platform}:`;
const chatKey = (platform: string, chatId: string) => `${prefix(platform)}${chatId}`;

const timesSchema = z.array(z.number());

function parseTimes(text: string): number[] {
  try {
    const parsed = timesSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** The recorded send times of each of these chats that has any (chat id → times, ascending). */
export async function chatSends(
  db: Database,
  platform: string,
  chatIds: readonly string[],
): Promise<Map<string, number[]>> {
  const result = new Map<string, number[]>();
  if (!chatIds.length) return result;
  const keys = [...new Set(chatIds)].map((id) => chatKey(platform, id));
  const rows = await db.kysely
    .selectFrom("RateBudget")
    .select(["key", "uses"])
    .where((eb) => inList(db.engine, eb.ref("key"), listParam(db.engine, keys), "text"))
    .execute();
  const start = prefix(platform).length;
  for (const row of rows) {
    const times = parseTimes(row.uses).sort((a, b) => a - b);
    if (times.length) result.set(row.key.slice(start), times);
  }
  return result;
}

export interface ChatSendRecord {
  chatId: string;
  /** Answer times of the sends just made (epoch ms). */
  times: readonly number[];
  /** Times older than this before the latest are forgotten (0: only the latest is kept). */
  windowMs: number;
}

/**
 * Adds sends to the chats' entries (one upsert for all of them, after one read of the groups'
 * entries when there are groups among them). Call inside the
 * transaction that marks the rows sent (or failed), so that the times are there before another
 * process can claim the chat's next row.
 */
export async function addChatSends(db: Database, platform: string, sends: readonly ChatSendRecord[]): Promise<void> {
  const byChat = new Map<string, { times: number[]; windowMs: number }>();
  for (const s of sends) {
    if (!s.times.length) continue;
    const entry = byChat.get(s.chatId) ?? { times: [], windowMs: 0 };
    entry.times.push(...s.times);
    entry.windowMs = Math.max(entry.windowMs, s.windowMs);
    byChat.set(s.chatId, entry);
  }
  if (!byChat.size) return;
  // Only a window longer than one send (a group's minute) needs the times already there: a private
  // chat keeps its latest send, which is this one (one process at a time sends to a chat).
  const known = await chatSends(
    db,
    platform,
    [...byChat].filter(([, e]) => e.windowMs > 0).map(([chatId]) => chatId),
  );
  // In key order: two processes writing overlapping chats lock their rows in the same order.
  const values = [...byChat]
    .map(([chatId, { times, windowMs }]) => {
      const all = [...new Set([...(known.get(chatId) ?? []), ...times])].sort((a, b) => a - b);
      const latest = all.at(-1)!;
      const kept = all.filter((t) => t >= latest - windowMs);
      return { key: chatKey(platform, chatId), uses: JSON.stringify(kept), updatedAt: Math.ceil(latest) };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  await db.kysely
    .insertInto("RateBudget")
    .values(values)
    .onConflict((oc) =>
      oc
        .column("key")
        .doUpdateSet((eb) => ({ uses: eb.ref("excluded.uses"), updatedAt: eb.ref("excluded.updatedAt") })),
    )
    .execute();
}

/** Forgets the entries of a platform's chats last sent to before `before` (epoch ms). Returns how many. */
export async function forgetChatSends(db: Database, platform: string, before: number): Promise<number> {
  const r = await db.kysely
    .deleteFrom("RateBudget")
    .where(keyPrefix(db.engine, sql.ref("key"), prefix(platform)))
    .where("updatedAt", "<", before)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
