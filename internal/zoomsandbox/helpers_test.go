package zoomsandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/clocktest"
)

// sandbox is a Server behind a real socket with a client whose every
// exchange is checked against Zoom's OpenAPI document.
type sandbox struct {
	t      *testing.T
	srv    *Server
	ts     *httptest.Server
	clock  *clocktest.Clock
	client *http.Client
}

// startTime is the tests' "now": 2030-01-07 (a Monday) 08:00 UTC.
var startTime = time.Date(2030, 1, 7, 8, 0, 0, 0, time.UTC)

func newSandbox(t *testing.T, mod func(*Options)) *sandbox {
	t.Helper()
	sb := &sandbox{t: t, clock: clocktest.New(startTime)}
	var h http.Handler = http.NotFoundHandler()
	var hmu sync.RWMutex
	sb.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hmu.RLock()
		hh := h
		hmu.RUnlock()
		hh.ServeHTTP(w, r)
	}))
	t.Cleanup(sb.ts.Close)
	opts := Options{
		BaseURL:  sb.ts.URL,
		Domains:  []string{"example.com", "example.org"},
		Now:      sb.clock.Now,
		Rand:     rand.NewChaCha8([32]byte{1, 2, 3}),
		Controls: true,
	}
	if mod != nil {
		mod(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	hmu.Lock()
	h = srv
	hmu.Unlock()
	sb.srv = srv
	sb.client = &http.Client{
		Transport:     conformanceTransport(t, http.DefaultTransport),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return sb
}

// response is a received answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// zoomError decodes a Zoom error body.
func (r *response) zoomError(t *testing.T) apiError {
	t.Helper()
	var e apiError
	r.json(t, &e)
	return e
}

func (sb *sandbox) do(method, path, token string, body any) *response {
	sb.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			sb.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, sb.ts.URL+path, rd)
	if err != nil {
		sb.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return sb.send(req)
}

func (sb *sandbox) send(req *http.Request) *response {
	sb.t.Helper()
	resp, err := sb.client.Do(req)
	if err != nil {
		sb.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		sb.t.Fatal(err)
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// form posts an x-www-form-urlencoded body, with Basic client auth when
// user is not empty.
func (sb *sandbox) form(path, user, pass string, v url.Values) *response {
	sb.t.Helper()
	req, err := http.NewRequest(http.MethodPost, sb.ts.URL+path, strings.NewReader(v.Encode()))
	if err != nil {
		sb.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	return sb.send(req)
}

// s2sToken returns an account_credentials token with the given scopes
// (all when none).
func (sb *sandbox) s2sToken(scopes ...string) string {
	sb.t.Helper()
	v := url.Values{"grant_type": {"account_credentials"}, "account_id": {DefaultAccountID}}
	if len(scopes) > 0 {
		v.Set("scope", strings.Join(scopes, " "))
	}
	r := sb.form("/oauth/token", DefaultClientID, DefaultClientSecret, v)
	if r.Status != http.StatusOK {
		sb.t.Fatalf("account_credentials: %d %s", r.Status, r.Body)
	}
	var tr tokenResponse
	r.json(sb.t, &tr)
	return tr.AccessToken
}

const testRedirect = "http://127.0.0.1:1/oauth/zoom/callback"

// authorize approves an authorization request with PKCE S256 and returns
// the code and the verifier.
func (sb *sandbox) authorize(extra url.Values) (code, verifier string) {
	sb.t.Helper()
	verifier = strings.Repeat("v", 20) + "-verifier-0123456789abcdefghij"
	sum := sha256.Sum256([]byte(verifier))
	v := url.Values{
		"response_type": {"code"}, "client_id": {DefaultClientID}, "redirect_uri": {testRedirect},
		"state": {"st-123"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}, "decision": {"approve"},
	}
	for k, vs := range extra {
		v[k] = vs
	}
	r := sb.form("/oauth/authorize", "", "", v)
	if r.Status != http.StatusFound {
		sb.t.Fatalf("authorize: %d %s", r.Status, r.Body)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		sb.t.Fatal(err)
	}
	if got := loc.Query().Get("state"); got != "st-123" {
		sb.t.Fatalf("state = %q", got)
	}
	return loc.Query().Get("code"), verifier
}

// exchange trades a code for tokens.
func (sb *sandbox) exchange(code, verifier string) (*response, tokenResponse) {
	sb.t.Helper()
	r := sb.form("/oauth/token", DefaultClientID, DefaultClientSecret, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "code_verifier": {verifier},
	})
	var tr tokenResponse
	if r.Status == http.StatusOK {
		r.json(sb.t, &tr)
	}
	return r, tr
}

// create creates a meeting and returns its view.
func (sb *sandbox) create(token, userID string, body any) meetingView {
	sb.t.Helper()
	r := sb.do(http.MethodPost, "/v2/users/"+userID+"/meetings", token, body)
	if r.Status != http.StatusCreated {
		sb.t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var v meetingView
	r.json(sb.t, &v)
	return v
}
