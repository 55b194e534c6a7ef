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

// TestCalendarsPageConnection: on a personal-mode install, the member's
// calendars page offers to connect their Google account; the button sends
// the browser to Google's consent page (PKCE, state), and back at the
// callback the page shows the account connected, with a disconnect button
// that revokes it; French too.
func TestCalendarsPageConnection(t *testing.T) {
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
	p = b.get("/calendars")
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
