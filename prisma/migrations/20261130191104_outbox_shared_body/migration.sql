-- A broadcast's copies share one body (OutboxBody) instead of each holding the same text: a
-- directive to 100,000 members wrote its 1 KB text 90,000 times, about half the time it took.
-- CreateTable
CREATE TABLE "OutboxBody" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "body" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Outbox" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "platform" TEXT NOT NULL,
    "chatAccountId" INTEGER,
    "chatId" TEXT NOT NULL,
    "chatType" TEXT NOT NULL DEFAULT 'private',
    "priority" INTEGER NOT NULL DEFAULT 5,
    "body" TEXT,
    "bodyId" INTEGER,
    "entityType" TEXT,
    "entityId" INTEGER,
    "personId" INTEGER,
    "dedupeKey" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "notBefore" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" DATETIME,
    "claimedBy" TEXT,
    "sentAt" DATETIME,
    "platformMessageId" TEXT,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ord" BIGINT,
    "expiresAt" BIGINT,
    CONSTRAINT "Outbox_bodyId_fkey" FOREIGN KEY ("bodyId") REFERENCES "OutboxBody" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Outbox" ("attempts", "body", "chatAccountId", "chatId", "chatType", "claimedBy", "createdAt", "dedupeKey", "entityId", "entityType", "expiresAt", "id", "lastError", "leaseUntil", "notBefore", "ord", "personId", "platform", "platformMessageId", "priority", "sentAt", "status") SELECT "attempts", "body", "chatAccountId", "chatId", "chatType", "claimedBy", "createdAt", "dedupeKey", "entityId", "entityType", "expiresAt", "id", "lastError", "leaseUntil", "notBefore", "ord", "personId", "platform", "platformMessageId", "priority", "sentAt", "status" FROM "Outbox";
DROP TABLE "Outbox";
ALTER TABLE "new_Outbox" RENAME TO "Outbox";
CREATE UNIQUE INDEX "Outbox_dedupeKey_key" ON "Outbox"("dedupeKey");
CREATE INDEX "Outbox_status_platform_priority_ord_id_idx" ON "Outbox"("status", "platform", "priority", "ord", "id");
CREATE INDEX "Outbox_entityType_entityId_id_idx" ON "Outbox"("entityType", "entityId", "id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- The table was rebuilt, and its trigger with it: the same trigger as before.
CREATE TRIGGER "Outbox_fair_order" AFTER INSERT ON "Outbox"
WHEN NEW."ord" IS NULL
BEGIN
  UPDATE "Outbox" SET "ord" = NEW."notBefore" + CASE
      WHEN NEW."entityType" IS NULL OR NEW."priority" = 0 THEN 0
      ELSE 34 * (NEW."id" - COALESCE((SELECT MIN("id") FROM "Outbox" WHERE "entityType" = NEW."entityType" AND "entityId" IS NEW."entityId" AND "status" = 'pending' AND "priority" = NEW."priority"), NEW."id"))
    END
  WHERE "id" = NEW."id";
END;
