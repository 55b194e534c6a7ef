package pages_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message"

	"github.com/convene/convene/internal/chrometest"
	"github.com/convene/convene/internal/oidctest"
	"github.com/convene/convene/internal/server"
)

// The pages in a real browser: Debian's Chromium through chromedp, against
// the real server (internal/server) on a fresh data directory. Each page
// is checked with axe-core, photographed light and dark, and weighed.

var update = flag.Bool("update", false, "copy the screenshots to testdata/screenshots")

// weights collects each page's weight for the report at the end.
var weights = struct {
	sync.Mutex
	m map[string]chrometest.Weight
}{m: map[string]chrometest.Weight{}}

// Page budgets: every page stays small.
const (
	maxHTML = 24 << 10 // the setup page's time zone select is most of its HTML
	maxCSS  = 8 << 10
	maxJS   = 3 << 10
)

// check runs axe on the page shown (in both color schemes), weighs it,
// and photographs it light, and dark too when dark is set.
func check(t *testing.T, b *chrometest.Browser, name string, dark bool) {
	t.Helper()
	res := b.Axe(name)
	w := b.Weight()
	weights.Lock()
	weights.m[name] = w
	weights.Unlock()
	t.Logf("page %s: axe %d rules passed, %d violations (none serious or critical); weight %v", name, res.Passes, len(res.Violations), w)
	if w.HTML == 0 || w.CSS == 0 || w.JS == 0 || w.HTML > maxHTML || w.CSS > maxCSS || w.JS > maxJS {
		t.Errorf("page %s weighs %v; budget HTML %d, CSS %d, JS %d", name, w, maxHTML, maxCSS, maxJS)
	}
	b.Screenshot(name + "-light")
	b.ColorScheme("dark")
	b.Axe(name + " (dark)") // contrast in the dark scheme too
	if dark {
		b.Screenshot(name + "-dark")
	}
	b.ColorScheme("light")
}

// TestMain prints the pages' weights once every test has run.
func TestMain(m *testing.M) {
	code := m.Run()
	if len(weights.m) > 0 {
		var names []string
		for n := range weights.m {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Println("page weights (HTML + CSS + JS, bytes as served):")
		for _, n := range names {
			fmt.Printf("  %-22s %v\n", n, weights.m[n])
		}
	}
	if code == 0 && *update {
		fmt.Println("screenshots copied to testdata/screenshots")
	}
	os.Exit(code)
}

// api calls Convene's API and decodes its JSON answer.
func api(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// TestBrowserFirstRun: a fresh Convene shows the setup page (time zone
// taken from the browser), setting up signs the admin in on the dashboard,
// a token is made there, sign-out leads to the sign-in page, and wrong
// passwords are refused, then throttled.
func TestBrowserFirstRun(t *testing.T) {
	// The failures below are counted: none is earned back meanwhile, however
	// slow the machine (at the default 6 s refill, a loaded CI machine
	// did).
	cv := chrometest.Serve(t, nil, func(o *server.Options) { o.SignInLimit.Refill = time.Hour })
	b := chrometest.Start(t)
	b.TimeZone("Europe/Paris")

	b.Navigate(cv.URL)
	if !strings.HasSuffix(b.URL(), "/setup") || b.Text("h1") != "Set up Convene" {
		t.Fatalf("a fresh Convene shows %s: %q", b.URL(), b.Text("h1"))
	}
	if got := b.Value("#f-timezone"); got != "Europe/Paris" {
		t.Errorf("the time zone select shows %q, want the browser's Europe/Paris", got)
	}
	check(t, b, "setup", true)
	b.Viewport(390, 844)
	b.Screenshot("setup-phone")
	b.Viewport(1024, 800)

	b.Fill("#f-account", "Acme")
	b.Fill("#f-admin_name", "Ann Admin")
	b.Fill("#f-admin_email", "ann@acme.example")
	b.Fill("#f-password", "correct horse battery")
	b.Fill("#f-password_confirm", "correct horse battery!")
	b.Submit("button.primary")
	if got := b.Text("#f-password_confirm-error"); got != "The two passwords differ." {
		t.Fatalf("mismatched passwords: %q", got)
	}
	check(t, b, "setup-error", false)
	b.Fill("#f-password", "correct horse battery")
	b.Fill("#f-password_confirm", "correct horse battery")
	b.Submit("button.primary")
	if b.Text("h1") != "Welcome, Ann Admin" || b.Text(".flash") != "Convene is set up, and you are signed in." || b.Text("#me") != "ann@acme.example" {
		t.Fatalf("after setup: %s %q", b.URL(), b.Text("main"))
	}
	check(t, b, "dashboard", true)
	// The session opens pages only: the browser's own call to the API,
	// with the session cookie, is not authenticated.
	if got := chrometest.Eval[int](b, `fetch("/api/v1/users/me", {credentials: "same-origin"}).then(r => r.status)`); got != http.StatusUnauthorized {
		t.Errorf("the API with a session cookie: %d, want 401", got)
	}

	b.Fill("#f-name", "laptop")
	b.Submit("form[action='/tokens'] button")
	token := b.Text("#new-token")
	if !strings.HasPrefix(token, "cvn_") || !b.Has("button[data-copy]:not([hidden])") {
		t.Fatalf("new token %q; copy button shown: %v", token, b.Has("button[data-copy]:not([hidden])"))
	}
	// The token is the admin's, for the API.
	if st, me := api(t, "GET", cv.URL+"/api/v1/users/me", token, nil); st != 200 || me["email"] != "ann@acme.example" || me["timezone"] != "Europe/Paris" {
		t.Fatalf("the token: %d %v", st, me)
	}
	check(t, b, "dashboard-token", false)

	b.Submit(".who button")
	if !strings.HasSuffix(b.URL(), "/signin") || b.Text(".flash") != "You are signed out." {
		t.Fatalf("after sign-out: %s", b.URL())
	}
	check(t, b, "signin", true)
	b.Navigate(cv.URL + "/")
	if !strings.HasSuffix(b.URL(), "/signin") {
		t.Fatalf("signed out, / shows %s", b.URL())
	}

	// Wrong passwords: refused, then throttled (10 failures per address).
	for i := 0; i < 10; i++ {
		b.Fill("#f-email", "ann@acme.example")
		b.Fill("#f-password", "not my password")
		b.Submit("button.primary")
		if got := b.Text(".form-error"); got != "Wrong e-mail address or password." {
			t.Fatalf("failure %d: %q", i+1, got)
		}
		if i == 0 {
			check(t, b, "signin-error", false)
		}
	}
	b.Fill("#f-email", "ann@acme.example")
	b.Fill("#f-password", "correct horse battery")
	b.Submit("button.primary")
	if got := b.Text(".form-error"); !strings.HasPrefix(got, "Too many failed attempts from your address; try again in ") {
		t.Fatalf("the right password after 10 failures: %q at %s", got, b.URL())
	}
}

// TestBrowserFrench: the pages in French from the browser's language, and
// the language switch.
func TestBrowserFrench(t *testing.T) {
	cv := chrometest.Serve(t, nil)
	b := chrometest.Start(t)
	b.Navigate(cv.URL + "/setup")
	b.Fill("#lang", "fr")
	b.Submit(".lang button")
	if b.Text("h1") != "Installer Convene" || chrometest.Eval[string](b, `document.documentElement.lang`) != "fr" {
		t.Fatalf("French: %q", b.Text("h1"))
	}
	check(t, b, "setup-fr", false)
}

// TestBrowserPasswordReset: a user made through the API has no password;
// they ask for a link on the sign-in page, the mail is in the outbox
// (GET /api/v1/outbox), and its link sets the password and signs them in.
func TestBrowserPasswordReset(t *testing.T) {
	cv := chrometest.Serve(t, nil)
	st, setup := api(t, "POST", cv.URL+"/api/v1/setup", "", map[string]any{"account": "Acme", "admin_email": "ann@acme.example", "admin_name": "Ann"})
	if st != 201 {
		t.Fatalf("setup: %d %v", st, setup)
	}
	owner := setup["token"].(string)
	b := chrometest.Start(t)
	b.Navigate(cv.URL + "/signin")
	b.Submit("a[href='/reset']")
	check(t, b, "reset-request", false)
	b.Fill("#f-email", "ann@acme.example")
	b.Submit("button.primary")
	if !strings.HasSuffix(b.URL(), "/signin") || !strings.Contains(b.Text(".flash"), "a link to set a new password is on its way") {
		t.Fatalf("after the request: %s", b.URL())
	}

	st, box := api(t, "GET", cv.URL+"/api/v1/outbox", owner, nil)
	mails, _ := box["mail"].([]any)
	if st != 200 || len(mails) != 1 {
		t.Fatalf("outbox: %d %v", st, box)
	}
	m := mails[0].(map[string]any)
	if m["kind"] != "password-reset" || m["to"].([]any)[0] != "ann@acme.example" || m["status"] != "held" {
		t.Fatalf("the mail: %v", m)
	}
	req, _ := http.NewRequest("GET", cv.URL+"/api/v1/outbox/"+m["id"].(string)+"/raw", nil)
	req.Header.Set("Authorization", "Bearer "+owner)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	e, err := message.Read(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(e.Body)
	link := regexp.MustCompile(regexp.QuoteMeta(cv.URL) + `/reset/\S+`).FindString(string(text))
	if link == "" {
		t.Fatalf("no link in %s", text)
	}

	b.Navigate(link)
	check(t, b, "reset", true)
	b.Fill("#f-password", "my first password")
	b.Fill("#f-password_confirm", "my first password")
	b.Submit("button.primary")
	if b.Text("h1") != "Welcome, Ann" || b.Text(".flash") != "Your new password is saved, and you are signed in." {
		t.Fatalf("after the reset: %s %q", b.URL(), b.Text("main"))
	}
	// Used once.
	b.Navigate(link)
	if got := b.Text("#detail"); !strings.HasPrefix(got, "This link does not work") {
		t.Fatalf("the link again: %q", got)
	}
	check(t, b, "reset-invalid", false)
}

// TestBrowserOIDC: single sign-on through the login page of a real OpenID
// provider running in the test.
func TestBrowserOIDC(t *testing.T) {
	addr := chrometest.FreeAddr(t)
	op := oidctest.Start(t, []oidctest.User{{Username: "ann", Password: "op-password", Email: "ann@acme.example", EmailVerified: true}},
		"http://"+addr+"/signin/oidc/callback")
	cv := chrometest.Serve(t, map[string]string{"CONVENE_HTTP_ADDR": addr,
		"CONVENE_OIDC_ISSUER": op.Issuer, "CONVENE_OIDC_CLIENT_ID": op.ClientID, "CONVENE_OIDC_CLIENT_SECRET": op.ClientSecret})
	if st, out := api(t, "POST", cv.URL+"/api/v1/setup", "", map[string]any{"account": "Acme", "admin_email": "ann@acme.example", "admin_name": "Ann"}); st != 201 {
		t.Fatalf("setup: %d %v", st, out)
	}
	b := chrometest.Start(t)
	b.Navigate(cv.URL + "/")
	if !strings.HasSuffix(b.URL(), "/signin") {
		t.Fatalf("/ shows %s", b.URL())
	}
	check(t, b, "signin-sso", false)
	b.Submit("#sso")
	if !strings.HasPrefix(b.URL(), op.Issuer+"/login/username") {
		t.Fatalf("single sign-on went to %s", b.URL())
	}
	b.Fill("#username", "ann")
	b.Fill("#password", "op-password")
	b.Submit("button[type=submit]")
	if b.URL() != cv.URL+"/" || b.Text("h1") != "Welcome, Ann" {
		t.Fatalf("after the provider: %s %q", b.URL(), b.Text("main"))
	}
}
