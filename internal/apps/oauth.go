package apps

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// oauthConfig is an app's OAuth endpoint as its entry describes it (Zoom's:
// zoom-api.md §4.1, client credentials in a Basic header).
func oauthConfig(a video.App) *oauth2.Config {
	style := oauth2.AuthStyleInParams
	if a.Auth.BasicAuth {
		style = oauth2.AuthStyleInHeader
	}
	return &oauth2.Config{
		ClientID:     a.Auth.ClientID,
		ClientSecret: a.Auth.ClientSecret,
		RedirectURL:  a.Auth.RedirectURL,
		Endpoint: oauth2.Endpoint{
			AuthURL:   a.Auth.AuthURL,
			TokenURL:  a.Auth.TokenURL,
			AuthStyle: style,
		},
	}
}

func (s *Service) oauthContext(ctx context.Context) context.Context {
	if s.HTTP != nil {
		return context.WithValue(ctx, oauth2.HTTPClient, s.HTTP)
	}
	return ctx
}

// CallbackResult is what the OAuth callback reports to the admin.
type CallbackResult struct {
	// AccountID is the account the app was installed for.
	AccountID string
	App       *AppView
	Domains   []string
	// Connection is set instead of App when the callback completed a
	// user's own connection (per-user mode).
	Connection *ConnectionView
}

// Callback completes an authorization: it takes the single-use state,
// exchanges the code with the PKCE verifier, checks the granted scopes,
// seals and stores the tokens and marks the app installed. An
// admin-consent app's callback names the tenant instead of a code
// (adminConsentCallback).
func (s *Service) Callback(ctx context.Context, appID string, q url.Values) (*CallbackResult, error) {
	a, err := s.app(appID)
	if err != nil {
		return nil, err
	}
	state := q.Get("state")
	if state == "" {
		return nil, failure.New(failure.Invalid, "the callback has no state; start the install again from Convene")
	}
	st, err := s.Store.TakeOAuthState(ctx, hashState(state))
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.Invalid, "this authorization is unknown, already used or forged; start the install again from Convene")
	}
	if err != nil {
		return nil, fmt.Errorf("apps: callback: %w", err)
	}
	now := s.Now().UTC()
	if st.App != a.ID {
		return nil, failure.New(failure.Invalid, "this authorization was started for %s, not %s", s.appName(st.App), a.Name)
	}
	if now.After(st.Expires) {
		return nil, failure.New(failure.Invalid, "this authorization expired at %s; start the install again", st.Expires.Format(time.RFC3339))
	}
	if st.Kind == store.OAuthConnect {
		return s.connectCallback(ctx, a, st, q, now)
	}
	if a.Auth.Kind == video.AuthAdminConsent {
		return s.adminConsentCallback(ctx, a, st, q, now)
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return nil, failure.New(failure.Forbidden, "the authorization was declined at %s; nothing was installed", a.Name)
		}
		return nil, failure.New(failure.Invalid, "%s answered %s: %s", a.Name, e, q.Get("error_description"))
	}
	code := q.Get("code")
	if code == "" {
		return nil, failure.New(failure.Invalid, "the callback has no code")
	}
	verifier, err := s.Box.Open(st.Verifier, "oauth-state/"+st.Hash)
	if err != nil {
		return nil, fmt.Errorf("apps: callback: %w", err)
	}
	tok, err := oauthConfig(a).Exchange(s.oauthContext(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, failure.New(failure.Invalid, "%s refused the authorization code: %s %s", a.Name, re.ErrorCode, re.ErrorDescription).Wrap(err)
		}
		return nil, failure.New(failure.Unavailable, "could not reach %s to complete the authorization: %v", a.Name, err).Wrap(err)
	}
	scopes, _ := tok.Extra("scope").(string)
	if missing := a.Auth.MissingScopes(scopes); len(missing) > 0 {
		problem := fmt.Sprintf("%s did not grant the scope(s) %s that Convene needs; add them to the app at %s and install again",
			a.Name, strings.Join(missing, ", "), a.Name)
		s.revokeToken(ctx, a, tok.RefreshToken)
		if err := s.markProblem(ctx, st.AccountID, a.ID, problem); err != nil {
			return nil, err
		}
		s.notify(ctx, st.AccountID, a.ID, problem)
		return nil, failure.New(failure.Invalid, "%s", problem).With("missing_scopes", missing)
	}
	me, err := a.Auth.Identify(ctx, s.httpClient(), tok.AccessToken)
	if err != nil {
		return nil, failure.New(failure.Unavailable, "could not read the authorizing %s user: %v", a.Name, err).Wrap(err)
	}
	in := &store.Install{AccountID: st.AccountID, App: a.ID}
	where := installPlace(st.AccountID, a.ID)
	if in.AccessToken, err = s.Box.Seal(tok.AccessToken, where+"/access"); err != nil {
		return nil, err
	}
	if in.RefreshToken, err = s.Box.Seal(tok.RefreshToken, where+"/refresh"); err != nil {
		return nil, err
	}
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		old, err := tx.Install(ctx, st.AccountID, a.ID)
		if errors.Is(err, store.ErrNotFound) {
			return failure.New(failure.Conflict, "%s is no longer pre-approved for this account", a.Name)
		}
		if err != nil {
			return err
		}
		in.State, in.Domains, in.Scopes = store.InstallInstalled, st.Domains, scopes
		in.TokenExpires = now.Add(time.Duration(tok.ExpiresIn) * time.Second)
		in.ProviderAccountID, in.ProviderUserID, in.InstalledBy = me.AccountID, me.UserID, st.UserID
		in.Installed, in.Created, in.Updated, in.TokenVersion = now, old.Created, now, old.TokenVersion
		if err := tx.SaveInstall(ctx, in); err != nil {
			return err
		}
		// The admin who started the install, as they are now (an admin
		// removed meanwhile is still named by their address).
		actor := account.Actor{UserID: st.UserID, Via: account.ViaOAuth}
		if u, err := tx.User(ctx, st.AccountID, st.UserID); err == nil {
			actor.Email = u.Email
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return s.Accounts.Audit(ctx, tx, st.AccountID, actor, account.AuditAppInstall, a.ID, account.Detail{"domains": st.Domains, "scopes": scopes})
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("apps: callback: %w", err)
	}
	s.clients.Delete(st.AccountID + "/" + a.ID)
	s.changed(ctx, st.AccountID, a.ID)
	s.Log.Info("app installed", "account", st.AccountID, "app", a.ID, "domains", st.Domains)
	views, err := s.List(ctx, principalOf(st.AccountID))
	if err != nil {
		return nil, err
	}
	for _, v := range views {
		if v.ID == a.ID {
			return &CallbackResult{AccountID: st.AccountID, App: &v, Domains: st.Domains}, nil
		}
	}
	return nil, fmt.Errorf("apps: %s vanished", a.ID)
}

func installPlace(accountID, appID string) string { return "install/" + accountID + "/" + appID }

// markProblem records why an install cannot be used, keeping its state
// unless it was installed, which becomes needs_reauthorization.
func (s *Service) markProblem(ctx context.Context, accountID, appID, problem string) error {
	err := s.Store.Tx(ctx, func(tx store.Store) error {
		in, err := tx.Install(ctx, accountID, appID)
		if err != nil {
			return err
		}
		if in.State == store.InstallInstalled {
			in.State = store.InstallNeedsReauthorization
		}
		in.Problem, in.Updated = problem, s.Now().UTC()
		return tx.SaveInstall(ctx, in)
	})
	if err != nil {
		return fmt.Errorf("apps: record problem of %s: %w", appID, err)
	}
	return nil
}

func (s *Service) httpClient() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return http.DefaultClient
}

// revoke revokes an install's refresh token at the provider (at Zoom,
// that revokes the whole grant). A token the provider no longer knows
// counts as revoked.
func (s *Service) revoke(ctx context.Context, a video.App, in *store.Install) error {
	rt, err := s.Box.Open(in.RefreshToken, installPlace(in.AccountID, in.App)+"/refresh")
	if err != nil {
		return err
	}
	return s.revokeToken(ctx, a, rt)
}

// revokeToken revokes token at the app's revocation endpoint (RFC 7009
// §2.1; Zoom's POST /oauth/revoke, zoom-api.md §4.1).
func (s *Service) revokeToken(ctx context.Context, a video.App, token string) error {
	if token == "" || !a.Auth.Revocable() {
		return nil
	}
	form := url.Values{"token": {token}}
	if !a.Auth.BasicAuth {
		form.Set("client_id", a.Auth.ClientID)
		form.Set("client_secret", a.Auth.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", a.Auth.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	if a.Auth.BasicAuth {
		// RFC 6749 §2.3.1: form-encoded, then Basic.
		req.SetBasicAuth(url.QueryEscape(a.Auth.ClientID), url.QueryEscape(a.Auth.ClientSecret))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	switch {
	case resp.StatusCode == http.StatusOK:
		return nil
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized:
		// Already invalid: nothing left to revoke.
		s.Log.Info("revoke: token already invalid", "status", resp.StatusCode)
		return nil
	}
	return fmt.Errorf("POST %s: %s: %.200s", a.Auth.RevokeURL, resp.Status, body)
}

// refreshError classifies a failed refresh: permanent (the grant is dead,
// the admin must re-authorize) wraps video.ErrUnauthorized.
func refreshError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 && re.Response.StatusCode != http.StatusTooManyRequests {
		return fmt.Errorf("refresh refused (%s %s): %w", re.ErrorCode, re.ErrorDescription, video.ErrUnauthorized)
	}
	return fmt.Errorf("refresh: %w", err)
}
