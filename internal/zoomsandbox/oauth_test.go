package zoomsandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAuthorizeConsentPage(t *testing.T) {
	sb := newSandbox(t, nil)
	q := url.Values{"response_type": {"code"}, "client_id": {DefaultClientID}, "redirect_uri": {testRedirect},
		"state": {"abc"}, "scope": {"meeting:write:meeting:admin user:read:user:admin"}}
	r := sb.do(http.MethodGet, "/oauth/authorize?"+q.Encode(), "", nil)
	if r.Status != 200 {
		t.Fatalf("consent: %d %s", r.Status, r.Body)
	}
	page := string(r.Body)
	for _, want := range []string{"meeting:write:meeting:admin", "user:read:user:admin", "Convene", `value="approve"`, `value="deny"`,
		`action="` + sb.ts.URL + `/oauth/authorize"`} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}

	tests := []struct {
		name      string
		mod       url.Values
		wantPage  bool   // 400 page, no redirect
		wantError string // error= in the redirect
	}{
		{"wrong client", url.Values{"client_id": {"other"}}, true, ""},
		{"no redirect_uri", url.Values{"redirect_uri": {""}}, true, ""},
		{"relative redirect_uri", url.Values{"redirect_uri": {"/cb"}}, true, ""},
		{"token response type", url.Values{"response_type": {"token"}}, false, "unsupported_response_type"},
		{"bad PKCE method", url.Values{"code_challenge": {"x"}, "code_challenge_method": {"S512"}}, false, "invalid_request"},
		{"deny", url.Values{"decision": {"deny"}}, false, "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := url.Values{"response_type": {"code"}, "client_id": {DefaultClientID}, "redirect_uri": {testRedirect},
				"state": {"s1"}, "decision": {"approve"}}
			for k, vs := range tt.mod {
				v[k] = vs
			}
			r := sb.form("/oauth/authorize", "", "", v)
			if tt.wantPage {
				if r.Status != http.StatusBadRequest || r.Header.Get("Location") != "" {
					t.Fatalf("got %d %s, want a 400 page", r.Status, r.Header.Get("Location"))
				}
				return
			}
			loc, _ := url.Parse(r.Header.Get("Location"))
			if r.Status != http.StatusFound || loc.Query().Get("error") != tt.wantError || loc.Query().Get("state") != "s1" || loc.Query().Get("code") != "" {
				t.Fatalf("got %d %s, want error=%s with state", r.Status, loc, tt.wantError)
			}
		})
	}
}

func TestAuthorizationCodePKCE(t *testing.T) {
	sb := newSandbox(t, nil)

	t.Run("right verifier, then the code is spent", func(t *testing.T) {
		code, verifier := sb.authorize(nil)
		r, tr := sb.exchange(code, verifier)
		if r.Status != 200 || tr.TokenType != "bearer" || tr.ExpiresIn != 3599 || tr.RefreshToken == "" || tr.APIURL != sb.ts.URL {
			t.Fatalf("exchange: %d %s", r.Status, r.Body)
		}
		if !strings.Contains(tr.Scope, "meeting:write:meeting:admin") || !strings.Contains(tr.Scope, "meeting:write:admin") {
			t.Errorf("scope %q lacks the app's admin scopes", tr.Scope)
		}
		r, _ = sb.exchange(code, verifier)
		var te tokenError
		r.json(t, &te)
		if r.Status != 400 || te.Error != "invalid_grant" {
			t.Fatalf("code reuse: %d %s", r.Status, r.Body)
		}
	})
	t.Run("wrong verifier", func(t *testing.T) {
		code, verifier := sb.authorize(nil)
		r, _ := sb.exchange(code, strings.Replace(verifier, "v", "w", 1))
		var te tokenError
		r.json(t, &te)
		if r.Status != 400 || te.Error != "invalid_grant" {
			t.Fatalf("wrong verifier: %d %s", r.Status, r.Body)
		}
		r, _ = sb.exchange(code, "")
		if r.Status != 400 {
			t.Fatalf("no verifier: %d %s", r.Status, r.Body)
		}
	})
	t.Run("redirect_uri mismatch", func(t *testing.T) {
		code, verifier := sb.authorize(nil)
		r := sb.form("/oauth/token", DefaultClientID, DefaultClientSecret, url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect + "x"}, "code_verifier": {verifier}})
		if r.Status != 400 {
			t.Fatalf("mismatch: %d %s", r.Status, r.Body)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		code, verifier := sb.authorize(nil)
		sb.clock.Advance(5*time.Minute + time.Second)
		r, _ := sb.exchange(code, verifier)
		if r.Status != 400 || !strings.Contains(string(r.Body), "expired") {
			t.Fatalf("expired code: %d %s", r.Status, r.Body)
		}
	})
	t.Run("bad client secret", func(t *testing.T) {
		code, verifier := sb.authorize(nil)
		r := sb.form("/oauth/token", DefaultClientID, "nope", url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {verifier}})
		if r.Status != 401 {
			t.Fatalf("bad secret: %d %s", r.Status, r.Body)
		}
	})
	t.Run("params in the query", func(t *testing.T) {
		code, verifier := sb.authorize(nil)
		q := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {verifier}}
		r := sb.form("/oauth/token?"+q.Encode(), DefaultClientID, DefaultClientSecret, url.Values{})
		if r.Status != 200 {
			t.Fatalf("query params: %d %s", r.Status, r.Body)
		}
	})
}

func TestRefreshRotation(t *testing.T) {
	sb := newSandbox(t, nil)
	code, verifier := sb.authorize(nil)
	_, first := sb.exchange(code, verifier)
	refresh := func(rt string) (*response, tokenResponse) {
		r := sb.form("/oauth/token", DefaultClientID, DefaultClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		var tr tokenResponse
		if r.Status == 200 {
			r.json(t, &tr)
		}
		return r, tr
	}
	r, second := refresh(first.RefreshToken)
	if r.Status != 200 || second.RefreshToken == "" || second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatalf("refresh: %d %s", r.Status, r.Body)
	}
	if second.Scope != first.Scope {
		t.Errorf("scope changed on refresh: %q → %q", first.Scope, second.Scope)
	}
	// Rotation: the old refresh token is refused after use.
	r, _ = refresh(first.RefreshToken)
	if r.Status != 400 {
		t.Fatalf("old refresh token: %d %s", r.Status, r.Body)
	}
	r, third := refresh(second.RefreshToken)
	if r.Status != 200 {
		t.Fatalf("new refresh token: %d %s", r.Status, r.Body)
	}
	if r := sb.do(http.MethodGet, "/v2/users/me", third.AccessToken, nil); r.Status != 200 {
		t.Fatalf("new access token: %d %s", r.Status, r.Body)
	}
	var list struct{ Tokens []tokenOut }
	sb.do(http.MethodGet, "/_sandbox/tokens", "", nil).json(t, &list)
	if len(list.Tokens) != 3 || !list.Tokens[0].RefreshUsed || !list.Tokens[1].RefreshUsed || list.Tokens[2].RefreshUsed {
		t.Fatalf("tokens: %+v", list.Tokens)
	}
}

func TestAccessTokenErrors(t *testing.T) {
	sb := newSandbox(t, nil)
	tok := sb.s2sToken()
	check := func(name string, r *response, status, code int, msg string) {
		t.Helper()
		e := r.zoomError(t)
		if r.Status != status || e.Code != code || e.Message != msg {
			t.Errorf("%s: %d %s, want %d/%d %q", name, r.Status, r.Body, status, code, msg)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, sb.ts.URL+"/v2/users/me", nil)
	check("no token", sb.send(deliberatelyInvalid(req)), 401, 124, "Invalid access token.")
	check("unknown token", sb.do(http.MethodGet, "/v2/users/me", "nope", nil), 401, 124, "Invalid access token.")
	sb.clock.Advance(tokenLifetime)
	check("expired", sb.do(http.MethodGet, "/v2/users/me", tok, nil), 401, 124, "Access token is expired.")

	// The expire control.
	tok = sb.s2sToken()
	if r := sb.do(http.MethodGet, "/v2/users/me", tok, nil); r.Status != 200 {
		t.Fatalf("fresh token: %d", r.Status)
	}
	sb.do(http.MethodPost, "/_sandbox/tokens/expire", "", map[string]string{"access_token": tok})
	check("expired by control", sb.do(http.MethodGet, "/v2/users/me", tok, nil), 401, 124, "Access token is expired.")
}

func TestScopes(t *testing.T) {
	sb := newSandbox(t, nil)
	body := map[string]any{"topic": "x", "type": 2, "start_time": "2030-02-01T10:00:00Z"}
	tests := []struct {
		name   string
		scopes []string
		user   string
		status int
		code   int
	}{
		{"granular admin", []string{"meeting:write:meeting:admin"}, "a@example.com", 201, 0},
		{"classic admin", []string{"meeting:write:admin"}, "a@example.com", 201, 0},
		{"granular user-level, me", []string{"meeting:write:meeting"}, "me", 201, 0},
		{"classic user-level, me", []string{"meeting:write"}, "me", 201, 0},
		{"user-level, someone else", []string{"meeting:write:meeting"}, "a@example.com", 404, 1001},
		{"no write scope", []string{"meeting:read:meeting:admin"}, "a@example.com", 400, 4711},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := sb.s2sToken(tt.scopes...)
			r := sb.do(http.MethodPost, "/v2/users/"+tt.user+"/meetings", tok, body)
			if r.Status != tt.status {
				t.Fatalf("%d %s, want %d", r.Status, r.Body, tt.status)
			}
			if tt.code != 0 {
				if e := r.zoomError(t); e.Code != tt.code {
					t.Fatalf("code %d, want %d", e.Code, tt.code)
				}
			}
		})
	}
	tok := sb.s2sToken("meeting:read:meeting:admin")
	r := sb.do(http.MethodDelete, "/v2/meetings/12345678901", tok, nil)
	want := "Invalid access token, does not contain scopes:[meeting:delete:meeting, meeting:delete:meeting:admin]."
	if e := r.zoomError(t); e.Code != 4711 || e.Message != want {
		t.Errorf("delete without scope: %s", r.Body)
	}
}

func TestRevokeSendsDeauthorization(t *testing.T) {
	hooks := newHookRecorder(t)
	sb := newSandbox(t, func(o *Options) { o.WebhookURL = hooks.url })
	code, verifier := sb.authorize(url.Values{"email": {"admin@example.org"}})
	_, tr := sb.exchange(code, verifier)
	if r := sb.do(http.MethodGet, "/v2/users/me", tr.AccessToken, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"admin@example.org"`) {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}
	r := sb.form("/oauth/revoke", DefaultClientID, DefaultClientSecret, url.Values{"token": {tr.AccessToken}})
	if r.Status != 200 {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := sb.do(http.MethodGet, "/v2/users/me", tr.AccessToken, nil); r.Status != 401 {
		t.Fatalf("revoked token: %d", r.Status)
	}
	r = sb.form("/oauth/token", DefaultClientID, DefaultClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}})
	if r.Status != 400 {
		t.Fatalf("refresh after revoke: %d %s", r.Status, r.Body)
	}
	ev := hooks.next(t)
	p := ev.Payload
	if ev.Event != "app_deauthorized" || p["client_id"] != DefaultClientID || p["user_data_retention"] != "false" || p["account_id"] == "" || p["deauthorization_time"] == nil {
		t.Fatalf("event: %+v", ev)
	}
}

// A newer authorization of the same account revokes the earlier tokens
// (zoom-api.md §4.2 step 7).
func TestReauthorizationRevokesEarlierTokens(t *testing.T) {
	sb := newSandbox(t, nil)
	c1, v1 := sb.authorize(nil)
	_, t1 := sb.exchange(c1, v1)
	c2, v2 := sb.authorize(nil)
	_, t2 := sb.exchange(c2, v2)
	if r := sb.do(http.MethodGet, "/v2/users/me", t1.AccessToken, nil); r.Status != 401 {
		t.Errorf("earlier token: %d", r.Status)
	}
	if r := sb.do(http.MethodGet, "/v2/users/me", t2.AccessToken, nil); r.Status != 200 {
		t.Errorf("newer token: %d", r.Status)
	}
}

func TestAccountCredentials(t *testing.T) {
	sb := newSandbox(t, nil)
	r := sb.form("/oauth/token", DefaultClientID, DefaultClientSecret, url.Values{"grant_type": {"account_credentials"}, "account_id": {"other"}})
	if r.Status != 400 {
		t.Fatalf("wrong account: %d %s", r.Status, r.Body)
	}
	r = sb.form("/oauth/token", DefaultClientID, DefaultClientSecret, url.Values{"grant_type": {"client_credentials"}})
	if r.Status != 400 || !strings.Contains(string(r.Body), "unsupported_grant_type") {
		t.Fatalf("unsupported grant: %d %s", r.Status, r.Body)
	}
	q := url.Values{"grant_type": {"account_credentials"}, "account_id": {DefaultAccountID}}
	r = sb.form("/oauth/token?"+q.Encode(), DefaultClientID, DefaultClientSecret, url.Values{})
	var tr tokenResponse
	r.json(t, &tr)
	if r.Status != 200 || tr.RefreshToken != "" {
		t.Fatalf("s2s: %d %s", r.Status, r.Body)
	}
	var me userView
	sb.do(http.MethodGet, "/v2/users/me", tr.AccessToken, nil).json(t, &me)
	if me.Email != "owner@example.com" || me.RoleName != "Owner" || me.AccountID != DefaultAccountID {
		t.Fatalf("me = %+v", me)
	}
}
