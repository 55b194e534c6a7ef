-- Accounts, users, API tokens and managed domains.
-- btree_gist lets later exclusion constraints combine = and &&.
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;

CREATE TABLE setup_claim (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	claimed_ms BIGINT NOT NULL
);

CREATE TABLE accounts (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	language TEXT NOT NULL DEFAULT 'en',
	default_video_provider TEXT NOT NULL DEFAULT '',
	branding TEXT NOT NULL DEFAULT '{}',
	templates TEXT NOT NULL DEFAULT '{}',
	created_ms BIGINT NOT NULL
);

CREATE TABLE users (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
	timezone TEXT NOT NULL,
	language TEXT NOT NULL DEFAULT '',
	working_hours TEXT NOT NULL,
	default_duration INTEGER NOT NULL,
	video_provider TEXT NOT NULL DEFAULT '',
	buffer_before INTEGER NOT NULL DEFAULT 0,
	buffer_after INTEGER NOT NULL DEFAULT 0,
	min_notice INTEGER NOT NULL DEFAULT 0,
	created_ms BIGINT NOT NULL
);
CREATE INDEX users_account ON users (account_id, email);

CREATE TABLE api_tokens (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	hash TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	created_ms BIGINT NOT NULL,
	last_used_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens (account_id, user_id);

CREATE TABLE domains (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	txt_value TEXT NOT NULL,
	verified BOOLEAN NOT NULL DEFAULT FALSE,
	verified_ms BIGINT NOT NULL DEFAULT 0,
	created_ms BIGINT NOT NULL,
	PRIMARY KEY (account_id, name)
);
-- A domain belongs to at most one account: the first to verify it.
CREATE UNIQUE INDEX domains_verified_once ON domains (name) WHERE verified;
