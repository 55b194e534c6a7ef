package graphsandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/clocktest"
)

// sandbox is a Server behind an httptest server, with controls on.
type sandbox struct {
	t     testing.TB
	srv   *Server
	ts    *httptest.Server
	clock *clocktest.Clock
	token string
}

func newSandbox(t testing.TB, mutate ...func(*Options)) *sandbox {
	t.Helper()
	sb := &sandbox{t: t, clock: clocktest.New(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))}
	var h http.Handler
	sb.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(sb.ts.Close)
	opts := Options{BaseURL: sb.ts.URL, Controls: true, Now: sb.clock.Now, Domains: []string{"example.com"}}
	for _, m := range mutate {
		m(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	sb.srv, h = srv, srv
	return sb
}

// tokenFor fetches a client-credentials token of the tenant.
func (sb *sandbox) tokenFor(tenant string) (int, map[string]any) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err := http.PostForm(sb.ts.URL+"/"+tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		sb.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (sb *sandbox) login() {
	sb.t.Helper()
	st, m := sb.tokenFor(DefaultTenantID)
	if st != 200 {
		sb.t.Fatalf("token: %d %v", st, m)
	}
	sb.token = m["access_token"].(string)
}

// do sends a Graph request with the token and decodes a JSON answer.
func (sb *sandbox) do(method, path string, body any, headers ...string) (int, map[string]any, http.Header) {
	sb.t.Helper()
	st, raw, h := sb.doRaw(method, path, body, headers...)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			sb.t.Fatalf("%s %s: answer is not JSON: %v: %s", method, path, err, raw)
		}
	}
	return st, m, h
}

func (sb *sandbox) doRaw(method, path string, body any, headers ...string) (int, []byte, http.Header) {
	sb.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = sb.ts.URL + path
	}
	req, _ := http.NewRequest(method, u, rd)
	if sb.token != "" {
		req.Header.Set("Authorization", "Bearer "+sb.token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sb.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, resp.Header
}

func (sb *sandbox) must(want int, method, path string, body any, headers ...string) map[string]any {
	sb.t.Helper()
	st, m, _ := sb.do(method, path, body, headers...)
	if st != want {
		sb.t.Fatalf("%s %s: status %d, want %d: %v", method, path, st, want, m)
	}
	return m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func values(m map[string]any) []map[string]any {
	vs, _ := m["value"].([]any)
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.(map[string]any))
	}
	return out
}

// event builds a Graph event body in UTC.
func eventBody(subject, start, end string) map[string]any {
	return map[string]any{"subject": subject,
		"start": map[string]string{"dateTime": start, "timeZone": "UTC"},
		"end":   map[string]string{"dateTime": end, "timeZone": "UTC"}}
}

func decodeJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

type timeT = time.Time

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
