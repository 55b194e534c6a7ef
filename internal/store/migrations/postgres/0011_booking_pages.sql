-- Personal booking pages (issue 10): a user's public page at /u/{slug},
-- off until they switch it on, and the requests of its visitors waiting
-- for the confirmation by mail that books them.

-- One page per user. The slug is unique on the server (the page's URL
-- does not name the account); durations are the lengths a visitor may
-- choose, comma-separated minutes; days how far ahead slots are offered.
CREATE TABLE booking_pages (
	user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	slug TEXT NOT NULL UNIQUE,
	enabled BOOLEAN NOT NULL DEFAULT FALSE,
	durations TEXT NOT NULL DEFAULT '',
	days INTEGER NOT NULL DEFAULT 14,
	updated_ms BIGINT NOT NULL
);

-- A visitor's request, booked only when they open the link mailed to
-- them. Only the SHA-256 of the link's secret is stored; a request works
-- once (confirmed_ms) and until expires_ms.
CREATE TABLE booking_requests (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL UNIQUE,
	visitor_name TEXT NOT NULL,
	visitor_email TEXT NOT NULL,
	start_ms BIGINT NOT NULL,
	duration INTEGER NOT NULL,
	timezone TEXT NOT NULL,
	language TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	created_ms BIGINT NOT NULL,
	expires_ms BIGINT NOT NULL,
	confirmed_ms BIGINT NOT NULL DEFAULT 0,
	meeting_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX booking_requests_visitor ON booking_requests (account_id, user_id, visitor_email, created_ms);
CREATE INDEX booking_requests_expiry ON booking_requests (expires_ms);
