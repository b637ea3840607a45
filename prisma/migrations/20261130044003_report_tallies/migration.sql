-- CreateTable
CREATE TABLE "TicketTally" (
    "unitId" INTEGER NOT NULL,
    "span" INTEGER NOT NULL,
    "start" INTEGER NOT NULL,
    "opened" INTEGER NOT NULL DEFAULT 0,
    "answered" INTEGER NOT NULL DEFAULT 0,
    "rated" INTEGER NOT NULL DEFAULT 0,
    "satisfiedCount" INTEGER NOT NULL DEFAULT 0,
    "cheDoChinhSachNew" INTEGER NOT NULL DEFAULT 0,
    "cheDoChinhSachInProgress" INTEGER NOT NULL DEFAULT 0,
    "cheDoChinhSachAnswered" INTEGER NOT NULL DEFAULT 0,
    "cheDoChinhSachClosed" INTEGER NOT NULL DEFAULT 0,
    "doiSongNew" INTEGER NOT NULL DEFAULT 0,
    "doiSongInProgress" INTEGER NOT NULL DEFAULT 0,
    "doiSongAnswered" INTEGER NOT NULL DEFAULT 0,
    "doiSongClosed" INTEGER NOT NULL DEFAULT 0,
    "haTangNew" INTEGER NOT NULL DEFAULT 0,
    "haTangInProgress" INTEGER NOT NULL DEFAULT 0,
    "haTangAnswered" INTEGER NOT NULL DEFAULT 0,
    "haTangClosed" INTEGER NOT NULL DEFAULT 0,
    "anNinhTratTuNew" INTEGER NOT NULL DEFAULT 0,
    "anNinhTratTuInProgress" INTEGER NOT NULL DEFAULT 0,
    "anNinhTratTuAnswered" INTEGER NOT NULL DEFAULT 0,
    "anNinhTratTuClosed" INTEGER NOT NULL DEFAULT 0,
    "toChucHoiNew" INTEGER NOT NULL DEFAULT 0,
    "toChucHoiInProgress" INTEGER NOT NULL DEFAULT 0,
    "toChucHoiAnswered" INTEGER NOT NULL DEFAULT 0,
    "toChucHoiClosed" INTEGER NOT NULL DEFAULT 0,
    "khacNew" INTEGER NOT NULL DEFAULT 0,
    "khacInProgress" INTEGER NOT NULL DEFAULT 0,
    "khacAnswered" INTEGER NOT NULL DEFAULT 0,
    "khacClosed" INTEGER NOT NULL DEFAULT 0,
    "h0" INTEGER NOT NULL DEFAULT 0,
    "h1" INTEGER NOT NULL DEFAULT 0,
    "h2" INTEGER NOT NULL DEFAULT 0,
    "h3" INTEGER NOT NULL DEFAULT 0,
    "h4" INTEGER NOT NULL DEFAULT 0,
    "h5" INTEGER NOT NULL DEFAULT 0,
    "h6" INTEGER NOT NULL DEFAULT 0,
    "h7" INTEGER NOT NULL DEFAULT 0,
    "h8" INTEGER NOT NULL DEFAULT 0,
    "h9" INTEGER NOT NULL DEFAULT 0,
    "h10" INTEGER NOT NULL DEFAULT 0,
    "h11" INTEGER NOT NULL DEFAULT 0,
    "h12" INTEGER NOT NULL DEFAULT 0,
    "h13" INTEGER NOT NULL DEFAULT 0,
    "h14" INTEGER NOT NULL DEFAULT 0,
    "h15" INTEGER NOT NULL DEFAULT 0,
    "h16" INTEGER NOT NULL DEFAULT 0,
    "h17" INTEGER NOT NULL DEFAULT 0,
    "h18" INTEGER NOT NULL DEFAULT 0,
    "h19" INTEGER NOT NULL DEFAULT 0,
    "h20" INTEGER NOT NULL DEFAULT 0,
    "h21" INTEGER NOT NULL DEFAULT 0,
    "h22" INTEGER NOT NULL DEFAULT 0,
    "h23" INTEGER NOT NULL DEFAULT 0,
    "h24" INTEGER NOT NULL DEFAULT 0,
    "h25" INTEGER NOT NULL DEFAULT 0,
    "h26" INTEGER NOT NULL DEFAULT 0,
    "h27" INTEGER NOT NULL DEFAULT 0,
    "h28" INTEGER NOT NULL DEFAULT 0,
    "h29" INTEGER NOT NULL DEFAULT 0,
    "h30" INTEGER NOT NULL DEFAULT 0,
    "h31" INTEGER NOT NULL DEFAULT 0,
    "h32" INTEGER NOT NULL DEFAULT 0,
    "h33" INTEGER NOT NULL DEFAULT 0,
    "h34" INTEGER NOT NULL DEFAULT 0,
    "h35" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("unitId", "span", "start")
);

-- CreateTable
CREATE TABLE "TicketOpenTally" (
    "unitId" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "open" INTEGER NOT NULL DEFAULT 0
);

-- CreateTable
CREATE TABLE "MeetingTally" (
    "meetingId" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "unitId" INTEGER NOT NULL,
    "startsAt" DATETIME NOT NULL,
    "subtree" INTEGER NOT NULL,
    "held" INTEGER NOT NULL,
    "answered" INTEGER NOT NULL DEFAULT 0,
    "attending" INTEGER NOT NULL DEFAULT 0,
    "recorded" INTEGER NOT NULL DEFAULT 0,
    "came" INTEGER NOT NULL DEFAULT 0
);

-- CreateTable
CREATE TABLE "PersonHome" (
    "personId" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "unitId" INTEGER NOT NULL,
    "units" INTEGER NOT NULL,
    "linked" INTEGER NOT NULL,
    "telegram" INTEGER NOT NULL,
    "zalo" INTEGER NOT NULL,
    "zaloBot" INTEGER NOT NULL,
    "web" INTEGER NOT NULL
);

-- CreateTable
CREATE TABLE "UnitMemberTally" (
    "unitId" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "members" INTEGER NOT NULL DEFAULT 0,
    "linked" INTEGER NOT NULL DEFAULT 0,
    "telegram" INTEGER NOT NULL DEFAULT 0,
    "zalo" INTEGER NOT NULL DEFAULT 0,
    "zaloBot" INTEGER NOT NULL DEFAULT 0,
    "web" INTEGER NOT NULL DEFAULT 0
);

-- CreateIndex
CREATE INDEX "TicketTally_span_start_idx" ON "TicketTally"("span", "start");

-- CreateIndex
CREATE INDEX "MeetingTally_startsAt_held_unitId_subtree_answered_attending_recorded_came_idx" ON "MeetingTally"("startsAt", "held", "unitId", "subtree", "answered", "attending", "recorded", "came");

-- CreateIndex
CREATE INDEX "MeetingTally_unitId_startsAt_idx" ON "MeetingTally"("unitId", "startsAt");

-- CreateIndex
CREATE INDEX "PersonHome_unitId_idx" ON "PersonHome"("unitId");

-- CreateIndex
CREATE INDEX "PersonHome_units_idx" ON "PersonHome"("units");
-- Summaries for the reports (issue 13): kept by the triggers below on every write, backfilled here.

CREATE TRIGGER "Ticket_tally_insert" AFTER INSERT ON "Ticket"
BEGIN
  INSERT INTO "TicketTally" ("unitId", "span", "start", "opened", "answered", "rated", "satisfiedCount", "cheDoChinhSachNew", "cheDoChinhSachInProgress", "cheDoChinhSachAnswered", "cheDoChinhSachClosed", "doiSongNew", "doiSongInProgress", "doiSongAnswered", "doiSongClosed", "haTangNew", "haTangInProgress", "haTangAnswered", "haTangClosed", "anNinhTratTuNew", "anNinhTratTuInProgress", "anNinhTratTuAnswered", "anNinhTratTuClosed", "toChucHoiNew", "toChucHoiInProgress", "toChucHoiAnswered", "toChucHoiClosed", "khacNew", "khacInProgress", "khacAnswered", "khacClosed", "h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9", "h10", "h11", "h12", "h13", "h14", "h15", "h16", "h17", "h18", "h19", "h20", "h21", "h22", "h23", "h24", "h25", "h26", "h27", "h28", "h29", "h30", "h31", "h32", "h33", "h34", "h35")
  SELECT NEW."unitId", s."span", (NEW."createdAt" / 86400000) / s."span" * s."span", 1, 1 * (NEW."firstAnsweredAt" IS NOT NULL), 1 * (NEW."satisfied" IS NOT NULL), 1 * COALESCE(NEW."satisfied" = 1, 0),
    1 * (NEW."category" = 'che_do_chinh_sach' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'che_do_chinh_sach' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'che_do_chinh_sach' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'che_do_chinh_sach' AND NEW."status" = 'closed'),
    1 * (NEW."category" = 'doi_song' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'doi_song' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'doi_song' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'doi_song' AND NEW."status" = 'closed'),
    1 * (NEW."category" = 'ha_tang' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'ha_tang' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'ha_tang' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'ha_tang' AND NEW."status" = 'closed'),
    1 * (NEW."category" = 'an_ninh_trat_tu' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'an_ninh_trat_tu' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'an_ninh_trat_tu' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'an_ninh_trat_tu' AND NEW."status" = 'closed'),
    1 * (NEW."category" = 'to_chuc_hoi' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'to_chuc_hoi' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'to_chuc_hoi' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'to_chuc_hoi' AND NEW."status" = 'closed'),
    1 * (NEW."category" = 'khac' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'khac' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'khac' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'khac' AND NEW."status" = 'closed'),
    1 * (b."b" = 0), 1 * (b."b" = 1), 1 * (b."b" = 2), 1 * (b."b" = 3), 1 * (b."b" = 4), 1 * (b."b" = 5), 1 * (b."b" = 6), 1 * (b."b" = 7), 1 * (b."b" = 8), 1 * (b."b" = 9), 1 * (b."b" = 10), 1 * (b."b" = 11), 1 * (b."b" = 12), 1 * (b."b" = 13), 1 * (b."b" = 14), 1 * (b."b" = 15), 1 * (b."b" = 16), 1 * (b."b" = 17), 1 * (b."b" = 18), 1 * (b."b" = 19), 1 * (b."b" = 20), 1 * (b."b" = 21), 1 * (b."b" = 22), 1 * (b."b" = 23), 1 * (b."b" = 24), 1 * (b."b" = 25), 1 * (b."b" = 26), 1 * (b."b" = 27), 1 * (b."b" = 28), 1 * (b."b" = 29), 1 * (b."b" = 30), 1 * (b."b" = 31), 1 * (b."b" = 32), 1 * (b."b" = 33), 1 * (b."b" = 34), 1 * (b."b" = 35)
  FROM (SELECT 1 AS "span" UNION ALL SELECT 32) s, (SELECT CASE WHEN NEW."firstAnsweredAt" IS NULL THEN -1 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 60000 THEN 0 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 84853 THEN 1 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 120000 THEN 2 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 169706 THEN 3 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 240000 THEN 4 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 339411 THEN 5 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 480000 THEN 6 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 678823 THEN 7 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 960000 THEN 8 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 1357645 THEN 9 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 1920000 THEN 10 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 2715290 THEN 11 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 3840000 THEN 12 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 5430580 THEN 13 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 7680000 THEN 14 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 10861160 THEN 15 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 15360000 THEN 16 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 21722320 THEN 17 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 30720000 THEN 18 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 43444641 THEN 19 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 61440000 THEN 20 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 86889281 THEN 21 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 122880000 THEN 22 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 173778563 THEN 23 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 245760000 THEN 24 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 347557125 THEN 25 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 491520000 THEN 26 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 695114250 THEN 27 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 983040000 THEN 28 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 1390228500 THEN 29 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 1966080000 THEN 30 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 2780457001 THEN 31 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 3932160000 THEN 32 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 5560914001 THEN 33 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 7864320000 THEN 34 ELSE 35 END AS "b") b
  WHERE true
  ON CONFLICT ("unitId", "span", "start") DO UPDATE SET "opened" = "TicketTally"."opened" + excluded."opened", "answered" = "TicketTally"."answered" + excluded."answered", "rated" = "TicketTally"."rated" + excluded."rated", "satisfiedCount" = "TicketTally"."satisfiedCount" + excluded."satisfiedCount", "cheDoChinhSachNew" = "TicketTally"."cheDoChinhSachNew" + excluded."cheDoChinhSachNew", "cheDoChinhSachInProgress" = "TicketTally"."cheDoChinhSachInProgress" + excluded."cheDoChinhSachInProgress", "cheDoChinhSachAnswered" = "TicketTally"."cheDoChinhSachAnswered" + excluded."cheDoChinhSachAnswered", "cheDoChinhSachClosed" = "TicketTally"."cheDoChinhSachClosed" + excluded."cheDoChinhSachClosed", "doiSongNew" = "TicketTally"."doiSongNew" + excluded."doiSongNew", "doiSongInProgress" = "TicketTally"."doiSongInProgress" + excluded."doiSongInProgress", "doiSongAnswered" = "TicketTally"."doiSongAnswered" + excluded."doiSongAnswered", "doiSongClosed" = "TicketTally"."doiSongClosed" + excluded."doiSongClosed", "haTangNew" = "TicketTally"."haTangNew" + excluded."haTangNew", "haTangInProgress" = "TicketTally"."haTangInProgress" + excluded."haTangInProgress", "haTangAnswered" = "TicketTally"."haTangAnswered" + excluded."haTangAnswered", "haTangClosed" = "TicketTally"."haTangClosed" + excluded."haTangClosed", "anNinhTratTuNew" = "TicketTally"."anNinhTratTuNew" + excluded."anNinhTratTuNew", "anNinhTratTuInProgress" = "TicketTally"."anNinhTratTuInProgress" + excluded."anNinhTratTuInProgress", "anNinhTratTuAnswered" = "TicketTally"."anNinhTratTuAnswered" + excluded."anNinhTratTuAnswered", "anNinhTratTuClosed" = "TicketTally"."anNinhTratTuClosed" + excluded."anNinhTratTuClosed", "toChucHoiNew" = "TicketTally"."toChucHoiNew" + excluded."toChucHoiNew", "toChucHoiInProgress" = "TicketTally"."toChucHoiInProgress" + excluded."toChucHoiInProgress", "toChucHoiAnswered" = "TicketTally"."toChucHoiAnswered" + excluded."toChucHoiAnswered", "toChucHoiClosed" = "TicketTally"."toChucHoiClosed" + excluded."toChucHoiClosed", "khacNew" = "TicketTally"."khacNew" + excluded."khacNew", "khacInProgress" = "TicketTally"."khacInProgress" + excluded."khacInProgress", "khacAnswered" = "TicketTally"."khacAnswered" + excluded."khacAnswered", "khacClosed" = "TicketTally"."khacClosed" + excluded."khacClosed", "h0" = "TicketTally"."h0" + excluded."h0", "h1" = "TicketTally"."h1" + excluded."h1", "h2" = "TicketTally"."h2" + excluded."h2", "h3" = "TicketTally"."h3" + excluded."h3", "h4" = "TicketTally"."h4" + excluded."h4", "h5" = "TicketTally"."h5" + excluded."h5", "h6" = "TicketTally"."h6" + excluded."h6", "h7" = "TicketTally"."h7" + excluded."h7", "h8" = "TicketTally"."h8" + excluded."h8", "h9" = "TicketTally"."h9" + excluded."h9", "h10" = "TicketTally"."h10" + excluded."h10", "h11" = "TicketTally"."h11" + excluded."h11", "h12" = "TicketTally"."h12" + excluded."h12", "h13" = "TicketTally"."h13" + excluded."h13", "h14" = "TicketTally"."h14" + excluded."h14", "h15" = "TicketTally"."h15" + excluded."h15", "h16" = "TicketTally"."h16" + excluded."h16", "h17" = "TicketTally"."h17" + excluded."h17", "h18" = "TicketTally"."h18" + excluded."h18", "h19" = "TicketTally"."h19" + excluded."h19", "h20" = "TicketTally"."h20" + excluded."h20", "h21" = "TicketTally"."h21" + excluded."h21", "h22" = "TicketTally"."h22" + excluded."h22", "h23" = "TicketTally"."h23" + excluded."h23", "h24" = "TicketTally"."h24" + excluded."h24", "h25" = "TicketTally"."h25" + excluded."h25", "h26" = "TicketTally"."h26" + excluded."h26", "h27" = "TicketTally"."h27" + excluded."h27", "h28" = "TicketTally"."h28" + excluded."h28", "h29" = "TicketTally"."h29" + excluded."h29", "h30" = "TicketTally"."h30" + excluded."h30", "h31" = "TicketTally"."h31" + excluded."h31", "h32" = "TicketTally"."h32" + excluded."h32", "h33" = "TicketTally"."h33" + excluded."h33", "h34" = "TicketTally"."h34" + excluded."h34", "h35" = "TicketTally"."h35" + excluded."h35";
  INSERT INTO "TicketOpenTally" ("unitId", "open") SELECT NEW."unitId", 1 WHERE NEW."status" IN ('new', 'in_progress')
  ON CONFLICT ("unitId") DO UPDATE SET "open" = "TicketOpenTally"."open" + excluded."open";
END;

CREATE TRIGGER "Ticket_tally_delete" AFTER DELETE ON "Ticket"
BEGIN
  INSERT INTO "TicketTally" ("unitId", "span", "start", "opened", "answered", "rated", "satisfiedCount", "cheDoChinhSachNew", "cheDoChinhSachInProgress", "cheDoChinhSachAnswered", "cheDoChinhSachClosed", "doiSongNew", "doiSongInProgress", "doiSongAnswered", "doiSongClosed", "haTangNew", "haTangInProgress", "haTangAnswered", "haTangClosed", "anNinhTratTuNew", "anNinhTratTuInProgress", "anNinhTratTuAnswered", "anNinhTratTuClosed", "toChucHoiNew", "toChucHoiInProgress", "toChucHoiAnswered", "toChucHoiClosed", "khacNew", "khacInProgress", "khacAnswered", "khacClosed", "h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9", "h10", "h11", "h12", "h13", "h14", "h15", "h16", "h17", "h18", "h19", "h20", "h21", "h22", "h23", "h24", "h25", "h26", "h27", "h28", "h29", "h30", "h31", "h32", "h33", "h34", "h35")
  SELECT OLD."unitId", s."span", (OLD."createdAt" / 86400000) / s."span" * s."span", -1, -1 * (OLD."firstAnsweredAt" IS NOT NULL), -1 * (OLD."satisfied" IS NOT NULL), -1 * COALESCE(OLD."satisfied" = 1, 0),
    -1 * (OLD."category" = 'che_do_chinh_sach' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'che_do_chinh_sach' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'che_do_chinh_sach' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'che_do_chinh_sach' AND OLD."status" = 'closed'),
    -1 * (OLD."category" = 'doi_song' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'doi_song' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'doi_song' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'doi_song' AND OLD."status" = 'closed'),
    -1 * (OLD."category" = 'ha_tang' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'ha_tang' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'ha_tang' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'ha_tang' AND OLD."status" = 'closed'),
    -1 * (OLD."category" = 'an_ninh_trat_tu' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'an_ninh_trat_tu' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'an_ninh_trat_tu' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'an_ninh_trat_tu' AND OLD."status" = 'closed'),
    -1 * (OLD."category" = 'to_chuc_hoi' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'to_chuc_hoi' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'to_chuc_hoi' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'to_chuc_hoi' AND OLD."status" = 'closed'),
    -1 * (OLD."category" = 'khac' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'khac' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'khac' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'khac' AND OLD."status" = 'closed'),
    -1 * (b."b" = 0), -1 * (b."b" = 1), -1 * (b."b" = 2), -1 * (b."b" = 3), -1 * (b."b" = 4), -1 * (b."b" = 5), -1 * (b."b" = 6), -1 * (b."b" = 7), -1 * (b."b" = 8), -1 * (b."b" = 9), -1 * (b."b" = 10), -1 * (b."b" = 11), -1 * (b."b" = 12), -1 * (b."b" = 13), -1 * (b."b" = 14), -1 * (b."b" = 15), -1 * (b."b" = 16), -1 * (b."b" = 17), -1 * (b."b" = 18), -1 * (b."b" = 19), -1 * (b."b" = 20), -1 * (b."b" = 21), -1 * (b."b" = 22), -1 * (b."b" = 23), -1 * (b."b" = 24), -1 * (b."b" = 25), -1 * (b."b" = 26), -1 * (b."b" = 27), -1 * (b."b" = 28), -1 * (b."b" = 29), -1 * (b."b" = 30), -1 * (b."b" = 31), -1 * (b."b" = 32), -1 * (b."b" = 33), -1 * (b."b" = 34), -1 * (b."b" = 35)
  FROM (SELECT 1 AS "span" UNION ALL SELECT 32) s, (SELECT CASE WHEN OLD."firstAnsweredAt" IS NULL THEN -1 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 60000 THEN 0 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 84853 THEN 1 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 120000 THEN 2 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 169706 THEN 3 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 240000 THEN 4 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 339411 THEN 5 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 480000 THEN 6 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 678823 THEN 7 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 960000 THEN 8 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 1357645 THEN 9 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 1920000 THEN 10 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 2715290 THEN 11 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 3840000 THEN 12 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 5430580 THEN 13 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 7680000 THEN 14 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 10861160 THEN 15 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 15360000 THEN 16 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 21722320 THEN 17 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 30720000 THEN 18 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 43444641 THEN 19 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 61440000 THEN 20 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 86889281 THEN 21 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 122880000 THEN 22 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 173778563 THEN 23 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 245760000 THEN 24 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 347557125 THEN 25 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 491520000 THEN 26 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 695114250 THEN 27 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 983040000 THEN 28 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 1390228500 THEN 29 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 1966080000 THEN 30 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 2780457001 THEN 31 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 3932160000 THEN 32 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 5560914001 THEN 33 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 7864320000 THEN 34 ELSE 35 END AS "b") b
  WHERE true
  ON CONFLICT ("unitId", "span", "start") DO UPDATE SET "opened" = "TicketTally"."opened" + excluded."opened", "answered" = "TicketTally"."answered" + excluded."answered", "rated" = "TicketTally"."rated" + excluded."rated", "satisfiedCount" = "TicketTally"."satisfiedCount" + excluded."satisfiedCount", "cheDoChinhSachNew" = "TicketTally"."cheDoChinhSachNew" + excluded."cheDoChinhSachNew", "cheDoChinhSachInProgress" = "TicketTally"."cheDoChinhSachInProgress" + excluded."cheDoChinhSachInProgress", "cheDoChinhSachAnswered" = "TicketTally"."cheDoChinhSachAnswered" + excluded."cheDoChinhSachAnswered", "cheDoChinhSachClosed" = "TicketTally"."cheDoChinhSachClosed" + excluded."cheDoChinhSachClosed", "doiSongNew" = "TicketTally"."doiSongNew" + excluded."doiSongNew", "doiSongInProgress" = "TicketTally"."doiSongInProgress" + excluded."doiSongInProgress", "doiSongAnswered" = "TicketTally"."doiSongAnswered" + excluded."doiSongAnswered", "doiSongClosed" = "TicketTally"."doiSongClosed" + excluded."doiSongClosed", "haTangNew" = "TicketTally"."haTangNew" + excluded."haTangNew", "haTangInProgress" = "TicketTally"."haTangInProgress" + excluded."haTangInProgress", "haTangAnswered" = "TicketTally"."haTangAnswered" + excluded."haTangAnswered", "haTangClosed" = "TicketTally"."haTangClosed" + excluded."haTangClosed", "anNinhTratTuNew" = "TicketTally"."anNinhTratTuNew" + excluded."anNinhTratTuNew", "anNinhTratTuInProgress" = "TicketTally"."anNinhTratTuInProgress" + excluded."anNinhTratTuInProgress", "anNinhTratTuAnswered" = "TicketTally"."anNinhTratTuAnswered" + excluded."anNinhTratTuAnswered", "anNinhTratTuClosed" = "TicketTally"."anNinhTratTuClosed" + excluded."anNinhTratTuClosed", "toChucHoiNew" = "TicketTally"."toChucHoiNew" + excluded."toChucHoiNew", "toChucHoiInProgress" = "TicketTally"."toChucHoiInProgress" + excluded."toChucHoiInProgress", "toChucHoiAnswered" = "TicketTally"."toChucHoiAnswered" + excluded."toChucHoiAnswered", "toChucHoiClosed" = "TicketTally"."toChucHoiClosed" + excluded."toChucHoiClosed", "khacNew" = "TicketTally"."khacNew" + excluded."khacNew", "khacInProgress" = "TicketTally"."khacInProgress" + excluded."khacInProgress", "khacAnswered" = "TicketTally"."khacAnswered" + excluded."khacAnswered", "khacClosed" = "TicketTally"."khacClosed" + excluded."khacClosed", "h0" = "TicketTally"."h0" + excluded."h0", "h1" = "TicketTally"."h1" + excluded."h1", "h2" = "TicketTally"."h2" + excluded."h2", "h3" = "TicketTally"."h3" + excluded."h3", "h4" = "TicketTally"."h4" + excluded."h4", "h5" = "TicketTally"."h5" + excluded."h5", "h6" = "TicketTally"."h6" + excluded."h6", "h7" = "TicketTally"."h7" + excluded."h7", "h8" = "TicketTally"."h8" + excluded."h8", "h9" = "TicketTally"."h9" + excluded."h9", "h10" = "TicketTally"."h10" + excluded."h10", "h11" = "TicketTally"."h11" + excluded."h11", "h12" = "TicketTally"."h12" + excluded."h12", "h13" = "TicketTally"."h13" + excluded."h13", "h14" = "TicketTally"."h14" + excluded."h14", "h15" = "TicketTally"."h15" + excluded."h15", "h16" = "TicketTally"."h16" + excluded."h16", "h17" = "TicketTally"."h17" + excluded."h17", "h18" = "TicketTally"."h18" + excluded."h18", "h19" = "TicketTally"."h19" + excluded."h19", "h20" = "TicketTally"."h20" + excluded."h20", "h21" = "TicketTally"."h21" + excluded."h21", "h22" = "TicketTally"."h22" + excluded."h22", "h23" = "TicketTally"."h23" + excluded."h23", "h24" = "TicketTally"."h24" + excluded."h24", "h25" = "TicketTally"."h25" + excluded."h25", "h26" = "TicketTally"."h26" + excluded."h26", "h27" = "TicketTally"."h27" + excluded."h27", "h28" = "TicketTally"."h28" + excluded."h28", "h29" = "TicketTally"."h29" + excluded."h29", "h30" = "TicketTally"."h30" + excluded."h30", "h31" = "TicketTally"."h31" + excluded."h31", "h32" = "TicketTally"."h32" + excluded."h32", "h33" = "TicketTally"."h33" + excluded."h33", "h34" = "TicketTally"."h34" + excluded."h34", "h35" = "TicketTally"."h35" + excluded."h35";
  INSERT INTO "TicketOpenTally" ("unitId", "open") SELECT OLD."unitId", -1 WHERE OLD."status" IN ('new', 'in_progress')
  ON CONFLICT ("unitId") DO UPDATE SET "open" = "TicketOpenTally"."open" + excluded."open";
  DELETE FROM "TicketTally" WHERE "unitId" = OLD."unitId" AND "opened" = 0;
END;

CREATE TRIGGER "Ticket_tally_update" AFTER UPDATE OF "unitId", "createdAt", "category", "status", "firstAnsweredAt", "satisfied" ON "Ticket"
WHEN (OLD."unitId" IS NOT NEW."unitId" OR OLD."createdAt" IS NOT NEW."createdAt" OR OLD."category" IS NOT NEW."category" OR OLD."status" IS NOT NEW."status" OR OLD."firstAnsweredAt" IS NOT NEW."firstAnsweredAt" OR OLD."satisfied" IS NOT NEW."satisfied")
BEGIN
  INSERT INTO "TicketTally" ("unitId", "span", "start", "opened", "answered", "rated", "satisfiedCount", "cheDoChinhSachNew", "cheDoChinhSachInProgress", "cheDoChinhSachAnswered", "cheDoChinhSachClosed", "doiSongNew", "doiSongInProgress", "doiSongAnswered", "doiSongClosed", "haTangNew", "haTangInProgress", "haTangAnswered", "haTangClosed", "anNinhTratTuNew", "anNinhTratTuInProgress", "anNinhTratTuAnswered", "anNinhTratTuClosed", "toChucHoiNew", "toChucHoiInProgress", "toChucHoiAnswered", "toChucHoiClosed", "khacNew", "khacInProgress", "khacAnswered", "khacClosed", "h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9", "h10", "h11", "h12", "h13", "h14", "h15", "h16", "h17", "h18", "h19", "h20", "h21", "h22", "h23", "h24", "h25", "h26", "h27", "h28", "h29", "h30", "h31", "h32", "h33", "h34", "h35")
  SELECT OLD."unitId", s."span", (OLD."createdAt" / 86400000) / s."span" * s."span", -1, -1 * (OLD."firstAnsweredAt" IS NOT NULL), -1 * (OLD."satisfied" IS NOT NULL), -1 * COALESCE(OLD."satisfied" = 1, 0),
    -1 * (OLD."category" = 'che_do_chinh_sach' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'che_do_chinh_sach' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'che_do_chinh_sach' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'che_do_chinh_sach' AND OLD."status" = 'closed'),
    -1 * (OLD."category" = 'doi_song' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'doi_song' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'doi_song' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'doi_song' AND OLD."status" = 'closed'),
    -1 * (OLD."category" = 'ha_tang' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'ha_tang' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'ha_tang' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'ha_tang' AND OLD."status" = 'closed'),
    -1 * (OLD."category" = 'an_ninh_trat_tu' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'an_ninh_trat_tu' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'an_ninh_trat_tu' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'an_ninh_trat_tu' AND OLD."status" = 'closed'),
    -1 * (OLD."category" = 'to_chuc_hoi' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'to_chuc_hoi' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'to_chuc_hoi' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'to_chuc_hoi' AND OLD."status" = 'closed'),
    -1 * (OLD."category" = 'khac' AND OLD."status" = 'new'),
    -1 * (OLD."category" = 'khac' AND OLD."status" = 'in_progress'),
    -1 * (OLD."category" = 'khac' AND OLD."status" = 'answered'),
    -1 * (OLD."category" = 'khac' AND OLD."status" = 'closed'),
    -1 * (b."b" = 0), -1 * (b."b" = 1), -1 * (b."b" = 2), -1 * (b."b" = 3), -1 * (b."b" = 4), -1 * (b."b" = 5), -1 * (b."b" = 6), -1 * (b."b" = 7), -1 * (b."b" = 8), -1 * (b."b" = 9), -1 * (b."b" = 10), -1 * (b."b" = 11), -1 * (b."b" = 12), -1 * (b."b" = 13), -1 * (b."b" = 14), -1 * (b."b" = 15), -1 * (b."b" = 16), -1 * (b."b" = 17), -1 * (b."b" = 18), -1 * (b."b" = 19), -1 * (b."b" = 20), -1 * (b."b" = 21), -1 * (b."b" = 22), -1 * (b."b" = 23), -1 * (b."b" = 24), -1 * (b."b" = 25), -1 * (b."b" = 26), -1 * (b."b" = 27), -1 * (b."b" = 28), -1 * (b."b" = 29), -1 * (b."b" = 30), -1 * (b."b" = 31), -1 * (b."b" = 32), -1 * (b."b" = 33), -1 * (b."b" = 34), -1 * (b."b" = 35)
  FROM (SELECT 1 AS "span" UNION ALL SELECT 32) s, (SELECT CASE WHEN OLD."firstAnsweredAt" IS NULL THEN -1 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 60000 THEN 0 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 84853 THEN 1 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 120000 THEN 2 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 169706 THEN 3 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 240000 THEN 4 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 339411 THEN 5 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 480000 THEN 6 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 678823 THEN 7 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 960000 THEN 8 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 1357645 THEN 9 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 1920000 THEN 10 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 2715290 THEN 11 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 3840000 THEN 12 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 5430580 THEN 13 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 7680000 THEN 14 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 10861160 THEN 15 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 15360000 THEN 16 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 21722320 THEN 17 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 30720000 THEN 18 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 43444641 THEN 19 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 61440000 THEN 20 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 86889281 THEN 21 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 122880000 THEN 22 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 173778563 THEN 23 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 245760000 THEN 24 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 347557125 THEN 25 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 491520000 THEN 26 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 695114250 THEN 27 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 983040000 THEN 28 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 1390228500 THEN 29 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 1966080000 THEN 30 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 2780457001 THEN 31 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 3932160000 THEN 32 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 5560914001 THEN 33 WHEN OLD."firstAnsweredAt" - OLD."createdAt" < 7864320000 THEN 34 ELSE 35 END AS "b") b
  WHERE true
  ON CONFLICT ("unitId", "span", "start") DO UPDATE SET "opened" = "TicketTally"."opened" + excluded."opened", "answered" = "TicketTally"."answered" + excluded."answered", "rated" = "TicketTally"."rated" + excluded."rated", "satisfiedCount" = "TicketTally"."satisfiedCount" + excluded."satisfiedCount", "cheDoChinhSachNew" = "TicketTally"."cheDoChinhSachNew" + excluded."cheDoChinhSachNew", "cheDoChinhSachInProgress" = "TicketTally"."cheDoChinhSachInProgress" + excluded."cheDoChinhSachInProgress", "cheDoChinhSachAnswered" = "TicketTally"."cheDoChinhSachAnswered" + excluded."cheDoChinhSachAnswered", "cheDoChinhSachClosed" = "TicketTally"."cheDoChinhSachClosed" + excluded."cheDoChinhSachClosed", "doiSongNew" = "TicketTally"."doiSongNew" + excluded."doiSongNew", "doiSongInProgress" = "TicketTally"."doiSongInProgress" + excluded."doiSongInProgress", "doiSongAnswered" = "TicketTally"."doiSongAnswered" + excluded."doiSongAnswered", "doiSongClosed" = "TicketTally"."doiSongClosed" + excluded."doiSongClosed", "haTangNew" = "TicketTally"."haTangNew" + excluded."haTangNew", "haTangInProgress" = "TicketTally"."haTangInProgress" + excluded."haTangInProgress", "haTangAnswered" = "TicketTally"."haTangAnswered" + excluded."haTangAnswered", "haTangClosed" = "TicketTally"."haTangClosed" + excluded."haTangClosed", "anNinhTratTuNew" = "TicketTally"."anNinhTratTuNew" + excluded."anNinhTratTuNew", "anNinhTratTuInProgress" = "TicketTally"."anNinhTratTuInProgress" + excluded."anNinhTratTuInProgress", "anNinhTratTuAnswered" = "TicketTally"."anNinhTratTuAnswered" + excluded."anNinhTratTuAnswered", "anNinhTratTuClosed" = "TicketTally"."anNinhTratTuClosed" + excluded."anNinhTratTuClosed", "toChucHoiNew" = "TicketTally"."toChucHoiNew" + excluded."toChucHoiNew", "toChucHoiInProgress" = "TicketTally"."toChucHoiInProgress" + excluded."toChucHoiInProgress", "toChucHoiAnswered" = "TicketTally"."toChucHoiAnswered" + excluded."toChucHoiAnswered", "toChucHoiClosed" = "TicketTally"."toChucHoiClosed" + excluded."toChucHoiClosed", "khacNew" = "TicketTally"."khacNew" + excluded."khacNew", "khacInProgress" = "TicketTally"."khacInProgress" + excluded."khacInProgress", "khacAnswered" = "TicketTally"."khacAnswered" + excluded."khacAnswered", "khacClosed" = "TicketTally"."khacClosed" + excluded."khacClosed", "h0" = "TicketTally"."h0" + excluded."h0", "h1" = "TicketTally"."h1" + excluded."h1", "h2" = "TicketTally"."h2" + excluded."h2", "h3" = "TicketTally"."h3" + excluded."h3", "h4" = "TicketTally"."h4" + excluded."h4", "h5" = "TicketTally"."h5" + excluded."h5", "h6" = "TicketTally"."h6" + excluded."h6", "h7" = "TicketTally"."h7" + excluded."h7", "h8" = "TicketTally"."h8" + excluded."h8", "h9" = "TicketTally"."h9" + excluded."h9", "h10" = "TicketTally"."h10" + excluded."h10", "h11" = "TicketTally"."h11" + excluded."h11", "h12" = "TicketTally"."h12" + excluded."h12", "h13" = "TicketTally"."h13" + excluded."h13", "h14" = "TicketTally"."h14" + excluded."h14", "h15" = "TicketTally"."h15" + excluded."h15", "h16" = "TicketTally"."h16" + excluded."h16", "h17" = "TicketTally"."h17" + excluded."h17", "h18" = "TicketTally"."h18" + excluded."h18", "h19" = "TicketTally"."h19" + excluded."h19", "h20" = "TicketTally"."h20" + excluded."h20", "h21" = "TicketTally"."h21" + excluded."h21", "h22" = "TicketTally"."h22" + excluded."h22", "h23" = "TicketTally"."h23" + excluded."h23", "h24" = "TicketTally"."h24" + excluded."h24", "h25" = "TicketTally"."h25" + excluded."h25", "h26" = "TicketTally"."h26" + excluded."h26", "h27" = "TicketTally"."h27" + excluded."h27", "h28" = "TicketTally"."h28" + excluded."h28", "h29" = "TicketTally"."h29" + excluded."h29", "h30" = "TicketTally"."h30" + excluded."h30", "h31" = "TicketTally"."h31" + excluded."h31", "h32" = "TicketTally"."h32" + excluded."h32", "h33" = "TicketTally"."h33" + excluded."h33", "h34" = "TicketTally"."h34" + excluded."h34", "h35" = "TicketTally"."h35" + excluded."h35";
  INSERT INTO "TicketOpenTally" ("unitId", "open") SELECT OLD."unitId", -1 WHERE OLD."status" IN ('new', 'in_progress')
  ON CONFLICT ("unitId") DO UPDATE SET "open" = "TicketOpenTally"."open" + excluded."open";
  INSERT INTO "TicketTally" ("unitId", "span", "start", "opened", "answered", "rated", "satisfiedCount", "cheDoChinhSachNew", "cheDoChinhSachInProgress", "cheDoChinhSachAnswered", "cheDoChinhSachClosed", "doiSongNew", "doiSongInProgress", "doiSongAnswered", "doiSongClosed", "haTangNew", "haTangInProgress", "haTangAnswered", "haTangClosed", "anNinhTratTuNew", "anNinhTratTuInProgress", "anNinhTratTuAnswered", "anNinhTratTuClosed", "toChucHoiNew", "toChucHoiInProgress", "toChucHoiAnswered", "toChucHoiClosed", "khacNew", "khacInProgress", "khacAnswered", "khacClosed", "h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9", "h10", "h11", "h12", "h13", "h14", "h15", "h16", "h17", "h18", "h19", "h20", "h21", "h22", "h23", "h24", "h25", "h26", "h27", "h28", "h29", "h30", "h31", "h32", "h33", "h34", "h35")
  SELECT NEW."unitId", s."span", (NEW."createdAt" / 86400000) / s."span" * s."span", 1, 1 * (NEW."firstAnsweredAt" IS NOT NULL), 1 * (NEW."satisfied" IS NOT NULL), 1 * COALESCE(NEW."satisfied" = 1, 0),
    1 * (NEW."category" = 'che_do_chinh_sach' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'che_do_chinh_sach' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'che_do_chinh_sach' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'che_do_chinh_sach' AND NEW."status" = 'closed'),
    1 * (NEW."category" = 'doi_song' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'doi_song' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'doi_song' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'doi_song' AND NEW."status" = 'closed'),
    1 * (NEW."category" = 'ha_tang' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'ha_tang' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'ha_tang' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'ha_tang' AND NEW."status" = 'closed'),
    1 * (NEW."category" = 'an_ninh_trat_tu' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'an_ninh_trat_tu' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'an_ninh_trat_tu' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'an_ninh_trat_tu' AND NEW."status" = 'closed'),
    1 * (NEW."category" = 'to_chuc_hoi' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'to_chuc_hoi' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'to_chuc_hoi' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'to_chuc_hoi' AND NEW."status" = 'closed'),
    1 * (NEW."category" = 'khac' AND NEW."status" = 'new'),
    1 * (NEW."category" = 'khac' AND NEW."status" = 'in_progress'),
    1 * (NEW."category" = 'khac' AND NEW."status" = 'answered'),
    1 * (NEW."category" = 'khac' AND NEW."status" = 'closed'),
    1 * (b."b" = 0), 1 * (b."b" = 1), 1 * (b."b" = 2), 1 * (b."b" = 3), 1 * (b."b" = 4), 1 * (b."b" = 5), 1 * (b."b" = 6), 1 * (b."b" = 7), 1 * (b."b" = 8), 1 * (b."b" = 9), 1 * (b."b" = 10), 1 * (b."b" = 11), 1 * (b."b" = 12), 1 * (b."b" = 13), 1 * (b."b" = 14), 1 * (b."b" = 15), 1 * (b."b" = 16), 1 * (b."b" = 17), 1 * (b."b" = 18), 1 * (b."b" = 19), 1 * (b."b" = 20), 1 * (b."b" = 21), 1 * (b."b" = 22), 1 * (b."b" = 23), 1 * (b."b" = 24), 1 * (b."b" = 25), 1 * (b."b" = 26), 1 * (b."b" = 27), 1 * (b."b" = 28), 1 * (b."b" = 29), 1 * (b."b" = 30), 1 * (b."b" = 31), 1 * (b."b" = 32), 1 * (b."b" = 33), 1 * (b."b" = 34), 1 * (b."b" = 35)
  FROM (SELECT 1 AS "span" UNION ALL SELECT 32) s, (SELECT CASE WHEN NEW."firstAnsweredAt" IS NULL THEN -1 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 60000 THEN 0 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 84853 THEN 1 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 120000 THEN 2 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 169706 THEN 3 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 240000 THEN 4 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 339411 THEN 5 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 480000 THEN 6 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 678823 THEN 7 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 960000 THEN 8 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 1357645 THEN 9 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 1920000 THEN 10 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 2715290 THEN 11 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 3840000 THEN 12 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 5430580 THEN 13 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 7680000 THEN 14 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 10861160 THEN 15 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 15360000 THEN 16 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 21722320 THEN 17 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 30720000 THEN 18 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 43444641 THEN 19 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 61440000 THEN 20 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 86889281 THEN 21 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 122880000 THEN 22 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 173778563 THEN 23 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 245760000 THEN 24 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 347557125 THEN 25 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 491520000 THEN 26 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 695114250 THEN 27 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 983040000 THEN 28 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 1390228500 THEN 29 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 1966080000 THEN 30 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 2780457001 THEN 31 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 3932160000 THEN 32 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 5560914001 THEN 33 WHEN NEW."firstAnsweredAt" - NEW."createdAt" < 7864320000 THEN 34 ELSE 35 END AS "b") b
  WHERE true
  ON CONFLICT ("unitId", "span", "start") DO UPDATE SET "opened" = "TicketTally"."opened" + excluded."opened", "answered" = "TicketTally"."answered" + excluded."answered", "rated" = "TicketTally"."rated" + excluded."rated", "satisfiedCount" = "TicketTally"."satisfiedCount" + excluded."satisfiedCount", "cheDoChinhSachNew" = "TicketTally"."cheDoChinhSachNew" + excluded."cheDoChinhSachNew", "cheDoChinhSachInProgress" = "TicketTally"."cheDoChinhSachInProgress" + excluded."cheDoChinhSachInProgress", "cheDoChinhSachAnswered" = "TicketTally"."cheDoChinhSachAnswered" + excluded."cheDoChinhSachAnswered", "cheDoChinhSachClosed" = "TicketTally"."cheDoChinhSachClosed" + excluded."cheDoChinhSachClosed", "doiSongNew" = "TicketTally"."doiSongNew" + excluded."doiSongNew", "doiSongInProgress" = "TicketTally"."doiSongInProgress" + excluded."doiSongInProgress", "doiSongAnswered" = "TicketTally"."doiSongAnswered" + excluded."doiSongAnswered", "doiSongClosed" = "TicketTally"."doiSongClosed" + excluded."doiSongClosed", "haTangNew" = "TicketTally"."haTangNew" + excluded."haTangNew", "haTangInProgress" = "TicketTally"."haTangInProgress" + excluded."haTangInProgress", "haTangAnswered" = "TicketTally"."haTangAnswered" + excluded."haTangAnswered", "haTangClosed" = "TicketTally"."haTangClosed" + excluded."haTangClosed", "anNinhTratTuNew" = "TicketTally"."anNinhTratTuNew" + excluded."anNinhTratTuNew", "anNinhTratTuInProgress" = "TicketTally"."anNinhTratTuInProgress" + excluded."anNinhTratTuInProgress", "anNinhTratTuAnswered" = "TicketTally"."anNinhTratTuAnswered" + excluded."anNinhTratTuAnswered", "anNinhTratTuClosed" = "TicketTally"."anNinhTratTuClosed" + excluded."anNinhTratTuClosed", "toChucHoiNew" = "TicketTally"."toChucHoiNew" + excluded."toChucHoiNew", "toChucHoiInProgress" = "TicketTally"."toChucHoiInProgress" + excluded."toChucHoiInProgress", "toChucHoiAnswered" = "TicketTally"."toChucHoiAnswered" + excluded."toChucHoiAnswered", "toChucHoiClosed" = "TicketTally"."toChucHoiClosed" + excluded."toChucHoiClosed", "khacNew" = "TicketTally"."khacNew" + excluded."khacNew", "khacInProgress" = "TicketTally"."khacInProgress" + excluded."khacInProgress", "khacAnswered" = "TicketTally"."khacAnswered" + excluded."khacAnswered", "khacClosed" = "TicketTally"."khacClosed" + excluded."khacClosed", "h0" = "TicketTally"."h0" + excluded."h0", "h1" = "TicketTally"."h1" + excluded."h1", "h2" = "TicketTally"."h2" + excluded."h2", "h3" = "TicketTally"."h3" + excluded."h3", "h4" = "TicketTally"."h4" + excluded."h4", "h5" = "TicketTally"."h5" + excluded."h5", "h6" = "TicketTally"."h6" + excluded."h6", "h7" = "TicketTally"."h7" + excluded."h7", "h8" = "TicketTally"."h8" + excluded."h8", "h9" = "TicketTally"."h9" + excluded."h9", "h10" = "TicketTally"."h10" + excluded."h10", "h11" = "TicketTally"."h11" + excluded."h11", "h12" = "TicketTally"."h12" + excluded."h12", "h13" = "TicketTally"."h13" + excluded."h13", "h14" = "TicketTally"."h14" + excluded."h14", "h15" = "TicketTally"."h15" + excluded."h15", "h16" = "TicketTally"."h16" + excluded."h16", "h17" = "TicketTally"."h17" + excluded."h17", "h18" = "TicketTally"."h18" + excluded."h18", "h19" = "TicketTally"."h19" + excluded."h19", "h20" = "TicketTally"."h20" + excluded."h20", "h21" = "TicketTally"."h21" + excluded."h21", "h22" = "TicketTally"."h22" + excluded."h22", "h23" = "TicketTally"."h23" + excluded."h23", "h24" = "TicketTally"."h24" + excluded."h24", "h25" = "TicketTally"."h25" + excluded."h25", "h26" = "TicketTally"."h26" + excluded."h26", "h27" = "TicketTally"."h27" + excluded."h27", "h28" = "TicketTally"."h28" + excluded."h28", "h29" = "TicketTally"."h29" + excluded."h29", "h30" = "TicketTally"."h30" + excluded."h30", "h31" = "TicketTally"."h31" + excluded."h31", "h32" = "TicketTally"."h32" + excluded."h32", "h33" = "TicketTally"."h33" + excluded."h33", "h34" = "TicketTally"."h34" + excluded."h34", "h35" = "TicketTally"."h35" + excluded."h35";
  INSERT INTO "TicketOpenTally" ("unitId", "open") SELECT NEW."unitId", 1 WHERE NEW."status" IN ('new', 'in_progress')
  ON CONFLICT ("unitId") DO UPDATE SET "open" = "TicketOpenTally"."open" + excluded."open";
  DELETE FROM "TicketTally" WHERE "unitId" = OLD."unitId" AND "opened" = 0;
END;

CREATE TRIGGER "Meeting_tally_insert" AFTER INSERT ON "Meeting"
BEGIN
  INSERT INTO "MeetingTally" ("meetingId", "unitId", "startsAt", "subtree", "held") VALUES (NEW."id", NEW."unitId", NEW."startsAt", (NEW."includeSubtree" = 1), (NEW."status" = 'scheduled'));
END;

CREATE TRIGGER "Meeting_tally_update" AFTER UPDATE OF "unitId", "startsAt", "includeSubtree", "status" ON "Meeting"
BEGIN
  UPDATE "MeetingTally" SET "unitId" = NEW."unitId", "startsAt" = NEW."startsAt", "subtree" = (NEW."includeSubtree" = 1), "held" = (NEW."status" = 'scheduled') WHERE "meetingId" = NEW."id";
END;

CREATE TRIGGER "Meeting_tally_delete" AFTER DELETE ON "Meeting"
BEGIN
  DELETE FROM "MeetingTally" WHERE "meetingId" = OLD."id";
END;

CREATE TRIGGER "Rsvp_tally_insert" AFTER INSERT ON "Rsvp"
BEGIN
  UPDATE "MeetingTally" SET "answered" = "answered" + 1, "attending" = "attending" + 1 * (NEW."answer" = 'attend') WHERE "meetingId" = NEW."meetingId";
END;

CREATE TRIGGER "Rsvp_tally_delete" AFTER DELETE ON "Rsvp"
BEGIN
  UPDATE "MeetingTally" SET "answered" = "answered" + -1, "attending" = "attending" + -1 * (OLD."answer" = 'attend') WHERE "meetingId" = OLD."meetingId";
END;

CREATE TRIGGER "Rsvp_tally_update" AFTER UPDATE OF "meetingId", "answer" ON "Rsvp"
BEGIN
  UPDATE "MeetingTally" SET "answered" = "answered" + -1, "attending" = "attending" + -1 * (OLD."answer" = 'attend') WHERE "meetingId" = OLD."meetingId";
  UPDATE "MeetingTally" SET "answered" = "answered" + 1, "attending" = "attending" + 1 * (NEW."answer" = 'attend') WHERE "meetingId" = NEW."meetingId";
END;

CREATE TRIGGER "Attendance_tally_insert" AFTER INSERT ON "Attendance"
BEGIN
  UPDATE "MeetingTally" SET "recorded" = "recorded" + 1, "came" = "came" + 1 * (NEW."present" = 1) WHERE "meetingId" = NEW."meetingId";
END;

CREATE TRIGGER "Attendance_tally_delete" AFTER DELETE ON "Attendance"
BEGIN
  UPDATE "MeetingTally" SET "recorded" = "recorded" + -1, "came" = "came" + -1 * (OLD."present" = 1) WHERE "meetingId" = OLD."meetingId";
END;

CREATE TRIGGER "Attendance_tally_update" AFTER UPDATE OF "meetingId", "present" ON "Attendance"
BEGIN
  UPDATE "MeetingTally" SET "recorded" = "recorded" + -1, "came" = "came" + -1 * (OLD."present" = 1) WHERE "meetingId" = OLD."meetingId";
  UPDATE "MeetingTally" SET "recorded" = "recorded" + 1, "came" = "came" + 1 * (NEW."present" = 1) WHERE "meetingId" = NEW."meetingId";
END;

CREATE TRIGGER "Membership_home_insert" AFTER INSERT ON "Membership"
WHEN NEW."role" IN ('member', 'cadre')
BEGIN
  UPDATE "UnitMemberTally" SET "members" = "UnitMemberTally"."members" - d."n", "linked" = "UnitMemberTally"."linked" - d."linked", "telegram" = "UnitMemberTally"."telegram" - d."telegram", "zalo" = "UnitMemberTally"."zalo" - d."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" - d."zaloBot", "web" = "UnitMemberTally"."web" - d."web"
  FROM (SELECT "unitId", COUNT(*) AS "n", SUM("linked") AS "linked", SUM("telegram") AS "telegram", SUM("zalo") AS "zalo", SUM("zaloBot") AS "zaloBot", SUM("web") AS "web" FROM "PersonHome" WHERE "personId" = NEW."personId" GROUP BY "unitId") d
  WHERE "UnitMemberTally"."unitId" = d."unitId";
  DELETE FROM "PersonHome" WHERE "personId" = NEW."personId";
  INSERT INTO "PersonHome" ("personId", "unitId", "units", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT p."id", h."unitId", h."units", (p."linkedAccounts" > 0),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'telegram')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo_bot')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'web'))
  FROM "Person" p JOIN (
    SELECT m."personId", COUNT(DISTINCT m."unitId") AS "units",
      (SELECT m2."unitId" FROM "Membership" m2 JOIN "Unit" u2 ON u2."id" = m2."unitId"
       WHERE m2."personId" = m."personId" AND m2."role" IN ('member', 'cadre') ORDER BY u2."depth" DESC, u2."id" LIMIT 1) AS "unitId"
    FROM "Membership" m WHERE m."role" IN ('member', 'cadre') AND m."personId" = NEW."personId" GROUP BY m."personId"
  ) h ON h."personId" = p."id"
  WHERE true;
  INSERT INTO "UnitMemberTally" ("unitId", "members", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT "unitId", COUNT(*), SUM("linked"), SUM("telegram"), SUM("zalo"), SUM("zaloBot"), SUM("web") FROM "PersonHome" WHERE "personId" = NEW."personId" GROUP BY "unitId"
  ON CONFLICT ("unitId") DO UPDATE SET "members" = "UnitMemberTally"."members" + excluded."members", "linked" = "UnitMemberTally"."linked" + excluded."linked", "telegram" = "UnitMemberTally"."telegram" + excluded."telegram", "zalo" = "UnitMemberTally"."zalo" + excluded."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" + excluded."zaloBot", "web" = "UnitMemberTally"."web" + excluded."web";
END;

CREATE TRIGGER "Membership_home_delete" AFTER DELETE ON "Membership"
WHEN OLD."role" IN ('member', 'cadre')
BEGIN
  UPDATE "UnitMemberTally" SET "members" = "UnitMemberTally"."members" - d."n", "linked" = "UnitMemberTally"."linked" - d."linked", "telegram" = "UnitMemberTally"."telegram" - d."telegram", "zalo" = "UnitMemberTally"."zalo" - d."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" - d."zaloBot", "web" = "UnitMemberTally"."web" - d."web"
  FROM (SELECT "unitId", COUNT(*) AS "n", SUM("linked") AS "linked", SUM("telegram") AS "telegram", SUM("zalo") AS "zalo", SUM("zaloBot") AS "zaloBot", SUM("web") AS "web" FROM "PersonHome" WHERE "personId" = OLD."personId" GROUP BY "unitId") d
  WHERE "UnitMemberTally"."unitId" = d."unitId";
  DELETE FROM "PersonHome" WHERE "personId" = OLD."personId";
  INSERT INTO "PersonHome" ("personId", "unitId", "units", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT p."id", h."unitId", h."units", (p."linkedAccounts" > 0),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'telegram')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo_bot')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'web'))
  FROM "Person" p JOIN (
    SELECT m."personId", COUNT(DISTINCT m."unitId") AS "units",
      (SELECT m2."unitId" FROM "Membership" m2 JOIN "Unit" u2 ON u2."id" = m2."unitId"
       WHERE m2."personId" = m."personId" AND m2."role" IN ('member', 'cadre') ORDER BY u2."depth" DESC, u2."id" LIMIT 1) AS "unitId"
    FROM "Membership" m WHERE m."role" IN ('member', 'cadre') AND m."personId" = OLD."personId" GROUP BY m."personId"
  ) h ON h."personId" = p."id"
  WHERE true;
  INSERT INTO "UnitMemberTally" ("unitId", "members", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT "unitId", COUNT(*), SUM("linked"), SUM("telegram"), SUM("zalo"), SUM("zaloBot"), SUM("web") FROM "PersonHome" WHERE "personId" = OLD."personId" GROUP BY "unitId"
  ON CONFLICT ("unitId") DO UPDATE SET "members" = "UnitMemberTally"."members" + excluded."members", "linked" = "UnitMemberTally"."linked" + excluded."linked", "telegram" = "UnitMemberTally"."telegram" + excluded."telegram", "zalo" = "UnitMemberTally"."zalo" + excluded."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" + excluded."zaloBot", "web" = "UnitMemberTally"."web" + excluded."web";
END;

CREATE TRIGGER "Membership_home_update" AFTER UPDATE OF "personId", "unitId", "role" ON "Membership"
BEGIN
  UPDATE "UnitMemberTally" SET "members" = "UnitMemberTally"."members" - d."n", "linked" = "UnitMemberTally"."linked" - d."linked", "telegram" = "UnitMemberTally"."telegram" - d."telegram", "zalo" = "UnitMemberTally"."zalo" - d."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" - d."zaloBot", "web" = "UnitMemberTally"."web" - d."web"
  FROM (SELECT "unitId", COUNT(*) AS "n", SUM("linked") AS "linked", SUM("telegram") AS "telegram", SUM("zalo") AS "zalo", SUM("zaloBot") AS "zaloBot", SUM("web") AS "web" FROM "PersonHome" WHERE "personId" IN (OLD."personId", NEW."personId") GROUP BY "unitId") d
  WHERE "UnitMemberTally"."unitId" = d."unitId";
  DELETE FROM "PersonHome" WHERE "personId" IN (OLD."personId", NEW."personId");
  INSERT INTO "PersonHome" ("personId", "unitId", "units", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT p."id", h."unitId", h."units", (p."linkedAccounts" > 0),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'telegram')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo_bot')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'web'))
  FROM "Person" p JOIN (
    SELECT m."personId", COUNT(DISTINCT m."unitId") AS "units",
      (SELECT m2."unitId" FROM "Membership" m2 JOIN "Unit" u2 ON u2."id" = m2."unitId"
       WHERE m2."personId" = m."personId" AND m2."role" IN ('member', 'cadre') ORDER BY u2."depth" DESC, u2."id" LIMIT 1) AS "unitId"
    FROM "Membership" m WHERE m."role" IN ('member', 'cadre') AND m."personId" IN (OLD."personId", NEW."personId") GROUP BY m."personId"
  ) h ON h."personId" = p."id"
  WHERE true;
  INSERT INTO "UnitMemberTally" ("unitId", "members", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT "unitId", COUNT(*), SUM("linked"), SUM("telegram"), SUM("zalo"), SUM("zaloBot"), SUM("web") FROM "PersonHome" WHERE "personId" IN (OLD."personId", NEW."personId") GROUP BY "unitId"
  ON CONFLICT ("unitId") DO UPDATE SET "members" = "UnitMemberTally"."members" + excluded."members", "linked" = "UnitMemberTally"."linked" + excluded."linked", "telegram" = "UnitMemberTally"."telegram" + excluded."telegram", "zalo" = "UnitMemberTally"."zalo" + excluded."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" + excluded."zaloBot", "web" = "UnitMemberTally"."web" + excluded."web";
END;

CREATE TRIGGER "Person_home_linked" AFTER UPDATE OF "linkedAccounts" ON "Person"
WHEN (OLD."linkedAccounts" > 0) != (NEW."linkedAccounts" > 0)
BEGIN
  UPDATE "UnitMemberTally" SET "members" = "UnitMemberTally"."members" - d."n", "linked" = "UnitMemberTally"."linked" - d."linked", "telegram" = "UnitMemberTally"."telegram" - d."telegram", "zalo" = "UnitMemberTally"."zalo" - d."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" - d."zaloBot", "web" = "UnitMemberTally"."web" - d."web"
  FROM (SELECT "unitId", COUNT(*) AS "n", SUM("linked") AS "linked", SUM("telegram") AS "telegram", SUM("zalo") AS "zalo", SUM("zaloBot") AS "zaloBot", SUM("web") AS "web" FROM "PersonHome" WHERE "personId" = NEW."id" GROUP BY "unitId") d
  WHERE "UnitMemberTally"."unitId" = d."unitId";
  DELETE FROM "PersonHome" WHERE "personId" = NEW."id";
  INSERT INTO "PersonHome" ("personId", "unitId", "units", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT p."id", h."unitId", h."units", (p."linkedAccounts" > 0),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'telegram')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo_bot')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'web'))
  FROM "Person" p JOIN (
    SELECT m."personId", COUNT(DISTINCT m."unitId") AS "units",
      (SELECT m2."unitId" FROM "Membership" m2 JOIN "Unit" u2 ON u2."id" = m2."unitId"
       WHERE m2."personId" = m."personId" AND m2."role" IN ('member', 'cadre') ORDER BY u2."depth" DESC, u2."id" LIMIT 1) AS "unitId"
    FROM "Membership" m WHERE m."role" IN ('member', 'cadre') AND m."personId" = NEW."id" GROUP BY m."personId"
  ) h ON h."personId" = p."id"
  WHERE true;
  INSERT INTO "UnitMemberTally" ("unitId", "members", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT "unitId", COUNT(*), SUM("linked"), SUM("telegram"), SUM("zalo"), SUM("zaloBot"), SUM("web") FROM "PersonHome" WHERE "personId" = NEW."id" GROUP BY "unitId"
  ON CONFLICT ("unitId") DO UPDATE SET "members" = "UnitMemberTally"."members" + excluded."members", "linked" = "UnitMemberTally"."linked" + excluded."linked", "telegram" = "UnitMemberTally"."telegram" + excluded."telegram", "zalo" = "UnitMemberTally"."zalo" + excluded."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" + excluded."zaloBot", "web" = "UnitMemberTally"."web" + excluded."web";
END;

CREATE TRIGGER "ChatAccount_home_insert" AFTER INSERT ON "ChatAccount"
WHEN NEW."personId" IS NOT NULL
BEGIN
  UPDATE "UnitMemberTally" SET "members" = "UnitMemberTally"."members" - d."n", "linked" = "UnitMemberTally"."linked" - d."linked", "telegram" = "UnitMemberTally"."telegram" - d."telegram", "zalo" = "UnitMemberTally"."zalo" - d."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" - d."zaloBot", "web" = "UnitMemberTally"."web" - d."web"
  FROM (SELECT "unitId", COUNT(*) AS "n", SUM("linked") AS "linked", SUM("telegram") AS "telegram", SUM("zalo") AS "zalo", SUM("zaloBot") AS "zaloBot", SUM("web") AS "web" FROM "PersonHome" WHERE "personId" = NEW."personId" GROUP BY "unitId") d
  WHERE "UnitMemberTally"."unitId" = d."unitId";
  DELETE FROM "PersonHome" WHERE "personId" = NEW."personId";
  INSERT INTO "PersonHome" ("personId", "unitId", "units", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT p."id", h."unitId", h."units", (p."linkedAccounts" > 0),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'telegram')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo_bot')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'web'))
  FROM "Person" p JOIN (
    SELECT m."personId", COUNT(DISTINCT m."unitId") AS "units",
      (SELECT m2."unitId" FROM "Membership" m2 JOIN "Unit" u2 ON u2."id" = m2."unitId"
       WHERE m2."personId" = m."personId" AND m2."role" IN ('member', 'cadre') ORDER BY u2."depth" DESC, u2."id" LIMIT 1) AS "unitId"
    FROM "Membership" m WHERE m."role" IN ('member', 'cadre') AND m."personId" = NEW."personId" GROUP BY m."personId"
  ) h ON h."personId" = p."id"
  WHERE true;
  INSERT INTO "UnitMemberTally" ("unitId", "members", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT "unitId", COUNT(*), SUM("linked"), SUM("telegram"), SUM("zalo"), SUM("zaloBot"), SUM("web") FROM "PersonHome" WHERE "personId" = NEW."personId" GROUP BY "unitId"
  ON CONFLICT ("unitId") DO UPDATE SET "members" = "UnitMemberTally"."members" + excluded."members", "linked" = "UnitMemberTally"."linked" + excluded."linked", "telegram" = "UnitMemberTally"."telegram" + excluded."telegram", "zalo" = "UnitMemberTally"."zalo" + excluded."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" + excluded."zaloBot", "web" = "UnitMemberTally"."web" + excluded."web";
END;

CREATE TRIGGER "ChatAccount_home_delete" AFTER DELETE ON "ChatAccount"
WHEN OLD."personId" IS NOT NULL
BEGIN
  UPDATE "UnitMemberTally" SET "members" = "UnitMemberTally"."members" - d."n", "linked" = "UnitMemberTally"."linked" - d."linked", "telegram" = "UnitMemberTally"."telegram" - d."telegram", "zalo" = "UnitMemberTally"."zalo" - d."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" - d."zaloBot", "web" = "UnitMemberTally"."web" - d."web"
  FROM (SELECT "unitId", COUNT(*) AS "n", SUM("linked") AS "linked", SUM("telegram") AS "telegram", SUM("zalo") AS "zalo", SUM("zaloBot") AS "zaloBot", SUM("web") AS "web" FROM "PersonHome" WHERE "personId" = OLD."personId" GROUP BY "unitId") d
  WHERE "UnitMemberTally"."unitId" = d."unitId";
  DELETE FROM "PersonHome" WHERE "personId" = OLD."personId";
  INSERT INTO "PersonHome" ("personId", "unitId", "units", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT p."id", h."unitId", h."units", (p."linkedAccounts" > 0),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'telegram')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo_bot')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'web'))
  FROM "Person" p JOIN (
    SELECT m."personId", COUNT(DISTINCT m."unitId") AS "units",
      (SELECT m2."unitId" FROM "Membership" m2 JOIN "Unit" u2 ON u2."id" = m2."unitId"
       WHERE m2."personId" = m."personId" AND m2."role" IN ('member', 'cadre') ORDER BY u2."depth" DESC, u2."id" LIMIT 1) AS "unitId"
    FROM "Membership" m WHERE m."role" IN ('member', 'cadre') AND m."personId" = OLD."personId" GROUP BY m."personId"
  ) h ON h."personId" = p."id"
  WHERE true;
  INSERT INTO "UnitMemberTally" ("unitId", "members", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT "unitId", COUNT(*), SUM("linked"), SUM("telegram"), SUM("zalo"), SUM("zaloBot"), SUM("web") FROM "PersonHome" WHERE "personId" = OLD."personId" GROUP BY "unitId"
  ON CONFLICT ("unitId") DO UPDATE SET "members" = "UnitMemberTally"."members" + excluded."members", "linked" = "UnitMemberTally"."linked" + excluded."linked", "telegram" = "UnitMemberTally"."telegram" + excluded."telegram", "zalo" = "UnitMemberTally"."zalo" + excluded."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" + excluded."zaloBot", "web" = "UnitMemberTally"."web" + excluded."web";
END;

CREATE TRIGGER "ChatAccount_home_update" AFTER UPDATE OF "personId", "platform" ON "ChatAccount"
BEGIN
  UPDATE "UnitMemberTally" SET "members" = "UnitMemberTally"."members" - d."n", "linked" = "UnitMemberTally"."linked" - d."linked", "telegram" = "UnitMemberTally"."telegram" - d."telegram", "zalo" = "UnitMemberTally"."zalo" - d."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" - d."zaloBot", "web" = "UnitMemberTally"."web" - d."web"
  FROM (SELECT "unitId", COUNT(*) AS "n", SUM("linked") AS "linked", SUM("telegram") AS "telegram", SUM("zalo") AS "zalo", SUM("zaloBot") AS "zaloBot", SUM("web") AS "web" FROM "PersonHome" WHERE "personId" IN (OLD."personId", NEW."personId") GROUP BY "unitId") d
  WHERE "UnitMemberTally"."unitId" = d."unitId";
  DELETE FROM "PersonHome" WHERE "personId" IN (OLD."personId", NEW."personId");
  INSERT INTO "PersonHome" ("personId", "unitId", "units", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT p."id", h."unitId", h."units", (p."linkedAccounts" > 0),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'telegram')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo_bot')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'web'))
  FROM "Person" p JOIN (
    SELECT m."personId", COUNT(DISTINCT m."unitId") AS "units",
      (SELECT m2."unitId" FROM "Membership" m2 JOIN "Unit" u2 ON u2."id" = m2."unitId"
       WHERE m2."personId" = m."personId" AND m2."role" IN ('member', 'cadre') ORDER BY u2."depth" DESC, u2."id" LIMIT 1) AS "unitId"
    FROM "Membership" m WHERE m."role" IN ('member', 'cadre') AND m."personId" IN (OLD."personId", NEW."personId") GROUP BY m."personId"
  ) h ON h."personId" = p."id"
  WHERE true;
  INSERT INTO "UnitMemberTally" ("unitId", "members", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT "unitId", COUNT(*), SUM("linked"), SUM("telegram"), SUM("zalo"), SUM("zaloBot"), SUM("web") FROM "PersonHome" WHERE "personId" IN (OLD."personId", NEW."personId") GROUP BY "unitId"
  ON CONFLICT ("unitId") DO UPDATE SET "members" = "UnitMemberTally"."members" + excluded."members", "linked" = "UnitMemberTally"."linked" + excluded."linked", "telegram" = "UnitMemberTally"."telegram" + excluded."telegram", "zalo" = "UnitMemberTally"."zalo" + excluded."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" + excluded."zaloBot", "web" = "UnitMemberTally"."web" + excluded."web";
END;

CREATE TRIGGER "Unit_home_depth" AFTER UPDATE OF "depth" ON "Unit"
WHEN OLD."depth" != NEW."depth"
BEGIN
  UPDATE "UnitMemberTally" SET "members" = "UnitMemberTally"."members" - d."n", "linked" = "UnitMemberTally"."linked" - d."linked", "telegram" = "UnitMemberTally"."telegram" - d."telegram", "zalo" = "UnitMemberTally"."zalo" - d."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" - d."zaloBot", "web" = "UnitMemberTally"."web" - d."web"
  FROM (SELECT "unitId", COUNT(*) AS "n", SUM("linked") AS "linked", SUM("telegram") AS "telegram", SUM("zalo") AS "zalo", SUM("zaloBot") AS "zaloBot", SUM("web") AS "web" FROM "PersonHome" WHERE "personId" IN (SELECT "personId" FROM "Membership" WHERE "unitId" = NEW."id" AND "role" IN ('member', 'cadre')) GROUP BY "unitId") d
  WHERE "UnitMemberTally"."unitId" = d."unitId";
  DELETE FROM "PersonHome" WHERE "personId" IN (SELECT "personId" FROM "Membership" WHERE "unitId" = NEW."id" AND "role" IN ('member', 'cadre'));
  INSERT INTO "PersonHome" ("personId", "unitId", "units", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT p."id", h."unitId", h."units", (p."linkedAccounts" > 0),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'telegram')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo_bot')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'web'))
  FROM "Person" p JOIN (
    SELECT m."personId", COUNT(DISTINCT m."unitId") AS "units",
      (SELECT m2."unitId" FROM "Membership" m2 JOIN "Unit" u2 ON u2."id" = m2."unitId"
       WHERE m2."personId" = m."personId" AND m2."role" IN ('member', 'cadre') ORDER BY u2."depth" DESC, u2."id" LIMIT 1) AS "unitId"
    FROM "Membership" m WHERE m."role" IN ('member', 'cadre') AND m."personId" IN (SELECT "personId" FROM "Membership" WHERE "unitId" = NEW."id" AND "role" IN ('member', 'cadre')) GROUP BY m."personId"
  ) h ON h."personId" = p."id"
  WHERE true;
  INSERT INTO "UnitMemberTally" ("unitId", "members", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT "unitId", COUNT(*), SUM("linked"), SUM("telegram"), SUM("zalo"), SUM("zaloBot"), SUM("web") FROM "PersonHome" WHERE "personId" IN (SELECT "personId" FROM "Membership" WHERE "unitId" = NEW."id" AND "role" IN ('member', 'cadre')) GROUP BY "unitId"
  ON CONFLICT ("unitId") DO UPDATE SET "members" = "UnitMemberTally"."members" + excluded."members", "linked" = "UnitMemberTally"."linked" + excluded."linked", "telegram" = "UnitMemberTally"."telegram" + excluded."telegram", "zalo" = "UnitMemberTally"."zalo" + excluded."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" + excluded."zaloBot", "web" = "UnitMemberTally"."web" + excluded."web";
END;

-- Backfill of an existing database.
INSERT INTO "TicketTally" ("unitId", "span", "start", "opened", "answered", "rated", "satisfiedCount", "cheDoChinhSachNew", "cheDoChinhSachInProgress", "cheDoChinhSachAnswered", "cheDoChinhSachClosed", "doiSongNew", "doiSongInProgress", "doiSongAnswered", "doiSongClosed", "haTangNew", "haTangInProgress", "haTangAnswered", "haTangClosed", "anNinhTratTuNew", "anNinhTratTuInProgress", "anNinhTratTuAnswered", "anNinhTratTuClosed", "toChucHoiNew", "toChucHoiInProgress", "toChucHoiAnswered", "toChucHoiClosed", "khacNew", "khacInProgress", "khacAnswered", "khacClosed", "h0", "h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9", "h10", "h11", "h12", "h13", "h14", "h15", "h16", "h17", "h18", "h19", "h20", "h21", "h22", "h23", "h24", "h25", "h26", "h27", "h28", "h29", "h30", "h31", "h32", "h33", "h34", "h35")
SELECT x."unitId", s."span", (x."createdAt" / 86400000) / s."span" * s."span", COUNT(*), SUM((x."firstAnsweredAt" IS NOT NULL)), SUM((x."satisfied" IS NOT NULL)), SUM(COALESCE(x."satisfied" = 1, 0)),
  SUM((x."category" = 'che_do_chinh_sach' AND x."status" = 'new')),
  SUM((x."category" = 'che_do_chinh_sach' AND x."status" = 'in_progress')),
  SUM((x."category" = 'che_do_chinh_sach' AND x."status" = 'answered')),
  SUM((x."category" = 'che_do_chinh_sach' AND x."status" = 'closed')),
  SUM((x."category" = 'doi_song' AND x."status" = 'new')),
  SUM((x."category" = 'doi_song' AND x."status" = 'in_progress')),
  SUM((x."category" = 'doi_song' AND x."status" = 'answered')),
  SUM((x."category" = 'doi_song' AND x."status" = 'closed')),
  SUM((x."category" = 'ha_tang' AND x."status" = 'new')),
  SUM((x."category" = 'ha_tang' AND x."status" = 'in_progress')),
  SUM((x."category" = 'ha_tang' AND x."status" = 'answered')),
  SUM((x."category" = 'ha_tang' AND x."status" = 'closed')),
  SUM((x."category" = 'an_ninh_trat_tu' AND x."status" = 'new')),
  SUM((x."category" = 'an_ninh_trat_tu' AND x."status" = 'in_progress')),
  SUM((x."category" = 'an_ninh_trat_tu' AND x."status" = 'answered')),
  SUM((x."category" = 'an_ninh_trat_tu' AND x."status" = 'closed')),
  SUM((x."category" = 'to_chuc_hoi' AND x."status" = 'new')),
  SUM((x."category" = 'to_chuc_hoi' AND x."status" = 'in_progress')),
  SUM((x."category" = 'to_chuc_hoi' AND x."status" = 'answered')),
  SUM((x."category" = 'to_chuc_hoi' AND x."status" = 'closed')),
  SUM((x."category" = 'khac' AND x."status" = 'new')),
  SUM((x."category" = 'khac' AND x."status" = 'in_progress')),
  SUM((x."category" = 'khac' AND x."status" = 'answered')),
  SUM((x."category" = 'khac' AND x."status" = 'closed')),
  SUM((x."b" = 0)), SUM((x."b" = 1)), SUM((x."b" = 2)), SUM((x."b" = 3)), SUM((x."b" = 4)), SUM((x."b" = 5)), SUM((x."b" = 6)), SUM((x."b" = 7)), SUM((x."b" = 8)), SUM((x."b" = 9)), SUM((x."b" = 10)), SUM((x."b" = 11)), SUM((x."b" = 12)), SUM((x."b" = 13)), SUM((x."b" = 14)), SUM((x."b" = 15)), SUM((x."b" = 16)), SUM((x."b" = 17)), SUM((x."b" = 18)), SUM((x."b" = 19)), SUM((x."b" = 20)), SUM((x."b" = 21)), SUM((x."b" = 22)), SUM((x."b" = 23)), SUM((x."b" = 24)), SUM((x."b" = 25)), SUM((x."b" = 26)), SUM((x."b" = 27)), SUM((x."b" = 28)), SUM((x."b" = 29)), SUM((x."b" = 30)), SUM((x."b" = 31)), SUM((x."b" = 32)), SUM((x."b" = 33)), SUM((x."b" = 34)), SUM((x."b" = 35))
FROM (SELECT t."unitId", t."createdAt", t."firstAnsweredAt", t."satisfied", t."category", t."status", CASE WHEN t."firstAnsweredAt" IS NULL THEN -1 WHEN t."firstAnsweredAt" - t."createdAt" < 60000 THEN 0 WHEN t."firstAnsweredAt" - t."createdAt" < 84853 THEN 1 WHEN t."firstAnsweredAt" - t."createdAt" < 120000 THEN 2 WHEN t."firstAnsweredAt" - t."createdAt" < 169706 THEN 3 WHEN t."firstAnsweredAt" - t."createdAt" < 240000 THEN 4 WHEN t."firstAnsweredAt" - t."createdAt" < 339411 THEN 5 WHEN t."firstAnsweredAt" - t."createdAt" < 480000 THEN 6 WHEN t."firstAnsweredAt" - t."createdAt" < 678823 THEN 7 WHEN t."firstAnsweredAt" - t."createdAt" < 960000 THEN 8 WHEN t."firstAnsweredAt" - t."createdAt" < 1357645 THEN 9 WHEN t."firstAnsweredAt" - t."createdAt" < 1920000 THEN 10 WHEN t."firstAnsweredAt" - t."createdAt" < 2715290 THEN 11 WHEN t."firstAnsweredAt" - t."createdAt" < 3840000 THEN 12 WHEN t."firstAnsweredAt" - t."createdAt" < 5430580 THEN 13 WHEN t."firstAnsweredAt" - t."createdAt" < 7680000 THEN 14 WHEN t."firstAnsweredAt" - t."createdAt" < 10861160 THEN 15 WHEN t."firstAnsweredAt" - t."createdAt" < 15360000 THEN 16 WHEN t."firstAnsweredAt" - t."createdAt" < 21722320 THEN 17 WHEN t."firstAnsweredAt" - t."createdAt" < 30720000 THEN 18 WHEN t."firstAnsweredAt" - t."createdAt" < 43444641 THEN 19 WHEN t."firstAnsweredAt" - t."createdAt" < 61440000 THEN 20 WHEN t."firstAnsweredAt" - t."createdAt" < 86889281 THEN 21 WHEN t."firstAnsweredAt" - t."createdAt" < 122880000 THEN 22 WHEN t."firstAnsweredAt" - t."createdAt" < 173778563 THEN 23 WHEN t."firstAnsweredAt" - t."createdAt" < 245760000 THEN 24 WHEN t."firstAnsweredAt" - t."createdAt" < 347557125 THEN 25 WHEN t."firstAnsweredAt" - t."createdAt" < 491520000 THEN 26 WHEN t."firstAnsweredAt" - t."createdAt" < 695114250 THEN 27 WHEN t."firstAnsweredAt" - t."createdAt" < 983040000 THEN 28 WHEN t."firstAnsweredAt" - t."createdAt" < 1390228500 THEN 29 WHEN t."firstAnsweredAt" - t."createdAt" < 1966080000 THEN 30 WHEN t."firstAnsweredAt" - t."createdAt" < 2780457001 THEN 31 WHEN t."firstAnsweredAt" - t."createdAt" < 3932160000 THEN 32 WHEN t."firstAnsweredAt" - t."createdAt" < 5560914001 THEN 33 WHEN t."firstAnsweredAt" - t."createdAt" < 7864320000 THEN 34 ELSE 35 END AS "b" FROM "Ticket" t) x, (SELECT 1 AS "span" UNION ALL SELECT 32) s
GROUP BY x."unitId", s."span", (x."createdAt" / 86400000) / s."span" * s."span";

INSERT INTO "TicketOpenTally" ("unitId", "open") SELECT "unitId", COUNT(*) FROM "Ticket" WHERE "status" IN ('new', 'in_progress') GROUP BY "unitId";

INSERT INTO "MeetingTally" ("meetingId", "unitId", "startsAt", "subtree", "held", "answered", "attending", "recorded", "came")
SELECT mt."id", mt."unitId", mt."startsAt", (mt."includeSubtree" = 1), (mt."status" = 'scheduled'),
  COALESCE(r."answered", 0), COALESCE(r."attending", 0), COALESCE(a."recorded", 0), COALESCE(a."came", 0)
FROM "Meeting" mt
LEFT JOIN (SELECT "meetingId", COUNT(*) AS "answered", SUM(("answer" = 'attend')) AS "attending" FROM "Rsvp" GROUP BY "meetingId") r ON r."meetingId" = mt."id"
LEFT JOIN (SELECT "meetingId", COUNT(*) AS "recorded", SUM(("present" = 1)) AS "came" FROM "Attendance" GROUP BY "meetingId") a ON a."meetingId" = mt."id";

INSERT INTO "PersonHome" ("personId", "unitId", "units", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT p."id", h."unitId", h."units", (p."linkedAccounts" > 0),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'telegram')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'zalo_bot')),
    (p."linkedAccounts" > 0 AND EXISTS (SELECT 1 FROM "ChatAccount" a WHERE a."personId" = p."id" AND a."platform" = 'web'))
  FROM "Person" p JOIN (
    SELECT m."personId", COUNT(DISTINCT m."unitId") AS "units",
      (SELECT m2."unitId" FROM "Membership" m2 JOIN "Unit" u2 ON u2."id" = m2."unitId"
       WHERE m2."personId" = m."personId" AND m2."role" IN ('member', 'cadre') ORDER BY u2."depth" DESC, u2."id" LIMIT 1) AS "unitId"
    FROM "Membership" m WHERE m."role" IN ('member', 'cadre') AND true GROUP BY m."personId"
  ) h ON h."personId" = p."id"
  WHERE true;

INSERT INTO "UnitMemberTally" ("unitId", "members", "linked", "telegram", "zalo", "zaloBot", "web")
SELECT "unitId", COUNT(*), SUM("linked"), SUM("telegram"), SUM("zalo"), SUM("zaloBot"), SUM("web") FROM "PersonHome" GROUP BY "unitId";
