-- CreateTable
CREATE TABLE "ApiToken" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "unitId" INTEGER NOT NULL,
    "access" TEXT NOT NULL DEFAULT 'read',
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "lastUsedAt" BIGINT,
    "revokedAt" BIGINT,

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "ApiToken_unitId_idx" ON "ApiToken"("unitId");
