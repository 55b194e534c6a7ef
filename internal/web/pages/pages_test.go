package pages

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/store"
)

// TestSecurityHeaders: every answer of the pages (pages, redirects, static
// files, errors) carries the security headers, the policy allows no inline
// script or style, and no page has any.
func TestSecurityHeaders(t *testing.T) {
	st := newSite(t, siteOptions{})
	b := st.browser()
	var pagesSeen []*page
	for _, path := range []string{"/", "/setup", "/signin", "/reset", "/reset/not-a-token", "/static/convene.css", "/static/convene.js", "/no-such-page"} {
		p := b.get(path)
		pagesSeen = append(pagesSeen, p)
		csp := p.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q allows inline code", path, csp)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("X-Frame-Options") != "DENY" || p.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, p.header)
		}
		if strings.HasPrefix(p.header.Get("Content-Type"), "text/html") && p.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: a page without Cache-Control: no-store", path)
		}
	}
	if p := pagesSeen[len(pagesSeen)-1]; p.status != http.StatusNotFound || !strings.Contains(p.body, "Page not found") {
		t.Errorf("unknown page: %d %s", p.status, p.body)
	}
	if p := pagesSeen[4]; p.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("the reset page sends a Referer: %q", p.header.Get("Referrer-Policy"))
	}
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	for _, p := range pagesSeen {
		if strings.HasPrefix(p.header.Get("Content-Type"), "text/html") && inline.MatchString(p.body) {
			t.Errorf("%s has inline script or style: %q", p.url.Path, inline.FindString(p.body))
		}
	}
	if p := b.get("/static/convene.css?v=" + st.pages.static.files["convene.css"].hash); !strings.Contains(p.header.Get("Cache-Control"), "immutable") ||
		!strings.HasPrefix(p.header.Get("Content-Type"), "text/css") {
		t.Errorf("the stylesheet: %v", p.header)
	}
	b.header.Set("Strict-Transport-Security", "")
	if b.get("/signin").header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS over http")
	}
}

// TestFirstRun: with no account, / leads to the setup page; setting up
// signs the owner in (an HttpOnly, SameSite=Lax session cookie) and lands
// on the dashboard; the setup page is then gone.
func TestFirstRun(t *testing.T) {
	st := newSite(t, siteOptions{})
	b := st.browser()
	if p := b.get("/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/setup" {
		t.Fatalf("/ with no account: %d %q", p.status, p.header.Get("Location"))
	}
	form := b.get("/setup")
	if form.status != 200 || !strings.Contains(form.body, `<option selected>UTC</option>`) || !strings.Contains(form.body, "<option>Europe/Paris</option>") ||
		!strings.Contains(form.body, "data-tz-detect") || !strings.Contains(form.body, "Built-in Zoom sandbox") {
		t.Fatalf("setup page: %d %s", form.status, form.body)
	}
	values := url.Values{"account": {"Acme"}, "admin_name": {"Ann"}, "admin_email": {"ann@acme.test"},
		"password": {ownerPassword}, "password_confirm": {"something else"}, "timezone": {"Europe/Paris"}}
	p := b.post("/setup", form, values)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "The two passwords differ") ||
		!strings.Contains(p.body, `value="Acme"`) || strings.Contains(p.body, ownerPassword) || !strings.Contains(p.body, "<option selected>Europe/Paris</option>") {
		t.Fatalf("mismatched passwords: %d %s", p.status, p.body)
	}
	values.Set("password_confirm", ownerPassword)
	values.Set("admin_email", "Ann <ann@acme.test>")
	p = b.post("/setup", p, values)
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `aria-invalid="true" aria-describedby="f-admin_email-error"`) {
		t.Fatalf("bad address: %d %s", p.status, p.body)
	}
	values.Set("admin_email", "ann@acme.test")
	values.Set("password", "short")
	values.Set("password_confirm", "short")
	if p = b.post("/setup", p, values); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "Use at least 10 characters") {
		t.Fatalf("short password: %d %s", p.status, p.body)
	}
	values.Set("password", ownerPassword)
	values.Set("password_confirm", ownerPassword)
	p = b.post("/setup", p, values)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		t.Fatalf("setup: %d %s", p.status, p.body)
	}
	sc := setCookieOf(p, "convene_session")
	if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || strings.Contains(sc, "Secure") ||
		!strings.Contains(sc, "Path=/") || !strings.Contains(sc, "Max-Age=86400") {
		t.Errorf("session cookie: %q", sc)
	}
	home := b.get("/")
	if home.status != 200 || !strings.Contains(home.body, "Welcome, Ann") || !strings.Contains(home.body, "Convene is set up, and you are signed in.") ||
		!strings.Contains(home.body, `role="status"`) {
		t.Fatalf("dashboard: %d %s", home.status, home.body)
	}
	if again := b.get("/"); strings.Contains(again.body, "Convene is set up") {
		t.Error("the flash message shows twice")
	}
	// The owner has a password and no API token: they sign in instead.
	u, err := st.db.FindUserByEmail(context.Background(), "ann@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	if toks, _ := st.db.Tokens(context.Background(), u.AccountID, u.ID); len(toks) != 0 {
		t.Errorf("a setup through the page issued %d API tokens", len(toks))
	}
	if a, _ := st.db.Account(context.Background(), u.AccountID); a.Language != "en" || u.TimeZone != "Europe/Paris" {
		t.Errorf("account %+v, user zone %s", a, u.TimeZone)
	}
	// Setup is done: the page sends everyone on.
	if p := b.get("/setup"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
		t.Errorf("setup page after setup (signed in): %d %q", p.status, p.header.Get("Location"))
	}
	other := st.browser()
	if p := other.get("/setup"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
		t.Errorf("setup page after setup: %d %q", p.status, p.header.Get("Location"))
	}
	if p := other.get("/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
		t.Errorf("/ after setup: %d %q", p.status, p.header.Get("Location"))
	}
}

// TestSecureCookies: behind https, every cookie is Secure with the __Host-
// prefix, and HSTS is sent.
func TestSecureCookies(t *testing.T) {
	st := newSite(t, siteOptions{baseURL: "https://convene.test"})
	st.setup()
	b := st.browser()
	form := b.get("/signin")
	csrf := setCookieOf(form, "__Host-convene_csrf")
	if !strings.Contains(csrf, "Secure") || !strings.Contains(csrf, "HttpOnly") || !strings.Contains(csrf, "SameSite=Lax") || strings.Contains(csrf, "Domain") {
		t.Fatalf("csrf cookie behind https: %q (all: %v)", csrf, form.header.Values("Set-Cookie"))
	}
	if form.header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS behind https")
	}
	// The jar does not send Secure cookies over the test's http: send the
	// cookie by hand, as a browser would over https (the origin is the
	// base URL's).
	b.header.Set("Cookie", strings.SplitN(csrf, ";", 2)[0])
	b.header.Set("Origin", "https://convene.test")
	p := b.post("/signin", form, url.Values{"email": {"ann@acme.test"}, "password": {ownerPassword}})
	sc := setCookieOf(p, "__Host-convene_session")
	if p.status != http.StatusSeeOther || !strings.Contains(sc, "Secure") || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
		t.Fatalf("session cookie behind https: %d %q %s", p.status, sc, p.body)
	}
}

// TestCSRF: a form is refused without this browser's token, with another
// browser's or session's token, and from another origin, even with the
// right token; nothing is done.
func TestCSRF(t *testing.T) {
	st := newSite(t, siteOptions{})
	st.setup()
	refused := func(what string, p *page) {
		t.Helper()
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "reload the page") {
			t.Errorf("%s: %d %s", what, p.status, p.body)
		}
		if setCookieOf(p, "convene_session") != "" {
			t.Errorf("%s: a session was opened", what)
		}
	}
	good := url.Values{"email": {"ann@acme.test"}, "password": {ownerPassword}}

	b := st.browser()
	form := b.get("/signin")
	refused("no token", b.do("POST", "/signin", good))
	refused("a made-up token", b.do("POST", "/signin", url.Values{"email": good["email"], "password": good["password"], "csrf": {"forged"}}))
	other := st.browser()
	otherForm := other.get("/signin")
	refused("another browser's token", b.post("/signin", otherForm, good))
	b.header.Set("Sec-Fetch-Site", "cross-site")
	refused("cross-site with the right token", b.post("/signin", form, good))
	b.header.Del("Sec-Fetch-Site")
	b.header.Set("Origin", "http://evil.example")
	refused("another origin with the right token", b.post("/signin", form, good))
	b.header.Del("Origin")
	if p := b.post("/signin", form, good); p.status != http.StatusSeeOther {
		t.Fatalf("the right token from the same origin: %d %s", p.status, p.body)
	}

	// Signed in, the token is the session's: the pre-sign-in token and
	// another session's token are refused.
	home := b.get("/")
	refused("the pre-sign-in token after sign-in", b.post("/signout", form, nil))
	other.signIn("ann@acme.test", ownerPassword)
	refused("another session's token", b.post("/signout", other.get("/"), nil))
	if p := b.get("/"); p.status != 200 || !strings.Contains(p.body, "Welcome") {
		t.Fatal("a refused sign-out signed out")
	}
	if p := b.post("/signout", home, nil); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
		t.Fatalf("sign-out: %d %s", p.status, p.body)
	}
	if p := b.get("/"); p.status != http.StatusSeeOther {
		t.Errorf("still signed in after sign-out: %d", p.status)
	}
	// An oversized form is refused before anything is read into memory.
	big := url.Values{"csrf": {csrfOf(t, form)}, "email": {strings.Repeat("a", 100<<10)}}
	if p := b.do("POST", "/signin", big); p.status != http.StatusBadRequest {
		t.Errorf("oversized form: %d", p.status)
	}
}

// TestSignInThrottled: failed sign-ins count per client address; past the
// burst the address waits (429, Retry-After) before the password is even
// checked, while another address still signs in; the wait ends.
func TestSignInThrottled(t *testing.T) {
	st := newSite(t, siteOptions{})
	st.setup()
	b := st.browser()
	form := b.get("/signin")
	bad := url.Values{"email": {"ann@acme.test"}, "password": {"not the password"}}
	for i := 0; i < 3; i++ {
		p := b.post("/signin", form, bad)
		if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Wrong e-mail address or password.") || !strings.Contains(p.body, `role="alert"`) {
			t.Fatalf("failure %d: %d %s", i+1, p.status, p.body)
		}
	}
	p := b.post("/signin", form, url.Values{"email": {"ann@acme.test"}, "password": {ownerPassword}})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "Too many failed attempts") ||
		setCookieOf(p, "convene_session") != "" {
		t.Fatalf("after 3 failures, even the right password: %d %q %s", p.status, p.header.Get("Retry-After"), p.body)
	}
	wait, _ := strconv.Atoi(p.header.Get("Retry-After"))
	elsewhere := st.browser()
	elsewhere.from = "198.51.100.7"
	elsewhere.signIn("ann@acme.test", ownerPassword)

	st.clock.Advance(time.Duration(wait) * time.Second)
	if p := b.post("/signin", form, url.Values{"email": {"ann@acme.test"}, "password": {ownerPassword}}); p.status != http.StatusSeeOther {
		t.Fatalf("after the wait: %d %s", p.status, p.body)
	}
}

// TestSessionEndsOnPages: a session past its idle timeout, or of a user an
// admin disabled, no longer opens the pages; a disabled user cannot sign
// in; sign-out everywhere ends every browser's session.
func TestSessionEndsOnPages(t *testing.T) {
	st := newSite(t, siteOptions{})
	res := st.setup()
	ctx := context.Background()
	admin := account.Principal{AccountID: res.Account.ID, UserID: res.User.ID, Role: store.RoleOwner}
	if _, err := st.acc.AddDomain(ctx, admin, "acme.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.acc.VerifyDomain(ctx, admin, "acme.test"); err != nil {
		t.Fatal(err)
	}
	max, _, err := st.acc.CreateUser(ctx, admin, account.NewUser{Email: "max@acme.test", Name: "Max"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.acc.ChangePassword(ctx, account.Principal{AccountID: max.AccountID, UserID: max.ID}, "", "max's password!"); err != nil {
		t.Fatal(err)
	}

	b := st.browser()
	b.signIn("ann@acme.test", ownerPassword)
	st.clock.Advance(59 * time.Minute)
	if p := b.get("/"); p.status != 200 {
		t.Fatalf("59 minutes idle: %d", p.status)
	}
	st.clock.Advance(61 * time.Minute)
	if p := b.get("/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
		t.Fatalf("an hour idle: %d %q", p.status, p.header.Get("Location"))
	}

	m := st.browser()
	m.signIn("max@acme.test", "max's password!")
	disabled := true
	if _, err := st.acc.UpdateAccess(ctx, admin, "max@acme.test", account.AccessPatch{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if p := m.get("/"); p.status != http.StatusSeeOther {
		t.Fatalf("a disabled user's session: %d", p.status)
	}
	form := m.get("/signin")
	if p := m.post("/signin", form, url.Values{"email": {"max@acme.test"}, "password": {"max's password!"}}); p.status != http.StatusForbidden ||
		!strings.Contains(p.body, "Your user is disabled") {
		t.Fatalf("a disabled user signs in: %d %s", p.status, p.body)
	}

	one, two := st.browser(), st.browser()
	one.signIn("ann@acme.test", ownerPassword)
	two.signIn("ann@acme.test", ownerPassword)
	p := one.post("/signout/everywhere", one.get("/"), nil)
	if p.status != http.StatusSeeOther || !strings.Contains(setCookieOf(p, "convene_session"), "Max-Age=0") {
		t.Fatalf("sign out everywhere: %d %v", p.status, p.header.Values("Set-Cookie"))
	}
	for i, br := range []*browser{one, two} {
		if p := br.get("/"); p.status != http.StatusSeeOther {
			t.Errorf("browser %d still signed in", i+1)
		}
	}
	if p := one.get("/signin"); !strings.Contains(p.body, "You are signed out on every browser.") {
		t.Errorf("no flash after sign-out everywhere: %s", p.body)
	}
}

// TestPasswordResetPages: the reset page mails a link (the same answer for
// any address), the link's page sets the password and signs in, and the
// link then no longer works.
func TestPasswordResetPages(t *testing.T) {
	st := newSite(t, siteOptions{})
	st.setup()
	b := st.browser()
	form := b.get("/reset")
	for _, email := range []string{"nobody@acme.test", "ann@acme.test"} {
		p := b.post("/reset", form, url.Values{"email": {email}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
			t.Fatalf("reset request for %s: %d %s", email, p.status, p.body)
		}
	}
	if len(st.mail.mails) != 1 {
		t.Fatalf("%d mails, want 1 (none for an unknown address)", len(st.mail.mails))
	}
	link := st.mail.last(t).Link
	if !strings.HasPrefix(link, st.srv.URL+"/reset/") {
		t.Fatalf("link %q", link)
	}
	page := b.get(link)
	if page.status != 200 || !strings.Contains(page.body, "ann@acme.test") || page.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("reset page: %d %s", page.status, page.body)
	}
	if p := b.post(link, page, url.Values{"password": {"new password 123"}, "password_confirm": {"new password 124"}}); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("mismatch: %d", p.status)
	}
	p := b.post(link, page, url.Values{"password": {"new password 123"}, "password_confirm": {"new password 123"}})
	if p.status != http.StatusSeeOther || setCookieOf(p, "convene_session") == "" {
		t.Fatalf("reset: %d %s", p.status, p.body)
	}
	if home := b.get("/"); !strings.Contains(home.body, "Your new password is saved") {
		t.Errorf("after the reset: %s", home.body)
	}
	if again := st.browser().get(link); again.status != http.StatusBadRequest || !strings.Contains(again.body, "This link does not work") {
		t.Fatalf("the used link: %d %s", again.status, again.body)
	}
	st.browser().signIn("ann@acme.test", "new password 123")
}

// TestLanguage: the visitor's choice (cookie), then the user's language,
// then Accept-Language, then English.
func TestLanguage(t *testing.T) {
	st := newSite(t, siteOptions{})
	st.setup()
	b := st.browser()
	if p := b.get("/signin"); !strings.Contains(p.body, `<html lang="en">`) || !strings.Contains(p.body, "Sign in") {
		t.Fatalf("default: %s", p.body)
	}
	b.header.Set("Accept-Language", "de-CH, fr;q=0.8, en;q=0.5")
	p := b.get("/signin")
	if !strings.Contains(p.body, `<html lang="fr">`) || !strings.Contains(p.body, "Se connecter") || p.header.Get("Content-Language") != "fr" {
		t.Fatalf("Accept-Language fr: %s", p.body)
	}
	b.header.Set("Accept-Language", strings.Repeat("x-", 5000))
	if p := b.get("/signin"); !strings.Contains(p.body, `lang="en"`) {
		t.Error("a garbled Accept-Language")
	}
	b.header.Set("Accept-Language", "fr")
	p = b.post("/language", b.get("/signin"), url.Values{"lang": {"en"}, "next": {"/signin"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
		t.Fatalf("language switch: %d %s", p.status, p.body)
	}
	if p := b.get("/signin"); !strings.Contains(p.body, `<html lang="en">`) {
		t.Error("the choice does not win over Accept-Language")
	}
	if p := b.post("/language", b.get("/signin"), url.Values{"lang": {"de"}}); p.status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown language: %d", p.status)
	}
	if p := b.post("/language", b.get("/signin"), url.Values{"lang": {"fr"}, "next": {"//evil.example/x"}}); p.header.Get("Location") != "/" {
		t.Errorf("the switch redirects off-site: %q", p.header.Get("Location"))
	}
	// A user's language, without a choice on this browser.
	ctx := context.Background()
	u, _ := st.db.FindUserByEmail(ctx, "ann@acme.test")
	fr := "fr"
	if _, err := st.acc.UpdateMe(ctx, account.Principal{AccountID: u.AccountID, UserID: u.ID}, account.UserPatch{Language: &fr}); err != nil {
		t.Fatal(err)
	}
	c := st.browser()
	c.signIn("ann@acme.test", ownerPassword)
	if p := c.get("/"); !strings.Contains(p.body, "Bienvenue, Ann") {
		t.Errorf("the user's language: %s", p.body)
	}
}

// TestDashboardToken: the dashboard creates an API token and shows it
// once; it then works for the API (checked through the core).
func TestDashboardToken(t *testing.T) {
	st := newSite(t, siteOptions{})
	st.setup()
	b := st.browser()
	b.signIn("ann@acme.test", ownerPassword)
	p := b.post("/tokens", b.get("/"), url.Values{"name": {"laptop"}})
	tok := regexp.MustCompile(`<code id="new-token">(cvn_[a-z0-9]+)</code>`).FindStringSubmatch(p.body)
	if p.status != http.StatusCreated || tok == nil {
		t.Fatalf("token: %d %s", p.status, p.body)
	}
	pr, err := st.acc.Authenticate(context.Background(), tok[1])
	if err != nil || pr.Email != "ann@acme.test" {
		t.Fatalf("the token: %v", err)
	}
	if again := b.get("/"); strings.Contains(again.body, tok[1]) {
		t.Error("the token shows twice")
	}
	if p := b.post("/tokens", b.get("/"), url.Values{"name": {strings.Repeat("n", 101)}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, `id="f-name-error"`) {
		t.Errorf("a long name: %d %s", p.status, p.body)
	}
	// Signed out, the form sends to the sign-in page.
	anon := st.browser()
	if p := anon.get("/"); p.status != http.StatusSeeOther {
		t.Fatal(p.status)
	}
	if p := anon.post("/tokens", anon.get("/signin"), url.Values{"name": {"x"}}); p.status != http.StatusUnauthorized {
		t.Errorf("anonymous token: %d", p.status)
	}
}

// TestSignInNext: after sign-in the browser goes back where it was sent
// from, never to another site.
func TestSignInNext(t *testing.T) {
	st := newSite(t, siteOptions{})
	st.setup()
	for next, want := range map[string]string{"/?x=1": "/?x=1", "//evil.example/": "/", "https://evil.example/": "/", "/\\evil.example": "/", "": "/"} {
		b := st.browser()
		form := b.get("/signin?next=" + url.QueryEscape(next))
		p := b.post("/signin", form, url.Values{"email": {"ann@acme.test"}, "password": {ownerPassword}, "next": {next}})
		if p.header.Get("Location") != want {
			t.Errorf("next %q: Location %q, want %q", next, p.header.Get("Location"), want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/": "/", "/a/b?c=d": "/a/b?c=d", "": "/", "//evil": "/", "/\\evil": "/", "http://evil/": "/", "evil": "/",
		"/a\r\nSet-Cookie: x": "/", "javascript:alert(1)": "/", "/%2F%2Fevil": "/%2F%2Fevil",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSafeNext: whatever comes in, the redirect stays on this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "http://x", "/a?b#c", "/\t/x", "\\\\x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeNext(s)
		u, err := url.Parse(got)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") {
			t.Fatalf("safeNext(%q) = %q", s, got)
		}
		// What a browser makes of it: the same host.
		base, _ := url.Parse("https://convene.test/x")
		if r, err := base.Parse(got); err != nil || r.Host != "convene.test" {
			t.Fatalf("safeNext(%q) = %q resolves to %v", s, got, r)
		}
	})
}

// TestCatalogs: English and French have the same keys; every key a
// template or handler names exists; the numbers in the password texts are
// the core's.
func TestCatalogs(t *testing.T) {
	for k := range messagesEN {
		if _, ok := messagesFR[k]; !ok {
			t.Errorf("French lacks %q", k)
		}
	}
	for k := range messagesFR {
		if _, ok := messagesEN[k]; !ok {
			t.Errorf("English lacks %q", k)
		}
	}
	used := map[string]bool{}
	const key = `([a-z_\-]+(?:\.[a-z_\-]+)+)"`
	keyRe := regexp.MustCompile(`\.T "` + key + `|T\("` + key + `|"(flash|err|nav|field|hint)\.([a-z_\-]+(?:\.[a-z_\-]+)*)"`)
	walk := func(dir, ext string) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ext) || strings.HasSuffix(e.Name(), "_test.go") || strings.HasPrefix(e.Name(), "messages") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			// A field's label is "field.NAME" (fieldOf).
			for _, m := range regexp.MustCompile(`\(field \. "([a-z_]+)"`).FindAllStringSubmatch(string(b), -1) {
				used["field."+m[1]] = true
			}
			for _, m := range keyRe.FindAllStringSubmatch(string(b), -1) {
				switch {
				case m[1] != "":
					used[m[1]] = true
				case m[2] != "":
					used[m[2]] = true
				default:
					used[m[3]+"."+m[4]] = true
				}
			}
		}
	}
	walk("templates", ".html")
	walk(".", ".go")
	// Keys built at run time.
	used["hint.new_password"] = true
	for _, k := range []string{"welcome", "setup_done", "signed_out", "signed_out_everywhere", "reset_sent", "reset_done"} {
		used["flash."+k] = true
	}
	for k := range kindStatus {
		used["err.kind."+k.String()] = true
	}
	for _, r := range []string{"expired", "replaced", "closed"} { // guestRefused
		used["guest."+r+"_title"], used["guest."+r] = true, true
	}
	for _, r := range []store.Role{store.RoleOwner, store.RoleAdmin, store.RoleMember} {
		used["role."+string(r)] = true
	}
	for k := range used {
		if _, ok := messagesEN[k]; !ok {
			t.Errorf("key %q is used but not in the catalog", k)
		}
	}
	if len(used) < 60 {
		t.Errorf("only %d keys found in use: the scan is broken", len(used))
	}
	n := strconv.Itoa(account.MinPasswordLength)
	for _, cat := range []map[string]string{messagesEN, messagesFR} {
		for _, k := range []string{"hint.new_password", "err.password_short"} {
			if !strings.Contains(cat[k], n) {
				t.Errorf("%s = %q does not say %s", k, cat[k], n)
			}
		}
	}
}

// TestTimeZones: every zone offered loads, UTC first, no duplicates.
func TestTimeZones(t *testing.T) {
	seen := map[string]bool{}
	n := 0
	for _, g := range timeZones() {
		for _, z := range g.Zones {
			if _, err := time.LoadLocation(z); err != nil {
				t.Errorf("%s: %v", z, err)
			}
			if seen[z] {
				t.Errorf("%s twice", z)
			}
			seen[z] = true
			n++
		}
	}
	if timeZones()[0].Zones[0] != "UTC" || n < 400 || !knownZone("Europe/Amsterdam") || !knownZone("Asia/Kolkata") || knownZone("Mars/Olympus") {
		t.Errorf("%d zones; first %q", n, timeZones()[0].Zones[0])
	}
}

// TestResetRequestsThrottled: reset requests count against the client's
// address like failed sign-ins, which slows down probing for addresses
// and mailing someone over and over.
func TestResetRequestsThrottled(t *testing.T) {
	st := newSite(t, siteOptions{})
	st.setup()
	b := st.browser()
	form := b.get("/reset")
	for i := 0; i < 3; i++ {
		if p := b.post("/reset", form, url.Values{"email": {"someone" + strconv.Itoa(i) + "@acme.test"}}); p.status != http.StatusSeeOther {
			t.Fatalf("request %d: %d", i+1, p.status)
		}
	}
	p := b.post("/reset", form, url.Values{"email": {"ann@acme.test"}})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || len(st.mail.mails) != 0 {
		t.Fatalf("fourth request: %d, %d mails", p.status, len(st.mail.mails))
	}
}

// TestJSONNeedsCSRF: a JSON route of the pages (what a later page calls
// from its script) gets the same protection as a form: the session's
// token in X-CSRF-Token, from this origin.
func TestJSONNeedsCSRF(t *testing.T) {
	st := newSite(t, siteOptions{})
	st.setup()
	h := st.pages.wrap(pageRoute{method: "POST", path: "/ui/echo", access: signedIn, handle: func(req *Request) error {
		req.W.Header().Set("Content-Type", "application/json")
		_, err := req.W.Write([]byte(`{"ok":true}`))
		return err
	}})
	b := st.browser()
	b.signIn("ann@acme.test", ownerPassword)
	token := csrfOf(t, b.get("/"))
	u, _ := url.Parse(st.srv.URL)
	call := func(hdr map[string]string) int {
		req := httptest.NewRequest("POST", st.srv.URL+"/ui/echo", strings.NewReader(`{"x":1}`))
		req.Header.Set("Content-Type", "application/json")
		for _, c := range b.jar.Cookies(u) {
			req.AddCookie(c)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if got := call(map[string]string{"X-CSRF-Token": token}); got != 200 {
		t.Fatalf("with the token: %d", got)
	}
	for what, hdr := range map[string]map[string]string{
		"no token":      {},
		"another token": {"X-CSRF-Token": "x" + token[1:]},
		"cross-site":    {"X-CSRF-Token": token, "Sec-Fetch-Site": "cross-site"},
	} {
		if got := call(hdr); got != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", what, got)
		}
	}
}
