package pages

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/browsertest"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/inbox"
	"github.com/convene/convene/internal/mail/dkimsign"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
	"github.com/convene/convene/internal/video/jitsi"
	"github.com/convene/convene/internal/video/zoom"
	"github.com/convene/convene/internal/zoomsandbox"
)

// adminSite is the pages with the admin pages' real core services over
// the site's store, a Zoom sandbox, and the OAuth callback served the way
// internal/web serves it.
type adminSite struct {
	*site
	apps *apps.Service
	box  *seal.Box
	zoom *httptest.Server
	dns  *dnstest.Server // the DKIM rotation's records
}

func newAdminSite(t *testing.T, more ...video.App) *adminSite {
	t.Helper()
	return newAdminSiteWith(t, func(string) video.App { return video.App{} }, nil, more...)
}

// newAdminSiteWith is newAdminSite with an app made for the site's base
// URL (skipped when its ID is empty) and organizer pages' services.
func newAdminSiteWith(t *testing.T, app func(base string) video.App, organizer func(st *site, admin AdminOptions) OrganizerOptions, more ...video.App) *adminSite {
	t.Helper()
	as := &adminSite{}
	as.site = newSite(t, siteOptions{organizer: organizer, admin: func(st *site, mux *http.ServeMux) AdminOptions {
		box, err := seal.New([]byte("0123456789abcdef0123456789abcdef"))
		if err != nil {
			t.Fatal(err)
		}
		as.box = box
		as.dns = dnstest.Start(t)
		base := "http://" + st.srv.Listener.Addr().String()
		as.zoom = httptest.NewUnstartedServer(nil)
		zbase := "http://" + as.zoom.Listener.Addr().String()
		if a := app(base); a.ID != "" {
			more = append(more, a)
		}
		st.acc.VideoApps = testCatalog(t, zbase, base, more...)
		as.apps = &apps.Service{Store: st.db, Accounts: st.acc, Box: box, Now: st.clock.Now,
			Log: slog.New(slog.DiscardHandler), Registry: st.acc.VideoApps}
		sb, err := zoomsandbox.New(zoomsandbox.Options{BaseURL: zbase, RedirectURIs: []string{base + "/oauth/zoom/callback"},
			DomainsForAuthorization: func(r *http.Request) ([]string, error) {
				return as.apps.DomainsOfState(r.Context(), r.FormValue("state"))
			}})
		if err != nil {
			t.Fatal(err)
		}
		as.zoom.Config.Handler = sb
		as.zoom.Start()
		t.Cleanup(func() { as.zoom.Close(); sb.Close() })
		// As internal/web serves the callback.
		mux.HandleFunc("GET /oauth/{app}/callback", func(w http.ResponseWriter, r *http.Request) {
			res, err := as.apps.Callback(r.Context(), r.PathValue("app"), r.URL.Query())
			st.pages.AppCallback(w, r, res, err)
		})
		return AdminOptions{Apps: as.apps, Mail: &booking.Service{Store: st.db}, Inbox: &inbox.Service{Store: st.db},
			Calendars: calendar.New(st.db, box, calendar.Options{}), MailDNS: &dkimsign.Keys{Store: st.db, Box: box,
				Resolver: account.NewResolver(as.dns.Addr), Audit: st.acc, Now: st.clock.Now}}
	}})
	return as
}

// testCatalog is the tests' catalog of video apps: Zoom at the sandbox
// zoomBase, whose consent returns to Convene at base, and Jitsi.
func testCatalog(t *testing.T, zoomBase, base string, more ...video.App) *video.Registry {
	t.Helper()
	catalog, err := video.NewRegistry(append([]video.App{
		zoom.App(zoom.Config{APIURL: zoomBase + "/v2", OAuthURL: zoomBase, ClientID: "sandbox-client", ClientSecret: "sandbox-secret",
			RedirectURL: base + "/oauth/zoom/callback"}),
		jitsi.App(jitsi.Config{})}, more...)...)
	if err != nil {
		t.Fatal(err)
	}
	return catalog
}

// tenant is an account of the admin tests: its owner (with a password),
// a verified domain and a member.
type tenant struct {
	res         *account.SetupResult
	owner       account.Principal
	domain      string
	memberEmail string
}

const memberPassword = "member horse battery"

// tenant creates an account with an owner ann@DOMAIN, DOMAIN verified (a
// reserved name, on the sandbox) and a member max@DOMAIN with a password.
func (as *adminSite) tenant(name, domain string, first bool) tenant {
	t := as.t
	t.Helper()
	ctx := context.Background()
	res, err := as.acc.Setup(ctx, account.SetupInput{Account: name, AdminEmail: "ann@" + domain, AdminName: "Ann " + name,
		TimeZone: "Europe/Paris", Password: ownerPassword}, !first)
	if err != nil {
		t.Fatal(err)
	}
	tn := tenant{res: res, domain: domain, memberEmail: "max@" + domain,
		owner: account.Principal{AccountID: res.Account.ID, UserID: res.User.ID, Email: res.User.Email, Role: store.RoleOwner}}
	if _, err := as.acc.AddDomain(ctx, tn.owner, domain); err != nil {
		t.Fatal(err)
	}
	if _, err := as.acc.VerifyDomain(ctx, tn.owner, domain); err != nil {
		t.Fatal(err)
	}
	if _, _, err := as.acc.CreateUser(ctx, tn.owner, account.NewUser{Email: tn.memberEmail, Name: "Max " + name, TimeZone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	as.setPassword(tn.memberEmail, memberPassword)
	return tn
}

// setPassword sets a user's password through a reset link, as they would.
func (as *adminSite) setPassword(email, password string) {
	t := as.t
	t.Helper()
	ctx := context.Background()
	if err := as.acc.RequestPasswordReset(ctx, email); err != nil {
		t.Fatal(err)
	}
	link := as.mail.last(t).Link
	tok := link[strings.LastIndex(link, "/")+1:]
	if _, _, err := as.acc.ResetPassword(ctx, tok, password, ""); err != nil {
		t.Fatal(err)
	}
	as.clock.Advance(16 * time.Minute) // the next reset mail is not throttled
}

// auditCount is how many audit entries the account has.
func (as *adminSite) auditCount(accountID string) int {
	as.t.Helper()
	es, err := as.db.AuditEntries(context.Background(), accountID, 0, 1000)
	if err != nil {
		as.t.Fatal(err)
	}
	return len(es)
}

// consent approves at the sandbox's consent page the authorization that
// the browser was sent to, and returns the callback it redirects to.
func (as *adminSite) consent(authorizeURL string) string {
	t := as.t
	t.Helper()
	b := browsertest.New(t)
	page := b.Get(authorizeURL)
	back := b.Submit(page, map[string]string{"decision": "approve"})
	if back.Status != http.StatusFound || !strings.Contains(back.Location, "/oauth/zoom/callback?") {
		t.Fatalf("consent: %d → %q", back.Status, back.Location)
	}
	return back.Location
}
