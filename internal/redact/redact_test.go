package redact

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		// Google's secret address.
		{"https://calendar.google.com/calendar/ical/ann%40gmail.com/private-6f1c2d3e4b5a69788796a5b4c3d2e1f0/basic.ics",
			"https://calendar.google.com/calendar/ical/ann%40gmail.com/…/basic.ics"},
		// Google's public address stays as it is.
		{"https://calendar.google.com/calendar/ical/en.usa%23holiday%40group.v.calendar.google.com/public/basic.ics",
			"https://calendar.google.com/calendar/ical/en.usa%23holiday%40group.v.calendar.google.com/public/basic.ics"},
		// Outlook: a GUID at the domain, then a long hex token.
		{"https://outlook.office365.com/owa/calendar/0d3f5e1a2b3c4d5e6f708192a3b4c5d6@acme.com/9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b/calendar.ics",
			"https://outlook.office365.com/owa/calendar/…/…/calendar.ics"},
		// iCloud, mixed-case token without digits.
		{"webcal://p42-caldav.icloud.com/published/2/MTIzNDU2Nzg5MDEyMzQ1Nj-AbCdEfGhIjKlMnOp", "webcal://p42-caldav.icloud.com/published/2/…"},
		{"https://cloud.example.org/remote.php/dav/public-calendars/kX9pQ2mZ7rT4wB8n?export", "https://cloud.example.org/remote.php/dav/public-calendars/…"},
		// Credentials, the query and the fragment go.
		{"https://ann:hunter2@cal.example.org:8443/dav/calendars/ann/?token=abc#frag", "https://cal.example.org:8443/dav/calendars/ann/"},
		{"http://cal.example.org", "http://cal.example.org"},
		{"/calendar/ical/x/private-abc/basic.ics", "/calendar/ical/x/…/basic.ics"},
		{"not a url", Mark},
		{"mailto:ann@example.org", "mailto:…"},
		{"https://host/%zz", Mark},
	} {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSecret(t *testing.T) {
	for _, s := range []string{"private-0123", "secret", "PrivateFeed", "6f1c2d3e4b5a6978", "kX9pQ2mZ7rT4wB8n", "0d3f5e1a-2b3c-4d5e-6f70-8192a3b4c5d6", "AbCdEfGhIjKlMnOp.ics"} {
		if !Secret(s) {
			t.Errorf("%q does not look secret", s)
		}
	}
	for _, s := range []string{"basic.ics", "calendar", "public-calendars", "remote.php", "ann@gmail.com", "en.usa#holiday@group.v.calendar.google.com", "2024", ""} {
		if Secret(s) {
			t.Errorf("%q looks secret", s)
		}
	}
}

func TestTextAndError(t *testing.T) {
	secret := "private-6f1c2d3e4b5a69788796a5b4c3d2e1f0"
	raw := "https://ann:pw@calendar.google.com/calendar/ical/ann%40gmail.com/" + secret + "/basic.ics?x=1"
	req, _ := http.NewRequestWithContext(context.Background(), "GET", raw, nil)
	_, err := (&http.Client{Transport: failing{}}).Do(req)
	wrapped := fmt.Errorf("fetch the feed: %w", err)
	red := Error(wrapped)
	for _, s := range []string{red.Error(), Text(wrapped.Error()), Text("PROPFIND /dav/" + secret + "/: 404"), Text("see (" + raw + "), then")} {
		if strings.Contains(s, "6f1c2d3e") || strings.Contains(s, "pw@") || strings.Contains(s, "x=1") {
			t.Errorf("a secret is left in %q", s)
		}
	}
	if !strings.Contains(red.Error(), `"https://calendar.google.com/calendar/ical/ann%40gmail.com/…/basic.ics"`) || !strings.HasSuffix(red.Error(), "refused") {
		t.Errorf("redacted error %q", red)
	}
	if !errors.Is(red, errRefused) {
		t.Error("the redacted error lost its chain")
	}
	var ue *url.Error
	if !errors.As(red, &ue) || strings.Contains(ue.URL, "6f1c") {
		t.Errorf("the url.Error in the chain keeps its URL: %v", ue)
	}
	if got := Text("see (" + raw + "), then"); got != "see (https://calendar.google.com/calendar/ical/ann%40gmail.com/…/basic.ics), then" {
		t.Errorf("Text kept the sentence as %q", got)
	}
}

var errRefused = errors.New("refused")

type failing struct{}

func (failing) RoundTrip(*http.Request) (*http.Response, error) { return nil, errRefused }

// FuzzText: whatever the text, what Text leaves holds no secret-looking
// path segment of a URL, no user information and no query.
func FuzzText(f *testing.F) {
	for _, s := range []string{
		"https://ann:pw@h/a/private-x/b.ics?q=1", `Get "http://h/AbCdEfGhIjKlMnOpQr": EOF`, "PROPFIND /x/0123456789abcdef0/ 404",
		"webcal://h", "x://", "((/", "=/secret", "https://h/%zz/private", "a b c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		for _, m := range inText.FindAllString(out, -1) {
			if strings.ContainsAny(m, "?#") {
				t.Fatalf("Text(%q) = %q leaves a query or fragment in %q", s, out, m)
			}
			rest := m
			if i := strings.Index(m, "://"); i >= 0 && isLetter(m[0]) {
				// As Text reads it: trailing punctuation is the
				// sentence's.
				rest = strings.TrimRight(rest, ".,;:)]}")
				rest = rest[i+3:]
				host, p, _ := strings.Cut(rest, "/")
				if strings.Contains(host, "@") {
					t.Fatalf("Text(%q) = %q leaves user information in %q", s, out, m)
				}
				rest = p
			}
			for _, seg := range strings.Split(rest, "/") {
				if dec, err := url.PathUnescape(seg); err == nil && dec != Mark && Secret(dec) {
					t.Fatalf("Text(%q) = %q leaves the secret %q", s, out, seg)
				}
			}
		}
		if again := Text(out); again != out {
			t.Fatalf("Text is not stable: %q then %q", out, again)
		}
	})
}
