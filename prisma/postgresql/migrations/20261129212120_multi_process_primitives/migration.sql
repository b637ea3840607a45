-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "expiresAt" BIGINT NOT NULL,
    "acquiredAt" BIGINT NOT NULL,
    "renewedAt" BIGINT NOT NULL,

    CONSTRAINT "Lease_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "RateBudget" (
    "key" TEXT NOT NULL,
    "uses" TEXT NOT NULL DEFAULT '[]',
    "updatedAt" BIGINT NOT NULL,

    CONSTRAINT "RateBudget_pkey" PRIMARY KEY ("key")
);
