-- CreateTable
CREATE TABLE "Lease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "acquiredAt" DATETIME NOT NULL,
    "renewedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "RateBudget" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "uses" TEXT NOT NULL DEFAULT '[]',
    "updatedAt" DATETIME NOT NULL
);
