package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

func TestMailSettings(t *testing.T) {
	c, err := load(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.MailRetention != 720*time.Hour || c.IMAPURL != "" || c.TrustedMTA != "" || len(c.TrustedMTAIPs) != 0 {
		t.Errorf("defaults: retention %v imap %q trusted %q %v", c.MailRetention, c.IMAPURL, c.TrustedMTA, c.TrustedMTAIPs)
	}
	c, err = load(t, nil, map[string]string{"CONVENE_MAIL_RETENTION": "48h", "CONVENE_IMAP_URL": "imaps://a%40b.test:pw@imap.b.test/INBOX",
		"CONVENE_TRUSTED_MTA": "mx.b.test", "CONVENE_TRUSTED_MTA_IPS": "10.0.0.5, 192.0.2.0/24,::ffff:10.0.0.6"})
	if err != nil {
		t.Fatal(err)
	}
	if c.MailRetention != 48*time.Hour || len(c.TrustedMTAIPs) != 3 || c.TrustedMTAIPs[0].String() != "10.0.0.5/32" || c.TrustedMTAIPs[2].String() != "10.0.0.6/32" {
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
