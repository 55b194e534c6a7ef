-- A calendar's sync is claimed by one worker at a time (next_sync_ms set
-- to the claim's end). A change notified while that sync runs must not
-- start a second sync of the same calendar beside it, nor be lost when the
-- running one saves its next time: claimed_until_ms says a sync runs, and
-- sync_again asks for another one as soon as it ends.
ALTER TABLE calendars ADD COLUMN claimed_until_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE calendars ADD COLUMN sync_again INTEGER NOT NULL DEFAULT 0;
