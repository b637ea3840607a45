-- The queue is read and claimed in (priority, ord, id) order on (status, platform, priority, ord, id);
-- (status, platform, priority, id) served no query any more and cost an entry to write on every
-- insert and every status change (pending -> sending -> sent) of every message.
-- DropIndex
DROP INDEX "Outbox_status_platform_priority_id_idx";
