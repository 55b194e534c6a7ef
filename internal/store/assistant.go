package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"
)

// States of an assistant thread (internal/assistant documents them).
const (
	ThreadAsking    = "asking"
	ThreadProposed  = "proposed"
	ThreadBooked    = "booked"
	ThreadCancelled = "cancelled"
)

// Statuses of an assistant step.
const (
	StepPlanned = "planned"
	StepDone    = "done"
)

// Thread is one conversation of the assistant: a meeting request and the
// mail about it. Data is the assistant's own JSON.
type Thread struct {
	ID          string
	AccountID   string
	OrganizerID string
	MeetingID   string
	State       string
	Data        []byte
	// Due is when the reminder sweep looks at the thread next (zero:
	// never).
	Due time.Time
	// LeaseOwner holds the thread until LeaseUntil (see LeaseThread).
	LeaseOwner string
	LeaseUntil time.Time
	// Version grows with every UpdateThread.
	Version int
	Created time.Time
	Updated time.Time
}

// Step is what the assistant did, or plans to do, for one message, link or
// reminder (ID): the record that makes a retry change nothing.
type Step struct {
	AccountID string
	ID        string
	ThreadID  string
	Status    string // StepPlanned or StepDone
	// Outcome is how the step ended ("processed", "not_processed"…) and
	// Detail why, in a sentence for the admins.
	Outcome string
	Plan    []byte // the assistant's JSON
	Detail  string
	Created time.Time
	Done    time.Time
}

// Assistant stores the assistant's threads.
type Assistant interface {
	// CreateThread stores a new thread.
	CreateThread(ctx context.Context, t *Thread) error
	// Thread loads a thread.
	Thread(ctx context.Context, accountID, id string) (*Thread, error)
	// ThreadOfMeeting finds the thread of a meeting; ErrNotFound if none.
	ThreadOfMeeting(ctx context.Context, accountID, meetingID string) (*Thread, error)
	// UpdateThread saves t if its Version is the stored one (ErrConflict
	// otherwise), raises the version and releases the lease.
	UpdateThread(ctx context.Context, t *Thread) error
	// LeaseThread gives owner the thread until until, if it is free (no
	// lease, a lease that ran out before now, or owner's own); it reports
	// whether it did.
	LeaseThread(ctx context.Context, accountID, id, owner string, now, until time.Time) (bool, error)
	// ReleaseThread ends owner's lease.
	ReleaseThread(ctx context.Context, accountID, id, owner string) error
	// AddThreadKeys records keys (message ids, "person:" addresses) as
	// naming the thread.
	AddThreadKeys(ctx context.Context, accountID, threadID string, keys []string) error
	// ThreadKeys returns up to limit keys of a thread.
	ThreadKeys(ctx context.Context, accountID, threadID string, limit int) ([]string, error)
	// ThreadsByKeys returns the threads any of keys names, most recently
	// updated first, at most limit.
	ThreadsByKeys(ctx context.Context, accountID string, keys []string, limit int) ([]Thread, error)
	// DueThreads returns up to limit threads whose Due is at or before
	// now, of any account.
	DueThreads(ctx context.Context, now time.Time, limit int) ([]Thread, error)
	// Step loads the step recorded under id; ErrNotFound if none.
	Step(ctx context.Context, accountID, id string) (*Step, error)
	// PutStep records a step, replacing a planned one with the same id;
	// a done step is never replaced (ErrConflict).
	PutStep(ctx context.Context, s *Step) error
}

var _ Assistant = (*DB)(nil)

const threadColumns = `id, account_id, organizer_id, meeting_id, state, data, due_ms, lease_owner, lease_ms, version, created_ms, updated_ms`

func scanThread(row interface{ Scan(...any) error }) (*Thread, error) {
	var t Thread
	var data string
	var due, lease, created, updated int64
	if err := row.Scan(&t.ID, &t.AccountID, &t.OrganizerID, &t.MeetingID, &t.State, &data, &due, &t.LeaseOwner, &lease,
		&t.Version, &created, &updated); err != nil {
		return nil, err
	}
	t.Data = []byte(data)
	t.Due, t.LeaseUntil, t.Created, t.Updated = fromMS(due), fromMS(lease), fromMS(created), fromMS(updated)
	return &t, nil
}

// CreateThread implements Assistant.
func (db *DB) CreateThread(ctx context.Context, t *Thread) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO assistant_threads (`+threadColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		t.ID, t.AccountID, t.OrganizerID, t.MeetingID, t.State, orEmpty(t.Data, "{}"), ms(t.Due), t.LeaseOwner, ms(t.LeaseUntil),
		t.Version, ms(t.Created), ms(t.Updated))
	return db.wrap(err, "create thread %s", t.ID)
}

// Thread implements Assistant.
func (db *DB) Thread(ctx context.Context, accountID, id string) (*Thread, error) {
	t, err := scanThread(db.r().QueryRowContext(ctx, `SELECT `+threadColumns+` FROM assistant_threads
		WHERE account_id = $1 AND id = $2`, accountID, id))
	return t, db.wrap(err, "load thread %s", id)
}

// ThreadOfMeeting implements Assistant.
func (db *DB) ThreadOfMeeting(ctx context.Context, accountID, meetingID string) (*Thread, error) {
	t, err := scanThread(db.r().QueryRowContext(ctx, `SELECT `+threadColumns+` FROM assistant_threads
		WHERE account_id = $1 AND meeting_id = $2 ORDER BY created_ms DESC LIMIT 1`, accountID, meetingID))
	return t, db.wrap(err, "load thread of meeting %s", meetingID)
}

// UpdateThread implements Assistant.
func (db *DB) UpdateThread(ctx context.Context, t *Thread) error {
	res, err := db.w().ExecContext(ctx, `UPDATE assistant_threads SET meeting_id = $3, state = $4, data = $5, due_ms = $6,
		lease_owner = '', lease_ms = 0, version = version + 1, updated_ms = $7
		WHERE account_id = $1 AND id = $2 AND version = $8`,
		t.AccountID, t.ID, t.MeetingID, t.State, orEmpty(t.Data, "{}"), ms(t.Due), ms(t.Updated), t.Version)
	if err != nil {
		return db.wrap(err, "update thread %s", t.ID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return db.wrap(err, "update thread %s", t.ID)
	}
	if n == 0 {
		return db.wrap(ErrConflict, "update thread %s: changed meanwhile", t.ID)
	}
	t.Version++
	t.LeaseOwner, t.LeaseUntil = "", time.Time{}
	return nil
}

// LeaseThread implements Assistant.
func (db *DB) LeaseThread(ctx context.Context, accountID, id, owner string, now, until time.Time) (bool, error) {
	res, err := db.w().ExecContext(ctx, `UPDATE assistant_threads SET lease_owner = $3, lease_ms = $4
		WHERE account_id = $1 AND id = $2 AND (lease_owner = '' OR lease_owner = $3 OR lease_ms < $5)`,
		accountID, id, owner, ms(until), ms(now))
	if err != nil {
		return false, db.wrap(err, "lease thread %s", id)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "lease thread %s", id)
}

// ReleaseThread implements Assistant.
func (db *DB) ReleaseThread(ctx context.Context, accountID, id, owner string) error {
	_, err := db.w().ExecContext(ctx, `UPDATE assistant_threads SET lease_owner = '', lease_ms = 0
		WHERE account_id = $1 AND id = $2 AND lease_owner = $3`, accountID, id, owner)
	return db.wrap(err, "release thread %s", id)
}

// maxThreadKeys bounds the keys one call records or looks up.
const maxThreadKeys = 500

// AddThreadKeys implements Assistant.
func (db *DB) AddThreadKeys(ctx context.Context, accountID, threadID string, keys []string) error {
	if len(keys) > maxThreadKeys {
		keys = keys[:maxThreadKeys]
	}
	for _, k := range keys {
		if k == "" {
			continue
		}
		if _, err := db.w().ExecContext(ctx, `INSERT INTO assistant_thread_keys (account_id, key, thread_id) VALUES ($1, $2, $3)
			ON CONFLICT (account_id, key, thread_id) DO NOTHING`, accountID, k, threadID); err != nil {
			return db.wrap(err, "add thread key")
		}
	}
	return nil
}

// ThreadKeys implements Assistant.
func (db *DB) ThreadKeys(ctx context.Context, accountID, threadID string, limit int) ([]string, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	rows, err := db.r().QueryContext(ctx, `SELECT key FROM assistant_thread_keys WHERE account_id = $1 AND thread_id = $2 LIMIT $3`,
		accountID, threadID, limit)
	if err != nil {
		return nil, db.wrap(err, "thread keys")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, db.wrap(err, "thread keys")
		}
		out = append(out, k)
	}
	return out, db.wrap(rows.Err(), "thread keys")
}

// ThreadsByKeys implements Assistant.
func (db *DB) ThreadsByKeys(ctx context.Context, accountID string, keys []string, limit int) ([]Thread, error) {
	var ks []string
	for _, k := range keys {
		if k != "" {
			ks = append(ks, k)
		}
	}
	if len(ks) == 0 {
		return nil, nil
	}
	if len(ks) > maxThreadKeys {
		ks = ks[:maxThreadKeys]
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	args := []any{accountID}
	marks := make([]string, len(ks))
	for i, k := range ks {
		args = append(args, k)
		marks[i] = "$" + strconv.Itoa(i+2)
	}
	args = append(args, limit)
	// The keys first (their primary key), then each thread by its id: a
	// join, so that the planner does not walk the account's threads.
	cols := "t." + strings.ReplaceAll(threadColumns, ", ", ", t.")
	q := `SELECT DISTINCT ` + cols + ` FROM assistant_thread_keys k JOIN assistant_threads t ON t.id = k.thread_id
		WHERE k.account_id = $1 AND k.key IN (` + strings.Join(marks, ", ") + `) AND t.account_id = $1
		ORDER BY t.updated_ms DESC, t.id LIMIT $` + strconv.Itoa(len(args))
	rows, err := db.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "find threads")
	}
	defer rows.Close()
	var out []Thread
	for rows.Next() {
		t, err := scanThread(rows)
		if err != nil {
			return nil, db.wrap(err, "find threads")
		}
		out = append(out, *t)
	}
	return out, db.wrap(rows.Err(), "find threads")
}

// DueThreads implements Assistant.
func (db *DB) DueThreads(ctx context.Context, now time.Time, limit int) ([]Thread, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := db.r().QueryContext(ctx, `SELECT `+threadColumns+` FROM assistant_threads
		WHERE due_ms > 0 AND due_ms <= $1 ORDER BY due_ms LIMIT $2`, ms(now), limit)
	if err != nil {
		return nil, db.wrap(err, "due threads")
	}
	defer rows.Close()
	var out []Thread
	for rows.Next() {
		t, err := scanThread(rows)
		if err != nil {
			return nil, db.wrap(err, "due threads")
		}
		out = append(out, *t)
	}
	return out, db.wrap(rows.Err(), "due threads")
}

const stepColumns = `account_id, id, thread_id, status, outcome, plan, detail, created_ms, done_ms`

// Step implements Assistant.
func (db *DB) Step(ctx context.Context, accountID, id string) (*Step, error) {
	var s Step
	var plan string
	var created, done int64
	err := db.r().QueryRowContext(ctx, `SELECT `+stepColumns+` FROM assistant_steps WHERE account_id = $1 AND id = $2`, accountID, id).
		Scan(&s.AccountID, &s.ID, &s.ThreadID, &s.Status, &s.Outcome, &plan, &s.Detail, &created, &done)
	if err == sql.ErrNoRows {
		return nil, db.wrap(err, "load step %s", id)
	}
	if err != nil {
		return nil, db.wrap(err, "load step %s", id)
	}
	s.Plan, s.Created, s.Done = []byte(plan), fromMS(created), fromMS(done)
	return &s, nil
}

// PutStep implements Assistant.
func (db *DB) PutStep(ctx context.Context, s *Step) error {
	res, err := db.w().ExecContext(ctx, `INSERT INTO assistant_steps (`+stepColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (account_id, id) DO UPDATE SET thread_id = excluded.thread_id, status = excluded.status,
			outcome = excluded.outcome, plan = excluded.plan, detail = excluded.detail, done_ms = excluded.done_ms
		WHERE assistant_steps.status = 'planned'`,
		s.AccountID, s.ID, s.ThreadID, s.Status, s.Outcome, orEmpty(s.Plan, "{}"), s.Detail, ms(s.Created), ms(s.Done))
	if err != nil {
		return db.wrap(err, "put step %s", s.ID)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return db.wrap(err, "put step %s", s.ID)
	}
	if n == 0 {
		return db.wrap(ErrConflict, "put step %s: done already", s.ID)
	}
	return nil
}
