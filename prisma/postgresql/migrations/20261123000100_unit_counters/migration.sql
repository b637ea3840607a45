-- Keeps Unit.memberCount (distinct people with a membership in the unit) and Unit.linkedCount
-- (those of them with a linked chat account) up to date, so roll-ups never scan memberships.
-- PostgreSQL form of the SQLite triggers of the same migration.

-- Statement-level (transition tables): a multi-row INSERT or DELETE counts each person once per
-- unit, as SQLite's row triggers do when they fire row by row.
CREATE FUNCTION "Membership_count_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Unit" u SET "memberCount" = u."memberCount" + d.n, "linkedCount" = u."linkedCount" + d.l
  FROM (
    SELECT nr."unitId", COUNT(DISTINCT nr."personId") AS n,
           COUNT(DISTINCT nr."personId") FILTER (WHERE p."linkedAccounts" > 0) AS l
    FROM new_rows nr JOIN "Person" p ON p."id" = nr."personId"
    WHERE NOT EXISTS (
      SELECT 1 FROM "Membership" m
      WHERE m."personId" = nr."personId" AND m."unitId" = nr."unitId" AND m."id" NOT IN (SELECT "id" FROM new_rows))
    GROUP BY nr."unitId"
  ) d
  WHERE u."id" = d."unitId";
  RETURN NULL;
END $$;

CREATE TRIGGER "Membership_count_insert" AFTER INSERT ON "Membership"
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "Membership_count_insert"();

CREATE FUNCTION "Membership_count_delete"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "Unit" u SET "memberCount" = u."memberCount" - d.n, "linkedCount" = u."linkedCount" - d.l
  FROM (
    SELECT o."unitId", COUNT(DISTINCT o."personId") AS n,
           COUNT(DISTINCT o."personId") FILTER (WHERE p."linkedAccounts" > 0) AS l
    FROM old_rows o LEFT JOIN "Person" p ON p."id" = o."personId"
    WHERE NOT EXISTS (SELECT 1 FROM "Membership" m WHERE m."personId" = o."personId" AND m."unitId" = o."unitId")
    GROUP BY o."unitId"
  ) d
  WHERE u."id" = d."unitId";
  RETURN NULL;
END $$;

CREATE TRIGGER "Membership_count_delete" AFTER DELETE ON "Membership"
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "Membership_count_delete"();

CREATE FUNCTION "Person_linked_count"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD."linkedAccounts" > 0) <> (NEW."linkedAccounts" > 0) THEN
    UPDATE "Unit" SET "linkedCount" = "linkedCount" + CASE WHEN NEW."linkedAccounts" > 0 THEN 1 ELSE -1 END
    WHERE "id" IN (SELECT DISTINCT "unitId" FROM "Membership" WHERE "personId" = NEW."id");
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "Person_linked_count" AFTER UPDATE OF "linkedAccounts" ON "Person"
FOR EACH ROW EXECUTE FUNCTION "Person_linked_count"();
