package store

import (
	"context"
	"encoding/json"
	"time"
)

// Mail statuses.
const (
	MailHeld   = "held"   // no relay configured: kept for GET /api/v1/outbox
	MailQueued = "queued" // waiting for the relay
	MailSent   = "sent"
	MailFailed = "failed" // the relay refused it for good
)

// Mail is a message Convene sent or holds.
type Mail struct {
	ID         string
	AccountID  string
	MeetingID  string
	DedupeKey  string // one mail per key, ever: retries cannot send twice
	Kind       string // request, cancel, update, notice, proposal…
	Sender     string
	Recipients []string
	Subject    string
	MessageID  string
	Raw        []byte
	Status     string
	Attempts   int
	LastError  string
	Created    time.Time
	Sent       time.Time
}

// Outbox stores mail.
type Outbox interface {
	// AddMail stores a mail unless one with its dedupe key exists, and
	// reports whether it did.
	AddMail(ctx context.Context, m *Mail) (bool, error)
	Mail(ctx context.Context, accountID, id string) (*Mail, error)
	// Mails lists an account's mail, newest first; meetingID filters when
	// set.
	Mails(ctx context.Context, accountID, meetingID string, limit int) ([]Mail, error)
	UpdateMail(ctx context.Context, m *Mail) error
}

var _ Outbox = (*DB)(nil)

const mailColumns = `id, account_id, meeting_id, dedupe_key, kind, sender, recipients, subject, message_id, raw, status,
	attempts, last_error, created_ms, sent_ms`

func scanMail(row interface{ Scan(...any) error }) (*Mail, error) {
	var m Mail
	var recipients, raw string
	var created, sent int64
	if err := row.Scan(&m.ID, &m.AccountID, &m.MeetingID, &m.DedupeKey, &m.Kind, &m.Sender, &recipients, &m.Subject,
		&m.MessageID, &raw, &m.Status, &m.Attempts, &m.LastError, &created, &sent); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(recipients), &m.Recipients); err != nil {
		return nil, err
	}
	m.Raw, m.Created, m.Sent = []byte(raw), fromMS(created), fromMS(sent)
	return &m, nil
}

// AddMail implements Outbox. A taken dedupe key is no database error, so
// the transaction goes on.
func (db *DB) AddMail(ctx context.Context, m *Mail) (bool, error) {
	rcpt, _ := json.Marshal(m.Recipients)
	res, err := db.w().ExecContext(ctx, `INSERT INTO mail_outbox (`+mailColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (dedupe_key) DO NOTHING`,
		m.ID, m.AccountID, m.MeetingID, m.DedupeKey, m.Kind, m.Sender, string(rcpt), m.Subject, m.MessageID, string(m.Raw),
		m.Status, m.Attempts, m.LastError, ms(m.Created), ms(m.Sent))
	if err != nil {
		return false, db.wrap(err, "add mail %s", m.DedupeKey)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "add mail %s", m.DedupeKey)
}

// Mail implements Outbox.
func (db *DB) Mail(ctx context.Context, accountID, id string) (*Mail, error) {
	m, err := scanMail(db.r().QueryRowContext(ctx, `SELECT `+mailColumns+` FROM mail_outbox WHERE account_id = $1 AND id = $2`, accountID, id))
	return m, db.wrap(err, "load mail %s", id)
}

// Mails implements Outbox.
func (db *DB) Mails(ctx context.Context, accountID, meetingID string, limit int) ([]Mail, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	// Two queries rather than "($2 = '' OR meeting_id = $2)", which no
	// index serves: a meeting's mail through its own index.
	q := `SELECT ` + mailColumns + ` FROM mail_outbox WHERE account_id = $1 ORDER BY created_ms DESC, id DESC LIMIT $2`
	args := []any{accountID, limit}
	if meetingID != "" {
		q = `SELECT ` + mailColumns + ` FROM mail_outbox WHERE meeting_id = $1 AND account_id = $2
			ORDER BY created_ms DESC, id DESC LIMIT $3`
		args = []any{meetingID, accountID, limit}
	}
	rows, err := db.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "list mail")
	}
	defer rows.Close()
	var out []Mail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, db.wrap(err, "list mail")
		}
		out = append(out, *m)
	}
	return out, db.wrap(rows.Err(), "list mail")
}

// UpdateMail implements Outbox: status, attempts, error and sent time.
func (db *DB) UpdateMail(ctx context.Context, m *Mail) error {
	res, err := db.w().ExecContext(ctx, `UPDATE mail_outbox SET status = $3, attempts = $4, last_error = $5, sent_ms = $6
		WHERE account_id = $1 AND id = $2`, m.AccountID, m.ID, m.Status, m.Attempts, m.LastError, ms(m.Sent))
	return db.mustAffect(res, err, "update mail %s", m.ID)
}
