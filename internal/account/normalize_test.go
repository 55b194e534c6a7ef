package account

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeEmail(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"Ann@Example.COM", "ann@example.com", ""},
		{"  bob@acme.test ", "bob@acme.test", ""},
		{"jo@bücher.example", "jo@xn--bcher-kva.example", ""},
		{"", "", "required"},
		{"Ann <ann@example.com>", "", "bare"},
		{"ann", "", "bare"},
		{"ann@localhost", "", "fully qualified"},
		{"ann@127.0.0.1", "", "IP address"},
		{"ann@-bad-.com", "", "not a valid domain"},
		{strings.Repeat("a", 65) + "@example.com", "", "64"},
	}
	for _, c := range cases {
		got, err := NormalizeEmail(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("NormalizeEmail(%q) = %q, %v; want error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestNormalizeDomain(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Example.COM.", "example.com"},
		{"münchen.de", "xn--mnchen-3ya.de"},
		{"a.b.c.example", "a.b.c.example"},
		{"nodot", ""},
		{"under_score.com", ""},
		{"[::1]", ""},
		{"a..b", ""},
		{strings.Repeat("a", 64) + ".com", ""},
	}
	for _, c := range cases {
		got, err := NormalizeDomain(c.in)
		if (err != nil) != (c.want == "") || got != c.want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// FuzzNormalizeEmail: any input either fails or gives a lower-case ASCII
// address that normalizes to itself.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"ann@example.com", "Ann <a@b.c>", "x@bücher.de", "@", "a@b", "\"q\"@x.org", "a@[1.2.3.4]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeEmail(s)
		if err != nil {
			return
		}
		if got != strings.ToLower(got) || !utf8.ValidString(got) || strings.Count(got, "@") < 1 {
			t.Fatalf("NormalizeEmail(%q) = %q", s, got)
		}
		for _, r := range EmailDomain(got) {
			if r > 127 {
				t.Fatalf("domain of %q not ASCII", got)
			}
		}
		again, err := NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q → %q, %v", s, got, again, err)
		}
	})
}
