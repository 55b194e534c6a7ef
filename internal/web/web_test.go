package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/inbox"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/mail/dkimsign"
	"github.com/convene/convene/internal/mail/mailauth"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/video"
	"github.com/convene/convene/internal/video/jitsi"
	"github.com/convene/convene/internal/video/zoom"
	"github.com/convene/convene/internal/zoomsandbox"
)

const operatorToken = "operator-token-0123456789"

// harness is a Convene API over a real store, a real DNS server and the
// Zoom sandbox (on its own listener, as real Zoom would be).
type harness struct {
	t       *testing.T
	db      *store.DB
	dns     *dnstest.Server
	srv     *httptest.Server
	api     *Server
	apps    *apps.Service
	booking *booking.Service
	inbox   *inbox.Service
	queue   *jobs.Queue
	zoom    *httptest.Server
	sandbox *zoomsandbox.Server
	logs    *syncBuffer
	// zoomConfig is the Zoom app's, in the catalog of h.apps; moreApps
	// are the catalog's others after Zoom and Jitsi.
	zoomConfig zoom.Config
	moreApps   []video.App
	// loseWebhooks makes Zoom's notifications fail on the way to Convene.
	loseWebhooks atomic.Bool
	// validate checks every response against the OpenAPI document when set.
	validate func(req *http.Request, body []byte, resp *http.Response, respBody []byte)
}

// newHarness starts the harness on engine; more are video apps its catalog
// offers besides Zoom and Jitsi.
func newHarness(t *testing.T, engine string, more ...video.App) *harness {
	t.Helper()
	h := &harness{t: t, db: storetest.Open(t, engine), dns: dnstest.Start(t), logs: &syncBuffer{}, moreApps: more}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(testLog{t}, h.logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	accounts := account.New(h.db, account.NewResolver(h.dns.Addr), operatorToken)
	key := make([]byte, 32)
	rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewUnstartedServer(nil)
	h.zoom = httptest.NewUnstartedServer(nil)
	h.zoomConfig = zoom.Config{APIURL: "http://" + h.zoom.Listener.Addr().String() + "/v2", OAuthURL: "http://" + h.zoom.Listener.Addr().String(),
		ClientID: "sandbox-client", ClientSecret: "sandbox-secret", RedirectURL: "http://" + h.srv.Listener.Addr().String() + "/oauth/zoom/callback",
		WebhookSecret: "sandbox-webhook-secret"}
	accounts.VideoApps = h.catalog()
	h.apps = &apps.Service{Store: h.db, Accounts: accounts, Box: box, Log: log, Now: time.Now, Registry: accounts.VideoApps}
	h.sandbox, err = zoomsandbox.New(zoomsandbox.Options{
		BaseURL: "http://" + h.zoom.Listener.Addr().String(), WebhookURL: "http://" + h.srv.Listener.Addr().String() + "/webhooks/zoom",
		WebhookRetryDelays: []time.Duration{10 * time.Millisecond},
		Controls:           true, // the tests read and steer Zoom through /_sandbox
		RedirectURIs:       []string{"http://" + h.srv.Listener.Addr().String() + "/oauth/zoom/callback"},
		DomainsForAuthorization: func(r *http.Request) ([]string, error) {
			return h.apps.DomainsOfState(r.Context(), r.FormValue("state"))
		},
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.zoom.Config.Handler = h.sandbox
	h.zoom.Start()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, h.db); err != nil {
		t.Fatal(err)
	}
	h.queue = jobs.New(h.db, jobs.Options{Log: log})
	cals := calendar.New(h.db, box, calendar.Options{Log: log, AllowPrivate: true, Apps: h.apps, Registry: accounts.VideoApps,
		BaseURL: "http://" + h.srv.Listener.Addr().String()})
	h.apps.OnInstallChange = cals.InstallChanged
	h.booking = &booking.Service{Store: h.db, Accounts: accounts, Apps: h.apps, Jobs: h.queue, Box: box, Calendars: cals,
		Composer: booking.InviteComposer{Now: time.Now}, Log: log, Now: time.Now}
	h.apps.Notify = h.booking.NotifyAdmins
	accounts.Departures = h.booking
	h.booking.Register(h.queue)
	h.inbox = &inbox.Service{Store: h.db, Accounts: accounts, Jobs: h.queue, Auth: &mailauth.Checker{Resolver: account.NewResolver(h.dns.Addr)},
		Log: log, Now: time.Now}
	h.inbox.Register(h.queue)
	if err := h.queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	h.api = &Server{Accounts: accounts, Apps: h.apps, Booking: h.booking, MeetingEvents: h.booking,
		Calendars: cals, Inbox: h.inbox, MailDNS: &dkimsign.Keys{Store: h.db, Box: box, Resolver: account.NewResolver(h.dns.Addr), Audit: accounts},
		Version: "test", Log: log}
	api := h.api.Handler()
	h.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/webhooks/zoom" && h.loseWebhooks.Load() {
			http.Error(w, "lost on the way", http.StatusBadGateway)
			return
		}
		api.ServeHTTP(w, r)
	})
	h.srv.Start()
	t.Cleanup(func() {
		h.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.queue.Stop(ctx)
		h.zoom.Close()
		h.sandbox.Close()
	})
	return h
}

// catalog is the harness's catalog of video apps: Zoom at its sandbox
// (h.zoomConfig), Jitsi and h.moreApps.
func (h *harness) catalog() *video.Registry {
	h.t.Helper()
	catalog, err := video.NewRegistry(append([]video.App{zoom.App(h.zoomConfig), jitsi.App(jitsi.Config{})}, h.moreApps...)...)
	if err != nil {
		h.t.Fatal(err)
	}
	return catalog
}

// setZoomRequestTimeout bounds each Zoom request of the clients made from
// now on (zoom.Config.RequestTimeout); call it before the first booking.
func (h *harness) setZoomRequestTimeout(d time.Duration) {
	h.zoomConfig.RequestTimeout = d
	h.apps.Registry = h.catalog()
}

// syncBuffer is a bytes.Buffer safe for concurrent writers: the captured
// logs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testLog writes log lines to the test's log.
type testLog struct{ t testing.TB }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// do sends a request with an optional JSON body and bearer token and
// returns the status and decoded JSON answer.
func (h *harness) do(method, path, token string, body any) (int, map[string]any) {
	h.t.Helper()
	status, raw, _ := h.doRaw(method, path, token, body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			h.t.Fatalf("%s %s: answer is not JSON: %q", method, path, raw)
		}
	}
	return status, out
}

func (h *harness) doRaw(method, path, token string, body any) (int, []byte, http.Header) {
	h.t.Helper()
	return h.doRawWith(method, path, token, body, nil)
}

// doRawWith is doRaw with extra request headers.
func (h *harness) doRawWith(method, path, token string, body any, headers map[string]string) (int, []byte, http.Header) {
	h.t.Helper()
	var rd io.Reader
	var reqBody []byte
	if body != nil {
		switch b := body.(type) {
		case string:
			reqBody = []byte(b)
		default:
			reqBody, _ = json.Marshal(b)
		}
		rd = bytes.NewReader(reqBody)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if h.validate != nil {
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		h.validate(req, reqBody, resp, raw)
	}
	if resp.StatusCode >= 400 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			h.t.Errorf("%s %s: error %d with Content-Type %q, want application/problem+json", method, path, resp.StatusCode, ct)
		}
	}
	return resp.StatusCode, raw, resp.Header
}

// expect fails unless status is want.
func (h *harness) expect(method, path, token string, body any, want int) map[string]any {
	h.t.Helper()
	got, out := h.do(method, path, token, body)
	if got != want {
		h.t.Fatalf("%s %s: status %d, want %d; answer %v", method, path, got, want, out)
	}
	return out
}

// tenant is an account with an owner, a verified domain and a member.
type tenant struct {
	accountID, ownerID, owner string
	domain                    string
	member, memberEmail       string
	memberID                  string
}

// setupTenant creates an account (the first through plain setup, others
// with the operator token) with a verified domain and a member.
func (h *harness) setupTenant(name, domain string, first bool) tenant {
	h.t.Helper()
	tok := operatorToken
	if first {
		tok = ""
	}
	out := h.expect("POST", "/api/v1/setup", tok, map[string]any{"account": name, "admin_email": "owner@" + domain, "admin_name": "Owner " + name}, 201)
	tn := tenant{accountID: out["account_id"].(string), ownerID: out["user_id"].(string), owner: out["token"].(string), domain: domain}
	d := h.expect("POST", "/api/v1/domains", tn.owner, map[string]any{"domain": domain}, 201)
	h.dns.SetTXT(d["txt_name"].(string), "v=spf1 -all", d["txt_value"].(string))
	h.expect("POST", "/api/v1/domains/"+domain+"/verify", tn.owner, nil, 200)
	u := h.expect("POST", "/api/v1/users", tn.owner, map[string]any{"email": "member@" + domain, "name": "Member", "timezone": "Europe/Paris"}, 201)
	tn.member = u["token"].(string)
	tn.memberEmail = "member@" + domain
	tn.memberID = u["user"].(map[string]any)["id"].(string)
	return tn
}

func TestProblemDocuments(t *testing.T) {
	h := newHarness(t, "sqlite")
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		detail                    string
	}{
		{"no token", "GET", "/api/v1/users/me", "", nil, 401, "Authorization: Bearer"},
		{"foreign token", "GET", "/api/v1/users/me", "ghp_abc", nil, 401, "not a Convene API token"},
		{"unknown token", "GET", "/api/v1/users/me", "cvn_nope", nil, 401, "unknown or revoked"},
		{"not JSON", "POST", "/api/v1/setup", "", "{nope", 400, "not valid JSON"},
		{"empty body", "POST", "/api/v1/setup", "", "", 400, "empty"},
		{"unknown field", "POST", "/api/v1/setup", "", `{"account":"a","admin_email":"a@b.co","admin_name":"x","colour":"red"}`, 400, `unknown field "colour"`},
		{"wrong type", "POST", "/api/v1/setup", "", `{"account":5}`, 400, "account: expected string"},
		{"two values", "POST", "/api/v1/setup", "", `{} {}`, 400, "one JSON value"},
		{"bad fields", "POST", "/api/v1/setup", "", `{"account":"","admin_email":"Ann <a@b.co>","admin_name":"A","timezone":"Mars/Olympus"}`, 422, "invalid fields"},
		{"no route", "GET", "/api/v1/nope", "", nil, 404, "no route"},
		{"too large", "POST", "/api/v1/setup", "", `{"account":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "over"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			status, out := h.do(c.method, c.path, c.token, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %v", status, c.status, out)
			}
			if out["status"] != float64(c.status) || out["title"] == "" || !strings.HasPrefix(out["type"].(string), problemBase) {
				t.Errorf("not a problem document: %v", out)
			}
			if d, _ := out["detail"].(string); !strings.Contains(d, c.detail) {
				t.Errorf("detail %q does not say %q", d, c.detail)
			}
		})
	}
	// Field errors name each field.
	h.t = t
	_, out := h.do("POST", "/api/v1/setup", "", map[string]any{"account": "", "admin_email": "Ann <a@b.co>", "admin_name": "A", "timezone": "Mars/Olympus"})
	fields := map[string]bool{}
	for _, e := range out["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	for _, f := range []string{"account", "admin_email", "timezone"} {
		if !fields[f] {
			t.Errorf("no error for field %s in %v", f, out["errors"])
		}
	}
}

func TestSetupOnceThenOperator(t *testing.T) {
	h := newHarness(t, "sqlite")
	body := map[string]any{"account": "Acme", "admin_email": "ann@acme.test", "admin_name": "Ann"}
	out := h.expect("POST", "/api/v1/setup", "", body, 201)
	if !strings.HasPrefix(out["token"].(string), "cvn_") {
		t.Fatalf("token %v", out["token"])
	}
	h.expect("POST", "/api/v1/setup", "", map[string]any{"account": "Evil", "admin_email": "e@evil.test", "admin_name": "E"}, 403)
	h.expect("POST", "/api/v1/setup", "cvn_wrong", map[string]any{"account": "Evil", "admin_email": "e@evil.test", "admin_name": "E"}, 401)
	h.expect("POST", "/api/v1/setup", operatorToken, map[string]any{"account": "Beta", "admin_email": "bo@beta.test", "admin_name": "Bo"}, 201)
	// The same address cannot own two accounts.
	h.expect("POST", "/api/v1/setup", operatorToken, body, 409)
	me := h.expect("GET", "/api/v1/users/me", out["token"].(string), nil, 200)
	if me["role"] != "owner" || me["email"] != "ann@acme.test" || me["timezone"] != "UTC" {
		t.Errorf("me = %v", me)
	}
}

func TestDomainsAndUsers(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			out := h.expect("POST", "/api/v1/setup", "", map[string]any{"account": "Acme", "admin_email": "ann@acme.test", "admin_name": "Ann"}, 201)
			owner := out["token"].(string)

			// Users only in verified domains.
			h.expect("POST", "/api/v1/users", owner, map[string]any{"email": "bob@acme.test", "name": "Bob"}, 422)
			d := h.expect("POST", "/api/v1/domains", owner, map[string]any{"domain": "Acme.TEST."}, 201)
			if d["domain"] != "acme.test" || d["verified"] != false || d["txt_name"] != "_convene-challenge.acme.test" ||
				!strings.HasPrefix(d["txt_value"].(string), "convene-domain-verification=") {
				t.Fatalf("domain = %v", d)
			}
			h.expect("POST", "/api/v1/domains", owner, map[string]any{"domain": "acme.test"}, 409)
			h.expect("POST", "/api/v1/domains", owner, map[string]any{"domain": "not a domain"}, 422)
			h.expect("POST", "/api/v1/domains", owner, map[string]any{"domain": "127.0.0.1"}, 422)

			// No record, a wrong record, a failing server: 422 that says why.
			p := h.expect("POST", "/api/v1/domains/acme.test/verify", owner, nil, 422)
			if !strings.Contains(p["detail"].(string), "no TXT record at _convene-challenge.acme.test") || p["txt_value"] != d["txt_value"] {
				t.Errorf("no record: %v", p)
			}
			h.dns.SetTXT("_convene-challenge.acme.test", "convene-domain-verification=wrong")
			p = h.expect("POST", "/api/v1/domains/acme.test/verify", owner, nil, 422)
			if !strings.Contains(p["detail"].(string), "do not include") {
				t.Errorf("wrong record: %v", p)
			}
			h.dns.SetTXT("_convene-challenge.acme.test", "convene-domain-verification=wrong", d["txt_value"].(string))
			v := h.expect("POST", "/api/v1/domains/acme.test/verify", owner, nil, 200)
			if v["verified"] != true {
				t.Errorf("verify = %v", v)
			}
			h.expect("POST", "/api/v1/domains/nope.test/verify", owner, nil, 404)

			// A second account cannot take the verified domain.
			out2 := h.expect("POST", "/api/v1/setup", operatorToken, map[string]any{"account": "Other", "admin_email": "o@other.test", "admin_name": "O"}, 201)
			d2 := h.expect("POST", "/api/v1/domains", out2["token"].(string), map[string]any{"domain": "acme.test"}, 201)
			h.dns.SetTXT("_convene-challenge.acme.test", d["txt_value"].(string), d2["txt_value"].(string))
			h.expect("POST", "/api/v1/domains/acme.test/verify", out2["token"].(string), nil, 409)

			// Create users.
			u := h.expect("POST", "/api/v1/users", owner, map[string]any{"email": "Bob@acme.test", "name": "Bob", "timezone": "America/New_York",
				"working_hours": map[string]any{"mon": [][]string{{"08:00", "12:00"}, {"13:00", "16:00"}}}}, 201)
			bob := u["token"].(string)
			user := u["user"].(map[string]any)
			if user["email"] != "bob@acme.test" || user["role"] != "member" || user["timezone"] != "America/New_York" {
				t.Errorf("user = %v", user)
			}
			h.expect("POST", "/api/v1/users", owner, map[string]any{"email": "bob@acme.test", "name": "Bob"}, 409)
			h.expect("POST", "/api/v1/users", owner, map[string]any{"email": "x@acme.test", "name": "X", "role": "owner"}, 422)
			h.expect("POST", "/api/v1/users", owner, map[string]any{"email": "y@acme.test", "name": "Y", "working_hours": map[string]any{"mon": [][]string{{"17:00", "09:00"}}}}, 422)
			// Members are not admins.
			h.expect("POST", "/api/v1/users", bob, map[string]any{"email": "z@acme.test", "name": "Z"}, 403)
			h.expect("POST", "/api/v1/domains", bob, map[string]any{"domain": "b.test"}, 403)
			h.expect("GET", "/api/v1/users", bob, nil, 403)
			list := h.expect("GET", "/api/v1/users", owner, nil, 200)
			if n := len(list["users"].([]any)); n != 2 {
				t.Errorf("%d users, want 2", n)
			}
			// A domain with users cannot be removed.
			h.expect("DELETE", "/api/v1/domains/acme.test", owner, nil, 409)

			// Users change their own settings.
			me := h.expect("PATCH", "/api/v1/users/me", bob, map[string]any{"timezone": "Asia/Kolkata", "default_duration": 45,
				"buffers": map[string]any{"before": 5, "after": 10}, "video_provider": "jitsi", "min_notice": 120}, 200)
			if me["timezone"] != "Asia/Kolkata" || me["default_duration"] != float64(45) || me["video_provider"] != "jitsi" ||
				me["buffers"].(map[string]any)["after"] != float64(10) {
				t.Errorf("me = %v", me)
			}
			bad := h.expect("PATCH", "/api/v1/users/me", bob, map[string]any{"timezone": "Nowhere/Land", "default_duration": 2}, 422)
			if len(bad["errors"].([]any)) != 2 {
				t.Errorf("errors = %v", bad["errors"])
			}
			again := h.expect("GET", "/api/v1/users/me", bob, nil, 200)
			if again["timezone"] != "Asia/Kolkata" {
				t.Errorf("a refused patch changed the user: %v", again)
			}

			// Tokens: shown once, listed without secret, revocable.
			tk := h.expect("POST", "/api/v1/tokens", bob, map[string]any{"name": "laptop"}, 201)
			secret := tk["secret"].(string)
			h.expect("GET", "/api/v1/users/me", secret, nil, 200)
			_, raw, _ := h.doRaw("GET", "/api/v1/tokens", bob, nil)
			if bytes.Contains(raw, []byte(secret)) || bytes.Contains(raw, []byte(account.HashToken(secret))) {
				t.Error("token list shows a secret or its hash")
			}
			h.expect("DELETE", "/api/v1/tokens/"+tk["token"].(map[string]any)["id"].(string), bob, nil, 204)
			h.expect("GET", "/api/v1/users/me", secret, nil, 401)

			// Account settings.
			a := h.expect("PATCH", "/api/v1/account", owner, map[string]any{"default_video_provider": "jitsi", "language": "fr"}, 200)
			if a["default_video_provider"] != "jitsi" || a["language"] != "fr" {
				t.Errorf("account = %v", a)
			}
			h.expect("PATCH", "/api/v1/account", bob, map[string]any{"language": "en"}, 403)
			h.expect("PATCH", "/api/v1/account", owner, map[string]any{"default_video_provider": "teams"}, 422)
			if a := h.expect("GET", "/api/v1/account", bob, nil, 200); a["language"] != "fr" {
				t.Errorf("account seen by member = %v", a)
			}
		})
	}
}

func TestServFailSaysWhy(t *testing.T) {
	h := newHarness(t, "sqlite")
	out := h.expect("POST", "/api/v1/setup", "", map[string]any{"account": "Acme", "admin_email": "ann@acme.test", "admin_name": "Ann"}, 201)
	h.expect("POST", "/api/v1/domains", out["token"].(string), map[string]any{"domain": "acme.test"}, 201)
	h.dns.SetServFail("_convene-challenge.acme.test")
	p := h.expect("POST", "/api/v1/domains/acme.test/verify", out["token"].(string), nil, 422)
	if !strings.Contains(p["detail"].(string), "_convene-challenge.acme.test") {
		t.Errorf("detail = %v", p["detail"])
	}
}

func TestMetricsAndHealth(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.expect("GET", "/healthz", "", nil, 200)
	h.do("GET", "/api/v1/users/me", "", nil)
	status, raw, hdr := h.doRaw("GET", "/metrics", "", nil)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %s", status, hdr.Get("Content-Type"))
	}
	for _, want := range []string{
		`convene_http_requests_total{method="GET",route="GET /api/v1/users/me",status="401"} 1`,
		`convene_http_request_duration_seconds_bucket`,
		`go_goroutines`,
	} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestPanicAnsweredAsProblem(t *testing.T) {
	s := &Server{}
	s.Handler()
	h := s.recoverer(s.withRequestID(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || rec.Header().Get("Content-Type") != "application/problem+json" || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("%d %s %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
}
