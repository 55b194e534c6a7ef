-- Video apps installed for a whole account (the marketplace), with their
-- OAuth tokens sealed under the data key, and the pending OAuth states.
CREATE TABLE app_installs (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	app TEXT NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('pre_approved', 'installed', 'needs_reauthorization')),
	domains TEXT NOT NULL DEFAULT '[]',
	scopes TEXT NOT NULL DEFAULT '',
	access_token TEXT NOT NULL DEFAULT '',
	refresh_token TEXT NOT NULL DEFAULT '',
	token_expires_ms BIGINT NOT NULL DEFAULT 0,
	token_version BIGINT NOT NULL DEFAULT 0,
	refresh_lease_ms BIGINT NOT NULL DEFAULT 0,
	provider_account_id TEXT NOT NULL DEFAULT '',
	provider_user_id TEXT NOT NULL DEFAULT '',
	installed_by TEXT NOT NULL DEFAULT '',
	problem TEXT NOT NULL DEFAULT '',
	installed_ms BIGINT NOT NULL DEFAULT 0,
	created_ms BIGINT NOT NULL,
	updated_ms BIGINT NOT NULL,
	PRIMARY KEY (account_id, app)
);
CREATE INDEX app_installs_provider ON app_installs (app, provider_account_id);

CREATE TABLE oauth_states (
	state_hash TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	app TEXT NOT NULL,
	user_id TEXT NOT NULL,
	verifier TEXT NOT NULL,
	domains TEXT NOT NULL,
	expires_ms BIGINT NOT NULL,
	created_ms BIGINT NOT NULL
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_ms);
