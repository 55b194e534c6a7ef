-- Per-user mode of an app (video.App.UserAuth: Google's personal
-- accounts): an install's mode ('' the account-wide authorization,
-- 'personal' each user connects their own account), the kind of a pending
-- OAuth state ('' an install, 'connect' a user's connection), and each
-- user's grant, its tokens sealed like an install's.
ALTER TABLE app_installs ADD COLUMN mode TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_states ADD COLUMN kind TEXT NOT NULL DEFAULT '';

CREATE TABLE app_grants (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	app TEXT NOT NULL,
	user_id TEXT NOT NULL,
	-- The provider's account: the id_token's subject and address.
	subject TEXT NOT NULL,
	email TEXT NOT NULL DEFAULT '',
	scopes TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL CHECK (state IN ('active', 'needs_reauthorization')),
	problem TEXT NOT NULL DEFAULT '',
	access_token TEXT NOT NULL DEFAULT '',
	refresh_token TEXT NOT NULL DEFAULT '',
	token_expires_ms BIGINT NOT NULL DEFAULT 0,
	token_version BIGINT NOT NULL DEFAULT 0,
	refresh_lease_ms BIGINT NOT NULL DEFAULT 0,
	created_ms BIGINT NOT NULL,
	updated_ms BIGINT NOT NULL,
	PRIMARY KEY (account_id, app, user_id)
);
-- One account at the provider is connected by one Convene user only.
CREATE UNIQUE INDEX app_grants_subject ON app_grants (app, subject);
