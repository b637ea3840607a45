-- DropIndex
DROP INDEX "Ticket_status_dueAt_idx";

-- CreateIndex
CREATE INDEX "Ticket_status_dueAt_unitId_idx" ON "Ticket"("status", "dueAt", "unitId");
