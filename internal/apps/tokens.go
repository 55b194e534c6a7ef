package apps

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Token timing.
const (
	// refreshAhead: an access token this close to expiry is refreshed
	// before use.
	refreshAhead = 5 * time.Minute
	// leaseFor bounds how long one refresh may hold the install's lease.
	leaseFor = 15 * time.Second
	// waitForLease bounds how long a worker waits for another's refresh.
	waitForLease = 20 * time.Second
	leasePoll    = 50 * time.Millisecond
)

func principalOf(accountID string) account.Principal { return account.Principal{AccountID: accountID} }

// tokenSource gives a provider's client the access token of one install.
// It implements video.TokenSource.
//
// Providers may rotate refresh tokens (Zoom does): each refresh returns a
// new one and kills the old. Two workers refreshing at once with the same refresh token
// would leave one of them (and maybe the database) with a dead token, so
// a refresh happens only under the install's lease (a row field taken
// with a conditional UPDATE, across processes and nodes) and an
// in-process mutex, and the new tokens are stored with a compare-and-swap
// on the token version before they are used. A worker that finds the
// version changed takes the stored token instead of refreshing again.
type tokenSource struct {
	s         *Service
	accountID string
	app       string
	entry     video.App // the app's catalog entry: its token endpoint

	// The access token in use, kept so that each API call does not read
	// and open it again; the provider's 401 on a revoked one sends the
	// caller to Refresh, which reads the stored one.
	mu      sync.Mutex
	access  string
	expires time.Time
}

func (ts *tokenSource) remember(access string, expires time.Time) {
	ts.mu.Lock()
	ts.access, ts.expires = access, expires
	ts.mu.Unlock()
}

func (ts *tokenSource) cached() (string, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.access, ts.access != "" && ts.s.Now().Add(refreshAhead).Before(ts.expires)
}

func (ts *tokenSource) key() string { return ts.accountID + "/" + ts.app }

func (ts *tokenSource) load(ctx context.Context) (*store.Install, string, error) {
	in, err := ts.s.Store.Install(ctx, ts.accountID, ts.app)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("apps: %s is not installed: %w", ts.app, video.ErrUnauthorized)
	}
	if err != nil {
		return nil, "", fmt.Errorf("apps: load tokens: %w", err)
	}
	// An admin-consent install has no refresh token: it takes new
	// client-credentials tokens.
	if in.State != store.InstallInstalled || (in.RefreshToken == "" && ts.entry.Auth.Kind != video.AuthAdminConsent) {
		return nil, "", fmt.Errorf("apps: %s needs re-authorization by an admin (%s): %w", ts.s.appName(ts.app), in.Problem, video.ErrUnauthorized)
	}
	access, err := ts.s.Box.Open(in.AccessToken, installPlace(ts.accountID, ts.app)+"/access")
	if err != nil {
		return nil, "", fmt.Errorf("apps: open access token: %w", err)
	}
	return in, access, nil
}

// Token implements video.TokenSource: the stored access token, refreshed
// first when it is about to expire.
func (ts *tokenSource) Token(ctx context.Context) (string, error) {
	if access, ok := ts.cached(); ok {
		return access, nil
	}
	in, access, err := ts.load(ctx)
	if err != nil {
		return "", err
	}
	if ts.s.Now().Add(refreshAhead).Before(in.TokenExpires) {
		ts.remember(access, in.TokenExpires)
		return access, nil
	}
	return ts.refresh(ctx, in.TokenVersion)
}

// Refresh implements video.TokenSource: the provider refused rejected; unless the
// stored token is already another one, refresh.
func (ts *tokenSource) Refresh(ctx context.Context, rejected string) (string, error) {
	ts.remember("", time.Time{})
	in, access, err := ts.load(ctx)
	if err != nil {
		return "", err
	}
	if access != rejected && ts.s.Now().Before(in.TokenExpires) {
		ts.remember(access, in.TokenExpires)
		return access, nil
	}
	return ts.refresh(ctx, in.TokenVersion)
}

// refresh gets new tokens unless the version moved past seen (someone else
// refreshed), in which case it returns the stored access token.
func (ts *tokenSource) refresh(ctx context.Context, seen int64) (string, error) {
	mu, _ := ts.s.locks.LoadOrStore(ts.key(), &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	deadline := ts.s.Now().Add(waitForLease)
	for {
		in, access, err := ts.load(ctx)
		if err != nil {
			return "", err
		}
		if in.TokenVersion != seen && ts.s.Now().Before(in.TokenExpires) {
			return access, nil
		}
		now := ts.s.Now()
		got, err := ts.s.Store.LeaseRefresh(ctx, ts.accountID, ts.app, now, now.Add(leaseFor))
		if err != nil {
			return "", fmt.Errorf("apps: lease refresh: %w", err)
		}
		if !got {
			if now.After(deadline) {
				return "", fmt.Errorf("apps: another worker has been refreshing the %s tokens for too long", ts.app)
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(leasePoll):
			}
			continue
		}
		// We hold the lease: read the refresh token again, it may have
		// rotated between our load and the lease.
		in, _, err = ts.load(ctx)
		if err != nil {
			return "", err
		}
		if in.TokenVersion != seen && ts.s.Now().Before(in.TokenExpires) {
			// Someone refreshed between: give the lease back by a no-op
			// swap and use theirs.
			_, access, err := ts.load(ctx)
			ts.release(ctx, in)
			return access, err
		}
		return ts.refreshHolding(ctx, in)
	}
}

// release ends our lease without changing the tokens.
func (ts *tokenSource) release(ctx context.Context, in *store.Install) {
	ts.s.Store.SwapTokens(ctx, ts.accountID, ts.app, in.TokenVersion, in.AccessToken, in.RefreshToken, in.TokenExpires)
}

// refreshHolding refreshes while holding the lease and stores the new
// tokens before returning the access token.
func (ts *tokenSource) refreshHolding(ctx context.Context, in *store.Install) (string, error) {
	if ts.entry.Auth.Kind == video.AuthAdminConsent {
		return ts.clientCredentialsRefresh(ctx, in)
	}
	where := installPlace(ts.accountID, ts.app)
	rt, err := ts.s.Box.Open(in.RefreshToken, where+"/refresh")
	if err != nil {
		return "", fmt.Errorf("apps: open refresh token: %w", err)
	}
	// An expired Expiry makes oauth2 refresh at once.
	src := oauthConfig(ts.entry).TokenSource(ts.s.oauthContext(ctx), &oauth2.Token{RefreshToken: rt, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		err = refreshError(err)
		if errors.Is(err, video.ErrUnauthorized) {
			problem := fmt.Sprintf("%s refused to renew the tokens (%v); an admin must install it again", ts.s.appName(ts.app), err)
			if perr := ts.s.markProblem(ctx, ts.accountID, ts.app, problem); perr != nil {
				return "", perr
			}
			ts.s.notify(ctx, ts.accountID, ts.app, problem)
		} else {
			ts.release(ctx, in)
		}
		return "", fmt.Errorf("apps: %w", err)
	}
	newRT := tok.RefreshToken
	if newRT == "" {
		newRT = rt // a provider that does not rotate
	}
	sealedAccess, err := ts.s.Box.Seal(tok.AccessToken, where+"/access")
	if err != nil {
		return "", err
	}
	sealedRefresh, err := ts.s.Box.Seal(newRT, where+"/refresh")
	if err != nil {
		return "", err
	}
	expires := ts.s.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	// Persist before use: if this fails, the new refresh token is lost,
	// so report it loudly.
	ok, err := ts.s.Store.SwapTokens(ctx, ts.accountID, ts.app, in.TokenVersion, sealedAccess, sealedRefresh, expires)
	if err != nil {
		ts.s.Log.Error("refreshed tokens could not be stored", "account", ts.accountID, "app", ts.app, "err", err)
		return "", fmt.Errorf("apps: store refreshed tokens: %w", err)
	}
	if !ok {
		// Only an uninstall or re-install changes the version while we
		// hold the lease: those tokens win.
		ts.s.revokeToken(ctx, ts.entry, newRT)
		_, access, err := ts.load(ctx)
		return access, err
	}
	ts.s.Log.Info("tokens refreshed", "account", ts.accountID, "app", ts.app)
	ts.remember(tok.AccessToken, expires)
	return tok.AccessToken, nil
}
