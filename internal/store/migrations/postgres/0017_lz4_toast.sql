-- Large values (a mail's body, a calendar object, a meeting's video
-- meeting with its invitation text) are compressed by PostgreSQL when a row
-- passes about 2 kB. Its default, pglz, costs about three times the CPU of
-- lz4 for the same size (measured on the outbox's bodies: 12.0 kB each,
-- 4.97 kB with pglz, 5.2 kB with lz4), and every booking writes two such
-- bodies. New values use lz4 where the server has it (PostgreSQL 14 and
-- later, built with lz4: the setting lists it); stored values stay as they
-- are, and read either way.
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
		ALTER TABLE mail_outbox ALTER COLUMN raw SET COMPRESSION lz4;
		ALTER TABLE calendar_objects ALTER COLUMN data SET COMPRESSION lz4;
		ALTER TABLE meetings ALTER COLUMN video SET COMPRESSION lz4;
		ALTER TABLE inbox_messages ALTER COLUMN raw SET COMPRESSION lz4;
	END IF;
END
$$;
