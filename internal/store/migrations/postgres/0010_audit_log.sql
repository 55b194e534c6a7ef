-- The audit log of admin actions (issue 10): who pre-approved, installed or
-- uninstalled an app, changed its domains, changed the account's settings,
-- templates or branding, managed users, revoked tokens, added, verified or
-- removed a managed domain, and when. Each row is written in the same
-- transaction as the action it records (internal/account, internal/apps),
-- so an action and its entry commit or roll back together.
--
-- seq orders the entries of the whole database as they were written;
-- actor_email keeps the address the actor had then (a removed user's row
-- frees it); detail is a small JSON object ('' for none).
CREATE TABLE audit_log (
	seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	at_ms BIGINT NOT NULL,
	actor_id TEXT NOT NULL,
	actor_email TEXT NOT NULL,
	via TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_account ON audit_log (account_id, seq);
