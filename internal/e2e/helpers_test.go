package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/browsertest"
	"github.com/convene/convene/internal/dnstest"
)

// freeAddr returns a loopback address with a port free now, for a process
// that must come back at the same address after a restart.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// tenant is an account with a verified domain, its owner and a member.
type tenant struct {
	accountID, owner, member, memberEmail, domain string
}

// setupTenant creates the first account with a verified domain and a
// member.
func setupTenant(t *testing.T, c client, dns *dnstest.Server, domain string) tenant {
	t.Helper()
	a := c.must("POST", "/api/v1/setup", "", map[string]any{"account": "Acme", "admin_email": "owner@" + domain, "admin_name": "Olive Owner", "timezone": "Europe/Paris"}, 201)
	tn := tenant{accountID: a["account_id"].(string), owner: a["token"].(string), domain: domain}
	d := c.must("POST", "/api/v1/domains", tn.owner, map[string]any{"domain": domain}, 201)
	dns.SetTXT(d["txt_name"].(string), d["txt_value"].(string))
	c.must("POST", "/api/v1/domains/"+domain+"/verify", tn.owner, nil, 200)
	u := c.must("POST", "/api/v1/users", tn.owner, map[string]any{"email": "member@" + domain, "name": "Max Member", "timezone": "Europe/Paris"}, 201)
	tn.member, tn.memberEmail = u["token"].(string), "member@"+domain
	return tn
}

// installZoom installs Zoom for the tenant's domain as an admin's browser
// does, and makes it the account's default.
func installZoom(t *testing.T, c client, tn tenant) {
	t.Helper()
	c.must("POST", "/api/v1/apps/zoom/pre-approve", tn.owner, nil, 200)
	out := c.must("POST", "/api/v1/apps/zoom/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	b := browsertest.New(t)
	page := b.Get(out["authorize_url"].(string))
	if page.Status != 200 || !strings.Contains(page.Body, "meeting:write:meeting:admin") {
		t.Fatalf("consent page: %d %s", page.Status, page.Body)
	}
	back := b.Submit(page, map[string]string{"decision": "approve"})
	if back.Status != http.StatusFound || !strings.Contains(back.Location, "/oauth/zoom/callback?") {
		t.Fatalf("after consent: %d %q", back.Status, back.Location)
	}
	cb := b.Get(back.Location)
	if cb.Status != 200 || !strings.Contains(cb.Body, "Zoom is installed") {
		t.Fatalf("callback: %d %s", cb.Status, cb.Body)
	}
	c.must("PATCH", "/api/v1/account", tn.owner, map[string]any{"default_video_provider": "zoom"}, 200)
}

// zoomApp is the Zoom app that the tests give a standalone `convene
// zoom-sandbox` and Convene alike: with Zoom URLs other than "sandbox",
// Convene refuses the sandbox's public default credentials.
var zoomApp = struct{ flags, env []string }{
	flags: []string{"--client-id", "e2e-zoom-client", "--client-secret", "e2e-zoom-client-secret", "--webhook-secret", "e2e-zoom-webhook-secret"},
	env:   []string{"CONVENE_ZOOM_CLIENT_ID=e2e-zoom-client", "CONVENE_ZOOM_CLIENT_SECRET=e2e-zoom-client-secret", "CONVENE_ZOOM_WEBHOOK_SECRET=e2e-zoom-webhook-secret"},
}

// zoomControl calls a test control of a Zoom sandbox at base.
func zoomControl(t *testing.T, method, base, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("sandbox %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
}

// zoomMeetings lists every meeting of a sandbox.
func zoomMeetings(t *testing.T, base string) []map[string]any {
	var out struct{ Meetings []map[string]any }
	zoomControl(t, "GET", base, "/_sandbox/meetings", nil, &out)
	return out.Meetings
}

// eventually waits up to d for cond.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
