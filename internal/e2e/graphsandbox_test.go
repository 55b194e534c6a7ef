package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/testbin"
)

// TestServeGraphSandboxOnAHost: a default `convene serve` mounts the Graph
// sandbox at /graph-sandbox without its test controls; the public default
// client secret takes no token from it (serve derived its own from the
// data key); its admin consent page redirects only to Convene's own
// callback. With CONVENE_GRAPH_SANDBOX_CONTROLS=on the controls answer and
// serve warns.
func TestServeGraphSandboxOnAHost(t *testing.T) {
	dns := dnstest.Start(t)
	_, env := serveEnv(t, "sqlite", dns)
	p := testbin.Start(t, env, "serve")
	graph := p.URL + "/graph-sandbox"
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"00000000-0000-4000-8000-00000000c0de"},
		"client_secret": {"sandbox-graph-secret"}, "scope": {"https://graph.microsoft.com/.default"}}
	st, _, body := sandboxGet(t, "POST", graph+"/00000000-0000-4000-8000-0000000000a1/oauth2/v2.0/token", form.Encode())
	if st != http.StatusUnauthorized || !strings.Contains(body, "AADSTS7000215") || strings.Contains(body, "access_token") {
		t.Fatalf("the public sandbox secret at serve's Graph sandbox: %d %s", st, body)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/_sandbox/tenants", ""}, {"GET", "/_sandbox/notifications", ""},
		{"POST", "/_sandbox/faults", `{"status":503,"times":100}`}, {"POST", "/_sandbox/delta/reset", ""},
		{"POST", "/_sandbox/users", `{"mail":"x@example.com"}`},
	} {
		if st, _, body := sandboxGet(t, c.method, graph+c.path, c.body); st != http.StatusNotFound {
			t.Errorf("anonymous %s /graph-sandbox%s: %d %s, want 404", c.method, c.path, st, body)
		}
	}
	consent := func(redirect string) string {
		return graph + "/organizations/v2.0/adminconsent?" + url.Values{"client_id": {"00000000-0000-4000-8000-00000000c0de"},
			"redirect_uri": {redirect}, "state": {"st"}, "scope": {"https://graph.microsoft.com/.default"}}.Encode()
	}
	if st, _, body := sandboxGet(t, "GET", consent(p.URL+"/oauth/teams/callback"), ""); st != 200 || !strings.Contains(body, "decision") {
		t.Errorf("consent page for Convene's callback: %d %s", st, body)
	}
	for _, uri := range []string{"https://evil.example/oauth/teams/callback", "http://127.0.0.1:1/oauth/teams/callback", p.URL + "/elsewhere"} {
		if st, loc, body := sandboxGet(t, "GET", consent(uri), ""); st != http.StatusBadRequest || loc != "" || !strings.Contains(body, "AADSTS50011") {
			t.Errorf("consent page for %s: %d %q %s", uri, st, loc, body)
		}
	}
	eventually(t, 10*time.Second, "the serving log line", func() bool { return strings.Contains(p.Stderr(), "msg=serving") })
	if strings.Contains(p.Stderr(), "CONVENE_GRAPH_SANDBOX_CONTROLS") {
		t.Errorf("a warning about the controls while they are off:\n%s", p.Stderr())
	}

	on := testbin.Start(t, append(env[:len(env):len(env)], "CONVENE_DATA_DIR="+t.TempDir(), "CONVENE_GRAPH_SANDBOX_CONTROLS=on"), "serve")
	if st, _, body := sandboxGet(t, "GET", on.URL+"/graph-sandbox/_sandbox/tenants", ""); st != 200 || !strings.Contains(body, `"tenants"`) {
		t.Errorf("controls on: %d %s", st, body)
	}
	eventually(t, 10*time.Second, "the warning", func() bool {
		for _, line := range strings.Split(on.Stderr(), "\n") {
			if strings.Contains(line, "level=WARN") && strings.Contains(line, "CONVENE_GRAPH_SANDBOX_CONTROLS=on") {
				return true
			}
		}
		return false
	})
}
