package store

import (
	"context"
	"time"
)

// AuthBucket is one client address's bucket of failed authentications
// (authlimit's token bucket, shared by the nodes of a cluster).
type AuthBucket struct {
	// Client is the address's key (an IPv4 address, an IPv6 /64).
	Client string
	// Tokens is what the bucket held at At: each failure takes one, time
	// gives them back.
	Tokens float64
	At     time.Time
}

// RecordAuthFailure takes one token from client's bucket at now (a full
// one, burst tokens, when the client has none yet), after giving back
// one token per refill since the bucket was last written: a bucket with
// less than one token stays as it is, as authlimit's own bucket does. One
// statement, so that nodes failing the same address at once each count.
func (db *DB) RecordAuthFailure(ctx context.Context, client string, now time.Time, burst int, refill time.Duration) error {
	refilled := `CASE WHEN auth_failures.tokens + (CAST($3 AS BIGINT) - auth_failures.at_ms) / CAST($4 AS DOUBLE PRECISION) > CAST($2 AS DOUBLE PRECISION)
		THEN CAST($2 AS DOUBLE PRECISION)
		ELSE auth_failures.tokens + (CAST($3 AS BIGINT) - auth_failures.at_ms) / CAST($4 AS DOUBLE PRECISION) END`
	// Buckets unwritten for as long as one takes to refill are full, the
	// same as none: they go, so the table holds only the addresses that
	// failed lately.
	if _, err := db.w().ExecContext(ctx, `DELETE FROM auth_failures WHERE at_ms < $1`,
		ms(now.Add(-time.Duration(burst)*refill))); err != nil {
		return db.wrap(err, "purge authentication failures")
	}
	_, err := db.w().ExecContext(ctx, `INSERT INTO auth_failures (client, tokens, at_ms) VALUES ($1, CAST($2 AS DOUBLE PRECISION) - 1, $3)
		ON CONFLICT (client) DO UPDATE SET
			tokens = CASE WHEN `+refilled+` >= 1 THEN `+refilled+` - 1 ELSE `+refilled+` END,
			at_ms = CAST($3 AS BIGINT)`,
		client, float64(burst), ms(now), float64(refill.Milliseconds()))
	return db.wrap(err, "record an authentication failure")
}

// AuthBuckets returns the buckets written since since, at most limit, the
// most recent first. It only reads: RecordAuthFailure purges.
func (db *DB) AuthBuckets(ctx context.Context, since time.Time, limit int) ([]AuthBucket, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT client, tokens, at_ms FROM auth_failures WHERE at_ms >= $1 ORDER BY at_ms DESC LIMIT $2`, ms(since), limit)
	if err != nil {
		return nil, db.wrap(err, "list authentication failures")
	}
	defer rows.Close()
	var out []AuthBucket
	for rows.Next() {
		var b AuthBucket
		var at int64
		if err := rows.Scan(&b.Client, &b.Tokens, &at); err != nil {
			return nil, db.wrap(err, "list authentication failures")
		}
		b.At = fromMS(at)
		out = append(out, b)
	}
	return out, db.wrap(rows.Err(), "list authentication failures")
}
