// Package googlesandboxtest starts the Google sandbox for the tests of
// Google clients (Convene's Google app among them): an httptest server
// with the test controls on, every exchange validated against Google's
// Calendar v3 discovery document (a violation fails the test), a minted
// service-account key delegated in a domain, and helpers for the
// controls.
//
// It is imported only by tests.
package googlesandboxtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/convene/convene/internal/googlesandbox"
)

// Sandbox is a running sandbox.
type Sandbox struct {
	*googlesandbox.Server
	// URL is the sandbox's root: the token endpoint is URL+"/token", the
	// Calendar API URL+"/calendar/v3/" (Server.CalendarURL).
	URL string
	t   testing.TB
}

// DiscoveryDocument is Google's Calendar v3 discovery document committed
// in internal/googlesandbox/testdata.
func DiscoveryDocument(t testing.TB) []byte {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("googlesandboxtest: cannot find the source tree")
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "testdata", "calendar-api.json"))
	if err != nil {
		t.Fatalf("googlesandboxtest: the discovery document is part of the repository: %v", err)
	}
	return b
}

// Start starts a sandbox with opts (BaseURL, Controls, Discovery and
// Violation are set here) and stops it when the test ends.
func Start(t testing.TB, opts googlesandbox.Options) *Sandbox {
	t.Helper()
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	opts.BaseURL, opts.Controls = ts.URL, true
	opts.Discovery = DiscoveryDocument(t)
	opts.Violation = func(err error) { t.Errorf("googlesandbox: Google's discovery document says no: %v", err) }
	srv, err := googlesandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	mux.Handle("/", srv)
	return &Sandbox{Server: srv, URL: ts.URL, t: t}
}

// Key mints a service account delegated scopes in domain (as a Workspace
// admin grants domain-wide delegation) and returns its JSON key file.
func (s *Sandbox) Key(domain string, scopes ...string) []byte {
	s.t.Helper()
	key, err := s.NewServiceAccount("")
	if err != nil {
		s.t.Fatal(err)
	}
	s.Delegate(domain, key.ClientID, scopes)
	b, err := json.Marshal(key)
	if err != nil {
		s.t.Fatal(err)
	}
	return b
}

// Control calls a test control (path below /_sandbox, e.g. "/faults"),
// body JSON-encoded unless nil, wants status and decodes the answer into
// out (when not nil).
func (s *Sandbox) Control(method, path string, body any, status int, out any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/_sandbox"+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		s.t.Fatalf("googlesandbox control %s %s: %d, want %d: %s", method, path, resp.StatusCode, status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("googlesandbox control %s %s: %v", method, path, err)
		}
	}
}

// Mail is one e-mail Google would have sent (GET /_sandbox/mails).
type Mail struct {
	To         string `json:"to"`
	Kind       string `json:"kind"` // invitation, update, cancellation
	CalendarID string `json:"calendar_id"`
	EventID    string `json:"event_id"`
	Summary    string `json:"summary"`
}

// Mails are the e-mails Google would have sent so far.
func (s *Sandbox) Mails() []Mail {
	s.t.Helper()
	var out struct{ Mails []Mail }
	s.Control("GET", "/mails", nil, http.StatusOK, &out)
	return out.Mails
}

// Fault makes the next times requests whose path starts with path (below
// the root, e.g. "/calendar/v3/calendars/"; "" for every Calendar call)
// and of method ("" for any) answer status in Google's shape; with commit
// the request is performed first.
func (s *Sandbox) Fault(status, times int, method, path string, commit bool) {
	s.t.Helper()
	s.Control("POST", "/faults", map[string]any{"status": status, "times": times, "method": method, "path": path, "commit": commit}, http.StatusCreated, nil)
}

// AddEvent adds an event to a user's calendar as its owner would in
// Google (push notifications follow) and returns it.
func (s *Sandbox) AddEvent(calendarID string, event map[string]any) map[string]any {
	s.t.Helper()
	var out map[string]any
	s.Control("POST", "/calendars/"+calendarID+"/events", event, http.StatusOK, &out)
	return out
}

// Calls are the API calls the sandbox received, by method name
// ("events.insert", "freebusy.query", "token", …).
func (s *Sandbox) Calls() map[string]int {
	s.t.Helper()
	var out struct{ Calls map[string]int }
	s.Control("GET", "/requests", nil, http.StatusOK, &out)
	return out.Calls
}

// String names the sandbox in messages.
func (s *Sandbox) String() string { return fmt.Sprintf("googlesandbox at %s", s.URL) }

// Account adds a personal Google account (gmail.com…) for the OAuth flow.
func (s *Sandbox) Account(email, name string) {
	s.t.Helper()
	s.Control("POST", "/accounts", map[string]any{"email": email, "name": name}, http.StatusCreated, nil)
}

// OAuthClient registers (or replaces) a web client with its redirect URIs.
func (s *Sandbox) OAuthClient(id, secret string, redirectURIs ...string) {
	s.t.Helper()
	s.Control("POST", "/oauth-clients", map[string]any{"client_id": id, "client_secret": secret, "redirect_uris": redirectURIs}, http.StatusCreated, nil)
}

var (
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	scopeBox    = regexp.MustCompile(`<input type="checkbox" name="granted" value="([^"]+)" checked>`)
)

// Consent plays the user on the sandbox's consent page at authURL (the
// URL a client redirects the browser to): it signs in as email, leaves
// checked only the scopes in granted (nil: every box checked) and answers
// allow (or deny with allow false). It returns the URL the sandbox
// redirects the browser to (the client's redirect URI with code, scope,
// state or error).
func (s *Sandbox) Consent(authURL, email string, granted []string, allow bool) *url.URL {
	s.t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusFound && loc != "" {
			u, err := url.Parse(loc) // an error (or prompt=none) sent to the client
			if err != nil {
				s.t.Fatal(err)
			}
			return u
		}
		s.t.Fatalf("googlesandbox consent page: %d %s", resp.StatusCode, b)
	}
	form := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(string(b), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	if granted == nil {
		for _, m := range scopeBox.FindAllStringSubmatch(string(b), -1) {
			granted = append(granted, html.UnescapeString(m[1]))
		}
	}
	form["granted"] = granted
	form.Set("email", email)
	form.Set("decision", "deny")
	if allow {
		form.Set("decision", "allow")
	}
	action := strings.SplitN(authURL, "?", 2)[0]
	resp, err = noFollow.PostForm(action, form)
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		s.t.Fatalf("googlesandbox consent: %d %s", resp.StatusCode, b)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		s.t.Fatal(err)
	}
	return u
}
