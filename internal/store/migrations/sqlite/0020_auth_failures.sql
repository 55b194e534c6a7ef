-- Failed authentications per client address (an IPv4 address, or an IPv6
-- /64), as a token bucket every node of a cluster reads and writes, so
-- that N nodes allow an address the failures of one (authlimit.Shared).
-- tokens is the bucket's content at at_ms; rows whose bucket has
-- refilled are purged.
CREATE TABLE auth_failures (
	client TEXT PRIMARY KEY,
	tokens REAL NOT NULL,
	at_ms BIGINT NOT NULL
);
CREATE INDEX auth_failures_at ON auth_failures (at_ms);
