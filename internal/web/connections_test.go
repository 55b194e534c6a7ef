package web

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/convene/convene/internal/googlesandbox"
	"github.com/convene/convene/internal/googlesandbox/googlesandboxtest"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/video/google"
)

// googleRedirect is the redirect URI of Convene's OAuth client at the
// Google sandbox in these tests: the tests carry the code and state from
// the sandbox's redirect to the harness's callback themselves.
const googleRedirect = "http://convene.test/oauth/google_meet/callback"

// newGoogleHarness is a harness whose catalog has Google with its
// personal-account mode at a Google sandbox, and whose users are told of
// their connections' problems by notices in the outbox.
func newGoogleHarness(t *testing.T, engine string) (*harness, *googlesandboxtest.Sandbox) {
	t.Helper()
	sb := googlesandboxtest.Start(t, googlesandbox.Options{})
	sb.OAuthClient("cid", "csecret", googleRedirect)
	h := newHarness(t, engine, google.App(google.Config{CalendarURL: sb.CalendarURL(), TokenURL: sb.TokenURL(),
		Personal: google.Personal{ClientID: "cid", ClientSecret: "csecret", AuthURL: sb.URL + "/o/oauth2/v2/auth", Issuer: sb.URL,
			RevokeURL: sb.URL + "/revoke", RedirectURL: googleRedirect}}))
	h.apps.NotifyUser = h.booking.NotifyUser
	return h, sb
}

// installGooglePersonal installs Google in personal-account mode for the
// tenant's domain.
func (h *harness) installGooglePersonal(tn tenant) {
	h.t.Helper()
	h.expect("POST", "/api/v1/apps/google_meet/pre-approve", tn.owner, nil, 200)
	h.expect("POST", "/api/v1/apps/google_meet/install", tn.owner, map[string]any{"domains": []string{tn.domain}, "mode": "personal"}, 200)
}

// connectGoogle connects the Google account gmail (made at the sandbox) for
// the user of token, through the sandbox's consent page and Convene's
// callback.
func (h *harness) connectGoogle(sb *googlesandboxtest.Sandbox, token, gmail string) {
	h.t.Helper()
	sb.Account(gmail, gmail)
	out := h.expect("POST", "/api/v1/users/me/apps/google_meet/connect", token, nil, 200)
	back := sb.Consent(out["authorize_url"].(string), gmail, nil, true)
	if !strings.HasPrefix(back.String(), googleRedirect+"?") {
		h.t.Fatalf("the sandbox sent the browser to %s", back)
	}
	cb := h.expect("GET", "/oauth/google_meet/callback?"+back.RawQuery, "", nil, 200)
	if c, _ := cb["connection"].(map[string]any); c["state"] != "connected" || c["email"] != gmail {
		h.t.Fatalf("callback %v", cb)
	}
}

// sandboxGrants returns the sandbox's grants of gmail's Google account.
func sandboxGrants(sb *googlesandboxtest.Sandbox, gmail string) []map[string]any {
	var out struct {
		Grants []map[string]any `json:"grants"`
	}
	sb.Control("GET", "/grants?"+url.Values{"email": {gmail}}.Encode(), nil, 200, &out)
	return out.Grants
}

// TestAdminConnectionsAPI: through the API, an admin lists the users'
// own Google connections (no token in the answer) and revokes one: it is
// revoked at the Google sandbox and forgotten, audited with the admin as
// actor and the user as target, and the user gets a notice. A member may
// do neither; a user of another account and a user without a connection
// are 404 and change nothing; an app not in personal-account mode is 409.
func TestAdminConnectionsAPI(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h, sb := newGoogleHarness(t, engine)
			h.checkAnswers(t)
			a := h.setupTenant("Acme", "acme.test", true)
			b := h.setupTenant("Beta", "beta.test", false)
			h.installGooglePersonal(a)
			h.installGooglePersonal(b)
			const maxGmail, betaGmail = "max.perso@gmail.com", "beta.perso@gmail.com"
			h.connectGoogle(sb, a.member, maxGmail)
			h.connectGoogle(sb, b.member, betaGmail)

			status, raw, _ := h.doRaw("GET", "/api/v1/apps/google_meet/connections", a.owner, nil)
			if status != 200 {
				t.Fatalf("list: %d %s", status, raw)
			}
			var list struct {
				Connections []map[string]any `json:"connections"`
			}
			if err := json.Unmarshal(raw, &list); err != nil {
				t.Fatal(err)
			}
			if len(list.Connections) != 1 {
				t.Fatalf("connections %s", raw)
			}
			c := list.Connections[0]
			if c["user"] != a.memberEmail || c["email"] != maxGmail || c["state"] != "active" || c["connected_at"] == "" {
				t.Errorf("connection %v", c)
			}
			var keys []string
			for k := range c {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if strings.Join(keys, " ") != "connected_at email refreshed_at scopes state updated_at user" ||
				strings.Contains(string(raw), "ya29") || strings.Contains(string(raw), "1//") || strings.Contains(string(raw), betaGmail) {
				t.Errorf("the list shows more than it should: %s", raw)
			}
			h.expect("GET", "/api/v1/apps/google_meet/connections?limit=201", a.owner, nil, 422)
			if out := h.expect("GET", "/api/v1/apps/google_meet/connections?after="+url.QueryEscape(a.memberEmail), a.owner, nil, 200); len(out["connections"].([]any)) != 0 {
				t.Errorf("after the last user: %v", out)
			}

			// Refused: a member; B's user; a user without a connection; an
			// app not in personal-account mode.
			h.expect("GET", "/api/v1/apps/google_meet/connections", a.member, nil, 403)
			h.expect("DELETE", "/api/v1/apps/google_meet/connections/"+a.memberEmail, a.member, nil, 403)
			h.expect("DELETE", "/api/v1/apps/google_meet/connections/"+b.memberEmail, a.owner, nil, 404)
			h.expect("DELETE", "/api/v1/apps/google_meet/connections/owner@"+a.domain, a.owner, nil, 404)
			h.expect("DELETE", "/api/v1/apps/zoom/connections/"+a.memberEmail, a.owner, nil, 409)
			h.expect("GET", "/api/v1/apps/zoom/connections", a.owner, nil, 409)
			for _, who := range []string{maxGmail, betaGmail} {
				for _, g := range sandboxGrants(sb, who) {
					if g["revoked"] == true {
						t.Fatalf("%s revoked by a refused request: %v", who, g)
					}
				}
			}
			for _, tn := range []tenant{a, b} {
				if gs, _ := h.db.GrantsOfApp(context.Background(), tn.accountID, "google_meet"); len(gs) != 1 {
					t.Fatalf("%s's grants %v", tn.domain, gs)
				}
			}

			// The owner revokes Max's connection.
			out := h.expect("DELETE", "/api/v1/apps/google_meet/connections/"+a.memberEmail, a.owner, nil, 200)
			if out["revoked"] != true || out["problem"] != nil {
				t.Errorf("revoke %v", out)
			}
			gs := sandboxGrants(sb, maxGmail)
			if len(gs) == 0 {
				t.Fatal("no grant of Max at the sandbox")
			}
			for _, g := range gs {
				if g["revoked"] != true {
					t.Errorf("Max's grant at the sandbox: %v", g)
				}
			}
			for _, g := range sandboxGrants(sb, betaGmail) {
				if g["revoked"] == true {
					t.Errorf("B's grant revoked too: %v", g)
				}
			}
			if l := h.expect("GET", "/api/v1/apps/google_meet/connections", a.owner, nil, 200)["connections"].([]any); len(l) != 0 {
				t.Errorf("still listed: %v", l)
			}
			if l := h.expect("GET", "/api/v1/users/me/apps", a.member, nil, 200)["connections"].([]any); l[0].(map[string]any)["state"] != "not_connected" {
				t.Errorf("Max's own view: %v", l)
			}
			h.expect("DELETE", "/api/v1/apps/google_meet/connections/"+a.memberEmail, a.owner, nil, 404)
			e := h.auditOf(a.owner, 1)[0]
			if e["action"] != "app.connection_revoked" || e["actor_email"] != "owner@"+a.domain || e["target"] != a.memberEmail || e["via"] != "api" ||
				!strings.Contains(jsonText(e["detail"]), maxGmail) {
				t.Errorf("audit %v", e)
			}
			// Max is told, by a notice in the outbox.
			var notices []map[string]any
			for _, m := range h.expect("GET", "/api/v1/outbox", a.owner, nil, 200)["mail"].([]any) {
				m := m.(map[string]any)
				if to, _ := m["to"].([]any); m["kind"] == "notice" && len(to) == 1 && to[0] == a.memberEmail {
					notices = append(notices, m)
				}
			}
			if len(notices) != 1 || notices[0]["subject"] != "About your Google Workspace connection" {
				t.Errorf("notices to Max: %v", notices)
			}
		})
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
