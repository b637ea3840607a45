-- CreateTable
CREATE TABLE "WebSignInCode" (
    "id" SERIAL NOT NULL,
    "personId" INTEGER NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'code',
    "codeHash" TEXT NOT NULL,
    "requestIp" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "expiresAt" BIGINT NOT NULL,
    "usedAt" BIGINT,

    CONSTRAINT "WebSignInCode_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebSignInAttempt" (
    "id" SERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "ip" TEXT,
    "personId" INTEGER,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "WebSignInAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AdminSession" (
    "id" SERIAL NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "personId" INTEGER NOT NULL,
    "csrfToken" TEXT NOT NULL,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,
    "lastSeenAt" BIGINT NOT NULL,
    "expiresAt" BIGINT NOT NULL,
    "endedAt" BIGINT,
    "userAgent" TEXT,

    CONSTRAINT "AdminSession_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TicketNote" (
    "id" SERIAL NOT NULL,
    "ticketId" INTEGER NOT NULL,
    "authorPersonId" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" BIGINT NOT NULL DEFAULT (floor(extract(epoch from clock_timestamp()) * 1000))::bigint,

    CONSTRAINT "TicketNote_pkey" PRIMARY KEY ("id")
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

-- Text search over concern messages and answers (PostgreSQL form of the SQLite FTS5 table of the
-- same migration): each message's text folded to lower case without Vietnamese diacritics, kept by
-- triggers, with a GIN full-text index ('simple' configuration: no stemming, as FTS5's unicode61).
-- The queries that read it are converted with the rest of the domain (docs/storage.md).
CREATE FUNCTION "chihoi_fold"(t TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT translate(lower(t), 'àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ', 'aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd')
$$;

CREATE TABLE "TicketMessageSearch" (
    "id" INTEGER NOT NULL,
    "text" TEXT NOT NULL,
    CONSTRAINT "TicketMessageSearch_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "TicketMessageSearch_text_idx" ON "TicketMessageSearch" USING GIN (to_tsvector('simple', "text"));

INSERT INTO "TicketMessageSearch" ("id", "text") SELECT "id", "chihoi_fold"("text") FROM "TicketMessage";

CREATE FUNCTION "TicketMessage_search_sync"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    DELETE FROM "TicketMessageSearch" WHERE "id" = OLD."id";
    RETURN NULL;
  END IF;
  INSERT INTO "TicketMessageSearch" ("id", "text") VALUES (NEW."id", "chihoi_fold"(NEW."text"));
  RETURN NULL;
END $$;

CREATE TRIGGER "TicketMessage_search_insert" AFTER INSERT ON "TicketMessage"
FOR EACH ROW EXECUTE FUNCTION "TicketMessage_search_sync"();
CREATE TRIGGER "TicketMessage_search_delete" AFTER DELETE ON "TicketMessage"
FOR EACH ROW EXECUTE FUNCTION "TicketMessage_search_sync"();
