package zoomsandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/convene/convene/internal/redirecturi"
)

// TestRedirectURIRules: /oauth/authorize sends the browser only to a
// redirect URI registered for the client (exactly), and with none
// registered only to loopback URIs. A
// refused URI gets Zoom's "Invalid redirect" page: 400, no Location, no
// code issued, whether the consent page is asked for or the decision is
// posted.
func TestRedirectURIRules(t *testing.T) {
	tests := []struct {
		name       string
		registered []string
		allowed    []string
		refused    []string
	}{
		{
			name: "none registered: loopback only",
			allowed: []string{
				"http://127.0.0.1:1/oauth/zoom/callback", "http://127.0.0.1/cb", "http://127.9.8.7:65535/x?y=z",
				"https://127.0.0.1:8443/cb", "http://[::1]:9000/cb", "http://localhost:3000/", "http://LOCALHOST/cb",
				"http://[::ffff:127.0.0.1]:80/cb",
			},
			refused: []string{
				"https://evil.example/cb", "http://10.0.0.1/cb", "http://192.168.1.1:8080/cb", "http://[::2]/cb",
				"http://127.0.0.1.evil.example/cb", "http://localhost.evil.example/cb", "http://127.0.0.1:1@evil.example/cb",
				"http://user@127.0.0.1/cb", "http://127.0.0.1/cb#frag", "http://127.0.0.1/cb#", "ftp://127.0.0.1/cb",
				"javascript://127.0.0.1/%0aalert(1)", "//127.0.0.1/cb", "http://0.0.0.0/cb", "http://127.1/cb",
			},
		},
		{
			name:       "registered: exactly those",
			registered: []string{"https://convene.example/oauth/zoom/callback", "http://127.0.0.1:8080/oauth/zoom/callback"},
			allowed: []string{
				"https://convene.example/oauth/zoom/callback",
				"http://127.0.0.1:8080/oauth/zoom/callback",
			},
			refused: []string{
				"https://convene.example/oauth/zoom/callback/", "https://convene.example/oauth/zoom/callback?x=1",
				"https://convene.example:8443/oauth/zoom/callback", "http://convene.example/oauth/zoom/callback",
				"https://CONVENE.example/oauth/zoom/callbacK", "https://evil.example/oauth/zoom/callback",
				"https://convene.example.evil.example/oauth/zoom/callback",
				// Registered URIs replace the loopback default.
				"http://127.0.0.1:1/cb", "http://localhost:8080/oauth/zoom/callback", "http://127.0.0.2:8080/oauth/zoom/callback",
				"https://127.0.0.1:8080/oauth/zoom/callback", "http://127.0.0.1:8080/oauth/zoom/callback?",
				// Another port of the same loopback host is another
				// process's.
				"http://127.0.0.1:40123/oauth/zoom/callback", "http://127.0.0.1/oauth/zoom/callback",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := newSandbox(t, func(o *Options) { o.RedirectURIs = tt.registered })
			for _, uri := range tt.allowed {
				q := url.Values{"response_type": {"code"}, "client_id": {DefaultClientID}, "redirect_uri": {uri}, "state": {"s"}}
				if r := sb.do(http.MethodGet, "/oauth/authorize?"+q.Encode(), "", nil); r.Status != http.StatusOK {
					t.Errorf("consent page for %s: %d %s", uri, r.Status, r.Body)
				}
				q.Set("decision", "approve")
				r := sb.form("/oauth/authorize", "", "", q)
				loc, _ := url.Parse(r.Header.Get("Location"))
				if r.Status != http.StatusFound || loc == nil || loc.Query().Get("code") == "" || loc.Host != mustParse(t, uri).Host {
					t.Errorf("approve for %s: %d %q", uri, r.Status, r.Header.Get("Location"))
				}
			}
			for _, uri := range tt.refused {
				sb.srv.mu.Lock()
				codes := len(sb.srv.st.Codes)
				sb.srv.mu.Unlock()
				q := url.Values{"response_type": {"code"}, "client_id": {DefaultClientID}, "redirect_uri": {uri}, "state": {"s"}}
				r := sb.do(http.MethodGet, "/oauth/authorize?"+q.Encode(), "", nil)
				if r.Status != http.StatusBadRequest || r.Header.Get("Location") != "" || !strings.Contains(string(r.Body), "Invalid redirect") {
					t.Errorf("consent page for %s: %d %q %s, want the 400 page", uri, r.Status, r.Header.Get("Location"), r.Body)
				}
				for _, decision := range []string{"approve", "deny"} {
					q.Set("decision", decision)
					r = sb.form("/oauth/authorize", "", "", q)
					if r.Status != http.StatusBadRequest || r.Header.Get("Location") != "" {
						t.Errorf("%s for %s: %d %q, want the 400 page", decision, uri, r.Status, r.Header.Get("Location"))
					}
				}
				sb.srv.mu.Lock()
				n := len(sb.srv.st.Codes)
				sb.srv.mu.Unlock()
				if n != codes {
					t.Errorf("a code was issued for %s", uri)
				}
			}
		})
	}
}

// TestRedirectURIOfTheCode: the token endpoint trades a code only with
// the redirect_uri it was issued for (RFC 6749 §4.1.3), also when another
// registered URI is given, and without one at all.
func TestRedirectURIOfTheCode(t *testing.T) {
	other := "http://127.0.0.1:2/elsewhere"
	sb := newSandbox(t, func(o *Options) { o.RedirectURIs = []string{testRedirect, other} })
	for _, uri := range []string{other, "", testRedirect + "x"} {
		code, verifier := sb.authorize(nil)
		r := sb.form("/oauth/token", DefaultClientID, DefaultClientSecret, url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {uri}, "code_verifier": {verifier}})
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "Redirect URI mismatch") {
			t.Errorf("redirect_uri %q: %d %s", uri, r.Status, r.Body)
		}
		// The code is still good with the right URI.
		if r, _ := sb.exchange(code, verifier); r.Status != http.StatusOK {
			t.Errorf("after the mismatch: %d %s", r.Status, r.Body)
		}
	}
}

// TestBadRegisteredRedirectURI: New refuses a redirect URI it could never
// match.
func TestBadRegisteredRedirectURI(t *testing.T) {
	for _, uri := range []string{"", "/cb", "ftp://x/cb", "https://x/cb#f", "https://u@x/cb"} {
		if _, err := New(Options{BaseURL: "http://sandbox.test", RedirectURIs: []string{uri}}); err == nil {
			t.Errorf("%q accepted", uri)
		}
	}
}

// TestControlsOff: without Options.Controls (the default) every test
// control answers 404 and changes nothing, while OAuth and the API work.
func TestControlsOff(t *testing.T) {
	sb := newSandbox(t, func(o *Options) { o.Controls = false })
	tok := sb.s2sToken()
	v := sb.create(tok, "ann@example.com", map[string]any{"topic": "secret", "password": "pw1"})
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/_sandbox/meetings", ""},
		{"POST", "/_sandbox/meetings/" + itoa(v.ID) + "/start", ""},
		{"GET", "/_sandbox/accounts", ""},
		{"GET", "/_sandbox/tokens", ""},
		{"POST", "/_sandbox/tokens/expire", "{}"},
		{"GET", "/_sandbox/faults", ""},
		{"POST", "/_sandbox/faults", `{"status":503,"times":5}`},
		{"DELETE", "/_sandbox/faults", ""},
		{"GET", "/_sandbox/webhooks", ""},
		{"POST", "/_sandbox/webhooks/deauthorize", "{}"},
		{"POST", "/_sandbox/webhooks/url-validation", ""},
	} {
		var body any
		if c.body != "" {
			body = c.body
		}
		r := sb.do(c.method, c.path, "", body)
		if r.Status != http.StatusNotFound || strings.Contains(string(r.Body), tok) || strings.Contains(string(r.Body), "pw1") {
			t.Errorf("%s %s: %d %s, want 404", c.method, c.path, r.Status, r.Body)
		}
	}
	// Nothing was expired, revoked, started or faulted.
	r := sb.do(http.MethodGet, "/v2/meetings/"+itoa(v.ID), tok, nil)
	var got meetingView
	r.json(t, &got)
	if r.Status != http.StatusOK || got.Status != "waiting" || got.Password != "pw1" {
		t.Fatalf("after the controls: %d %s", r.Status, r.Body)
	}
	// OAuth still works: the consent page and a code.
	if code, verifier := sb.authorize(nil); code == "" {
		t.Fatal("no code")
	} else if r, _ := sb.exchange(code, verifier); r.Status != http.StatusOK {
		t.Fatalf("exchange: %d %s", r.Status, r.Body)
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// FuzzRedirectAllowed: whatever the redirect_uri, the sandbox never
// panics and sends the browser only to a loopback host (none registered)
// or to a registered URI, which it checks before anything else.
func FuzzRedirectAllowed(f *testing.F) {
	for _, s := range []string{
		"http://127.0.0.1:1/cb", "http://[::1]/x", "http://localhost:80/", "https://evil.example/cb",
		"http://127.0.0.1:1@evil.example/", "http://127.0.0.1%2eevil.example/", "http://[::ffff:127.0.0.1]/",
		"http://127.0.0.1\\@evil.example/", "http://evil.example#@127.0.0.1/", "http:/\\/127.0.0.1/",
		"https://convene.example/oauth/zoom/callback", "http://LOCALHOST./", "http://0x7f.0.0.1/",
	} {
		f.Add(s)
	}
	registered := []string{"https://convene.example/oauth/zoom/callback"}
	f.Fuzz(func(t *testing.T, raw string) {
		if redirecturi.Allowed(nil, raw) {
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("%q allowed but does not parse: %v", raw, err)
			}
			// What the browser is sent to: the Location the sandbox builds.
			loc, err := url.Parse(u.String())
			if err != nil || !redirecturi.LoopbackHost(loc.Hostname()) || loc.User != nil || loc.Fragment != "" {
				t.Fatalf("%q allowed, sends the browser to %q", raw, u.String())
			}
		}
		if redirecturi.Allowed(registered, raw) && raw != "https://convene.example/oauth/zoom/callback" {
			t.Fatalf("%q allowed but not registered", raw)
		}
	})
}
