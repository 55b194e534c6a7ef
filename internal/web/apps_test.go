package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/browsertest"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/video"
)

// sandbox calls a test control of the Zoom sandbox.
func (h *harness) sandboxCall(method, path string, body any, out any) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.zoom.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("sandbox %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			h.t.Fatal(err)
		}
	}
}

type sandboxToken struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Revoked      bool   `json:"revoked"`
	RefreshUsed  bool   `json:"refresh_used"`
	GrantType    string `json:"grant_type"`
	AccountID    string `json:"account_id"`
}

func (h *harness) sandboxTokens() []sandboxToken {
	var out struct{ Tokens []sandboxToken }
	h.sandboxCall("GET", "/_sandbox/tokens", nil, &out)
	return out.Tokens
}

func (h *harness) sandboxMeetings() []map[string]any {
	var out struct{ Meetings []map[string]any }
	h.sandboxCall("GET", "/_sandbox/meetings", nil, &out)
	return out.Meetings
}

// consent walks the admin's browser through the provider's consent page:
// it opens authorizeURL, checks the page lists the scopes, answers
// decision, and returns the redirect to Convene's callback.
func (h *harness) consent(b *browsertest.Browser, authorizeURL, decision string) string {
	h.t.Helper()
	page := b.Get(authorizeURL)
	if page.Status != 200 || !strings.Contains(page.Body, "meeting:write:meeting:admin") {
		h.t.Fatalf("consent page: %d\n%s", page.Status, page.Body)
	}
	back := b.Submit(page, map[string]string{"decision": decision})
	if back.Status != http.StatusFound || !strings.HasPrefix(back.Location, h.srv.URL+"/oauth/zoom/callback?") {
		h.t.Fatalf("after consent: %d → %q", back.Status, back.Location)
	}
	return back.Location
}

// installZoom installs Zoom for the tenant's domain through the browser.
func (h *harness) installZoom(tn tenant) {
	h.t.Helper()
	h.expect("POST", "/api/v1/apps/zoom/pre-approve", tn.owner, nil, 200)
	out := h.expect("POST", "/api/v1/apps/zoom/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	b := browsertest.New(h.t)
	cb := b.Get(h.consent(b, out["authorize_url"].(string), "approve"))
	if cb.Status != 200 || !strings.Contains(cb.Body, "Zoom is installed") {
		h.t.Fatalf("callback page: %d\n%s", cb.Status, cb.Body)
	}
	h.expect("PATCH", "/api/v1/account", tn.owner, map[string]any{"default_video_provider": "zoom"}, 200)
}

// TestZoomInstallLikeABrowser drives the install exactly as an admin's
// browser does, then creates a meeting through the Zoom client with the
// stored tokens, and checks that no token is stored or logged in
// plaintext.
func TestZoomInstallLikeABrowser(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			tn := h.setupTenant("Acme", "acme.test", true)
			ctx := context.Background()

			// Members see the catalog, admins change it.
			list := h.expect("GET", "/api/v1/apps", tn.member, nil, 200)
			if apps := list["apps"].([]any); len(apps) != 2 || apps[0].(map[string]any)["state"] != "available" {
				t.Fatalf("catalog: %v", list)
			}
			h.expect("POST", "/api/v1/apps/zoom/pre-approve", tn.member, nil, 403)
			h.expect("POST", "/api/v1/apps/zoom/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 409) // not pre-approved
			h.expect("POST", "/api/v1/apps/teams/pre-approve", tn.owner, nil, 404)
			v := h.expect("POST", "/api/v1/apps/zoom/pre-approve", tn.owner, nil, 200)
			if v["state"] != "pre_approved" {
				t.Fatalf("pre-approve: %v", v)
			}
			h.expect("POST", "/api/v1/apps/zoom/install", tn.owner, map[string]any{"domains": []string{"other.test"}}, 422)
			h.expect("POST", "/api/v1/apps/zoom/install", tn.owner, map[string]any{"domains": []string{}}, 422)
			out := h.expect("POST", "/api/v1/apps/zoom/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
			au, _ := url.Parse(out["authorize_url"].(string))
			q := au.Query()
			if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 40 ||
				q.Get("redirect_uri") != h.srv.URL+"/oauth/zoom/callback" || q.Get("client_id") != "sandbox-client" {
				t.Fatalf("authorize URL: %s", au)
			}

			b := browsertest.New(t)
			callback := h.consent(b, au.String(), "approve")
			page := b.Get(callback)
			if page.Status != 200 || !strings.Contains(page.Body, "Zoom is installed") || !strings.Contains(page.Body, "acme.test") {
				t.Fatalf("callback: %d\n%s", page.Status, page.Body)
			}
			// The same callback again (a replay) is refused.
			if again := b.Get(callback); again.Status != 422 || !strings.Contains(again.Body, "already used") {
				t.Fatalf("replayed callback: %d\n%s", again.Status, again.Body)
			}
			list = h.expect("GET", "/api/v1/apps", tn.member, nil, 200)
			zoomApp := list["apps"].([]any)[1].(map[string]any)
			if zoomApp["id"] != "zoom" {
				zoomApp = list["apps"].([]any)[0].(map[string]any)
			}
			if zoomApp["state"] != "installed" || zoomApp["domains"].([]any)[0] != "acme.test" {
				t.Fatalf("after install: %v", zoomApp)
			}

			// A meeting through the client, hosted by the organizer.
			p, err := h.apps.Provider(ctx, tn.accountID, tn.memberEmail, "zoom")
			if err != nil {
				t.Fatal(err)
			}
			start := time.Date(2030, 3, 5, 14, 0, 0, 0, time.UTC)
			m, err := p.Create(ctx, tn.memberEmail, video.Spec{Topic: "Kick-off", StartTime: start, Duration: 30, Timezone: "Europe/Paris"})
			if err != nil {
				t.Fatal(err)
			}
			if m.ID == "" || m.JoinURL == "" || !m.StartTime.Equal(start) || !strings.EqualFold(m.HostEmail, tn.memberEmail) {
				t.Fatalf("meeting: %+v", m)
			}
			if ms := h.sandboxMeetings(); len(ms) != 1 {
				t.Fatalf("sandbox has %d meetings", len(ms))
			}
			// Outside the chosen domains: refused, no fallback.
			if _, err := h.apps.Provider(ctx, tn.accountID, "someone@elsewhere.test", "zoom"); failure.KindOf(err) != failure.Forbidden {
				t.Errorf("organizer outside the domains: %v", err)
			}

			// No token in plaintext in the database or the logs: after the
			// install, and after a refresh has rotated both tokens.
			scan := func(when string) []sandboxToken {
				t.Helper()
				toks := h.sandboxTokens()
				if len(toks) == 0 {
					t.Fatal("sandbox issued no token")
				}
				dump := databaseBytes(t, h.db)
				logs := h.logs.String()
				for _, tk := range toks {
					for _, secret := range []string{tk.AccessToken, tk.RefreshToken} {
						if secret == "" {
							continue
						}
						if bytes.Contains(dump, []byte(secret)) {
							t.Errorf("%s: a Zoom token is stored in plaintext", when)
						}
						if strings.Contains(logs, secret) {
							t.Errorf("%s: a Zoom token is in the logs", when)
						}
					}
				}
				if !bytes.Contains(dump, []byte("v1:")) {
					t.Errorf("%s: no sealed token found in the database dump: the search cannot fail", when)
				}
				return toks
			}
			installed := scan("after the install")
			h.sandboxCall("POST", "/_sandbox/tokens/expire", map[string]any{}, nil)
			if _, err := p.List(ctx, tn.memberEmail); err != nil {
				t.Fatalf("call after the access token expired: %v", err)
			}
			refreshed := scan("after a refresh")
			// The sandbox lists tokens oldest first: the old refresh token
			// was used once, and a new pair was issued.
			old, fresh := refreshed[len(installed)-1], refreshed[len(refreshed)-1]
			if len(refreshed) != len(installed)+1 || !old.RefreshUsed || fresh.RefreshUsed || fresh.AccessToken == "" || fresh.RefreshToken == "" ||
				fresh.AccessToken == old.AccessToken || fresh.RefreshToken == old.RefreshToken {
				t.Fatalf("no refresh rotated the tokens: %d tokens, then %d", len(installed), len(refreshed))
			}
		})
	}
}

// databaseBytes returns everything the database holds: the SQLite files
// (with the WAL), or a dump of every table on PostgreSQL.
func databaseBytes(t *testing.T, db *store.DB) []byte {
	t.Helper()
	if db.Engine() == "sqlite" {
		var path string
		if err := db.SQL().QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
			t.Fatal(err)
		}
		var all []byte
		for _, suffix := range []string{"", "-wal", "-shm"} {
			b, _ := os.ReadFile(path + suffix)
			all = append(all, b...)
		}
		if len(all) == 0 {
			t.Fatalf("empty database file %s", filepath.Base(path))
		}
		return all
	}
	var out bytes.Buffer
	for _, table := range queryStrings(t, db.SQL(), `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`) {
		rows, err := db.SQL().Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					out.Write(b)
				} else if s, ok := v.(string); ok {
					out.WriteString(s)
				}
				out.WriteByte('\n')
			}
		}
		rows.Close()
	}
	return out.Bytes()
}

func TestOAuthStateRefused(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.expect("POST", "/api/v1/apps/zoom/pre-approve", tn.owner, nil, 200)
	start := func() string {
		out := h.expect("POST", "/api/v1/apps/zoom/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
		return out["authorize_url"].(string)
	}
	b := browsertest.New(t)

	// Forged: a state Convene never issued.
	cb := h.consent(b, start(), "approve")
	u, _ := url.Parse(cb)
	q := u.Query()
	q.Set("state", "forged-"+q.Get("state"))
	u.RawQuery = q.Encode()
	if p := b.Get(u.String()); p.Status != 422 || !strings.Contains(p.Body, "forged") {
		t.Errorf("forged state: %d %s", p.Status, p.Body)
	}

	// Expired: the admin took longer than the state's life.
	cb = h.consent(b, start(), "approve")
	h.apps.Now = func() time.Time { return time.Now().Add(11 * time.Minute) }
	if p := b.Get(cb); p.Status != 422 || !strings.Contains(p.Body, "expired") {
		t.Errorf("expired state: %d %s", p.Status, p.Body)
	}
	h.apps.Now = time.Now

	// Declined at Zoom: nothing installed.
	cb = h.consent(b, start(), "deny")
	if p := b.Get(cb); p.Status != 403 || !strings.Contains(p.Body, "declined") {
		t.Errorf("declined: %d %s", p.Status, p.Body)
	}

	// A state of another app.
	h.expect("POST", "/api/v1/apps/jitsi/pre-approve", tn.owner, nil, 200)
	cb = h.consent(b, start(), "approve")
	if p := b.Get(strings.Replace(cb, "/oauth/zoom/", "/oauth/jitsi/", 1)); p.Status != 422 {
		t.Errorf("state used for another app: %d %s", p.Status, p.Body)
	}
	list := h.expect("GET", "/api/v1/apps", tn.owner, nil, 200)
	for _, a := range list["apps"].([]any) {
		if a.(map[string]any)["id"] == "zoom" && a.(map[string]any)["state"] != "pre_approved" {
			t.Errorf("zoom installed after refused callbacks: %v", a)
		}
	}
}

func TestMissingScopeNamed(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.expect("POST", "/api/v1/apps/zoom/pre-approve", tn.owner, nil, 200)
	out := h.expect("POST", "/api/v1/apps/zoom/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	// The Zoom app is configured without the delete scope (Cal.com's
	// lost cancellations): the sandbox grants what the URL names.
	granted := "meeting:write:meeting:admin meeting:update:meeting:admin meeting:read:meeting:admin meeting:read:invitation:admin meeting:read:list_meetings:admin user:read:user:admin"
	u, _ := url.Parse(out["authorize_url"].(string))
	q := u.Query()
	q.Set("scope", granted)
	u.RawQuery = q.Encode()
	b := browsertest.New(t)
	page := b.Get(u.String())
	back := b.Submit(page, map[string]string{"decision": "approve"})
	p := b.Get(back.Location)
	if p.Status != 422 || !strings.Contains(p.Body, "meeting:delete:meeting:admin") {
		t.Fatalf("missing scope: %d\n%s", p.Status, p.Body)
	}
	list := h.expect("GET", "/api/v1/apps", tn.owner, nil, 200)
	for _, a := range list["apps"].([]any) {
		if m := a.(map[string]any); m["id"] == "zoom" && (m["state"] == "installed" || !strings.Contains(m["problem"].(string), "meeting:delete:meeting:admin")) {
			t.Errorf("zoom after a missing scope: %v", m)
		}
	}
	// The tokens issued for the incomplete grant were revoked.
	for _, tk := range h.sandboxTokens() {
		if tk.GrantType == "authorization_code" && !tk.Revoked {
			t.Errorf("token of an incomplete grant left alive")
		}
	}
}

// TestConcurrentRefreshKeepsTheToken: two Convene processes (two apps
// services on one database) refresh the same expired install at once.
// Zoom rotates refresh tokens, so a careless second refresh would kill the
// only valid one; here exactly one refresh happens and both get a working
// token, and the stored refresh token still works afterwards.
func TestConcurrentRefreshKeepsTheToken(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			tn := h.setupTenant("Acme", "acme.test", true)
			h.installZoom(tn)
			ctx := context.Background()
			// A second process: the same database and key, its own locks and
			// clients.
			other := apps.Service{Store: h.db, Accounts: h.apps.Accounts, Box: h.apps.Box, Registry: h.apps.Registry, Log: h.apps.Log, Now: time.Now}
			var installed []sandboxToken
			for _, tk := range h.sandboxTokens() {
				if tk.GrantType == "authorization_code" {
					installed = append(installed, tk)
				}
			}
			if len(installed) != 1 {
				t.Fatalf("tokens after install: %+v", installed)
			}
			h.sandboxCall("POST", "/_sandbox/tokens/expire", map[string]any{}, nil)

			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := 0; i < 8; i++ {
				svc := h.apps
				if i%2 == 1 {
					svc = &other
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					p, err := svc.Provider(ctx, tn.accountID, tn.memberEmail, "zoom")
					if err == nil {
						_, err = p.List(ctx, tn.memberEmail)
					}
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("call after expiry: %v", err)
				}
			}
			used := 0
			for _, tk := range h.sandboxTokens() {
				if tk.RefreshUsed {
					used++
				}
			}
			if used != 1 {
				t.Errorf("%d refresh tokens used, want exactly 1", used)
			}
			// The token stored now refreshes again.
			h.sandboxCall("POST", "/_sandbox/tokens/expire", map[string]any{}, nil)
			p, _ := other.Provider(ctx, tn.accountID, tn.memberEmail, "zoom")
			if _, err := p.List(ctx, tn.memberEmail); err != nil {
				t.Fatalf("second refresh: %v", err)
			}
		})
	}
}

func TestNeedsReauthorizationNoFallback(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	ctx := context.Background()
	// Zoom kills the grant behind Convene's back (an admin removed the
	// app there) and the deauthorization notice is lost: the next call
	// finds out, marks the install, and says so.
	tokens := h.sandboxTokens()
	var revoked int
	for _, tk := range tokens {
		if tk.GrantType == "authorization_code" && !tk.Revoked {
			form := url.Values{"token": {tk.RefreshToken}}
			req, _ := http.NewRequest("POST", h.zoom.URL+"/oauth/revoke", strings.NewReader(form.Encode()))
			req.SetBasicAuth("sandbox-client", "sandbox-secret")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			h.loseWebhooks.Store(true) // the notice does not get through
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("revoke: %v %v", resp, err)
			}
			resp.Body.Close()
			revoked++
		}
	}
	if revoked == 0 {
		t.Fatal("nothing revoked")
	}
	p, err := h.apps.Provider(ctx, tn.accountID, tn.memberEmail, "zoom")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Create(ctx, tn.memberEmail, video.Spec{Topic: "x", StartTime: time.Now().Add(48 * time.Hour), Duration: 30})
	if !errors.Is(err, video.ErrUnauthorized) {
		t.Fatalf("create with a dead grant: %v", err)
	}
	list := h.expect("GET", "/api/v1/apps", tn.member, nil, 200)
	var zoomApp map[string]any
	for _, a := range list["apps"].([]any) {
		if a.(map[string]any)["id"] == "zoom" {
			zoomApp = a.(map[string]any)
		}
	}
	if zoomApp["state"] != "needs_reauthorization" || zoomApp["problem"] == "" {
		t.Fatalf("install after a dead grant: %v", zoomApp)
	}
	if _, err := h.apps.Provider(ctx, tn.accountID, tn.memberEmail, "zoom"); failure.KindOf(err) != failure.Conflict ||
		!strings.Contains(err.Error(), "re-authorization") {
		t.Fatalf("provider of an install needing the admin: %v", err)
	}
	if len(h.sandboxMeetings()) != 0 {
		t.Fatal("a meeting was created somewhere")
	}
	// The admins are told by mail.
	waitFor(t, func() bool {
		ms, _ := h.db.Mails(ctx, tn.accountID, "", 0)
		for _, m := range ms {
			if m.Kind == "notice" && m.Recipients[0] == "owner@acme.test" && strings.Contains(string(m.Raw), "install it again") {
				return true
			}
		}
		return false
	})
	// Re-installing brings it back.
	h.loseWebhooks.Store(false)
	out := h.expect("POST", "/api/v1/apps/zoom/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	b := browsertest.New(t)
	if page := b.Get(h.consent(b, out["authorize_url"].(string), "approve")); page.Status != 200 {
		t.Fatalf("re-install: %d %s", page.Status, page.Body)
	}
	p, _ = h.apps.Provider(ctx, tn.accountID, tn.memberEmail, "zoom")
	if _, err := p.List(ctx, tn.memberEmail); err != nil {
		t.Fatalf("after re-install: %v", err)
	}
}

func TestUninstallAndDeauthorization(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	ctx := context.Background()

	// app_deauthorized from Zoom (signed by the sandbox) deletes the tokens.
	h.sandboxCall("POST", "/_sandbox/webhooks/deauthorize", map[string]any{}, nil)
	waitFor(t, func() bool {
		in, err := h.db.Install(ctx, tn.accountID, "zoom")
		return err == nil && in.State == store.InstallNeedsReauthorization && in.AccessToken == "" && in.RefreshToken == ""
	})

	// Re-install, then uninstall: revoked at Zoom, tokens deleted, the app
	// stays pre-approved; the deauthorization notice that follows is
	// harmless.
	out := h.expect("POST", "/api/v1/apps/zoom/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	b := browsertest.New(t)
	b.Get(h.consent(b, out["authorize_url"].(string), "approve"))
	h.expect("DELETE", "/api/v1/apps/zoom", tn.member, nil, 403)
	h.expect("DELETE", "/api/v1/apps/zoom", tn.owner, nil, 204)
	h.expect("DELETE", "/api/v1/apps/zoom", tn.owner, nil, 204)
	for _, tk := range h.sandboxTokens() {
		if tk.GrantType == "authorization_code" && !tk.Revoked {
			t.Errorf("token alive at Zoom after uninstall")
		}
	}
	// The deauthorization notice that follows the revoke has arrived.
	if ds := h.waitWebhooks("app_deauthorized", "", 2); !ds[1].Delivered {
		t.Fatal("the deauthorization after the uninstall was not delivered")
	}
	in, err := h.db.Install(ctx, tn.accountID, "zoom")
	if err != nil || in.State != store.InstallPreApproved || in.RefreshToken != "" || len(in.Domains) != 0 {
		t.Fatalf("after uninstall: %+v %v", in, err)
	}

	// Jitsi needs no consent.
	h.expect("POST", "/api/v1/apps/jitsi/pre-approve", tn.owner, nil, 200)
	j := h.expect("POST", "/api/v1/apps/jitsi/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	if j["authorize_url"] != nil || j["app"].(map[string]any)["state"] != "installed" {
		t.Fatalf("jitsi install: %v", j)
	}
	p, err := h.apps.Provider(ctx, tn.accountID, tn.memberEmail, "jitsi")
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Create(ctx, tn.memberEmail, video.Spec{Topic: "x", StartTime: time.Now().Add(time.Hour), Duration: 30})
	if err != nil || !strings.HasPrefix(m.JoinURL, "https://meet.jit.si/") {
		t.Fatalf("jitsi meeting: %+v %v", m, err)
	}
	// Domains of an installed app can change; not to unverified ones.
	h.expect("PUT", "/api/v1/apps/jitsi", tn.owner, map[string]any{"domains": []string{"nope.test"}}, 422)
	h.expect("PUT", "/api/v1/apps/jitsi", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	h.expect("PUT", "/api/v1/apps/zoom", tn.owner, map[string]any{"domains": []string{tn.domain}}, 409)
}

func TestZoomWebhookSignatures(t *testing.T) {
	h := newHarness(t, "sqlite")
	body := `{"event":"meeting.deleted","event_ts":1,"payload":{"account_id":"x","object":{"id":1}}}`
	now := time.Now()
	send := func(sig, ts string) int {
		req, _ := http.NewRequest("POST", h.srv.URL+"/webhooks/zoom", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-zm-signature", sig)
		req.Header.Set("x-zm-request-timestamp", ts)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ts := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	if st := send(signature("sandbox-webhook-secret", ts(0), body), ts(0)); st != 204 {
		t.Errorf("good signature: %d", st)
	}
	if st := send(signature("wrong-secret", ts(0), body), ts(0)); st != 401 {
		t.Errorf("bad signature: %d", st)
	}
	if st := send("", ts(0)); st != 401 {
		t.Errorf("no signature: %d", st)
	}
	if st := send(signature("sandbox-webhook-secret", ts(-10*time.Minute), body), ts(-10*time.Minute)); st != 401 {
		t.Errorf("stale timestamp: %d", st)
	}
	// Zoom's URL validation, checked by the sandbox itself.
	var res map[string]any
	h.sandboxCall("POST", "/_sandbox/webhooks/url-validation", nil, &res)
	if ok, _ := res["valid"].(bool); !ok {
		t.Errorf("URL validation: %v", res)
	}
}

func signature(secret, ts, body string) string {
	return zoomSignature(secret, ts, []byte(body))
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
