-- App calendars (issues 12 and 13): a user's calendar at an installed app
-- with calendars (Outlook through Microsoft 365, Google Calendar), kind
-- 'app', synced in like a CalDAV source; app names the app. SQLite cannot
-- change a CHECK constraint, so the calendar tables are rebuilt (the
-- documented 12-step procedure, https://sqlite.org/lang_altertable.html
-- §7): the new tables are filled, the old ones dropped children first
-- (dropping calendars with foreign keys on would otherwise cascade into
-- its objects), and the new ones renamed, which rewrites the children's
-- references.
CREATE TABLE calendars_new (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('builtin', 'caldav', 'ics', 'app')),
	name TEXT NOT NULL DEFAULT '',
	url TEXT NOT NULL DEFAULT '',
	username TEXT NOT NULL DEFAULT '',
	secret TEXT NOT NULL DEFAULT '',
	sync_seq BIGINT NOT NULL DEFAULT 0,
	sync_floor BIGINT NOT NULL DEFAULT 0,
	remote_state TEXT NOT NULL DEFAULT '{}',
	problem TEXT NOT NULL DEFAULT '',
	problem_since_ms BIGINT NOT NULL DEFAULT 0,
	last_sync_ms BIGINT NOT NULL DEFAULT 0,
	last_attempt_ms BIGINT NOT NULL DEFAULT 0,
	next_sync_ms BIGINT NOT NULL DEFAULT 0,
	created_ms BIGINT NOT NULL,
	updated_ms BIGINT NOT NULL,
	app TEXT NOT NULL DEFAULT ''
);
INSERT INTO calendars_new (id, account_id, user_id, kind, name, url, username, secret, sync_seq, sync_floor, remote_state,
	problem, problem_since_ms, last_sync_ms, last_attempt_ms, next_sync_ms, created_ms, updated_ms)
	SELECT id, account_id, user_id, kind, name, url, username, secret, sync_seq, sync_floor, remote_state,
	problem, problem_since_ms, last_sync_ms, last_attempt_ms, next_sync_ms, created_ms, updated_ms FROM calendars;

CREATE TABLE calendar_objects_new (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	calendar_id TEXT NOT NULL REFERENCES calendars_new(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	uid TEXT NOT NULL,
	origin TEXT NOT NULL CHECK (origin IN ('import', 'booking', 'client', 'remote')),
	etag TEXT NOT NULL,
	remote_etag TEXT NOT NULL DEFAULT '',
	data TEXT NOT NULL,
	start_ms BIGINT NOT NULL,
	end_ms BIGINT NOT NULL,
	busy INTEGER NOT NULL,
	seq BIGINT NOT NULL,
	modified_ms BIGINT NOT NULL,
	size BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (calendar_id, name)
);
INSERT INTO calendar_objects_new (account_id, calendar_id, name, uid, origin, etag, remote_etag, data, start_ms, end_ms, busy, seq, modified_ms, size)
	SELECT account_id, calendar_id, name, uid, origin, etag, remote_etag, data, start_ms, end_ms, busy, seq, modified_ms, size FROM calendar_objects;

CREATE TABLE calendar_changes_new (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	calendar_id TEXT NOT NULL REFERENCES calendars_new(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	seq BIGINT NOT NULL,
	deleted BOOLEAN NOT NULL,
	PRIMARY KEY (calendar_id, name)
);
INSERT INTO calendar_changes_new (account_id, calendar_id, name, seq, deleted)
	SELECT account_id, calendar_id, name, seq, deleted FROM calendar_changes;

DROP TABLE calendar_changes;
DROP TABLE calendar_objects;
DROP TABLE calendars;
ALTER TABLE calendars_new RENAME TO calendars;
ALTER TABLE calendar_objects_new RENAME TO calendar_objects;
ALTER TABLE calendar_changes_new RENAME TO calendar_changes;

CREATE INDEX calendars_user ON calendars (account_id, user_id);
CREATE UNIQUE INDEX calendars_builtin ON calendars (user_id) WHERE kind = 'builtin';
CREATE INDEX calendars_due ON calendars (next_sync_ms) WHERE kind <> 'builtin';
CREATE UNIQUE INDEX calendars_app ON calendars (user_id, app) WHERE kind = 'app';
CREATE UNIQUE INDEX calendar_objects_uid ON calendar_objects (calendar_id, uid) WHERE origin <> 'remote';
CREATE INDEX calendar_objects_start ON calendar_objects (account_id, calendar_id, start_ms, end_ms, busy);
CREATE INDEX calendar_objects_long ON calendar_objects (account_id, calendar_id, end_ms, start_ms, busy) WHERE end_ms - start_ms > 86400000;
CREATE INDEX calendar_changes_seq ON calendar_changes (calendar_id, seq);

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
