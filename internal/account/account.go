// Package account manages accounts, their users and roles, API tokens and
// managed domains (verified through a DNS TXT record).
//
// It is part of the core: it depends on the store's interfaces and must
// never import a front end (web, mail).
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// TXTResolver looks up DNS TXT records; *net.Resolver is one.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Service is the account core.
type Service struct {
	Store    store.Store
	Resolver TXTResolver
	// Departures cancels a removed user's meetings; nil leaves them.
	Departures    Departures
	OperatorToken string // empty: no operator
	// DefaultAssistant is CONVENE_ASSISTANT_ADDRESS: the assistant address
	// of the account that verified its domain (see AssistantAddress).
	DefaultAssistant string
	Now              func() time.Time // injected clock
	Rand             io.Reader        // injected randomness (crypto/rand.Reader)
	// SandboxReservedNames verifies managed domains under the names
	// reserved for testing (IsReservedName) without DNS. Set it only with
	// the built-in Zoom sandbox (config.Sandboxed); with real Zoom every
	// domain needs its TXT record.
	SandboxReservedNames bool
	// Web holds what signing in to the web pages needs; see signin.go.
	Web WebOptions
	// VideoApps is the catalog of video apps: besides "none" (and "" for
	// the default), a video provider preference or default names one of
	// its apps. Nil: none but "none".
	VideoApps *video.Registry

	hashOnce  sync.Once
	hashSem   chan struct{} // bounds the argon2 computations at once
	dummyOnce sync.Once
	dummyHash string // hashed once, checked when there is no user
}

// videoProvider reports whether v may be a video provider preference or
// default: "none" or an app of the catalog.
func (s *Service) videoProvider(v string) bool {
	_, ok := s.VideoApps.Lookup(v)
	return ok || v == "none"
}

// New returns a Service with the real clock and randomness.
func New(st store.Store, resolver TXTResolver, operatorToken string) *Service {
	return &Service{Store: st, Resolver: resolver, OperatorToken: operatorToken, Now: time.Now, Rand: rand.Reader}
}

// Principal is who makes a request: a user of an account, or the operator.
type Principal struct {
	AccountID string
	UserID    string
	Email     string
	Role      store.Role
	TokenID   string
	// SessionID is the hash of the web session the request came with
	// ("" for an API token).
	SessionID string
	// User is the user as Authenticate read it, for the rest of the same
	// request (nil when the principal was made otherwise: read it).
	User *store.User
}

// IsAdmin reports whether the principal administers its account.
func (p Principal) IsAdmin() bool { return p.Role.IsAdmin() }

// RequireAdmin fails with Forbidden unless p administers its account.
func (p Principal) RequireAdmin() error {
	if !p.IsAdmin() {
		return failure.New(failure.Forbidden, "only an admin of the account may do this")
	}
	return nil
}

// tokenPrefix marks Convene API tokens, so secret scanners recognise them.
const tokenPrefix = "cvn_"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a random identifier with a prefix, e.g. "usr_…".
func (s *Service) newID(prefix string) (string, error) {
	var b [10]byte
	if _, err := io.ReadFull(s.Rand, b[:]); err != nil {
		return "", fmt.Errorf("account: random: %w", err)
	}
	return prefix + strings.ToLower(b32.EncodeToString(b[:])), nil
}

// newSecret returns a new API token secret.
func (s *Service) newSecret() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.Rand, b[:]); err != nil {
		return "", fmt.Errorf("account: random: %w", err)
	}
	return tokenPrefix + strings.ToLower(b32.EncodeToString(b[:])), nil
}

// HashToken returns the stored form of an API token secret.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// issueToken creates a token for a user and returns its secret, shown once.
func (s *Service) issueToken(ctx context.Context, st store.Store, accountID, userID, name string) (*store.Token, string, error) {
	secret, err := s.newSecret()
	if err != nil {
		return nil, "", err
	}
	id, err := s.newID("tok_")
	if err != nil {
		return nil, "", err
	}
	t := &store.Token{ID: id, AccountID: accountID, UserID: userID, Hash: HashToken(secret), Name: name, Created: s.Now().UTC()}
	if err := st.CreateToken(ctx, t); err != nil {
		return nil, "", fmt.Errorf("account: issue token: %w", err)
	}
	return t, secret, nil
}

// touchEvery bounds how often a token's last use is written: not on every
// request, which would make each read a write.
const touchEvery = time.Minute

// Authenticate returns the principal of an API token secret.
func (s *Service) Authenticate(ctx context.Context, secret string) (*Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, failure.New(failure.Unauthenticated, "the bearer token is not a Convene API token")
	}
	t, u, err := s.Store.TokenUserByHash(ctx, HashToken(secret))
	if errors.Is(err, store.ErrNotFound) && t == nil {
		return nil, failure.New(failure.Unauthenticated, "the bearer token is unknown or revoked")
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.Unauthenticated, "the bearer token's user no longer exists")
	}
	if err != nil {
		return nil, fmt.Errorf("account: authenticate: %w", err)
	}
	if !u.Active() {
		// Disabled by an admin: every token stops working at once.
		return nil, failure.New(failure.Unauthenticated, "the bearer token's user is disabled; ask an admin of the account")
	}
	if now := s.Now(); now.Sub(t.LastUsed) > touchEvery {
		if err := s.Store.TouchToken(ctx, t.ID, now.UTC()); err != nil {
			return nil, fmt.Errorf("account: authenticate: %w", err)
		}
	}
	return &Principal{AccountID: u.AccountID, UserID: u.ID, Email: u.Email, Role: u.Role, TokenID: t.ID, User: u}, nil
}

// IsOperator reports whether secret is the operator token.
func (s *Service) IsOperator(secret string) bool {
	return s.OperatorToken != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(s.OperatorToken)) == 1
}
