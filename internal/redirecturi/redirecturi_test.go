package redirecturi

import "testing"

// TestAllowed: with URIs registered only those, string for string (port
// included); with none only loopback hosts; never a URI of a bad form.
func TestAllowed(t *testing.T) {
	reg := []string{"https://convene.example/oauth/zoom/callback", "http://127.0.0.1:8080/cb"}
	for _, c := range []struct {
		registered []string
		raw        string
		want       bool
	}{
		{reg, "https://convene.example/oauth/zoom/callback", true},
		{reg, "https://convene.example/oauth/zoom/callback?x=1", false},
		{reg, "https://convene.example:443/oauth/zoom/callback", false},
		{reg, "http://127.0.0.1:8081/cb", false},
		{reg, "http://localhost/cb", false},
		{nil, "http://127.0.0.1:9/cb", true},
		{nil, "http://[::1]/cb", true},
		{nil, "http://LOCALHOST:1/", true},
		{nil, "http://[::ffff:127.0.0.1]/", true},
		{nil, "https://evil.example/cb", false},
		{nil, "http://127.0.0.1:1@evil.example/", false},
		{nil, "http://127.0.0.1/cb#frag", false},
		{nil, "ftp://127.0.0.1/", false},
		{nil, "", false},
	} {
		if got := Allowed(c.registered, c.raw); got != c.want {
			t.Errorf("Allowed(%v, %q) = %v, want %v", c.registered, c.raw, got, c.want)
		}
	}
}
