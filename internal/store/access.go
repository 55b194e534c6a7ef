package store

import (
	"context"
	"time"
)

// What admins do to other users: roles, disabling and removing, and what
// a removal takes with it (tokens, calendars, links to meetings).

// SetUserAccess implements Users.
func (db *DB) SetUserAccess(ctx context.Context, accountID, id string, role Role, disabled time.Time) error {
	res, err := db.w().ExecContext(ctx, `UPDATE users SET role = $3, disabled_ms = $4
		WHERE account_id = $1 AND id = $2 AND removed_ms = 0`, accountID, id, string(role), ms(disabled))
	return db.mustAffect(res, err, "set access of user %s", id)
}

// CountActiveOwners implements Users.
func (db *DB) CountActiveOwners(ctx context.Context, accountID string) (int, error) {
	var n int
	err := db.r().QueryRowContext(ctx, `SELECT count(*) FROM users
		WHERE account_id = $1 AND role = 'owner' AND disabled_ms = 0 AND removed_ms = 0`, accountID).Scan(&n)
	return n, db.wrap(err, "count owners")
}

// removedEmail is the placeholder address of a removed user: unique (the
// ID is), in the .invalid TLD (RFC 2606 §2) so that it is no one's.
func removedEmail(id string) string { return "removed+" + id + "@removed.invalid" }

// RemoveUser implements Users.
func (db *DB) RemoveUser(ctx context.Context, accountID, id string, at time.Time) error {
	res, err := db.w().ExecContext(ctx, `UPDATE users SET removed_email = email, email = $3, role = 'member',
		disabled_ms = CASE WHEN disabled_ms = 0 THEN $4 ELSE disabled_ms END, removed_ms = $4
		WHERE account_id = $1 AND id = $2 AND removed_ms = 0`, accountID, id, removedEmail(id), ms(at))
	return db.mustAffect(res, err, "remove user %s", id)
}

// ForgetAttendeeUser implements Users.
func (db *DB) ForgetAttendeeUser(ctx context.Context, accountID, userID string) error {
	_, err := db.w().ExecContext(ctx, `UPDATE meeting_attendees SET user_id = '' WHERE account_id = $1 AND user_id = $2`,
		accountID, userID)
	return db.wrap(err, "unlink user %s from meetings", userID)
}

// DeleteUserCalendars implements Users. Objects and change logs go with
// their calendar (ON DELETE CASCADE).
func (db *DB) DeleteUserCalendars(ctx context.Context, accountID, userID string) error {
	_, err := db.w().ExecContext(ctx, `DELETE FROM calendars WHERE account_id = $1 AND user_id = $2`, accountID, userID)
	return db.wrap(err, "delete calendars of user %s", userID)
}

// DeleteUserTokens implements Tokens.
func (db *DB) DeleteUserTokens(ctx context.Context, accountID, userID string) (int, error) {
	res, err := db.w().ExecContext(ctx, `DELETE FROM api_tokens WHERE account_id = $1 AND user_id = $2`, accountID, userID)
	if err != nil {
		return 0, db.wrap(err, "delete tokens of user %s", userID)
	}
	n, err := res.RowsAffected()
	return int(n), db.wrap(err, "delete tokens of user %s", userID)
}
