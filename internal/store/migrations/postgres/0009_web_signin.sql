-- Signing in to the web pages (issue 10): passwords, sessions, and how a
-- managed domain was verified.

-- How a domain was verified: 'dns' (its TXT record) or 'reserved-name
-- (sandbox)' (a name reserved for testing, RFC 2606 and RFC 6761, on the
-- built-in Zoom sandbox only). Domains verified before were verified by DNS.
ALTER TABLE domains ADD COLUMN verified_by TEXT NOT NULL DEFAULT '';
UPDATE domains SET verified_by = 'dns' WHERE verified;

-- A user's password for the web pages, as a PHC string ($argon2id$…).
-- Users created through the API have none until they set one through a
-- reset link.
CREATE TABLE user_passwords (
	user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	hash TEXT NOT NULL,
	changed_ms BIGINT NOT NULL
);

-- Web sessions. Only the SHA-256 of the cookie's secret is stored; a
-- session ends after idle_ms without use or at expires_ms, whichever comes
-- first.
CREATE TABLE web_sessions (
	id_hash TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	method TEXT NOT NULL,
	created_ms BIGINT NOT NULL,
	seen_ms BIGINT NOT NULL,
	expires_ms BIGINT NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (account_id, user_id, created_ms);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_ms);
CREATE INDEX web_sessions_seen ON web_sessions (seen_ms);
