package davserver

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/convene/convene/internal/authlimit"
)

// lockedBuffer collects log lines from the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestFailedSignInsLimited: CalDAV Basic sign-ins that fail are counted per
// client address and logged at WARN without the password; past the burst
// the address gets 429 with Retry-After even with good credentials, while
// the user signs in from another address; a request without credentials
// (how clients begin) is not counted.
func TestFailedSignInsLimited(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	logs := &lockedBuffer{}
	h := New(e.cals, accountsOf(e), "/dav", slog.New(slog.NewTextHandler(logs, nil)))
	h.Limit = authlimit.New(authlimit.Options{Burst: 3, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	srv := httptest.NewServer(http.StripPrefix("/dav", h))
	defer srv.Close()
	send := func(from, user, pass string) (int, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("PROPFIND", srv.URL+calPath, strings.NewReader(""))
		req.Header.Set("Depth", "0")
		req.Header.Set("X-Forwarded-For", from)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	const ann, attacker, home = "ann@acme.test", "203.0.113.7", "198.51.100.1"
	guess := "cvn_guessed" + strings.Repeat("q", 40)
	for range 20 {
		if s, _ := send(attacker, "", ""); s != 401 {
			t.Fatalf("no credentials: %d", s)
		}
	}
	for i := range 3 {
		if s, _ := send(attacker, ann, guess); s != 401 {
			t.Fatalf("wrong password %d: %d", i, s)
		}
	}
	if s, hdr := send(attacker, ann, e.tokens[ann]); s != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
		t.Errorf("after 3 failures: %d, Retry-After %q; want 429 with it", s, hdr.Get("Retry-After"))
	}
	if s, _ := send(home, ann, e.tokens[ann]); s != http.StatusMultiStatus {
		t.Errorf("ann from another address: %d", s)
	}
	// Bob's token under Ann's name is a failure too.
	if s, _ := send(home, ann, e.tokens["bob@acme.test"]); s != 401 {
		t.Errorf("another user's token: %d", s)
	}
	out := logs.String()
	if strings.Contains(out, guess) || strings.Contains(out, e.tokens["bob@acme.test"]) {
		t.Error("a password is in the log")
	}
	if n := strings.Count(out, `level=WARN msg="caldav: authentication failed" client=`+attacker); n != 3 {
		t.Errorf("%d WARN lines for the attacker, want 3:\n%s", n, out)
	}
}
