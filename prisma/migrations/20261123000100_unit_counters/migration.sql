-- Keeps Unit.memberCount (distinct people with a membership in the unit) and Unit.linkedCount
-- (those of them with a linked chat account) up to date, so roll-ups never scan memberships.

CREATE TRIGGER "Membership_count_insert" AFTER INSERT ON "Membership"
WHEN (SELECT COUNT(*) FROM "Membership" WHERE "personId" = NEW."personId" AND "unitId" = NEW."unitId") = 1
BEGIN
  UPDATE "Unit" SET "memberCount" = "memberCount" + 1,
    "linkedCount" = "linkedCount" + (SELECT CASE WHEN "linkedAccounts" > 0 THEN 1 ELSE 0 END FROM "Person" WHERE "id" = NEW."personId")
  WHERE "id" = NEW."unitId";
END;

CREATE TRIGGER "Membership_count_delete" AFTER DELETE ON "Membership"
WHEN (SELECT COUNT(*) FROM "Membership" WHERE "personId" = OLD."personId" AND "unitId" = OLD."unitId") = 0
BEGIN
  UPDATE "Unit" SET "memberCount" = "memberCount" - 1,
    "linkedCount" = "linkedCount" - COALESCE((SELECT CASE WHEN "linkedAccounts" > 0 THEN 1 ELSE 0 END FROM "Person" WHERE "id" = OLD."personId"), 0)
  WHERE "id" = OLD."unitId";
END;

CREATE TRIGGER "Person_linked_count" AFTER UPDATE OF "linkedAccounts" ON "Person"
WHEN (OLD."linkedAccounts" > 0) != (NEW."linkedAccounts" > 0)
BEGIN
  UPDATE "Unit" SET "linkedCount" = "linkedCount" + CASE WHEN NEW."linkedAccounts" > 0 THEN 1 ELSE -1 END
  WHERE "id" IN (SELECT DISTINCT "unitId" FROM "Membership" WHERE "personId" = NEW."id");
END;
