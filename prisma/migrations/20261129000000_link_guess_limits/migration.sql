-- Link guessing limited per address and per deployment; server-issued web chat sessions.
ALTER TABLE "LinkAttempt" ADD COLUMN "source" TEXT;

-- CreateIndex
CREATE INDEX "LinkAttempt_source_createdAt_idx" ON "LinkAttempt"("source", "createdAt");

-- CreateIndex
CREATE INDEX "LinkAttempt_success_createdAt_idx" ON "LinkAttempt"("success", "createdAt");

-- CreateTable
CREATE TABLE "WebSession" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "source" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "lastSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "WebSession_source_createdAt_idx" ON "WebSession"("source", "createdAt");

-- CreateIndex
CREATE INDEX "WebSession_expiresAt_idx" ON "WebSession"("expiresAt");

-- The 6-digit codes printed before this release are what a guessing attack finds: they stop
-- working (a member who sends one is told the slip is old); `chihoi codes` prints new ones.
UPDATE "LinkCode" SET "revokedAt" = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE length("code") < 12 AND "usedAt" IS NULL AND "revokedAt" IS NULL;
