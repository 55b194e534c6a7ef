package store

import (
	"context"
	"encoding/json"
	"strings"
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
	// Purged is when the body (Raw) of a sent mail was dropped after the
	// retention period (zero: kept).
	Purged time.Time
}

// Outbox stores mail.
type Outbox interface {
	// AddMail stores a mail unless one with its dedupe key exists, and
	// reports whether it did.
	AddMail(ctx context.Context, m *Mail) (bool, error)
	// AddMails is AddMail for several mails in one statement: added[i]
	// reports whether ms[i] was stored.
	AddMails(ctx context.Context, ms []*Mail) (added []bool, err error)
	Mail(ctx context.Context, accountID, id string) (*Mail, error)
	// Mails lists an account's mail, newest first; meetingID filters when
	// set.
	Mails(ctx context.Context, accountID, meetingID string, limit int) ([]Mail, error)
	// MailHeaders is Mails without the bodies (Raw is nil): for the outbox
	// view and the Message-IDs a new mail refers to.
	MailHeaders(ctx context.Context, accountID, meetingID string, limit int) ([]Mail, error)
	UpdateMail(ctx context.Context, m *Mail) error
	// PurgeSentMail empties the body of up to limit mails, of any account,
	// sent before cutoff, records at as when, and returns how many.
	PurgeSentMail(ctx context.Context, cutoff, at time.Time, limit int) (int, error)
}

var _ Outbox = (*DB)(nil)

const mailColumns = `id, account_id, meeting_id, dedupe_key, kind, sender, recipients, subject, message_id, raw, status,
	attempts, last_error, created_ms, sent_ms`

// mailSelect is mailColumns and the column only PurgeSentMail writes;
// mailHeaderSelect the same without the body.
const (
	mailSelect       = mailColumns + `, purged_ms`
	mailHeaderSelect = `id, account_id, meeting_id, dedupe_key, kind, sender, recipients, subject, message_id, '', status,
	attempts, last_error, created_ms, sent_ms, purged_ms`
)

func scanMail(row interface{ Scan(...any) error }) (*Mail, error) {
	var m Mail
	var recipients, raw string
	var created, sent, purged int64
	if err := row.Scan(&m.ID, &m.AccountID, &m.MeetingID, &m.DedupeKey, &m.Kind, &m.Sender, &recipients, &m.Subject,
		&m.MessageID, &raw, &m.Status, &m.Attempts, &m.LastError, &created, &sent, &purged); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(recipients), &m.Recipients); err != nil {
		return nil, err
	}
	m.Created, m.Sent, m.Purged = fromMS(created), fromMS(sent), fromMS(purged)
	if raw != "" {
		m.Raw = []byte(raw)
	}
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

// AddMails implements Outbox.
func (db *DB) AddMails(ctx context.Context, mails []*Mail) ([]bool, error) {
	added := make([]bool, len(mails))
	if len(mails) == 0 {
		return added, nil
	}
	const per = 15 // columns
	var q strings.Builder
	q.WriteString(`INSERT INTO mail_outbox (` + mailColumns + `) VALUES `)
	args := make([]any, 0, per*len(mails))
	for i, m := range mails {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(" + inList(len(args)+1, per) + ")")
		rcpt, _ := json.Marshal(m.Recipients)
		args = append(args, m.ID, m.AccountID, m.MeetingID, m.DedupeKey, m.Kind, m.Sender, string(rcpt), m.Subject, m.MessageID,
			string(m.Raw), m.Status, m.Attempts, m.LastError, ms(m.Created), ms(m.Sent))
	}
	q.WriteString(` ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`)
	rows, err := db.w().QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, db.wrap(err, "add %d mails", len(mails))
	}
	defer rows.Close()
	stored := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, db.wrap(err, "add %d mails", len(mails))
		}
		stored[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "add %d mails", len(mails))
	}
	for i, m := range mails {
		added[i] = stored[m.ID]
	}
	return added, nil
}

// Mail implements Outbox.
func (db *DB) Mail(ctx context.Context, accountID, id string) (*Mail, error) {
	m, err := scanMail(db.r().QueryRowContext(ctx, `SELECT `+mailSelect+` FROM mail_outbox WHERE account_id = $1 AND id = $2`, accountID, id))
	return m, db.wrap(err, "load mail %s", id)
}

// Mails implements Outbox.
func (db *DB) Mails(ctx context.Context, accountID, meetingID string, limit int) ([]Mail, error) {
	return db.mails(ctx, mailSelect, accountID, meetingID, limit)
}

// MailHeaders implements Outbox.
func (db *DB) MailHeaders(ctx context.Context, accountID, meetingID string, limit int) ([]Mail, error) {
	return db.mails(ctx, mailHeaderSelect, accountID, meetingID, limit)
}

func (db *DB) mails(ctx context.Context, columns, accountID, meetingID string, limit int) ([]Mail, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	// Two queries rather than "($2 = '' OR meeting_id = $2)", which no
	// index serves: a meeting's mail through its own index.
	q := `SELECT ` + columns + ` FROM mail_outbox WHERE account_id = $1 ORDER BY created_ms DESC, id DESC LIMIT $2`
	args := []any{accountID, limit}
	if meetingID != "" {
		q = `SELECT ` + columns + ` FROM mail_outbox WHERE meeting_id = $1 AND account_id = $2
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

// PurgeSentMail implements Outbox. Only the body goes: the row keeps what
// the outbox view shows and the dedupe key that makes the mail once.
func (db *DB) PurgeSentMail(ctx context.Context, cutoff, at time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 500
	}
	res, err := db.w().ExecContext(ctx, `UPDATE mail_outbox SET raw = '', purged_ms = $1
		WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'sent' AND purged_ms = 0 AND sent_ms < $2 ORDER BY sent_ms LIMIT $3)`,
		ms(at), ms(cutoff), limit)
	if err != nil {
		return 0, db.wrap(err, "purge sent mail")
	}
	n, err := res.RowsAffected()
	return int(n), db.wrap(err, "purge sent mail")
}
