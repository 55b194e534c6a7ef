-- Admins disable and remove users (issue 8). A disabled user keeps their
-- row, calendars and meetings but cannot sign in or organize new meetings.
-- A removed user's row stays as a tombstone, so that the meetings kept for
-- the record still name their organizer: its address moves to
-- removed_email and email takes a placeholder, which frees the address
-- (users.email is unique) and keeps every lookup by address from finding
-- the tombstone.
ALTER TABLE users ADD COLUMN disabled_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN removed_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN removed_email TEXT NOT NULL DEFAULT '';
