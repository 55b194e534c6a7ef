-- The assistant's conversations (internal/assistant): one thread per
-- meeting request, the ids of its messages (for threading), what was done
-- for each message received (idempotency), and the choice links used.

-- One conversation. data is the thread's JSON (request, guests, options
-- offered); state is one of the assistant's states. lease_owner and
-- lease_ms let one worker at a time act on a thread (a message, a link, a
-- reminder); a lease that ran out is free again.
CREATE TABLE assistant_threads (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	organizer_id TEXT NOT NULL,
	meeting_id TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL CHECK (state IN ('asking', 'proposed', 'booked', 'cancelled')),
	data TEXT NOT NULL DEFAULT '{}',
	due_ms BIGINT NOT NULL DEFAULT 0,
	lease_owner TEXT NOT NULL DEFAULT '',
	lease_ms BIGINT NOT NULL DEFAULT 0,
	version INTEGER NOT NULL DEFAULT 0,
	created_ms BIGINT NOT NULL,
	updated_ms BIGINT NOT NULL
);
CREATE INDEX assistant_threads_meeting ON assistant_threads (account_id, meeting_id);
CREATE INDEX assistant_threads_due ON assistant_threads (due_ms) WHERE due_ms > 0;

-- Every id a thread's messages name (their Message-IDs, In-Reply-To,
-- References, forwarded ids), and "person:ADDRESS" for its participants:
-- a new message is placed by looking its own ids up here.
CREATE TABLE assistant_thread_keys (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	thread_id TEXT NOT NULL,
	PRIMARY KEY (account_id, key, thread_id)
);
CREATE INDEX assistant_thread_keys_thread ON assistant_thread_keys (account_id, thread_id);

-- What the assistant did for each message received (inbox id), link used
-- or reminder sent: written with the step's effects, so a redelivered
-- message or a retried job changes nothing.
CREATE TABLE assistant_steps (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	id TEXT NOT NULL,
	thread_id TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL CHECK (status IN ('planned', 'done')),
	outcome TEXT NOT NULL DEFAULT '',
	plan TEXT NOT NULL DEFAULT '{}',
	detail TEXT NOT NULL DEFAULT '',
	created_ms BIGINT NOT NULL,
	done_ms BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (account_id, id)
);
