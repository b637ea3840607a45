-- Unit.path must compare byte by byte ('/' before '0'): subtrees are range scans
-- (path >= '/1/5/' AND path < '/1/50') and path order lists parents before children. A database
-- created with a linguistic collation (en_US.UTF-8, vi_VN.UTF-8: most servers) ignores the
-- slashes, which would break both. The "C" collation compares bytes, as SQLite does.
ALTER TABLE "Unit" ALTER COLUMN "path" TYPE TEXT COLLATE "C";
