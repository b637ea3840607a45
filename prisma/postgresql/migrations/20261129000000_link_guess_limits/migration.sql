-- AlterTable
ALTER TABLE "LinkAttempt" ADD COLUMN     "source" TEXT;

-- CreateTable
CREATE TABLE "WebSession" (
    "id" TEXT NOT NULL,
    "source" TEXT,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "expiresAt" BIGINT NOT NULL,
    "lastSeenAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "WebSession_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WebSession_source_createdAt_idx" ON "WebSession"("source", "createdAt");

-- CreateIndex
CREATE INDEX "WebSession_expiresAt_idx" ON "WebSession"("expiresAt");

-- CreateIndex
CREATE INDEX "LinkAttempt_source_createdAt_idx" ON "LinkAttempt"("source", "createdAt");

-- CreateIndex
CREATE INDEX "LinkAttempt_success_createdAt_idx" ON "LinkAttempt"("success", "createdAt");

-- The 6-digit codes printed before this release are what a guessing attack finds: they stop
-- working (a member who sends one is told the slip is old); `chihoi codes` prints new ones.
UPDATE "LinkCode" SET "revokedAt" = (floor(extract(epoch from clock_timestamp()) * 1000))::bigint
WHERE length("code") < 12 AND "usedAt" IS NULL AND "revokedAt" IS NULL;
