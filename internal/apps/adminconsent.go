package apps

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Admin consent (video.AuthAdminConsent, Microsoft identity platform):
//
//  1. Install sends the admin to the app's AuthURL (the v2.0
//     /adminconsent endpoint) with client_id, scope (".default"),
//     redirect_uri and a single-use state, stored hashed like an
//     authorization code's.
//  2. Microsoft returns to the callback with tenant, admin_consent=True
//     and the state, or with error=access_denied (the admin declined) or
//     another error.
//  3. Convene takes a client-credentials token for that tenant (RFC 6749
//     §4.4, TokenURL with {tenant} replaced) to prove the consent works,
//     checks the token's roles against the permissions the app needs,
//     and keeps the token sealed like Zoom's. There is no refresh token:
//     "refreshing" takes a new client-credentials token.
//  4. A token endpoint answer that means the consent or the app is gone
//     (consentLost) puts the install in needs_reauthorization and tells
//     the admins; other failures are transient.

// tenantID is what a tenant from the callback may be: Microsoft sends the
// directory's GUID.
var tenantID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// adminConsentURL is where Install sends the admin.
func adminConsentURL(a video.App, state string) string {
	q := url.Values{
		"client_id":    {a.Auth.ClientID},
		"scope":        {a.Auth.Scope},
		"redirect_uri": {a.Auth.RedirectURL},
		"state":        {state},
	}
	return a.Auth.AuthURL + "?" + q.Encode()
}

// tenantTokenURL is the app's token endpoint for tenant.
func tenantTokenURL(a video.App, tenant string) string {
	return strings.ReplaceAll(a.Auth.TokenURL, "{tenant}", url.PathEscape(tenant))
}

// clientCredentials takes a token for tenant.
func (s *Service) clientCredentials(ctx context.Context, a video.App, tenant string) (*oauth2.Token, error) {
	cc := clientcredentials.Config{ClientID: a.Auth.ClientID, ClientSecret: a.Auth.ClientSecret, TokenURL: tenantTokenURL(a, tenant),
		Scopes: []string{a.Auth.Scope}, AuthStyle: oauth2.AuthStyleInParams}
	if a.Auth.BasicAuth {
		cc.AuthStyle = oauth2.AuthStyleInHeader
	}
	return cc.Token(s.oauthContext(ctx))
}

// lostConsentCodes are the identity platform's answers that mean the
// tenant's consent, or the app itself, is gone: only an admin can fix
// them. AADSTS65001: no consent; 7000112: the app is disabled in the
// tenant; 700016: the app is not found in the tenant (removed).
var lostConsentCodes = []int{65001, 7000112, 700016}

// consentLost reports whether a token endpoint error means the install
// needs an admin: invalid_client and unauthorized_client (RFC 6749 §5.2:
// the client is not known or not allowed, e.g. its secret expired or the
// app was removed), or one of lostConsentCodes, in error_codes or the
// description ("AADSTS65001: …").
func consentLost(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return false
	}
	if re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client" {
		return true
	}
	var body struct {
		ErrorCodes []int `json:"error_codes"`
	}
	_ = json.Unmarshal(re.Body, &body)
	for _, c := range lostConsentCodes {
		if slices.Contains(body.ErrorCodes, c) || strings.Contains(re.ErrorDescription, "AADSTS"+strconv.Itoa(c)+":") {
			return true
		}
	}
	return false
}

// tokenRoles reads the roles claim (the application permissions granted)
// of a token that is a JWT (Microsoft's access tokens for Graph are). The
// token came straight from the token endpoint over TLS and is meant for
// Graph, not Convene, so its signature is not Convene's to check; ok is
// false when it is not a JWT with roles.
func tokenRoles(token string) (roles []string, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return nil, false
	}
	var claims struct {
		Roles []string `json:"roles"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Roles == nil {
		return nil, false
	}
	return claims.Roles, true
}

// adminConsentCallback completes an admin-consent install whose state was
// taken and checked (st).
func (s *Service) adminConsentCallback(ctx context.Context, a video.App, st *store.OAuthState, q url.Values, now time.Time) (*CallbackResult, error) {
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return nil, failure.New(failure.Forbidden, "the admin consent was declined at %s; nothing was installed", a.Name)
		}
		return nil, failure.New(failure.Invalid, "%s answered %s: %s", a.Name, e, q.Get("error_description"))
	}
	if !strings.EqualFold(q.Get("admin_consent"), "true") {
		return nil, failure.New(failure.Invalid, "%s did not confirm the admin consent (admin_consent=%q)", a.Name, q.Get("admin_consent"))
	}
	tenant := q.Get("tenant")
	if !tenantID.MatchString(tenant) {
		return nil, failure.New(failure.Invalid, "the callback names no tenant (a directory id), or a malformed one")
	}
	tok, err := s.clientCredentials(ctx, a, tenant)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, failure.New(failure.Invalid, "%s gave no token for the tenant after its consent (%s %s); consent again, or wait a minute if it was just given",
				a.Name, re.ErrorCode, firstLine(re.ErrorDescription)).Wrap(err)
		}
		return nil, failure.New(failure.Unavailable, "could not reach %s to complete the consent: %v", a.Name, err).Wrap(err)
	}
	granted := ""
	if roles, ok := tokenRoles(tok.AccessToken); ok {
		granted = strings.Join(roles, " ")
		if missing := a.Auth.MissingScopes(granted); len(missing) > 0 {
			problem := fmt.Sprintf("the consent to %s did not grant the permission(s) %s that Convene needs; add them to the app registration and consent again",
				a.Name, strings.Join(missing, ", "))
			if err := s.markProblem(ctx, st.AccountID, a.ID, problem); err != nil {
				return nil, err
			}
			s.notify(ctx, st.AccountID, a.ID, problem)
			return nil, failure.New(failure.Invalid, "%s", problem).With("missing_scopes", missing)
		}
	}
	in := &store.Install{AccountID: st.AccountID, App: a.ID}
	if in.AccessToken, err = s.Box.Seal(tok.AccessToken, installPlace(st.AccountID, a.ID)+"/access"); err != nil {
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
		in.State, in.Domains, in.Scopes = store.InstallInstalled, st.Domains, granted
		in.TokenExpires = tokenExpiry(tok, now)
		in.ProviderAccountID, in.InstalledBy = tenant, st.UserID
		in.Installed, in.Created, in.Updated, in.TokenVersion = now, old.Created, now, old.TokenVersion
		if err := tx.SaveInstall(ctx, in); err != nil {
			return err
		}
		actor := account.Actor{UserID: st.UserID, Via: account.ViaOAuth}
		if u, err := tx.User(ctx, st.AccountID, st.UserID); err == nil {
			actor.Email = u.Email
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return s.Accounts.Audit(ctx, tx, st.AccountID, actor, account.AuditAppInstall, a.ID,
			account.Detail{"domains": st.Domains, "scopes": granted, "tenant": tenant})
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("apps: admin consent: %w", err)
	}
	s.clients.Delete(st.AccountID + "/" + a.ID)
	s.changed(ctx, st.AccountID, a.ID)
	s.Log.Info("app installed", "account", st.AccountID, "app", a.ID, "tenant", tenant, "domains", st.Domains)
	return s.callbackResult(ctx, st.AccountID, a.ID, st.Domains)
}

// callbackResult is the install as the admin sees it after a callback.
func (s *Service) callbackResult(ctx context.Context, accountID, appID string, domains []string) (*CallbackResult, error) {
	views, err := s.List(ctx, principalOf(accountID))
	if err != nil {
		return nil, err
	}
	for _, v := range views {
		if v.ID == appID {
			return &CallbackResult{AccountID: accountID, App: &v, Domains: domains}, nil
		}
	}
	return nil, fmt.Errorf("apps: %s vanished", appID)
}

// clientCredentialsRefresh takes a new client-credentials token for the
// install's tenant while holding its lease, and stores it before use.
// A refusal that means the consent is gone marks the install
// needs_reauthorization.
func (ts *tokenSource) clientCredentialsRefresh(ctx context.Context, in *store.Install) (string, error) {
	tok, err := ts.s.clientCredentials(ctx, ts.entry, in.ProviderAccountID)
	if err != nil {
		if consentLost(err) {
			var re *oauth2.RetrieveError
			errors.As(err, &re)
			problem := fmt.Sprintf("%s refused a token for the tenant (%s: %s); an admin must consent again",
				ts.s.appName(ts.app), re.ErrorCode, firstLine(re.ErrorDescription))
			if perr := ts.s.markProblem(ctx, ts.accountID, ts.app, problem); perr != nil {
				return "", perr
			}
			ts.s.notify(ctx, ts.accountID, ts.app, problem)
			return "", fmt.Errorf("apps: %s: %w", problem, video.ErrUnauthorized)
		}
		ts.release(ctx, in)
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusTooManyRequests {
			return "", fmt.Errorf("apps: token: %w", video.ErrRateLimited)
		}
		return "", fmt.Errorf("apps: token: %w", err)
	}
	where := installPlace(ts.accountID, ts.app)
	sealed, err := ts.s.Box.Seal(tok.AccessToken, where+"/access")
	if err != nil {
		return "", err
	}
	expires := tokenExpiry(tok, ts.s.Now())
	ok, err := ts.s.Store.SwapTokens(ctx, ts.accountID, ts.app, in.TokenVersion, sealed, "", expires)
	if err != nil {
		return "", fmt.Errorf("apps: store the new token: %w", err)
	}
	if !ok {
		_, access, err := ts.load(ctx)
		return access, err
	}
	ts.s.Log.Info("client-credentials token renewed", "account", ts.accountID, "app", ts.app)
	ts.remember(tok.AccessToken, expires)
	return tok.AccessToken, nil
}

// tokenExpiry is when a token taken at now expires: expires_in after now
// (by the injected clock), an hour when the endpoint gave none.
func tokenExpiry(tok *oauth2.Token, now time.Time) time.Time {
	if tok.ExpiresIn > 0 {
		return now.Add(time.Duration(tok.ExpiresIn) * time.Second).UTC()
	}
	if !tok.Expiry.IsZero() {
		// clientcredentials sets only Expiry, by the real clock.
		return now.Add(time.Until(tok.Expiry).Round(time.Second)).UTC()
	}
	return now.Add(time.Hour).UTC()
}

// firstLine is the first line of an identity platform description (the
// rest is trace and correlation ids).
func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\r\n")
	first, _, _ = strings.Cut(first, "\n")
	return first
}
