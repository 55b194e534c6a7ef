package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convene/convene/internal/graphsandbox"
	"github.com/convene/convene/internal/zoomsandbox"
)

func load(t *testing.T, args []string, env map[string]string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Flags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return Load(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

func TestDefaults(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if c.DataDir != filepath.Join(wd, "convene-data") || c.HTTPAddr != "127.0.0.1:8080" || c.SMTPAddr != "127.0.0.1:2525" ||
		c.BaseURL != "http://127.0.0.1:8080" || c.DatabaseURL != "sqlite:"+filepath.Join(wd, "convene-data", "convene.db") ||
		!c.Sandboxed() || c.ZoomClientID != "sandbox-client" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestPrecedence(t *testing.T) {
	env := map[string]string{"CONVENE_HTTP_ADDR": "127.0.0.1:9000", "CONVENE_SMTP_ADDR": "", "CONVENE_LOG_LEVEL": "debug"}
	c, err := load(t, []string{"--http-addr", "127.0.0.1:7000"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:7000" {
		t.Errorf("flag did not win: %s", c.HTTPAddr)
	}
	if c.SMTPAddr != "" {
		t.Errorf("empty CONVENE_SMTP_ADDR should turn SMTP off, got %q", c.SMTPAddr)
	}
	if c.LogLevel != "debug" {
		t.Errorf("env not applied: %s", c.LogLevel)
	}
}

func TestValidation(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CONVENE_HTTP_ADDR": "localhost"}, "CONVENE_HTTP_ADDR"},
		{map[string]string{"CONVENE_HTTP_ADDR": "127.0.0.1:99999"}, "bad port"},
		{map[string]string{"CONVENE_DATABASE_URL": "mysql://x"}, `unknown database scheme "mysql"`},
		{map[string]string{"CONVENE_DATABASE_URL": "sqlite:"}, "needs a file path"},
		{map[string]string{"CONVENE_BASE_URL": "ftp://x"}, "CONVENE_BASE_URL"},
		{map[string]string{"CONVENE_SMTP_RELAY": "http://x"}, "CONVENE_SMTP_RELAY"},
		{map[string]string{"CONVENE_ZOOM_API_URL": "https://api.zoom.us/v2"}, "set both"},
		{map[string]string{"CONVENE_ZOOM_API_URL": "nope", "CONVENE_ZOOM_OAUTH_URL": "nope"}, "CONVENE_ZOOM_API_URL"},
		{map[string]string{"CONVENE_OPERATOR_TOKEN": "short"}, "at least 16"},
		{map[string]string{"CONVENE_LOG_LEVEL": "loud"}, "CONVENE_LOG_LEVEL"},
		{map[string]string{"CONVENE_ASSISTANT_ADDRESS": "nobody"}, "not an e-mail address"},
		{map[string]string{"CONVENE_ALLOW_PRIVATE_CALENDAR_URLS": "maybe"}, "not true or false"},
		{map[string]string{"CONVENE_SMTP_TLS_CERT": "/etc/ssl/mx.pem"}, "CONVENE_SMTP_TLS_KEY"},
		{map[string]string{"CONVENE_SMTP_TLS_KEY": "/etc/ssl/mx.key"}, "CONVENE_SMTP_TLS_CERT"},
	}
	for _, c := range cases {
		_, err := load(t, nil, c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one mentioning %q", c.env, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error is not one line: %q", c.env, err)
		}
	}
}

func TestDumpMasksSecrets(t *testing.T) {
	c, err := load(t, nil, map[string]string{
		"CONVENE_DATABASE_URL":        "postgres://convene:hunter22@db:5432/convene",
		"CONVENE_SMTP_RELAY":          "smtp://mailer:relaypass@smtp.example.com:587",
		"CONVENE_OPERATOR_TOKEN":      "op-secret-0123456789",
		"CONVENE_ZOOM_CLIENT_SECRET":  "real-zoom-secret",
		"CONVENE_ZOOM_WEBHOOK_SECRET": "real-webhook-secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	dump := strings.Join(c.Dump(), "\n")
	for _, secret := range []string{"hunter22", "relaypass", "op-secret", "real-zoom-secret", "real-webhook-secret"} {
		if strings.Contains(dump, secret) {
			t.Errorf("dump shows %q:\n%s", secret, dump)
		}
	}
	for _, visible := range []string{"db:5432", "smtp.example.com:587", "CONVENE_HTTP_ADDR=127.0.0.1:8080"} {
		if !strings.Contains(dump, visible) {
			t.Errorf("dump hides %q:\n%s", visible, dump)
		}
	}
}

func TestEnsureDataDir(t *testing.T) {
	dir := t.TempDir()
	c := &Config{DataDir: filepath.Join(dir, "a", "b")}
	if err := c.EnsureDataDir(); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o600)
	c = &Config{DataDir: filepath.Join(blocker, "sub")}
	if err := c.EnsureDataDir(); err == nil || !strings.Contains(err.Error(), "CONVENE_DATA_DIR") {
		t.Errorf("data dir under a file: %v", err)
	}
}

// TestRealZoomRefusesSandboxSettings: with real Zoom URLs, each of the
// sandbox's public credentials, whether left at its default, given
// explicitly or empty, stops Convene at start with one line naming the
// setting; so do the sandbox's test controls and half-sandbox URLs.
func TestRealZoomRefusesSandboxSettings(t *testing.T) {
	realZoom := func(mod map[string]string) map[string]string {
		env := map[string]string{
			"CONVENE_ZOOM_API_URL": "https://api.zoom.us/v2", "CONVENE_ZOOM_OAUTH_URL": "https://zoom.us",
			"CONVENE_ZOOM_CLIENT_ID": "Ab3dEfGhIjKlMnOpQr", "CONVENE_ZOOM_CLIENT_SECRET": "real-client-secret",
			"CONVENE_ZOOM_WEBHOOK_SECRET": "real-webhook-secret",
		}
		for k, v := range mod {
			if v == "-" {
				delete(env, k) // the default applies
				continue
			}
			env[k] = v
		}
		return env
	}
	c, err := load(t, nil, realZoom(nil))
	if err != nil || c.Sandboxed() || c.ZoomSandboxControls {
		t.Fatalf("real Zoom with its own credentials: %+v %v", c, err)
	}
	cases := []struct {
		env  map[string]string
		want string
	}{
		{realZoom(map[string]string{"CONVENE_ZOOM_CLIENT_ID": "-"}), "CONVENE_ZOOM_CLIENT_ID: the sandbox's public default"},
		{realZoom(map[string]string{"CONVENE_ZOOM_CLIENT_ID": zoomsandbox.DefaultClientID}), "CONVENE_ZOOM_CLIENT_ID: the sandbox's public default"},
		{realZoom(map[string]string{"CONVENE_ZOOM_CLIENT_ID": ""}), "CONVENE_ZOOM_CLIENT_ID: must be set"},
		{realZoom(map[string]string{"CONVENE_ZOOM_CLIENT_SECRET": "-"}), "CONVENE_ZOOM_CLIENT_SECRET: the sandbox's public default"},
		{realZoom(map[string]string{"CONVENE_ZOOM_CLIENT_SECRET": zoomsandbox.DefaultClientSecret}), "CONVENE_ZOOM_CLIENT_SECRET: the sandbox's public default"},
		{realZoom(map[string]string{"CONVENE_ZOOM_CLIENT_SECRET": ""}), "CONVENE_ZOOM_CLIENT_SECRET: must be set"},
		{realZoom(map[string]string{"CONVENE_ZOOM_WEBHOOK_SECRET": "-"}), "CONVENE_ZOOM_WEBHOOK_SECRET: the sandbox's public default"},
		{realZoom(map[string]string{"CONVENE_ZOOM_WEBHOOK_SECRET": zoomsandbox.DefaultWebhookSecret}), "CONVENE_ZOOM_WEBHOOK_SECRET: the sandbox's public default"},
		{realZoom(map[string]string{"CONVENE_ZOOM_WEBHOOK_SECRET": ""}), "CONVENE_ZOOM_WEBHOOK_SECRET: must be set"},
		{realZoom(map[string]string{"CONVENE_ZOOM_SANDBOX_CONTROLS": "on"}), "CONVENE_ZOOM_SANDBOX_CONTROLS: on only works with the built-in sandbox"},
		{realZoom(map[string]string{"CONVENE_ZOOM_OAUTH_URL": "sandbox"}), "set both"},
		{realZoom(map[string]string{"CONVENE_ZOOM_OAUTH_URL": "-"}), "set both"},
		{realZoom(map[string]string{"CONVENE_ZOOM_API_URL": "sandbox"}), "set both"},
		{map[string]string{"CONVENE_ZOOM_SANDBOX_CONTROLS": "yes"}, `CONVENE_ZOOM_SANDBOX_CONTROLS: "yes" is not on or off`},
		{map[string]string{"CONVENE_ZOOM_SANDBOX_CONTROLS": ""}, `CONVENE_ZOOM_SANDBOX_CONTROLS: "" is not on or off`},
	}
	for _, c := range cases {
		_, err := load(t, nil, c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line with %q", c.env, err, c.want)
		}
		if err != nil {
			for _, secret := range []string{"real-client-secret", "real-webhook-secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows a secret: %v", err)
				}
			}
		}
	}
	// The flag works like the variable.
	if _, err := load(t, []string{"--zoom-sandbox-controls", "on"}, realZoom(nil)); err == nil || !strings.Contains(err.Error(), "CONVENE_ZOOM_SANDBOX_CONTROLS") {
		t.Errorf("--zoom-sandbox-controls on with real Zoom: %v", err)
	}
}

// TestSandboxControlsSetting: off by default; on with the sandbox.
func TestSandboxControlsSetting(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil || c.ZoomSandboxControls {
		t.Fatalf("default: %v %v", c.ZoomSandboxControls, err)
	}
	if !strings.Contains(strings.Join(c.Dump(), "\n"), "CONVENE_ZOOM_SANDBOX_CONTROLS=off") {
		t.Errorf("dump: %v", c.Dump())
	}
	for _, in := range []struct {
		args []string
		env  map[string]string
	}{
		{nil, map[string]string{"CONVENE_ZOOM_SANDBOX_CONTROLS": "on"}},
		{[]string{"--zoom-sandbox-controls=on"}, map[string]string{"CONVENE_ZOOM_SANDBOX_CONTROLS": "off"}},
	} {
		c, err := load(t, in.args, in.env)
		if err != nil || !c.ZoomSandboxControls {
			t.Errorf("%v %v: %v %v", in.args, in.env, c, err)
		}
	}
	if c, err := load(t, []string{"--zoom-sandbox-controls=off"}, map[string]string{"CONVENE_ZOOM_SANDBOX_CONTROLS": "on"}); err != nil || c.ZoomSandboxControls {
		t.Errorf("the flag does not win: %v", err)
	}
}

// TestDataDirIsPrivate: with umask 022, a new data directory is 0700, and a
// pre-existing 0755 one that holds only Convene's files (some left 0644 by
// an earlier version) is tightened, with notes saying so; a directory with
// other files in it is left alone, with a note.
func TestDataDirIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	mode := func(p string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	fresh := &Config{DataDir: filepath.Join(t.TempDir(), "new")}
	if err := fresh.EnsureDataDir(); err != nil {
		t.Fatal(err)
	}
	if m := mode(fresh.DataDir); m != 0o700 || len(fresh.Notes) != 0 {
		t.Errorf("new data dir: mode %o, notes %v", m, fresh.Notes)
	}

	dir := filepath.Join(t.TempDir(), "old")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"convene.db", "secret.key", "zoom-sandbox.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := &Config{DataDir: dir}
	if err := c.EnsureDataDir(); err != nil {
		t.Fatal(err)
	}
	if m := mode(dir); m != 0o700 {
		t.Errorf("existing 0755 data dir: mode %o, want 700", m)
	}
	for _, f := range []string{"convene.db", "secret.key", "zoom-sandbox.json"} {
		if m := mode(filepath.Join(dir, f)); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", f, m)
		}
	}
	if len(c.Notes) != 4 || !strings.Contains(c.Notes[0], "now 700") {
		t.Errorf("notes = %q", c.Notes)
	}

	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(shared, "someone-else.conf"), nil, 0o644)
	c = &Config{DataDir: shared}
	if err := c.EnsureDataDir(); err != nil {
		t.Fatal(err)
	}
	if m := mode(shared); m != 0o755 || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "other files") {
		t.Errorf("shared dir: mode %o, notes %q", m, c.Notes)
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := load(t, nil, map[string]string{"CONVENE_TRUSTED_PROXIES": " 10.0.0.5, 192.168.0.0/16 ,::1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.TrustedProxies {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.5/32 192.168.0.0/16 ::1/128" {
		t.Errorf("trusted proxies = %v", got)
	}
	if c, _ := load(t, nil, nil); len(c.TrustedProxies) != 0 {
		t.Errorf("default trusted proxies = %v", c.TrustedProxies)
	}
	if _, err := load(t, nil, map[string]string{"CONVENE_TRUSTED_PROXIES": "10.0.0.5,proxy.example"}); err == nil || !strings.Contains(err.Error(), `"proxy.example"`) {
		t.Errorf("bad proxy: %v", err)
	}
}

func TestMailSettings(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.MailRetention != 720*time.Hour || c.OutboxRetention != 720*time.Hour || c.IMAPURL != "" || c.TrustedMTA != "" || len(c.TrustedMTAIPs) != 0 {
		t.Errorf("defaults: retention %v imap %q trusted %q %v", c.MailRetention, c.IMAPURL, c.TrustedMTA, c.TrustedMTAIPs)
	}
	c, err = load(t, nil, map[string]string{"CONVENE_MAIL_RETENTION": "48h", "CONVENE_OUTBOX_RETENTION": "168h", "CONVENE_IMAP_URL": "imaps://a%40b.test:pw@imap.b.test/INBOX",
		"CONVENE_TRUSTED_MTA": "mx.b.test", "CONVENE_TRUSTED_MTA_IPS": "10.0.0.5, 192.0.2.0/24,::ffff:10.0.0.6"})
	if err != nil {
		t.Fatal(err)
	}
	if c.MailRetention != 48*time.Hour || c.OutboxRetention != 168*time.Hour || len(c.TrustedMTAIPs) != 3 || c.TrustedMTAIPs[0].String() != "10.0.0.5/32" || c.TrustedMTAIPs[2].String() != "10.0.0.6/32" {
		t.Errorf("parsed: %v %v", c.MailRetention, c.TrustedMTAIPs)
	}
	for _, line := range c.Dump() {
		if strings.Contains(line, "pw") {
			t.Errorf("the IMAP password is shown: %s", line)
		}
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CONVENE_MAIL_RETENTION": "soon"}, "CONVENE_MAIL_RETENTION"},
		{map[string]string{"CONVENE_MAIL_RETENTION": "10s"}, "at least 1m"},
		{map[string]string{"CONVENE_OUTBOX_RETENTION": "forever"}, "CONVENE_OUTBOX_RETENTION"},
		{map[string]string{"CONVENE_OUTBOX_RETENTION": "30s"}, "at least 1m"},
		{map[string]string{"CONVENE_IMAP_URL": "pop3://u:p@h"}, "CONVENE_IMAP_URL"},
		{map[string]string{"CONVENE_IMAP_URL": "imaps://imap.b.test/INBOX"}, "user and password"},
		{map[string]string{"CONVENE_TRUSTED_MTA_IPS": "10.0.0.5"}, "set CONVENE_TRUSTED_MTA too"},
		{map[string]string{"CONVENE_TRUSTED_MTA": "mx", "CONVENE_TRUSTED_MTA_IPS": "10.0.0.300"}, "not an IP address"},
		{map[string]string{"CONVENE_TRUSTED_MTA": "mx.b.test; dkim=pass"}, "not an authserv-id"},
	} {
		if _, err := load(t, nil, tc.env); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error saying %q", tc.env, err, tc.want)
		}
	}
}

// TestOIDCSettings: single sign-on is off by default, on with an issuer
// and a client ID (https, or http on loopback), and its secret is masked.
func TestOIDCSettings(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil || c.OIDCIssuer != "" {
		t.Fatalf("default: %q, %v", c.OIDCIssuer, err)
	}
	for _, issuer := range []string{"https://login.example.com", "https://login.example.com/realms/acme", "http://127.0.0.1:9998", "http://localhost:9998/"} {
		c, err := load(t, nil, map[string]string{"CONVENE_OIDC_ISSUER": issuer, "CONVENE_OIDC_CLIENT_ID": "convene", "CONVENE_OIDC_CLIENT_SECRET": "s3cr3t-value"})
		if err != nil || c.OIDCIssuer != issuer || c.OIDCClientID != "convene" || c.OIDCClientSecret != "s3cr3t-value" {
			t.Errorf("%s: %+v, %v", issuer, c, err)
			continue
		}
		for _, line := range c.Dump() {
			if strings.Contains(line, "s3cr3t-value") {
				t.Errorf("the client secret is printed: %s", line)
			}
		}
	}
}

func TestGuestReminder(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.GuestReminder != 24*time.Hour {
		t.Errorf("default guest reminder = %v, want 24h (DESIGN.md §4)", c.GuestReminder)
	}
	if c, err = load(t, nil, map[string]string{"CONVENE_GUEST_REMINDER": "90m"}); err != nil || c.GuestReminder != 90*time.Minute {
		t.Errorf("90m: %v %v", c, err)
	}
	for _, v := range []string{"soon", "30s", "0", "-1h", "721h"} {
		if _, err := load(t, nil, map[string]string{"CONVENE_GUEST_REMINDER": v}); err == nil || !strings.Contains(err.Error(), "CONVENE_GUEST_REMINDER") {
			t.Errorf("%q: %v, want an error naming CONVENE_GUEST_REMINDER", v, err)
		}
	}
}

// TestMicrosoftSettings: the sandbox by default, its URLs on the base URL;
// with real Microsoft URLs the sandbox's public credentials (which are
// graphsandbox's defaults) and its controls stop Convene at start.
func TestMicrosoftSettings(t *testing.T) {
	if SandboxMicrosoftClientID != graphsandbox.DefaultClientID || SandboxMicrosoftClientSecret != graphsandbox.DefaultClientSecret {
		t.Fatal("config's sandbox credentials differ from graphsandbox's defaults")
	}
	c, err := load(t, nil, nil)
	if err != nil || !c.GraphSandboxed() || c.GraphSandboxControls || c.MicrosoftClientID != graphsandbox.DefaultClientID {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	g, l := c.MicrosoftURLs("http://127.0.0.1:8080/")
	if g != "http://127.0.0.1:8080/graph-sandbox/v1.0" || l != "http://127.0.0.1:8080/graph-sandbox" {
		t.Errorf("sandbox URLs: %s %s", g, l)
	}
	if c, err := load(t, nil, map[string]string{"CONVENE_GRAPH_SANDBOX_CONTROLS": "on"}); err != nil || !c.GraphSandboxControls {
		t.Errorf("controls on: %v", err)
	}
	real := func(mod map[string]string) map[string]string {
		env := map[string]string{"CONVENE_GRAPH_URL": "https://graph.microsoft.com/v1.0/", "CONVENE_MICROSOFT_LOGIN_URL": "https://login.microsoftonline.com",
			"CONVENE_MICROSOFT_CLIENT_ID": "4f1c9a2e-0000-4000-8000-1234567890ab", "CONVENE_MICROSOFT_CLIENT_SECRET": "real-ms-secret"}
		for k, v := range mod {
			if v == "-" {
				delete(env, k)
				continue
			}
			env[k] = v
		}
		return env
	}
	c, err = load(t, nil, real(nil))
	if err != nil || c.GraphSandboxed() {
		t.Fatalf("real Microsoft: %v", err)
	}
	if g, l := c.MicrosoftURLs("http://127.0.0.1:8080"); g != "https://graph.microsoft.com/v1.0" || l != "https://login.microsoftonline.com" {
		t.Errorf("real URLs: %s %s", g, l)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{real(map[string]string{"CONVENE_MICROSOFT_CLIENT_ID": "-"}), "CONVENE_MICROSOFT_CLIENT_ID: the sandbox's public default"},
		{real(map[string]string{"CONVENE_MICROSOFT_CLIENT_SECRET": "-"}), "CONVENE_MICROSOFT_CLIENT_SECRET: the sandbox's public default"},
		{real(map[string]string{"CONVENE_MICROSOFT_CLIENT_SECRET": ""}), "CONVENE_MICROSOFT_CLIENT_SECRET: must be set"},
		{real(map[string]string{"CONVENE_GRAPH_SANDBOX_CONTROLS": "on"}), "CONVENE_GRAPH_SANDBOX_CONTROLS: on only works with the built-in sandbox"},
		{real(map[string]string{"CONVENE_MICROSOFT_LOGIN_URL": "-"}), "set both"},
		{real(map[string]string{"CONVENE_GRAPH_URL": "ftp://x"}), "CONVENE_GRAPH_URL"},
		{map[string]string{"CONVENE_GRAPH_SANDBOX_CONTROLS": "yes"}, `CONVENE_GRAPH_SANDBOX_CONTROLS: "yes" is not on or off`},
	} {
		_, err := load(t, nil, tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "real-ms-secret") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}

// TestGoogleSettings: the built-in sandbox by default, both URLs real or
// both sandbox, controls only with the sandbox, and the endpoints Convene
// uses in each case.
func TestGoogleSettings(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil || !c.GoogleSandboxed() || c.GoogleSandboxControls {
		t.Fatalf("default: %+v %v", c, err)
	}
	if cal, tok := c.GoogleEndpoints("http://127.0.0.1:8080/"); cal != "http://127.0.0.1:8080/google-sandbox/calendar/v3/" || tok != "http://127.0.0.1:8080/google-sandbox/token" {
		t.Errorf("sandbox endpoints %s %s", cal, tok)
	}
	if !strings.Contains(strings.Join(c.Dump(), "\n"), "CONVENE_GOOGLE_SANDBOX_CONTROLS=off") {
		t.Errorf("dump: %v", c.Dump())
	}
	real := map[string]string{"CONVENE_GOOGLE_CALENDAR_URL": "https://www.googleapis.com/calendar/v3", "CONVENE_GOOGLE_TOKEN_URL": "https://oauth2.googleapis.com/token"}
	c, err = load(t, nil, real)
	if err != nil || c.GoogleSandboxed() {
		t.Fatalf("real Google: %v", err)
	}
	if cal, tok := c.GoogleEndpoints("http://x"); cal != "https://www.googleapis.com/calendar/v3/" || tok != "https://oauth2.googleapis.com/token" {
		t.Errorf("real endpoints %s %s", cal, tok)
	}
	if c, err := load(t, nil, map[string]string{"CONVENE_GOOGLE_SANDBOX_CONTROLS": "on"}); err != nil || !c.GoogleSandboxControls {
		t.Errorf("controls on with the sandbox: %v", err)
	}
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"CONVENE_GOOGLE_CALENDAR_URL": "https://www.googleapis.com/calendar/v3/"}, "set both"},
		{map[string]string{"CONVENE_GOOGLE_TOKEN_URL": "https://oauth2.googleapis.com/token"}, "set both"},
		{map[string]string{"CONVENE_GOOGLE_CALENDAR_URL": "nope", "CONVENE_GOOGLE_TOKEN_URL": "nope"}, "CONVENE_GOOGLE_CALENDAR_URL"},
		{map[string]string{"CONVENE_GOOGLE_SANDBOX_CONTROLS": "yes"}, `CONVENE_GOOGLE_SANDBOX_CONTROLS: "yes" is not on or off`},
		{map[string]string{"CONVENE_GOOGLE_CALENDAR_URL": real["CONVENE_GOOGLE_CALENDAR_URL"], "CONVENE_GOOGLE_TOKEN_URL": real["CONVENE_GOOGLE_TOKEN_URL"],
			"CONVENE_GOOGLE_SANDBOX_CONTROLS": "on"}, "CONVENE_GOOGLE_SANDBOX_CONTROLS: on only works with the built-in sandbox"},
	}
	for _, c := range cases {
		if _, err := load(t, nil, c.env); err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line with %q", c.env, err, c.want)
		}
	}
}

// TestGooglePersonalSettings: per-user mode (personal Google accounts) is on
// with the sandbox, off with real Google unless its authorization endpoint
// and a real client are set; the sandbox's public client is refused with
// real Google, and the endpoints are Google's or the sandbox's.
func TestGooglePersonalSettings(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil || !c.GooglePersonal() {
		t.Fatalf("default: %v", err)
	}
	if a, iss, rev := c.GooglePersonalEndpoints("http://h:1/"); a != "http://h:1/google-sandbox/o/oauth2/v2/auth" || iss != "http://h:1/google-sandbox" || rev != "http://h:1/google-sandbox/revoke" {
		t.Errorf("sandbox: %s %s %s", a, iss, rev)
	}
	real := map[string]string{"CONVENE_GOOGLE_CALENDAR_URL": "https://www.googleapis.com/calendar/v3", "CONVENE_GOOGLE_TOKEN_URL": "https://oauth2.googleapis.com/token"}
	if c, err := load(t, nil, real); err != nil || c.GooglePersonal() {
		t.Errorf("real Google without an auth URL: personal %v, %v", c != nil && c.GooglePersonal(), err)
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range real {
			m[k] = v
		}
		m["CONVENE_GOOGLE_AUTH_URL"] = "https://accounts.google.com/o/oauth2/v2/auth"
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	c, err = load(t, nil, with("CONVENE_GOOGLE_CLIENT_ID", "1-x.apps.googleusercontent.com", "CONVENE_GOOGLE_CLIENT_SECRET", "real-google-secret"))
	if err != nil || !c.GooglePersonal() {
		t.Fatalf("real: %v", err)
	}
	if a, iss, rev := c.GooglePersonalEndpoints("http://h"); a != "https://accounts.google.com/o/oauth2/v2/auth" || iss != "https://accounts.google.com" || rev != "https://oauth2.googleapis.com/revoke" {
		t.Errorf("real: %s %s %s", a, iss, rev)
	}
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{with(), "CONVENE_GOOGLE_CLIENT_ID: the sandbox's public default cannot be used with real Google"},
		{with("CONVENE_GOOGLE_CLIENT_ID", "1-x.apps.googleusercontent.com"), "CONVENE_GOOGLE_CLIENT_SECRET: the sandbox's public default"},
		{with("CONVENE_GOOGLE_CLIENT_ID", "1-x", "CONVENE_GOOGLE_CLIENT_SECRET", ""), "must be set"},
		{map[string]string{"CONVENE_GOOGLE_AUTH_URL": "https://accounts.google.com/o/oauth2/v2/auth"}, "CONVENE_GOOGLE_AUTH_URL: set it to sandbox"},
		{map[string]string{"CONVENE_GOOGLE_CALENDAR_URL": real["CONVENE_GOOGLE_CALENDAR_URL"], "CONVENE_GOOGLE_TOKEN_URL": real["CONVENE_GOOGLE_TOKEN_URL"],
			"CONVENE_GOOGLE_CLIENT_ID": "1-x", "CONVENE_GOOGLE_CLIENT_SECRET": "real-google-secret"}, "CONVENE_GOOGLE_AUTH_URL: set it to https://accounts.google.com"},
	} {
		_, err := load(t, nil, tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "real-google-secret") {
			t.Errorf("the error shows the secret: %v", err)
		}
	}
}
