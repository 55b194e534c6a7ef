package store

import (
	"context"
	"time"
)

// AuditEntry is one admin action in an account's audit log.
type AuditEntry struct {
	// Seq orders the entries as they were written; AddAudit sets it.
	Seq       int64
	AccountID string
	At        time.Time
	// ActorID and ActorEmail are the user who acted, with the address
	// they had then.
	ActorID    string
	ActorEmail string
	// Via is how the action came: "api" (an API token), "web" (a page),
	// "oauth" (a provider's consent completing an install).
	Via string
	// Action names what was done, e.g. "domain.verify" (account.Audit*).
	Action string
	// Target is what it was done to: a domain, an app, a user's address.
	Target string
	// Detail is a small JSON object with the particulars; nil for none.
	Detail []byte
}

// AuditLog stores the audit log.
type AuditLog interface {
	// AddAudit appends an entry and sets its Seq.
	AddAudit(ctx context.Context, e *AuditEntry) error
	// AuditEntries lists an account's entries, newest first: those written
	// before the entry beforeSeq when it is above 0, at most limit (1 to
	// 1000).
	AuditEntries(ctx context.Context, accountID string, beforeSeq int64, limit int) ([]AuditEntry, error)
}

var _ AuditLog = (*DB)(nil)

// AddAudit implements AuditLog.
func (db *DB) AddAudit(ctx context.Context, e *AuditEntry) error {
	err := db.w().QueryRowContext(ctx, `INSERT INTO audit_log (account_id, at_ms, actor_id, actor_email, via, action, target, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq`,
		e.AccountID, ms(e.At), e.ActorID, e.ActorEmail, e.Via, e.Action, e.Target, string(e.Detail)).Scan(&e.Seq)
	return db.wrap(err, "add audit entry %s", e.Action)
}

// AuditEntries implements AuditLog.
func (db *DB) AuditEntries(ctx context.Context, accountID string, beforeSeq int64, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	q := `SELECT seq, account_id, at_ms, actor_id, actor_email, via, action, target, detail FROM audit_log
		WHERE account_id = $1 ORDER BY seq DESC LIMIT $2`
	args := []any{accountID, limit}
	if beforeSeq > 0 {
		q = `SELECT seq, account_id, at_ms, actor_id, actor_email, via, action, target, detail FROM audit_log
			WHERE account_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`
		args = []any{accountID, beforeSeq, limit}
	}
	rows, err := db.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "list audit log")
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		var detail string
		if err := rows.Scan(&e.Seq, &e.AccountID, &at, &e.ActorID, &e.ActorEmail, &e.Via, &e.Action, &e.Target, &detail); err != nil {
			return nil, db.wrap(err, "list audit log")
		}
		e.At = fromMS(at)
		if detail != "" {
			e.Detail = []byte(detail)
		}
		out = append(out, e)
	}
	return out, db.wrap(rows.Err(), "list audit log")
}
