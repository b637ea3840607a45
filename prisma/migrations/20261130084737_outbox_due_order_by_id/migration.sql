-- DropIndex
DROP INDEX "Outbox_status_platform_priority_ord_idx";

-- CreateIndex
CREATE INDEX "Outbox_status_platform_priority_ord_id_idx" ON "Outbox"("status", "platform", "priority", "ord", "id");
