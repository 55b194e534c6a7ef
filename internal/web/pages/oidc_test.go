package pages

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/oidctest"
	"github.com/convene/convene/internal/store"
)

// ssoSite is a site with single sign-on through a real OpenID provider
// running in the test (zitadel's example provider).
func ssoSite(t *testing.T) (*site, *oidctest.Provider) {
	t.Helper()
	var op *oidctest.Provider
	st := newSite(t, siteOptions{oidc: func(redirect string) OIDCOptions {
		op = oidctest.Start(t, []oidctest.User{
			{Username: "ann", Password: "op-password", Email: "ann@acme.test", EmailVerified: true, FirstName: "Ann"},
			{Username: "max", Password: "op-password", Email: "max@acme.test", EmailVerified: false, FirstName: "Max"},
			{Username: "zoe", Password: "op-password", Email: "zoe@elsewhere.test", EmailVerified: true, FirstName: "Zoe"},
		}, redirect)
		return OIDCOptions{Issuer: op.Issuer, ClientID: op.ClientID, ClientSecret: op.ClientSecret}
	}})
	res := st.setup()
	ctx := context.Background()
	admin := account.Principal{AccountID: res.Account.ID, UserID: res.User.ID, Role: store.RoleOwner}
	if _, err := st.acc.AddDomain(ctx, admin, "acme.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.acc.VerifyDomain(ctx, admin, "acme.test"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.acc.CreateUser(ctx, admin, account.NewUser{Email: "max@acme.test", Name: "Max"}); err != nil {
		t.Fatal(err)
	}
	return st, op
}

// toProvider follows the pages' redirect to the provider and returns its
// login page.
func (b *browser) toProvider(t *testing.T, next string) (authorize *url.URL, login *page) {
	t.Helper()
	p := b.get(oidcStartPath + "?next=" + url.QueryEscape(next))
	if p.status != http.StatusFound {
		t.Fatalf("start: %d %s", p.status, p.body)
	}
	authorize, _ = url.Parse(p.header.Get("Location"))
	p = b.get(authorize.String())
	for p.status == http.StatusFound || p.status == http.StatusSeeOther {
		loc, _ := p.url.Parse(p.header.Get("Location"))
		p = b.get(loc.String())
	}
	if p.status != 200 || !strings.Contains(p.body, `name="username"`) {
		t.Fatalf("the provider's login page: %d %s", p.status, p.body)
	}
	return authorize, p
}

// logIn submits the provider's login form and returns the redirect to the
// pages' callback.
func (b *browser) logIn(t *testing.T, login *page, username, password string) *url.URL {
	t.Helper()
	id := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(login.body)
	if id == nil {
		t.Fatalf("no auth request id on %s", login.body)
	}
	action, _ := login.url.Parse("/login/username")
	p := b.do("POST", action.String(), url.Values{"id": {html.UnescapeString(id[1])}, "username": {username}, "password": {password}})
	for p.status == http.StatusFound || p.status == http.StatusSeeOther {
		loc, _ := p.url.Parse(p.header.Get("Location"))
		if strings.HasPrefix(loc.String(), b.st.srv.URL+oidcCallbackPath) {
			return loc
		}
		p = b.get(loc.String())
	}
	t.Fatalf("the provider did not send back to the callback: %d %s", p.status, p.body)
	return nil
}

// TestOIDCSignIn: single sign-on through a real provider: the request
// carries state, nonce and a PKCE S256 challenge; the callback signs in
// the existing user of the verified address and goes where it was asked.
func TestOIDCSignIn(t *testing.T) {
	st, _ := ssoSite(t)
	b := st.browser()
	if p := b.get("/signin"); !strings.Contains(p.body, `href="/signin/oidc?next=%2f"`) {
		t.Fatalf("no single sign-on on the sign-in page: %s", p.body)
	}
	authorize, login := b.toProvider(t, "/?from=sso")
	q := authorize.Query()
	if q.Get("state") == "" || q.Get("nonce") == "" || q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" ||
		!strings.Contains(q.Get("scope"), "openid") || !strings.Contains(q.Get("scope"), "email") {
		t.Fatalf("authorize request %v", q)
	}
	cb := b.logIn(t, login, "ann", "op-password")
	p := b.get(cb.String())
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/?from=sso" {
		t.Fatalf("callback: %d %q %s", p.status, p.header.Get("Location"), p.body)
	}
	if !strings.Contains(setCookieOf(p, "convene_oidc"), "Max-Age=0") {
		t.Error("the attempt's cookie stays")
	}
	if home := b.get("/"); !strings.Contains(home.body, "Welcome, Ann") {
		t.Fatalf("after single sign-on: %s", home.body)
	}
	// The callback works once: replayed, the attempt's cookie is gone.
	if again := b.get(cb.String()); again.status != http.StatusUnauthorized || !strings.Contains(again.body, "unknown or expired") {
		t.Errorf("replayed callback: %d %s", again.status, again.body)
	}
}

// TestOIDCRefusals: a state that differs from the attempt's, a nonce that
// differs, a wrong PKCE verifier, an address the provider did not verify,
// an address that is no user's, and a provider's error all end on the
// sign-in page without a session.
func TestOIDCRefusals(t *testing.T) {
	st, _ := ssoSite(t)
	noSession := func(what string, p *page, status int, text string) {
		t.Helper()
		if p.status != status || !strings.Contains(p.body, text) || setCookieOf(p, "convene_session") != "" {
			t.Errorf("%s: %d %s (want %d with %q)", what, p.status, p.body, status, text)
		}
	}
	// State: the callback of one attempt in a browser that started another.
	b := st.browser()
	_, login := b.toProvider(t, "/")
	cb := b.logIn(t, login, "ann", "op-password")
	b.toProvider(t, "/") // a second attempt replaces the cookie
	noSession("another attempt's state", b.get(cb.String()), http.StatusUnauthorized, "another state")

	// Nonce and PKCE: the attempt's cookie rewritten with the right state
	// but another nonce, or another verifier (only the server's key can
	// sign it: this is what a bug, not an attacker, would do).
	for _, c := range []struct {
		what   string
		change func(*oidcAttempt)
		text   string
	}{
		{"another nonce", func(a *oidcAttempt) { a.Nonce = "not-the-nonce" }, "nonce"},
		{"another PKCE verifier", func(a *oidcAttempt) { a.Verifier = randomString() + randomString() }, "refused the sign-in"},
	} {
		b := st.browser()
		authorize, login := b.toProvider(t, "/")
		cookie := b.cookie(oidcCookie)
		a, err := st.pages.openAttempt(cookie.Value)
		if err != nil || a.State != authorize.Query().Get("state") || a.Nonce != authorize.Query().Get("nonce") {
			t.Fatalf("the attempt's cookie: %+v %v", a, err)
		}
		c.change(a)
		u, _ := url.Parse(st.srv.URL)
		b.jar.SetCookies(u, []*http.Cookie{{Name: oidcCookie, Value: st.pages.sealAttempt(*a), Path: "/"}})
		cb := b.logIn(t, login, "ann", "op-password")
		noSession(c.what, b.get(cb.String()), http.StatusUnauthorized, c.text)
	}

	// A forged cookie does not open.
	if _, err := st.pages.openAttempt(strings.Replace(st.pages.sealAttempt(oidcAttempt{State: "s", Expires: 1 << 40}), "e", "f", 1)); err == nil {
		t.Error("a tampered attempt cookie opens")
	}

	// The provider did not verify max's address.
	b = st.browser()
	_, login = b.toProvider(t, "/")
	noSession("an unverified address", b.get(b.logIn(t, login, "max", "op-password").String()), http.StatusForbidden, "verified")

	// zoe is no user of Convene: no sign-up.
	b = st.browser()
	_, login = b.toProvider(t, "/")
	noSession("no such user", b.get(b.logIn(t, login, "zoe", "op-password").String()), http.StatusForbidden, "not a user of Convene")

	// The provider says no.
	b = st.browser()
	b.toProvider(t, "/")
	noSession("the provider's error", b.get(oidcCallbackPath+"?error=access_denied&state=x"), http.StatusUnauthorized, "access_denied")
}

// TestOIDCOff: without an issuer there is no single sign-on.
func TestOIDCOff(t *testing.T) {
	st := newSite(t, siteOptions{})
	st.setup()
	b := st.browser()
	if p := b.get("/signin"); strings.Contains(p.body, "/signin/oidc") {
		t.Error("single sign-on offered without an issuer")
	}
	if p := b.get(oidcStartPath); p.status != http.StatusNotFound {
		t.Errorf("start without an issuer: %d", p.status)
	}
}

// FuzzOpenAttempt: the attempt cookie's reader never panics and opens
// only what the server signed.
func FuzzOpenAttempt(f *testing.F) {
	p := &Server{oidcKey: []byte("k"), opts: Options{Now: func() time.Time { return time.Unix(0, 0) }}}
	f.Add(p.sealAttempt(oidcAttempt{State: "s", Nonce: "n", Verifier: "v", Next: "/", Expires: 10}))
	f.Add("a.b")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := p.openAttempt(s)
		if err != nil {
			return
		}
		if p.sealAttempt(*a) == "" {
			t.Fatal("opened an attempt that cannot be sealed")
		}
	})
}
