package apps

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Service is the marketplace.
type Service struct {
	Store    store.Store
	Accounts *account.Service
	Box      *seal.Box
	// Registry is the catalog of apps: each provider's entry (its
	// authorization, client, rules, data use).
	Registry *video.Registry
	// HTTP talks to the providers' OAuth endpoints.
	HTTP *http.Client
	Log  *slog.Logger
	Now  func() time.Time
	Rand io.Reader
	// StateTTL is how long an authorization may take (default 10 min).
	StateTTL time.Duration
	// Notify tells an account's admins that an install needs them (a
	// missing scope, dead tokens, a deauthorization). Nil: only logged.
	Notify func(ctx context.Context, accountID, app, problem string)
	// OnInstallChange is told after an install is made, changes its
	// domains, or is removed or deauthorized: the calendar core makes or
	// removes the app calendars of its users. Nil: nothing is told.
	OnInstallChange func(ctx context.Context, accountID, app string)
	// NotifyUser tells a user that their own connection of an app in
	// per-user mode needs them (the provider refused to renew it). Nil:
	// only logged.
	NotifyUser func(ctx context.Context, accountID, userID, app, problem string)

	// locks serializes refreshes of one install inside this process; the
	// lease in the database serializes them across processes.
	locks sync.Map // "account/app" → *sync.Mutex
	// clients keeps one provider client per install: a client may keep
	// state (Zoom's remembers hosts paused by Zoom's daily limit).
	clients sync.Map // "account/app" → video.Provider
	// oidc keeps the OpenID providers of per-user modes, by issuer.
	oidc sync.Map // issuer → *oidc.Provider
}

// PreApprove lets the account install the app. Idempotent.
func (s *Service) PreApprove(ctx context.Context, p account.Principal, appID string) (*AppView, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	a, err := s.app(appID)
	if err != nil {
		return nil, err
	}
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		_, err := tx.Install(ctx, p.AccountID, a.ID)
		if err == nil {
			return nil // already pre-approved or installed
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := s.Now().UTC()
		if err := tx.SaveInstall(ctx, &store.Install{AccountID: p.AccountID, App: a.ID, State: store.InstallPreApproved, Created: now, Updated: now}); err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, p.AccountID, account.ActorOf(p), account.AuditAppPreApprove, a.ID, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("apps: pre-approve %s: %w", a.ID, err)
	}
	return s.view(ctx, p, a)
}

func (s *Service) view(ctx context.Context, p account.Principal, a video.App) (*AppView, error) {
	list, err := s.List(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, v := range list {
		if v.ID == a.ID {
			return &v, nil
		}
	}
	return nil, fmt.Errorf("apps: %s vanished", a.ID)
}

// checkDomains returns the domains normalized, or an Invalid failure
// naming those that are not verified managed domains of the account.
func (s *Service) checkDomains(ctx context.Context, accountID string, domains []string) ([]string, error) {
	if len(domains) == 0 {
		return nil, failure.Field("domains", "choose at least one verified managed domain whose users may use the app")
	}
	verified, err := s.Accounts.VerifiedDomains(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []string
	var bad []string
	for _, d := range domains {
		n, err := account.NormalizeDomain(d)
		if err != nil || !slices.Contains(verified, n) {
			bad = append(bad, d)
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(bad) > 0 {
		return nil, failure.Field("domains", "%s: not a verified managed domain of this account (verified: %s)",
			strings.Join(bad, ", "), strings.Join(verified, ", "))
	}
	slices.Sort(out)
	return out, nil
}

// InstallResult is what Install returns: where to send the admin's browser
// for consent, or nothing when the app needs none.
type InstallResult struct {
	AuthorizeURL string
	App          *AppView
}

// Install starts installing a pre-approved app for the chosen domains.
// Apps with OAuth return the provider's consent URL (an admin-consent
// app's: its adminconsent endpoint): the install completes in Callback. A
// re-install (to re-authorize or change consent) works the same way. An
// app with a service account takes its key: InstallKey.
func (s *Service) Install(ctx context.Context, p account.Principal, appID string, domains []string) (*InstallResult, error) {
	return s.InstallKey(ctx, p, appID, domains, nil)
}

// InstallKey is Install with the key an app with a service account
// (video.AuthServiceAccount) is given: the install completes at once when
// the key is good and its delegation granted (serviceaccount.go). Other
// apps refuse a key.
func (s *Service) InstallKey(ctx context.Context, p account.Principal, appID string, domains []string, key []byte) (*InstallResult, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	a, err := s.app(appID)
	if err != nil {
		return nil, err
	}
	in, err := s.Store.Install(ctx, p.AccountID, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.Conflict, "pre-approve %s first (POST /api/v1/apps/%s/pre-approve)", a.Name, a.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("apps: install %s: %w", a.ID, err)
	}
	doms, err := s.checkDomains(ctx, p.AccountID, domains)
	if err != nil {
		return nil, err
	}
	if a.Auth.Kind != video.AuthServiceAccount && len(key) > 0 {
		return nil, failure.Field("service_account_key", "%s takes no service account key", a.Name)
	}
	if a.Auth.Kind == video.AuthServiceAccount {
		if err := s.installServiceAccount(ctx, p, a, in, doms, key); err != nil {
			return nil, err
		}
		v, err := s.view(ctx, p, a)
		return &InstallResult{App: v}, err
	}
	now := s.Now().UTC()
	if a.Auth.Kind == video.AuthNone {
		in.State, in.Domains, in.Installed, in.InstalledBy, in.Updated, in.Problem = store.InstallInstalled, doms, now, p.UserID, now, ""
		err := s.Store.Tx(ctx, func(tx store.Store) error {
			if err := tx.SaveInstall(ctx, in); err != nil {
				return err
			}
			return s.Accounts.Audit(ctx, tx, p.AccountID, account.ActorOf(p), account.AuditAppInstall, a.ID, account.Detail{"domains": doms})
		})
		if err != nil {
			return nil, fmt.Errorf("apps: install %s: %w", a.ID, err)
		}
		s.changed(ctx, p.AccountID, a.ID)
		v, err := s.view(ctx, p, a)
		return &InstallResult{App: v}, err
	}
	state, err := s.random(32)
	if err != nil {
		return nil, err
	}
	verifier, err := s.random(32)
	if err != nil {
		return nil, err
	}
	hash := hashState(state)
	sealed, err := s.Box.Seal(verifier, "oauth-state/"+hash)
	if err != nil {
		return nil, err
	}
	ttl := s.StateTTL
	if ttl == 0 {
		ttl = 10 * time.Minute
	}
	if _, err := s.Store.DeleteExpiredOAuthStates(ctx, now); err != nil {
		return nil, fmt.Errorf("apps: install %s: %w", a.ID, err)
	}
	if err := s.Store.CreateOAuthState(ctx, &store.OAuthState{Hash: hash, AccountID: p.AccountID, App: a.ID, UserID: p.UserID,
		Verifier: sealed, Domains: doms, Expires: now.Add(ttl), Created: now}); err != nil {
		return nil, fmt.Errorf("apps: install %s: %w", a.ID, err)
	}
	if a.Auth.Kind == video.AuthAdminConsent {
		v, err := s.view(ctx, p, a)
		if err != nil {
			return nil, err
		}
		return &InstallResult{AuthorizeURL: adminConsentURL(a, state), App: v}, nil
	}
	challenge := sha256.Sum256([]byte(verifier))
	// RFC 6749 §4.1.1, with RFC 7636 §4.3's challenge.
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {a.Auth.ClientID},
		"redirect_uri":          {a.Auth.RedirectURL},
		"state":                 {state},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(challenge[:])},
		"code_challenge_method": {"S256"},
	}
	if a.Auth.Scope != "" {
		q.Set("scope", a.Auth.Scope)
	}
	v, err := s.view(ctx, p, a)
	if err != nil {
		return nil, err
	}
	return &InstallResult{AuthorizeURL: a.Auth.AuthURL + "?" + q.Encode(), App: v}, nil
}

// Add starts installing a pre-approved app the way the marketplace page
// does: consent at the provider first, the choice of domains after. The
// install is started for every verified managed domain of the account
// (the Zoom sandbox makes them its account's users); the admin narrows
// them on the page the provider returns to (SetDomains).
func (s *Service) Add(ctx context.Context, p account.Principal, appID string) (*InstallResult, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	verified, err := s.Accounts.VerifiedDomains(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("apps: add %s: %w", appID, err)
	}
	if len(verified) == 0 {
		return nil, failure.New(failure.Conflict, "verify a managed domain first: only its users may use an app")
	}
	return s.Install(ctx, p, appID, verified)
}

// AddKey installs a pre-approved service-account app the way the admin
// page does: with the key, for every verified managed domain of the
// account (narrowed afterwards).
func (s *Service) AddKey(ctx context.Context, p account.Principal, appID string, key []byte) (*InstallResult, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	verified, err := s.Accounts.VerifiedDomains(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("apps: add %s: %w", appID, err)
	}
	if len(verified) == 0 {
		return nil, failure.New(failure.Conflict, "verify a managed domain first: only its users may use an app")
	}
	return s.InstallKey(ctx, p, appID, verified, key)
}

// random returns n random bytes, base64url-encoded: PKCE verifiers and
// states (RFC 7636 §4.1: 43 to 128 characters of the unreserved set).
func (s *Service) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand(), b); err != nil {
		return "", fmt.Errorf("apps: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Service) rand() io.Reader {
	if s.Rand == nil {
		return rand.Reader
	}
	return s.Rand
}

// hashState is how a state is stored: only its hash, so a database reader
// cannot complete someone's authorization.
func hashState(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

// SetDomains changes which managed domains may use an installed app.
func (s *Service) SetDomains(ctx context.Context, p account.Principal, appID string, domains []string) (*AppView, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	a, err := s.app(appID)
	if err != nil {
		return nil, err
	}
	doms, err := s.checkDomains(ctx, p.AccountID, domains)
	if err != nil {
		return nil, err
	}
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		in, err := tx.Install(ctx, p.AccountID, a.ID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && in.State == store.InstallPreApproved) {
			return failure.New(failure.Conflict, "%s is not installed; install it first", a.Name)
		}
		if err != nil {
			return err
		}
		was := in.Domains
		if slices.Equal(was, doms) {
			return nil // nothing changes
		}
		in.Domains, in.Updated = doms, s.Now().UTC()
		if err := tx.SaveInstall(ctx, in); err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, p.AccountID, account.ActorOf(p), account.AuditAppDomains, a.ID, account.Detail{"from": was, "to": doms})
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("apps: set domains of %s: %w", a.ID, err)
	}
	s.changed(ctx, p.AccountID, a.ID)
	return s.view(ctx, p, a)
}

// Uninstall revokes the app's tokens at the provider, deletes them, and
// leaves the app pre-approved. Idempotent.
func (s *Service) Uninstall(ctx context.Context, p account.Principal, appID string) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	a, err := s.app(appID)
	if err != nil {
		return err
	}
	in, err := s.Store.Install(ctx, p.AccountID, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("apps: uninstall %s: %w", a.ID, err)
	}
	if a.Auth.Revocable() && in.RefreshToken != "" {
		// Revoke first: if the provider cannot be reached, the tokens stay
		// and the admin can try again; a revoke the provider refuses as
		// already invalid is done.
		if err := s.revoke(ctx, a, in); err != nil {
			return failure.New(failure.Unavailable, "could not revoke the %s tokens at %s; try again: %v", a.Name, a.Name, err).Wrap(err)
		}
	}
	if in.State == store.InstallPreApproved {
		return nil // not installed: nothing to do
	}
	// Every user's grant is revoked at the provider and forgotten (a
	// revocation that fails is logged: the grant goes all the same).
	if n, err := s.dropGrants(ctx, a, p.AccountID); err != nil {
		return fmt.Errorf("apps: uninstall %s: %w", a.ID, err)
	} else if n > 0 {
		s.Log.Info("app uninstalled: users' grants revoked", "account", p.AccountID, "app", a.ID, "grants", n)
	}
	return s.clearTokens(ctx, p.AccountID, a.ID, store.InstallPreApproved, "", func(tx store.Store, _ *store.Install) error {
		return s.Accounts.Audit(ctx, tx, p.AccountID, account.ActorOf(p), account.AuditAppUninstall, a.ID, nil)
	})
}

// errUnchanged stops clearTokens without changing anything.
var errUnchanged = errors.New("apps: install unchanged")

// clearTokens deletes an install's tokens and sets its state. check, when
// set, runs first in the same transaction with the install as it is: it
// records the admin's action (the audit log), or returns errUnchanged to
// leave the install alone.
func (s *Service) clearTokens(ctx context.Context, accountID, appID, state, problem string, check func(tx store.Store, in *store.Install) error) error {
	err := s.Store.Tx(ctx, func(tx store.Store) error {
		// Locked: an uninstall and the provider's deauthorization notice
		// it causes may run at once; the later one must see the earlier
		// one's state, not overwrite it (a lost update on PostgreSQL).
		in, err := tx.InstallForUpdate(ctx, accountID, appID)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(tx, in); err != nil {
				return err
			}
		}
		in.State, in.Problem = state, problem
		in.AccessToken, in.RefreshToken, in.TokenExpires, in.Scopes, in.Credentials = "", "", time.Time{}, "", ""
		if state == store.InstallPreApproved {
			in.Domains, in.Installed, in.ProviderAccountID, in.ProviderUserID, in.Mode = nil, time.Time{}, "", "", video.ModeAccount
		}
		in.Updated = s.Now().UTC()
		return tx.SaveInstall(ctx, in)
	})
	if errors.Is(err, errUnchanged) {
		return err
	}
	if err != nil {
		return fmt.Errorf("apps: clear tokens of %s: %w", appID, err)
	}
	s.clients.Delete(accountID + "/" + appID)
	s.changed(ctx, accountID, appID)
	return nil
}

// Deauthorized handles the provider's notice that the app was removed
// there (a video.EventDeauthorized its webhook decoded, already verified,
// like Zoom's app_deauthorized): the tokens of
// every install bound to that provider account are deleted and the admins
// are told to re-authorize.
func (s *Service) Deauthorized(ctx context.Context, appID, providerAccountID string, at time.Time) (int, error) {
	installs, err := s.Store.InstallsByProviderAccount(ctx, appID, providerAccountID)
	if err != nil {
		return 0, fmt.Errorf("apps: deauthorized: %w", err)
	}
	n := 0
	for _, in := range installs {
		if in.State != store.InstallInstalled || (!at.IsZero() && at.Before(in.Installed)) {
			continue // uninstalled already, or an old notice from before a re-install
		}
		problem := fmt.Sprintf("the app was removed in %s on %s; install it again to re-authorize", s.appName(appID), at.UTC().Format(time.RFC3339))
		installed := in.Installed
		// Checked again in the transaction: an uninstall revokes the
		// grant at the provider, whose notice may come while it
		// completes; an install uninstalled meanwhile stays so.
		err := s.clearTokens(ctx, in.AccountID, appID, store.InstallNeedsReauthorization, problem, func(_ store.Store, cur *store.Install) error {
			if cur.State != store.InstallInstalled || !cur.Installed.Equal(installed) {
				return errUnchanged
			}
			return nil
		})
		if errors.Is(err, errUnchanged) {
			continue
		}
		if err != nil {
			return n, err
		}
		s.notify(ctx, in.AccountID, appID, problem)
		n++
	}
	return n, nil
}

func (s *Service) notify(ctx context.Context, accountID, appID, problem string) {
	s.Log.Warn("app needs the admin", "account", accountID, "app", appID, "problem", problem)
	if s.Notify != nil {
		s.Notify(ctx, accountID, appID, problem)
	}
}

// DomainsOfState returns the domains a pending install attempt was started
// for, without taking its state: an embedded sandbox (Zoom's) makes them
// the users' domains of the account it creates for the install.
func (s *Service) DomainsOfState(ctx context.Context, state string) ([]string, error) {
	st, err := s.Store.OAuthState(ctx, hashState(state))
	if err != nil {
		return nil, fmt.Errorf("apps: state: %w", err)
	}
	return st.Domains, nil
}
