package google

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/convene/convene/internal/googlesandbox"
	"github.com/convene/convene/internal/googlesandbox/googlesandboxtest"
	"github.com/convene/convene/internal/video"
)

// Per-user mode against the sandbox: a personal account's tokens, got
// through the sandbox's consent page with golang.org/x/oauth2, serve the
// client through Connection.UserTokens.

const (
	personalClient   = "convene-test.apps.googleusercontent.com"
	personalSecret   = "test-secret"
	personalRedirect = "https://convene.example/oauth/google_meet/callback"
	annPerso         = "ann.perso@gmail.com"
	annConvene       = "ann@acme.example"
)

var (
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	noRedirect  = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
)

// grantTokens is a video.TokenSource over one grant's tokens, as the
// marketplace's is: Refresh renews with the refresh token and turns a
// refusal into video.ErrNotConnected.
type grantTokens struct {
	cfg *oauth2.Config
	mu  sync.Mutex
	tok *oauth2.Token
	// refreshes counts Refresh calls.
	refreshes int
}

func (g *grantTokens) Token(context.Context) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.tok.AccessToken, nil
}

func (g *grantTokens) Refresh(ctx context.Context, rejected string) (string, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refreshes++
	t, err := g.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: g.tok.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
	if err != nil {
		return "", fmt.Errorf("refresh: %v: %w", err, video.ErrNotConnected)
	}
	g.tok = t
	return t.AccessToken, nil
}

// consentAs drives the sandbox's consent page for authURL as email,
// granting every scope, and returns the code.
func consentAs(t *testing.T, sb *googlesandboxtest.Sandbox, authURL, email string) string {
	t.Helper()
	resp, err := noRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(string(b), -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	form.Set("email", email)
	form["granted"] = []string{ScopeEventsOwned, ScopeFreeBusy}
	form.Set("decision", "allow")
	resp, err = noRedirect.PostForm(sb.URL+"/o/oauth2/v2/auth", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		t.Fatalf("consent: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query().Get("code")
}

// TestSandboxPersonalMode: with a personal account's tokens, the Meet
// meeting is made in that account's primary calendar (whatever its
// address), freeBusy asks each user with their own token, a user without
// a grant is answered with ErrNotConnected, and a grant revoked at Google
// makes the client refresh once and report ErrNotConnected.
func TestSandboxPersonalMode(t *testing.T) {
	sb, cfg, _ := startSandbox(t, googlesandbox.Options{OAuthClients: []googlesandbox.OAuthClient{{ID: personalClient, Secret: personalSecret, RedirectURIs: []string{personalRedirect}}}})
	ctx := context.Background()
	if _, err := sb.AddAccount(annPerso, "Ann"); err != nil {
		t.Fatal(err)
	}
	oc := &oauth2.Config{ClientID: personalClient, ClientSecret: personalSecret, RedirectURL: personalRedirect, Scopes: UserScopes,
		Endpoint: oauth2.Endpoint{AuthURL: sb.URL + "/o/oauth2/v2/auth", TokenURL: sb.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	code := consentAs(t, sb, oc.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oauth2.AccessTypeOffline, oauth2.SetAuthURLParam("prompt", "consent")), annPerso)
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange: %+v %v", tok, err)
	}
	ann := &grantTokens{cfg: oc, tok: tok}
	var asked []string
	var mu sync.Mutex
	conn := video.Connection{UserTokens: func(_ context.Context, user string) (video.TokenSource, error) {
		mu.Lock()
		asked = append(asked, user)
		mu.Unlock()
		if user == annConvene {
			return ann, nil
		}
		return nil, fmt.Errorf("%s has not connected: %w", user, video.ErrNotConnected)
	}}
	app := App(cfg)
	meet, cal := app.Connect(conn), app.Calendar(conn)

	start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Hour)
	m, err := meet.CreateOnce(ctx, annConvene, video.Spec{Topic: "Review", StartTime: start, Duration: 30, Timezone: "UTC"}, video.CreateRef{Key: "outbox:7"})
	if err != nil {
		t.Fatal(err)
	}
	evs := listEvents(t, sb, annPerso)
	if len(evs) != 1 || m.JoinURL == "" || !strings.HasPrefix(m.ID, annConvene+"/") {
		t.Fatalf("meeting %+v, events of %s: %v", m, annPerso, evs)
	}

	sb.AddEvent(annPerso, map[string]any{"summary": "Dentist", "start": map[string]any{"dateTime": start.Add(2 * time.Hour).Format(time.RFC3339)},
		"end": map[string]any{"dateTime": start.Add(3 * time.Hour).Format(time.RFC3339)}})
	fb, err := cal.FreeBusy(ctx, []string{annConvene, "bob@acme.example"}, start, start.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if a := fb[annConvene]; a.Err != nil || len(a.Busy) != 2 {
		t.Errorf("ann's free/busy %+v", a)
	}
	if b := fb["bob@acme.example"]; !errors.Is(b.Err, video.ErrNotConnected) {
		t.Errorf("bob without a grant: %+v", b)
	}

	// Ann removes Convene's access at Google.
	sb.Control("DELETE", "/grants?"+url.Values{"email": {annPerso}, "client_id": {personalClient}}.Encode(), nil, http.StatusNoContent, nil)
	fb, err = cal.FreeBusy(ctx, []string{annConvene}, start, start.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if a := fb[annConvene]; !errors.Is(a.Err, video.ErrNotConnected) || ann.refreshes != 1 {
		t.Errorf("after revocation: %+v, %d refreshes", a, ann.refreshes)
	}
	if _, err := cal.Changes(ctx, annConvene, "", start, start); !errors.Is(err, video.ErrNotConnected) || !errors.Is(err, video.ErrUnauthorized) {
		t.Errorf("sync after revocation: %v", err)
	}
}
