package googlesandbox

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/option"
)

const (
	testClientID     = "123456789-sandbox.apps.googleusercontent.com"
	testClientSecret = "GOCSPX-sandbox-secret"
)

// testRedirect is the client's registered redirect URI (never served: the
// tests read the Location header).
func (sb *sandbox) testRedirect() string { return sb.ts.URL + "/callback" }

// oauthSetup registers the test client and a personal account.
func (sb *sandbox) oauthSetup() {
	sb.t.Helper()
	sb.control("POST", "/oauth-clients", map[string]any{"client_id": testClientID, "client_secret": testClientSecret,
		"redirect_uris": []string{sb.testRedirect()}}, http.StatusCreated)
	sb.control("POST", "/accounts", map[string]any{"email": "ann@gmail.com", "name": "Ann"}, http.StatusCreated)
}

// oauthConfig is golang.org/x/oauth2's configuration of the test client.
func (sb *sandbox) oauthConfig(scopes ...string) *oauth2.Config {
	if len(scopes) == 0 {
		scopes = []string{ScopeOpenID, ScopeEmail, ScopeProfile, ScopeEvents}
	}
	return &oauth2.Config{ClientID: testClientID, ClientSecret: testClientSecret, RedirectURL: sb.testRedirect(), Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: sb.srv.AuthURL(), TokenURL: sb.srv.TokenURL()}}
}

var (
	hiddenRe   = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	checkboxRe = regexp.MustCompile(`<input type="checkbox" name="granted" value="([^"]+)" checked>`)
	emailRe    = regexp.MustCompile(`<input type="email" name="email" value="([^"]*)"`)
)

// noRedirect is an HTTP client that hands redirects back.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// consentForm reads the consent page of authURL: its hidden fields, its
// checkboxes and the prefilled e-mail.
func consentForm(t *testing.T, authURL string) (url.Values, []string, string) {
	t.Helper()
	resp, err := noRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("consent page: %d %s", resp.StatusCode, b)
	}
	form := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(string(b), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	var boxes []string
	for _, m := range checkboxRe.FindAllStringSubmatch(string(b), -1) {
		boxes = append(boxes, html.UnescapeString(m[1]))
	}
	email := ""
	if m := emailRe.FindStringSubmatch(string(b)); m != nil {
		email = html.UnescapeString(m[1])
	}
	return form, boxes, email
}

// postConsent posts the consent form and returns the answer unfollowed.
func postConsent(t *testing.T, action string, form url.Values) *http.Response {
	t.Helper()
	resp, err := noRedirect.PostForm(action, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// consent signs in as email on the page of authURL, leaves the boxes not in
// granted unchecked (nil: all checked) and allows; it returns the
// redirect's query.
func (sb *sandbox) consent(authURL, email string, granted []string) url.Values {
	t := sb.t
	t.Helper()
	form, boxes, _ := consentForm(t, authURL)
	if granted == nil {
		granted = boxes
	}
	form.Set("email", email)
	form["granted"] = granted
	form.Set("decision", "allow")
	resp := postConsent(t, sb.srv.AuthURL(), form)
	return sb.redirected(resp)
}

// redirected checks a 302 to the registered redirect URI and returns its
// query.
func (sb *sandbox) redirected(resp *http.Response) url.Values {
	sb.t.Helper()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), sb.testRedirect()+"?") {
		sb.t.Fatalf("want a redirect to the client, got %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

// exchange posts the authorization_code grant by hand.
func (sb *sandbox) exchange(form url.Values) (*response, map[string]any) {
	sb.t.Helper()
	f := url.Values{"grant_type": {"authorization_code"}, "client_id": {testClientID}, "client_secret": {testClientSecret},
		"redirect_uri": {sb.testRedirect()}}
	for k, v := range form {
		f[k] = v
	}
	r := postForm(sb.t, sb.srv.TokenURL(), f)
	var body map[string]any
	r.json(sb.t, &body)
	return r, body
}

// code runs a consent for ann@gmail.com with params and returns the code.
func (sb *sandbox) code(params url.Values, granted []string) string {
	sb.t.Helper()
	q := url.Values{"client_id": {testClientID}, "redirect_uri": {sb.testRedirect()}, "response_type": {"code"},
		"scope": {"openid email " + ScopeEvents}, "state": {"st"}}
	for k, v := range params {
		q[k] = v
	}
	got := sb.consent(sb.srv.AuthURL()+"?"+q.Encode(), "ann@gmail.com", granted)
	if got.Get("state") != "st" && q.Get("state") == "st" {
		sb.t.Fatalf("state not echoed: %v", got)
	}
	return got.Get("code")
}

// TestOAuthGoClients runs the whole flow with Google's Go libraries:
// golang.org/x/oauth2 (PKCE, offline access, the refreshing token source),
// go-oidc (discovery, id_token verification, userinfo) and the Calendar
// client; then revocation ends the refresh token and the access token.
func TestOAuthGoClients(t *testing.T) {
	sb := newSandbox(t, nil)
	sb.oauthSetup()
	ctx := context.Background()
	cfg := sb.oauthConfig()
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("state-1", oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", "n-0S6_WzA2Mj"), oauth2.SetAuthURLParam("login_hint", "ann@gmail.com"))
	form, boxes, email := consentForm(t, authURL)
	if email != "ann@gmail.com" || !slices.Equal(boxes, []string{ScopeEvents}) || form.Get("code_challenge_method") != "S256" {
		t.Fatalf("page: email %q boxes %v form %v", email, boxes, form)
	}
	q := sb.consent(authURL, "ann@gmail.com", nil)
	if q.Get("state") != "state-1" || q.Get("authuser") != "0" || q.Get("prompt") != "consent" || q.Get("hd") != "" {
		t.Errorf("redirect %v", q)
	}
	if sc := strings.Fields(q.Get("scope")); !slices.Contains(sc, ScopeEvents) || !slices.Contains(sc, ScopeOpenID) || !slices.Contains(sc, ScopeUserinfoEmail) {
		t.Errorf("scope %q", q.Get("scope"))
	}
	tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 3599 || tok.Extra("id_token") == nil {
		t.Fatalf("token %+v", tok)
	}

	provider, err := oidc.NewProvider(ctx, sb.ts.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: testClientID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Email != "ann@gmail.com" || !claims.EmailVerified || idt.Nonce != "n-0S6_WzA2Mj" || !regexp.MustCompile(`^1[0-9]{20}$`).MatchString(idt.Subject) {
		t.Errorf("claims %+v nonce %q sub %q", claims, idt.Nonce, idt.Subject)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	if _, err := provider.Verifier(&oidc.Config{ClientID: "other-client"}).Verify(ctx, tok.Extra("id_token").(string)); err == nil {
		t.Error("an id_token for another audience verified")
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || ui.Subject != idt.Subject || ui.Email != "ann@gmail.com" {
		t.Errorf("userinfo %+v %v", ui, err)
	}

	// The Calendar API with the user's token: her calendar, through the
	// discovery validation; events added "in Google" are there.
	sb.addEvent("ann@gmail.com", map[string]any{"summary": "dentist", "start": map[string]any{"dateTime": at(0, 9, 0)}, "end": map[string]any{"dateTime": at(0, 10, 0)}})
	svc, err := gcal.NewService(ctx, option.WithEndpoint(sb.srv.CalendarURL()), option.WithTokenSource(cfg.TokenSource(ctx, tok)))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := svc.Events.List("primary").Do()
	if err != nil || len(evs.Items) != 1 || evs.Items[0].Summary != "dentist" {
		t.Fatalf("list: %v %v", evs, err)
	}
	if _, err := svc.Events.Insert("ann@gmail.com", &gcal.Event{Summary: "x", Start: &gcal.EventDateTime{DateTime: at(1, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(1, 10, 0)}}).Do(); err != nil {
		t.Fatalf("insert: %v", err)
	}

	// Refresh: a token with only the refresh token is refreshed.
	ts := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken})
	fresh, err := ts.Token()
	if err != nil || fresh.AccessToken == tok.AccessToken || fresh.RefreshToken != tok.RefreshToken {
		t.Fatalf("refresh: %+v %v", fresh, err)
	}
	if sc, _ := fresh.Extra("scope").(string); !strings.Contains(sc, ScopeEvents) {
		t.Errorf("refreshed scope %q", sc)
	}

	// Revocation ends the grant: the refresh token and every access token.
	if r := postForm(t, sb.ts.URL+"/revoke", url.Values{"token": {fresh.AccessToken}}); r.Status != http.StatusOK || string(r.Body) != "{}" {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" || re.ErrorDescription != msgExpiredOrRevoked {
		t.Fatalf("refresh after revoke: %v", err)
	}
	for _, at := range []string{tok.AccessToken, fresh.AccessToken} {
		if r := sb.do("GET", "/calendar/v3/calendars/primary/events", at, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("access token after revoke: %d", r.Status)
		}
	}
	if r := postForm(t, sb.ts.URL+"/revoke", url.Values{"token": {tok.RefreshToken}}); r.Status != http.StatusBadRequest ||
		string(r.Body) != `{"error":"invalid_token","error_description":"Token expired or revoked"}` {
		t.Errorf("revoke twice: %d %s", r.Status, r.Body)
	}
}

// TestOAuthTokenRules: each rule of the token endpoint refuses as Google
// does.
func TestOAuthTokenRules(t *testing.T) {
	sb := newSandbox(t, nil)
	sb.oauthSetup()
	verifier := oauth2.GenerateVerifier()
	pkce := url.Values{"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	plainVerifier := strings.Repeat("p", 43)
	tests := []struct {
		name   string
		params url.Values // of the authorization
		form   url.Values // of the exchange
		status int
		code   string
		desc   string
	}{
		{"valid", pkce, url.Values{"code_verifier": {verifier}}, 200, "", ""},
		{"basic auth", nil, url.Values{"client_secret": nil, "client_id": nil, "basic": {"1"}}, 200, "", ""},
		{"plain challenge", url.Values{"code_challenge": {plainVerifier}}, url.Values{"code_verifier": {plainVerifier}}, 200, "", ""},
		{"pkce mismatch", pkce, url.Values{"code_verifier": {oauth2.GenerateVerifier()}}, 400, "invalid_grant", "Invalid code verifier."},
		{"pkce missing", pkce, nil, 400, "invalid_grant", "Missing code verifier."},
		{"verifier not needed", nil, url.Values{"code_verifier": {verifier}}, 400, "invalid_grant", "code_verifier or verifier is not needed."},
		{"redirect mismatch", nil, url.Values{"redirect_uri": {sb.ts.URL + "/other"}}, 400, "redirect_uri_mismatch", msgBadRequest},
		{"redirect missing", nil, url.Values{"redirect_uri": {""}}, 400, "invalid_request", ""},
		{"wrong secret", nil, url.Values{"client_secret": {"nope"}}, 401, "invalid_client", msgUnauthorized},
		{"unknown client", nil, url.Values{"client_id": {"nobody"}}, 401, "invalid_client", msgClientNotFound},
		{"malformed code", nil, url.Values{"code": {"abc"}}, 400, "invalid_grant", msgMalformedCode},
		{"unknown code", nil, url.Values{"code": {"4/0Aunknown"}}, 400, "invalid_grant", msgBadRequest},
		{"no code", nil, url.Values{"code": {""}}, 400, "invalid_request", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb.t = t
			form := url.Values{"code": {sb.code(tt.params, nil)}}
			for k, v := range tt.form {
				form[k] = v
			}
			var r *response
			var body map[string]any
			if form.Get("basic") != "" {
				form.Del("basic")
				form.Set("grant_type", "authorization_code")
				form.Set("redirect_uri", sb.testRedirect())
				req, _ := http.NewRequest("POST", sb.srv.TokenURL(), strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(url.QueryEscape(testClientID), url.QueryEscape(testClientSecret))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r = &response{Status: resp.StatusCode, Body: b}
				r.json(t, &body)
			} else {
				r, body = sb.exchange(form)
			}
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if tt.status == 200 {
				checkTokenAnswer(t, r.Body, false)
				return
			}
			if body["error"] != tt.code || (tt.desc != "" && body["error_description"] != tt.desc) {
				t.Errorf("answer %s, want %s %q", r.Body, tt.code, tt.desc)
			}
		})
	}
}

// checkTokenAnswer checks a token answer holds Google's documented fields
// only ("Using OAuth 2.0 for Web Server Applications", step 5).
func checkTokenAnswer(t *testing.T, b []byte, refresh bool) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k := range m {
		if !slices.Contains([]string{"access_token", "expires_in", "refresh_token", "scope", "token_type", "id_token"}, k) {
			t.Errorf("undocumented field %q in %s", k, b)
		}
	}
	if _, ok := m["access_token"].(string); !ok || m["expires_in"] != float64(3599) || m["token_type"] != "Bearer" {
		t.Errorf("token answer %s", b)
	}
	if _, ok := m["scope"].(string); !ok {
		t.Errorf("no scope: %s", b)
	}
	if _, ok := m["refresh_token"]; ok != refresh {
		t.Errorf("refresh_token present %v, want %v: %s", ok, refresh, b)
	}
	return m
}

// TestOAuthCodeOnce: a code is single use; its second use is refused and
// revokes the tokens the first one gave (RFC 6749 §4.1.2); a code expires
// after 10 minutes.
func TestOAuthCodeOnce(t *testing.T) {
	sb := newSandbox(t, nil)
	sb.oauthSetup()
	code := sb.code(url.Values{"access_type": {"offline"}}, nil)
	r, first := sb.exchange(url.Values{"code": {code}})
	if r.Status != 200 {
		t.Fatalf("first use: %d %s", r.Status, r.Body)
	}
	checkTokenAnswer(t, r.Body, true)
	r, body := sb.exchange(url.Values{"code": {code}})
	if r.Status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("second use: %d %s", r.Status, r.Body)
	}
	if r := sb.do("GET", "/calendar/v3/calendars/primary/events", first["access_token"].(string), nil); r.Status != http.StatusUnauthorized {
		t.Errorf("access token of a reused code: %d", r.Status)
	}
	r = postForm(t, sb.srv.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "client_id": {testClientID}, "client_secret": {testClientSecret},
		"refresh_token": {first["refresh_token"].(string)}})
	if r.Status != 400 || !strings.Contains(string(r.Body), msgExpiredOrRevoked) {
		t.Errorf("refresh token of a reused code: %d %s", r.Status, r.Body)
	}

	code = sb.code(nil, nil)
	sb.clock.Advance(codeLifetime + time.Second)
	if r, body := sb.exchange(url.Values{"code": {code}}); r.Status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("expired code: %d %s", r.Status, r.Body)
	}
	code = sb.code(nil, nil)
	sb.clock.Advance(codeLifetime - time.Second)
	if r, _ := sb.exchange(url.Values{"code": {code}}); r.Status != 200 {
		t.Errorf("code before its end: %d %s", r.Status, r.Body)
	}
}

// TestOAuthRefreshTokenRules: a refresh token comes with offline access at
// the first consent or with prompt=consent only; the refresh grant keeps
// the scope, refuses another client, and ends when the user removes the
// app.
func TestOAuthRefreshTokenRules(t *testing.T) {
	sb := newSandbox(t, nil)
	sb.oauthSetup()
	sb.control("POST", "/oauth-clients", map[string]any{"client_id": "other", "client_secret": "s2", "redirect_uris": []string{sb.testRedirect()}}, http.StatusCreated)
	if r, _ := sb.exchange(url.Values{"code": {sb.code(nil, nil)}}); r.Status != 200 {
		t.Fatal(string(r.Body))
	} else {
		checkTokenAnswer(t, r.Body, false) // online
	}
	// The account consented already (online): offline now is still its
	// first offline consent? Google: a refresh token at the first
	// authorization only; the grant exists, so none without prompt=consent.
	r, _ := sb.exchange(url.Values{"code": {sb.code(url.Values{"access_type": {"offline"}}, nil)}})
	checkTokenAnswer(t, r.Body, false)
	r, _ = sb.exchange(url.Values{"code": {sb.code(url.Values{"access_type": {"offline"}, "prompt": {"consent"}}, nil)}})
	body := checkTokenAnswer(t, r.Body, true)
	rt := body["refresh_token"].(string)
	refresh := func(client, secret string) (*response, map[string]any) {
		r := postForm(t, sb.srv.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "client_id": {client}, "client_secret": {secret}, "refresh_token": {rt}})
		var m map[string]any
		r.json(t, &m)
		return r, m
	}
	r, m := refresh(testClientID, testClientSecret)
	if r.Status != 200 || m["scope"] != body["scope"] {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	checkTokenAnswer(t, r.Body, false)
	if r, m := refresh("other", "s2"); r.Status != 401 || m["error"] != "unauthorized_client" {
		t.Errorf("another client's refresh: %d %s", r.Status, r.Body)
	}
	var grants struct{ Grants []grantOut }
	sb.control("GET", "/grants", nil, 200).json(t, &grants)
	if len(grants.Grants) != 1 || grants.Grants[0].Email != "ann@gmail.com" || grants.Grants[0].Revoked || strings.Contains(string(sb.control("GET", "/grants", nil, 200).Body), rt) {
		t.Fatalf("grants %+v", grants)
	}
	sb.control("DELETE", "/grants?email=ann@gmail.com&client_id="+url.QueryEscape(testClientID), nil, http.StatusNoContent)
	if r, m := refresh(testClientID, testClientSecret); r.Status != 400 || m["error"] != "invalid_grant" || m["error_description"] != msgExpiredOrRevoked {
		t.Errorf("refresh after the user removed the app: %d %s", r.Status, r.Body)
	}
	sb.control("GET", "/grants", nil, 200).json(t, &grants)
	if !grants.Grants[0].Revoked {
		t.Errorf("grant not revoked: %+v", grants)
	}
	// After removal, the next offline consent is a first one again.
	r, _ = sb.exchange(url.Values{"code": {sb.code(url.Values{"access_type": {"offline"}}, nil)}})
	checkTokenAnswer(t, r.Body, true)
}

// TestOAuthScopes: the user leaves a scope unchecked; the token works
// with the granted scopes only, on her own calendar only; a personal
// account is out of reach of domain-wide delegation.
func TestOAuthScopes(t *testing.T) {
	sb := newSandbox(t, nil)
	sb.oauthSetup()
	sb.control("POST", "/users", map[string]any{"email": "bob@example.com"}, http.StatusCreated)
	q := url.Values{"scope": {"openid " + ScopeEvents + " " + ScopeCalendarReadonly}}
	code := sb.code(q, []string{ScopeCalendarReadonly})
	r, body := sb.exchange(url.Values{"code": {code}})
	if r.Status != 200 || strings.Contains(body["scope"].(string), ScopeEvents) || !strings.Contains(body["scope"].(string), ScopeCalendarReadonly) {
		t.Fatalf("token %d %s", r.Status, r.Body)
	}
	tok := body["access_token"].(string)
	if r := sb.do("GET", "/calendar/v3/calendars/primary/events", tok, nil); r.Status != 200 {
		t.Errorf("read with calendar.readonly: %d %s", r.Status, r.Body)
	}
	ev := map[string]any{"summary": "x", "start": map[string]any{"dateTime": at(0, 9, 0)}, "end": map[string]any{"dateTime": at(0, 10, 0)}}
	if r := sb.do("POST", "/calendar/v3/calendars/primary/events", tok, ev); r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), "insufficientPermissions") {
		t.Errorf("write without the unchecked scope: %d %s", r.Status, r.Body)
	}
	if r := sb.do("GET", "/calendar/v3/calendars/bob@example.com/events", tok, nil); r.Status != http.StatusNotFound {
		t.Errorf("another account's calendar: %d %s", r.Status, r.Body)
	}
	// include_granted_scopes adds the earlier grant's scopes.
	code = sb.code(url.Values{"scope": {ScopeEvents}, "include_granted_scopes": {"true"}}, nil)
	_, body = sb.exchange(url.Values{"code": {code}})
	if sc := body["scope"].(string); !strings.Contains(sc, ScopeCalendarReadonly) || !strings.Contains(sc, ScopeEvents) {
		t.Errorf("incremental scope %q", sc)
	}
	if r := sb.do("POST", "/calendar/v3/calendars/ann@gmail.com/events", body["access_token"].(string), ev); r.Status != 200 {
		t.Errorf("write with the granted scope: %d %s", r.Status, r.Body)
	}

	// Another personal account's free/busy is not shared (gmail.com is no
	// organization); her own is.
	sb.control("POST", "/accounts", map[string]any{"email": "bea@gmail.com"}, http.StatusCreated)
	var fb struct {
		Calendars map[string]struct {
			Errors []map[string]string `json:"errors"`
		} `json:"calendars"`
	}
	r = sb.do("POST", "/calendar/v3/freeBusy", tok, map[string]any{"timeMin": at(0, 0, 0), "timeMax": at(1, 0, 0),
		"items": []map[string]string{{"id": "bea@gmail.com"}, {"id": "ann@gmail.com"}}})
	r.json(t, &fb)
	if r.Status != 200 || len(fb.Calendars["bea@gmail.com"].Errors) != 1 || len(fb.Calendars["ann@gmail.com"].Errors) != 0 {
		t.Errorf("freeBusy: %d %s", r.Status, r.Body)
	}

	key := sb.key("*", ScopeCalendar)
	cfgAssert := sign(t, privateKey(t, key), key.PrivateKeyID, map[string]any{"iss": key.ClientEmail, "sub": "ann@gmail.com", "scope": ScopeCalendar,
		"aud": key.TokenURI, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	if r := postForm(t, key.TokenURI, url.Values{"grant_type": {jwtBearerGrant}, "assertion": {cfgAssert}}); r.Status != 400 || !strings.Contains(string(r.Body), msgUnknownUser) {
		t.Errorf("delegation to a personal account: %d %s", r.Status, r.Body)
	}
	// Workspace users sign in too, and their hd is told.
	q2 := url.Values{"client_id": {testClientID}, "redirect_uri": {sb.testRedirect()}, "response_type": {"code"}, "scope": {"openid email"}}
	got := sb.consent(sb.srv.AuthURL()+"?"+q2.Encode(), "bob@example.com", nil)
	if got.Get("hd") != "example.com" || got.Get("code") == "" {
		t.Errorf("workspace sign-in: %v", got)
	}
}

// TestOAuthAuthorizeErrors: the authorization endpoint shows an error
// page when it cannot trust the redirect URI, else redirects the error.
func TestOAuthAuthorizeErrors(t *testing.T) {
	sb := newSandbox(t, nil)
	sb.oauthSetup()
	base := url.Values{"client_id": {testClientID}, "redirect_uri": {sb.testRedirect()}, "response_type": {"code"}, "scope": {"openid"}, "state": {"s1"}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range base {
			q[kk] = vv
		}
		if v == "-" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	tests := []struct {
		name  string
		q     url.Values
		page  int    // status of an error page; 0: a redirect
		error string // the error code
	}{
		{"unknown client", with("client_id", "nobody"), 401, "invalid_client"},
		{"no client", with("client_id", "-"), 400, "invalid_request"},
		{"redirect mismatch", with("redirect_uri", sb.testRedirect()+"/x"), 400, "redirect_uri_mismatch"},
		{"no redirect", with("redirect_uri", "-"), 400, "invalid_request"},
		{"bad response_type", with("response_type", "banana"), 0, "invalid_request"},
		{"implicit", with("response_type", "token"), 0, "unauthorized_client"},
		{"no response_type", with("response_type", "-"), 0, "invalid_request"},
		{"no scope", with("scope", "-"), 0, "invalid_request"},
		{"unknown scope", with("scope", "openid https://www.googleapis.com/auth/drive"), 0, "invalid_scope"},
		{"bad challenge method", with("code_challenge_method", "S512"), 0, "invalid_request"},
		{"short challenge", with("code_challenge", "abc"), 0, "invalid_request"},
		{"bad access_type", with("access_type", "forever"), 0, "invalid_request"},
		{"bad prompt", with("prompt", "none consent"), 0, "invalid_request"},
		{"prompt none, no grant", with("prompt", "none"), 0, "login_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb.t = t
			resp, err := noRedirect.Get(sb.srv.AuthURL() + "?" + tt.q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if tt.page != 0 {
				if resp.StatusCode != tt.page || resp.Header.Get("Location") != "" || !strings.Contains(string(b), tt.error) {
					t.Errorf("want an error page %d %s, got %d %q %s", tt.page, tt.error, resp.StatusCode, resp.Header.Get("Location"), b)
				}
				return
			}
			q := sb.redirected(resp)
			if q.Get("error") != tt.error || q.Get("state") != "s1" || q.Get("code") != "" {
				t.Errorf("redirect %v, want error %s", q, tt.error)
			}
		})
	}
	sb.t = t
	// Deny, and an unknown account.
	form, _, _ := consentForm(t, sb.srv.AuthURL()+"?"+base.Encode())
	form.Set("decision", "deny")
	if q := sb.redirected(postConsent(t, sb.srv.AuthURL(), form)); q.Get("error") != "access_denied" || q.Get("state") != "s1" || q.Get("code") != "" {
		t.Errorf("deny: %v", q)
	}
	form.Set("decision", "allow")
	form.Set("email", "nobody@gmail.com")
	resp, err := noRedirect.PostForm(sb.srv.AuthURL(), form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "find your Google Account") {
		t.Errorf("unknown account: %d %s", resp.StatusCode, b)
	}
	// A scope granted that was not asked for.
	form.Set("email", "ann@gmail.com")
	form["granted"] = []string{ScopeCalendar}
	if r := postConsent(t, sb.srv.AuthURL(), form); r.StatusCode != 400 {
		t.Errorf("granting an unrequested scope: %d", r.StatusCode)
	}
	// A tampered hidden redirect_uri gets a page, not a redirect.
	form.Set("redirect_uri", "https://evil.test/cb")
	if r := postConsent(t, sb.srv.AuthURL(), form); r.StatusCode != 400 || r.Header.Get("Location") != "" {
		t.Errorf("tampered redirect_uri: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	// prompt=none after a consent: a code at once.
	sb.code(url.Values{"scope": {"openid " + ScopeEvents}}, nil)
	q := with("prompt", "none")
	q.Set("login_hint", "ann@gmail.com")
	q.Set("scope", "openid "+ScopeEvents)
	resp, err = noRedirect.Get(sb.srv.AuthURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := sb.redirected(resp); got.Get("code") == "" || got.Get("prompt") != "none" {
		t.Errorf("prompt=none with a grant: %v", got)
	}
	q.Set("scope", "openid "+ScopeCalendar)
	resp, _ = noRedirect.Get(sb.srv.AuthURL() + "?" + q.Encode())
	resp.Body.Close()
	if got := sb.redirected(resp); got.Get("error") != "consent_required" {
		t.Errorf("prompt=none with a new scope: %v", got)
	}
}

// TestOAuthOpenIDDocuments: discovery, keys and userinfo answer Google's
// documented fields; userinfo wants an identity scope.
func TestOAuthOpenIDDocuments(t *testing.T) {
	sb := newSandbox(t, func(o *Options) {
		o.OAuthClients = []OAuthClient{{ID: testClientID, Secret: testClientSecret, RedirectURIs: []string{o.BaseURL + "/callback"}}}
	})
	sb.control("POST", "/accounts", map[string]any{"email": "ann@gmail.com", "name": "Ann"}, http.StatusCreated)
	var disc map[string]any
	sb.do("GET", "/.well-known/openid-configuration", "", nil).json(t, &disc)
	want := map[string]string{"issuer": sb.ts.URL, "authorization_endpoint": sb.ts.URL + "/o/oauth2/v2/auth", "token_endpoint": sb.ts.URL + "/token",
		"userinfo_endpoint": sb.ts.URL + "/oauth2/v3/userinfo", "revocation_endpoint": sb.ts.URL + "/revoke", "jwks_uri": sb.ts.URL + "/oauth2/v3/certs"}
	for k, v := range want {
		if disc[k] != v {
			t.Errorf("%s = %v, want %s", k, disc[k], v)
		}
	}
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	sb.do("GET", "/oauth2/v3/certs", "", nil).json(t, &jwks)
	if len(jwks.Keys) != 1 || jwks.Keys[0]["kty"] != "RSA" || jwks.Keys[0]["alg"] != "RS256" || jwks.Keys[0]["kid"] == "" || jwks.Keys[0]["n"] == nil || jwks.Keys[0]["d"] != nil {
		t.Errorf("jwks %+v", jwks)
	}
	var pems map[string]string
	sb.do("GET", "/oauth2/v1/certs", "", nil).json(t, &pems)
	if pems[jwks.Keys[0]["kid"].(string)] == "" {
		t.Errorf("PEM certs %v", pems)
	}
	code := sb.code(url.Values{"scope": {"openid " + ScopeEvents}}, nil)
	_, body := sb.exchange(url.Values{"code": {code}})
	var ui map[string]any
	r := sb.do("GET", "/oauth2/v3/userinfo", body["access_token"].(string), nil)
	r.json(t, &ui)
	if r.Status != 200 || ui["sub"] == "" || ui["email"] != nil {
		t.Errorf("userinfo with openid only: %d %s", r.Status, r.Body)
	}
	code = sb.code(url.Values{"scope": {"openid email profile"}}, nil)
	_, body = sb.exchange(url.Values{"code": {code}})
	r = sb.do("GET", "/oauth2/v3/userinfo", body["access_token"].(string), nil)
	ui = nil
	r.json(t, &ui)
	for k := range ui {
		if !slices.Contains([]string{"sub", "email", "email_verified", "name", "hd"}, k) {
			t.Errorf("undocumented userinfo field %q", k)
		}
	}
	if ui["email"] != "ann@gmail.com" || ui["email_verified"] != true || ui["name"] != "Ann" {
		t.Errorf("userinfo %s", r.Body)
	}
	code = sb.code(url.Values{"scope": {ScopeEvents}}, nil)
	_, body = sb.exchange(url.Values{"code": {code}})
	if body["id_token"] != nil {
		t.Errorf("id_token without an identity scope")
	}
	if r := sb.do("GET", "/oauth2/v3/userinfo", body["access_token"].(string), nil); r.Status != 401 {
		t.Errorf("userinfo without an identity scope: %d", r.Status)
	}
}

// TestOAuthFaults: the fault controls reach the OAuth routes by name.
func TestOAuthFaults(t *testing.T) {
	sb := newSandbox(t, nil)
	sb.oauthSetup()
	code := sb.code(nil, nil)
	sb.control("POST", "/faults", map[string]any{"status": 503, "route": "token"}, http.StatusCreated)
	if r, body := sb.exchange(url.Values{"code": {code}}); r.Status != 503 || body["error"] != "internal_failure" {
		t.Errorf("token fault: %d %s", r.Status, r.Body)
	}
	// A fault of another route leaves the token endpoint alone.
	sb.control("POST", "/faults", map[string]any{"status": 429, "route": "revoke"}, http.StatusCreated)
	if r, _ := sb.exchange(url.Values{"code": {code}}); r.Status != 200 {
		t.Errorf("after the fault: %d %s", r.Status, r.Body)
	}
	sb.control("POST", "/faults", map[string]any{"status": 500, "route": "authorize"}, http.StatusCreated)
	if r := sb.do("GET", "/o/oauth2/v2/auth?client_id="+testClientID, "", nil); r.Status != 500 {
		t.Errorf("authorize fault: %d", r.Status)
	}
	if r := postForm(t, sb.ts.URL+"/revoke", url.Values{"token": {"x"}}); r.Status != 429 {
		t.Errorf("revoke fault: %d", r.Status)
	}
	if r := sb.do("GET", "/calendar/v3/calendars/primary/events", "x", nil); r.Status != 401 {
		t.Errorf("a route fault leaks to the Calendar API: %d", r.Status)
	}
}

// TestOAuthPersisted: clients, accounts, grants, refresh tokens and the
// id_token key survive a restart.
func TestOAuthPersisted(t *testing.T) {
	file := t.TempDir() + "/state.json"
	sb := newSandbox(t, func(o *Options) { o.DataFile = file })
	sb.oauthSetup()
	_, body := sb.exchange(url.Values{"code": {sb.code(url.Values{"access_type": {"offline"}}, nil)}})
	var jwks1 map[string]any
	sb.do("GET", "/oauth2/v3/certs", "", nil).json(t, &jwks1)
	if err := sb.srv.Close(); err != nil {
		t.Fatal(err)
	}
	sb2 := newSandbox(t, func(o *Options) { o.DataFile = file })
	r := postForm(t, sb2.srv.TokenURL(), url.Values{"grant_type": {"refresh_token"}, "client_id": {testClientID}, "client_secret": {testClientSecret},
		"refresh_token": {body["refresh_token"].(string)}})
	if r.Status != 200 {
		t.Fatalf("refresh after restart: %d %s", r.Status, r.Body)
	}
	var jwks2 map[string]any
	sb2.do("GET", "/oauth2/v3/certs", "", nil).json(t, &jwks2)
	k1, _ := json.Marshal(jwks1)
	k2, _ := json.Marshal(jwks2)
	if string(k1) != string(k2) {
		t.Errorf("signing key changed: %s %s", k1, k2)
	}
}

// TestOAuthAccountControl: accounts are idempotent, never in a Workspace
// domain, and gmail.com is never a Workspace domain.
func TestOAuthAccountControl(t *testing.T) {
	sb := newSandbox(t, func(o *Options) { o.Domains = []string{"example.com"} })
	var a1, a2 map[string]string
	sb.control("POST", "/accounts", map[string]any{"email": "Ann@gmail.com", "name": "Ann"}, http.StatusCreated).json(t, &a1)
	sb.control("POST", "/accounts", map[string]any{"email": "ann@gmail.com", "name": "Ann"}, http.StatusCreated).json(t, &a2)
	if a1["sub"] == "" || a1["sub"] != a2["sub"] || a1["email"] != "ann@gmail.com" {
		t.Errorf("accounts %v %v", a1, a2)
	}
	sb.control("POST", "/accounts", map[string]any{"email": "carl@example.com"}, http.StatusBadRequest)
	sb.control("POST", "/accounts", map[string]any{"email": "not-an-address"}, http.StatusBadRequest)
	sb.control("POST", "/users", map[string]any{"email": "dan@gmail.com"}, http.StatusBadRequest)
	sb.control("POST", "/domains", map[string]any{"domain": "gmail.com"}, http.StatusBadRequest)
	sb.control("POST", "/oauth-clients", map[string]any{"client_id": "c", "client_secret": "s", "redirect_uris": []string{"not a url"}}, http.StatusBadRequest)
	sb.control("DELETE", "/grants?email=ann@gmail.com&client_id=c", nil, http.StatusNotFound)
	// The calendar controls work on a personal calendar.
	sb.addEvent("ann@gmail.com", map[string]any{"summary": "x", "start": map[string]any{"dateTime": at(0, 9, 0)}, "end": map[string]any{"dateTime": at(0, 10, 0)}})
	sb.control("GET", "/calendars/ann@gmail.com/events", nil, http.StatusOK)
}

// pkceS256 is RFC 7636's S256 transform (for the fuzz seeds).
func pkceS256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
