package web

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// saWorkspace is a made-up provider whose installs are authorized by a
// service account with domain-wide delegation (video.AuthServiceAccount,
// Google Workspace's kind): its token endpoint verifies JWT bearer
// assertions (RFC 7523) with the key's public half, as Google's does, and
// grants a token only to a user of the Workspace with the scopes
// delegated.
type saWorkspace struct {
	srv     *httptest.Server
	key     *rsa.PrivateKey
	mu      sync.Mutex
	users   []string
	granted []string
	subs    []string // subjects tokens were asked for
	conns   [][]byte // Connection.Credentials each client got
	refuse  bool     // the provider refuses the install's credentials
}

var saScopes = []string{"https://acme.example/auth/calendar.events.owned", "https://acme.example/auth/calendar.freebusy"}

func newSAWorkspace(t *testing.T, users ...string) *saWorkspace {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	w := &saWorkspace{key: k, users: users, granted: saScopes}
	w.srv = httptest.NewServer(http.HandlerFunc(w.token))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *saWorkspace) keyJSON(t *testing.T) map[string]any {
	der, err := x509.MarshalPKCS8PrivateKey(w.key)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"type": "service_account", "project_id": "p", "private_key_id": "k1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "convene@p.iam.gserviceaccount.com", "client_id": "117000000000000000042", "token_uri": w.srv.URL + "/token"}
}

func (w *saWorkspace) token(rw http.ResponseWriter, r *http.Request) {
	fail := func(code, desc string) {
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(400)
		json.NewEncoder(rw).Encode(map[string]string{"error": code, "error_description": desc})
	}
	parts := strings.Split(r.FormValue("assertion"), ".")
	if r.FormValue("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || len(parts) != 3 {
		fail("invalid_request", "")
		return
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&w.key.PublicKey, crypto.SHA256, sum[:], sig) != nil {
		fail("invalid_grant", "Invalid JWT Signature.")
		return
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Iss, Sub, Scope, Aud string }
	json.Unmarshal(payload, &c)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.subs = append(w.subs, c.Sub)
	if c.Aud != w.srv.URL+"/token" || c.Iss != "convene@p.iam.gserviceaccount.com" {
		fail("invalid_grant", "bad aud or iss")
		return
	}
	if !slices.Contains(w.users, c.Sub) {
		fail("invalid_grant", "Invalid email or User ID")
		return
	}
	for _, s := range strings.Fields(c.Scope) {
		if !slices.Contains(w.granted, s) {
			fail("unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
			return
		}
	}
	rw.Header().Set("Content-Type", "application/json")
	json.NewEncoder(rw).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600})
}

func (w *saWorkspace) app() video.App {
	return video.App{
		ID: "acme_ws", Name: "Acme Workspace",
		Auth: video.Auth{Kind: video.AuthServiceAccount, TokenURL: w.srv.URL + "/token", ScopeSets: [][]string{saScopes}},
		Connect: func(c video.Connection) video.Provider {
			w.mu.Lock()
			w.conns = append(w.conns, c.Credentials)
			w.mu.Unlock()
			return &saProvider{w: w}
		},
	}
}

// saProvider is the made-up app's client: it refuses the credentials when
// told to.
type saProvider struct {
	video.Provider
	w *saWorkspace
}

func (p *saProvider) Name() string { return "acme_ws" }

func (p *saProvider) Get(ctx context.Context, id, occ string) (*video.Meeting, error) {
	p.w.mu.Lock()
	defer p.w.mu.Unlock()
	if p.w.refuse {
		return nil, &video.Error{Provider: "acme_ws", Permanent: true, Message: "unauthorized_client", Err: video.ErrUnauthorized}
	}
	return &video.Meeting{ID: id}, nil
}

// TestServiceAccountInstall: installing a service-account app takes the
// key in the install's body; each rule of the key and of the delegation
// refuses with what to do; a good key is sealed, proved by a token for
// the installing admin, and opened for the app's client; a later refusal
// marks the install needs_reauthorization; uninstalling forgets the key.
func TestServiceAccountInstall(t *testing.T) {
	ws := newSAWorkspace(t)
	h := newHarness(t, "sqlite", ws.app())
	h.checkAnswers(t)
	tn := h.setupTenant("Acme", "acme.test", true)
	ws.users = []string{"owner@acme.test"}
	h.expect("POST", "/api/v1/apps/acme_ws/pre-approve", tn.owner, nil, 200)
	install := func(key any) (int, map[string]any) {
		body := map[string]any{"domains": []string{tn.domain}}
		if key != nil {
			body["service_account_key"] = key
		}
		return h.do("POST", "/api/v1/apps/acme_ws/install", tn.owner, body)
	}
	with := func(k string, v any) map[string]any {
		m := ws.keyJSON(t)
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name string
		key  any
		want string
	}{
		{"no key", nil, "give the service account's JSON key"},
		{"a string", "not an object", "as an object"},
		{"user credentials", with("type", "authorized_user"), `type is "authorized_user"`},
		{"no client_email", with("client_email", nil), "no client_email"},
		{"no private_key", with("private_key", nil), "no private_key"},
		{"private_key not PEM", with("private_key", "MIIEsecretsecret"), "not PEM"},
		{"private_key not a key", with("private_key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), "does not parse"},
	} {
		status, out := install(tc.key)
		if status != 422 || !strings.Contains(fmt.Sprint(out), tc.want) {
			t.Errorf("%s: %d %v, want 422 with %q", tc.name, status, out, tc.want)
		}
		if strings.Contains(fmt.Sprint(out), "MIIE") {
			t.Errorf("%s: the answer quotes the key", tc.name)
		}
	}
	if len(ws.subs) != 0 {
		t.Fatal("a bad key reached the token endpoint")
	}

	// The delegation lacks a scope: 422 naming the client ID and the
	// scopes to grant.
	ws.granted = saScopes[:1]
	status, out := install(ws.keyJSON(t))
	if status != 422 || !strings.Contains(fmt.Sprint(out["detail"]), "117000000000000000042") ||
		!strings.Contains(fmt.Sprint(out["detail"]), strings.Join(saScopes, ",")) || out["client_id"] != "117000000000000000042" {
		t.Fatalf("delegation not granted: %d %v", status, out)
	}
	ws.granted = saScopes
	// The admin is not a user of the Workspace.
	ws.users = []string{"someone@acme.test"}
	status, out = install(ws.keyJSON(t))
	if status != 422 || !strings.Contains(fmt.Sprint(out["detail"]), "owner@acme.test is not a user") {
		t.Fatalf("admin not in the Workspace: %d %v", status, out)
	}
	if got, _ := h.db.Install(context.Background(), tn.accountID, "acme_ws"); got.State != store.InstallPreApproved || got.Credentials != "" {
		t.Fatalf("a refused install changed the install: %+v", got)
	}

	// A good key, a granted delegation: installed at once.
	ws.users = []string{"owner@acme.test"}
	out = h.expect("POST", "/api/v1/apps/acme_ws/install", tn.owner, map[string]any{"domains": []string{tn.domain}, "service_account_key": ws.keyJSON(t)}, 200)
	if out["app"].(map[string]any)["state"] != store.InstallInstalled || out["authorize_url"] != nil {
		t.Fatalf("install: %v", out)
	}
	if ws.subs[len(ws.subs)-1] != "owner@acme.test" {
		t.Fatalf("the delegation was proved for %v", ws.subs)
	}
	in, _ := h.db.Install(context.Background(), tn.accountID, "acme_ws")
	if in.Credentials == "" || strings.Contains(in.Credentials, "PRIVATE KEY") || strings.Contains(in.Credentials, "gserviceaccount") {
		t.Fatalf("the key is not sealed: %.60q", in.Credentials)
	}
	if strings.Contains(h.logs.String(), "PRIVATE KEY") {
		t.Fatal("the key is in the log")
	}
	// The app's client gets the opened key.
	p, err := h.apps.Provider(context.Background(), tn.accountID, "owner@acme.test", "acme_ws")
	if err != nil {
		t.Fatal(err)
	}
	var k map[string]any
	if err := json.Unmarshal(ws.conns[len(ws.conns)-1], &k); err != nil || k["private_key"] != ws.keyJSON(t)["private_key"] {
		t.Fatalf("Connection.Credentials: %v", err)
	}
	if _, err := p.Get(context.Background(), "m1", ""); err != nil {
		t.Fatal(err)
	}
	// A key given to an app that takes none is refused.
	h.expect("POST", "/api/v1/apps/zoom/pre-approve", tn.owner, nil, 200)
	if status, out := h.do("POST", "/api/v1/apps/zoom/install", tn.owner, map[string]any{"domains": []string{tn.domain}, "service_account_key": ws.keyJSON(t)}); status != 422 ||
		!strings.Contains(fmt.Sprint(out), "takes no service account key") {
		t.Fatalf("zoom with a key: %d %v", status, out)
	}

	// Later, Google refuses the credentials: needs_reauthorization.
	ws.mu.Lock()
	ws.refuse = true
	ws.mu.Unlock()
	if _, err := p.Get(context.Background(), "m1", ""); err == nil {
		t.Fatal("no error")
	}
	in, _ = h.db.Install(context.Background(), tn.accountID, "acme_ws")
	if in.State != store.InstallNeedsReauthorization || !strings.Contains(in.Problem, "domain-wide delegation") {
		t.Fatalf("after a refusal: %s %q", in.State, in.Problem)
	}
	if _, err := h.apps.Provider(context.Background(), tn.accountID, "owner@acme.test", "acme_ws"); err == nil {
		t.Fatal("a provider for an install that needs re-authorization")
	}
	// Installing again with the key repairs it.
	ws.mu.Lock()
	ws.refuse = false
	ws.mu.Unlock()
	h.expect("POST", "/api/v1/apps/acme_ws/install", tn.owner, map[string]any{"domains": []string{tn.domain}, "service_account_key": ws.keyJSON(t)}, 200)
	if _, err := h.apps.Provider(context.Background(), tn.accountID, "owner@acme.test", "acme_ws"); err != nil {
		t.Fatal(err)
	}
	// Uninstalling forgets the key.
	h.expect("DELETE", "/api/v1/apps/acme_ws", tn.owner, nil, 204)
	in, _ = h.db.Install(context.Background(), tn.accountID, "acme_ws")
	if in.Credentials != "" {
		t.Fatal("the key outlived the uninstall")
	}
}
