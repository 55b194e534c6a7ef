package store

import (
	"context"
	"strings"
	"time"
)

// Grant states.
const (
	GrantActive               = "active"
	GrantNeedsReauthorization = "needs_reauthorization"
)

// Grant is one user's connection of their own account at a provider, for
// an install in per-user mode (video.App.UserAuth): whose account it is
// (the id_token's subject and address), the scopes granted, and the
// tokens, sealed.
type Grant struct {
	AccountID    string
	App          string
	UserID       string
	Subject      string // the provider's stable id of the account
	Email        string // its address (may differ from the user's)
	Scopes       string // granted, space-separated
	State        string // GrantActive or GrantNeedsReauthorization
	Problem      string // why it needs re-authorization
	AccessToken  string // sealed
	RefreshToken string // sealed
	TokenExpires time.Time
	TokenVersion int64 // raised on every token change (compare-and-swap)
	Created      time.Time
	Updated      time.Time
	// Refreshed is when the tokens were last renewed at the provider;
	// zero when they have not been since the user connected.
	Refreshed time.Time
}

// Grants stores users' grants. Every call but GrantBySubject names the
// account: a grant is only ever read within its account.
type Grants interface {
	// SaveGrant writes the whole grant, creating it if needed, raises its
	// token version and ends any refresh lease. A subject connected by
	// another user is ErrConflict.
	SaveGrant(ctx context.Context, g *Grant) error
	// Grant returns a user's grant of app.
	Grant(ctx context.Context, accountID, app, userID string) (*Grant, error)
	// GrantsOfApp lists the grants of app in an account, by user.
	GrantsOfApp(ctx context.Context, accountID, app string) ([]Grant, error)
	// GrantsOfAppPage lists a page of the grants of app in an account,
	// each with its user's address, by that address: those after the
	// address after when it is not "", at most limit (1 to 1000).
	GrantsOfAppPage(ctx context.Context, accountID, app, after string, limit int) ([]UserGrant, error)
	// GrantsOfUser lists a user's grants, by app.
	GrantsOfUser(ctx context.Context, accountID, userID string) ([]Grant, error)
	// GrantBySubject finds the grant of a provider's account, in any
	// Convene account: one provider account is connected once.
	GrantBySubject(ctx context.Context, app, subject string) (*Grant, error)
	// DeleteGrant forgets a grant; ErrNotFound when there is none.
	DeleteGrant(ctx context.Context, accountID, app, userID string) error
	// SwapGrantTokens replaces the tokens only if the token version is
	// still fromVersion, and reports whether it did; refreshed, unless
	// zero, is when the provider renewed them.
	SwapGrantTokens(ctx context.Context, accountID, app, userID string, fromVersion int64, access, refresh string, expires, refreshed time.Time) (bool, error)
	// LeaseGrantRefresh takes the right to refresh the grant's tokens
	// until until, unless another holder's lease is still running at now.
	LeaseGrantRefresh(ctx context.Context, accountID, app, userID string, now, until time.Time) (bool, error)
	// SetGrantState sets a grant's state and problem, unless its token
	// version moved past version (a reconnection won meanwhile); it
	// reports whether it did.
	SetGrantState(ctx context.Context, accountID, app, userID string, version int64, state, problem string, at time.Time) (bool, error)
}

// UserGrant is a grant with its user's address in Convene.
type UserGrant struct {
	Grant
	UserEmail string
}

var _ Grants = (*DB)(nil)

// grantColumnsOf is grantColumns, each qualified by prefix ("g.").
func grantColumnsOf(prefix string) string {
	cols := strings.Split(grantColumns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// zeroMS is ms for a column where 0 stands for the zero time.
func zeroMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

const grantColumns = `account_id, app, user_id, subject, email, scopes, state, problem, access_token, refresh_token,
	token_expires_ms, token_version, created_ms, updated_ms, refreshed_ms`

// scanGrant reads the grantColumns of a row into a grant, then the row's
// further columns into more.
func scanGrant(row interface{ Scan(...any) error }, more ...any) (*Grant, error) {
	var g Grant
	var exp, created, updated, refreshed int64
	if err := row.Scan(append([]any{&g.AccountID, &g.App, &g.UserID, &g.Subject, &g.Email, &g.Scopes, &g.State, &g.Problem,
		&g.AccessToken, &g.RefreshToken, &exp, &g.TokenVersion, &created, &updated, &refreshed}, more...)...); err != nil {
		return nil, err
	}
	g.TokenExpires, g.Created, g.Updated = fromMS(exp), fromMS(created), fromMS(updated)
	if refreshed != 0 {
		g.Refreshed = fromMS(refreshed)
	}
	return &g, nil
}

// SaveGrant implements Grants.
func (db *DB) SaveGrant(ctx context.Context, g *Grant) error {
	g.TokenVersion++
	_, err := db.w().ExecContext(ctx, `INSERT INTO app_grants (`+grantColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (account_id, app, user_id) DO UPDATE SET subject = $4, email = $5, scopes = $6, state = $7,
			problem = $8, access_token = $9, refresh_token = $10, token_expires_ms = $11,
			token_version = app_grants.token_version + 1, updated_ms = $14, refreshed_ms = $15, refresh_lease_ms = 0`,
		g.AccountID, g.App, g.UserID, g.Subject, g.Email, g.Scopes, g.State, g.Problem, g.AccessToken, g.RefreshToken,
		ms(g.TokenExpires), g.TokenVersion, ms(g.Created), ms(g.Updated), zeroMS(g.Refreshed))
	return db.wrap(err, "save grant of %s", g.App)
}

// Grant implements Grants.
func (db *DB) Grant(ctx context.Context, accountID, app, userID string) (*Grant, error) {
	g, err := scanGrant(db.r().QueryRowContext(ctx, `SELECT `+grantColumns+` FROM app_grants
		WHERE account_id = $1 AND app = $2 AND user_id = $3`, accountID, app, userID))
	return g, db.wrap(err, "load grant of %s", app)
}

// GrantBySubject implements Grants.
func (db *DB) GrantBySubject(ctx context.Context, app, subject string) (*Grant, error) {
	g, err := scanGrant(db.r().QueryRowContext(ctx, `SELECT `+grantColumns+` FROM app_grants
		WHERE app = $1 AND subject = $2`, app, subject))
	return g, db.wrap(err, "find grant of %s", app)
}

func (db *DB) queryGrants(ctx context.Context, q string, args ...any) ([]Grant, error) {
	rows, err := db.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "list grants")
	}
	defer rows.Close()
	var out []Grant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, db.wrap(err, "list grants")
		}
		out = append(out, *g)
	}
	return out, db.wrap(rows.Err(), "list grants")
}

// GrantsOfApp implements Grants.
func (db *DB) GrantsOfApp(ctx context.Context, accountID, app string) ([]Grant, error) {
	return db.queryGrants(ctx, `SELECT `+grantColumns+` FROM app_grants WHERE account_id = $1 AND app = $2 ORDER BY user_id`, accountID, app)
}

// GrantsOfAppPage implements Grants.
func (db *DB) GrantsOfAppPage(ctx context.Context, accountID, app, after string, limit int) ([]UserGrant, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := db.r().QueryContext(ctx, `SELECT `+grantColumnsOf("g.")+`, u.email
		FROM app_grants g JOIN users u ON u.account_id = g.account_id AND u.id = g.user_id
		WHERE g.account_id = $1 AND g.app = $2 AND u.email > $3 ORDER BY u.email LIMIT $4`, accountID, app, after, limit)
	if err != nil {
		return nil, db.wrap(err, "list grants of %s", app)
	}
	defer rows.Close()
	var out []UserGrant
	for rows.Next() {
		var email string
		g, err := scanGrant(rows, &email)
		if err != nil {
			return nil, db.wrap(err, "list grants of %s", app)
		}
		out = append(out, UserGrant{Grant: *g, UserEmail: email})
	}
	return out, db.wrap(rows.Err(), "list grants of %s", app)
}

// GrantsOfUser implements Grants.
func (db *DB) GrantsOfUser(ctx context.Context, accountID, userID string) ([]Grant, error) {
	return db.queryGrants(ctx, `SELECT `+grantColumns+` FROM app_grants WHERE account_id = $1 AND user_id = $2 ORDER BY app`, accountID, userID)
}

// DeleteGrant implements Grants.
func (db *DB) DeleteGrant(ctx context.Context, accountID, app, userID string) error {
	res, err := db.w().ExecContext(ctx, `DELETE FROM app_grants WHERE account_id = $1 AND app = $2 AND user_id = $3`, accountID, app, userID)
	return db.mustAffect(res, err, "delete grant of %s", app)
}

// SwapGrantTokens implements Grants.
func (db *DB) SwapGrantTokens(ctx context.Context, accountID, app, userID string, fromVersion int64, access, refresh string, expires, refreshed time.Time) (bool, error) {
	res, err := db.w().ExecContext(ctx, `UPDATE app_grants SET access_token = $5, refresh_token = $6, token_expires_ms = $7,
		token_version = token_version + 1, refresh_lease_ms = 0, refreshed_ms = COALESCE($8, refreshed_ms)
		WHERE account_id = $1 AND app = $2 AND user_id = $3 AND token_version = $4`, accountID, app, userID, fromVersion, access, refresh, ms(expires),
		nullMS(refreshed))
	if err != nil {
		return false, db.wrap(err, "swap grant tokens of %s", app)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "swap grant tokens of %s", app)
}

// LeaseGrantRefresh implements Grants.
func (db *DB) LeaseGrantRefresh(ctx context.Context, accountID, app, userID string, now, until time.Time) (bool, error) {
	res, err := db.w().ExecContext(ctx, `UPDATE app_grants SET refresh_lease_ms = $5
		WHERE account_id = $1 AND app = $2 AND user_id = $3 AND refresh_lease_ms < $4`, accountID, app, userID, ms(now), ms(until))
	if err != nil {
		return false, db.wrap(err, "lease grant refresh of %s", app)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "lease grant refresh of %s", app)
}

// SetGrantState implements Grants.
func (db *DB) SetGrantState(ctx context.Context, accountID, app, userID string, version int64, state, problem string, at time.Time) (bool, error) {
	res, err := db.w().ExecContext(ctx, `UPDATE app_grants SET state = $5, problem = $6, updated_ms = $7, refresh_lease_ms = 0
		WHERE account_id = $1 AND app = $2 AND user_id = $3 AND token_version = $4`, accountID, app, userID, version, state, problem, ms(at))
	if err != nil {
		return false, db.wrap(err, "set grant state of %s", app)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "set grant state of %s", app)
}
