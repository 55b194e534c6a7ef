-- When a user's grant's tokens were last renewed at the provider (0: not
-- since the user connected), for the admin's list of connections.
ALTER TABLE app_grants ADD COLUMN refreshed_ms BIGINT NOT NULL DEFAULT 0;
