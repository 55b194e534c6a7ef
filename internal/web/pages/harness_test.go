package pages

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// mailbox records the account mail (reset links) the core sends.
type mailbox struct {
	mu    sync.Mutex
	mails []account.AccountMail
}

func (m *mailbox) SendAccountMail(_ context.Context, am account.AccountMail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mails = append(m.mails, am)
	return nil
}

func (m *mailbox) last(t *testing.T) account.AccountMail {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.mails) == 0 {
		t.Fatal("no mail sent")
	}
	return m.mails[len(m.mails)-1]
}

// noDNS finds no TXT record.
type noDNS struct{}

func (noDNS) LookupTXT(context.Context, string) ([]string, error) { return nil, nil }

// site is the pages over a real store, served by httptest the way
// internal/web serves them.
type site struct {
	t     *testing.T
	db    *store.DB
	acc   *account.Service
	pages *Server
	srv   *httptest.Server
	clock *clocktest.Clock
	mail  *mailbox
	limit *authlimit.Limiter
}

type siteOptions struct {
	baseURL string // default: the test server's URL
	oidc    func(redirect string) OIDCOptions
	// admin gives the admin pages' services (admin_harness_test.go).
	admin func(st *site, mux *http.ServeMux) AdminOptions
	// organizer gives the organizer pages' services, after admin.
	organizer func(st *site, admin AdminOptions) OrganizerOptions
}

const ownerPassword = "correct horse battery"

func newSite(t *testing.T, o siteOptions) *site {
	t.Helper()
	st := &site{t: t, db: storetest.Open(t, "sqlite"), clock: clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), mail: &mailbox{}}
	st.acc = account.New(st.db, noDNS{}, "")
	st.acc.Now = st.clock.Now
	st.acc.SandboxReservedNames = true
	st.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + st.srv.Listener.Addr().String()
	if o.baseURL != "" {
		base = o.baseURL
	}
	st.acc.Web = account.WebOptions{IdleTimeout: time.Hour, MaxAge: 24 * time.Hour, ResetKey: []byte("reset-key-of-the-pages-tests-012"),
		ResetURL: func(tok string) string { return base + "/reset/" + tok }, Mailer: st.mail,
		PasswordParams: account.PasswordParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
	// The tests tell clients apart by X-Forwarded-For from loopback.
	st.limit = authlimit.New(authlimit.Options{Burst: 3, Refill: time.Minute, Now: st.clock.Now,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	opts := Options{Accounts: st.acc, BaseURL: base, Key: []byte("0123456789abcdef0123456789abcdef"), AuthLimit: st.limit,
		Sandboxed: true, Version: "test", Now: st.clock.Now,
		Log: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if o.oidc != nil {
		opts.OIDC = o.oidc("http://" + st.srv.Listener.Addr().String() + oidcCallbackPath)
	}
	mux := http.NewServeMux()
	if o.admin != nil {
		opts.Admin = o.admin(st, mux)
	}
	if o.organizer != nil {
		opts.OrganizerOptions = o.organizer(st, opts.Admin)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	st.pages = p
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
	return st
}

type testLog struct{ t testing.TB }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// setup creates the account through the core, with a password.
func (st *site) setup() *account.SetupResult {
	st.t.Helper()
	res, err := st.acc.Setup(context.Background(), account.SetupInput{Account: "Acme", AdminEmail: "ann@acme.test",
		AdminName: "Ann", TimeZone: "Europe/Paris", Password: ownerPassword}, false)
	if err != nil {
		st.t.Fatal(err)
	}
	return res
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t      *testing.T
	st     *site
	jar    *cookiejar.Jar
	client *http.Client
	// from is the client address claimed in X-Forwarded-For.
	from string
	// header is added to every request.
	header http.Header
}

func (st *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: st.t, st: st, jar: jar, from: "192.0.2.1", header: http.Header{},
		client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer.
type page struct {
	status int
	header http.Header
	body   string
	url    *url.URL
}

func (b *browser) do(method, rawURL string, form url.Values) *page {
	b.t.Helper()
	if strings.HasPrefix(rawURL, "/") {
		rawURL = b.st.srv.URL + rawURL
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	req.Header.Set("X-Forwarded-For", b.from)
	for k, v := range b.header {
		req.Header[k] = v
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return &page{status: resp.StatusCode, header: resp.Header, body: string(raw), url: req.URL}
}

func (b *browser) get(path string) *page { b.t.Helper(); return b.do("GET", path, nil) }

// post submits form values to path with the CSRF token of the page the
// form was taken from.
func (b *browser) post(path string, from *page, values url.Values) *page {
	b.t.Helper()
	if values == nil {
		values = url.Values{}
	}
	if from != nil {
		values.Set(csrfField, csrfOf(b.t, from))
	}
	return b.do("POST", path, values)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOf returns the CSRF token of a page's forms.
func csrfOf(t *testing.T, p *page) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF field on %s: %s", p.url, p.body)
	}
	return html.UnescapeString(m[1])
}

// cookie returns the browser's cookie name for the site.
func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.st.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// signIn signs in with email and password and fails unless it works.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	form := b.get("/signin")
	p := b.post("/signin", form, url.Values{"email": {email}, "password": {password}})
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("sign-in of %s: %d %s", email, p.status, p.body)
	}
}

// setCookieOf returns the Set-Cookie header of a page for name.
func setCookieOf(p *page, name string) string {
	for _, v := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(v, name+"=") {
			return v
		}
	}
	return ""
}
