package apps

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/video"
)

const (
	calEvents = "https://www.googleapis.com/auth/calendar.events.owned"
	calFB     = "https://www.googleapis.com/auth/calendar.freebusy"
)

// fakeGoogle follows Google's published OAuth 2.0 and OpenID Connect
// contract for web server applications: the token endpoint (code with
// PKCE, refresh_token), revocation, the discovery document and the keys.
// Tests change what the next code exchange answers (claims, scopes,
// refresh token) to check each of Convene's rules.
type fakeGoogle struct {
	srv *httptest.Server
	key *rsa.PrivateKey

	mu sync.Mutex
	// codes: code → the PKCE challenge and nonce it was issued for.
	codes map[string][2]string
	// next exchange's answer
	sub, email string
	scope      string
	noRefresh  bool
	claims     map[string]any // overrides of the id_token's claims
	// refresh answers
	refreshFail string // an error code (invalid_grant) for refreshes
	refreshes   int
	issued      int
	revoked     []string
	revokeFail  bool
	verifiers   []string
}

func newFakeGoogle(t *testing.T) *fakeGoogle {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeGoogle{key: k, codes: map[string][2]string{}, sub: "1100001", email: "ann.perso@gmail.com", scope: "openid https://www.googleapis.com/auth/userinfo.email " + calEvents + " " + calFB}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// authorize is what the consent page does for an allowed request: it
// returns the code the browser brings back.
func (f *fakeGoogle) authorize(t *testing.T, authURL string) (code, state string) {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	code = fmt.Sprintf("4/0code%d", len(f.codes))
	f.codes[code] = [2]string{q.Get("code_challenge"), q.Get("nonce")}
	return code, q.Get("state")
}

func (f *fakeGoogle) sign(claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: f.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		panic(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		panic(err)
	}
	return s
}

func (f *fakeGoogle) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	bad := func(status int, code, desc string) {
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":%q,"error_description":%q}`, code, desc)
	}
	switch r.URL.Path {
	case "/.well-known/openid-configuration":
		fmt.Fprintf(w, `{"issuer":%q,"authorization_endpoint":%q,"token_endpoint":%q,"jwks_uri":%q,"id_token_signing_alg_values_supported":["RS256"]}`,
			f.srv.URL, f.srv.URL+"/auth", f.srv.URL+"/token", f.srv.URL+"/certs")
	case "/certs":
		b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
		w.Write(b)
	case "/revoke":
		r.ParseForm()
		if f.revokeFail {
			bad(http.StatusServiceUnavailable, "unavailable", "try later")
			return
		}
		f.revoked = append(f.revoked, r.PostForm.Get("token"))
	case "/token":
		r.ParseForm()
		form := r.PostForm
		if form.Get("client_id") != "cid" || form.Get("client_secret") != "csecret" {
			bad(http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
			return
		}
		switch form.Get("grant_type") {
		case "authorization_code":
			c, ok := f.codes[form.Get("code")]
			delete(f.codes, form.Get("code"))
			v := form.Get("code_verifier")
			f.verifiers = append(f.verifiers, v)
			sum := sha256.Sum256([]byte(v))
			if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != c[0] {
				bad(http.StatusBadRequest, "invalid_grant", "Bad Request")
				return
			}
			now := time.Now()
			claims := map[string]any{"iss": f.srv.URL, "aud": "cid", "sub": f.sub, "email": f.email, "email_verified": true,
				"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "nonce": c[1]}
			for k, v := range f.claims {
				claims[k] = v
			}
			f.issued++
			out := map[string]any{"access_token": fmt.Sprintf("ya29.access-%d", f.issued), "expires_in": 3599, "token_type": "Bearer",
				"scope": f.scope, "id_token": f.sign(claims)}
			if !f.noRefresh {
				out["refresh_token"] = fmt.Sprintf("1//refresh-%d", f.issued)
			}
			json.NewEncoder(w).Encode(out)
		case "refresh_token":
			f.refreshes++
			if f.refreshFail != "" {
				bad(http.StatusBadRequest, f.refreshFail, "Token has been expired or revoked.")
				return
			}
			f.issued++
			fmt.Fprintf(w, `{"access_token":"ya29.access-%d","expires_in":3599,"token_type":"Bearer","scope":%q}`, f.issued, f.scope)
		default:
			bad(http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type")
		}
	default:
		http.NotFound(w, r)
	}
}

type personalEnv struct {
	s         *Service
	db        *store.DB
	g         *fakeGoogle
	admin     account.Principal
	ann, bob  account.Principal
	now       time.Time
	changes   int
	userNotes []string
	conns     []video.Connection
}

func newPersonalEnv(t *testing.T, db *store.DB) *personalEnv {
	t.Helper()
	ctx := context.Background()
	g := newFakeGoogle(t)
	env := &personalEnv{db: db, g: g, now: time.Now().UTC().Truncate(time.Millisecond)}
	app := video.App{ID: "gmeet", Name: "Google Workspace",
		Auth: video.Auth{Kind: video.AuthServiceAccount, TokenURL: g.srv.URL + "/token", ScopeSets: [][]string{{calEvents, calFB}}},
		UserAuth: &video.UserAuth{AuthURL: g.srv.URL + "/auth", TokenURL: g.srv.URL + "/token", RevokeURL: g.srv.URL + "/revoke",
			Issuer: g.srv.URL, ClientID: "cid", ClientSecret: "csecret", RedirectURL: "https://convene.example/oauth/gmeet/callback",
			Scopes: []string{"openid", "email", calEvents, calFB}, Params: map[string]string{"access_type": "offline", "prompt": "consent"}},
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
	env.s = &Service{Store: db, Accounts: accts, Box: box, Registry: reg, HTTP: g.srv.Client(), Log: slog.New(slog.DiscardHandler), Now: clock,
		OnInstallChange: func(context.Context, string, string) { env.changes++ },
		NotifyUser: func(_ context.Context, accountID, userID, app, problem string) {
			env.userNotes = append(env.userNotes, accountID+"/"+userID+": "+problem)
		}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{"acct", "other"} {
		dom := map[string]string{"acct": "acme.example", "other": "other.example"}[a]
		must(db.CreateAccount(ctx, &store.Account{ID: a, Name: a, Language: "en", Created: env.now}))
		must(db.CreateUser(ctx, &store.User{ID: a + "-admin", AccountID: a, Email: "admin@" + dom, Role: store.RoleAdmin, TimeZone: "UTC", Created: env.now}))
		must(db.CreateDomain(ctx, &store.Domain{AccountID: a, Name: dom, TXTValue: "x", Created: env.now}))
		must(db.MarkDomainVerified(ctx, a, dom, env.now, store.VerifiedByDNS))
	}
	must(db.CreateUser(ctx, &store.User{ID: "u-ann", AccountID: "acct", Email: "ann@acme.example", Role: store.RoleMember, TimeZone: "UTC", Created: env.now}))
	must(db.CreateUser(ctx, &store.User{ID: "u-bob", AccountID: "other", Email: "bob@other.example", Role: store.RoleMember, TimeZone: "UTC", Created: env.now}))
	env.admin = account.Principal{AccountID: "acct", UserID: "acct-admin", Email: "admin@acme.example", Role: store.RoleAdmin}
	env.ann = account.Principal{AccountID: "acct", UserID: "u-ann", Email: "ann@acme.example", Role: store.RoleMember}
	env.bob = account.Principal{AccountID: "other", UserID: "u-bob", Email: "bob@other.example", Role: store.RoleMember}
	for _, p := range []account.Principal{env.admin, {AccountID: "other", UserID: "other-admin", Email: "admin@other.example", Role: store.RoleAdmin}} {
		if _, err := env.s.PreApprove(ctx, p, "gmeet"); err != nil {
			t.Fatal(err)
		}
		dom := account.EmailDomain(p.Email)
		if _, err := env.s.InstallPersonal(ctx, p, "gmeet", []string{dom}); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// connect runs ann's (or p's) connection through the consent page and the
// callback.
func (env *personalEnv) connect(t *testing.T, p account.Principal) (*CallbackResult, error) {
	t.Helper()
	u, err := env.s.Connect(context.Background(), p, "gmeet")
	if err != nil {
		t.Fatal(err)
	}
	code, state := env.g.authorize(t, u)
	return env.s.Callback(context.Background(), "gmeet", url.Values{"code": {code}, "state": {state}, "scope": {env.g.scope}})
}

func wantFailure(t *testing.T, what string, err error, kind failure.Kind, text string) {
	t.Helper()
	f, ok := failure.As(err)
	if !ok || f.Kind != kind || !strings.Contains(f.Detail, text) {
		t.Errorf("%s: %v, want a %v failure saying %q", what, err, kind, text)
	}
}

// TestPersonalConnect: the consent URL carries PKCE S256, the state, the
// nonce, offline access, consent and the scopes; the callback sends the
// verifier, stores the grant (subject, address, scopes, active) with its
// tokens sealed (the database holds no token), and the user's token
// source serves it.
func TestPersonalConnect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := newPersonalEnv(t, db)
		ctx := context.Background()
		raw, err := env.s.Connect(ctx, env.ann, "gmeet")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(raw)
		q := u.Query()
		if q.Get("response_type") != "code" || q.Get("client_id") != "cid" || q.Get("redirect_uri") != "https://convene.example/oauth/gmeet/callback" ||
			q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 40 || q.Get("nonce") == "" ||
			q.Get("access_type") != "offline" || q.Get("prompt") != "consent" || q.Get("scope") != "openid email "+calEvents+" "+calFB {
			t.Errorf("authorize URL %s", raw)
		}
		env.changes = 0
		code, state := env.g.authorize(t, raw)
		res, err := env.s.Callback(ctx, "gmeet", url.Values{"code": {code}, "state": {state}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Connection == nil || res.Connection.State != ConnConnected || res.Connection.Email != "ann.perso@gmail.com" || res.AccountID != "acct" {
			t.Errorf("result %+v", res)
		}
		if len(env.g.verifiers) != 1 || len(env.g.verifiers[0]) < 43 {
			t.Errorf("PKCE verifier sent: %q", env.g.verifiers)
		}
		if env.changes != 1 {
			t.Errorf("calendars reconciled %d times, want 1", env.changes)
		}
		g, err := db.Grant(ctx, "acct", "gmeet", "u-ann")
		if err != nil || g.Subject != "1100001" || g.Email != "ann.perso@gmail.com" || g.State != store.GrantActive || !strings.Contains(g.Scopes, calEvents) {
			t.Fatalf("grant %+v %v", g, err)
		}
		// Sealed: no token in the database's rows.
		var access, refresh string
		if err := db.SQL().QueryRowContext(ctx, `SELECT access_token, refresh_token FROM app_grants WHERE user_id = 'u-ann'`).Scan(&access, &refresh); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(access, "ya29") || strings.Contains(refresh, "1//") || access == "" || refresh == "" {
			t.Errorf("tokens stored in the clear: %q %q", access, refresh)
		}
		list, err := env.s.Connections(ctx, env.ann)
		if err != nil || len(list) != 1 || list[0].State != ConnConnected || list[0].Email != "ann.perso@gmail.com" {
			t.Errorf("connections %+v %v", list, err)
		}
		// The app's client gets ann's token by her Convene address.
		if _, err := env.s.Provider(ctx, "acct", "ann@acme.example", "gmeet"); err != nil {
			t.Fatal(err)
		}
		conn := env.conns[len(env.conns)-1]
		if conn.UserTokens == nil || conn.Credentials != nil || conn.Tokens != nil {
			t.Fatalf("connection %+v", conn)
		}
		ts, err := conn.UserTokens(ctx, "ann@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		if tok, err := ts.Token(ctx); err != nil || tok != "ya29.access-1" {
			t.Errorf("token %q %v", tok, err)
		}
		if _, err := conn.UserTokens(ctx, "admin@acme.example"); !errors.Is(err, video.ErrNotConnected) || !errors.Is(err, video.ErrUnauthorized) {
			t.Errorf("a user without a grant: %v", err)
		}
		// The account's audit log names the connection, by ann.
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE account_id = 'acct' AND action = 'app.connect' AND actor_id = 'u-ann'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit of the connection: %d %v", n, err)
		}
		// The admin's view: the mode and how many connected.
		views, err := env.s.List(ctx, env.admin)
		if err != nil || views[0].Mode != "personal" || views[0].ConnectedUsers == nil || *views[0].ConnectedUsers != 1 || !slices.Contains(views[0].Modes, "personal") {
			t.Errorf("view %+v %v", views, err)
		}
	})
}

// TestConnectStateRules: a forged, reused or expired state is refused; a
// state is bound to the user who started it (the grant is theirs, never
// another's); an install's state does not connect.
func TestConnectStateRules(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	env := newPersonalEnv(t, db)
	ctx := context.Background()
	raw, _ := env.s.Connect(ctx, env.ann, "gmeet")
	code, state := env.g.authorize(t, raw)

	_, err := env.s.Callback(ctx, "gmeet", url.Values{"code": {code}, "state": {"forged" + state}})
	wantFailure(t, "forged", err, failure.Invalid, "unknown, already used or forged")

	if _, err := env.s.Callback(ctx, "gmeet", url.Values{"code": {code}, "state": {state}}); err != nil {
		t.Fatal(err)
	}
	_, err = env.s.Callback(ctx, "gmeet", url.Values{"code": {code}, "state": {state}})
	wantFailure(t, "reused", err, failure.Invalid, "unknown, already used or forged")

	env.g.sub, env.g.email = "2200002", "second@gmail.com"
	raw, _ = env.s.Connect(ctx, env.ann, "gmeet")
	code, state = env.g.authorize(t, raw)
	env.now = env.now.Add(11 * time.Minute)
	_, err = env.s.Callback(ctx, "gmeet", url.Values{"code": {code}, "state": {state}})
	wantFailure(t, "expired", err, failure.Invalid, "expired")
	if g, _ := db.Grant(ctx, "acct", "gmeet", "u-ann"); g.Subject != "1100001" {
		t.Errorf("an expired state changed the grant: %+v", g)
	}
	// Bob (another account) cannot use ann's state for himself: it
	// completes ann's grant, never his.
	if gs, _ := db.GrantsOfUser(ctx, "other", "u-bob"); len(gs) != 0 {
		t.Errorf("bob has grants %+v", gs)
	}
}

// TestConnectTokenRules: an id_token for another audience, from another
// issuer, with another nonce or expired; a scope left unchecked (named);
// no refresh token: each is refused, nothing is stored and the tokens
// just granted are revoked.
func TestConnectTokenRules(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	env := newPersonalEnv(t, db)
	ctx := context.Background()
	full := env.g.scope
	for _, tc := range []struct {
		name  string
		setup func()
		want  string
	}{
		{"audience", func() { env.g.claims = map[string]any{"aud": "another-client"} }, "does not verify"},
		{"issuer", func() { env.g.claims = map[string]any{"iss": "https://accounts.evil.example"} }, "does not verify"},
		{"nonce", func() { env.g.claims = map[string]any{"nonce": "replayed"} }, "nonce"},
		{"expired", func() { env.g.claims = map[string]any{"exp": time.Now().Add(-time.Hour).Unix()} }, "does not verify"},
		{"missing scope", func() { env.g.scope = "openid email " + calEvents }, calFB},
		{"no refresh token", func() { env.g.noRefresh = true }, "no refresh token"},
	} {
		env.g.claims, env.g.scope, env.g.noRefresh = nil, full, false
		tc.setup()
		before := len(env.g.revoked)
		_, err := env.connect(t, env.ann)
		wantFailure(t, tc.name, err, failure.Invalid, tc.want)
		if _, err := db.Grant(ctx, "acct", "gmeet", "u-ann"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: a grant was stored: %v", tc.name, err)
		}
		if len(env.g.revoked) != before+1 {
			t.Errorf("%s: the tokens were not revoked", tc.name)
		}
	}
	env.g.scope = "openid " + calEvents
	_, err := env.connect(t, env.ann)
	if f, ok := failure.As(err); !ok || !slices.Equal(f.Extra["missing_scopes"].([]string), []string{calFB}) {
		t.Errorf("missing scopes named: %+v", err)
	}
}

// TestConnectOneUserPerGoogleAccount: a Google account connected by a user
// of one account cannot be connected by a user of another; the first
// grant is left alone (not revoked).
func TestConnectOneUserPerGoogleAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := newPersonalEnv(t, db)
		ctx := context.Background()
		if _, err := env.connect(t, env.ann); err != nil {
			t.Fatal(err)
		}
		before := len(env.g.revoked)
		_, err := env.connect(t, env.bob)
		wantFailure(t, "same Google account", err, failure.Conflict, "already connected to Convene by another user")
		if len(env.g.revoked) != before {
			t.Errorf("ann's grant was revoked by bob's attempt")
		}
		if gs, _ := db.GrantsOfUser(ctx, "other", "u-bob"); len(gs) != 0 {
			t.Errorf("bob got %+v", gs)
		}
		if g, err := db.Grant(ctx, "acct", "gmeet", "u-ann"); err != nil || g.State != store.GrantActive {
			t.Errorf("ann's grant %+v %v", g, err)
		}
	})
}

// TestGrantIsolation: a user of another account neither sees nor deletes
// a grant; disconnecting revokes at Google then forgets, and a revocation
// that fails still forgets and says so.
func TestGrantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := newPersonalEnv(t, db)
		ctx := context.Background()
		if _, err := env.connect(t, env.ann); err != nil {
			t.Fatal(err)
		}
		list, err := env.s.Connections(ctx, env.bob)
		if err != nil || len(list) != 1 || list[0].State != ConnNotConnected || list[0].Email != "" {
			t.Errorf("bob sees %+v %v", list, err)
		}
		// Bob's principal with ann's user id, as a forged token would be.
		forged := account.Principal{AccountID: "other", UserID: "u-ann", Email: "bob@other.example"}
		_, err = env.s.Disconnect(ctx, forged, "gmeet")
		wantFailure(t, "another account's grant", err, failure.NotFound, "no Google Workspace account connected")
		if _, err := db.Grant(ctx, "acct", "gmeet", "u-ann"); err != nil {
			t.Fatalf("ann's grant went: %v", err)
		}
		res, err := env.s.Disconnect(ctx, env.ann, "gmeet")
		if err != nil || !res.Revoked || len(env.g.revoked) != 1 || env.g.revoked[0] != "1//refresh-1" {
			t.Errorf("disconnect %+v %v, revoked %q", res, err, env.g.revoked)
		}
		var n int
		if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE account_id = 'acct' AND action = 'app.disconnect' AND actor_id = 'u-ann'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit of the disconnection: %d %v", n, err)
		}
		if _, err := db.Grant(ctx, "acct", "gmeet", "u-ann"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("grant kept: %v", err)
		}
		env.g.sub = "3300003"
		if _, err := env.connect(t, env.ann); err != nil {
			t.Fatal(err)
		}
		env.g.revokeFail = true
		res, err = env.s.Disconnect(ctx, env.ann, "gmeet")
		if err != nil || res.Revoked || !strings.Contains(res.Problem, "could not be told") {
			t.Errorf("a failed revocation: %+v %v", res, err)
		}
		if _, err := db.Grant(ctx, "acct", "gmeet", "u-ann"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("grant kept after a failed revocation: %v", err)
		}
	})
}

// TestGrantRefresh: an expiring token is refreshed once and persisted
// before use; Google's invalid_grant makes that grant (not the install)
// need re-authorization and tells its user; the user's token source then
// refuses with ErrNotConnected.
func TestGrantRefresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := newPersonalEnv(t, db)
		ctx := context.Background()
		if _, err := env.connect(t, env.ann); err != nil {
			t.Fatal(err)
		}
		in, _ := db.Install(ctx, "acct", "gmeet")
		conn, err := env.s.connection("acct", env.s.Registry.Apps()[0], in)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := conn.UserTokens(ctx, "ann@acme.example")
		if err != nil {
			t.Fatal(err)
		}
		// The admin's list says when the provider last renewed the
		// tokens: not since the connection, then at the refresh.
		refreshedAt := func() *time.Time {
			t.Helper()
			list, err := env.s.AppConnections(ctx, env.admin, "gmeet", "", 0)
			if err != nil || len(list) != 1 {
				t.Fatalf("connections %+v %v", list, err)
			}
			return list[0].RefreshedAt
		}
		if at := refreshedAt(); at != nil {
			t.Errorf("refreshed at %v before any refresh", at)
		}
		env.now = env.now.Add(58 * time.Minute)
		tok, err := ts.Token(ctx)
		if err != nil || tok != "ya29.access-2" || env.g.refreshes != 1 {
			t.Fatalf("refreshed %q %v (%d refreshes)", tok, err, env.g.refreshes)
		}
		g, _ := db.Grant(ctx, "acct", "gmeet", "u-ann")
		if a, _ := env.s.Box.Open(g.AccessToken, "grant/acct/gmeet/u-ann/access"); a != "ya29.access-2" {
			t.Errorf("refreshed token not persisted: %q", a)
		}
		refreshed := env.now
		if at := refreshedAt(); at == nil || !at.Equal(refreshed.Truncate(time.Millisecond)) {
			t.Errorf("refreshed at %v, want %v", at, refreshed)
		}
		// A rejected token already replaced by another worker is not
		// refreshed again, and the renewal's time stays.
		env.now = env.now.Add(time.Minute)
		if tok, err := ts.Refresh(ctx, "ya29.access-1"); err != nil || tok != "ya29.access-2" || env.g.refreshes != 1 {
			t.Errorf("refresh of a replaced token: %q %v %d", tok, err, env.g.refreshes)
		}
		if at := refreshedAt(); at == nil || !at.Equal(refreshed.Truncate(time.Millisecond)) {
			t.Errorf("after a refresh another worker made: refreshed at %v, want %v", at, refreshed)
		}
		env.g.refreshFail = "invalid_grant"
		ann, _ := db.User(ctx, "acct", "u-ann")
		ann.Language = "fr"
		if err := db.UpdateUser(ctx, ann); err != nil {
			t.Fatal(err)
		}
		_, err = ts.Refresh(ctx, "ya29.access-2")
		if !errors.Is(err, video.ErrNotConnected) {
			t.Fatalf("invalid_grant: %v", err)
		}
		g, _ = db.Grant(ctx, "acct", "gmeet", "u-ann")
		if g.State != store.GrantNeedsReauthorization || !strings.Contains(g.Problem, "connect your Google Workspace account again") {
			t.Errorf("grant %+v", g)
		}
		// Told in her language.
		if len(env.userNotes) != 1 || !strings.HasPrefix(env.userNotes[0], "acct/u-ann: Google Workspace a refusé de renouveler") ||
			!strings.Contains(env.userNotes[0], "Reconnectez votre compte Google Workspace") {
			t.Errorf("user told %q", env.userNotes)
		}
		if in, _ := db.Install(ctx, "acct", "gmeet"); in.State != store.InstallInstalled {
			t.Errorf("the install changed: %s", in.State)
		}
		if err := env.s.CalendarsUnauthorized(ctx, "acct", "gmeet", err); err != nil {
			t.Fatal(err)
		}
		if in, _ := db.Install(ctx, "acct", "gmeet"); in.State != store.InstallInstalled {
			t.Errorf("a user's refusal marked the install: %s", in.State)
		}
		if _, err := conn.UserTokens(ctx, "ann@acme.example"); !errors.Is(err, video.ErrNotConnected) {
			t.Errorf("token source of a grant needing ann: %v", err)
		}
		list, _ := env.s.Connections(ctx, env.ann)
		if list[0].State != ConnNeedsReauth {
			t.Errorf("connection %+v", list)
		}
	})
}

// TestPersonalBookingNeedsGrant: the organizer's provider is refused with
// a 422 (Invalid) naming where to connect when they have no active grant.
func TestPersonalBookingNeedsGrant(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	env := newPersonalEnv(t, db)
	ctx := context.Background()
	_, err := env.s.Provider(ctx, "acct", "ann@acme.example", "gmeet")
	wantFailure(t, "no grant", err, failure.Invalid, "no Google Workspace account connected: connect it")
	if _, err := env.connect(t, env.ann); err != nil {
		t.Fatal(err)
	}
	if _, err := env.s.Provider(ctx, "acct", "ann@acme.example", "gmeet"); err != nil {
		t.Errorf("with a grant: %v", err)
	}
	g, _ := db.Grant(ctx, "acct", "gmeet", "u-ann")
	db.SetGrantState(ctx, "acct", "gmeet", "u-ann", g.TokenVersion, store.GrantNeedsReauthorization, "revoked", env.now)
	_, err = env.s.Provider(ctx, "acct", "ann@acme.example", "gmeet")
	wantFailure(t, "grant needing ann", err, failure.Invalid, "must be connected again")
}

// TestUninstallRevokesGrants: uninstalling revokes every user's grant at
// Google and deletes it; re-installing in account mode does too.
func TestUninstallRevokesGrants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		env := newPersonalEnv(t, db)
		ctx := context.Background()
		if _, err := env.connect(t, env.ann); err != nil {
			t.Fatal(err)
		}
		if err := env.s.Uninstall(ctx, env.admin, "gmeet"); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(env.g.revoked, []string{"1//refresh-1"}) {
			t.Errorf("revoked %q", env.g.revoked)
		}
		if gs, _ := db.GrantsOfApp(ctx, "acct", "gmeet"); len(gs) != 0 {
			t.Errorf("grants kept %+v", gs)
		}
		if in, _ := db.Install(ctx, "acct", "gmeet"); in.State != store.InstallPreApproved || in.Mode != "" {
			t.Errorf("install %+v", in)
		}
		_, err := env.s.Connect(ctx, env.ann, "gmeet")
		wantFailure(t, "connect after uninstall", err, failure.Conflict, "not installed in personal-account mode")
	})
}

// TestSwitchToAccountModeKeepsGrantsOnBadKey: re-installing with a key that does not work
// keeps the users' grants; only a good key's install (the switch) would
// revoke them.
func TestSwitchToAccountModeKeepsGrantsOnBadKey(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	env := newPersonalEnv(t, db)
	ctx := context.Background()
	if _, err := env.connect(t, env.ann); err != nil {
		t.Fatal(err)
	}
	_, err := env.s.InstallKey(ctx, env.admin, "gmeet", []string{"acme.example"}, []byte(`{"type":"service_account"}`))
	wantFailure(t, "a bad key", err, failure.Invalid, "client_email")
	if gs, _ := db.GrantsOfApp(ctx, "acct", "gmeet"); len(gs) != 1 || len(env.g.revoked) != 0 {
		t.Errorf("a refused switch dropped the grants: %+v, revoked %q", gs, env.g.revoked)
	}
	if in, _ := db.Install(ctx, "acct", "gmeet"); in.Mode != video.ModePersonal {
		t.Errorf("mode %q", in.Mode)
	}
}

// TestForgetDeparted: a removed user's grant is kept for DepartedGrace (the
// cancellations of their meetings use it), then revoked and forgotten;
// present users' grants stay.
func TestForgetDeparted(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	env := newPersonalEnv(t, db)
	ctx := context.Background()
	if _, err := env.connect(t, env.ann); err != nil {
		t.Fatal(err)
	}
	if n, err := env.s.ForgetDeparted(ctx, "acct"); err != nil || n != 0 {
		t.Fatalf("present: %d %v", n, err)
	}
	if err := db.RemoveUser(ctx, "acct", "u-ann", env.now); err != nil {
		t.Fatal(err)
	}
	if n, _ := env.s.ForgetDeparted(ctx, "acct"); n != 0 {
		t.Errorf("forgotten within the grace: %d", n)
	}
	env.now = env.now.Add(DepartedGrace + time.Minute)
	if n, err := env.s.ForgetDeparted(ctx, "acct"); err != nil || n != 1 || len(env.g.revoked) != 1 {
		t.Errorf("after the grace: %d %v, revoked %q", n, err, env.g.revoked)
	}
	if _, err := db.Grant(ctx, "acct", "gmeet", "u-ann"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("grant kept: %v", err)
	}
}
