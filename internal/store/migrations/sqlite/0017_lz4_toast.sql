-- PostgreSQL's 0400 compresses large values with lz4; SQLite stores them
-- as they are. Kept so that both engines number their migrations alike.
SELECT 1;
