package apps

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Per-user mode (video.App.UserAuth, video.ModePersonal): an admin installs
// the app for managed domains without authorizing anything for the
// account; each user of those domains then connects their own account at
// the provider (Google's personal accounts, which no Workspace admin can
// delegate). Connect starts an OAuth 2.0 authorization code flow with PKCE
// S256 and a single-use state (the install's state store, kind
// store.OAuthConnect, bound to the account and the user); the shared
// callback (Callback) tells it apart by its state, exchanges the code,
// verifies the OpenID Connect id_token (issuer, audience, expiry, nonce),
// requires every needed scope and a refresh token, and stores the user's
// grant with its tokens sealed. The app's client gets each user's tokens
// through video.Connection.UserTokens (grantTokenSource).

// ConnectionView is a user's connection to an app in per-user mode, as
// the API shows it to that user.
type ConnectionView struct {
	App  string `json:"app"`
	Name string `json:"name"`
	// State is not_connected, connected or needs_reauthorization.
	State string `json:"state"`
	// Email is the provider account's address (it may differ from the
	// user's).
	Email       string    `json:"email,omitempty"`
	Scopes      []string  `json:"scopes,omitempty"`
	Problem     string    `json:"problem,omitempty"`
	ConnectedAt time.Time `json:"connected_at,omitzero"`
}

// Connection states.
const (
	ConnNotConnected = "not_connected"
	ConnConnected    = "connected"
	ConnNeedsReauth  = "needs_reauthorization"
)

// DisconnectResult says what a disconnection did.
type DisconnectResult struct {
	// Revoked: the provider confirmed the revocation.
	Revoked bool `json:"revoked"`
	// Problem says why the provider could not be told, when it could not:
	// the grant is forgotten by Convene all the same.
	Problem string `json:"problem,omitempty"`
}

// grantPlace is where a grant's tokens are sealed.
func grantPlace(accountID, appID, userID string) string {
	return "grant/" + accountID + "/" + appID + "/" + userID
}

// nonceOf derives the OpenID Connect nonce of an authorization from its
// PKCE verifier, which is secret and single-use: the id_token's nonce must
// match it, so no separate column is kept.
func nonceOf(verifier string) string {
	sum := sha256.Sum256([]byte("oidc-nonce/" + verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func userOAuthConfig(u *video.UserAuth) *oauth2.Config {
	return &oauth2.Config{
		ClientID: u.ClientID, ClientSecret: u.ClientSecret, RedirectURL: u.RedirectURL, Scopes: u.Scopes,
		Endpoint: oauth2.Endpoint{AuthURL: u.AuthURL, TokenURL: u.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
}

// InstallPersonal installs a pre-approved app in per-user mode for the
// chosen domains: nothing is authorized for the account; each user of the
// domains connects their own account (Connect). An install in the other
// mode is replaced (its tokens or key deleted, as an uninstall would).
func (s *Service) InstallPersonal(ctx context.Context, p account.Principal, appID string, domains []string) (*InstallResult, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	a, err := s.app(appID)
	if err != nil {
		return nil, err
	}
	if a.UserAuth == nil {
		return nil, failure.Field("mode", "%s has no personal-account mode", a.Name)
	}
	if _, err := s.Store.Install(ctx, p.AccountID, a.ID); errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.Conflict, "pre-approve %s first (POST /api/v1/apps/%s/pre-approve)", a.Name, a.ID)
	} else if err != nil {
		return nil, fmt.Errorf("apps: install %s: %w", a.ID, err)
	}
	doms, err := s.checkDomains(ctx, p.AccountID, domains)
	if err != nil {
		return nil, err
	}
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		in, err := tx.InstallForUpdate(ctx, p.AccountID, a.ID)
		if err != nil {
			return err
		}
		now := s.Now().UTC()
		if in.Mode != video.ModePersonal || in.State == store.InstallPreApproved {
			in.Installed = now
		}
		in.State, in.Mode, in.Domains, in.InstalledBy, in.Updated, in.Problem = store.InstallInstalled, video.ModePersonal, doms, p.UserID, now, ""
		in.AccessToken, in.RefreshToken, in.TokenExpires, in.Credentials = "", "", time.Time{}, ""
		in.Scopes, in.ProviderAccountID, in.ProviderUserID = strings.Join(a.UserAuth.Scopes, " "), "", ""
		if err := tx.SaveInstall(ctx, in); err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, p.AccountID, account.ActorOf(p), account.AuditAppInstall, a.ID,
			account.Detail{"domains": doms, "mode": video.ModePersonal})
	})
	if err != nil {
		return nil, fmt.Errorf("apps: install %s: %w", a.ID, err)
	}
	s.clients.Delete(p.AccountID + "/" + a.ID)
	s.changed(ctx, p.AccountID, a.ID)
	v, err := s.view(ctx, p, a)
	return &InstallResult{App: v}, err
}

// AddPersonal installs a pre-approved app in per-user mode the way the
// admin page does: for every verified managed domain of the account
// (narrowed afterwards).
func (s *Service) AddPersonal(ctx context.Context, p account.Principal, appID string) (*InstallResult, error) {
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
	return s.InstallPersonal(ctx, p, appID, verified)
}

// personalInstall returns the account's install of a in per-user mode, or
// a failure saying why the user cannot connect.
func (s *Service) personalInstall(ctx context.Context, accountID string, a video.App, email string) (*store.Install, error) {
	if a.UserAuth == nil {
		return nil, failure.New(failure.NotFound, "%s takes no per-user connection", a.Name)
	}
	in, err := s.Store.Install(ctx, accountID, a.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (in.State == store.InstallPreApproved || in.Mode != video.ModePersonal)) {
		return nil, failure.New(failure.Conflict, "%s is not installed in personal-account mode for this account; an admin installs it under Apps", a.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("apps: %s: %w", a.ID, err)
	}
	if d := account.EmailDomain(email); !slices.Contains(in.Domains, d) {
		return nil, failure.New(failure.Forbidden, "%s is not enabled for %s; an admin can add the domain to the %s app", a.Name, d, a.Name)
	}
	return in, nil
}

// Connect starts the caller's connection of their own account at the
// provider: it returns the URL of the provider's consent page. The state
// is stored hashed, bound to the caller's account and user, single use
// and short-lived (StateTTL).
func (s *Service) Connect(ctx context.Context, p account.Principal, appID string) (string, error) {
	a, err := s.app(appID)
	if err != nil {
		return "", err
	}
	if p.UserID == "" {
		return "", failure.New(failure.Forbidden, "only a user connects their own %s account", a.Name)
	}
	if _, err := s.personalInstall(ctx, p.AccountID, a, p.Email); err != nil {
		return "", err
	}
	state, err := s.random(32)
	if err != nil {
		return "", err
	}
	verifier, err := s.random(32)
	if err != nil {
		return "", err
	}
	hash := hashState(state)
	sealed, err := s.Box.Seal(verifier, "oauth-state/"+hash)
	if err != nil {
		return "", err
	}
	now := s.Now().UTC()
	ttl := s.StateTTL
	if ttl == 0 {
		ttl = 10 * time.Minute
	}
	if _, err := s.Store.DeleteExpiredOAuthStates(ctx, now); err != nil {
		return "", fmt.Errorf("apps: connect %s: %w", a.ID, err)
	}
	if err := s.Store.CreateOAuthState(ctx, &store.OAuthState{Hash: hash, AccountID: p.AccountID, App: a.ID, UserID: p.UserID,
		Verifier: sealed, Domains: []string{}, Kind: store.OAuthConnect, Expires: now.Add(ttl), Created: now}); err != nil {
		return "", fmt.Errorf("apps: connect %s: %w", a.ID, err)
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonceOf(verifier))}
	keys := make([]string, 0, len(a.UserAuth.Params))
	for k := range a.UserAuth.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		opts = append(opts, oauth2.SetAuthURLParam(k, a.UserAuth.Params[k]))
	}
	if p.Email != "" {
		// A hint only: the user may pick any of their accounts.
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", p.Email))
	}
	return userOAuthConfig(a.UserAuth).AuthCodeURL(state, opts...), nil
}

// oidcVerifier returns the id_token verifier of an issuer, its discovery
// document and keys read once and cached (go-oidc refreshes the keys when
// a token names an unknown kid).
func (s *Service) oidcVerifier(ctx context.Context, u *video.UserAuth) (*oidc.IDTokenVerifier, error) {
	if p, ok := s.oidc.Load(u.Issuer); ok {
		return p.(*oidc.Provider).Verifier(&oidc.Config{ClientID: u.ClientID, Now: s.Now}), nil
	}
	// The provider outlives this request: its key set fetches keys later
	// with this context's HTTP client.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), s.httpClient())
	p, err := oidc.NewProvider(pctx, u.Issuer)
	if err != nil {
		return nil, err
	}
	s.oidc.Store(u.Issuer, p)
	return p.Verifier(&oidc.Config{ClientID: u.ClientID, Now: s.Now}), nil
}

// connectCallback completes a user's connection (Callback, state of kind
// store.OAuthConnect).
func (s *Service) connectCallback(ctx context.Context, a video.App, st *store.OAuthState, q url.Values, now time.Time) (*CallbackResult, error) {
	u := a.UserAuth
	if u == nil {
		return nil, failure.New(failure.Invalid, "%s takes no per-user connection", a.Name)
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return nil, failure.New(failure.Forbidden, "you declined at %s; nothing was connected", a.Name)
		}
		return nil, failure.New(failure.Invalid, "%s answered %s: %s", a.Name, e, q.Get("error_description"))
	}
	code := q.Get("code")
	if code == "" {
		return nil, failure.New(failure.Invalid, "the callback has no code")
	}
	user, err := s.Store.User(ctx, st.AccountID, st.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !user.Active()) {
		return nil, failure.New(failure.Forbidden, "the user who started this connection is no longer active")
	}
	if err != nil {
		return nil, fmt.Errorf("apps: connect: %w", err)
	}
	if _, err := s.personalInstall(ctx, st.AccountID, a, user.Email); err != nil {
		return nil, err
	}
	verifier, err := s.Box.Open(st.Verifier, "oauth-state/"+st.Hash)
	if err != nil {
		return nil, fmt.Errorf("apps: connect: %w", err)
	}
	tok, err := userOAuthConfig(u).Exchange(s.oauthContext(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, failure.New(failure.Invalid, "%s refused the authorization code: %s %s; connect again", a.Name, re.ErrorCode, re.ErrorDescription).Wrap(err)
		}
		return nil, failure.New(failure.Unavailable, "could not reach %s to complete the connection: %v", a.Name, err).Wrap(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	// Whatever is refused below, the tokens just granted are revoked,
	// except when the provider account is already connected to Convene
	// (by this user reconnecting, or another): Google revokes the whole
	// grant of an account and client, so revoking would end that
	// connection too. The id_token's subject, unverified, serves only to
	// decide not to revoke.
	refuse := func(err error) (*CallbackResult, error) {
		if sub := unverifiedSubject(raw); sub != "" {
			if _, gerr := s.Store.GrantBySubject(ctx, a.ID, sub); gerr == nil {
				return nil, err
			}
		}
		t := tok.RefreshToken
		if t == "" {
			t = tok.AccessToken
		}
		if rerr := s.revokeAt(ctx, u, t); rerr != nil {
			s.Log.Warn("apps: a refused connection's token not revoked", "app", a.ID, "err", rerr)
		}
		return nil, err
	}
	scopes, _ := tok.Extra("scope").(string)
	granted := strings.Fields(scopes)
	var missing []string
	for _, sc := range u.Required() {
		if !slices.Contains(granted, sc) {
			missing = append(missing, sc)
		}
	}
	if len(missing) > 0 {
		return refuse(failure.New(failure.Invalid,
			"you did not allow Convene every access it needs at %s: check %s on the consent page and connect again",
			a.Name, strings.Join(missing, ", ")).With("missing_scopes", missing))
	}
	if raw == "" {
		return refuse(failure.New(failure.Invalid, "%s returned no id_token: Convene cannot tell which account was connected", a.Name))
	}
	ver, err := s.oidcVerifier(ctx, u)
	if err != nil {
		return refuse(failure.New(failure.Unavailable, "could not read %s's OpenID configuration: %v", a.Name, err).Wrap(err))
	}
	idt, err := ver.Verify(oidc.ClientContext(ctx, s.httpClient()), raw)
	if err != nil {
		return refuse(failure.New(failure.Invalid, "%s's id_token does not verify (%v); connect again", a.Name, err).Wrap(err))
	}
	if idt.Nonce != nonceOf(verifier) {
		return refuse(failure.New(failure.Invalid, "%s's id_token is not for this connection (nonce); connect again", a.Name))
	}
	var claims struct {
		Email string `json:"email"`
	}
	if err := idt.Claims(&claims); err != nil || idt.Subject == "" {
		return refuse(failure.New(failure.Invalid, "%s's id_token names no account", a.Name))
	}
	if tok.RefreshToken == "" {
		return refuse(failure.New(failure.Invalid,
			"%s gave no refresh token, so Convene could not keep using your calendar: remove Convene's access in your %s account's security settings and connect again", a.Name, a.Name))
	}
	if other, err := s.Store.GrantBySubject(ctx, a.ID, idt.Subject); err == nil && (other.AccountID != st.AccountID || other.UserID != st.UserID) {
		// Not revoked: the grant is the other user's too.
		return nil, failure.New(failure.Conflict, "the %s account %s is already connected to Convene by another user; connect another account, or disconnect it there first", a.Name, claims.Email)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("apps: connect: %w", err)
	}
	where := grantPlace(st.AccountID, a.ID, st.UserID)
	g := &store.Grant{AccountID: st.AccountID, App: a.ID, UserID: st.UserID, Subject: idt.Subject, Email: claims.Email,
		Scopes: strings.Join(granted, " "), State: store.GrantActive, Created: now, Updated: now}
	if g.AccessToken, err = s.Box.Seal(tok.AccessToken, where+"/access"); err != nil {
		return nil, err
	}
	if g.RefreshToken, err = s.Box.Seal(tok.RefreshToken, where+"/refresh"); err != nil {
		return nil, err
	}
	g.TokenExpires = tok.Expiry.UTC()
	if tok.Expiry.IsZero() {
		g.TokenExpires = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	var replaced *store.Grant
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		if old, err := tx.Grant(ctx, st.AccountID, a.ID, st.UserID); err == nil {
			g.Created = old.Created
			if old.Subject != idt.Subject {
				replaced = old
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.SaveGrant(ctx, g); err != nil {
			return err
		}
		actor := account.Actor{UserID: user.ID, Email: user.Email, Via: account.ViaOAuth}
		return s.Accounts.Audit(ctx, tx, st.AccountID, actor, account.AuditAppConnect, a.ID, account.Detail{"email": claims.Email, "scopes": granted})
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, failure.New(failure.Conflict, "the %s account %s is already connected to Convene by another user; connect another account, or disconnect it there first", a.Name, claims.Email)
	}
	if err != nil {
		return nil, fmt.Errorf("apps: connect: %w", err)
	}
	if replaced != nil {
		// The user connected another account: the old one's grant ends.
		if rt, err := s.Box.Open(replaced.RefreshToken, where+"/refresh"); err == nil {
			if err := s.revokeAt(ctx, u, rt); err != nil {
				s.Log.Warn("apps: the replaced grant was not revoked", "app", a.ID, "err", err)
			}
		}
	}
	s.Log.Info("user connected", "account", st.AccountID, "app", a.ID, "user", st.UserID)
	s.changed(ctx, st.AccountID, a.ID)
	v := connectionView(a, g)
	return &CallbackResult{AccountID: st.AccountID, Connection: &v}, nil
}

// unverifiedSubject reads an id_token's subject without checking it (with
// go-jose, which go-oidc verifies with): "" when it does not parse.
func unverifiedSubject(raw string) string {
	t, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.PS256})
	if err != nil {
		return ""
	}
	var c struct {
		Subject string `json:"sub"`
	}
	if err := t.UnsafeClaimsWithoutVerification(&c); err != nil {
		return ""
	}
	return c.Subject
}

func connectionView(a video.App, g *store.Grant) ConnectionView {
	v := ConnectionView{App: a.ID, Name: a.Name, State: ConnNotConnected}
	if g == nil {
		return v
	}
	v.State, v.Email, v.Scopes, v.Problem, v.ConnectedAt = ConnConnected, g.Email, strings.Fields(g.Scopes), g.Problem, g.Created
	if g.State == store.GrantNeedsReauthorization {
		v.State = ConnNeedsReauth
	}
	return v
}

// Connections lists the caller's connections: one per app installed in
// per-user mode for the caller's domain.
func (s *Service) Connections(ctx context.Context, p account.Principal) ([]ConnectionView, error) {
	out := []ConnectionView{}
	if p.UserID == "" {
		return out, nil
	}
	grants, err := s.Store.GrantsOfUser(ctx, p.AccountID, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("apps: connections: %w", err)
	}
	for _, a := range s.Registry.Apps() {
		if a.UserAuth == nil {
			continue
		}
		if _, err := s.personalInstall(ctx, p.AccountID, a, p.Email); err != nil {
			if _, ok := failure.As(err); ok {
				continue
			}
			return nil, err
		}
		var g *store.Grant
		for i := range grants {
			if grants[i].App == a.ID {
				g = &grants[i]
			}
		}
		out = append(out, connectionView(a, g))
	}
	return out, nil
}

// Disconnect revokes the caller's grant at the provider, then forgets it.
// A provider that cannot be reached does not keep the grant: it is
// forgotten all the same, and the result says so.
func (s *Service) Disconnect(ctx context.Context, p account.Principal, appID string) (*DisconnectResult, error) {
	a, err := s.app(appID)
	if err != nil {
		return nil, err
	}
	if a.UserAuth == nil {
		return nil, failure.New(failure.NotFound, "%s takes no per-user connection", a.Name)
	}
	g, err := s.Store.Grant(ctx, p.AccountID, a.ID, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "you have no %s account connected", a.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("apps: disconnect: %w", err)
	}
	return s.disconnect(ctx, p, a, g, account.AuditAppDisconnect, a.ID, account.Detail{}), nil
}

// disconnect revokes grant g at the provider and forgets it (forgetGrant),
// audits it as action on target by p with detail (and whether it was
// revoked), and has the user's app calendars reconciled: a user's own
// disconnection (Disconnect) and an admin's revocation
// (RevokeConnection) both come here.
func (s *Service) disconnect(ctx context.Context, p account.Principal, a video.App, g *store.Grant, action, target string, detail account.Detail) *DisconnectResult {
	res := s.forgetGrant(ctx, a, g)
	detail["revoked"] = res.Revoked
	if err := s.Accounts.Audit(ctx, s.Store, p.AccountID, account.ActorOf(p), action, target, detail); err != nil {
		s.Log.Error("apps: disconnection not audited", "app", a.ID, "err", err)
	}
	s.changed(ctx, g.AccountID, a.ID)
	return res
}

// forgetGrant revokes a grant at the provider and deletes it.
func (s *Service) forgetGrant(ctx context.Context, a video.App, g *store.Grant) *DisconnectResult {
	res := &DisconnectResult{}
	rt, err := s.Box.Open(g.RefreshToken, grantPlace(g.AccountID, g.App, g.UserID)+"/refresh")
	if err == nil {
		err = s.revokeAt(ctx, a.UserAuth, rt)
	}
	if err != nil {
		res.Problem = fmt.Sprintf("%s could not be told to revoke Convene's access (%v); Convene forgot it, and you can remove it in your %s account's security settings", a.Name, err, a.Name)
		s.Log.Warn("apps: grant not revoked at the provider; forgotten", "account", g.AccountID, "app", g.App, "user", g.UserID, "err", err)
	} else {
		res.Revoked = true
	}
	if err := s.Store.DeleteGrant(context.WithoutCancel(ctx), g.AccountID, g.App, g.UserID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.Log.Error("apps: grant not deleted", "account", g.AccountID, "app", g.App, "err", err)
	}
	return res
}

// dropGrants revokes and deletes every grant of an account's app (an
// uninstall, or a re-install in the other mode).
func (s *Service) dropGrants(ctx context.Context, a video.App, accountID string) (int, error) {
	if a.UserAuth == nil {
		return 0, nil
	}
	grants, err := s.Store.GrantsOfApp(ctx, accountID, a.ID)
	if err != nil {
		return 0, fmt.Errorf("apps: grants of %s: %w", a.ID, err)
	}
	for i := range grants {
		if ctx.Err() != nil {
			return i, ctx.Err()
		}
		s.forgetGrant(ctx, a, &grants[i])
	}
	return len(grants), nil
}

// DepartedGrace is how long the grant of a user removed from the account
// is kept: the jobs that cancel their meetings use it to delete the
// meetings' events from their Google calendar.
const DepartedGrace = time.Hour

// ForgetDeparted revokes at the provider and forgets the grants of users
// removed from the account over DepartedGrace ago (the calendar core's
// reconciliation calls it), so that no token of a departed user stays.
// It reports how many it forgot.
func (s *Service) ForgetDeparted(ctx context.Context, accountID string) (int, error) {
	n := 0
	for _, a := range s.Registry.Apps() {
		if a.UserAuth == nil {
			continue
		}
		grants, err := s.Store.GrantsOfApp(ctx, accountID, a.ID)
		if err != nil {
			return n, fmt.Errorf("apps: grants of %s: %w", a.ID, err)
		}
		for i := range grants {
			g := &grants[i]
			u, err := s.Store.User(ctx, accountID, g.UserID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return n, fmt.Errorf("apps: grant's user: %w", err)
			}
			if err == nil && (u.Removed.IsZero() || s.Now().Sub(u.Removed) < DepartedGrace) {
				continue
			}
			s.forgetGrant(ctx, a, g)
			s.Log.Info("a removed user's grant revoked and forgotten", "account", accountID, "app", a.ID, "user", g.UserID)
			n++
		}
	}
	return n, nil
}

// revokeAt revokes token at the per-user mode's revocation endpoint (RFC
// 7009 §2.1; Google's POST https://oauth2.googleapis.com/revoke takes the
// token alone). A token the provider no longer knows counts as revoked.
func (s *Service) revokeAt(ctx context.Context, u *video.UserAuth, token string) error {
	if token == "" || u.RevokeURL == "" {
		return nil
	}
	return s.revokeToken(ctx, video.App{Name: "provider", Auth: video.Auth{Kind: video.AuthCode, RevokeURL: u.RevokeURL, ClientID: u.ClientID, ClientSecret: u.ClientSecret}}, token)
}

// userOf returns the active user of an account with address email.
func (s *Service) userOf(ctx context.Context, accountID, email string) (*store.User, error) {
	u, err := s.Store.UserByEmail(ctx, accountID, strings.ToLower(strings.TrimSpace(email)))
	if err == nil && !u.Active() {
		err = store.ErrNotFound
	}
	return u, err
}

// requireGrant checks that organizer has an active grant of a's install in
// per-user mode: booking asks before anything is written.
func (s *Service) requireGrant(ctx context.Context, accountID string, a video.App, organizer string) error {
	u, err := s.userOf(ctx, accountID, organizer)
	if errors.Is(err, store.ErrNotFound) {
		return failure.New(failure.Invalid, "%s is not an active user of this account, so has no %s account connected", organizer, a.Name)
	}
	if err != nil {
		return fmt.Errorf("apps: %w", err)
	}
	g, err := s.Store.Grant(ctx, accountID, a.ID, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return failure.New(failure.Invalid, "%s has no %s account connected: connect it on your Calendars page (/calendars) or with POST /api/v1/users/me/apps/%s/connect, then book again", organizer, a.Name, a.ID).With("app", a.ID)
	}
	if err != nil {
		return fmt.Errorf("apps: %w", err)
	}
	if g.State != store.GrantActive {
		return failure.New(failure.Invalid, "%s's %s account must be connected again (%s): reconnect it on your Calendars page (/calendars), then book again", organizer, a.Name, g.Problem).With("app", a.ID)
	}
	return nil
}

// userTokens is video.Connection.UserTokens of an install in per-user
// mode.
func (s *Service) userTokens(accountID string, a video.App) func(ctx context.Context, user string) (video.TokenSource, error) {
	return func(ctx context.Context, email string) (video.TokenSource, error) {
		u, err := s.userOf(ctx, accountID, email)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("apps: %s is not an active user: %w", email, video.ErrNotConnected)
		}
		if err != nil {
			return nil, fmt.Errorf("apps: %w", err)
		}
		ts := &grantTokenSource{s: s, accountID: accountID, userID: u.ID, email: email, entry: a}
		if _, _, err := ts.load(ctx); err != nil {
			return nil, err
		}
		return ts, nil
	}
}

// grantTokenSource gives an app's client the access token of one user's
// grant. It implements video.TokenSource like tokenSource does for
// installs: refreshes happen under the grant's lease (a row field taken
// with a conditional UPDATE, across processes) and an in-process mutex,
// and the new tokens are stored with a compare-and-swap on the grant's
// token version before they are used (LESSONS "Token refresh races").
type grantTokenSource struct {
	s                        *Service
	accountID, userID, email string
	entry                    video.App
}

func (ts *grantTokenSource) place() string { return grantPlace(ts.accountID, ts.entry.ID, ts.userID) }

func (ts *grantTokenSource) load(ctx context.Context) (*store.Grant, string, error) {
	g, err := ts.s.Store.Grant(ctx, ts.accountID, ts.entry.ID, ts.userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("apps: %s has no %s account connected: %w", ts.email, ts.entry.Name, video.ErrNotConnected)
	}
	if err != nil {
		return nil, "", fmt.Errorf("apps: load grant: %w", err)
	}
	if g.State != store.GrantActive {
		return nil, "", fmt.Errorf("apps: %s must connect their %s account again (%s): %w", ts.email, ts.entry.Name, g.Problem, video.ErrNotConnected)
	}
	access, err := ts.s.Box.Open(g.AccessToken, ts.place()+"/access")
	if err != nil {
		return nil, "", fmt.Errorf("apps: open access token: %w", err)
	}
	return g, access, nil
}

// Token implements video.TokenSource.
func (ts *grantTokenSource) Token(ctx context.Context) (string, error) {
	g, access, err := ts.load(ctx)
	if err != nil {
		return "", err
	}
	if ts.s.Now().Add(refreshAhead).Before(g.TokenExpires) {
		return access, nil
	}
	return ts.refresh(ctx, g.TokenVersion)
}

// Refresh implements video.TokenSource.
func (ts *grantTokenSource) Refresh(ctx context.Context, rejected string) (string, error) {
	g, access, err := ts.load(ctx)
	if err != nil {
		return "", err
	}
	if access != rejected && ts.s.Now().Before(g.TokenExpires) {
		return access, nil
	}
	return ts.refresh(ctx, g.TokenVersion)
}

func (ts *grantTokenSource) refresh(ctx context.Context, seen int64) (string, error) {
	mu := ts.s.lock(ts.place())
	mu.Lock()
	defer mu.Unlock()
	deadline := ts.s.Now().Add(waitForLease)
	for {
		g, access, err := ts.load(ctx)
		if err != nil {
			return "", err
		}
		if g.TokenVersion != seen && ts.s.Now().Before(g.TokenExpires) {
			return access, nil // refreshed by another worker
		}
		now := ts.s.Now()
		got, err := ts.s.Store.LeaseGrantRefresh(ctx, ts.accountID, ts.entry.ID, ts.userID, now, now.Add(leaseFor))
		if err != nil {
			return "", fmt.Errorf("apps: lease grant refresh: %w", err)
		}
		if !got {
			if now.After(deadline) {
				return "", fmt.Errorf("apps: another worker has been refreshing %s's %s tokens for too long", ts.email, ts.entry.Name)
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(leasePoll):
			}
			continue
		}
		// Read again under the lease: the tokens may have changed since.
		g, access, err = ts.load(ctx)
		if err != nil {
			return "", err
		}
		if g.TokenVersion != seen && ts.s.Now().Before(g.TokenExpires) {
			ts.s.Store.SwapGrantTokens(ctx, ts.accountID, ts.entry.ID, ts.userID, g.TokenVersion, g.AccessToken, g.RefreshToken, g.TokenExpires, time.Time{})
			return access, nil
		}
		return ts.refreshHolding(ctx, g)
	}
}

func (ts *grantTokenSource) refreshHolding(ctx context.Context, g *store.Grant) (string, error) {
	rt, err := ts.s.Box.Open(g.RefreshToken, ts.place()+"/refresh")
	if err != nil {
		return "", fmt.Errorf("apps: open refresh token: %w", err)
	}
	src := userOAuthConfig(ts.entry.UserAuth).TokenSource(ts.s.oauthContext(ctx), &oauth2.Token{RefreshToken: rt, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		err = refreshError(err)
		if errors.Is(err, video.ErrUnauthorized) {
			// invalid_grant: the user revoked Convene's access, or the
			// grant expired. Only this grant needs its user again.
			problem := fmt.Sprintf("%s refused to renew the access you gave Convene (%v); connect your %s account again on your Calendars page", ts.entry.Name, err, ts.entry.Name)
			ok, serr := ts.s.Store.SetGrantState(context.WithoutCancel(ctx), ts.accountID, ts.entry.ID, ts.userID, g.TokenVersion, store.GrantNeedsReauthorization, problem, ts.s.Now().UTC())
			if serr != nil {
				return "", fmt.Errorf("apps: record refused grant: %w", serr)
			}
			if ok {
				ts.s.notifyUser(ctx, ts.accountID, ts.userID, ts.entry.ID, ts.entry.Name, err)
			}
			return "", fmt.Errorf("apps: %s: %w", problem, video.ErrNotConnected)
		}
		ts.s.Store.SwapGrantTokens(ctx, ts.accountID, ts.entry.ID, ts.userID, g.TokenVersion, g.AccessToken, g.RefreshToken, g.TokenExpires, time.Time{})
		return "", fmt.Errorf("apps: %w", err)
	}
	newRT := tok.RefreshToken
	if newRT == "" {
		newRT = rt // Google does not rotate refresh tokens
	}
	sealedAccess, err := ts.s.Box.Seal(tok.AccessToken, ts.place()+"/access")
	if err != nil {
		return "", err
	}
	sealedRefresh, err := ts.s.Box.Seal(newRT, ts.place()+"/refresh")
	if err != nil {
		return "", err
	}
	expires := tok.Expiry
	if expires.IsZero() {
		expires = ts.s.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	// Persist before use.
	ok, err := ts.s.Store.SwapGrantTokens(ctx, ts.accountID, ts.entry.ID, ts.userID, g.TokenVersion, sealedAccess, sealedRefresh, expires, ts.s.Now())
	if err != nil {
		ts.s.Log.Error("refreshed grant tokens could not be stored", "account", ts.accountID, "app", ts.entry.ID, "err", err)
		return "", fmt.Errorf("apps: store refreshed tokens: %w", err)
	}
	if !ok {
		// A reconnection replaced the grant while we held the lease:
		// its tokens win.
		_, access, err := ts.load(ctx)
		return access, err
	}
	return tok.AccessToken, nil
}

// lock returns the in-process mutex of key.
func (s *Service) lock(key string) *sync.Mutex {
	mu, _ := s.locks.LoadOrStore(key, &sync.Mutex{})
	return mu.(*sync.Mutex)
}

// notifyUser tells a user, in their language, that the provider refused
// to renew their grant (cause) and that it needs them.
func (s *Service) notifyUser(ctx context.Context, accountID, userID, appID, appName string, cause error) {
	s.Log.Warn("a user's connection needs them", "account", accountID, "app", appID, "user", userID)
	if s.NotifyUser == nil {
		return
	}
	lang := ""
	if u, err := s.Store.User(ctx, accountID, userID); err == nil {
		lang = s.languageOf(ctx, u)
	}
	s.NotifyUser(context.WithoutCancel(ctx), accountID, userID, appID, reauthNotice(lang, appName, cause))
}

// ConnectedUsers counts the grants of an account's app, for the admin.
func (s *Service) connectedUsers(ctx context.Context, accountID, appID string) (int, error) {
	gs, err := s.Store.GrantsOfApp(ctx, accountID, appID)
	return len(gs), err
}
