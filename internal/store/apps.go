package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// Install states.
const (
	InstallPreApproved          = "pre_approved"
	InstallInstalled            = "installed"
	InstallNeedsReauthorization = "needs_reauthorization"
)

// Install is a video app of an account: pre-approved, installed with its
// tokens (sealed), or in need of re-authorization.
type Install struct {
	AccountID         string
	App               string
	State             string
	Domains           []string
	Scopes            string // granted scopes, space-separated
	AccessToken       string // sealed
	RefreshToken      string // sealed
	Credentials       string // sealed: the key given at install (a service account's), or ""
	TokenExpires      time.Time
	TokenVersion      int64 // raised on every token change (compare-and-swap)
	ProviderAccountID string
	ProviderUserID    string
	InstalledBy       string // user ID
	Problem           string // why it needs re-authorization
	// Mode is how the install is authorized: video.ModeAccount ("") by
	// the admin for the account, video.ModePersonal by each user.
	Mode      string
	Installed time.Time
	Created   time.Time
	Updated   time.Time
}

// OAuthState is a pending authorization: single use, expiring, bound to one
// install attempt.
type OAuthState struct {
	Hash      string // hex SHA-256 of the state sent to the provider
	AccountID string
	App       string
	UserID    string
	Verifier  string // PKCE code verifier, sealed
	Domains   []string
	// Kind is what the state authorizes: "" an install (by an admin),
	// OAuthConnect a user's own connection (per-user mode).
	Kind    string
	Expires time.Time
	Created time.Time
}

// OAuthConnect is the kind of the state of a user's connection.
const OAuthConnect = "connect"

// Installs stores app installs and OAuth states.
type Installs interface {
	Install(ctx context.Context, accountID, app string) (*Install, error)
	// InstallForUpdate is Install inside a transaction, with the row
	// locked until it ends (PostgreSQL; SQLite's one writer serializes).
	InstallForUpdate(ctx context.Context, accountID, app string) (*Install, error)
	Installs(ctx context.Context, accountID string) ([]Install, error)
	// InstallsByProviderAccount finds the installs of an app bound to a
	// provider's account (any Convene account): for webhooks.
	InstallsByProviderAccount(ctx context.Context, app, providerAccountID string) ([]Install, error)
	// SaveInstall writes the whole install, creating it if needed, and
	// raises its token version.
	SaveInstall(ctx context.Context, in *Install) error
	// SwapTokens replaces the tokens only if the token version is still
	// fromVersion, and reports whether it did.
	SwapTokens(ctx context.Context, accountID, app string, fromVersion int64, access, refresh string, expires time.Time) (bool, error)
	// LeaseRefresh takes the right to refresh the install's tokens until
	// until, unless another holder's lease is still running at now.
	LeaseRefresh(ctx context.Context, accountID, app string, now, until time.Time) (bool, error)
	DeleteInstall(ctx context.Context, accountID, app string) error
	// InstalledAccounts lists the accounts where app is installed.
	InstalledAccounts(ctx context.Context, app string) ([]string, error)

	CreateOAuthState(ctx context.Context, s *OAuthState) error
	// OAuthState returns a pending state without taking it.
	OAuthState(ctx context.Context, hash string) (*OAuthState, error)
	// TakeOAuthState removes and returns the state: it can be taken once.
	TakeOAuthState(ctx context.Context, hash string) (*OAuthState, error)
	// DeleteExpiredOAuthStates removes states that expired before now.
	DeleteExpiredOAuthStates(ctx context.Context, now time.Time) (int, error)

	Grants
}

var _ Installs = (*DB)(nil)

const installColumns = `account_id, app, state, domains, scopes, access_token, refresh_token, token_expires_ms,
	token_version, provider_account_id, provider_user_id, installed_by, problem, installed_ms, created_ms, updated_ms, credentials, mode`

func scanInstall(row interface{ Scan(...any) error }) (*Install, error) {
	var in Install
	var domains string
	var exp, inst, created, updated int64
	if err := row.Scan(&in.AccountID, &in.App, &in.State, &domains, &in.Scopes, &in.AccessToken, &in.RefreshToken, &exp,
		&in.TokenVersion, &in.ProviderAccountID, &in.ProviderUserID, &in.InstalledBy, &in.Problem, &inst, &created, &updated, &in.Credentials, &in.Mode); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(domains), &in.Domains); err != nil {
		return nil, err
	}
	in.TokenExpires, in.Installed, in.Created, in.Updated = fromMS(exp), fromMS(inst), fromMS(created), fromMS(updated)
	return &in, nil
}

// Install implements Installs.
func (db *DB) Install(ctx context.Context, accountID, app string) (*Install, error) {
	in, err := scanInstall(db.r().QueryRowContext(ctx, `SELECT `+installColumns+` FROM app_installs
		WHERE account_id = $1 AND app = $2`, accountID, app))
	return in, db.wrap(err, "load install %s", app)
}

// InstallForUpdate implements Installs.
func (db *DB) InstallForUpdate(ctx context.Context, accountID, app string) (*Install, error) {
	in, err := scanInstall(db.w().QueryRowContext(ctx, `SELECT `+installColumns+` FROM app_installs
		WHERE account_id = $1 AND app = $2`+db.d.forUpdate(), accountID, app))
	return in, db.wrap(err, "load install %s", app)
}

func (db *DB) queryInstalls(ctx context.Context, what, q string, args ...any) ([]Install, error) {
	rows, err := db.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "%s", what)
	}
	defer rows.Close()
	var out []Install
	for rows.Next() {
		in, err := scanInstall(rows)
		if err != nil {
			return nil, db.wrap(err, "%s", what)
		}
		out = append(out, *in)
	}
	return out, db.wrap(rows.Err(), "%s", what)
}

// Installs implements Installs.
func (db *DB) Installs(ctx context.Context, accountID string) ([]Install, error) {
	return db.queryInstalls(ctx, "list installs", `SELECT `+installColumns+` FROM app_installs
		WHERE account_id = $1 ORDER BY app`, accountID)
}

// InstallsByProviderAccount implements Installs.
func (db *DB) InstallsByProviderAccount(ctx context.Context, app, providerAccountID string) ([]Install, error) {
	return db.queryInstalls(ctx, "find installs", `SELECT `+installColumns+` FROM app_installs
		WHERE app = $1 AND provider_account_id = $2 ORDER BY account_id`, app, providerAccountID)
}

// SaveInstall implements Installs.
func (db *DB) SaveInstall(ctx context.Context, in *Install) error {
	if in.Domains == nil {
		in.Domains = []string{}
	}
	domains, err := json.Marshal(in.Domains)
	if err != nil {
		return err
	}
	in.TokenVersion++
	_, err = db.w().ExecContext(ctx, `INSERT INTO app_installs (`+installColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		ON CONFLICT (account_id, app) DO UPDATE SET state = $3, domains = $4, scopes = $5, access_token = $6,
			refresh_token = $7, token_expires_ms = $8, token_version = app_installs.token_version + 1,
			provider_account_id = $10, provider_user_id = $11, installed_by = $12, problem = $13, installed_ms = $14,
			updated_ms = $16, credentials = $17, mode = $18, refresh_lease_ms = 0`,
		in.AccountID, in.App, in.State, string(domains), in.Scopes, in.AccessToken, in.RefreshToken, ms(in.TokenExpires),
		in.TokenVersion, in.ProviderAccountID, in.ProviderUserID, in.InstalledBy, in.Problem, ms(in.Installed),
		ms(in.Created), ms(in.Updated), in.Credentials, in.Mode)
	return db.wrap(err, "save install %s", in.App)
}

// SwapTokens implements Installs.
func (db *DB) SwapTokens(ctx context.Context, accountID, app string, fromVersion int64, access, refresh string, expires time.Time) (bool, error) {
	res, err := db.w().ExecContext(ctx, `UPDATE app_installs SET access_token = $4, refresh_token = $5, token_expires_ms = $6,
		token_version = token_version + 1, refresh_lease_ms = 0
		WHERE account_id = $1 AND app = $2 AND token_version = $3`, accountID, app, fromVersion, access, refresh, ms(expires))
	if err != nil {
		return false, db.wrap(err, "swap tokens of %s", app)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "swap tokens of %s", app)
}

// LeaseRefresh implements Installs.
func (db *DB) LeaseRefresh(ctx context.Context, accountID, app string, now, until time.Time) (bool, error) {
	res, err := db.w().ExecContext(ctx, `UPDATE app_installs SET refresh_lease_ms = $4
		WHERE account_id = $1 AND app = $2 AND refresh_lease_ms < $3`, accountID, app, ms(now), ms(until))
	if err != nil {
		return false, db.wrap(err, "lease refresh of %s", app)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "lease refresh of %s", app)
}

// DeleteInstall implements Installs.
func (db *DB) DeleteInstall(ctx context.Context, accountID, app string) error {
	res, err := db.w().ExecContext(ctx, `DELETE FROM app_installs WHERE account_id = $1 AND app = $2`, accountID, app)
	return db.mustAffect(res, err, "delete install %s", app)
}

// CreateOAuthState implements Installs.
func (db *DB) CreateOAuthState(ctx context.Context, s *OAuthState) error {
	domains, err := json.Marshal(s.Domains)
	if err != nil {
		return err
	}
	_, err = db.w().ExecContext(ctx, `INSERT INTO oauth_states (state_hash, account_id, app, user_id, verifier, domains, expires_ms, created_ms, kind)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, s.Hash, s.AccountID, s.App, s.UserID, s.Verifier, string(domains), ms(s.Expires), ms(s.Created), s.Kind)
	return db.wrap(err, "create oauth state")
}

// TakeOAuthState implements Installs.
func (db *DB) TakeOAuthState(ctx context.Context, hash string) (*OAuthState, error) {
	return scanOAuthState(db, db.w().QueryRowContext(ctx, `DELETE FROM oauth_states WHERE state_hash = $1
		RETURNING `+oauthStateColumns, hash))
}

// OAuthState implements Installs.
func (db *DB) OAuthState(ctx context.Context, hash string) (*OAuthState, error) {
	return scanOAuthState(db, db.r().QueryRowContext(ctx, `SELECT `+oauthStateColumns+` FROM oauth_states WHERE state_hash = $1`, hash))
}

const oauthStateColumns = `state_hash, account_id, app, user_id, verifier, domains, expires_ms, created_ms, kind`

func scanOAuthState(db *DB, row *sql.Row) (*OAuthState, error) {
	var s OAuthState
	var domains string
	var exp, created int64
	err := row.Scan(&s.Hash, &s.AccountID, &s.App, &s.UserID, &s.Verifier, &domains, &exp, &created, &s.Kind)
	if err != nil {
		return nil, db.wrap(err, "take oauth state")
	}
	if err := json.Unmarshal([]byte(domains), &s.Domains); err != nil {
		return nil, db.wrap(err, "take oauth state")
	}
	s.Expires, s.Created = fromMS(exp), fromMS(created)
	return &s, nil
}

// DeleteExpiredOAuthStates implements Installs.
func (db *DB) DeleteExpiredOAuthStates(ctx context.Context, now time.Time) (int, error) {
	res, err := db.w().ExecContext(ctx, `DELETE FROM oauth_states WHERE expires_ms < $1`, ms(now))
	if err != nil {
		return 0, db.wrap(err, "expire oauth states")
	}
	n, err := res.RowsAffected()
	return int(n), db.wrap(err, "expire oauth states")
}

// InstalledAccounts implements Installs.
func (db *DB) InstalledAccounts(ctx context.Context, app string) ([]string, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT account_id FROM app_installs WHERE app = $1 AND state = $2 ORDER BY account_id`, app, InstallInstalled)
	if err != nil {
		return nil, db.wrap(err, "installed accounts")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, db.wrap(err, "installed accounts")
		}
		out = append(out, id)
	}
	return out, db.wrap(rows.Err(), "installed accounts")
}
