/**
 * The data the personal-Zalo channel and `chihoi zalo status` read and write besides their
 * settings: groups the account is in, its own sent messages, and what is held back (accounts and
 * queued messages waiting out a rate limit). Written on the typed data layer (both engines).
 */
import type { Database } from "../../storage/database.ts";

/** True when an admin allowed the Zalo group with this id (the bot answers there). */
export async function isZaloGroupAllowed(db: Database, groupId: string): Promise<boolean> {
  const row = await db.kysely
    .selectFrom("ChatGroup")
    .select("id")
    .where("platform", "=", "zalo")
    .where("externalId", "=", groupId)
    .where("allowed", "=", true)
    .executeTakeFirst();
  return row !== undefined;
}

/** True when the message `msgId` in chat `chatId` is one this service sent (its own echo). */
export async function isOwnZaloMessage(db: Database, chatId: string, msgId: string): Promise<boolean> {
  const row = await db.kysely
    .selectFrom("MessageLog")
    .select("id")
    .where("platform", "=", "zalo")
    .where("chatId", "=", chatId)
    .where("platformMessageId", "=", msgId)
    .where("direction", "=", "out")
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Notes a Zalo group the account is in, not allowed, so that admins can find and allow it.
 * Returns true when it was new (false when already known, whatever its state).
 */
export async function registerZaloGroup(db: Database, groupId: string, now: Date): Promise<boolean> {
  const row = await db.kysely
    .insertInto("ChatGroup")
    .values({ platform: "zalo", externalId: groupId, allowed: false, createdAt: now.getTime() })
    .onConflict((oc) => oc.columns(["platform", "externalId"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}

/** Gives a noted Zalo group its name, unless it has one already. */
export async function nameZaloGroup(db: Database, groupId: string, title: string): Promise<void> {
  await db.kysely
    .updateTable("ChatGroup")
    .set({ title: title.slice(0, 200) })
    .where("platform", "=", "zalo")
    .where("externalId", "=", groupId)
    .where("title", "is", null)
    .execute();
}

/** Outbox messages for Zalo not yet sent (pending or being sent). */
export async function zaloQueueLength(db: Database): Promise<number> {
  const { n } = await db.kysely
    .selectFrom("Outbox")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("platform", "=", "zalo")
    .where("status", "in", ["pending", "sending"])
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** Zalo accounts waiting out a back-off at `now` (ms), soonest end first. */
export async function backedOffZaloAccounts(
  db: Database,
  now: number,
): Promise<{ externalId: string; backoffUntil: number }[]> {
  const rows = await db.kysely
    .selectFrom("ChatAccount")
    .select(["externalId", "backoffUntil"])
    .where("platform", "=", "zalo")
    .where("backoffUntil", ">", now)
    .orderBy("backoffUntil")
    .execute();
  return rows.flatMap((r) =>
    r.backoffUntil === null ? [] : [{ externalId: r.externalId, backoffUntil: r.backoffUntil }],
  );
}

/** How many Zalo accounts are waiting out a back-off at `now` (ms). */
export async function countBackedOffZaloAccounts(db: Database, now: number): Promise<number> {
  const { n } = await db.kysely
    .selectFrom("ChatAccount")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("platform", "=", "zalo")
    .where("backoffUntil", ">", now)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/**
 * Zalo chats whose pending messages wait after a rate limit (their latest attempt was
 * rate_limited), with the latest time any of them may go; soonest first.
 */
export async function rateLimitedZaloChats(db: Database, now: number): Promise<{ chatId: string; until: number }[]> {
  const rows = await db.kysely
    .selectFrom("Outbox as o")
    .select((eb) => ["o.chatId", eb.fn.max("o.notBefore").as("until")])
    .where("o.platform", "=", "zalo")
    .where("o.status", "=", "pending")
    .where("o.notBefore", ">", now)
    .where((eb) =>
      eb(
        eb
          .selectFrom("DeliveryAttempt as d")
          .select("d.outcome")
          .whereRef("d.outboxId", "=", "o.id")
          .orderBy("d.id", "desc")
          .limit(1),
        "=",
        "rate_limited",
      ),
    )
    .groupBy("o.chatId")
    .orderBy("until")
    .execute();
  return rows.map((r) => ({ chatId: r.chatId, until: Number(r.until) }));
}
