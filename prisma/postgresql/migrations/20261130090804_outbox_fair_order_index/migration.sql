-- DropIndex
DROP INDEX "Outbox_entityType_entityId_idx";

-- CreateIndex
CREATE INDEX "Outbox_entityType_entityId_id_idx" ON "Outbox"("entityType", "entityId", "id");

-- The fair-order trigger looked up the first pending row of the entity with `"entityId" IS NOT
-- DISTINCT FROM …`, which no index serves: every row of a broadcast scanned the whole outbox
-- (queueing a directive for 100,000 members did not finish in minutes). Same result, with `=`
-- (or IS NULL) on the index above, whose id column gives the first row at once (ORDER BY id LIMIT
-- 1: planned while the outbox looked empty, MIN() read every row of the entity). The function
-- keeps off sequential scans for the same reason: its plan is made once per session, often while
-- the outbox is empty, and a broadcast's rows then each scanned all the rows before them.
CREATE OR REPLACE FUNCTION "Outbox_fair_order"() RETURNS trigger LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
  first_id INTEGER;
BEGIN
  IF NEW."ord" IS NULL THEN
    IF NEW."entityType" IS NULL OR NEW."priority" = 0 THEN
      NEW."ord" := NEW."notBefore";
    ELSE
      IF NEW."entityId" IS NULL THEN
        SELECT "id" INTO first_id FROM "Outbox"
        WHERE "entityType" = NEW."entityType" AND "entityId" IS NULL
          AND "status" = 'pending' AND "priority" = NEW."priority"
        ORDER BY "id" LIMIT 1;
      ELSE
        SELECT "id" INTO first_id FROM "Outbox"
        WHERE "entityType" = NEW."entityType" AND "entityId" = NEW."entityId"
          AND "status" = 'pending' AND "priority" = NEW."priority"
        ORDER BY "id" LIMIT 1;
      END IF;
      NEW."ord" := NEW."notBefore" + 34 * (NEW."id" - COALESCE(first_id, NEW."id"));
    END IF;
  END IF;
  RETURN NEW;
END $$;
