package web

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/clocktest"
)

// from sends a request as the client at addr behind the trusted proxy
// (the harness's own address).
func (h *harness) from(addr, method, path, token string, body any) (int, []byte, http.Header) {
	h.t.Helper()
	return h.doRawWith(method, path, token, body, map[string]string{"X-Forwarded-For": addr})
}

// TestFailedAuthLimitedPerAddress: an address that keeps presenting wrong
// tokens gets 429 with Retry-After before its tokens are even looked at,
// while the real user, from another address, is unaffected; missing
// credentials are not counted; every failure is logged at WARN with the
// address and route but never the secret.
func TestFailedAuthLimitedPerAddress(t *testing.T) {
	h := newHarness(t, "sqlite")
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	h.api.AuthLimit = authlimit.New(authlimit.Options{Burst: 10, Refill: 6 * time.Second, Now: clock.Now,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	a := h.setupTenant("Acme", "acme.test", true)
	const attacker, user = "203.0.113.7", "198.51.100.1"
	wrong := "cvn_guess" + strings.Repeat("x", 48)

	for i := range 10 {
		if s, raw, _ := h.from(attacker, "GET", "/api/v1/users/me", wrong, nil); s != 401 {
			t.Fatalf("attempt %d: %d %s", i, s, raw)
		}
	}
	s, raw, hdr := h.from(attacker, "GET", "/api/v1/users/me", wrong, nil)
	if s != 429 || hdr.Get("Retry-After") != "6" || hdr.Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(string(raw), "too-many-requests") {
		t.Fatalf("11th attempt: %d Retry-After %q %s", s, hdr.Get("Retry-After"), raw)
	}
	// Refused before the check: even a good token from that address.
	if s, _, _ := h.from(attacker, "GET", "/api/v1/users/me", a.member, nil); s != 429 {
		t.Errorf("good token from the throttled address: %d", s)
	}
	// The user, elsewhere, is not locked out; their own mistake counts
	// for their address only.
	if s, _, _ := h.from(user, "GET", "/api/v1/users/me", a.member, nil); s != 200 {
		t.Errorf("the real user from another address: %d", s)
	}
	if s, _, _ := h.from(user, "GET", "/api/v1/users/me", wrong, nil); s != 401 {
		t.Errorf("the real user's own mistake: %d", s)
	}
	// No credentials: not a guess, not counted.
	for range 30 {
		h.from(user, "GET", "/api/v1/users/me", "", nil)
	}
	if s, _, _ := h.from(user, "GET", "/api/v1/users/me", a.member, nil); s != 200 {
		t.Errorf("after requests without credentials: %d", s)
	}
	// The bucket refills: one more attempt after 6 s.
	clock.Advance(6 * time.Second)
	if s, _, _ := h.from(attacker, "GET", "/api/v1/users/me", wrong, nil); s != 401 {
		t.Errorf("after the refill: %d, want one more 401", s)
	}
	if s, _, _ := h.from(attacker, "GET", "/api/v1/users/me", wrong, nil); s != 429 {
		t.Errorf("right after: %d, want 429", s)
	}
	logs := h.logs.String()
	if strings.Contains(logs, wrong) || strings.Contains(logs, a.member) {
		t.Error("a presented secret is in the logs")
	}
	warn := ""
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "level=WARN") && strings.Contains(l, "authentication failed") && strings.Contains(l, "client="+attacker) {
			warn = l
		}
	}
	if !strings.Contains(warn, `route="GET /api/v1/users/me"`) || !strings.Contains(warn, "token=cvn_gues…") {
		t.Errorf("WARN line = %q", warn)
	}
}

// TestForwardedForIgnoredByDefault: without a trusted proxy the socket's
// address is the client, so made-up X-Forwarded-For headers buy no
// guesses.
func TestForwardedForIgnoredByDefault(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.api.AuthLimit = authlimit.New(authlimit.Options{Burst: 5})
	for i := range 5 {
		h.from("192.0.2."+string(rune('1'+i)), "GET", "/api/v1/users/me", "cvn_nope", nil)
	}
	if s, _, _ := h.from("192.0.2.99", "GET", "/api/v1/users/me", "cvn_nope", nil); s != 429 {
		t.Errorf("a new X-Forwarded-For escaped the limit: %d", s)
	}
}

// TestOperatorTokenLimited: wrong operator tokens on POST /api/v1/setup
// count too, and the log has no trace of them.
func TestOperatorTokenLimited(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.api.AuthLimit = authlimit.New(authlimit.Options{Burst: 3,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	h.setupTenant("Acme", "acme.test", true)
	body := map[string]any{"account": "Evil", "admin_email": "e@evil.test", "admin_name": "E"}
	guess := "operator-guess-0123456789"
	for range 3 {
		if s, _, _ := h.from("203.0.113.9", "POST", "/api/v1/setup", guess, body); s != 401 {
			t.Fatalf("wrong operator token: %d", s)
		}
	}
	if s, _, hdr := h.from("203.0.113.9", "POST", "/api/v1/setup", operatorToken, body); s != 429 || hdr.Get("Retry-After") == "" {
		t.Errorf("after 3 wrong operator tokens: %d", s)
	}
	if s, _, _ := h.from("198.51.100.2", "POST", "/api/v1/setup", operatorToken, body); s != 201 {
		t.Errorf("the operator from another address: %d", s)
	}
	if logs := h.logs.String(); strings.Contains(logs, guess) || strings.Contains(logs, operatorToken) ||
		!strings.Contains(logs, `msg="authentication failed" request_id=`) || !strings.Contains(logs, "client=203.0.113.9") {
		t.Error("the operator token's failures are not logged as they should be")
	}
}
