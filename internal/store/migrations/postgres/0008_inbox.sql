-- Received mail (internal/inbox), the IMAP intake's cursor, the assistant
-- address of each account and the DKIM keys that sign outgoing mail.

-- The account's own assistant address; empty: the default (see
-- account.Service.AssistantAddress).
ALTER TABLE accounts ADD COLUMN assistant_address TEXT NOT NULL DEFAULT '';

-- One row per message and account it was written to. raw holds the bytes
-- exactly as received (BYTEA: mail need not be UTF-8) until the retention
-- purge empties it; the row stays, so a later copy is still recognised as
-- a duplicate. A duplicate delivery gets a row of its own, without raw,
-- pointing at the first (duplicate_of).
CREATE TABLE inbox_messages (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	message_key TEXT NOT NULL,
	duplicate_of TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL CHECK (source IN ('smtp', 'imap')),
	recipient TEXT NOT NULL,
	remote_ip TEXT NOT NULL DEFAULT '',
	helo TEXT NOT NULL DEFAULT '',
	mail_from TEXT NOT NULL DEFAULT '',
	header_from TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL DEFAULT '',
	message_id TEXT NOT NULL DEFAULT '',
	size BIGINT NOT NULL,
	raw BYTEA,
	status TEXT NOT NULL CHECK (status IN ('received', 'duplicate', 'rejected', 'unprocessed', 'processed', 'failed', 'expired')),
	authenticated BOOLEAN NOT NULL DEFAULT FALSE,
	sender_user_id TEXT NOT NULL DEFAULT '',
	verdict TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL DEFAULT '',
	attempts INTEGER NOT NULL DEFAULT 0,
	received_ms BIGINT NOT NULL,
	checked_ms BIGINT NOT NULL DEFAULT 0,
	processed_ms BIGINT NOT NULL DEFAULT 0,
	purged_ms BIGINT NOT NULL DEFAULT 0
);
-- The same Message-ID is processed once per account.
CREATE UNIQUE INDEX inbox_messages_once ON inbox_messages (account_id, message_key) WHERE duplicate_of = '';
CREATE INDEX inbox_messages_account ON inbox_messages (account_id, received_ms);
CREATE INDEX inbox_messages_unpurged ON inbox_messages (received_ms) WHERE purged_ms = 0;

-- How far the IMAP intake has read a mailbox (RFC 3501 §2.3.1.1).
CREATE TABLE inbox_cursors (
	source TEXT PRIMARY KEY,
	uid_validity BIGINT NOT NULL,
	last_uid BIGINT NOT NULL,
	updated_ms BIGINT NOT NULL
);

-- DKIM keys of the managed domains (RFC 6376); the private key is sealed.
CREATE TABLE dkim_keys (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	domain TEXT NOT NULL,
	selector TEXT NOT NULL,
	algorithm TEXT NOT NULL,
	private_key TEXT NOT NULL,
	public_key TEXT NOT NULL,
	created_ms BIGINT NOT NULL,
	PRIMARY KEY (account_id, domain, selector)
);
