package authlimit

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// FuzzClient: whatever the peer and X-Forwarded-For, Client never panics
// and answers the peer or an address written in the header, and never
// believes the header from an untrusted peer.
func FuzzClient(f *testing.F) {
	for _, seed := range [][2]string{
		{"10.1.2.3:443", "198.51.100.9"},
		{"10.1.2.3:443", "1.1.1.1, 2.2.2.2,198.51.100.9"},
		{"[::1]:443", "2001:db8::5, 10.0.0.1"},
		{"10.1.2.3:443", "[2001:db8::1]:80, nonsense,,"},
		{"192.0.2.1:5555", "198.51.100.9"},
		{"pipe", ""},
		{"10.1.2.3:443", "::ffff:10.0.0.1"},
	} {
		f.Add(seed[0], seed[1])
	}
	l := New(Options{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := l.Client(r)
		peer := parseHost(remote)
		if got == peer {
			return
		}
		if !l.trusted(peer) {
			t.Fatalf("header believed from untrusted peer %q: %v", remote, got)
		}
		found := false
		for _, hop := range strings.Split(xff, ",") {
			if parseHost(strings.TrimSpace(hop)) == got {
				found = true
			}
		}
		if !found {
			t.Fatalf("client %v is neither the peer %q nor in %q", got, remote, xff)
		}
		// The bucket of any answer works.
		l.Fail(got)
		l.Wait(got)
	})
}
