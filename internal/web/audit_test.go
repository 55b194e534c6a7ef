package web

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/browsertest"
	"github.com/convene/convene/internal/store/storetest"
)

// auditOf returns the account's audit log through GET /api/v1/audit,
// newest first.
func (h *harness) auditOf(token string, limit int) []map[string]any {
	h.t.Helper()
	out := h.expect("GET", fmt.Sprintf("/api/v1/audit?limit=%d", limit), token, nil, 200)
	var es []map[string]any
	for _, e := range out["entries"].([]any) {
		es = append(es, e.(map[string]any))
	}
	return es
}

// TestAdminActionsAudited drives every admin action through the API with
// an admin's token and checks that each wrote its entry of the audit log,
// naming the token's user (via "api"; the install's end comes back from
// Zoom, "oauth", naming who started it), what was acted on and how; that a
// refused or idempotent request writes nothing; and that every route the
// review classed "account" is among those driven, so that a new admin
// route must be audited to pass.
func TestAdminActionsAudited(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h, sb := newGoogleHarness(t, engine)
			h.checkAnswers(t)
			a := h.setupTenant("Acme", "acme.test", true)
			// An admin (not the owner) acts, so the entries name them.
			admin, _ := h.addUser(a, "adam", "admin")
			adminEmail := "adam@" + a.domain
			leaver, _ := h.addUser(a, "leaver", "member")
			h.expect("POST", "/api/v1/tokens", leaver, map[string]any{"name": "phone"}, 201)
			tokens := h.expect("GET", "/api/v1/users/leaver@acme.test/tokens", admin, nil, 200)["tokens"].([]any)
			oneToken := tokens[0].(map[string]any)["id"].(string)
			seq := func() float64 {
				es := h.auditOf(admin, 1)
				if len(es) == 0 {
					return 0
				}
				return es[0]["seq"].(float64)
			}
			newer := func(since float64) []map[string]any {
				var out []map[string]any
				for _, e := range h.auditOf(admin, 200) {
					if e["seq"].(float64) > since {
						out = append([]map[string]any{e}, out...) // oldest first
					}
				}
				return out
			}
			type want struct{ action, target, detail string }
			driven := map[string]bool{}
			step := func(route, path string, body any, status int, via string, wants ...want) map[string]any {
				t.Helper()
				method, _, _ := strings.Cut(route, " ")
				before := seq()
				out := h.expect(method, path, admin, body, status)
				got := newer(before)
				if len(got) != len(wants) {
					t.Fatalf("%s: %d audit entries, want %d: %v", route, len(got), len(wants), got)
				}
				for i, w := range wants {
					e := got[i]
					detail := fmt.Sprint(e["detail"])
					if e["action"] != w.action || e["target"] != w.target || e["actor_email"] != adminEmail || e["via"] != via ||
						!strings.Contains(detail, w.detail) || e["at"] == "" {
						t.Errorf("%s: entry %v, want %s on %s by %s via %s with %s", route, e, w.action, w.target, adminEmail, via, w.detail)
					}
				}
				if len(wants) > 0 {
					driven[route] = true
				}
				return out
			}
			step("POST /api/v1/domains", "/api/v1/domains", map[string]any{"domain": "beta.test"}, 201, "api", want{account.AuditDomainAdd, "beta.test", ""})
			d := h.expect("GET", "/api/v1/domains", admin, nil, 200)["domains"].([]any)
			for _, x := range d {
				if x.(map[string]any)["domain"] == "beta.test" {
					h.dns.SetTXT("_convene-challenge.beta.test", x.(map[string]any)["txt_value"].(string))
				}
			}
			step("POST /api/v1/domains/{domain}/verify", "/api/v1/domains/beta.test/verify", nil, 200, "api", want{account.AuditDomainVerify, "beta.test", "verified_by:dns"})
			step("POST /api/v1/domains/{domain}/verify", "/api/v1/domains/beta.test/verify", nil, 200, "api") // already verified: nothing
			step("POST /api/v1/users", "/api/v1/users", map[string]any{"email": "new@beta.test", "name": "New"}, 201, "api", want{account.AuditUserCreate, "new@beta.test", "role:member"})
			step("PATCH /api/v1/users/{email}", "/api/v1/users/new@beta.test", map[string]any{"role": "admin", "disabled": true}, 200, "api",
				want{account.AuditUserRole, "new@beta.test", "from:member to:admin"}, want{account.AuditUserDisable, "new@beta.test", ""})
			step("PATCH /api/v1/users/{email}", "/api/v1/users/new@beta.test", map[string]any{"disabled": false}, 200, "api", want{account.AuditUserEnable, "new@beta.test", ""})
			step("PATCH /api/v1/users/{email}", "/api/v1/users/owner@acme.test", map[string]any{"role": "member"}, 403, "api") // only an owner may
			step("DELETE /api/v1/users/{email}/tokens/{id}", "/api/v1/users/leaver@acme.test/tokens/"+oneToken, nil, 204, "api",
				want{account.AuditTokenRevoke, "leaver@acme.test", oneToken})
			step("DELETE /api/v1/users/{email}/tokens", "/api/v1/users/leaver@acme.test/tokens", nil, 200, "api", want{account.AuditTokensRevoke, "leaver@acme.test", "revoked:1"})
			step("DELETE /api/v1/users/{email}/tokens", "/api/v1/users/leaver@acme.test/tokens", nil, 200, "api") // none left
			step("DELETE /api/v1/users/{email}", "/api/v1/users/leaver@acme.test", nil, 200, "api", want{account.AuditUserRemove, "leaver@acme.test", "meetings_cancelled:0"})
			step("DELETE /api/v1/users/{email}", "/api/v1/users/new@beta.test", nil, 200, "api", want{account.AuditUserRemove, "new@beta.test", ""})
			step("POST /api/v1/domains/{domain}/dkim/rotate", "/api/v1/domains/beta.test/dkim/rotate", nil, 201, "api",
				want{account.AuditDKIMRotate, "beta.test", "selector:convene2"})
			step("POST /api/v1/domains/{domain}/dkim/rotate", "/api/v1/domains/beta.test/dkim/rotate", nil, 409, "api") // one pending
			step("DELETE /api/v1/domains/{domain}/dkim/pending", "/api/v1/domains/beta.test/dkim/pending", nil, 200, "api",
				want{account.AuditDKIMCancel, "beta.test", "selector:convene2"})
			step("DELETE /api/v1/domains/{domain}/dkim/pending", "/api/v1/domains/beta.test/dkim/pending", nil, 409, "api") // nothing pending
			step("POST /api/v1/domains/{domain}/dkim/rotate", "/api/v1/domains/beta.test/dkim/rotate", nil, 201, "api",
				want{account.AuditDKIMRotate, "beta.test", "selector:convene3"})
			step("POST /api/v1/domains/{domain}/dkim/activate", "/api/v1/domains/beta.test/dkim/activate", nil, 422, "api") // not published
			for _, k := range h.expect("GET", "/api/v1/domains/beta.test/dkim", admin, nil, 200)["keys"].([]any) {
				if k := k.(map[string]any); k["state"] == "pending" {
					h.dns.SetTXT(k["name"].(string), k["value"].(string))
				}
			}
			step("POST /api/v1/domains/{domain}/dkim/activate", "/api/v1/domains/beta.test/dkim/activate", nil, 200, "api",
				want{account.AuditDKIMActivate, "beta.test", "retiring:convene1 selector:convene3"})
			step("DELETE /api/v1/domains/{domain}", "/api/v1/domains/beta.test", nil, 204, "api", want{account.AuditDomainRemove, "beta.test", ""})
			step("PATCH /api/v1/account", "/api/v1/account", map[string]any{"default_video_provider": "jitsi", "name": "Acme Corp",
				"invitation": map[string]any{"subject": "Meet: {{.Subject}}"}, "branding": map[string]any{"name": "Acme", "accent_color": "#0b57d0"}}, 200, "api",
				want{account.AuditAccountName, "Acme Corp", "from:Acme to:Acme Corp"}, want{account.AuditDefaultProvider, "Acme Corp", "to:jitsi"},
				want{account.AuditTemplates, "Acme Corp", "parts:[subject]"}, want{account.AuditBranding, "Acme Corp", "fields:[name accent_color]"})
			step("PATCH /api/v1/account", "/api/v1/account", map[string]any{"default_video_provider": "jitsi"}, 200, "api") // no change
			step("PATCH /api/v1/account", "/api/v1/account", map[string]any{"invitations": "provider"}, 200, "api",
				want{account.AuditInvitations, "Acme Corp", "from:convene to:provider"})
			step("PATCH /api/v1/account", "/api/v1/account", map[string]any{"invitations": "both"}, 422, "api")
			step("PATCH /api/v1/account", "/api/v1/account", map[string]any{"invitation": map[string]any{"subject": "{{.Nope}}"}}, 422, "api")
			step("POST /api/v1/apps/{app}/pre-approve", "/api/v1/apps/zoom/pre-approve", nil, 200, "api", want{account.AuditAppPreApprove, "zoom", ""})
			step("POST /api/v1/apps/{app}/pre-approve", "/api/v1/apps/zoom/pre-approve", nil, 200, "api")                                          // already
			out := step("POST /api/v1/apps/{app}/install", "/api/v1/apps/zoom/install", map[string]any{"domains": []string{a.domain}}, 200, "api") // consent first
			before := seq()
			b := browsertest.New(t)
			if cb := b.Get(h.consent(b, out["authorize_url"].(string), "approve")); cb.Status != 200 {
				t.Fatalf("callback: %d %s", cb.Status, cb.Body)
			}
			if got := newer(before); len(got) != 1 || got[0]["action"] != account.AuditAppInstall || got[0]["target"] != "zoom" ||
				got[0]["actor_email"] != adminEmail || got[0]["via"] != "oauth" || !strings.Contains(fmt.Sprint(got[0]["detail"]), "acme.test") {
				t.Fatalf("the install's end: %v", got)
			} else {
				driven["POST /api/v1/apps/{app}/install"] = true
			}
			step("PUT /api/v1/apps/{app}", "/api/v1/apps/zoom", map[string]any{"domains": []string{a.domain}}, 200, "api") // the same domains
			step("POST /api/v1/apps/{app}/pre-approve", "/api/v1/apps/jitsi/pre-approve", nil, 200, "api", want{account.AuditAppPreApprove, "jitsi", ""})
			step("POST /api/v1/apps/{app}/install", "/api/v1/apps/jitsi/install", map[string]any{"domains": []string{a.domain}}, 200, "api",
				want{account.AuditAppInstall, "jitsi", "domains:[acme.test]"})
			h.expect("POST", "/api/v1/domains", admin, map[string]any{"domain": "gamma.test"}, 201)
			h.dns.SetTXT("_convene-challenge.gamma.test", func() string {
				for _, x := range h.expect("GET", "/api/v1/domains", admin, nil, 200)["domains"].([]any) {
					if x.(map[string]any)["domain"] == "gamma.test" {
						return x.(map[string]any)["txt_value"].(string)
					}
				}
				return ""
			}())
			h.expect("POST", "/api/v1/domains/gamma.test/verify", admin, nil, 200)
			step("PUT /api/v1/apps/{app}", "/api/v1/apps/jitsi", map[string]any{"domains": []string{a.domain, "gamma.test"}}, 200, "api",
				want{account.AuditAppDomains, "jitsi", "from:[acme.test] to:[acme.test gamma.test]"})
			step("DELETE /api/v1/apps/{app}", "/api/v1/apps/zoom", nil, 204, "api", want{account.AuditAppUninstall, "zoom", ""})
			step("DELETE /api/v1/apps/{app}", "/api/v1/apps/zoom", nil, 204, "api") // already
			// Google in personal-account mode: the member connects their
			// own account, the admin revokes it.
			h.expect("POST", "/api/v1/apps/google_meet/pre-approve", admin, nil, 200)
			h.expect("POST", "/api/v1/apps/google_meet/install", admin, map[string]any{"domains": []string{a.domain}, "mode": "personal"}, 200)
			h.connectGoogle(sb, a.member, "member.perso@gmail.com")
			step("DELETE /api/v1/apps/{app}/connections/{user}", "/api/v1/apps/google_meet/connections/"+a.memberEmail, nil, 200, "api",
				want{account.AuditAppConnectionRevoked, a.memberEmail, "email:member.perso@gmail.com revoked:true"})
			step("DELETE /api/v1/apps/{app}/connections/{user}", "/api/v1/apps/google_meet/connections/"+a.memberEmail, nil, 404, "api") // gone

			// A member may not read the log.
			h.expect("GET", "/api/v1/audit", a.member, nil, 403)
			// Pages: before the oldest of a page.
			first := h.auditOf(admin, 3)
			next := h.expect("GET", fmt.Sprintf("/api/v1/audit?limit=3&before=%d", int64(first[2]["seq"].(float64))), admin, nil, 200)["entries"].([]any)
			if len(first) != 3 || len(next) != 3 || next[0].(map[string]any)["seq"].(float64) >= first[2]["seq"].(float64) {
				t.Errorf("pages: %v then %v", first, next)
			}
			h.expect("GET", "/api/v1/audit?limit=500", admin, nil, 422)
			h.expect("GET", "/api/v1/audit?before=x", admin, nil, 422)
			// The setup is the log's first entry.
			all := h.auditOf(a.owner, 200)
			if last := all[len(all)-1]; last["action"] != account.AuditAccountCreate || last["actor_email"] != "owner@acme.test" || last["via"] != "api" {
				t.Errorf("the first entry: %v", last)
			}

			// Every route that changes the account was driven and audited.
			for route, class := range mutatingRoutes {
				if class == "account" && !driven[route] {
					t.Errorf("%s changes the account but the test drove no audited call of it: audit it and add it here", route)
				}
			}
			// Every action the core names was seen (the setup's included).
			seen := map[string]bool{}
			for _, e := range all {
				seen[e["action"].(string)] = true
			}
			for _, act := range account.AuditActions {
				// A user's own disconnection (not an admin's action) is
				// audited in apps' TestGrantIsolation.
				if !seen[act] && !slices.Contains([]string{account.AuditAccountLanguage, account.AuditAssistantAddress,
					account.AuditAppDisconnect}, act) {
					t.Errorf("no %s entry in the log", act)
				}
			}
		})
	}
}

// TestAuditActionsDocumented: the OpenAPI document lists exactly the
// actions the core writes.
func TestAuditActionsDocumented(t *testing.T) {
	doc := (&Server{}).OpenAPI()
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	enum := schemas["AuditEntry"].(map[string]any)["properties"].(map[string]any)["action"].(map[string]any)["enum"].([]any)
	var got []string
	for _, e := range enum {
		got = append(got, e.(string))
	}
	if !slices.Equal(got, account.AuditActions) {
		t.Errorf("documented actions %v, the core's %v", got, account.AuditActions)
	}
}
