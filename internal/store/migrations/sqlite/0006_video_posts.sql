-- When the last create request for a meeting's video meeting was sent, and
-- how many were sent: a create whose answer was lost (a crash) may still
-- complete at the provider, and the next attempt must know to wait for it.
ALTER TABLE meetings ADD COLUMN video_posted_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN video_posts INTEGER NOT NULL DEFAULT 0;
