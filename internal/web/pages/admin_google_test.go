package pages

import (
	"context"
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
