-- DropIndex
DROP INDEX "Outbox_entityType_entityId_idx";

-- CreateIndex
CREATE INDEX "Outbox_entityType_entityId_id_idx" ON "Outbox"("entityType", "entityId", "id");
