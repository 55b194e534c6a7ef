package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Statuses of a received message.
const (
	// InboxReceived: stored, its processing job pending.
	InboxReceived = "received"
	// InboxDuplicate: a second copy of a message already received (same
	// Message-ID for the same account); never processed.
	InboxDuplicate = "duplicate"
	// InboxRejected: the sender did not authenticate; nothing was done.
	InboxRejected = "rejected"
	// InboxUnprocessed: authenticated, but no assistant handled it.
	InboxUnprocessed = "unprocessed"
	// InboxProcessed: the assistant handled it.
	InboxProcessed = "processed"
	// InboxFailed: the assistant failed for good.
	InboxFailed = "failed"
	// InboxExpired: purged before it could be processed.
	InboxExpired = "expired"
)

// InboxMessage is a message received for an account's assistant.
type InboxMessage struct {
	ID        string
	AccountID string
	// MessageKey identifies the message for deduplication: its Message-ID,
	// or a hash of its bytes when it has none.
	MessageKey string
	// DuplicateOf is the ID of the first copy, for a duplicate.
	DuplicateOf string
	Source      string // "smtp" or "imap"
	Recipient   string // the assistant address written to
	RemoteIP    string // the SMTP client's address
	HELO        string
	MailFrom    string // RFC 5321 reverse-path
	HeaderFrom  string // RFC 5322 From, as written
	Subject     string
	MessageID   string
	Size        int64
	Raw         []byte // nil once purged, and in lists
	Status      string
	// Authenticated, SenderUserID, Verdict (JSON) and Reason are the
	// sender check's outcome, set when the message is processed.
	Authenticated bool
	SenderUserID  string
	Verdict       []byte
	Reason        string
	Attempts      int
	Received      time.Time
	Checked       time.Time
	Processed     time.Time
	Purged        time.Time
}

// Inbox stores received mail.
type Inbox interface {
	// AddInboxMessage stores m unless the account already has a first copy
	// with its MessageKey (a duplicate, DuplicateOf set, is always
	// stored), and reports whether it did.
	AddInboxMessage(ctx context.Context, m *InboxMessage) (bool, error)
	// InboxMessageByKey finds the first copy of a message.
	InboxMessageByKey(ctx context.Context, accountID, key string) (*InboxMessage, error)
	// InboxMessage loads a message with its bytes.
	InboxMessage(ctx context.Context, accountID, id string) (*InboxMessage, error)
	// InboxMessages lists an account's messages without their bytes,
	// newest first.
	InboxMessages(ctx context.Context, accountID string, limit int) ([]InboxMessage, error)
	// UpdateInboxMessage records the outcome of processing: status,
	// verdict, sender, reason, attempts and times.
	UpdateInboxMessage(ctx context.Context, m *InboxMessage) error
	// PurgeInbox empties the bytes of up to limit messages received
	// before cutoff and returns how many it emptied.
	PurgeInbox(ctx context.Context, cutoff, at time.Time, limit int) (int, error)
	// InboxCursor returns how far a mailbox was read (zeros if never).
	InboxCursor(ctx context.Context, source string) (uidValidity, lastUID uint32, err error)
	// SetInboxCursor records how far a mailbox was read.
	SetInboxCursor(ctx context.Context, source string, uidValidity, lastUID uint32, at time.Time) error
}

var _ Inbox = (*DB)(nil)

const inboxColumns = `id, account_id, message_key, duplicate_of, source, recipient, remote_ip, helo, mail_from, header_from,
	subject, message_id, size, status, authenticated, sender_user_id, verdict, reason, attempts, received_ms, checked_ms,
	processed_ms, purged_ms`

func scanInbox(row interface{ Scan(...any) error }, withRaw bool) (*InboxMessage, error) {
	var m InboxMessage
	var verdict string
	var received, checked, processed, purged int64
	dest := []any{&m.ID, &m.AccountID, &m.MessageKey, &m.DuplicateOf, &m.Source, &m.Recipient, &m.RemoteIP, &m.HELO,
		&m.MailFrom, &m.HeaderFrom, &m.Subject, &m.MessageID, &m.Size, &m.Status, &m.Authenticated, &m.SenderUserID,
		&verdict, &m.Reason, &m.Attempts, &received, &checked, &processed, &purged}
	if withRaw {
		dest = append(dest, &m.Raw)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if verdict != "" {
		m.Verdict = []byte(verdict)
	}
	m.Received, m.Checked, m.Processed, m.Purged = fromMS(received), fromMS(checked), fromMS(processed), fromMS(purged)
	return &m, nil
}

// AddInboxMessage implements Inbox. A taken key is no database error, so
// the transaction goes on.
func (db *DB) AddInboxMessage(ctx context.Context, m *InboxMessage) (bool, error) {
	// raw is bound as []byte: a BLOB on SQLite, bytea on PostgreSQL, so
	// 8-bit mail is kept byte for byte.
	var raw any
	if m.Raw != nil {
		raw = m.Raw
	}
	res, err := db.w().ExecContext(ctx, `INSERT INTO inbox_messages (`+inboxColumns+`, raw)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)
		ON CONFLICT (account_id, message_key) WHERE duplicate_of = '' DO NOTHING`,
		m.ID, m.AccountID, m.MessageKey, m.DuplicateOf, m.Source, m.Recipient, m.RemoteIP, m.HELO, m.MailFrom, m.HeaderFrom,
		m.Subject, m.MessageID, m.Size, m.Status, m.Authenticated, m.SenderUserID, string(m.Verdict), m.Reason, m.Attempts,
		ms(m.Received), ms(m.Checked), ms(m.Processed), ms(m.Purged), raw)
	if err != nil {
		return false, db.wrap(err, "add inbox message %s", m.ID)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "add inbox message %s", m.ID)
}

// InboxMessageByKey implements Inbox.
func (db *DB) InboxMessageByKey(ctx context.Context, accountID, key string) (*InboxMessage, error) {
	m, err := scanInbox(db.r().QueryRowContext(ctx, `SELECT `+inboxColumns+` FROM inbox_messages
		WHERE account_id = $1 AND message_key = $2 AND duplicate_of = ''`, accountID, key), false)
	return m, db.wrap(err, "load inbox message by key")
}

// InboxMessage implements Inbox.
func (db *DB) InboxMessage(ctx context.Context, accountID, id string) (*InboxMessage, error) {
	m, err := scanInbox(db.r().QueryRowContext(ctx, `SELECT `+inboxColumns+`, raw FROM inbox_messages
		WHERE account_id = $1 AND id = $2`, accountID, id), true)
	return m, db.wrap(err, "load inbox message %s", id)
}

// MaxInboxPage is the most messages InboxMessages lists at once; a limit
// out of 1 to MaxInboxPage lists that many.
const MaxInboxPage = 1000

// InboxMessages implements Inbox.
func (db *DB) InboxMessages(ctx context.Context, accountID string, limit int) ([]InboxMessage, error) {
	if limit <= 0 || limit > MaxInboxPage {
		limit = MaxInboxPage
	}
	rows, err := db.r().QueryContext(ctx, `SELECT `+inboxColumns+` FROM inbox_messages WHERE account_id = $1
		ORDER BY received_ms DESC, id DESC LIMIT $2`, accountID, limit)
	if err != nil {
		return nil, db.wrap(err, "list inbox")
	}
	defer rows.Close()
	var out []InboxMessage
	for rows.Next() {
		m, err := scanInbox(rows, false)
		if err != nil {
			return nil, db.wrap(err, "list inbox")
		}
		out = append(out, *m)
	}
	return out, db.wrap(rows.Err(), "list inbox")
}

// UpdateInboxMessage implements Inbox.
func (db *DB) UpdateInboxMessage(ctx context.Context, m *InboxMessage) error {
	res, err := db.w().ExecContext(ctx, `UPDATE inbox_messages SET status = $3, authenticated = $4, sender_user_id = $5,
		verdict = $6, reason = $7, attempts = $8, checked_ms = $9, processed_ms = $10
		WHERE account_id = $1 AND id = $2`, m.AccountID, m.ID, m.Status, m.Authenticated, m.SenderUserID,
		string(m.Verdict), m.Reason, m.Attempts, ms(m.Checked), ms(m.Processed))
	return db.mustAffect(res, err, "update inbox message %s", m.ID)
}

// PurgeInbox implements Inbox. Only the bytes go: the row keeps the
// Message-ID (so a late copy is still a duplicate), the verdict and the
// status.
func (db *DB) PurgeInbox(ctx context.Context, cutoff, at time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 500
	}
	res, err := db.w().ExecContext(ctx, `UPDATE inbox_messages SET raw = NULL, purged_ms = $1
		WHERE id IN (SELECT id FROM inbox_messages WHERE purged_ms = 0 AND received_ms < $2 ORDER BY received_ms LIMIT $3)`,
		ms(at), ms(cutoff), limit)
	if err != nil {
		return 0, db.wrap(err, "purge inbox")
	}
	n, err := res.RowsAffected()
	return int(n), db.wrap(err, "purge inbox")
}

// InboxCursor implements Inbox.
func (db *DB) InboxCursor(ctx context.Context, source string) (uint32, uint32, error) {
	var validity, last int64
	err := db.r().QueryRowContext(ctx, `SELECT uid_validity, last_uid FROM inbox_cursors WHERE source = $1`, source).Scan(&validity, &last)
	if err == sql.ErrNoRows {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, db.wrap(err, "load inbox cursor")
	}
	return uint32(validity), uint32(last), nil
}

// SetInboxCursor implements Inbox.
func (db *DB) SetInboxCursor(ctx context.Context, source string, uidValidity, lastUID uint32, at time.Time) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO inbox_cursors (source, uid_validity, last_uid, updated_ms) VALUES ($1, $2, $3, $4)
		ON CONFLICT (source) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = excluded.last_uid, updated_ms = excluded.updated_ms`,
		source, int64(uidValidity), int64(lastUID), ms(at))
	return db.wrap(err, "save inbox cursor")
}

// InDurableTx is InTx for a commit that must survive a crash of the host
// before the caller answers, as SMTP's 250 promises (RFC 5321 §6.1). On
// SQLite, whose connections run with synchronous=NORMAL (a commit reaches
// the disk at the next checkpoint), it runs on the writer connection set to
// synchronous=FULL, so the commit itself syncs the WAL; PostgreSQL's commit
// is already synced.
func (db *DB) InDurableTx(ctx context.Context, fn func(*DB) error) error {
	if db.tx != nil || db.d.name() != "sqlite" {
		return db.InTx(ctx, fn)
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: durable tx: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
		return fmt.Errorf("store: durable tx: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = NORMAL`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	child := *db
	child.tx = tx
	if err := fn(&child); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return db.wrap(err, "commit")
	}
	return nil
}

// DKIMKey is a managed domain's DKIM key pair (RFC 6376 §3.6.1).
type DKIMKey struct {
	AccountID  string
	Domain     string
	Selector   string
	Algorithm  string // "rsa" or "ed25519"
	PrivateKey string // sealed PKCS #8, base64; "" once retired
	PublicKey  string // the p= value: base64 of the public key
	State      string // DKIMPending, DKIMActive, DKIMRetiring or DKIMRetired
	Created    time.Time
	Activated  time.Time // when it started signing; zero while pending
	Retired    time.Time // when another key replaced it; zero before
	Purged     time.Time // when its private key was deleted; zero before
}

// The states of a DKIM key, in the order of its life.
const (
	DKIMPending  = "pending"  // made by a rotation; its record to publish, not signing
	DKIMActive   = "active"   // signs the domain's mail; one per domain
	DKIMRetiring = "retiring" // replaced; its record stays published a while
	DKIMRetired  = "retired"  // its private key deleted
)

// AddDKIMKey stores k unless the domain has a key with its selector, or
// already has a key in k's state when that is pending or active (one of
// each per domain), and reports whether it did.
func (db *DB) AddDKIMKey(ctx context.Context, k *DKIMKey) (bool, error) {
	res, err := db.w().ExecContext(ctx, `INSERT INTO dkim_keys (account_id, domain, selector, algorithm, private_key, public_key, created_ms, state, activated_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
		k.AccountID, k.Domain, k.Selector, k.Algorithm, k.PrivateKey, k.PublicKey, ms(k.Created), k.State, nullMS(k.Activated))
	if err != nil {
		return false, db.wrap(err, "add dkim key %s", k.Domain)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "add dkim key %s", k.Domain)
}

const dkimColumns = `account_id, domain, selector, algorithm, private_key, public_key, state, created_ms, activated_ms, retired_ms, purged_ms`

func scanDKIMKey(row interface{ Scan(...any) error }) (*DKIMKey, error) {
	var k DKIMKey
	var created int64
	var activated, retired, purged sql.NullInt64
	if err := row.Scan(&k.AccountID, &k.Domain, &k.Selector, &k.Algorithm, &k.PrivateKey, &k.PublicKey, &k.State,
		&created, &activated, &retired, &purged); err != nil {
		return nil, err
	}
	k.Created = fromMS(created)
	for _, f := range []struct {
		v  sql.NullInt64
		to *time.Time
	}{{activated, &k.Activated}, {retired, &k.Retired}, {purged, &k.Purged}} {
		if f.v.Valid {
			*f.to = fromMS(f.v.Int64)
		}
	}
	return &k, nil
}

// DKIMKey loads the key of a domain of an account with a selector.
func (db *DB) DKIMKey(ctx context.Context, accountID, domain, selector string) (*DKIMKey, error) {
	k, err := scanDKIMKey(db.r().QueryRowContext(ctx, `SELECT `+dkimColumns+`
		FROM dkim_keys WHERE account_id = $1 AND domain = $2 AND selector = $3`, accountID, domain, selector))
	if err != nil {
		return nil, db.wrap(err, "load dkim key %s", domain)
	}
	return k, nil
}

// ActiveDKIMKey loads the key that signs a domain's mail; ErrNotFound
// before the domain's first key is made.
func (db *DB) ActiveDKIMKey(ctx context.Context, accountID, domain string) (*DKIMKey, error) {
	k, err := scanDKIMKey(db.r().QueryRowContext(ctx, `SELECT `+dkimColumns+`
		FROM dkim_keys WHERE account_id = $1 AND domain = $2 AND state = 'active'`, accountID, domain))
	if err != nil {
		return nil, db.wrap(err, "load the active dkim key of %s", domain)
	}
	return k, nil
}

// DKIMKeys lists every key of a domain, oldest first.
func (db *DB) DKIMKeys(ctx context.Context, accountID, domain string) ([]DKIMKey, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT `+dkimColumns+`
		FROM dkim_keys WHERE account_id = $1 AND domain = $2 ORDER BY created_ms, selector`, accountID, domain)
	if err != nil {
		return nil, db.wrap(err, "list dkim keys of %s", domain)
	}
	defer rows.Close()
	var out []DKIMKey
	for rows.Next() {
		k, err := scanDKIMKey(rows)
		if err != nil {
			return nil, db.wrap(err, "list dkim keys of %s", domain)
		}
		out = append(out, *k)
	}
	return out, db.wrap(rows.Err(), "list dkim keys of %s", domain)
}

// ActivateDKIMKey makes a domain's pending key with selector the active
// one at at, and the key it replaces retiring: both or neither.
// ErrNotFound when that key is not pending (any more).
func (db *DB) ActivateDKIMKey(ctx context.Context, accountID, domain, selector string, at time.Time) error {
	return db.InTx(ctx, func(tx *DB) error {
		// The old key first: one active key per domain (dkim_keys_one_active).
		if _, err := tx.w().ExecContext(ctx, `UPDATE dkim_keys SET state = 'retiring', retired_ms = $1
			WHERE account_id = $2 AND domain = $3 AND state = 'active'`, ms(at), accountID, domain); err != nil {
			return db.wrap(err, "retire the dkim key of %s", domain)
		}
		res, err := tx.w().ExecContext(ctx, `UPDATE dkim_keys SET state = 'active', activated_ms = $1
			WHERE account_id = $2 AND domain = $3 AND selector = $4 AND state = 'pending'`, ms(at), accountID, domain, selector)
		return db.mustAffect(res, err, "activate dkim key %s of %s", selector, domain)
	})
}

// CancelDKIMKey cancels a domain's pending key with selector: its private
// key is deleted at once and it is retired, never activated, so that its
// selector is not used again. ErrNotFound when that key is not pending
// (any more).
func (db *DB) CancelDKIMKey(ctx context.Context, accountID, domain, selector string, at time.Time) error {
	res, err := db.w().ExecContext(ctx, `UPDATE dkim_keys SET state = 'retired', private_key = '', retired_ms = $1, purged_ms = $1
		WHERE account_id = $2 AND domain = $3 AND selector = $4 AND state = 'pending'`, ms(at), accountID, domain, selector)
	return db.mustAffect(res, err, "cancel dkim key %s of %s", selector, domain)
}

// PurgeDKIMKeys deletes the private keys of the keys retiring since cutoff
// or before, marking them retired at at, and returns how many it did.
func (db *DB) PurgeDKIMKeys(ctx context.Context, cutoff, at time.Time) (int, error) {
	res, err := db.w().ExecContext(ctx, `UPDATE dkim_keys SET state = 'retired', private_key = '', purged_ms = $1
		WHERE state = 'retiring' AND retired_ms <= $2`, ms(at), ms(cutoff))
	if err != nil {
		return 0, db.wrap(err, "purge dkim keys")
	}
	n, err := res.RowsAffected()
	return int(n), db.wrap(err, "purge dkim keys")
}

// nullMS is ms for a nullable column: NULL for the zero time.
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}
