-- Issue 10: fair order of the outbox, how long a message is worth sending, platform health, and
-- one heartbeat row per delivery worker (dead owners' rows are recovered without waiting out the lease).

-- Fair order: a broadcast's rows are spaced in virtual time (about 30 a second) from when they were
-- queued, so broadcasts queued at about the same time interleave instead of queueing one behind the other.
ALTER TABLE "Outbox" ADD COLUMN "ord" BIGINT;
-- After this time the message is no longer worth sending (a reminder once its meeting has started).
ALTER TABLE "Outbox" ADD COLUMN "expiresAt" BIGINT;
CREATE INDEX "Outbox_status_platform_priority_ord_idx" ON "Outbox"("status", "platform", "priority", "ord");

CREATE TRIGGER "Outbox_fair_order" AFTER INSERT ON "Outbox"
WHEN NEW."ord" IS NULL
BEGIN
  UPDATE "Outbox" SET "ord" = NEW."notBefore" + CASE
      WHEN NEW."entityType" IS NULL OR NEW."priority" = 0 THEN 0
      ELSE 34 * (NEW."id" - COALESCE((SELECT MIN("id") FROM "Outbox" WHERE "entityType" = NEW."entityType" AND "entityId" IS NEW."entityId" AND "status" = 'pending' AND "priority" = NEW."priority"), NEW."id"))
    END
  WHERE "id" = NEW."id";
END;

CREATE TABLE "DeliveryWorker" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "startedAt" BIGINT NOT NULL,
    "heartbeatAt" BIGINT NOT NULL,
    "stoppedAt" BIGINT
);

CREATE TABLE "PlatformHealth" (
    "platform" TEXT NOT NULL PRIMARY KEY,
    -- up | down
    "state" TEXT NOT NULL,
    "downSince" BIGINT,
    "lastError" TEXT,
    "downNotifiedAt" BIGINT,
    "updatedAt" BIGINT NOT NULL
);
