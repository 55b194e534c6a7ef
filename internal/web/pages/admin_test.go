package pages

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/mail/dkimsign"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// snapshot is what an admin action could change of an account, read
// through the store: the account, its domains, users, installs and the
// length of its audit log.
func (as *adminSite) snapshot(accountID string) string {
	t := as.t
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	a, err := as.db.Account(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "account %s %s %s %s %s\n", a.Name, a.Language, a.DefaultVideoProvider, a.Templates, a.Branding)
	ds, _ := as.db.Domains(ctx, accountID)
	for _, d := range ds {
		fmt.Fprintf(&b, "domain %s %v %s\n", d.Name, d.Verified, d.VerifiedBy)
	}
	us, _ := as.db.Users(ctx, accountID)
	for _, u := range us {
		ts, _ := as.db.Tokens(ctx, accountID, u.ID)
		fmt.Fprintf(&b, "user %s %s %v %d tokens\n", u.Email, u.Role, u.Disabled, len(ts))
	}
	ins, _ := as.db.Installs(ctx, accountID)
	for _, in := range ins {
		fmt.Fprintf(&b, "install %s %s %v\n", in.App, in.State, in.Domains)
	}
	fmt.Fprintf(&b, "audit %d\n", as.auditCount(accountID))
	return b.String()
}

// addMail stores a mail in the account's outbox.
func (as *adminSite) addMail(accountID, kind, to string) string {
	as.t.Helper()
	id := fmt.Sprintf("mail_%s_%d", kind, time.Now().UnixNano())
	raw := "From: Convene <assistant@acme.test>\r\nTo: " + to + "\r\nSubject: Your " + kind + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe secret body of " + kind + ".\r\n"
	if _, err := as.db.AddMail(context.Background(), &store.Mail{ID: id, AccountID: accountID, DedupeKey: id, Kind: kind, Sender: "assistant@acme.test",
		Recipients: []string{to}, Subject: "Your " + kind, MessageID: "<" + id + "@acme.test>", Raw: []byte(raw), Status: "held",
		Created: as.clock.Now()}); err != nil {
		as.t.Fatal(err)
	}
	return id
}

// fill puts values in an admin route's path parameters.
func fill(t *testing.T, rt pageRoute, params map[string]string) string {
	t.Helper()
	return regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllStringFunc(rt.path, func(m string) string {
		v, ok := params[m[1:len(m)-1]]
		if !ok {
			t.Fatalf("%s %s: no fixture for %s; add one", rt.method, rt.path, m)
		}
		return url.PathEscape(v)
	})
}

// TestAdminRoutesNeedAnAdmin drives every route of the admin pages (the
// route table, so that a route added later is covered): signed out, a GET
// goes to the sign-in page and a POST is refused; a member gets 403 on
// each, with a valid CSRF token; an admin's POST without the token, or
// from another site, is refused; and none of these changes anything.
func TestAdminRoutesNeedAnAdmin(t *testing.T) {
	as := newAdminSite(t)
	a := as.tenant("Acme", "acme.test", true)
	ctx := context.Background()
	if _, err := as.apps.PreApprove(ctx, a.owner, "jitsi"); err != nil {
		t.Fatal(err)
	}
	mailID := as.addMail(a.res.Account.ID, "request", a.memberEmail)
	params := map[string]string{"app": "jitsi", "domain": a.domain, "email": a.memberEmail, "user": a.memberEmail, "id": mailID}
	routes := as.pages.adminRoutes()
	if len(routes) < 30 {
		t.Fatalf("only %d admin routes", len(routes))
	}
	before := as.snapshot(a.res.Account.ID)

	anon := as.browser()
	member := as.browser()
	member.signIn(a.memberEmail, memberPassword)
	memberToken := csrfOf(t, member.get("/"))
	owner := as.browser()
	owner.signIn("ann@acme.test", ownerPassword)
	ownerToken := csrfOf(t, owner.get("/"))
	for _, rt := range routes {
		if rt.access != admins {
			t.Errorf("%s %s is an admin page with access %d", rt.method, rt.path, rt.access)
		}
		path := fill(t, rt, params)
		if rt.method == "GET" {
			if p := anon.get(path); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/signin?next=") {
				t.Errorf("signed out, GET %s: %d %q", path, p.status, p.header.Get("Location"))
			}
			// The link that starts an install carries its token: a member's
			// is no good either.
			if p := member.get(path + "?csrf=" + url.QueryEscape(memberToken)); p.status != http.StatusForbidden {
				t.Errorf("a member, GET %s: %d, want 403", path, p.status)
			}
			continue
		}
		if p := anon.do("POST", path, url.Values{}); p.status != http.StatusForbidden {
			t.Errorf("signed out, POST %s: %d, want 403", path, p.status)
		}
		form := url.Values{"csrf": {memberToken}, "provider": {"jitsi"}, "role": {"admin"}, "domain": {a.domain}, "email": {"x@" + a.domain},
			"user_name": {"X"}, "subject": {"pwned"}, "do": {"save"}}
		if p := member.do("POST", path, form); p.status != http.StatusForbidden {
			t.Errorf("a member, POST %s: %d, want 403", path, p.status)
		}
		// The admin's own session, without the token, or from elsewhere.
		form.Set("csrf", "")
		if p := owner.do("POST", path, form); p.status != http.StatusForbidden || !strings.Contains(p.body, "expired or was not sent from Convene") {
			t.Errorf("the owner without the CSRF token, POST %s: %d", path, p.status)
		}
		form.Set("csrf", ownerToken)
		owner.header.Set("Sec-Fetch-Site", "cross-site")
		if p := owner.do("POST", path, form); p.status != http.StatusForbidden {
			t.Errorf("the owner from another site, POST %s: %d", path, p.status)
		}
		owner.header.Del("Sec-Fetch-Site")
	}
	// The install link without its token (a link on another site).
	if p := owner.get("/admin/apps/jitsi/add"); p.status != http.StatusForbidden {
		t.Errorf("the add link without its token: %d, want 403", p.status)
	}
	owner.header.Set("Sec-Fetch-Site", "cross-site")
	if p := owner.get("/admin/apps/jitsi/add?csrf=" + url.QueryEscape(ownerToken)); p.status != http.StatusForbidden {
		t.Errorf("the add link followed from another site: %d, want 403", p.status)
	}
	owner.header.Del("Sec-Fetch-Site")
	if after := as.snapshot(a.res.Account.ID); after != before {
		t.Errorf("refused requests changed the account:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// The fixtures were real: the owner gets through.
	if p := owner.get("/admin/mail/" + mailID); p.status != http.StatusOK || !strings.Contains(p.body, "The secret body of request") {
		t.Errorf("the owner reading the mail: %d", p.status)
	}
	if p := owner.get("/admin/apps/jitsi/add?csrf=" + url.QueryEscape(ownerToken)); p.status != http.StatusSeeOther {
		t.Errorf("the owner's add link: %d", p.status)
	}
	// The navigation offers the admin pages to admins only.
	if strings.Contains(member.get("/").body, `href="/admin"`) || !strings.Contains(owner.get("/").body, `href="/admin"`) {
		t.Error("the navigation's Administration link is not for admins only")
	}
}

// TestAdminAccountScoped aims an admin of account A at account B's
// things through every admin route with a path parameter: nothing of B
// is shown or changed.
func TestAdminAccountScoped(t *testing.T) {
	as := newAdminSite(t)
	a := as.tenant("Acme", "acme.test", true)
	b := as.tenant("Beta", "beta.test", false)
	ctx := context.Background()
	if _, err := as.apps.PreApprove(ctx, b.owner, "jitsi"); err != nil {
		t.Fatal(err)
	}
	if _, err := as.apps.Install(ctx, b.owner, "jitsi", []string{b.domain}); err != nil {
		t.Fatal(err)
	}
	bMail := as.addMail(b.res.Account.ID, "request", b.memberEmail)
	bd, _ := as.db.Domain(ctx, b.res.Account.ID, b.domain)
	secrets := []string{bd.TXTValue, "The secret body", "Max Beta", "Ann Beta"}
	before := as.snapshot(b.res.Account.ID)

	owner := as.browser()
	owner.signIn("ann@acme.test", ownerPassword)
	token := csrfOf(t, owner.get("/"))
	params := map[string]string{"app": "jitsi", "domain": b.domain, "email": b.memberEmail, "user": b.memberEmail, "id": bMail}
	for _, rt := range as.pages.adminRoutes() {
		path := fill(t, rt, params)
		var p *page
		if rt.method == "GET" {
			p = owner.get(path + "?csrf=" + url.QueryEscape(token))
		} else {
			p = owner.do("POST", path, url.Values{"csrf": {token}, "role": {"member"}, "domain": {b.domain}, "provider": {"zoom"}})
		}
		for _, s := range secrets {
			if strings.Contains(p.body, s) {
				t.Errorf("%s %s (%d) shows B's %q", rt.method, path, p.status, s)
			}
		}
	}
	if after := as.snapshot(b.res.Account.ID); after != before {
		t.Errorf("account B changed through A's admin:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// B's things are not found, as things that do not exist.
	for _, path := range []string{"/admin/users/" + b.memberEmail, "/admin/mail/" + bMail, "/admin/domains/" + b.domain + "/remove"} {
		if p := owner.get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, p.status)
		}
	}
	// A's admin sees A's: the domains page lists acme.test only.
	if p := owner.get("/admin/domains"); !strings.Contains(p.body, a.domain) || strings.Contains(p.body, b.domain) {
		t.Errorf("domains page: %s", p.body)
	}
}

// TestAdminPagesStory drives the admin pages the way an admin does,
// without JavaScript: domains, the marketplace (pre-approve, add, the
// provider's consent, the callback page's domain choice), the default
// provider, the template editor (preview, refusal with field and line,
// save), users (add, role, disable, enable, revoke, remove) and the audit
// log, which shows each action with its actor.
func TestAdminPagesStory(t *testing.T) {
	as := newAdminSite(t)
	a := as.tenant("Acme", "acme.test", true)
	acct := a.res.Account.ID
	ctx := context.Background()
	b := as.browser()
	b.signIn("ann@acme.test", ownerPassword)

	// Domains: the record to publish, with its copy button; a reserved
	// name verifies at once on the sandbox.
	p := b.get("/admin/domains")
	d, _ := as.db.Domain(ctx, acct, a.domain)
	if p.status != 200 || !strings.Contains(p.body, d.TXTValue) || !strings.Contains(p.body, `data-copy="d0-verification-value"`) ||
		!strings.Contains(p.body, "Verified without DNS") || !strings.Contains(p.body, "_convene-challenge.acme.test") {
		t.Fatalf("domains page: %d\n%s", p.status, p.body)
	}
	if r := b.post("/admin/domains", p, url.Values{"domain": {"not a domain"}}); r.status != 422 || !strings.Contains(r.body, `id="f-domain-error"`) {
		t.Errorf("a bad domain: %d", r.status)
	}
	if r := b.post("/admin/domains", p, url.Values{"domain": {"beta.example"}}); r.status != 303 {
		t.Fatalf("add a domain: %d %s", r.status, r.body)
	}
	p = b.get("/admin/domains")
	if !strings.Contains(p.body, "A name reserved for testing: on this sandbox Verify accepts it without DNS.") {
		t.Errorf("the reserved-name hint is missing")
	}
	if r := b.post("/admin/domains/beta.example/verify", p, nil); r.status != 303 {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}

	// The marketplace: pre-approve Zoom, then Add, which leaves for the
	// provider's consent page.
	p = b.get("/admin/apps/zoom")
	for _, want := range []string{"meeting:write:meeting:admin", "POST /v2/users/{organizer}/meetings", "registrants_confirmation_email",
		"The 16 settings it reports", "The host&#39;s start link: encrypted, and shown to the meeting&#39;s organizer only", `id="pre-approve"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("Zoom's page lacks %q", want)
		}
	}
	if r := b.post("/admin/apps/zoom/pre-approve", p, nil); r.status != 303 {
		t.Fatalf("pre-approve: %d", r.status)
	}
	p = b.get("/admin/apps/zoom")
	add := regexp.MustCompile(`id="add" href="([^"]+)"`).FindStringSubmatch(p.body)
	if add == nil {
		t.Fatalf("no Add link:\n%s", p.body)
	}
	r := b.get(strings.ReplaceAll(add[1], "&amp;", "&"))
	consent := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(consent, as.zoom.URL+"/oauth/authorize?") {
		t.Fatalf("Add: %d → %q", r.status, consent)
	}
	// Back from the provider: installed, and the domains to choose.
	cb := b.get(as.consent(consent))
	if cb.status != 200 || !strings.Contains(cb.body, "Zoom is installed") || !strings.Contains(cb.body, `value="beta.example" checked`) {
		t.Fatalf("callback page: %d\n%s", cb.status, cb.body)
	}
	if r := b.post("/admin/apps/zoom/domains", cb, url.Values{}); r.status != 422 || !strings.Contains(r.body, `id="domains-error"`) {
		t.Errorf("no domain chosen: %d", r.status)
	}
	if r := b.post("/admin/apps/zoom/domains", cb, url.Values{"domain": {a.domain}}); r.status != 303 {
		t.Fatalf("domains: %d %s", r.status, r.body)
	}
	if v, _ := as.apps.List(ctx, a.owner); v[0].State != store.InstallInstalled || strings.Join(v[0].Domains, ",") != a.domain {
		t.Errorf("after install: %+v", v[0])
	}
	// The same callback page signed out says it is installed, and where to
	// sign in.
	anon := as.browser()
	b2 := b.get("/admin/apps/zoom")
	add = regexp.MustCompile(`id="add" href="([^"]+)"`).FindStringSubmatch(b2.body)
	if add != nil {
		t.Errorf("an installed app offers Add")
	}

	// The default provider in one click.
	p = b.get("/admin/apps")
	if r := b.post("/admin/apps/default", p, url.Values{"provider": {"zoom"}}); r.status != 303 {
		t.Fatalf("default: %d", r.status)
	}
	if acc, _ := as.db.Account(ctx, acct); acc.DefaultVideoProvider != "zoom" {
		t.Errorf("default provider %q", acc.DefaultVideoProvider)
	}
	if p = b.get("/admin/apps"); !strings.Contains(p.body, `aria-pressed="true" id="default-zoom"`) {
		t.Errorf("the default is not shown pressed")
	}
	// Who sends invitations, in one click.
	if !strings.Contains(p.body, `aria-pressed="true" id="invitations-convene"`) {
		t.Errorf("the default invitation mode is not shown pressed")
	}
	if r := b.post("/admin/apps/invitations", p, url.Values{"invitations": {"provider"}}); r.status != 303 {
		t.Fatalf("invitations: %d", r.status)
	}
	if acc, _ := as.db.Account(ctx, acct); acc.Invitations != store.InvitationsProvider {
		t.Errorf("invitation mode %q", acc.Invitations)
	}
	if p = b.get("/admin/apps"); !strings.Contains(p.body, `aria-pressed="true" id="invitations-provider"`) {
		t.Errorf("the invitation mode is not shown pressed")
	}
	if r := b.post("/admin/apps/invitations", p, url.Values{"invitations": {"both"}}); r.status == 303 {
		t.Errorf("an unknown invitation mode was saved")
	}

	// The template editor: a preview in English and French without
	// JavaScript, a refusal naming the field and the line, then save.
	p = b.get("/admin/invitation")
	if p.status != 200 || !strings.Contains(p.body, `id="preview-en"`) || !strings.Contains(p.body, `id="preview-fr"`) ||
		!strings.Contains(p.header.Get("Content-Security-Policy"), "style-src-attr 'unsafe-inline'") {
		t.Fatalf("editor: %d %s", p.status, p.header.Get("Content-Security-Policy"))
	}
	form := url.Values{"subject": {"Meet: {{.Subject}}"}, "text": {"Join {{.JoinURL}}"}, "brand_name": {"Acme"}, "accent_color": {"#0b57d0"},
		"logo_url": {"https://cdn.acme.test/logo.png"}, "kind": {"update"}, "do": {"preview"}}
	r = b.post("/admin/invitation", p, form)
	if r.status != 200 || !strings.Contains(r.body, "Meet: ") || !strings.Contains(r.header.Get("Content-Security-Policy"), "img-src 'self' data: https://cdn.acme.test") {
		t.Errorf("preview: %d %s", r.status, r.header.Get("Content-Security-Policy"))
	}
	bad := url.Values{"text": {"Hello\n{{.Nope}}"}, "do": {"preview"}}
	r = b.post("/admin/invitation", p, bad)
	if r.status != 422 || !strings.Contains(r.body, `id="f-text-error"`) || !strings.Contains(r.body, "line 2") {
		t.Errorf("a bad template: %d\n%s", r.status, r.body)
	}
	bad.Set("do", "save")
	if r = b.post("/admin/invitation", p, bad); r.status != 422 {
		t.Errorf("saving a bad template: %d", r.status)
	}
	form.Set("do", "save")
	if r = b.post("/admin/invitation", p, form); r.status != 303 {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	tt, bb, _ := as.acc.Look(ctx, a.owner)
	if tt.Subject != "Meet: {{.Subject}}" || bb.AccentColor != "#0b57d0" || bb.LogoURL != "https://cdn.acme.test/logo.png" {
		t.Errorf("saved: %+v %+v", tt, bb)
	}

	// Users.
	p = b.get("/admin/users/new")
	r = b.post("/admin/users/new", p, url.Values{"email": {"bob@elsewhere.test"}, "user_name": {"Bob"}, "timezone": {"Europe/Paris"}, "role": {"member"}})
	if r.status != 422 || !strings.Contains(r.body, `id="f-email-error"`) {
		t.Errorf("a user outside the domains: %d", r.status)
	}
	r = b.post("/admin/users/new", p, url.Values{"email": {"bob@acme.test"}, "user_name": {"Bob"}, "timezone": {"Europe/Paris"}, "role": {"member"}})
	if r.status != 201 || !strings.Contains(r.body, `id="new-token"`) || !strings.Contains(r.body, "cvn_") {
		t.Fatalf("add a user: %d\n%s", r.status, r.body)
	}
	for _, step := range []struct {
		path   string
		values url.Values
	}{
		{"/admin/users/bob@acme.test/role", url.Values{"role": {"admin"}}},
		{"/admin/users/bob@acme.test/disable", nil},
		{"/admin/users/bob@acme.test/enable", nil},
		{"/admin/users/bob@acme.test/tokens/revoke", nil},
	} {
		if r := b.post(step.path, r, step.values); r.status != 303 {
			t.Fatalf("%s: %d %s", step.path, r.status, r.body)
		}
	}
	// The core's rule, shown: nobody disables themselves.
	p = b.get("/admin/users/ann@acme.test")
	if strings.Contains(p.body, `id="disable"`) || !strings.Contains(p.body, "This is you") {
		t.Errorf("the admin's own page offers to disable them")
	}
	if r := b.post("/admin/users/ann@acme.test/disable", p, nil); r.status != 409 || !strings.Contains(r.body, "you cannot disable yourself") {
		t.Errorf("disabling oneself: %d", r.status)
	}
	p = b.get("/admin/users/bob@acme.test/remove")
	if !strings.Contains(p.body, "the meetings they organize that have not started are cancelled") || !strings.Contains(p.body, `id="confirm"`) {
		t.Errorf("the removal page does not say what happens to the meetings:\n%s", p.body)
	}
	if r := b.post("/admin/users/bob@acme.test/remove", p, nil); r.status != 303 {
		t.Fatalf("remove: %d", r.status)
	}

	// Uninstall, after its confirmation.
	p = b.get("/admin/apps/zoom/uninstall")
	if !strings.Contains(p.body, "revokes Convene&#39;s tokens at Zoom") {
		t.Errorf("uninstall page:\n%s", p.body)
	}
	if r := b.post("/admin/apps/zoom/uninstall", p, nil); r.status != 303 {
		t.Fatalf("uninstall: %d", r.status)
	}

	// The audit log, newest first, each action with its actor and how.
	p = b.get("/admin/audit")
	var actions []string
	for _, m := range regexp.MustCompile(`data-action="([a-z_.]+)"`).FindAllStringSubmatch(p.body, -1) {
		actions = append(actions, m[1])
	}
	want := []string{account.AuditAppUninstall, account.AuditUserRemove, account.AuditTokensRevoke, account.AuditUserEnable, account.AuditUserDisable,
		account.AuditUserRole, account.AuditUserCreate, account.AuditBranding, account.AuditTemplates, account.AuditInvitations, account.AuditDefaultProvider,
		account.AuditAppDomains, account.AuditAppInstall, account.AuditAppPreApprove, account.AuditDomainVerify, account.AuditDomainAdd}
	if len(actions) < len(want) || strings.Join(actions[:len(want)], " ") != strings.Join(want, " ") {
		t.Errorf("audit log: %v\nwant first %v", actions, want)
	}
	if !strings.Contains(p.body, "web page") || !strings.Contains(p.body, "provider&#39;s consent") || !strings.Contains(p.body, "ann@acme.test") {
		t.Errorf("the audit log does not say who and how")
	}
	es, _ := as.db.AuditEntries(ctx, acct, 0, 1)
	if es[0].Via != account.ViaWeb || es[0].ActorEmail != "ann@acme.test" {
		t.Errorf("the newest entry: %+v", es[0])
	}
	_ = anon
}

// TestAdminInvitationPreviewJSON: the live preview's JSON route renders
// the preview of what it is sent, needs the session's CSRF token in
// X-CSRF-Token, and takes templates larger than the pages' usual form
// limit.
func TestAdminInvitationPreviewJSON(t *testing.T) {
	as := newAdminSite(t)
	as.tenant("Acme", "acme.test", true)
	b := as.browser()
	b.signIn("ann@acme.test", ownerPassword)
	token := csrfOf(t, b.get("/admin/invitation"))
	call := func(values url.Values, tok string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", as.srv.URL+"/admin/invitation/preview", strings.NewReader(values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		if tok != "" {
			req.Header.Set("X-CSRF-Token", tok)
		}
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		json.Unmarshal(raw, &out)
		return resp.StatusCode, out
	}
	st, out := call(url.Values{"subject": {"Live: {{.Subject}}"}}, token)
	if st != 200 || out["ok"] != true || !strings.Contains(out["html"].(string), "Live: ") || !strings.Contains(out["html"].(string), `id="preview-fr"`) {
		t.Fatalf("preview: %d %v", st, out)
	}
	st, out = call(url.Values{"html": {"<p>{{.JoinURL}}</p>\n<p>{{.Nope}}</p>"}}, token)
	if st != 200 || out["ok"] != false || !strings.Contains(out["html"].(string), "line 2") || !strings.Contains(out["html"].(string), "<strong>HTML</strong>") {
		t.Errorf("a bad template: %d %v", st, out)
	}
	if st, _ := call(url.Values{"subject": {"x"}}, ""); st != http.StatusForbidden {
		t.Errorf("without the token: %d", st)
	}
	// 100 KB of HTML: past the 64 KB of the other forms, within the
	// template's own limit.
	big := "<p>{{.JoinURL}}</p>" + strings.Repeat("<p>Agenda &amp; notes</p>\n", 4000)
	if st, out := call(url.Values{"html": {big}}, token); st != 200 || out["html"] == nil {
		t.Errorf("a large template: %d", st)
	}
}

// TestAdminMailReadRule: a mail that carries someone's sign-in link shows
// its envelope to every admin but its text only to its recipient or an
// owner (booking.Service.RawMail).
func TestAdminMailReadRule(t *testing.T) {
	as := newAdminSite(t)
	a := as.tenant("Acme", "acme.test", true)
	ctx := context.Background()
	if _, _, err := as.acc.CreateUser(ctx, a.owner, account.NewUser{Email: "adam@acme.test", Name: "Adam", Role: store.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	as.setPassword("adam@acme.test", memberPassword)
	reset := as.addMail(a.res.Account.ID, account.MailPasswordReset, "ann@acme.test")
	invite := as.addMail(a.res.Account.ID, "request", "ann@acme.test")
	admin := as.browser()
	admin.signIn("adam@acme.test", memberPassword)
	if p := admin.get("/admin/mail"); p.status != 200 || !strings.Contains(p.body, "Your password-reset") || !strings.Contains(p.body, "Your request") {
		t.Fatalf("outbox: %d", p.status)
	}
	p := admin.get("/admin/mail/" + reset)
	if p.status != 200 || strings.Contains(p.body, "The secret body") || !strings.Contains(p.body, `id="sealed"`) {
		t.Errorf("an admin reads another's reset mail: %d\n%s", p.status, p.body)
	}
	if p := admin.get("/admin/mail/" + reset + "/raw"); p.status != http.StatusForbidden {
		t.Errorf("an admin reads another's reset mail raw: %d", p.status)
	}
	if p := admin.get("/admin/mail/" + invite); !strings.Contains(p.body, "The secret body of request") {
		t.Errorf("an admin cannot read an invitation")
	}
	owner := as.browser()
	owner.signIn("ann@acme.test", ownerPassword)
	if p := owner.get("/admin/mail/" + reset + "/raw"); p.status != 200 || !strings.Contains(p.body, "The secret body of password-reset") ||
		p.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("the owner's raw view: %d %q", p.status, p.header.Get("Content-Type"))
	}
}

// TestAdminCatalog: every key the admin pages build at run time (an app's
// state, the data use of each app, an audit action, how it came, a DNS
// record's purpose, a source's status, the flash of each redirect) is in
// both catalogs.
func TestAdminCatalog(t *testing.T) {
	keys := []string{}
	for _, s := range []string{"available", store.InstallPreApproved, store.InstallInstalled, store.InstallNeedsReauthorization} {
		keys = append(keys, "apps.state."+s)
	}
	// The whole vocabulary of data use: the catalog refuses an app whose
	// facts use another word (video.NewRegistry).
	for _, p := range video.Purposes {
		keys = append(keys, "datause.purpose."+p)
	}
	for _, k := range video.KeptItems {
		keys = append(keys, "datause.kept."+k)
	}
	for _, p := range video.Protections {
		keys = append(keys, "datause.protection."+p)
	}
	for _, act := range account.AuditActions {
		keys = append(keys, "audit.action."+act)
	}
	for _, v := range []string{account.ViaAPI, account.ViaWeb, account.ViaOAuth, account.ViaOperator} {
		keys = append(keys, "audit.via."+v)
	}
	for _, p := range []string{"verification", "dkim", "spf", "dmarc"} {
		keys = append(keys, "records."+p, "records.note."+p)
	}
	for _, s := range []string{"failing", "stale", "pending", "ok"} {
		keys = append(keys, "failing_calendars.status."+s)
	}
	for _, k := range previewKinds {
		keys = append(keys, "invitation.kind."+k)
	}
	keys = append(keys, "invitation.lang.en", "invitation.lang.fr")
	for _, f := range invitationFields {
		keys = append(keys, invitationLabel(f))
	}
	for _, sec := range adminSections {
		keys = append(keys, sec.key)
	}
	// The flash of every redirect of the admin pages.
	flash := regexp.MustCompile(`seeOther\([^,]+, "([a-z_]+)"\)`)
	files, _ := os.ReadDir(".")
	n := 0
	for _, f := range files {
		if !strings.HasPrefix(f.Name(), "admin") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f.Name())
		for _, m := range flash.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, "flash."+m[1])
			n++
		}
	}
	if n < 10 {
		t.Errorf("only %d redirects found: the scan is broken", n)
	}
	for _, k := range keys {
		if _, ok := messagesEN[k]; !ok {
			t.Errorf("English lacks %q", k)
		}
		if _, ok := messagesFR[k]; !ok {
			t.Errorf("French lacks %q", k)
		}
	}
}

// FuzzLogoSource: whatever the logo URL saved in the branding, what the
// editor adds to its Content-Security-Policy is one source expression
// (scheme://host[:port]) or nothing: no space, semicolon, quote or
// wildcard that would widen the policy.
func FuzzLogoSource(f *testing.F) {
	for _, s := range []string{"https://cdn.acme.test/logo.png", "http://127.0.0.1:8080/x.png", "https://a.test; script-src *", "javascript:alert(1)",
		"https://*.test/x", "https://user:pw@host.test/x", "//host.test/x", "https://[::1]/x", "https://h.test:99999/x", "HTTPS://UPPER.TEST/"} {
		f.Add(s)
	}
	source := regexp.MustCompile(`^https?://[a-z0-9.-]+(:[0-9]{1,5})?$`)
	f.Fuzz(func(t *testing.T, raw string) {
		got := logoSource(raw)
		if got != "" && !source.MatchString(got) {
			t.Fatalf("logoSource(%q) = %q", raw, got)
		}
	})
}

// TestAdminStatusPages: the received mail with the verdict on each
// sender and why; an app that needs re-authorization as a banner with
// its button, on the overview and the app's page; a failing calendar
// source with its URL redacted.
func TestAdminStatusPages(t *testing.T) {
	as := newAdminSite(t)
	a := as.tenant("Acme", "acme.test", true)
	ctx := context.Background()
	acct := a.res.Account.ID
	verdict := `{"from":"mallory@evil.test","domain":"evil.test","pass":false,"reason":"DMARC fails","spf":{"result":"fail","aligned":false},"dmarc":{"result":"fail"}}`
	if _, err := as.db.AddInboxMessage(ctx, &store.InboxMessage{ID: "in_1", AccountID: acct, MessageKey: "<x@evil.test>", Source: "smtp",
		Recipient: "assistant@acme.test", HeaderFrom: "mallory@evil.test", Subject: "Meet me", Size: 10, Raw: []byte("x"),
		Status: store.InboxRejected, Verdict: []byte(verdict), Reason: "the sender is not a user of the account", Received: as.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	now := as.clock.Now()
	if err := as.db.SaveInstall(ctx, &store.Install{AccountID: acct, App: "zoom", State: store.InstallNeedsReauthorization,
		Problem: "Zoom refused the refresh token", Domains: []string{a.domain}, Created: now, Updated: now}); err != nil {
		t.Fatal(err)
	}
	u, _ := as.db.UserByEmail(ctx, acct, a.memberEmail)
	c := &store.Calendar{ID: "cal_1", AccountID: acct, UserID: u.ID, Kind: store.CalendarICS, Name: "Work", Problem: "404 at https://cal.test/private-abcdef0123456789/x.ics",
		URL: "https://cal.test/private-abcdef0123456789/x.ics?key=s3cret", ProblemSince: now, Created: now, Updated: now}
	if err := as.db.CreateCalendar(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := as.db.SaveCalendarSync(ctx, c); err != nil {
		t.Fatal(err)
	}
	b := as.browser()
	b.signIn("ann@acme.test", ownerPassword)
	p := b.get("/admin/inbox")
	for _, want := range []string{"mallory@evil.test", "sender not proven", "SPF fail", "DMARC fail", "the sender is not a user of the account"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the inbox lacks %q", want)
		}
	}
	for _, path := range []string{"/admin", "/admin/apps/zoom"} {
		p := b.get(path)
		if !strings.Contains(p.body, `class="banner" role="alert"`) || !strings.Contains(p.body, "Zoom needs re-authorization") ||
			!strings.Contains(p.body, "Zoom refused the refresh token") || !strings.Contains(p.body, ">Re-authorize</a>") {
			t.Errorf("%s: no re-authorization banner:\n%s", path, p.body)
		}
	}
	if p := b.get("/admin/apps/zoom"); !strings.Contains(p.body, `id="reauthorize" href="/admin/apps/zoom/add?csrf=`) {
		t.Errorf("the re-authorize button does not start the install again")
	}
	p = b.get("/admin/calendars")
	if !strings.Contains(p.body, "https://cal.test/…/x.ics") || strings.Contains(p.body, "s3cret") || strings.Contains(p.body, "abcdef0123456789") ||
		!strings.Contains(p.body, "Max Acme") {
		t.Errorf("failing sources:\n%s", p.body)
	}
	if p := b.get("/admin"); !strings.Contains(p.body, "1 calendar source(s) need attention.") {
		t.Errorf("the overview does not count the failing source")
	}
}

// TestAdminDKIMRotationPages: Rotate, a refused Activate while the record
// is missing (the page again, with DNS's answer), Activate once it is
// published, the replaced key listed with its date; in English and
// French.
func TestAdminDKIMRotationPages(t *testing.T) {
	as := newAdminSite(t)
	a := as.tenant("Acme", "acme.test", true)
	ctx := context.Background()
	b := as.browser()
	b.signIn("ann@acme.test", ownerPassword)
	p := b.get("/admin/domains")
	if !strings.Contains(p.body, `id="dkim-rotate-0"`) || strings.Contains(p.body, `id="dkim-activate-0"`) {
		t.Fatalf("domains page before a rotation:\n%s", p.body)
	}
	if r := b.post("/admin/domains/acme.test/dkim/rotate", p, nil); r.status != 303 {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	p = b.get("/admin/domains")
	if !strings.Contains(p.body, `id="dkim-activate-0"`) || strings.Contains(p.body, `id="dkim-rotate-0"`) ||
		!strings.Contains(p.body, `id="d0-dkim-convene2-value"`) || !strings.Contains(p.body, "new, not in use yet") {
		t.Fatalf("domains page while pending:\n%s", p.body)
	}
	if r := b.post("/admin/domains/acme.test/dkim/activate", p, nil); r.status != 422 || !strings.Contains(r.body, "no TXT record at convene2._domainkey.acme.test") {
		t.Fatalf("activate without the record: %d %s", r.status, r.body)
	}
	// Cancelled, then started again under the next selector.
	if !strings.Contains(p.body, `id="dkim-cancel-0"`) {
		t.Fatalf("no cancel button while pending:\n%s", p.body)
	}
	if r := b.post("/admin/domains/acme.test/dkim/cancel", p, nil); r.status != 303 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	p = b.get("/admin/domains")
	if !strings.Contains(p.body, "The rotation is cancelled") || !strings.Contains(p.body, `id="dkim-rotate-0"`) ||
		strings.Contains(p.body, `id="dkim-cancel-0"`) || !strings.Contains(p.body, `class="dkim-retired"`) {
		t.Fatalf("domains page after the cancel:\n%s", p.body)
	}
	if r := b.post("/admin/domains/acme.test/dkim/cancel", p, nil); r.status != 409 {
		t.Fatalf("cancel with nothing pending: %d %s", r.status, r.body)
	}
	if r := b.post("/admin/domains/acme.test/dkim/rotate", p, nil); r.status != 303 {
		t.Fatalf("rotate again: %d %s", r.status, r.body)
	}
	p = b.get("/admin/domains")
	key, err := as.db.DKIMKey(ctx, a.res.Account.ID, "acme.test", "convene3")
	if err != nil {
		t.Fatal(err)
	}
	as.dns.SetTXT("convene3._domainkey.acme.test", dkimsign.RecordValue(key.PublicKey))
	if r := b.post("/admin/domains/acme.test/dkim/activate", p, nil); r.status != 303 {
		t.Fatalf("activate: %d %s", r.status, r.body)
	}
	p = b.get("/admin/domains")
	if !strings.Contains(p.body, `class="dkim-retiring"`) || !strings.Contains(p.body, "<time datetime=") || !strings.Contains(p.body, `id="dkim-rotate-0"`) {
		t.Fatalf("domains page after activation:\n%s", p.body)
	}
	b.header.Set("Accept-Language", "fr")
	p = b.get("/admin/domains")
	for _, want := range []string{"remplacée", "Renouveler la clé DKIM de acme.test", "Gardez cet enregistrement publié"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the French page lacks %q", want)
		}
	}
}
