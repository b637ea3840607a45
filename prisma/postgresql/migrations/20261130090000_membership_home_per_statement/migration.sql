-- "Membership_home_insert" ran "PersonHome_refresh" once per inserted row: a 500-row INSERT
-- (roster import, db copy) paid it 500 times, ~3.3 ms a row on the benchmark machine under load,
-- 5 min for a 100,000-row roster. Once per statement with the distinct people of the new rows:
-- the refresh recomputes those people's home from the table as it is, so the result is the same.
DROP TRIGGER "Membership_home_insert" ON "Membership";

CREATE FUNCTION "Membership_home_insert_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM "PersonHome_refresh"(ARRAY(SELECT DISTINCT "personId" FROM new_rows WHERE "role" IN ('member', 'cadre')));
  RETURN NULL;
END $$;

CREATE TRIGGER "Membership_home_insert" AFTER INSERT ON "Membership"
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "Membership_home_insert_rows"();
