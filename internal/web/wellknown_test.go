package web

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/convene/convene/internal/calendar/davserver"
)

// RFC 6764 §5: /.well-known/caldav redirects once, straight to the
// context path. The mux used to answer the exact path with a redirect to
// /.well-known/caldav/ first, and a client that follows one redirect took
// that for the context path.
func TestWellKnownCalDAVIsOneRedirect(t *testing.T) {
	h := newHarness(t, "sqlite")
	a := h.setupTenant("Acme", "acme.test", true)
	dav := davserver.New(h.api.Calendars, h.api.Accounts, "/dav", nil)
	api := &Server{Accounts: h.api.Accounts, Calendars: h.api.Calendars, Version: "test",
		Mounts: map[string]http.Handler{"dav": dav, ".well-known/caldav": dav.WellKnown()}}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	errSecond := errors.New("a second redirect")
	oneRedirect := &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 1 {
			return errSecond
		}
		return nil
	}}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range []string{"/.well-known/caldav", "/.well-known/caldav/"} {
		for _, auth := range []bool{false, true} {
			for _, method := range []string{"GET", "PROPFIND"} {
				req, _ := http.NewRequest(method, srv.URL+path, nil)
				if auth {
					req.SetBasicAuth(a.memberEmail, a.member)
				}
				resp, err := noRedirect.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/dav/" {
					t.Errorf("%s %s (auth %v): %d to %q, want 301 to /dav/", method, path, auth, resp.StatusCode, resp.Header.Get("Location"))
				}
				resp, err = oneRedirect.Do(req)
				if err != nil {
					t.Fatalf("%s %s (auth %v), following one redirect: %v", method, path, auth, err)
				}
				resp.Body.Close()
				if got := resp.Request.URL.Path; got != "/dav/" {
					t.Errorf("%s %s (auth %v): one redirect lands on %q", method, path, auth, got)
				}
			}
		}
	}
	// Where the redirect lands, the client finds its principal (RFC 5397).
	req, _ := http.NewRequest("PROPFIND", srv.URL+"/dav/", strings.NewReader(`<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>`))
	req.Header.Set("Depth", "0")
	req.Header.Set("Content-Type", "application/xml")
	req.SetBasicAuth(a.memberEmail, a.member)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus || !strings.Contains(string(body), "/dav/"+a.memberEmail+"/") {
		t.Errorf("PROPFIND /dav/: %d %s", resp.StatusCode, body)
	}
	// The mount's own path is its root, without a detour either.
	req, _ = http.NewRequest("PROPFIND", srv.URL+"/dav", nil)
	req.Header.Set("Depth", "0")
	req.SetBasicAuth(a.memberEmail, a.member)
	if resp, err := noRedirect.Do(req); err != nil || resp.StatusCode != http.StatusMultiStatus {
		t.Errorf("PROPFIND /dav: %v %v", resp.StatusCode, err)
	}
}
