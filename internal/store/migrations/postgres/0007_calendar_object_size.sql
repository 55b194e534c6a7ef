-- The size in bytes of each calendar object, so that a user's quota (the
-- objects and bytes of their built-in calendar) is summed without reading
-- the data. 0085: issue 8, item 5; numbers may have gaps (migrate.go).
ALTER TABLE calendar_objects ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
UPDATE calendar_objects SET size = octet_length(data);
