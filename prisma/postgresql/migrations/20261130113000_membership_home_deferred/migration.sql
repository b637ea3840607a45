-- SQLite only (see prisma/migrations of the same name): a bulk writer defers its per-row
-- "Membership_home_insert" trigger. PostgreSQL's already runs once per statement; nothing changes.
SELECT 1;
