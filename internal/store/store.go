// Package store keeps Convene's data: accounts, users, API tokens, managed
// domains and, as later migrations add them, installs, meetings and the
// outbox. The core depends on the small interfaces below; one SQL
// implementation serves both engines, SQLite (embedded default, one writer
// connection and a read pool) and PostgreSQL (pgx pool), with the differences
// (opening, migrations, locking, constraint errors) kept in a dialect.
//
// Every method that reads or changes a row of an account takes the account
// ID and puts it in the WHERE clause: a caller cannot reach another
// account's rows by guessing an ID.
//
// This package must never import the core packages or a front end.
package store

import (
	"context"
	"errors"
	"time"
)

// Errors the callers decide on. They are wrapped with context; test with
// errors.Is.
var (
	// ErrNotFound: no row matches (or it belongs to another account).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique key is taken (an e-mail, a domain, setup done).
	ErrConflict = errors.New("already exists")
	// ErrOverlap: a time hold overlaps another hold of the same organizer.
	ErrOverlap = errors.New("overlaps an existing hold")
	// ErrInactive: the user is disabled or removed (a meeting cannot get
	// them as its organizer).
	ErrInactive = errors.New("user is disabled or removed")
)

// Role is what a user may do in their account.
type Role string

// The roles, from most to least powerful.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleAdmin || r == RoleMember }

// IsAdmin reports whether the role may administer the account.
func (r Role) IsAdmin() bool { return r == RoleOwner || r == RoleAdmin }

// Account is an organization using Convene.
type Account struct {
	ID                   string
	Name                 string
	Language             string // default language of mail, e.g. "en" or "fr"
	DefaultVideoProvider string // "", "zoom" or "jitsi"
	// Invitations is who mails the invitations of meetings whose
	// organizer has an app calendar: InvitationsConvene (also "") or
	// InvitationsProvider.
	Invitations string
	Branding    []byte // JSON, interpreted by the invite package
	Templates   []byte // JSON, interpreted by the invite package
	// AssistantAddress is the address of the account's assistant; ""
	// means the default (see account.Service.AssistantAddress).
	AssistantAddress string
	Created          time.Time
}

// User is a person of an account.
type User struct {
	ID              string
	AccountID       string
	Email           string // lower case
	Name            string
	Role            Role
	TimeZone        string // IANA name
	Language        string // "" means the account's
	WorkingHours    []byte // JSON {"mon": [["09:00","17:00"]], …}
	DefaultDuration int    // minutes
	VideoProvider   string // "" means the account's default
	BufferBefore    int    // minutes
	BufferAfter     int    // minutes
	MinNotice       int    // minutes
	Created         time.Time
	// Disabled is when an admin disabled the user (zero: active). A
	// disabled user's tokens and CalDAV credentials stop working and they
	// cannot organize new meetings; everything else of theirs stays.
	Disabled time.Time
	// Removed is when an admin removed the user (zero: present). The row
	// stays as a tombstone for the meetings kept for the record: Email is
	// still their address, but no lookup by address finds them any more.
	Removed time.Time
}

// Active reports whether the user is neither disabled nor removed.
func (u *User) Active() bool { return u.Disabled.IsZero() && u.Removed.IsZero() }

// Token is an API token. Only its SHA-256 hash is stored.
type Token struct {
	ID        string
	AccountID string
	UserID    string
	Hash      string // hex SHA-256 of the secret
	Name      string
	Created   time.Time
	LastUsed  time.Time // zero if never used
}

// Domain is a managed domain of an account, verified through DNS.
type Domain struct {
	AccountID  string
	Name       string // lower-case ASCII (IDNA) form
	TXTValue   string // what the TXT record must hold
	Verified   bool
	VerifiedAt time.Time
	// VerifiedBy says how: VerifiedByDNS, or VerifiedByReservedName on
	// the built-in Zoom sandbox.
	VerifiedBy string
	Created    time.Time
}

// How a managed domain was verified (Domain.VerifiedBy).
const (
	VerifiedByDNS          = "dns"
	VerifiedByReservedName = "reserved-name (sandbox)"
)

// Accounts stores accounts.
type Accounts interface {
	// ClaimSetup records that the one-time setup happened and reports
	// whether this call was the first.
	ClaimSetup(ctx context.Context, at time.Time) (first bool, err error)
	// SetupClaimed reports whether the one-time setup happened.
	SetupClaimed(ctx context.Context) (bool, error)
	CreateAccount(ctx context.Context, a *Account) error
	Account(ctx context.Context, id string) (*Account, error)
	// AccountWithDomains is Account with the account's verified domains,
	// by name (what Domains gives, less those not verified).
	AccountWithDomains(ctx context.Context, id string) (*Account, []Domain, error)
	UpdateAccount(ctx context.Context, a *Account) error
}

// Users stores users.
type Users interface {
	// CreateUser adds a user; ErrConflict if the e-mail is taken.
	CreateUser(ctx context.Context, u *User) error
	User(ctx context.Context, accountID, id string) (*User, error)
	// UserByEmail finds a user of an account by address.
	UserByEmail(ctx context.Context, accountID, email string) (*User, error)
	// FindUserByEmail finds a user of any account by address: for
	// authenticating mail senders and CalDAV clients.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// Users lists an account's users, removed ones excepted.
	Users(ctx context.Context, accountID string) ([]User, error)
	UpdateUser(ctx context.Context, u *User) error
	// CountUsersInDomain counts the users of an account whose address is in
	// domain.
	CountUsersInDomain(ctx context.Context, accountID, domain string) (int, error)
	// SetUserAccess sets a user's role and when they were disabled (zero:
	// enabled).
	SetUserAccess(ctx context.Context, accountID, id string, role Role, disabled time.Time) error
	// CountActiveOwners counts the owners of an account who are neither
	// disabled nor removed.
	CountActiveOwners(ctx context.Context, accountID string) (int, error)
	// RemoveUser turns a user into a tombstone (see User.Removed): it frees
	// their address and makes them a disabled member.
	RemoveUser(ctx context.Context, accountID, id string, at time.Time) error
	// ForgetAttendeeUser unlinks a user from the meetings they attend: they
	// stay invited by address, as an external guest would be.
	ForgetAttendeeUser(ctx context.Context, accountID, userID string) error
	// DeleteUserCalendars deletes a user's calendars (built-in and
	// sources) with their objects.
	DeleteUserCalendars(ctx context.Context, accountID, userID string) error
}

// Tokens stores API tokens.
type Tokens interface {
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash finds a token by the hash of its secret (any account).
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// TokenUserByHash is TokenByHash with the token's user; a token whose
	// user is gone is returned with ErrNotFound.
	TokenUserByHash(ctx context.Context, hash string) (*Token, *User, error)
	Tokens(ctx context.Context, accountID, userID string) ([]Token, error)
	DeleteToken(ctx context.Context, accountID, userID, id string) error
	// DeleteUserTokens revokes every token of a user and returns how many.
	DeleteUserTokens(ctx context.Context, accountID, userID string) (int, error)
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// Domains stores managed domains.
type Domains interface {
	// CreateDomain adds a pending domain; ErrConflict if the account has it.
	CreateDomain(ctx context.Context, d *Domain) error
	Domain(ctx context.Context, accountID, name string) (*Domain, error)
	Domains(ctx context.Context, accountID string) ([]Domain, error)
	// MarkDomainVerified marks the domain verified, by how (VerifiedByDNS
	// or VerifiedByReservedName); ErrConflict if another account verified
	// it first.
	MarkDomainVerified(ctx context.Context, accountID, name string, at time.Time, by string) error
	// VerifiedDomainOwner returns the account that verified domain;
	// ErrNotFound if none did.
	VerifiedDomainOwner(ctx context.Context, domain string) (string, error)
	// DeleteDomain removes a domain and, at at, retires its DKIM keys:
	// their private keys are deleted, their rows kept so that a selector
	// is never used twice should the domain come back.
	DeleteDomain(ctx context.Context, accountID, name string, at time.Time) error
}

// Store is all of the above, with transactions.
type Store interface {
	Accounts
	Users
	Tokens
	Domains
	Installs
	Calendars
	Meetings
	Outbox
	Sessions
	AuditLog
	BookingPages
	// Tx runs fn in one transaction: it commits if fn returns nil and rolls
	// back otherwise. Inside fn, use the Store it is given. On SQLite the
	// transaction holds the write lock from its start.
	Tx(ctx context.Context, fn func(Store) error) error
	// LockKey takes a lock named by key until the transaction ends (on
	// SQLite the write transaction is already exclusive); outside a
	// transaction it does nothing.
	LockKey(ctx context.Context, key string) error
	// Engine names the database engine: "sqlite" or "postgres".
	Engine() string
	Close() error
}
