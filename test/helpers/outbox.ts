/** The outbox as a test waits on it. */
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
