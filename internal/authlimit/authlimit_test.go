package authlimit

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/convene/convene/internal/clocktest"
)

func TestBucketPerAddress(t *testing.T) {
	c := clocktest.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := New(Options{Burst: 3, Refill: 10 * time.Second, Now: c.Now})
	bad, good := netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("198.51.100.1")
	for i := range 3 {
		if w := l.Wait(bad); w != 0 {
			t.Fatalf("attempt %d: wait %v before the burst is spent", i, w)
		}
		l.Fail(bad)
	}
	if w := l.Wait(bad); w != 10*time.Second {
		t.Errorf("after the burst: wait %v, want 10s", w)
	}
	// Another address is unaffected.
	if w := l.Wait(good); w != 0 {
		t.Errorf("another address waits %v", w)
	}
	// The bucket refills: one more attempt after Refill.
	c.Advance(4 * time.Second)
	if w := l.Wait(bad); w != 6*time.Second {
		t.Errorf("4 s later: wait %v, want 6s", w)
	}
	c.Advance(6 * time.Second)
	if w := l.Wait(bad); w != 0 {
		t.Errorf("refilled: wait %v", w)
	}
	l.Fail(bad)
	if w := l.Wait(bad); w <= 0 {
		t.Error("a failure after the refill is not counted")
	}
	// A full bucket is forgotten.
	c.Advance(time.Hour)
	if w := l.Wait(bad); w != 0 || l.Len() != 0 {
		t.Errorf("an hour later: wait %v, %d remembered", w, l.Len())
	}
}

func TestIPv6CountsPerSlash64(t *testing.T) {
	l := New(Options{Burst: 2})
	for _, a := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"} {
		l.Fail(netip.MustParseAddr(a))
	}
	if l.Wait(netip.MustParseAddr("2001:db8:1:2::77")) == 0 {
		t.Error("an address of the same /64 is not limited")
	}
	if l.Wait(netip.MustParseAddr("2001:db8:1:3::1")) != 0 {
		t.Error("another /64 is limited")
	}
	// IPv4-mapped IPv6 is the IPv4 address.
	l.Fail(netip.MustParseAddr("::ffff:192.0.2.1"))
	l.Fail(netip.MustParseAddr("192.0.2.1"))
	if l.Wait(netip.MustParseAddr("192.0.2.1")) == 0 {
		t.Error("mapped and plain IPv4 count apart")
	}
}

// TestTableIsBounded: a flood of addresses cannot grow the table past
// MaxClients; the address that failed least recently goes first.
func TestTableIsBounded(t *testing.T) {
	l := New(Options{Burst: 1, MaxClients: 1000})
	attacker := netip.MustParseAddr("203.0.113.7")
	l.Fail(attacker)
	for i := range 100000 {
		l.Fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
		if i%1000 == 0 {
			l.Fail(attacker) // still failing: kept
		}
	}
	if n := l.Len(); n != 1000 {
		t.Errorf("%d addresses remembered, want 1000", n)
	}
	if l.Wait(attacker) == 0 {
		t.Error("the address that keeps failing was forgotten")
	}
}

func TestClientAddress(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	cases := []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string
	}{
		{"socket", "192.0.2.1:5555", nil, nil, "192.0.2.1"},
		{"header ignored without trusted proxies", "192.0.2.1:5555", []string{"198.51.100.9"}, nil, "192.0.2.1"},
		{"header ignored from an untrusted peer", "192.0.2.1:5555", []string{"198.51.100.9"}, proxies, "192.0.2.1"},
		{"trusted proxy", "10.1.2.3:443", []string{"198.51.100.9"}, proxies, "198.51.100.9"},
		{"spoofed entries before the real one", "10.1.2.3:443", []string{"1.1.1.1, 2.2.2.2", "198.51.100.9"}, proxies, "198.51.100.9"},
		{"chain of proxies", "10.1.2.3:443", []string{"198.51.100.9, 10.9.9.9"}, proxies, "198.51.100.9"},
		{"only proxies", "10.1.2.3:443", []string{"10.2.2.2"}, proxies, "10.2.2.2"},
		{"garbled entry", "10.1.2.3:443", []string{"198.51.100.9, nonsense"}, proxies, "10.1.2.3"},
		{"no header", "10.1.2.3:443", nil, proxies, "10.1.2.3"},
		{"IPv6 peer", "[::1]:443", []string{"2001:db8::5"}, proxies, "2001:db8::5"},
		{"mapped peer", "[::ffff:192.0.2.1]:5555", nil, nil, "192.0.2.1"},
		{"no address", "pipe", nil, nil, "invalid IP"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := New(Options{TrustedProxies: c.trusted})
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = c.remote
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := l.Client(r).String(); got != c.want {
				t.Errorf("client %s, want %s", got, c.want)
			}
		})
	}
}

func TestSecretHint(t *testing.T) {
	for in, want := range map[string]string{
		"cvn_abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst": "cvn_abcd…",
		"cvn_short":                 "",
		"ghp_abcdefghijklmnopqrstu": "",
		"operator-token-0123456789": "",
	} {
		if got := SecretHint(in); got != want {
			t.Errorf("SecretHint(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for in, want := range map[time.Duration]string{0: "1", 300 * time.Millisecond: "1", 6 * time.Second: "6", 6001 * time.Millisecond: "7"} {
		if got := RetryAfter(in); got != want {
			t.Errorf("RetryAfter(%v) = %s, want %s", in, got, want)
		}
	}
}
