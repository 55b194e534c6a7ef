package pages

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/browsertest"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/zoomsandbox"
)

// orgSite is the pages over the real core (accounts, calendars, booking
// with its jobs, the marketplace with the Zoom sandbox on its own
// listener), served by httptest as internal/web serves them. Its clock is
// the real one: the Zoom sandbox keeps real time.
type orgSite struct {
	*site
	bk      *booking.Service
	cals    *calendar.Service
	apps    *apps.Service
	zoom    *httptest.Server
	guests  map[string]*GuestLink // the test's guest links, by token
	booking *authlimit.Limiter
	logs    *logBuffer // what the pages and the core logged

	ann, bob, carl, eve account.Principal // ann owns Acme, bob is a member, carl an admin; eve owns Other
}

const orgMemberPassword = "member password 123"

// logBuffer keeps log lines for a test to read.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newOrgSite(t *testing.T) *orgSite {
	t.Helper()
	db := storetest.Open(t, "sqlite")
	st := &site{t: t, db: db, clock: clocktest.New(time.Now()), mail: &mailbox{}}
	o := &orgSite{site: st, guests: map[string]*GuestLink{}, logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(testLog{t}, o.logs), &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx := context.Background()
	st.acc = account.New(db, noDNS{}, "operator-token")
	st.acc.SandboxReservedNames = true
	st.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + st.srv.Listener.Addr().String()
	st.acc.Web = account.WebOptions{IdleTimeout: time.Hour, MaxAge: 24 * time.Hour, ResetKey: []byte("reset-key-of-the-pages-tests-012"),
		ResetURL: func(tok string) string { return base + "/reset/" + tok }, Mailer: st.mail,
		PasswordParams: account.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
	st.limit = authlimit.New(authlimit.Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	o.booking = authlimit.New(authlimit.Options{Burst: bookingBurst, Refill: bookingRefill,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	key := make([]byte, 32)
	rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	// Zoom: the sandbox on its own listener, as real Zoom would be.
	o.zoom = httptest.NewUnstartedServer(nil)
	zurl := "http://" + o.zoom.Listener.Addr().String()
	st.acc.VideoApps = testCatalog(t, zurl, base)
	o.apps = &apps.Service{Store: db, Accounts: st.acc, Box: box, Log: log, Now: time.Now, Registry: st.acc.VideoApps}
	sb, err := zoomsandbox.New(zoomsandbox.Options{BaseURL: zurl, RedirectURIs: []string{base + "/oauth/zoom/callback"},
		DomainsForAuthorization: func(r *http.Request) ([]string, error) {
			return o.apps.DomainsOfState(r.Context(), r.FormValue("state"))
		},
		Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	o.zoom.Config.Handler = sb
	o.zoom.Start()
	t.Cleanup(func() { o.zoom.Close(); sb.Close() })
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	q := jobs.New(db, jobs.Options{Log: log})
	o.cals = calendar.New(db, box, calendar.Options{Log: log, AllowPrivate: true})
	o.bk = &booking.Service{Store: db, Accounts: st.acc, Apps: o.apps, Jobs: q, Box: box, Calendars: o.cals,
		Composer: booking.InviteComposer{Now: time.Now}, BaseURL: base, Log: log, Now: time.Now}
	o.apps.Notify = o.bk.NotifyAdmins
	o.bk.Register(q)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	p, err := New(Options{Accounts: st.acc, BaseURL: base, Key: []byte("0123456789abcdef0123456789abcdef"), AuthLimit: st.limit,
		Sandboxed: true, Version: "test", Log: log,
		OrganizerOptions: OrganizerOptions{Booking: o.bk, Calendars: o.cals, BookingLimit: o.booking,
			GuestLinks: &GuestLinks{Pattern: "/test-guest/{token}", Verify: func(r *http.Request) (*GuestLink, error) {
				if l, ok := o.guests[r.PathValue("token")]; ok {
					if strings.HasPrefix(r.PathValue("token"), "expired-") {
						return l, ErrGuestLinkInvalid // known, but no longer valid
					}
					return l, nil
				}
				return nil, ErrGuestLinkInvalid
			}}}})
	if err != nil {
		t.Fatal(err)
	}
	st.pages = p
	mux := http.NewServeMux()
	for _, rt := range p.Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	st.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			p.NotFound(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	st.srv.Start()
	t.Cleanup(st.srv.Close)

	// Acme: ann (owner), bob (member), carl (admin); Other: eve.
	res := st.setup()
	o.ann = account.PrincipalOf(res.User)
	if _, err := st.acc.AddDomain(ctx, o.ann, "acme.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.acc.VerifyDomain(ctx, o.ann, "acme.test"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		p     *account.Principal
		email string
		role  store.Role
	}{{&o.bob, "bob@acme.test", store.RoleMember}, {&o.carl, "carl@acme.test", store.RoleAdmin}} {
		created, _, err := st.acc.CreateUser(ctx, o.ann, account.NewUser{Email: u.email, Name: strings.Split(u.email, "@")[0], TimeZone: "Europe/Paris", Role: u.role})
		if err != nil {
			t.Fatal(err)
		}
		*u.p = account.PrincipalOf(created)
		if err := st.acc.ChangePassword(ctx, *u.p, "", orgMemberPassword); err != nil {
			t.Fatal(err)
		}
	}
	other, err := st.acc.Setup(ctx, account.SetupInput{Account: "Other", AdminEmail: "eve@other.test", AdminName: "Eve", TimeZone: "UTC", Password: orgMemberPassword}, true)
	if err != nil {
		t.Fatal(err)
	}
	o.eve = account.PrincipalOf(other.User)
	return o
}

// installZoom installs Zoom for Acme the way an admin does: pre-approve,
// install, the sandbox's consent page, the callback; then makes it the
// account's default provider.
func (o *orgSite) installZoom() {
	o.t.Helper()
	ctx := context.Background()
	if _, err := o.apps.PreApprove(ctx, o.ann, "zoom"); err != nil {
		o.t.Fatal(err)
	}
	res, err := o.apps.Install(ctx, o.ann, "zoom", []string{"acme.test"})
	if err != nil {
		o.t.Fatal(err)
	}
	b := browsertest.New(o.t)
	consent := b.Get(res.AuthorizeURL)
	back := b.Submit(consent, map[string]string{"decision": "approve"})
	u, err := url.Parse(back.Location)
	if err != nil || back.Status != http.StatusFound {
		o.t.Fatalf("consent: %d %q", back.Status, back.Location)
	}
	if _, err := o.apps.Callback(ctx, "zoom", u.Query()); err != nil {
		o.t.Fatal(err)
	}
	acct, err := o.db.Account(ctx, o.ann.AccountID)
	if err != nil {
		o.t.Fatal(err)
	}
	acct.DefaultVideoProvider = "zoom"
	if err := o.db.UpdateAccount(ctx, acct); err != nil {
		o.t.Fatal(err)
	}
}

// signedIn returns a browser signed in as email.
func (o *orgSite) signedIn(email, password string) *browser {
	o.t.Helper()
	b := o.browser()
	b.signIn(email, password)
	return b
}

// nextMonday is 10:00 next Monday in Paris: a time in everyone's working
// hours, at least two days away.
func nextMonday(h int) time.Time {
	paris, _ := time.LoadLocation("Europe/Paris")
	d := startOfDay(time.Now().In(paris)).AddDate(0, 0, 2)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Add(time.Duration(h) * time.Hour)
}

// book books a meeting through the core as p.
func (o *orgSite) book(p account.Principal, in booking.Request) *booking.View {
	o.t.Helper()
	v, err := o.bk.Create(context.Background(), p, in)
	if err != nil {
		o.t.Fatal(err)
	}
	return v
}

// outboxLink returns the link of the newest page-request mail to email.
func (o *orgSite) outboxLink(email string) string {
	o.t.Helper()
	ms, err := o.db.Mails(context.Background(), o.ann.AccountID, "", 100)
	if err != nil {
		o.t.Fatal(err)
	}
	for _, m := range ms {
		if m.Kind != booking.MailPageRequest || m.Recipients[0] != email {
			continue
		}
		e, err := message.Read(strings.NewReader(string(m.Raw)))
		if err != nil {
			o.t.Fatal(err)
		}
		body, _ := io.ReadAll(e.Body)
		if l := regexp.MustCompile(regexp.QuoteMeta(o.srv.URL) + `/u/\S+/confirm/\S+`).FindString(string(body)); l != "" {
			return l
		}
	}
	o.t.Fatalf("no confirmation mail to %s", email)
	return ""
}

// countMails counts the page-request mails in the outbox.
func (o *orgSite) countMails(kind string) int {
	o.t.Helper()
	ms, err := o.db.Mails(context.Background(), o.ann.AccountID, "", 1000)
	if err != nil {
		o.t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		if m.Kind == kind {
			n++
		}
	}
	return n
}

// postJSON posts a form to a JSON route with the X-CSRF-Token header.
func (b *browser) postJSON(path, token string, values url.Values) (int, map[string]string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.st.srv.URL+path, strings.NewReader(values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("X-CSRF-Token", token)
	}
	req.Header.Set("X-Forwarded-For", b.from)
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]string
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
