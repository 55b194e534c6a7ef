package zoomsandbox

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/convene/convene/internal/clocktest"
)

// TestMountedUnderPrefix mounts the tree as convene serve does, under
// /zoom-sandbox with http.StripPrefix: every URL it hands out carries the
// prefix.
func TestMountedUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	defer ts.Close()
	srv, err := New(Options{BaseURL: ts.URL + "/zoom-sandbox/", Now: clocktest.New(startTime).Now})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	mux.Handle("/zoom-sandbox/", http.StripPrefix("/zoom-sandbox", srv))
	sb := &sandbox{t: t, ts: &httptest.Server{URL: ts.URL + "/zoom-sandbox"}, client: &http.Client{
		Transport:     conformanceTransport(t, http.DefaultTransport),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	tok := sb.s2sToken()
	v := sb.create(tok, "someone@anywhere.test", map[string]any{"topic": "mounted"})
	if !strings.HasPrefix(v.JoinURL, ts.URL+"/zoom-sandbox/j/") || !strings.HasPrefix(v.StartURL, ts.URL+"/zoom-sandbox/s/") {
		t.Errorf("urls: %s %s", v.JoinURL, v.StartURL)
	}
	q := url.Values{"response_type": {"code"}, "client_id": {DefaultClientID}, "redirect_uri": {testRedirect}}
	page := sb.do(http.MethodGet, "/oauth/authorize?"+q.Encode(), "", nil)
	if !strings.Contains(string(page.Body), `action="`+ts.URL+`/zoom-sandbox/oauth/authorize"`) {
		t.Errorf("consent form action:\n%s", page.Body)
	}
	var tr tokenResponse
	sb.form("/oauth/token", DefaultClientID, DefaultClientSecret, url.Values{"grant_type": {"account_credentials"}, "account_id": {DefaultAccountID}}).json(t, &tr)
	if tr.APIURL != ts.URL+"/zoom-sandbox" {
		t.Errorf("api_url %s", tr.APIURL)
	}
}
