-- Calendars: each user's built-in calendar (served over CalDAV) and the
-- external sources (CalDAV accounts, ICS feeds) synced into Convene, their
-- objects (raw iCalendar with parsed time bounds for range queries) and the
-- change log that sync-collection (RFC 6578) answers from.
CREATE TABLE calendars (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('builtin', 'caldav', 'ics')),
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
	updated_ms BIGINT NOT NULL
);
CREATE INDEX calendars_user ON calendars (account_id, user_id);
CREATE UNIQUE INDEX calendars_builtin ON calendars (user_id) WHERE kind = 'builtin';
CREATE INDEX calendars_due ON calendars (next_sync_ms) WHERE kind <> 'builtin';

CREATE TABLE calendar_objects (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	calendar_id TEXT NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
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
	PRIMARY KEY (calendar_id, name)
);
-- One UID per object in a calendar Convene keeps (RFC 4791 §5.3.2.1); the
-- copy of a CalDAV account may hold one UID in several of its calendars.
CREATE UNIQUE INDEX calendar_objects_uid ON calendar_objects (calendar_id, uid) WHERE origin <> 'remote';
-- Range queries: objects of a day or less are found by their start (they
-- start at most a day before the window), longer ones (series, multi-day
-- events) by their end, in an index of their own.
-- Both hold what busy time needs of single events, so that it is read
-- from the index alone.
CREATE INDEX calendar_objects_start ON calendar_objects (account_id, calendar_id, start_ms, end_ms, busy);
CREATE INDEX calendar_objects_long ON calendar_objects (account_id, calendar_id, end_ms, start_ms, busy) WHERE end_ms - start_ms > 86400000;

CREATE TABLE calendar_changes (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	calendar_id TEXT NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	seq BIGINT NOT NULL,
	deleted BOOLEAN NOT NULL,
	PRIMARY KEY (calendar_id, name)
);
CREATE INDEX calendar_changes_seq ON calendar_changes (calendar_id, seq);
