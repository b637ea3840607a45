-- PostgreSQL only (see prisma/postgresql/migrations of the same name): its "Membership_home_insert"
-- trigger now runs once per statement. SQLite keeps its row triggers, which cost little in-process.
SELECT 1;
