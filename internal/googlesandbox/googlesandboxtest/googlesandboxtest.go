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
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
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
