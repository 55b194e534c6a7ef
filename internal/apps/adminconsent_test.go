package apps

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/video"
)

const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// identityPlatform is a fake of the Microsoft identity platform's token
// endpoint for client credentials (RFC 6749 §4.4; Microsoft's v2.0
// token endpoint: form fields client_id, client_secret, scope,
// grant_type; answers token_type, expires_in, access_token, or error,
// error_description, error_codes).
type identityPlatform struct {
	mu     sync.Mutex
	roles  []string
	fail   string // an error answer's JSON, with failStatus
	status int
	calls  []url.Values
	paths  []string
	issued int
}

func (ip *identityPlatform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	ip.mu.Lock()
	defer ip.mu.Unlock()
	ip.calls = append(ip.calls, r.PostForm)
	ip.paths = append(ip.paths, r.URL.Path)
	w.Header().Set("Content-Type", "application/json")
	if ip.fail != "" {
		w.WriteHeader(ip.status)
		fmt.Fprint(w, ip.fail)
		return
	}
	ip.issued++
	claims, _ := json.Marshal(map[string]any{"aud": "https://graph.microsoft.com", "tid": tenant, "roles": ip.roles, "n": ip.issued})
	jwt := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(claims) + ".c2ln"
	fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":%q}`, jwt)
}

// stubProvider stands for the app's client: these tests never call it.
type stubProvider struct{ video.Provider }

type consentEnv struct {
	s       *Service
	db      *store.DB
	ip      *identityPlatform
	admin   account.Principal
	now     time.Time
	notices []string
	conns   []video.Connection
}

var allRoles = []string{"Calendars.ReadWrite", "OnlineMeetings.ReadWrite.All", "User.Read.All", "MailboxSettings.Read"}

func newConsentEnv(t *testing.T, db *store.DB) *consentEnv {
	t.Helper()
	ctx := context.Background()
	ip := &identityPlatform{roles: allRoles}
	srv := httptest.NewServer(ip)
	t.Cleanup(srv.Close)
	env := &consentEnv{db: db, ip: ip, now: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	app := video.App{ID: "m365", Name: "Microsoft 365", Auth: video.Auth{Kind: video.AuthAdminConsent,
		AuthURL: srv.URL + "/organizations/v2.0/adminconsent", TokenURL: srv.URL + "/{tenant}/oauth2/v2.0/token",
		ClientID: "cid", ClientSecret: "csecret", RedirectURL: "https://convene.example/oauth/m365/callback",
		Scope: "https://graph.microsoft.com/.default", ScopeSets: [][]string{allRoles}},
		Connect: func(c video.Connection) video.Provider { env.conns = append(env.conns, c); return stubProvider{} },
	}
	reg, err := video.NewRegistry(app)
	if err != nil {
		t.Fatal(err)
	}
	box, err := seal.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return env.now }
	accts := &account.Service{Store: db, Now: clock}
	env.s = &Service{Store: db, Accounts: accts, Box: box, Registry: reg, HTTP: srv.Client(), Log: slog.New(slog.DiscardHandler), Now: clock,
		Notify: func(_ context.Context, accountID, app, problem string) { env.notices = append(env.notices, problem) }}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.CreateAccount(ctx, &store.Account{ID: "acct", Name: "Acme", Language: "en", Created: env.now}))
	must(db.CreateUser(ctx, &store.User{ID: "u-admin", AccountID: "acct", Email: "admin@acme.example", Role: store.RoleAdmin, TimeZone: "UTC", Created: env.now}))
	must(db.CreateDomain(ctx, &store.Domain{AccountID: "acct", Name: "acme.example", TXTValue: "x", Created: env.now}))
	must(db.MarkDomainVerified(ctx, "acct", "acme.example", env.now, store.VerifiedByDNS))
	env.admin = account.Principal{AccountID: "acct", UserID: "u-admin", Email: "admin@acme.example", Role: store.RoleAdmin}
	if _, err := env.s.PreApprove(ctx, env.admin, "m365"); err != nil {
		t.Fatal(err)
	}
	return env
}

// start begins an install and returns the state sent to Microsoft.
func (env *consentEnv) start(t *testing.T) (string, *url.URL) {
	t.Helper()
	res, err := env.s.Install(context.Background(), env.admin, "m365", []string{"acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(res.AuthorizeURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state"), u
}

func (env *consentEnv) install(t *testing.T) *store.Install {
	t.Helper()
	state, _ := env.start(t)
	if _, err := env.s.Callback(context.Background(), "m365", url.Values{"admin_consent": {"True"}, "tenant": {tenant}, "state": {state}, "scope": {"https://graph.microsoft.com/.default"}}); err != nil {
		t.Fatal(err)
	}
	in, err := env.db.Install(context.Background(), "acct", "m365")
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TestAdminConsentInstall: the admin is sent to the adminconsent endpoint
// with client_id, scope, redirect_uri and a state (no code flow, no
// PKCE); the callback's tenant gets a client-credentials token that is
// stored sealed, and the install is bound to the tenant.
func TestAdminConsentInstall(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := newConsentEnv(t, db)
		state, u := env.start(t)
		q := u.Query()
		if u.Path != "/organizations/v2.0/adminconsent" || q.Get("client_id") != "cid" || q.Get("scope") != "https://graph.microsoft.com/.default" ||
			q.Get("redirect_uri") != "https://convene.example/oauth/m365/callback" || len(state) < 40 || q.Has("code_challenge") || q.Has("response_type") {
			t.Errorf("consent URL %s", u)
		}
		res, err := env.s.Callback(context.Background(), "m365", url.Values{"admin_consent": {"True"}, "tenant": {tenant}, "state": {state}})
		if err != nil {
			t.Fatal(err)
		}
		if res.AccountID != "acct" || res.App.State != store.InstallInstalled {
			t.Errorf("%+v", res)
		}
		form := env.ip.calls[0]
		if env.ip.paths[0] != "/"+tenant+"/oauth2/v2.0/token" || form.Get("grant_type") != "client_credentials" || form.Get("client_id") != "cid" ||
			form.Get("client_secret") != "csecret" || form.Get("scope") != "https://graph.microsoft.com/.default" {
			t.Errorf("token request %s %v", env.ip.paths[0], form)
		}
		in, _ := db.Install(context.Background(), "acct", "m365")
		if in.ProviderAccountID != tenant || in.RefreshToken != "" || strings.HasPrefix(in.AccessToken, "eyJ") || !in.TokenExpires.Equal(env.now.Add(3599*time.Second)) {
			t.Errorf("install %+v", in)
		}
		if tok, err := env.s.Box.Open(in.AccessToken, "install/acct/m365/access"); err != nil || !strings.HasPrefix(tok, "eyJ") {
			t.Errorf("sealed token: %v", err)
		}
		// The state is single use.
		_, err = env.s.Callback(context.Background(), "m365", url.Values{"admin_consent": {"True"}, "tenant": {tenant}, "state": {state}})
		if f, ok := failure.As(err); !ok || f.Kind != failure.Invalid {
			t.Errorf("a state used twice: %v", err)
		}
		// The client gets the install's tenant.
		if _, err := env.s.Provider(context.Background(), "acct", "ann@acme.example", "m365"); err != nil || len(env.conns) != 1 || env.conns[0].Tenant != tenant {
			t.Errorf("connection %+v %v", env.conns, err)
		}
	})
}

// TestAdminConsentCallbackRules: a forged state, a declined consent, a
// consent not confirmed, no or a malformed tenant, a token refused, and a
// token without every permission are each refused, and none installs.
func TestAdminConsentCallbackRules(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	env := newConsentEnv(t, db)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		q     func(state string) url.Values
		setup func()
		kind  failure.Kind
		in    string
	}{
		{"forged state", func(string) url.Values {
			return url.Values{"admin_consent": {"True"}, "tenant": {tenant}, "state": {"forged"}}
		}, nil, failure.Invalid, "unknown"},
		{"declined", func(s string) url.Values {
			return url.Values{"error": {"access_denied"}, "error_description": {"AADSTS65004: User declined to consent"}, "state": {s}}
		}, nil, failure.Forbidden, "declined"},
		{"not confirmed", func(s string) url.Values { return url.Values{"tenant": {tenant}, "state": {s}} }, nil, failure.Invalid, "admin_consent"},
		{"no tenant", func(s string) url.Values { return url.Values{"admin_consent": {"True"}, "state": {s}} }, nil, failure.Invalid, "tenant"},
		{"bad tenant", func(s string) url.Values {
			return url.Values{"admin_consent": {"True"}, "tenant": {"../evil"}, "state": {s}}
		}, nil, failure.Invalid, "tenant"},
		{"token refused", func(s string) url.Values {
			return url.Values{"admin_consent": {"True"}, "tenant": {tenant}, "state": {s}}
		}, func() {
			env.ip.fail, env.ip.status = `{"error":"invalid_client","error_description":"AADSTS700016: Application not found in the directory.\r\nTrace ID: x","error_codes":[700016]}`, 400
		}, failure.Invalid, "AADSTS700016"},
		{"permission missing", func(s string) url.Values {
			return url.Values{"admin_consent": {"True"}, "tenant": {tenant}, "state": {s}}
		}, func() { env.ip.fail, env.ip.roles = "", []string{"Calendars.ReadWrite", "User.Read.All"} }, failure.Invalid, "OnlineMeetings.ReadWrite.All, MailboxSettings.Read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			state, _ := env.start(t)
			_, err := env.s.Callback(ctx, "m365", tc.q(state))
			f, ok := failure.As(err)
			if !ok || f.Kind != tc.kind || !strings.Contains(err.Error(), tc.in) {
				t.Errorf("%v (%T), want %s containing %q", err, err, tc.kind, tc.in)
			}
			if in, _ := db.Install(ctx, "acct", "m365"); in.State == store.InstallInstalled || in.AccessToken != "" {
				t.Errorf("installed: %+v", in)
			}
		})
	}
}

// TestClientCredentialsRenewal: the stored token is used until it nears
// expiry, then a new client-credentials token is taken for the tenant,
// sealed and stored (there is no refresh token); a 401's Refresh takes a
// new one too.
func TestClientCredentialsRenewal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := newConsentEnv(t, db)
		in := env.install(t)
		ctx := context.Background()
		a, _ := env.s.Registry.Lookup("m365")
		ts := &tokenSource{s: env.s, accountID: "acct", app: "m365", entry: a}
		first, err := ts.Token(ctx)
		if err != nil || env.ip.issued != 1 {
			t.Fatalf("%v issued %d", err, env.ip.issued)
		}
		env.now = env.now.Add(58 * time.Minute) // within refreshAhead of expiry
		second, err := ts.Token(ctx)
		if err != nil || second == first || env.ip.issued != 2 || env.ip.calls[1].Get("grant_type") != "client_credentials" || env.ip.paths[1] != "/"+tenant+"/oauth2/v2.0/token" {
			t.Fatalf("renewal: %v issued %d", err, env.ip.issued)
		}
		now, _ := db.Install(ctx, "acct", "m365")
		if now.TokenVersion == in.TokenVersion || now.RefreshToken != "" || !now.TokenExpires.Equal(env.now.Add(3599*time.Second)) {
			t.Errorf("stored %+v", now)
		}
		third, err := ts.Refresh(ctx, second)
		if err != nil || third == second || env.ip.issued != 3 {
			t.Errorf("refresh after a 401: %v issued %d", err, env.ip.issued)
		}
	})
}

// TestLostConsent: token endpoint answers that mean the consent or the
// app is gone put the install in needs_reauthorization and tell the
// admins; a transient failure does neither.
func TestLostConsent(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		lost       bool
	}{
		{"no consent", `{"error":"invalid_grant","error_description":"AADSTS65001: The user or administrator has not consented to use the application.","error_codes":[65001]}`, 400, true},
		{"app disabled", `{"error":"unauthorized_client","error_description":"AADSTS7000112: Application is disabled.","error_codes":[7000112]}`, 400, true},
		{"app removed", `{"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'cid' was not found in the directory.","error_codes":[700016]}`, 400, true},
		{"bad secret", `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}`, 401, true},
		{"code only in the list", `{"error":"invalid_request","error_description":"something","error_codes":[65001]}`, 400, true},
		{"unavailable", `{"error":"temporarily_unavailable","error_description":"AADSTS50196: The server terminated an operation.","error_codes":[50196]}`, 503, false},
		{"other request error", `{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for scope is not valid.","error_codes":[70011]}`, 400, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := storetest.Open(t, "sqlite")
			env := newConsentEnv(t, db)
			env.install(t)
			ctx := context.Background()
			a, _ := env.s.Registry.Lookup("m365")
			ts := &tokenSource{s: env.s, accountID: "acct", app: "m365", entry: a}
			env.ip.fail, env.ip.status = tc.body, tc.status
			env.now = env.now.Add(2 * time.Hour)
			_, err := ts.Token(ctx)
			if err == nil {
				t.Fatal("a token although the endpoint refused")
			}
			in, _ := db.Install(ctx, "acct", "m365")
			if got := errors.Is(err, video.ErrUnauthorized); got != tc.lost {
				t.Errorf("ErrUnauthorized %v, want %v: %v", got, tc.lost, err)
			}
			if tc.lost != (in.State == store.InstallNeedsReauthorization) || tc.lost != (len(env.notices) == 1) {
				t.Errorf("state %s, notices %v", in.State, env.notices)
			}
			if tc.lost && !strings.Contains(in.Problem, "consent again") {
				t.Errorf("problem %q", in.Problem)
			}
			if tc.lost {
				if _, err := env.s.Provider(ctx, "acct", "ann@acme.example", "m365"); err == nil || !strings.Contains(err.Error(), "re-authorization") {
					t.Errorf("provider of a lost consent: %v", err)
				}
			}
		})
	}
}
