-- DropIndex
DROP INDEX "Ticket_createdAt_idx";

-- CreateIndex
CREATE INDEX "Ticket_createdAt_status_unitId_dueAt_idx" ON "Ticket"("createdAt", "status", "unitId", "dueAt");


-- Concern search, rebuilt for speed (issue 12; same words, same matches):
-- - rowid = ticketId * 2^32 + message id, so a match names its ticket without reading
--   TicketMessage (reading it for 100,000 matches cost more than the search itself);
-- - prefix indexes for 2 to 6 characters: each typed word is a prefix ("duong"*), which FTS5
--   otherwise answers by merging the lists of every word that starts with it.
DROP TRIGGER "TicketMessage_search_insert";
DROP TRIGGER "TicketMessage_search_delete";
DROP TABLE "TicketMessageSearch";

CREATE VIRTUAL TABLE "TicketMessageSearch" USING fts5(text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5 6');

INSERT INTO "TicketMessageSearch" (rowid, text)
  SELECT "ticketId" * 4294967296 + "id", replace(replace("text", 'đ', 'd'), 'Đ', 'D') FROM "TicketMessage" WHERE "authorRole" IN ('member', 'official');

CREATE TRIGGER "TicketMessage_search_insert" AFTER INSERT ON "TicketMessage"
WHEN NEW."authorRole" IN ('member', 'official')
BEGIN
  INSERT INTO "TicketMessageSearch" (rowid, text) VALUES (NEW."ticketId" * 4294967296 + NEW."id", replace(replace(NEW."text", 'đ', 'd'), 'Đ', 'D'));
END;

CREATE TRIGGER "TicketMessage_search_delete" AFTER DELETE ON "TicketMessage"
WHEN OLD."authorRole" IN ('member', 'official')
BEGIN
  DELETE FROM "TicketMessageSearch" WHERE rowid = OLD."ticketId" * 4294967296 + OLD."id";
END;
