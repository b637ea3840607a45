-- A broadcast's copies share one body (OutboxBody) instead of each holding the same text.
-- (SQLite rebuilds the table and creates its fair-order trigger again; here it is kept.)
-- AlterTable
ALTER TABLE "Outbox" ADD COLUMN     "bodyId" INTEGER,
ALTER COLUMN "body" DROP NOT NULL;

-- CreateTable
CREATE TABLE "OutboxBody" (
    "id" SERIAL NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "OutboxBody_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "Outbox" ADD CONSTRAINT "Outbox_bodyId_fkey" FOREIGN KEY ("bodyId") REFERENCES "OutboxBody"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
