-- AlterTable
ALTER TABLE "Outbox" ADD COLUMN     "expiresAt" BIGINT,
ADD COLUMN     "ord" BIGINT;

-- CreateTable
CREATE TABLE "DeliveryWorker" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "startedAt" BIGINT NOT NULL,
    "heartbeatAt" BIGINT NOT NULL,
    "stoppedAt" BIGINT,

    CONSTRAINT "DeliveryWorker_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PlatformHealth" (
    "platform" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "downSince" BIGINT,
    "lastError" TEXT,
    "downNotifiedAt" BIGINT,
    "updatedAt" BIGINT NOT NULL,

    CONSTRAINT "PlatformHealth_pkey" PRIMARY KEY ("platform")
);

-- CreateIndex
CREATE INDEX "Outbox_status_platform_priority_ord_idx" ON "Outbox"("status", "platform", "priority", "ord");

-- Fair order (PostgreSQL form of the SQLite trigger of the same migration): a broadcast's rows are
-- spaced in virtual time (about 30 a second) from when they were queued, so broadcasts queued at about
-- the same time interleave. A BEFORE trigger sets the column on the row being inserted; its id is
-- already drawn from the sequence, and the row itself is not yet visible to MIN(), as in SQLite
-- where it is the largest id of its broadcast.
CREATE FUNCTION "Outbox_fair_order"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW."ord" IS NULL THEN
    NEW."ord" := NEW."notBefore" + CASE
      WHEN NEW."entityType" IS NULL OR NEW."priority" = 0 THEN 0
      ELSE 34 * (NEW."id" - COALESCE((SELECT MIN("id") FROM "Outbox"
        WHERE "entityType" = NEW."entityType" AND "entityId" IS NOT DISTINCT FROM NEW."entityId"
          AND "status" = 'pending' AND "priority" = NEW."priority"), NEW."id"))
    END;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER "Outbox_fair_order" BEFORE INSERT ON "Outbox"
FOR EACH ROW EXECUTE FUNCTION "Outbox_fair_order"();
