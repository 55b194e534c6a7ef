package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2/google"
	gcal "google.golang.org/api/calendar/v3"
	"google.golang.org/api/option"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/testbin"
)

// TestServeGoogleSandbox: a default `convene serve` mounts the Google
// sandbox at /google-sandbox/ without its test controls, writes a
// service-account key file (0600) in its data directory that Google's Go
// client uses to act as a Workspace user; with
// CONVENE_GOOGLE_SANDBOX_CONTROLS=on the controls answer and serve warns.
func TestServeGoogleSandbox(t *testing.T) {
	dns := dnstest.Start(t)
	dataDir, env := serveEnv(t, "sqlite", dns)
	p := testbin.Start(t, env, "serve")
	base := p.URL + "/google-sandbox"
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/_sandbox/domains", ""}, {"POST", "/_sandbox/service-accounts", "{}"}, {"POST", "/_sandbox/faults", `{"status":503}`},
	} {
		if st, _, body := sandboxGet(t, c.method, base+c.path, c.body); st != http.StatusNotFound {
			t.Errorf("anonymous %s /google-sandbox%s: %d %s, want 404", c.method, c.path, st, body)
		}
	}
	keyFile := filepath.Join(dataDir, "google-sandbox-key.json")
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(keyFile); st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", st.Mode())
	}
	cfg, err := google.JWTConfigFromJSON(key, gcal.CalendarEventsScope)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Subject = "alice@example.com"
	if cfg.TokenURL != base+"/token" {
		t.Errorf("token_uri %s", cfg.TokenURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc, err := gcal.NewService(ctx, option.WithEndpoint(base+"/calendar/v3/"), option.WithTokenSource(cfg.TokenSource(ctx)))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := svc.Events.Insert("primary", &gcal.Event{Summary: "through serve",
		Start: &gcal.EventDateTime{DateTime: "2030-01-07T09:00:00Z"}, End: &gcal.EventDateTime{DateTime: "2030-01-07T10:00:00Z"},
		ConferenceData: &gcal.ConferenceData{CreateRequest: &gcal.CreateConferenceRequest{RequestId: "r1",
			ConferenceSolutionKey: &gcal.ConferenceSolutionKey{Type: "hangoutsMeet"}}}}).ConferenceDataVersion(1).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ev.HangoutLink, base+"/meet/") {
		t.Errorf("Meet link %q", ev.HangoutLink)
	}
	if strings.Contains(p.Stderr(), "CONVENE_GOOGLE_SANDBOX_CONTROLS") {
		t.Errorf("a warning about the controls while they are off")
	}

	on := testbin.Start(t, append(env[:len(env):len(env)], "CONVENE_DATA_DIR="+t.TempDir(), "CONVENE_GOOGLE_SANDBOX_CONTROLS=on"), "serve")
	if st, _, body := sandboxGet(t, "GET", on.URL+"/google-sandbox/_sandbox/domains", ""); st != 200 || !strings.Contains(body, `"domains"`) {
		t.Errorf("controls on: %d %s", st, body)
	}
	eventually(t, 10*time.Second, "the warning", func() bool {
		for _, line := range strings.Split(on.Stderr(), "\n") {
			if strings.Contains(line, "level=WARN") && strings.Contains(line, "CONVENE_GOOGLE_SANDBOX_CONTROLS=on") {
				return true
			}
		}
		return false
	})
}

// TestGoogleSandboxCommand: `convene google-sandbox` serves at its root
// with its controls on, writes its key file, refuses users outside its
// domains, and on SIGINT stops with its state written.
func TestGoogleSandboxCommand(t *testing.T) {
	dir := t.TempDir()
	keyFile, dataFile := filepath.Join(dir, "key.json"), filepath.Join(dir, "state.json")
	p := testbin.Start(t, nil, "google-sandbox", "--addr", "127.0.0.1:0", "--key-file", keyFile, "--data", dataFile, "--domains", "example.com")
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := func(user string) *gcal.Service {
		cfg, err := google.JWTConfigFromJSON(key, gcal.CalendarScope)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Subject = user
		svc, err := gcal.NewService(ctx, option.WithEndpoint(p.URL+"/calendar/v3/"), option.WithTokenSource(cfg.TokenSource(ctx)))
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	if _, err := client("alice@example.com").Events.List("primary").Do(); err != nil {
		t.Fatalf("list as alice: %v", err)
	}
	if _, err := client("eve@elsewhere.test").Events.List("primary").Do(); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Errorf("a user outside the domains: %v", err)
	}
	if st, _, body := sandboxGet(t, "GET", p.URL+"/_sandbox/domains", ""); st != 200 || !strings.Contains(body, "alice@example.com") {
		t.Errorf("controls: %d %s", st, body)
	}
	if err := p.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code, err := p.Wait(ctx); code != 0 || err != nil {
		t.Errorf("exit %d %v", code, err)
	}
	if b, err := os.ReadFile(dataFile); err != nil || !strings.Contains(string(b), "alice@example.com") {
		t.Errorf("state file: %v", err)
	}
}
