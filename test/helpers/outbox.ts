/** The outbox as a test waits on it. */
import { sql, type ExpressionBuilder } from "kysely";
import type { DB } from "../../src/generated/kysely/types.ts";
import type { Database } from "../../src/storage/database.ts";

/**
 * Deliveries queued or in flight. Once a message has been handled its replies are queued, so when
 * this reaches 0 after it, everything that message could cause has been sent: the moment to assert
 * that nothing more was sent, instead of sleeping.
 */
export async function outstandingDeliveries(db: Database): Promise<number> {
  const row = await db.kysely
    .selectFrom("Outbox")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("status", "in", ["pending", "sending"])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * A row's body as its column `body`, for `.select`: its own, or the one its broadcast's copies
 * share (OutboxBody).
 */
export function storedBody(eb: ExpressionBuilder<DB, "Outbox">) {
  return sql<string>`COALESCE(${eb.ref("Outbox.body")}, (${eb
    .selectFrom("OutboxBody as shared")
    .select("shared.body")
    .whereRef("shared.id", "=", "Outbox.bodyId")}))`.as("body");
}
