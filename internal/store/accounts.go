package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// ClaimSetup implements Accounts.
func (db *DB) ClaimSetup(ctx context.Context, at time.Time) (bool, error) {
	res, err := db.w().ExecContext(ctx, `INSERT INTO setup_claim (id, claimed_ms) VALUES (1, $1) ON CONFLICT DO NOTHING`, ms(at))
	if err != nil {
		return false, db.wrap(err, "claim setup")
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "claim setup")
}

// SetupClaimed implements Accounts.
func (db *DB) SetupClaimed(ctx context.Context) (bool, error) {
	var n int
	err := db.r().QueryRowContext(ctx, `SELECT count(*) FROM setup_claim`).Scan(&n)
	return n > 0, db.wrap(err, "setup claimed")
}

// CreateAccount implements Accounts.
func (db *DB) CreateAccount(ctx context.Context, a *Account) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO accounts
		(id, name, language, default_video_provider, branding, templates, assistant_address, created_ms, invitations)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.ID, a.Name, a.Language, a.DefaultVideoProvider, jsonOr(a.Branding), jsonOr(a.Templates), a.AssistantAddress, ms(a.Created),
		invitationsOr(a.Invitations))
	return db.wrap(err, "create account %s", a.ID)
}

// Account implements Accounts.
func (db *DB) Account(ctx context.Context, id string) (*Account, error) {
	var a Account
	var created int64
	var branding, templates string
	err := db.r().QueryRowContext(ctx, `SELECT id, name, language, default_video_provider, branding, templates, assistant_address, created_ms,
		invitations FROM accounts WHERE id = $1`, id).
		Scan(&a.ID, &a.Name, &a.Language, &a.DefaultVideoProvider, &branding, &templates, &a.AssistantAddress, &created, &a.Invitations)
	if err != nil {
		return nil, db.wrap(err, "load account %s", id)
	}
	a.Branding, a.Templates, a.Created = []byte(branding), []byte(templates), fromMS(created)
	return &a, nil
}

// AccountWithDomains implements Accounts: the account and its verified
// domains, by name, in one query where Account and Domains take two.
func (db *DB) AccountWithDomains(ctx context.Context, id string) (*Account, []Domain, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT a.id, a.name, a.language, a.default_video_provider, a.branding, a.templates,
			a.assistant_address, a.created_ms, a.invitations, d.name, d.txt_value, d.verified_ms, d.created_ms, d.verified_by
		FROM accounts a LEFT JOIN domains d ON d.account_id = a.id AND d.verified
		WHERE a.id = $1 ORDER BY d.name`, id)
	if err != nil {
		return nil, nil, db.wrap(err, "load account %s", id)
	}
	defer rows.Close()
	var a *Account
	var ds []Domain
	for rows.Next() {
		var acct Account
		var created int64
		var branding, templates string
		var name, txt, by sql.NullString
		var verified, dcreated sql.NullInt64
		if err := rows.Scan(&acct.ID, &acct.Name, &acct.Language, &acct.DefaultVideoProvider, &branding, &templates,
			&acct.AssistantAddress, &created, &acct.Invitations, &name, &txt, &verified, &dcreated, &by); err != nil {
			return nil, nil, db.wrap(err, "load account %s", id)
		}
		if a == nil {
			acct.Branding, acct.Templates, acct.Created = []byte(branding), []byte(templates), fromMS(created)
			a = &acct
		}
		if name.Valid {
			ds = append(ds, Domain{AccountID: a.ID, Name: name.String, TXTValue: txt.String, Verified: true,
				VerifiedAt: fromMS(verified.Int64), Created: fromMS(dcreated.Int64), VerifiedBy: by.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, db.wrap(err, "load account %s", id)
	}
	if a == nil {
		return nil, nil, db.wrap(sql.ErrNoRows, "load account %s", id)
	}
	return a, ds, nil
}

// UpdateAccount implements Accounts.
func (db *DB) UpdateAccount(ctx context.Context, a *Account) error {
	res, err := db.w().ExecContext(ctx, `UPDATE accounts SET name = $2, language = $3, default_video_provider = $4,
		branding = $5, templates = $6, assistant_address = $7, invitations = $8 WHERE id = $1`,
		a.ID, a.Name, a.Language, a.DefaultVideoProvider, jsonOr(a.Branding), jsonOr(a.Templates), a.AssistantAddress,
		invitationsOr(a.Invitations))
	return db.mustAffect(res, err, "update account %s", a.ID)
}

// invitationsOr is the stored invitation mode: the default for "".
func invitationsOr(mode string) string {
	if mode == "" {
		return InvitationsConvene
	}
	return mode
}

func jsonOr(b []byte) string {
	if len(b) == 0 {
		return "{}"
	}
	return string(b)
}

const userColumns = `id, account_id, email, name, role, timezone, language, working_hours, default_duration,
	video_provider, buffer_before, buffer_after, min_notice, created_ms`

// userSelect is userColumns and the access columns, as scanUser reads them.
const userSelect = userColumns + `, disabled_ms, removed_ms, removed_email`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var wh, removedEmail string
	var created, disabled, removed int64
	err := row.Scan(&u.ID, &u.AccountID, &u.Email, &u.Name, &u.Role, &u.TimeZone, &u.Language, &wh,
		&u.DefaultDuration, &u.VideoProvider, &u.BufferBefore, &u.BufferAfter, &u.MinNotice, &created,
		&disabled, &removed, &removedEmail)
	if err != nil {
		return nil, err
	}
	u.WorkingHours, u.Created = []byte(wh), fromMS(created)
	u.Disabled, u.Removed = fromMS(disabled), fromMS(removed)
	if removed != 0 {
		u.Email = removedEmail // the column holds the placeholder
	}
	return &u, nil
}

// CreateUser implements Users.
func (db *DB) CreateUser(ctx context.Context, u *User) error {
	u.Email = strings.ToLower(u.Email)
	_, err := db.w().ExecContext(ctx, `INSERT INTO users (`+userColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		u.ID, u.AccountID, u.Email, u.Name, string(u.Role), u.TimeZone, u.Language, string(u.WorkingHours),
		u.DefaultDuration, u.VideoProvider, u.BufferBefore, u.BufferAfter, u.MinNotice, ms(u.Created))
	return db.wrap(err, "create user %s", u.Email)
}

// User implements Users.
func (db *DB) User(ctx context.Context, accountID, id string) (*User, error) {
	u, err := scanUser(db.r().QueryRowContext(ctx, `SELECT `+userSelect+` FROM users
		WHERE account_id = $1 AND id = $2`, accountID, id))
	return u, db.wrap(err, "load user %s", id)
}

// UserByEmail implements Users.
func (db *DB) UserByEmail(ctx context.Context, accountID, email string) (*User, error) {
	u, err := scanUser(db.r().QueryRowContext(ctx, `SELECT `+userSelect+` FROM users
		WHERE account_id = $1 AND email = $2`, accountID, strings.ToLower(email)))
	return u, db.wrap(err, "load user %s", email)
}

// FindUserByEmail implements Users.
func (db *DB) FindUserByEmail(ctx context.Context, email string) (*User, error) {
	u, err := scanUser(db.r().QueryRowContext(ctx, `SELECT `+userSelect+` FROM users WHERE email = $1`,
		strings.ToLower(email)))
	return u, db.wrap(err, "find user %s", email)
}

// Users implements Users.
func (db *DB) Users(ctx context.Context, accountID string) ([]User, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT `+userSelect+` FROM users WHERE account_id = $1 AND removed_ms = 0 ORDER BY email`, accountID)
	if err != nil {
		return nil, db.wrap(err, "list users")
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, db.wrap(err, "list users")
		}
		out = append(out, *u)
	}
	return out, db.wrap(rows.Err(), "list users")
}

// UpdateUser implements Users. The e-mail, account and role are not
// changed here.
func (db *DB) UpdateUser(ctx context.Context, u *User) error {
	res, err := db.w().ExecContext(ctx, `UPDATE users SET name = $3, timezone = $4, language = $5, working_hours = $6,
		default_duration = $7, video_provider = $8, buffer_before = $9, buffer_after = $10, min_notice = $11
		WHERE account_id = $1 AND id = $2`,
		u.AccountID, u.ID, u.Name, u.TimeZone, u.Language, string(u.WorkingHours), u.DefaultDuration,
		u.VideoProvider, u.BufferBefore, u.BufferAfter, u.MinNotice)
	return db.mustAffect(res, err, "update user %s", u.ID)
}

// CountUsersInDomain implements Users.
func (db *DB) CountUsersInDomain(ctx context.Context, accountID, domain string) (int, error) {
	var n int
	err := db.r().QueryRowContext(ctx, `SELECT count(*) FROM users WHERE account_id = $1 AND email LIKE $2`,
		accountID, "%@"+strings.ToLower(domain)).Scan(&n)
	return n, db.wrap(err, "count users in %s", domain)
}

// CreateToken implements Tokens.
func (db *DB) CreateToken(ctx context.Context, t *Token) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO api_tokens (id, account_id, user_id, hash, name, created_ms)
		VALUES ($1, $2, $3, $4, $5, $6)`, t.ID, t.AccountID, t.UserID, t.Hash, t.Name, ms(t.Created))
	return db.wrap(err, "create token")
}

func scanToken(row interface{ Scan(...any) error }) (*Token, error) {
	var t Token
	var created, used int64
	if err := row.Scan(&t.ID, &t.AccountID, &t.UserID, &t.Hash, &t.Name, &created, &used); err != nil {
		return nil, err
	}
	t.Created, t.LastUsed = fromMS(created), fromMS(used)
	return &t, nil
}

// TokenByHash implements Tokens.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	t, err := scanToken(db.r().QueryRowContext(ctx, `SELECT id, account_id, user_id, hash, name, created_ms, last_used_ms
		FROM api_tokens WHERE hash = $1`, hash))
	return t, db.wrap(err, "find token")
}

// tokenUserSelect is userSelect of the users row u, in a join.
var tokenUserSelect = "u." + strings.ReplaceAll(strings.Join(strings.Fields(userSelect), " "), ", ", ", u.")

// TokenUserByHash implements Tokens: one query where TokenByHash and User
// take two, the cost every API request pays.
func (db *DB) TokenUserByHash(ctx context.Context, hash string) (*Token, *User, error) {
	var t Token
	var created, used int64
	u, err := scanUser(scanFunc(func(dest ...any) error {
		return db.r().QueryRowContext(ctx, `SELECT t.id, t.account_id, t.user_id, t.hash, t.name, t.created_ms, t.last_used_ms, `+
			tokenUserSelect+` FROM api_tokens t JOIN users u ON u.account_id = t.account_id AND u.id = t.user_id
			WHERE t.hash = $1`, hash).Scan(append([]any{&t.ID, &t.AccountID, &t.UserID, &t.Hash, &t.Name, &created, &used}, dest...)...)
	}))
	if errors.Is(err, sql.ErrNoRows) {
		// No token, or a token whose user is gone: which one, the caller
		// says.
		tok, err := db.TokenByHash(ctx, hash)
		if err != nil {
			return nil, nil, err
		}
		return tok, nil, db.wrap(sql.ErrNoRows, "load user %s", tok.UserID)
	}
	if err != nil {
		return nil, nil, db.wrap(err, "find token")
	}
	t.Created, t.LastUsed = fromMS(created), fromMS(used)
	return &t, u, nil
}

// scanFunc is a Scan method of a function.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// Tokens implements Tokens.
func (db *DB) Tokens(ctx context.Context, accountID, userID string) ([]Token, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT id, account_id, user_id, hash, name, created_ms, last_used_ms
		FROM api_tokens WHERE account_id = $1 AND user_id = $2 ORDER BY created_ms, id`, accountID, userID)
	if err != nil {
		return nil, db.wrap(err, "list tokens")
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, db.wrap(err, "list tokens")
		}
		out = append(out, *t)
	}
	return out, db.wrap(rows.Err(), "list tokens")
}

// DeleteToken implements Tokens.
func (db *DB) DeleteToken(ctx context.Context, accountID, userID, id string) error {
	res, err := db.w().ExecContext(ctx, `DELETE FROM api_tokens WHERE account_id = $1 AND user_id = $2 AND id = $3`,
		accountID, userID, id)
	return db.mustAffect(res, err, "delete token %s", id)
}

// TouchToken implements Tokens.
func (db *DB) TouchToken(ctx context.Context, id string, at time.Time) error {
	_, err := db.w().ExecContext(ctx, `UPDATE api_tokens SET last_used_ms = $2 WHERE id = $1`, id, ms(at))
	return db.wrap(err, "touch token %s", id)
}

func scanDomain(row interface{ Scan(...any) error }) (*Domain, error) {
	var d Domain
	var verified, created int64
	if err := row.Scan(&d.AccountID, &d.Name, &d.TXTValue, &d.Verified, &verified, &created, &d.VerifiedBy); err != nil {
		return nil, err
	}
	d.VerifiedAt, d.Created = fromMS(verified), fromMS(created)
	return &d, nil
}

const domainColumns = `account_id, name, txt_value, verified, verified_ms, created_ms, verified_by`

// CreateDomain implements Domains.
func (db *DB) CreateDomain(ctx context.Context, d *Domain) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO domains (account_id, name, txt_value, verified, created_ms)
		VALUES ($1, $2, $3, $4, $5)`, d.AccountID, d.Name, d.TXTValue, false, ms(d.Created))
	return db.wrap(err, "create domain %s", d.Name)
}

// Domain implements Domains.
func (db *DB) Domain(ctx context.Context, accountID, name string) (*Domain, error) {
	d, err := scanDomain(db.r().QueryRowContext(ctx, `SELECT `+domainColumns+` FROM domains
		WHERE account_id = $1 AND name = $2`, accountID, name))
	return d, db.wrap(err, "load domain %s", name)
}

// Domains implements Domains.
func (db *DB) Domains(ctx context.Context, accountID string) ([]Domain, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT `+domainColumns+` FROM domains WHERE account_id = $1 ORDER BY name`, accountID)
	if err != nil {
		return nil, db.wrap(err, "list domains")
	}
	defer rows.Close()
	var out []Domain
	for rows.Next() {
		d, err := scanDomain(rows)
		if err != nil {
			return nil, db.wrap(err, "list domains")
		}
		out = append(out, *d)
	}
	return out, db.wrap(rows.Err(), "list domains")
}

// MarkDomainVerified implements Domains.
func (db *DB) MarkDomainVerified(ctx context.Context, accountID, name string, at time.Time, by string) error {
	res, err := db.w().ExecContext(ctx, `UPDATE domains SET verified = $3, verified_ms = $4, verified_by = $5
		WHERE account_id = $1 AND name = $2`, accountID, name, true, ms(at), by)
	return db.mustAffect(res, err, "verify domain %s", name)
}

// VerifiedDomainOwner implements Domains: a domain is verified by one
// account at most (domains_verified_once).
func (db *DB) VerifiedDomainOwner(ctx context.Context, domain string) (string, error) {
	var id string
	err := db.r().QueryRowContext(ctx, `SELECT account_id FROM domains WHERE name = $1 AND verified`, strings.ToLower(domain)).Scan(&id)
	return id, db.wrap(err, "owner of domain %s", domain)
}

// DeleteDomain implements Domains.
func (db *DB) DeleteDomain(ctx context.Context, accountID, name string, at time.Time) error {
	return db.InTx(ctx, func(tx *DB) error {
		res, err := tx.w().ExecContext(ctx, `DELETE FROM domains WHERE account_id = $1 AND name = $2`, accountID, name)
		if err := db.mustAffect(res, err, "delete domain %s", name); err != nil {
			return err
		}
		// No private key outlives the domain; the rows stay so that a
		// selector is not used again should the domain come back.
		_, err = tx.w().ExecContext(ctx, `UPDATE dkim_keys SET state = 'retired', private_key = '',
			retired_ms = COALESCE(retired_ms, $3), purged_ms = $3
			WHERE account_id = $1 AND domain = $2 AND state <> 'retired'`, accountID, name, ms(at))
		return db.wrap(err, "retire the dkim keys of %s", name)
	})
}
