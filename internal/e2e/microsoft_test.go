package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/convene/convene/internal/browsertest"
	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/testbin"
)

// TestMicrosoft365Consent: through the binary and its built-in Graph
// sandbox, an admin installs Microsoft 365: Convene sends them to the
// identity platform's adminconsent endpoint with its client id, the
// Graph .default scope, its callback and a state; the admin accepts the
// application permissions; the callback names the tenant, Convene takes
// a client-credentials token for it and the app is installed for the
// domain. A declined consent installs nothing, and the used state cannot
// install again.
func TestMicrosoft365Consent(t *testing.T) {
	dns := dnstest.Start(t)
	_, env := serveEnv(t, "sqlite", dns)
	p := testbin.Start(t, env, "serve")
	c := client{t: t, base: p.URL}
	tn := setupTenant(t, c, dns, "contoso.test")

	c.must("POST", "/api/v1/apps/teams/pre-approve", tn.owner, nil, 200)
	start := func() string {
		out := c.must("POST", "/api/v1/apps/teams/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
		return out["authorize_url"].(string)
	}

	// Declined first.
	b := browsertest.New(t)
	page := b.Get(start())
	if page.Status != 200 || !strings.Contains(page.Body, "Calendars.ReadWrite") || !strings.Contains(page.Body, "OnlineMeetings.ReadWrite.All") {
		t.Fatalf("consent page: %d %s", page.Status, page.Body)
	}
	back := b.Submit(page, map[string]string{"decision": "deny"})
	if back.Status != http.StatusFound || !strings.Contains(back.Location, "/oauth/teams/callback?") || !strings.Contains(back.Location, "error=access_denied") {
		t.Fatalf("after declining: %d %q", back.Status, back.Location)
	}
	if cb := b.Get(back.Location); cb.Status == 200 && strings.Contains(cb.Body, "Microsoft 365 is installed") {
		t.Fatalf("a declined consent installed the app: %s", cb.Body)
	}

	authorize := start()
	u, err := url.Parse(authorize)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if !strings.HasPrefix(authorize, p.URL+"/graph-sandbox/organizations/v2.0/adminconsent?") || q.Get("scope") != "https://graph.microsoft.com/.default" ||
		q.Get("redirect_uri") != p.URL+"/oauth/teams/callback" || q.Get("client_id") == "" || q.Get("state") == "" {
		t.Fatalf("consent URL %s", authorize)
	}
	page = b.Get(authorize)
	back = b.Submit(page, map[string]string{"decision": "approve"})
	if back.Status != http.StatusFound || !strings.Contains(back.Location, "admin_consent=True") || !strings.Contains(back.Location, "tenant=") {
		t.Fatalf("after consent: %d %q", back.Status, back.Location)
	}
	cb := b.Get(back.Location)
	if cb.Status != 200 || !strings.Contains(cb.Body, "Microsoft 365 is installed") {
		t.Fatalf("callback: %d %s", cb.Status, cb.Body)
	}
	apps := c.must("GET", "/api/v1/apps", tn.owner, nil, 200)
	found := false
	for _, a := range apps["apps"].([]any) {
		a := a.(map[string]any)
		if a["id"] == "teams" {
			found = true
			if a["state"] != "installed" {
				t.Errorf("teams: %v", a)
			}
		}
	}
	if !found {
		t.Errorf("teams is not in the catalog: %v", apps)
	}
	// The state was single use.
	if again := b.Get(back.Location); again.Status == 200 && strings.Contains(again.Body, "is installed") && !strings.Contains(again.Body, "unknown") {
		t.Errorf("the callback worked twice: %d", again.Status)
	}
}
