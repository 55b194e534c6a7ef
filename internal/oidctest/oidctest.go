// Package oidctest runs a real OpenID provider in the test's process: the
// example provider of github.com/zitadel/oidc (a certified OpenID Connect
// implementation), with its login page, discovery, JWKS, token and
// userinfo endpoints, and users and a client of the test's choosing. Tests
// of single sign-on drive it as a browser would.
//
// It is imported only by tests.
package oidctest

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// User is a user of the provider.
type User struct {
	Username, Password string
	Email              string
	EmailVerified      bool
	FirstName          string
	LastName           string
}

// Provider is a running OpenID provider.
type Provider struct {
	// Issuer is its issuer URL (http on loopback).
	Issuer string
	// ClientID and ClientSecret are the client registered for the test.
	ClientID, ClientSecret string
	srv                    *httptest.Server
}

// Start runs a provider with users and one confidential client (basic
// authentication, code flow, PKCE accepted) allowed to redirect to
// redirectURIs, and stops it when the test ends.
func Start(t testing.TB, users []User, redirectURIs ...string) *Provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{Issuer: "http://" + ln.Addr().String(), ClientID: "convene-test", ClientSecret: "convene-test-secret"}

	// The example storage reads its users from a file.
	all := map[string]map[string]any{}
	for i, u := range users {
		id := "user" + string(rune('a'+i))
		all[id] = map[string]any{"ID": id, "Username": u.Username, "Password": u.Password, "Email": u.Email,
			"EmailVerified": u.EmailVerified, "FirstName": u.FirstName, "LastName": u.LastName, "PreferredLanguage": "en"}
	}
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	us, err := storage.StoreFromFile(file)
	if err != nil {
		t.Fatal(err)
	}
	client := storage.WebClient(p.ClientID, p.ClientSecret, redirectURIs...)
	st := storage.NewStorageWithClients(us, map[string]*storage.Client{p.ClientID: client})
	router := exampleop.SetupServer(p.Issuer, st, nil, false)
	p.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: router}}
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	return p
}
