package pages

import (
	"context"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/video"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/googlesandbox"
	"github.com/convene/convene/internal/googlesandbox/googlesandboxtest"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video/google"
)

// TestAdminServiceAccountKey: Google Workspace's page asks for the service
// account's key (not a consent link), names the scopes to delegate, and
// installs with a good key; a key whose delegation lacks a scope is
// refused with the client ID and the scopes, and the key is never shown
// back.
func TestAdminServiceAccountKey(t *testing.T) {
	sb := googlesandboxtest.Start(t, googlesandbox.Options{})
	as := newAdminSite(t, google.App(google.Config{CalendarURL: sb.CalendarURL(), TokenURL: sb.TokenURL()}))
	a := as.tenant("Acme", "acme.test", true)
	b := as.browser()
	b.signIn("ann@acme.test", ownerPassword)
	p := b.get("/admin/apps/google_meet")
	if r := b.post("/admin/apps/google_meet/pre-approve", p, nil); r.status != 303 {
		t.Fatalf("pre-approve: %d", r.status)
	}
	p = b.get("/admin/apps/google_meet")
	if p.status != 200 || !strings.Contains(p.body, `name="service_account_key"`) || !strings.Contains(p.body, google.ScopeEventsOwned) ||
		strings.Contains(p.body, `id="add"`) {
		t.Fatalf("the page does not ask for the key: %d\n%s", p.status, p.body)
	}
	// A delegation without the free/busy scope.
	short := sb.Key("acme.test", google.ScopeEventsOwned)
	r := b.post("/admin/apps/google_meet/key", p, url.Values{"service_account_key": {string(short)}})
	if r.status != 422 || !strings.Contains(r.body, google.ScopeFreeBusy) || strings.Contains(r.body, "PRIVATE KEY") {
		t.Fatalf("a delegation without a scope: %d\n%s", r.status, r.body)
	}
	if r := b.post("/admin/apps/google_meet/key", p, url.Values{"service_account_key": {`{"type":"authorized_user"}`}}); r.status != 422 {
		t.Fatalf("not a service account: %d", r.status)
	}
	good := sb.Key("acme.test", google.Scopes...)
	if r := b.post("/admin/apps/google_meet/key", p, url.Values{"service_account_key": {string(good)}}); r.status != 303 {
		t.Fatalf("a good key: %d\n%s", r.status, r.body)
	}
	in, err := as.db.Install(context.Background(), a.res.Account.ID, google.ID)
	if err != nil || in.State != store.InstallInstalled || in.Credentials == "" || strings.Contains(in.Credentials, "PRIVATE") {
		t.Fatalf("install %+v %v", in, err)
	}
}

// TestAdminPersonalMode: Google's page offers personal-account mode beside
// the key (French and English); installing in that mode asks no key and
// the page shows the mode and how many users connected.
func TestAdminPersonalMode(t *testing.T) {
	sb := googlesandboxtest.Start(t, googlesandbox.Options{})
	as := newAdminSite(t, google.App(google.Config{CalendarURL: sb.CalendarURL(), TokenURL: sb.TokenURL(),
		Personal: google.Personal{ClientID: "cid", ClientSecret: "cs", AuthURL: sb.URL + "/o/oauth2/v2/auth", Issuer: sb.URL,
			RevokeURL: sb.URL + "/revoke", RedirectURL: "http://convene.test/oauth/google_meet/callback"}}))
	a := as.tenant("Acme", "acme.test", true)
	b := as.browser()
	b.signIn("ann@acme.test", ownerPassword)
	p := b.get("/admin/apps/google_meet")
	b.post("/admin/apps/google_meet/pre-approve", p, nil)
	p = b.get("/admin/apps/google_meet")
	if !strings.Contains(p.body, `action="/admin/apps/google_meet/personal"`) || !strings.Contains(p.body, "personal-account mode") {
		t.Fatalf("no personal-account mode offered:\n%s", p.body)
	}
	if r := b.post("/admin/apps/google_meet/personal", p, nil); r.status != 303 {
		t.Fatalf("install in personal mode: %d\n%s", r.status, r.body)
	}
	in, err := as.db.Install(context.Background(), a.res.Account.ID, google.ID)
	if err != nil || in.State != store.InstallInstalled || in.Mode != "personal" || in.Credentials != "" {
		t.Fatalf("install %+v %v", in, err)
	}
	p = b.get("/admin/apps/google_meet")
	if !strings.Contains(p.body, "personal-account mode, 0 users connected") {
		t.Errorf("the page does not show the mode:\n%s", p.body)
	}
}

// personalGoogleSite is a site whose Google app has its personal-account
// mode at a Google sandbox, installed so for an account whose member Max
// is signed in in the browser it returns.
func personalGoogleSite(t *testing.T) (*adminSite, *googlesandboxtest.Sandbox, tenant, *browser) {
	t.Helper()
	sb := googlesandboxtest.Start(t, googlesandbox.Options{})
	var as *adminSite
	as = &adminSite{}
	app := func(base string) video.App {
		return google.App(google.Config{CalendarURL: sb.CalendarURL(), TokenURL: sb.TokenURL(),
			Personal: google.Personal{ClientID: "cid", ClientSecret: "cs", AuthURL: sb.URL + "/o/oauth2/v2/auth", Issuer: sb.URL,
				RevokeURL: sb.URL + "/revoke", RedirectURL: base + "/oauth/google_meet/callback"}})
	}
	as = newAdminSiteWith(t, app, func(st *site, admin AdminOptions) OrganizerOptions {
		cals := calendar.New(st.db, as.box, calendar.Options{Apps: admin.Apps, Registry: st.acc.VideoApps})
		return OrganizerOptions{Calendars: cals, Booking: &booking.Service{Store: st.db, Accounts: st.acc, Apps: admin.Apps, Calendars: cals}}
	})
	base := "http://" + as.srv.Listener.Addr().String()
	if err := sb.RegisterOAuthClient(googlesandbox.OAuthClient{ID: "cid", Secret: "cs", RedirectURIs: []string{base + "/oauth/google_meet/callback"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.AddAccount("max.perso@gmail.com", "Max"); err != nil {
		t.Fatal(err)
	}
	a := as.tenant("Acme", "acme.test", true)
	if _, err := as.apps.PreApprove(context.Background(), a.owner, google.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := as.apps.InstallPersonal(context.Background(), a.owner, google.ID, []string{"acme.test"}); err != nil {
		t.Fatal(err)
	}
	b := as.browser()
	b.signIn(a.memberEmail, memberPassword)
	return as, sb, a, b
}

// connectMax connects Max's personal Google account from his calendars
// page, through the sandbox's consent page, and returns the page after.
func connectMax(t *testing.T, sb *googlesandboxtest.Sandbox, b *browser) *page {
	t.Helper()
	p := b.get("/calendars")
	if p.status != 200 || !strings.Contains(p.body, `action="/calendars/apps/google_meet/connect"`) || !strings.Contains(p.body, "Google Workspace: not connected") {
		t.Fatalf("calendars page: %d\n%s", p.status, p.body)
	}
	r := b.post("/calendars/apps/google_meet/connect", p, nil)
	loc, _ := url.Parse(r.header.Get("Location"))
	if r.status != 303 || !strings.HasPrefix(loc.String(), sb.URL+"/o/oauth2/v2/auth?") || loc.Query().Get("code_challenge_method") != "S256" {
		t.Fatalf("connect: %d %s", r.status, loc)
	}
	// Google's consent, as the browser would post it.
	form := url.Values{"email": {"max.perso@gmail.com"}, "decision": {"allow"}, "granted": {google.ScopeEventsOwned, google.ScopeFreeBusy}}
	for k, v := range loc.Query() {
		form[k] = v
	}
	resp, err := noFollowClient.PostForm(sb.URL+"/o/oauth2/v2/auth", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb := b.get(resp.Header.Get("Location"))
	if cb.status != 303 || cb.header.Get("Location") != "/calendars" {
		t.Fatalf("callback: %d %s\n%s", cb.status, cb.header.Get("Location"), cb.body)
	}
	return b.get("/calendars")
}

// TestCalendarsPageConnection: on a personal-mode install, the member's
// calendars page offers to connect their Google account; the button sends
// the browser to Google's consent page (PKCE, state), and back at the
// callback the page shows the account connected, with a disconnect button
// that revokes it; French too.
func TestCalendarsPageConnection(t *testing.T) {
	_, sb, _, b := personalGoogleSite(t)
	p := connectMax(t, sb, b)
	if !strings.Contains(p.body, "Google Workspace: connected as max.perso@gmail.com") || !strings.Contains(p.body, `action="/calendars/apps/google_meet/disconnect"`) {
		t.Fatalf("after connecting:\n%s", p.body)
	}
	b.header.Set("Accept-Language", "fr")
	if fr := b.get("/calendars"); !strings.Contains(fr.body, "connecté en tant que max.perso@gmail.com") {
		t.Errorf("French page:\n%s", fr.body)
	}
	b.header.Del("Accept-Language")
	if r := b.post("/calendars/apps/google_meet/disconnect", p, nil); r.status != 303 {
		t.Fatalf("disconnect: %d", r.status)
	}
	if p = b.get("/calendars"); !strings.Contains(p.body, "Your account is disconnected: Convene&#39;s access was revoked") {
		t.Errorf("after disconnecting:\n%s", p.body)
	}
}

var noFollowClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestAdminConnectionsPage: on Google's page in personal-account mode, the
// admin sees each user's connection (the Google address, its state, when)
// with a Revoke button; the button (a form with the page's CSRF token)
// revokes it at the Google sandbox and forgets it, and the page says so;
// French too. A post without the CSRF token, or by a member, does nothing.
func TestAdminConnectionsPage(t *testing.T) {
	as, sb, a, maxB := personalGoogleSite(t)
	ann := a.owner.Email
	b := as.browser()
	b.signIn(ann, ownerPassword)
	p := b.get("/admin/apps/google_meet")
	if !strings.Contains(p.body, "No user has connected an account yet.") || strings.Contains(p.body, `id="connections"`) {
		t.Fatalf("before any connection:\n%s", p.body)
	}
	connectMax(t, sb, maxB)
	p = b.get("/admin/apps/google_meet")
	action := `action="/admin/apps/google_meet/connections/` + a.memberEmail + `/revoke"`
	if !strings.Contains(p.body, `<tr data-user="`+a.memberEmail+`"><td>`+a.memberEmail+`</td><td>max.perso@gmail.com</td><td>Active`) || !strings.Contains(p.body, action) ||
		!strings.Contains(p.body, "personal-account mode, 1 users connected") || !strings.Contains(p.body, "<td>Not since connected</td>") {
		t.Fatalf("the connections:\n%s", p.body)
	}
	b.header.Set("Accept-Language", "fr")
	if fr := b.get("/admin/apps/google_meet"); !strings.Contains(fr.body, "Connexions des utilisateurs") || !strings.Contains(fr.body, ">Révoquer</button>") ||
		!strings.Contains(fr.body, "<td>Pas depuis la connexion</td>") {
		t.Errorf("French page:\n%s", fr.body)
	}
	b.header.Del("Accept-Language")
	// Once Google renews the tokens, the row says when.
	grants, err := as.db.GrantsOfAppPage(context.Background(), a.res.Account.ID, google.ID, "", 10)
	if err != nil || len(grants) != 1 {
		t.Fatalf("grants %+v %v", grants, err)
	}
	g := grants[0]
	renewed := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	if ok, err := as.db.SwapGrantTokens(context.Background(), g.AccountID, g.App, g.UserID, g.TokenVersion, g.AccessToken, g.RefreshToken, g.TokenExpires, renewed); !ok || err != nil {
		t.Fatalf("renewal %v %v", ok, err)
	}
	if p := b.get("/admin/apps/google_meet"); !strings.Contains(p.body, `<td><time datetime="2026-03-02T`) || strings.Contains(p.body, "Not since connected") {
		t.Errorf("after a renewal:\n%s", p.body)
	}
	revoked := func() bool {
		var out struct {
			Grants []struct {
				Revoked bool `json:"revoked"`
			} `json:"grants"`
		}
		sb.Control("GET", "/grants?email=max.perso%40gmail.com", nil, 200, &out)
		if len(out.Grants) == 0 {
			t.Fatal("no grant at the sandbox")
		}
		return out.Grants[0].Revoked
	}
	// Without the CSRF token; by the member (Max, with his own page's
	// token): refused, nothing revoked.
	if r := b.post("/admin/apps/google_meet/connections/"+a.memberEmail+"/revoke", nil, nil); r.status != 403 {
		t.Errorf("without the CSRF token: %d", r.status)
	}
	mp := maxB.get("/calendars")
	if r := maxB.post("/admin/apps/google_meet/connections/"+a.memberEmail+"/revoke", mp, nil); r.status != 403 {
		t.Errorf("by a member: %d", r.status)
	}
	if revoked() {
		t.Fatal("revoked by a refused post")
	}
	r := b.post("/admin/apps/google_meet/connections/"+a.memberEmail+"/revoke", p, nil)
	if r.status != 303 || r.header.Get("Location") != "/admin/apps/google_meet" {
		t.Fatalf("revoke: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	if !revoked() {
		t.Error("not revoked at the sandbox")
	}
	p = b.get("/admin/apps/google_meet")
	if !strings.Contains(p.body, "The connection is revoked at the provider and forgotten; the user is told by mail.") || strings.Contains(p.body, action) {
		t.Errorf("after revoking:\n%s", p.body)
	}
	if p := maxB.get("/calendars"); !strings.Contains(p.body, "Google Workspace: not connected") {
		t.Errorf("Max's page after the revocation:\n%s", p.body)
	}
}
