package apps

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/convene/convene/internal/video"
)

// TestRevokeAsTheEntrySays: a token is revoked at the app's revocation
// endpoint (RFC 7009 §2.1) with the client's credentials where its entry
// puts them: a Basic header (Zoom), or the form; an app without a
// revocation endpoint is not called.
func TestRevokeAsTheEntrySays(t *testing.T) {
	type seen struct {
		user, pass string
		form       url.Values
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		u, p, _ := r.BasicAuth()
		got <- seen{u, p, r.PostForm}
	}))
	defer srv.Close()
	s := &Service{HTTP: srv.Client(), Log: slog.New(slog.DiscardHandler)}
	app := video.App{ID: "p", Name: "P", Auth: video.Auth{Kind: video.AuthCode, RevokeURL: srv.URL + "/revoke", ClientID: "id", ClientSecret: "se cret", BasicAuth: true}}

	if err := s.revokeToken(context.Background(), app, "tok"); err != nil {
		t.Fatal(err)
	}
	if r := <-got; r.user != "id" || r.pass != "se+cret" || r.form.Get("token") != "tok" || r.form.Has("client_secret") {
		t.Errorf("Basic: %+v", r)
	}
	app.Auth.BasicAuth = false
	if err := s.revokeToken(context.Background(), app, "tok"); err != nil {
		t.Fatal(err)
	}
	if r := <-got; r.user != "" || r.form.Get("client_id") != "id" || r.form.Get("client_secret") != "se cret" || r.form.Get("token") != "tok" {
		t.Errorf("in the form: %+v", r)
	}
	app.Auth.RevokeURL = ""
	if err := s.revokeToken(context.Background(), app, "tok"); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		t.Errorf("revoked without a revocation endpoint: %+v", r)
	default:
	}
}

// TestOAuthConfigOfTheEntry: the token requests use the entry's endpoints
// and client authentication.
func TestOAuthConfigOfTheEntry(t *testing.T) {
	a := video.App{Auth: video.Auth{Kind: video.AuthCode, AuthURL: "https://p.example/a", TokenURL: "https://p.example/t",
		ClientID: "id", ClientSecret: "s", RedirectURL: "https://c.example/oauth/p/callback", BasicAuth: true}}
	c := oauthConfig(a)
	if c.Endpoint.AuthURL != a.Auth.AuthURL || c.Endpoint.TokenURL != a.Auth.TokenURL || c.ClientID != "id" || c.ClientSecret != "s" ||
		c.RedirectURL != a.Auth.RedirectURL || c.Endpoint.AuthStyle != oauth2.AuthStyleInHeader {
		t.Errorf("%+v", c)
	}
	a.Auth.BasicAuth = false
	if oauthConfig(a).Endpoint.AuthStyle != oauth2.AuthStyleInParams {
		t.Error("credentials not in the form")
	}
}
