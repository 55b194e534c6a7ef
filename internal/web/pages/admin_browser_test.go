package pages_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/convene/convene/internal/chrometest"
	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/store/storetest"
)

// TestBrowserAdminStory drives the admin story in Chromium against the real
// server on a fresh data directory: the setup page, a managed domain (a
// name reserved for testing verifies at once on the sandbox), the
// marketplace, pre-approve, Add, the sandbox's consent page, back to
// choose the domains, the default provider, the template editor's live
// preview in English and French (and its refusal), users, the outbox with
// a reset mail, a failing calendar source, the audit log with every
// action, and a member sent away from the admin pages. Every admin page
// is checked with axe-core light and dark, weighed, and photographed.
func TestBrowserAdminStory(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) { browserAdminStory(t, engine) })
	}
}

func browserAdminStory(t *testing.T, engine string) {
	dns := dnstest.Start(t) // the DKIM rotation's records
	cv := chrometest.Serve(t, withEngine(t, engine, map[string]string{"CONVENE_ALLOW_PRIVATE_CALENDAR_URLS": "true",
		"CONVENE_DNS_RESOLVER": dns.Addr, "CONVENE_GOOGLE_SANDBOX_CONTROLS": "on"}))
	b := chrometest.Start(t)
	b.TimeZone("Europe/Paris")

	// Setup.
	b.Navigate(cv.URL)
	b.Fill("#f-account", "Acme")
	b.Fill("#f-admin_name", "Ann Admin")
	b.Fill("#f-admin_email", "ann@acme.example")
	b.Fill("#f-password", "correct horse battery")
	b.Fill("#f-password_confirm", "correct horse battery")
	b.Submit("button.primary")
	if b.Text("h1") != "Welcome, Ann Admin" {
		t.Fatalf("after setup: %s %q", b.URL(), b.Text("main"))
	}
	b.Submit("nav a[href='/admin']")
	if b.Text("h1") != "Administration" {
		t.Fatalf("the Administration link: %s %q", b.URL(), b.Text("h1"))
	}
	check(t, b, "admin", false)

	// A managed domain: reserved for documentation, verified without DNS
	// on the sandbox. The record to publish has a copy button.
	b.Submit(".subnav a[href='/admin/domains']")
	if !strings.Contains(b.Text("#sandbox-note"), "verified without DNS") {
		t.Errorf("the sandbox note: %q", b.Text("#sandbox-note"))
	}
	b.Fill("#f-domain", "acme.example")
	b.Submit("#add-domain")
	if !strings.HasPrefix(b.Text(".flash"), "The domain is added") || !b.Has("button[data-copy='d0-verification-value']:not([hidden])") {
		t.Fatalf("after adding the domain: %q", b.Text("main"))
	}
	if v := b.Text("#d0-verification-value"); !strings.HasPrefix(v, "convene-domain-verification=") {
		t.Errorf("the TXT value shown: %q", v)
	}
	check(t, b, "admin-domains", true)
	b.Submit("form[action='/admin/domains/acme.example/verify'] button")
	if b.Text(".flash") != "The domain is verified." || !strings.HasPrefix(b.Text("#domain-acme\\.example .state"), "Verified without DNS") {
		t.Fatalf("after verify: %q", b.Text("main"))
	}

	// The DKIM key's rotation: a new key to publish; Activate is refused
	// until DNS shows it, then switches, and the old record is listed
	// with the date it may go.
	b.Submit("#dkim-rotate-0")
	if !strings.HasPrefix(b.Text(".flash"), "A new DKIM key is made") || !b.Has("#domain-acme\\.example .dkim-pending") {
		t.Fatalf("after rotate: %q", b.Text("main"))
	}
	newRecord := b.Text("#d0-dkim-convene2-value")
	if !strings.HasPrefix(newRecord, "v=DKIM1; k=rsa; p=") {
		t.Fatalf("the new record shown: %q", newRecord)
	}
	b.Submit("#dkim-activate-0")
	if !strings.Contains(b.Text("main"), "no TXT record at convene2._domainkey.acme.example") {
		t.Fatalf("activate before publishing: %q", b.Text("main"))
	}
	dns.SetTXT("convene2._domainkey.acme.example", newRecord)
	b.Submit("#dkim-activate-0")
	if !strings.HasPrefix(b.Text(".flash"), "The new DKIM key signs") || !strings.Contains(b.Text("#domain-acme\\.example .dkim-retiring"), "convene1._domainkey.acme.example") ||
		!b.Has("#domain-acme\\.example .dkim-retiring time") || !b.Has("#dkim-rotate-0") {
		t.Fatalf("after activate: %q", b.Text("main"))
	}
	check(t, b, "admin-domains-dkim", false)

	// The marketplace: Zoom's page, pre-approve, Add.
	b.Submit(".subnav a[href='/admin/apps']")
	check(t, b, "admin-apps", true)
	b.Submit("#app-zoom h2 a")
	if !strings.Contains(b.Text("main"), "How your data is used") || !strings.Contains(b.Text("main"), "registrants_confirmation_email") {
		t.Fatalf("Zoom's page: %q", b.Text("main"))
	}
	check(t, b, "admin-app-zoom", true)
	b.Submit("#pre-approve")
	if b.Text(".flash") != "Pre-approved. Add it when you are ready." {
		t.Fatalf("after pre-approve: %q", b.Text("main"))
	}
	b.Submit("#add")
	if !strings.HasPrefix(b.URL(), cv.URL+"/zoom-sandbox/oauth/authorize?") || !strings.Contains(b.Text("body"), "meeting:write:meeting:admin") {
		t.Fatalf("Add led to %s", b.URL())
	}
	b.Screenshot("zoom-sandbox-consent")
	// The sandbox's page has no subresource; chromedp's DOM queries can
	// miss such a page's document, so the click goes through the page's
	// own DOM.
	chrometest.Eval[bool](b, `(window.__leaving = true, document.querySelector("button[value=approve]").click(), true)`)
	b.Wait("the callback page", `typeof window.__leaving === "undefined" && document.readyState === "complete" && document.querySelector("#result") !== null`)
	if !strings.HasPrefix(b.URL(), cv.URL+"/oauth/zoom/callback?") || b.Text("#result") != "Zoom is installed" || !b.Has("#dom-0:checked") {
		t.Fatalf("back from Zoom: %s %q", b.URL(), b.Text("main"))
	}
	check(t, b, "admin-callback", true)
	b.Submit("#save-domains")
	if b.Text(".flash") != "The domains are saved." || b.Text("#state") != "Installed · for acme.example" {
		t.Fatalf("after choosing the domains: %q", b.Text("main"))
	}
	check(t, b, "admin-app-zoom-installed", false)

	// The default provider in one click.
	b.Submit(".subnav a[href='/admin/apps']")
	b.Submit("#default-zoom")
	if b.Text(".flash") != "The default video provider is saved." || chrometest.Eval[string](b, `document.querySelector("#default-zoom").getAttribute("aria-pressed")`) != "true" {
		t.Fatalf("default provider: %q", b.Text("main"))
	}

	// Google in personal-account mode: Ann connects her own Google account
	// on her calendars page; Google's admin page lists the connection, and
	// its Revoke button revokes it at the Google sandbox and forgets it.
	if st, out := api(t, "POST", cv.URL+"/google-sandbox/_sandbox/accounts", "", map[string]any{"email": "ann.perso@gmail.com", "name": "Ann"}); st >= 300 {
		t.Fatalf("a Google account at the sandbox: %d %v", st, out)
	}
	b.Navigate(cv.URL + "/admin/apps/google_meet")
	b.Submit("#pre-approve")
	b.Submit("#add-personal")
	if !strings.Contains(b.Text("#mode"), "personal-account mode, 0 users connected") || b.Text("#no-connections") == "" {
		t.Fatalf("Google in personal-account mode: %q", b.Text("main"))
	}
	b.Navigate(cv.URL + "/calendars")
	b.Submit("form[action='/calendars/apps/google_meet/connect'] button")
	if !strings.HasPrefix(b.URL(), cv.URL+"/google-sandbox/o/oauth2/v2/auth?") {
		t.Fatalf("Connect led to %s", b.URL())
	}
	// The sandbox's page has no subresource: through its own DOM, as
	// Zoom's above.
	chrometest.Eval[bool](b, `(window.__leaving = true, document.querySelector("input[name=email]").value = "ann.perso@gmail.com",
		document.querySelector("button[value=allow]").click(), true)`)
	b.Wait("the calendars page", `typeof window.__leaving === "undefined" && document.readyState === "complete" && document.querySelector(".flash") !== null`)
	if b.Text(".flash") != "Your account is connected." {
		t.Fatalf("back from Google: %s %q", b.URL(), b.Text("main"))
	}
	b.Navigate(cv.URL + "/admin/apps/google_meet")
	if row := b.Text("#connections tbody tr"); !strings.Contains(row, "ann@acme.example") || !strings.Contains(row, "ann.perso@gmail.com") || !strings.Contains(row, "Active") {
		t.Fatalf("the connections: %q", b.Text("main"))
	}
	check(t, b, "admin-app-google-connections", true)
	b.Submit("#connections tbody tr form button")
	if b.Text(".flash") != "The connection is revoked at the provider and forgotten; the user is told by mail." || b.Has("#connections") {
		t.Fatalf("after revoking: %q", b.Text("main"))
	}
	var grants struct {
		Grants []struct {
			Revoked bool `json:"revoked"`
		} `json:"grants"`
	}
	resp, err := http.Get(cv.URL + "/google-sandbox/_sandbox/grants?email=ann.perso%40gmail.com")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&grants)
	resp.Body.Close()
	if len(grants.Grants) == 0 || !grants.Grants[0].Revoked {
		t.Errorf("Ann's grant at the Google sandbox: %+v", grants)
	}

	// The template editor: the preview follows the typing (JavaScript), in
	// English and French; a template that cannot be used is named with its
	// line; the Preview button works without the script; save.
	b.Submit(".subnav a[href='/admin/invitation']")
	check(t, b, "admin-invitation", true)
	b.Type("#f-subject", "Invitation: {{.Subject}}")
	b.Wait("the live preview in English", `document.querySelector("#preview-en .subject").textContent.startsWith("Invitation: ")`)
	b.Wait("the live preview in French", `document.querySelector("#preview-fr .subject").textContent.startsWith("Invitation: ")`)
	b.Type("#f-text", "Hello\n{{.Nope}}")
	b.Wait("the problems", `document.querySelector("#problems") !== null`)
	if got := b.Text("#problems"); !strings.Contains(got, "Plain text") || !strings.Contains(got, "line 2") {
		t.Errorf("the problems shown: %q", got)
	}
	check(t, b, "admin-invitation-error", false)
	// The live preview replaced part of the page under chromedp's node
	// cache: the fields are set through the page's DOM.
	chrometest.Eval[bool](b, `(document.querySelector("#f-text").value = "", document.querySelector("#f-brand_name").value = "Acme",
		document.querySelector("#f-accent_color").value = "#8a2be2", document.querySelector("#f-footer").value = "Acme · 1 Example Street", true)`)
	b.Submit("#preview-button")
	if !strings.Contains(b.Text("#preview-fr"), "Acme · 1 Example Street") || b.Has("#problems") {
		t.Fatalf("the preview without script: %q", b.Text("#preview"))
	}
	b.Submit("#save")
	if b.Text(".flash") != "The templates and branding are saved." || b.Value("#f-subject") != "Invitation: {{.Subject}}" {
		t.Fatalf("after save: %q", b.Text("main"))
	}
	b.Viewport(390, 844)
	b.Screenshot("admin-invitation-phone")
	b.Viewport(1024, 800)

	// Users: add, change the role, disable, enable, revoke, remove.
	b.Submit(".subnav a[href='/admin/users']")
	b.Submit("#new-user")
	check(t, b, "admin-user-new", false)
	b.Fill("#f-email", "bob@acme.example")
	b.Fill("#f-user_name", "Bob")
	b.Fill("#f-timezone", "America/New_York")
	b.Submit("#create-user")
	if !strings.HasPrefix(b.Text("#new-token"), "cvn_") || b.Text("#user-email") != "bob@acme.example" {
		t.Fatalf("after adding Bob: %q", b.Text("main"))
	}
	check(t, b, "admin-user", true)
	b.Fill("#f-role", "admin")
	b.Submit("#change-role")
	b.Submit("#disable")
	if b.Text("#user-status") != "disabled" {
		t.Fatalf("after disable: %q", b.Text("main"))
	}
	b.Submit("#enable")
	b.Submit("#revoke-tokens")
	b.Submit("#remove")
	check(t, b, "admin-user-remove", false)
	b.Submit("#confirm")
	if b.Text(".flash") != "The user is removed." || strings.Contains(b.Text("main"), "bob@acme.example") {
		t.Fatalf("after remove: %q", b.Text("main"))
	}
	// A member, with a password from a reset link.
	b.Submit("#new-user")
	b.Fill("#f-email", "carl@acme.example")
	b.Fill("#f-user_name", "Carl")
	b.Submit("#create-user")
	b.Submit(".subnav a[href='/admin/users']")
	check(t, b, "admin-users", false)

	// An API token of Ann's; an action through the API is audited with
	// her as the actor.
	b.Navigate(cv.URL + "/")
	b.Fill("#f-name", "script")
	b.Submit("form[action='/tokens'] button")
	token := b.Text("#new-token")
	if st, out := api(t, "POST", cv.URL+"/api/v1/domains", token, map[string]any{"domain": "api.example"}); st != 201 {
		t.Fatalf("a domain through the API: %d %v", st, out)
	}
	// A calendar source that fails: its URL is shown without its secrets.
	st, out := api(t, "POST", cv.URL+"/api/v1/users/ann@acme.example/calendars", token,
		map[string]any{"kind": "ics", "url": "http://127.0.0.1:1/private-0123456789abcdefXYZ/basic.ics?token=s3cret", "name": "Old calendar"})
	if st != 201 {
		t.Fatalf("a failing source: %d %v", st, out)
	}
	b.Navigate(cv.URL + "/admin/calendars")
	if got := b.Text("main"); !strings.Contains(got, "http://127.0.0.1:1/…/basic.ics") || strings.Contains(got, "s3cret") || strings.Contains(got, "0123456789abcdef") {
		t.Errorf("the failing source: %q", got)
	}
	check(t, b, "admin-calendars", false)

	// Carl asks for a password; the reset mail waits in the outbox, where
	// the owner may read it.
	carl := chrometest.Start(t)
	carl.Navigate(cv.URL + "/reset")
	carl.Fill("#f-email", "carl@acme.example")
	carl.Submit("button.primary")
	b.Navigate(cv.URL + "/admin/mail")
	check(t, b, "admin-outbox", false)
	b.Submit("table a")
	if !strings.Contains(b.Text("#mail-text"), cv.URL+"/reset/") {
		t.Fatalf("the reset mail: %q", b.Text("main"))
	}
	check(t, b, "admin-mail", false)
	link := regexp.MustCompile(regexp.QuoteMeta(cv.URL) + `/reset/\S+`).FindString(b.Text("#mail-text"))
	b.Navigate(cv.URL + "/admin/inbox")
	check(t, b, "admin-inbox", false)

	// Carl, a member, is sent away from the admin pages.
	carl.Navigate(link)
	carl.Fill("#f-password", "carl's own password")
	carl.Fill("#f-password_confirm", "carl's own password")
	carl.Submit("button.primary")
	if carl.Text("h1") != "Welcome, Carl" || carl.Has("nav a[href='/admin']") {
		t.Fatalf("Carl's dashboard: %q", carl.Text("body"))
	}
	// The marketplace's core calls are open to members (GET /api/v1/apps
	// is): only the page's access rule keeps Carl out.
	carl.Navigate(cv.URL + "/admin/apps")
	if carl.Text("h1") != "Not allowed" || carl.Has(".subnav") || carl.Has("#default-zoom") {
		t.Fatalf("a member on an admin page: %q", carl.Text("body"))
	}
	if st := chrometest.Eval[int](carl, `fetch("/admin/invitation/preview", {method: "POST", headers: {"X-CSRF-Token": document.querySelector("input[name=csrf]").value}, body: new URLSearchParams({subject: "x"})}).then(r => r.status)`); st != http.StatusForbidden {
		t.Errorf("a member's preview call: %d", st)
	}

	// The audit log: every action, newest first, with who and how.
	b.Navigate(cv.URL + "/admin/audit")
	actions := chrometest.Eval[[]string](b, `[...document.querySelectorAll("#audit tr[data-action]")].map(r => r.dataset.action)`)
	// The domains chosen after consent were those of the install: no
	// change, no entry.
	want := []string{"domain.add", "user.create", "user.remove", "user.tokens_revoke", "user.enable", "user.disable", "user.role", "user.create",
		"account.branding", "account.templates", "app.connection_revoked", "app.connect", "app.install", "app.pre_approve",
		"account.default_video_provider", "app.install", "app.pre_approve",
		"domain.dkim_activate", "domain.dkim_rotate", "domain.verify", "domain.add", "account.create"}
	if strings.Join(actions, " ") != strings.Join(want, " ") {
		t.Errorf("audit log:\n got %v\nwant %v", actions, want)
	}
	if first := b.Text("#audit tbody tr"); !strings.Contains(first, "ann@acme.example") || !strings.Contains(first, "API token") || !strings.Contains(first, "api.example") {
		t.Errorf("the API's action: %q", first)
	}
	if !strings.Contains(b.Text("#audit"), "provider's consent") {
		t.Errorf("the install's end is not shown as the provider's consent")
	}
	check(t, b, "admin-audit", true)
	b.Viewport(390, 844)
	b.Screenshot("admin-audit-phone")
	b.Navigate(cv.URL + "/admin/apps")
	b.Screenshot("admin-apps-phone")
	b.Viewport(1024, 800)

	// In French.
	b.Navigate(cv.URL + "/admin/invitation")
	b.Fill("#lang", "fr")
	b.Submit(".lang button")
	if b.Text("h1") != "Invitations" || b.Text(".subnav a[aria-current=page]") != "Invitations" || !strings.Contains(b.Text("#preview-fr"), "vous invite") {
		t.Fatalf("in French: %q", b.Text("main"))
	}
	check(t, b, "admin-invitation-fr", false)
	b.Navigate(cv.URL + "/admin/apps/zoom")
	if !strings.Contains(b.Text("main"), "Comment vos données sont utilisées") {
		t.Errorf("Zoom's page in French: %q", b.Text("h2"))
	}
	check(t, b, "admin-app-zoom-fr", false)
}
