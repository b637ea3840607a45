-- Roster import (issue 11): "Membership_home_insert" refreshed the person's home unit once per inserted
-- row, seven statements a row (about 1 s of a 100,000-row import). A bulk writer can now defer it:
-- while the "Setting" row 'membership_home:deferred' exists (inside the writer's transaction, so no
-- one else ever sees it), inserts skip the refresh; deleting the row refreshes, in one set of
-- statements, the people listed in its value (a JSON array of person ids): the same refresh as the
-- row trigger's, which recomputes each person's home from the tables as they are, so the result is
-- the same. PostgreSQL's trigger already runs once per statement (see its migration of this name).
DROP TRIGGER "Membership_home_insert";

CREATE TRIGGER "Membership_home_insert" AFTER INSERT ON "Membership"
WHEN NEW."role" IN ('member', 'cadre') AND NOT EXISTS (SELECT 1 FROM "Setting" WHERE "key" = 'membership_home:deferred')
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

CREATE TRIGGER "Membership_home_deferred" AFTER DELETE ON "Setting"
WHEN OLD."key" = 'membership_home:deferred'
BEGIN
  UPDATE "UnitMemberTally" SET "members" = "UnitMemberTally"."members" - d."n", "linked" = "UnitMemberTally"."linked" - d."linked", "telegram" = "UnitMemberTally"."telegram" - d."telegram", "zalo" = "UnitMemberTally"."zalo" - d."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" - d."zaloBot", "web" = "UnitMemberTally"."web" - d."web"
  FROM (SELECT "unitId", COUNT(*) AS "n", SUM("linked") AS "linked", SUM("telegram") AS "telegram", SUM("zalo") AS "zalo", SUM("zaloBot") AS "zaloBot", SUM("web") AS "web" FROM "PersonHome" WHERE "personId" IN (SELECT "value" FROM json_each(OLD."value")) GROUP BY "unitId") d
  WHERE "UnitMemberTally"."unitId" = d."unitId";
  DELETE FROM "PersonHome" WHERE "personId" IN (SELECT "value" FROM json_each(OLD."value"));
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
    FROM "Membership" m WHERE m."role" IN ('member', 'cadre') AND m."personId" IN (SELECT "value" FROM json_each(OLD."value")) GROUP BY m."personId"
  ) h ON h."personId" = p."id"
  WHERE true;
  INSERT INTO "UnitMemberTally" ("unitId", "members", "linked", "telegram", "zalo", "zaloBot", "web")
  SELECT "unitId", COUNT(*), SUM("linked"), SUM("telegram"), SUM("zalo"), SUM("zaloBot"), SUM("web") FROM "PersonHome" WHERE "personId" IN (SELECT "value" FROM json_each(OLD."value")) GROUP BY "unitId"
  ON CONFLICT ("unitId") DO UPDATE SET "members" = "UnitMemberTally"."members" + excluded."members", "linked" = "UnitMemberTally"."linked" + excluded."linked", "telegram" = "UnitMemberTally"."telegram" + excluded."telegram", "zalo" = "UnitMemberTally"."zalo" + excluded."zalo", "zaloBot" = "UnitMemberTally"."zaloBot" + excluded."zaloBot", "web" = "UnitMemberTally"."web" + excluded."web";
END;
