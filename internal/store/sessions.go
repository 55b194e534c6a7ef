package store

import (
	"context"
	"time"
)

// Session is a signed-in browser of the web pages. Only the SHA-256 of the
// cookie's secret is stored, so a copy of the database opens no session.
type Session struct {
	IDHash    string // hex SHA-256 of the cookie's secret
	AccountID string
	UserID    string
	Method    string // how the user signed in: password, oidc, setup, reset
	Created   time.Time
	Seen      time.Time // last use (written at most once a minute)
	Expires   time.Time // absolute end, whatever the use
}

// Sessions stores web sessions and the passwords that open them.
type Sessions interface {
	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash finds a session by the hash of its secret (any
	// account).
	SessionByHash(ctx context.Context, hash string) (*Session, error)
	TouchSession(ctx context.Context, hash string, at time.Time) error
	DeleteSession(ctx context.Context, hash string) error
	// DeleteUserSessions ends every session of a user but the one whose
	// hash is except ("": all) and returns how many it ended.
	DeleteUserSessions(ctx context.Context, accountID, userID, except string) (int, error)
	// PruneSessions deletes the sessions that ended: past their absolute
	// expiry at now, or unused since idleSince.
	PruneSessions(ctx context.Context, now, idleSince time.Time) (int, error)
	// TrimUserSessions keeps only a user's keep newest sessions.
	TrimUserSessions(ctx context.Context, accountID, userID string, keep int) error

	// UserPassword returns a user's password hash (a PHC string) and when
	// it was set; ErrNotFound when the user has none.
	UserPassword(ctx context.Context, accountID, userID string) (hash string, changed time.Time, err error)
	// SetUserPassword sets or replaces a user's password hash.
	SetUserPassword(ctx context.Context, accountID, userID, hash string, at time.Time) error
	// DeleteUserPassword removes a user's password (nothing if none).
	DeleteUserPassword(ctx context.Context, accountID, userID string) error
}

var _ Sessions = (*DB)(nil)

const sessionColumns = `id_hash, account_id, user_id, method, created_ms, seen_ms, expires_ms`

// CreateSession implements Sessions.
func (db *DB) CreateSession(ctx context.Context, s *Session) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO web_sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		s.IDHash, s.AccountID, s.UserID, s.Method, ms(s.Created), ms(s.Seen), ms(s.Expires))
	return db.wrap(err, "create session")
}

// SessionByHash implements Sessions.
func (db *DB) SessionByHash(ctx context.Context, hash string) (*Session, error) {
	var s Session
	var created, seen, expires int64
	err := db.r().QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM web_sessions WHERE id_hash = $1`, hash).
		Scan(&s.IDHash, &s.AccountID, &s.UserID, &s.Method, &created, &seen, &expires)
	if err != nil {
		return nil, db.wrap(err, "find session")
	}
	s.Created, s.Seen, s.Expires = fromMS(created), fromMS(seen), fromMS(expires)
	return &s, nil
}

// TouchSession implements Sessions.
func (db *DB) TouchSession(ctx context.Context, hash string, at time.Time) error {
	_, err := db.w().ExecContext(ctx, `UPDATE web_sessions SET seen_ms = $2 WHERE id_hash = $1`, hash, ms(at))
	return db.wrap(err, "touch session")
}

// DeleteSession implements Sessions.
func (db *DB) DeleteSession(ctx context.Context, hash string) error {
	_, err := db.w().ExecContext(ctx, `DELETE FROM web_sessions WHERE id_hash = $1`, hash)
	return db.wrap(err, "delete session")
}

// DeleteUserSessions implements Sessions.
func (db *DB) DeleteUserSessions(ctx context.Context, accountID, userID, except string) (int, error) {
	res, err := db.w().ExecContext(ctx, `DELETE FROM web_sessions WHERE account_id = $1 AND user_id = $2 AND id_hash <> $3`,
		accountID, userID, except)
	if err != nil {
		return 0, db.wrap(err, "delete sessions of user %s", userID)
	}
	n, err := res.RowsAffected()
	return int(n), db.wrap(err, "delete sessions of user %s", userID)
}

// PruneSessions implements Sessions.
func (db *DB) PruneSessions(ctx context.Context, now, idleSince time.Time) (int, error) {
	res, err := db.w().ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_ms <= $1 OR seen_ms <= $2`, ms(now), ms(idleSince))
	if err != nil {
		return 0, db.wrap(err, "prune sessions")
	}
	n, err := res.RowsAffected()
	return int(n), db.wrap(err, "prune sessions")
}

// TrimUserSessions implements Sessions.
func (db *DB) TrimUserSessions(ctx context.Context, accountID, userID string, keep int) error {
	_, err := db.w().ExecContext(ctx, `DELETE FROM web_sessions WHERE account_id = $1 AND user_id = $2 AND id_hash NOT IN (
		SELECT id_hash FROM web_sessions WHERE account_id = $1 AND user_id = $2 ORDER BY created_ms DESC, id_hash DESC LIMIT $3)`,
		accountID, userID, keep)
	return db.wrap(err, "trim sessions of user %s", userID)
}

// UserPassword implements Sessions.
func (db *DB) UserPassword(ctx context.Context, accountID, userID string) (string, time.Time, error) {
	var hash string
	var changed int64
	err := db.r().QueryRowContext(ctx, `SELECT hash, changed_ms FROM user_passwords WHERE account_id = $1 AND user_id = $2`,
		accountID, userID).Scan(&hash, &changed)
	if err != nil {
		return "", time.Time{}, db.wrap(err, "load password of user %s", userID)
	}
	return hash, fromMS(changed), nil
}

// SetUserPassword implements Sessions.
func (db *DB) SetUserPassword(ctx context.Context, accountID, userID, hash string, at time.Time) error {
	// Through the users table, so that only a user of the account gets it.
	res, err := db.w().ExecContext(ctx, `INSERT INTO user_passwords (user_id, account_id, hash, changed_ms)
		SELECT id, account_id, $3, $4 FROM users WHERE id = $1 AND account_id = $2
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, changed_ms = excluded.changed_ms`,
		userID, accountID, hash, ms(at))
	return db.mustAffect(res, err, "set password of user %s", userID)
}

// DeleteUserPassword implements Sessions.
func (db *DB) DeleteUserPassword(ctx context.Context, accountID, userID string) error {
	_, err := db.w().ExecContext(ctx, `DELETE FROM user_passwords WHERE account_id = $1 AND user_id = $2`, accountID, userID)
	return db.wrap(err, "delete password of user %s", userID)
}
