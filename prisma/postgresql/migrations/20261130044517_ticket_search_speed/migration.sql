-- DropIndex
DROP INDEX "Ticket_createdAt_idx";

-- CreateIndex
CREATE INDEX "Ticket_createdAt_status_unitId_dueAt_idx" ON "Ticket"("createdAt", "status", "unitId", "dueAt");


-- Concern search, the same matches as SQLite's FTS5 table (issue 12): a message matches when
-- every typed word (folded: lower case, no diacritics, đ → d; letters and digits) begins one of
-- its words, i.e. follows the start of the text or a character that is neither a letter nor a
-- digit. Only the member's messages and the answers are searched (as on SQLite). The text is
-- folded here as foldVietnamese folds it (NFD, combining marks removed); a trigram index answers
-- the regular expressions (pg_trgm, a trusted extension).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE OR REPLACE FUNCTION "chihoi_fold"(t TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT translate(regexp_replace(normalize(lower(t), NFD), '[\u0300-\u036f]', '', 'g'), 'đ', 'd')
$$;

DROP TRIGGER "TicketMessage_search_insert" ON "TicketMessage";
DROP TRIGGER "TicketMessage_search_delete" ON "TicketMessage";
DROP TABLE "TicketMessageSearch";

CREATE TABLE "TicketMessageSearch" (
    "id" INTEGER NOT NULL,
    "ticketId" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    CONSTRAINT "TicketMessageSearch_pkey" PRIMARY KEY ("id")
);

INSERT INTO "TicketMessageSearch" ("id", "ticketId", "text")
  SELECT "id", "ticketId", "chihoi_fold"("text") FROM "TicketMessage" WHERE "authorRole" IN ('member', 'official');

CREATE INDEX "TicketMessageSearch_text_idx" ON "TicketMessageSearch" USING GIN ("text" gin_trgm_ops);
CREATE INDEX "TicketMessageSearch_ticketId_idx" ON "TicketMessageSearch" ("ticketId");

CREATE OR REPLACE FUNCTION "TicketMessage_search_sync"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM "TicketMessageSearch" WHERE "id" = OLD."id";
    RETURN NULL;
  END IF;
  IF NEW."authorRole" IN ('member', 'official') THEN
    INSERT INTO "TicketMessageSearch" ("id", "ticketId", "text") VALUES (NEW."id", NEW."ticketId", "chihoi_fold"(NEW."text"));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "TicketMessage_search_insert" AFTER INSERT ON "TicketMessage"
FOR EACH ROW EXECUTE FUNCTION "TicketMessage_search_sync"();
CREATE TRIGGER "TicketMessage_search_delete" AFTER DELETE ON "TicketMessage"
FOR EACH ROW EXECUTE FUNCTION "TicketMessage_search_sync"();
