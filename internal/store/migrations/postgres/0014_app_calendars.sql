-- App calendars (issues 12 and 13): a user's calendar at an installed app
-- with calendars (Outlook through Microsoft 365, Google Calendar), kind
-- 'app', synced in like a CalDAV source; app names the app.
ALTER TABLE calendars DROP CONSTRAINT calendars_kind_check;
ALTER TABLE calendars ADD CONSTRAINT calendars_kind_check CHECK (kind IN ('builtin', 'caldav', 'ics', 'app'));
ALTER TABLE calendars ADD COLUMN app TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX calendars_app ON calendars (user_id, app) WHERE kind = 'app';

-- The change-notification channels opened for app calendars (a Graph
-- subscription, a Google push channel): one per calendar, renewed before
-- it expires, stopped when its calendar goes. The channel's token, which
-- a notification echoes to prove itself, is sealed (internal/seal): a
-- renewal must give it again. A channel outlives
-- its calendar (no foreign key to it: a removed user's calendars go with
-- the user) until the calendar core stops it at the provider.
CREATE TABLE calendar_channels (
	calendar_id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	app TEXT NOT NULL,
	channel_id TEXT NOT NULL,
	resource TEXT NOT NULL DEFAULT '',
	user_email TEXT NOT NULL,
	token TEXT NOT NULL,
	expires_ms BIGINT NOT NULL,
	created_ms BIGINT NOT NULL,
	updated_ms BIGINT NOT NULL
);
CREATE UNIQUE INDEX calendar_channels_id ON calendar_channels (app, channel_id);
CREATE INDEX calendar_channels_account ON calendar_channels (account_id);
