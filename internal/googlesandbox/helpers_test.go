package googlesandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2/google"
	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/option"
)

// testClock is an adjustable clock that starts at the real time (Google's
// Go client signs assertions with the real time). Unlike clocktest.Clock it
// keeps running: Advance shifts it from the real time rather than stopping
// it.
type testClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// discovery is the committed Calendar v3 discovery document.
func discovery(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/calendar-api.json")
	if err != nil {
		t.Fatalf("the discovery document is part of the repository: %v", err)
	}
	return b
}

// sandbox is a Server behind a real socket, with its controls on, every
// exchange validated against the discovery document.
type sandbox struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	clock *testClock
}

func newSandbox(t *testing.T, mod func(*Options)) *sandbox {
	t.Helper()
	sb := &sandbox{t: t, clock: &testClock{}}
	mux := http.NewServeMux()
	sb.ts = httptest.NewServer(mux)
	t.Cleanup(sb.ts.Close)
	opts := Options{BaseURL: sb.ts.URL, Now: sb.clock.Now, Controls: true, Discovery: discovery(t),
		Violation: func(err error) { t.Errorf("discovery violation: %v", err) }}
	if mod != nil {
		mod(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	sb.srv = srv
	mux.Handle("/", srv)
	return sb
}

// response is an answer read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// do sends a request; body is JSON-encoded unless a string.
func (sb *sandbox) do(method, path, token string, body any) *response {
	sb.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			sb.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, sb.ts.URL+path, rd)
	if err != nil {
		sb.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sb.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		sb.t.Fatal(err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// control calls a test control and wants status.
func (sb *sandbox) control(method, path string, body any, status int) *response {
	sb.t.Helper()
	r := sb.do(method, "/_sandbox"+path, "", body)
	if r.Status != status {
		sb.t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	return r
}

// key mints a service account delegated scopes in domain.
func (sb *sandbox) key(domain string, scopes ...string) ServiceAccountKey {
	sb.t.Helper()
	var key ServiceAccountKey
	sb.control("POST", "/service-accounts", map[string]any{}, http.StatusCreated).json(sb.t, &key)
	if len(scopes) == 0 {
		scopes = []string{ScopeCalendar}
	}
	sb.control("POST", "/delegations", map[string]any{"domain": domain, "client_id": key.ClientID, "scopes": scopes}, http.StatusCreated)
	return key
}

// keyJSON is the key file's bytes.
func keyJSON(t testing.TB, key ServiceAccountKey) []byte {
	b, err := json.Marshal(key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// token is an access token for subject through golang.org/x/oauth2/google.
func (sb *sandbox) token(key ServiceAccountKey, subject string, scopes ...string) string {
	sb.t.Helper()
	if len(scopes) == 0 {
		scopes = []string{ScopeCalendar}
	}
	cfg, err := google.JWTConfigFromJSON(keyJSON(sb.t, key), scopes...)
	if err != nil {
		sb.t.Fatal(err)
	}
	cfg.Subject = subject
	tok, err := cfg.TokenSource(context.Background()).Token()
	if err != nil {
		sb.t.Fatalf("token for %s: %v", subject, err)
	}
	return tok.AccessToken
}

// service is Google's Go client acting as subject.
func (sb *sandbox) service(key ServiceAccountKey, subject string, scopes ...string) *gcal.Service {
	sb.t.Helper()
	if len(scopes) == 0 {
		scopes = []string{ScopeCalendar}
	}
	cfg, err := google.JWTConfigFromJSON(keyJSON(sb.t, key), scopes...)
	if err != nil {
		sb.t.Fatal(err)
	}
	cfg.Subject = subject
	ctx := context.Background()
	svc, err := gcal.NewService(ctx, option.WithEndpoint(sb.srv.CalendarURL()), option.WithTokenSource(cfg.TokenSource(ctx)))
	if err != nil {
		sb.t.Fatal(err)
	}
	return svc
}

// addEvent adds an event to a calendar through the controls.
func (sb *sandbox) addEvent(calendarID string, ev map[string]any) map[string]any {
	sb.t.Helper()
	var out map[string]any
	sb.control("POST", "/calendars/"+calendarID+"/events", ev, http.StatusOK).json(sb.t, &out)
	return out
}

// mails are the mails Google would have sent.
func (sb *sandbox) mails() []mail {
	sb.t.Helper()
	var out struct{ Mails []mail }
	sb.control("GET", "/mails", nil, http.StatusOK).json(sb.t, &out)
	return out.Mails
}

// monday is the tests' reference week: Monday 2030-01-07.
var monday = time.Date(2030, 1, 7, 0, 0, 0, 0, time.UTC)

func at(day, hour, minute int) string {
	return monday.AddDate(0, 0, day).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute).Format(time.RFC3339)
}
