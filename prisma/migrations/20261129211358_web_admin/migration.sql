-- The officials' web workplace: sign-in codes, sessions, internal notes on tickets, queue indexes,
-- and a full-text index of ticket messages (hand-written part at the end).

-- CreateTable
CREATE TABLE "WebSignInCode" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "personId" INTEGER NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'code',
    "codeHash" TEXT NOT NULL,
    "requestIp" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME
);

-- CreateTable
CREATE TABLE "WebSignInAttempt" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "kind" TEXT NOT NULL,
    "ip" TEXT,
    "personId" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AdminSession" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "tokenHash" TEXT NOT NULL,
    "personId" INTEGER NOT NULL,
    "csrfToken" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "endedAt" DATETIME,
    "userAgent" TEXT
);

-- CreateTable
CREATE TABLE "TicketNote" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "ticketId" INTEGER NOT NULL,
    "authorPersonId" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "WebSignInCode_personId_createdAt_idx" ON "WebSignInCode"("personId", "createdAt");

-- CreateIndex
CREATE INDEX "WebSignInCode_codeHash_idx" ON "WebSignInCode"("codeHash");

-- CreateIndex
CREATE INDEX "WebSignInCode_createdAt_idx" ON "WebSignInCode"("createdAt");

-- CreateIndex
CREATE INDEX "WebSignInAttempt_kind_createdAt_idx" ON "WebSignInAttempt"("kind", "createdAt");

-- CreateIndex
CREATE INDEX "WebSignInAttempt_ip_kind_createdAt_idx" ON "WebSignInAttempt"("ip", "kind", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "AdminSession_tokenHash_key" ON "AdminSession"("tokenHash");

-- CreateIndex
CREATE INDEX "AdminSession_personId_idx" ON "AdminSession"("personId");

-- CreateIndex
CREATE INDEX "TicketNote_ticketId_idx" ON "TicketNote"("ticketId");

-- CreateIndex
CREATE INDEX "Ticket_category_dueAt_idx" ON "Ticket"("category", "dueAt");

-- CreateIndex
CREATE INDEX "Ticket_assigneeId_dueAt_idx" ON "Ticket"("assigneeId", "dueAt");

-- CreateIndex
CREATE INDEX "Ticket_satisfied_dueAt_idx" ON "Ticket"("satisfied", "dueAt");

-- CreateIndex
CREATE INDEX "Ticket_createdAt_idx" ON "Ticket"("createdAt");

-- CreateIndex
CREATE INDEX "Ticket_status_createdAt_idx" ON "Ticket"("status", "createdAt");


-- Full-text search over ticket messages (the member's text and the answers), with or without
-- diacritics: unicode61 folds case and removes tone marks; đ has no decomposition, so it is mapped
-- to d here and in the query. Contentless (the text stays in TicketMessage); rowid = TicketMessage.id.
CREATE VIRTUAL TABLE "TicketMessageSearch" USING fts5(text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');

INSERT INTO "TicketMessageSearch" (rowid, text)
  SELECT "id", replace(replace("text", 'đ', 'd'), 'Đ', 'D') FROM "TicketMessage" WHERE "authorRole" IN ('member', 'official');

CREATE TRIGGER "TicketMessage_search_insert" AFTER INSERT ON "TicketMessage"
WHEN NEW."authorRole" IN ('member', 'official')
BEGIN
  INSERT INTO "TicketMessageSearch" (rowid, text) VALUES (NEW."id", replace(replace(NEW."text", 'đ', 'd'), 'Đ', 'D'));
END;

CREATE TRIGGER "TicketMessage_search_delete" AFTER DELETE ON "TicketMessage"
BEGIN
  DELETE FROM "TicketMessageSearch" WHERE rowid = OLD."id";
END;
