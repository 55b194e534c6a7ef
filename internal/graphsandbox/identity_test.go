package graphsandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestAdminConsent(t *testing.T) {
	sb := newSandbox(t, func(o *Options) {
		o.RedirectURIs = []string{"http://127.0.0.1:1/oauth/teams/callback"}
		o.DomainsForConsent = func(r *http.Request) ([]string, error) { return []string{"contoso.test"}, nil }
	})
	q := url.Values{"client_id": {DefaultClientID}, "redirect_uri": {"http://127.0.0.1:1/oauth/teams/callback"},
		"state": {"st4te"}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err := http.Get(sb.ts.URL + "/organizations/v2.0/adminconsent?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("consent page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Declined.
	deny := url.Values{"decision": {"deny"}}
	for k, v := range q {
		deny[k] = v
	}
	resp, err = noRedirect().PostForm(sb.ts.URL+"/organizations/v2.0/adminconsent", deny)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st4te" ||
		!strings.HasPrefix(loc.Query().Get("error_description"), "AADSTS65004") {
		t.Fatalf("deny: %d %s", resp.StatusCode, loc)
	}
	// Approved: a new tenant for contoso.test.
	approve := url.Values{"decision": {"approve"}}
	for k, v := range q {
		approve[k] = v
	}
	resp, err = noRedirect().PostForm(sb.ts.URL+"/organizations/v2.0/adminconsent", approve)
	if err != nil {
		t.Fatal(err)
	}
	loc, _ = url.Parse(resp.Header.Get("Location"))
	lq := loc.Query()
	if resp.StatusCode != http.StatusFound || lq.Get("admin_consent") != "True" || lq.Get("state") != "st4te" ||
		lq.Get("scope") != "https://graph.microsoft.com/.default" || lq.Get("tenant") == "" || lq.Get("tenant") == DefaultTenantID {
		t.Fatalf("approve: %d %s", resp.StatusCode, loc)
	}
	tenant := lq.Get("tenant")
	if st, m := sb.tokenFor(tenant); st != 200 || m["token_type"] != "Bearer" {
		t.Fatalf("token of the new tenant: %d %v", st, m)
	}
	// By domain too.
	if st, m := sb.tokenFor("contoso.test"); st != 200 {
		t.Fatalf("token by domain: %d %v", st, m)
	}
	sb.token = ""
	_, m := sb.tokenFor(tenant)
	sb.token = m["access_token"].(string)
	sb.must(200, "GET", "/v1.0/users/ann@contoso.test", nil)
	// Another tenant's users are not this token's.
	st, m2, _ := sb.do("GET", "/v1.0/users/ann@example.com", nil)
	if st != 404 || errCode(m2) != "Request_ResourceNotFound" {
		t.Fatalf("other tenant's user: %d %v", st, m2)
	}

	// Revoked: token requests fail as Microsoft's do, tokens stop working.
	sb.must(200, "POST", "/_sandbox/tenants/"+tenant+"/revoke", nil)
	st, m = sb.tokenFor(tenant)
	if st != 400 || m["error"] != "unauthorized_client" || !strings.HasPrefix(m["error_description"].(string), "AADSTS700016") {
		t.Fatalf("token after revoke: %d %v", st, m)
	}
	codes, _ := m["error_codes"].([]any)
	if len(codes) != 1 || codes[0].(float64) != 700016 || m["trace_id"] == "" || m["correlation_id"] == "" || m["timestamp"] == "" {
		t.Fatalf("error body: %v", m)
	}
	st, m2, _ = sb.do("GET", "/v1.0/users/ann@contoso.test", nil)
	if st != 401 || errCode(m2) != "InvalidAuthenticationToken" {
		t.Fatalf("token after revoke: %d %v", st, m2)
	}
}

func TestAdminConsentRefusesUnregisteredRedirect(t *testing.T) {
	sb := newSandbox(t, func(o *Options) { o.RedirectURIs = []string{"https://convene.test/oauth/teams/callback"} })
	for _, tc := range []struct{ name, clientID, redirect string }{
		{"unregistered", DefaultClientID, "https://evil.test/cb"},
		{"other path", DefaultClientID, "https://convene.test/oauth/teams/callback2"},
		{"unknown app", "nope", "https://convene.test/oauth/teams/callback"},
	} {
		q := url.Values{"client_id": {tc.clientID}, "redirect_uri": {tc.redirect}, "state": {"x"}, "decision": {"approve"}}
		for _, method := range []string{"GET", "POST"} {
			var resp *http.Response
			var err error
			if method == "GET" {
				resp, err = noRedirect().Get(sb.ts.URL + "/common/v2.0/adminconsent?" + q.Encode())
			} else {
				resp, err = noRedirect().PostForm(sb.ts.URL+"/common/v2.0/adminconsent", q)
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
				t.Errorf("%s %s: %d location %q, want 400 and no redirect", tc.name, method, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	}
	// Without registered URIs, only loopback.
	sb2 := newSandbox(t)
	resp, err := noRedirect().Get(sb2.ts.URL + "/common/v2.0/adminconsent?" + url.Values{"client_id": {DefaultClientID}, "redirect_uri": {"https://example.org/cb"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("non-loopback without registered URIs: %d", resp.StatusCode)
	}
}

func TestTokenErrors(t *testing.T) {
	sb := newSandbox(t)
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}
	for _, tc := range []struct {
		name, tenant, key, value string
		status                   int
		errCode                  string
		aadsts                   string
	}{
		{"ok", DefaultTenantID, "", "", 200, "", ""},
		{"ok by domain", "example.com", "", "", 200, "", ""},
		{"bad secret", DefaultTenantID, "client_secret", "x", 401, "invalid_client", "AADSTS7000215"},
		{"no secret", DefaultTenantID, "client_secret", "", 401, "invalid_client", "AADSTS7000218"},
		{"bad client", DefaultTenantID, "client_id", "x", 400, "unauthorized_client", "AADSTS700016"},
		{"bad grant", DefaultTenantID, "grant_type", "password", 400, "unsupported_grant_type", "AADSTS70003"},
		{"no .default", DefaultTenantID, "scope", "https://graph.microsoft.com/Calendars.Read", 400, "invalid_scope", "AADSTS1002012"},
		{"other resource", DefaultTenantID, "scope", "https://management.azure.com/.default", 400, "invalid_resource", "AADSTS500011"},
		{"unknown tenant", "nowhere.test", "", "", 400, "invalid_request", "AADSTS90002"},
		{"common", "common", "", "", 400, "invalid_request", "AADSTS50059"},
	} {
		f := url.Values{}
		for k, v := range good {
			f[k] = v
		}
		if tc.key != "" {
			f.Set(tc.key, tc.value)
		}
		resp, err := http.PostForm(sb.ts.URL+"/"+tc.tenant+"/oauth2/v2.0/token", f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		decodeJSON(t, resp, &m)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d: %v", tc.name, resp.StatusCode, tc.status, m)
			continue
		}
		if tc.status == 200 {
			if m["token_type"] != "Bearer" || m["expires_in"].(float64) != 3599 || !strings.HasPrefix(m["access_token"].(string), "eyJ") {
				t.Errorf("%s: %v", tc.name, m)
			}
			continue
		}
		if m["error"] != tc.errCode || !strings.HasPrefix(m["error_description"].(string), tc.aadsts+":") {
			t.Errorf("%s: %v", tc.name, m)
		}
	}
}

func TestGraphRefusesBadTokens(t *testing.T) {
	sb := newSandbox(t)
	for _, tok := range []string{"", "garbage"} {
		sb.token = tok
		st, m, _ := sb.do("GET", "/v1.0/users", nil)
		if st != 401 || errCode(m) != "InvalidAuthenticationToken" {
			t.Errorf("token %q: %d %v", tok, st, m)
		}
		inner, _ := m["error"].(map[string]any)["innerError"].(map[string]any)
		if inner["request-id"] == nil || inner["date"] == nil {
			t.Errorf("innerError: %v", inner)
		}
	}
	sb.login()
	sb.must(200, "GET", "/v1.0/users", nil)
	sb.clock.Advance(tokenLifetime)
	st, m, _ := sb.do("GET", "/v1.0/users", nil)
	if st != 401 || !strings.Contains(m["error"].(map[string]any)["message"].(string), "expired") {
		t.Errorf("expired: %d %v", st, m)
	}
}
