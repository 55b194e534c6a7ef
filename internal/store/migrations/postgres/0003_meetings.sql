-- Meetings, their attendees and occurrences, the organizer's time holds,
-- and the outbox of mail.
CREATE TABLE meetings (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	organizer_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	uid TEXT NOT NULL UNIQUE,
	status TEXT NOT NULL CHECK (status IN ('booking', 'booked', 'proposed', 'cancelled', 'failed')),
	type TEXT NOT NULL CHECK (type IN ('scheduled', 'recurring', 'instant')),
	subject TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	start_ms BIGINT NOT NULL,
	end_ms BIGINT NOT NULL,
	timezone TEXT NOT NULL,
	duration INTEGER NOT NULL,
	rrule TEXT NOT NULL DEFAULT '',
	password TEXT NOT NULL DEFAULT '',
	language TEXT NOT NULL DEFAULT '',
	video_provider TEXT NOT NULL DEFAULT '',
	settings TEXT NOT NULL DEFAULT '{}',
	video TEXT NOT NULL DEFAULT '',
	video_id TEXT NOT NULL DEFAULT '',
	start_url TEXT NOT NULL DEFAULT '',
	sequence INTEGER NOT NULL DEFAULT 0,
	problem TEXT NOT NULL DEFAULT '',
	options TEXT NOT NULL DEFAULT '[]',
	series_of TEXT NOT NULL DEFAULT '',
	previous TEXT NOT NULL DEFAULT '',
	created_ms BIGINT NOT NULL,
	updated_ms BIGINT NOT NULL
);
CREATE INDEX meetings_account_start ON meetings (account_id, start_ms);
CREATE INDEX meetings_organizer ON meetings (organizer_id, start_ms);
CREATE INDEX meetings_video ON meetings (video_provider, video_id);

CREATE TABLE meeting_attendees (
	meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
	account_id TEXT NOT NULL,
	email TEXT NOT NULL,
	name TEXT NOT NULL DEFAULT '',
	user_id TEXT NOT NULL DEFAULT '',
	response TEXT NOT NULL DEFAULT 'needs-action',
	position INTEGER NOT NULL,
	PRIMARY KEY (meeting_id, email)
);

CREATE TABLE meeting_occurrences (
	meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
	account_id TEXT NOT NULL,
	occurrence_id TEXT NOT NULL,
	original_ms BIGINT NOT NULL,
	start_ms BIGINT NOT NULL,
	end_ms BIGINT NOT NULL,
	status TEXT NOT NULL DEFAULT 'available',
	PRIMARY KEY (meeting_id, occurrence_id)
);

CREATE TABLE holds (
	account_id TEXT NOT NULL,
	organizer_id TEXT NOT NULL,
	meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
	start_ms BIGINT NOT NULL,
	end_ms BIGINT NOT NULL,
	-- The hold as a range of instants: no two holds of one organizer may
	-- overlap, enforced by the database even under concurrent bookings.
	during tstzrange GENERATED ALWAYS AS (tstzrange(to_timestamp(start_ms / 1000.0), to_timestamp(end_ms / 1000.0), '[)')) STORED,
	PRIMARY KEY (meeting_id, start_ms),
	CONSTRAINT holds_no_overlap EXCLUDE USING gist (organizer_id WITH =, during WITH &&)
);
CREATE INDEX holds_organizer ON holds (organizer_id, start_ms, end_ms);

CREATE TABLE mail_outbox (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	meeting_id TEXT NOT NULL DEFAULT '',
	dedupe_key TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL,
	sender TEXT NOT NULL,
	recipients TEXT NOT NULL,
	subject TEXT NOT NULL,
	message_id TEXT NOT NULL,
	raw TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('held', 'queued', 'sent', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_ms BIGINT NOT NULL,
	sent_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX mail_outbox_account ON mail_outbox (account_id, created_ms);
CREATE INDEX mail_outbox_meeting ON mail_outbox (meeting_id, account_id, created_ms);
