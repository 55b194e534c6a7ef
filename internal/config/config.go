// Package config reads Convene's settings from flags and CONVENE_*
// environment variables (flags win), applies the defaults of DESIGN.md §4 and
// validates them before anything starts.
//
// It must never import the core or a front end: it only describes settings.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Sandbox is the value of the Zoom URL settings that selects the built-in
// Zoom sandbox.
const Sandbox = "sandbox"

// The sandbox app's credentials, the defaults of the Zoom credential
// settings. They are public (DESIGN §4): Convene refuses them with real
// Zoom, where anyone could sign a webhook with the default secret.
const (
	SandboxClientID      = "sandbox-client"
	SandboxClientSecret  = "sandbox-secret"
	SandboxWebhookSecret = "sandbox-webhook-secret"
)

// The Microsoft sandbox app's registration, the defaults of
// CONVENE_MICROSOFT_CLIENT_ID and CONVENE_MICROSOFT_CLIENT_SECRET (the same
// as internal/graphsandbox's defaults). Public: refused with real
// Microsoft URLs.
const (
	SandboxMicrosoftClientID     = "00000000-0000-4000-8000-00000000c0de"
	SandboxMicrosoftClientSecret = "sandbox-graph-secret"
)

// The built-in Google sandbox's OAuth client of Convene, the defaults of
// CONVENE_GOOGLE_CLIENT_ID and CONVENE_GOOGLE_CLIENT_SECRET (per-user
// mode, personal Google accounts). Public: refused with real Google URLs.
const (
	SandboxGoogleClientID     = "convene-sandbox.apps.googleusercontent.com"
	SandboxGoogleClientSecret = "sandbox-google-secret"
)

// GraphSandboxPath is where `convene serve` mounts the built-in Graph
// sandbox on its own listener (CONVENE_GRAPH_URL=sandbox): the identity
// platform at BaseURL+GraphSandboxPath, Graph at
// BaseURL+GraphSandboxPath+"/v1.0".
const GraphSandboxPath = "/graph-sandbox"

// Config is the whole of Convene's settings.
type Config struct {
	DataDir     string
	DatabaseURL string
	HTTPAddr    string
	BaseURL     string
	SMTPAddr    string
	// SMTPTLSCert and SMTPTLSKey are the PEM files of the certificate the
	// SMTP listener offers STARTTLS with (both or neither; read again
	// when renewed in place).
	SMTPTLSCert, SMTPTLSKey  string
	AssistantAddress         string
	SMTPRelay                string
	DNSResolver              string
	ZoomAPIURL               string
	ZoomOAuthURL             string
	ZoomClientID             string
	ZoomClientSecret         string
	ZoomWebhookSecret        string
	OperatorToken            string
	SecretKey                string
	JitsiURL                 string
	LogLevel                 string
	LogFormat                string
	AllowPrivateCalendarURLs bool
	// JobTimeout bounds one attempt of a job (CONVENE_JOB_TIMEOUT); a job
	// still marked running after twice that belongs to a dead node and
	// runs again elsewhere.
	JobTimeout time.Duration
	jobTimeout string
	// ZoomSandboxControls mounts the built-in sandbox's unauthenticated
	// test controls (CONVENE_ZOOM_SANDBOX_CONTROLS=on): tests and demos
	// only.
	ZoomSandboxControls bool
	zoomSandboxControls string
	// GraphURL is Microsoft Graph's root with its version
	// (CONVENE_GRAPH_URL, https://graph.microsoft.com/v1.0) and
	// MicrosoftLoginURL the identity platform's
	// (CONVENE_MICROSOFT_LOGIN_URL, https://login.microsoftonline.com),
	// or both Sandbox: use MicrosoftURLs for the URLs to call.
	GraphURL          string
	MicrosoftLoginURL string
	// MicrosoftClientID and MicrosoftClientSecret are the app
	// registration's credentials (client credentials grant).
	MicrosoftClientID     string
	MicrosoftClientSecret string
	// GraphSandboxControls mounts the built-in Graph sandbox's
	// unauthenticated test controls (CONVENE_GRAPH_SANDBOX_CONTROLS=on).
	GraphSandboxControls bool
	graphSandboxControls string
	// GoogleCalendarURL and GoogleTokenURL are Google's Calendar API base
	// (https://www.googleapis.com/calendar/v3/) and OAuth token endpoint
	// (https://oauth2.googleapis.com/token), or both Sandbox: the built-in
	// Google sandbox mounted at /google-sandbox/ (see GoogleEndpoints).
	GoogleCalendarURL string
	GoogleTokenURL    string
	// GoogleAuthURL is Google's OAuth 2.0 authorization endpoint
	// (https://accounts.google.com/o/oauth2/v2/auth), or Sandbox with the
	// other two; GoogleClientID and GoogleClientSecret are Convene's OAuth
	// client at Google. They offer per-user mode (personal Google
	// accounts); an empty client ID with real Google offers none.
	GoogleAuthURL      string
	GoogleClientID     string
	GoogleClientSecret string
	// GoogleSandboxControls mounts the built-in Google sandbox's
	// unauthenticated test controls (CONVENE_GOOGLE_SANDBOX_CONTROLS=on):
	// tests and demos only.
	GoogleSandboxControls bool
	googleSandboxControls string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (CONVENE_TRUSTED_PROXIES); none: the socket's peer is the
	// client, for limiting failed sign-ins and for logs.
	TrustedProxies []netip.Prefix
	trustedProxies string
	// OIDCIssuer, OIDCClientID and OIDCClientSecret turn on single
	// sign-on to the web pages with an OpenID provider (CONVENE_OIDC_*);
	// no issuer: off.
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	// Notes say what EnsureDataDir changed about the data directory, or
	// could not change, for the log.
	Notes []string
	// IMAPURL is the mailbox the assistant's mail is read from
	// (CONVENE_IMAP_URL); "" for none.
	IMAPURL string
	// MailRetention is how long the bytes of received mail are kept
	// (CONVENE_MAIL_RETENTION).
	MailRetention time.Duration
	mailRetention string
	// OutboxRetention is how long the body of a sent mail is kept in the
	// outbox (CONVENE_OUTBOX_RETENTION).
	OutboxRetention time.Duration
	outboxRetention string
	// TrustedMTA is the authserv-id whose Authentication-Results are
	// believed (CONVENE_TRUSTED_MTA), on mail from TrustedMTAIPs
	// (CONVENE_TRUSTED_MTA_IPS) or read from the IMAP mailbox.
	TrustedMTA    string
	TrustedMTAIPs []netip.Prefix
	trustedMTAIPs string
	// GuestReminder is how long a guest may stay silent before the
	// assistant reminds them once, and again before it asks the organizer
	// (CONVENE_GUEST_REMINDER).
	GuestReminder time.Duration
	guestReminder string
}

// setting describes one setting: its flag and variable names, default and
// whether it is a secret (masked when printed).
type setting struct {
	flag, env, def, usage string
	secret                bool
	field                 func(*Config) *string
}

var settings = []setting{
	{"data-dir", "CONVENE_DATA_DIR", "./convene-data", "directory for the database file, secret key and spool", false, func(c *Config) *string { return &c.DataDir }},
	{"database-url", "CONVENE_DATABASE_URL", "", "sqlite:PATH or postgres://… (default: SQLite in the data dir)", true, func(c *Config) *string { return &c.DatabaseURL }},
	{"http-addr", "CONVENE_HTTP_ADDR", "127.0.0.1:8080", "HTTP listener host:port", false, func(c *Config) *string { return &c.HTTPAddr }},
	{"base-url", "CONVENE_BASE_URL", "", "public URL for OAuth redirects and links in mail (default http://HTTP_ADDR)", false, func(c *Config) *string { return &c.BaseURL }},
	{"smtp-addr", "CONVENE_SMTP_ADDR", "127.0.0.1:2525", "inbound SMTP listener host:port (empty: off)", false, func(c *Config) *string { return &c.SMTPAddr }},
	{"smtp-tls-cert", "CONVENE_SMTP_TLS_CERT", "", "PEM certificate chain the SMTP listener offers STARTTLS with, read again when renewed in place (none: no STARTTLS)", false, func(c *Config) *string { return &c.SMTPTLSCert }},
	{"smtp-tls-key", "CONVENE_SMTP_TLS_KEY", "", "PEM private key of CONVENE_SMTP_TLS_CERT", false, func(c *Config) *string { return &c.SMTPTLSKey }},
	{"assistant-address", "CONVENE_ASSISTANT_ADDRESS", "", "the address organizers CC (default assistant@ the first verified domain)", false, func(c *Config) *string { return &c.AssistantAddress }},
	{"smtp-relay", "CONVENE_SMTP_RELAY", "", "outbound submission smtp://user:pass@host:port (none: mail stays in the outbox)", true, func(c *Config) *string { return &c.SMTPRelay }},
	{"dns-resolver", "CONVENE_DNS_RESOLVER", "", "host:port of the DNS server for domain checks (default: the system's)", false, func(c *Config) *string { return &c.DNSResolver }},
	{"zoom-api-url", "CONVENE_ZOOM_API_URL", Sandbox, "Zoom API base URL (https://api.zoom.us/v2) or sandbox", false, func(c *Config) *string { return &c.ZoomAPIURL }},
	{"zoom-oauth-url", "CONVENE_ZOOM_OAUTH_URL", Sandbox, "Zoom OAuth base URL (https://zoom.us) or sandbox", false, func(c *Config) *string { return &c.ZoomOAuthURL }},
	{"zoom-client-id", "CONVENE_ZOOM_CLIENT_ID", SandboxClientID, "Zoom OAuth app client ID", false, func(c *Config) *string { return &c.ZoomClientID }},
	{"zoom-client-secret", "CONVENE_ZOOM_CLIENT_SECRET", SandboxClientSecret, "Zoom OAuth app client secret", true, func(c *Config) *string { return &c.ZoomClientSecret }},
	{"zoom-webhook-secret", "CONVENE_ZOOM_WEBHOOK_SECRET", SandboxWebhookSecret, "Zoom webhook secret token", true, func(c *Config) *string { return &c.ZoomWebhookSecret }},
	{"zoom-sandbox-controls", "CONVENE_ZOOM_SANDBOX_CONTROLS", "off", "on: mount the built-in Zoom sandbox's test controls (/zoom-sandbox/_sandbox/…), which have no authentication and show every token; tests and demos only, never on a shared host", false, func(c *Config) *string { return &c.zoomSandboxControls }},
	{"graph-url", "CONVENE_GRAPH_URL", Sandbox, "Microsoft Graph root with its version (https://graph.microsoft.com/v1.0) or sandbox", false, func(c *Config) *string { return &c.GraphURL }},
	{"microsoft-login-url", "CONVENE_MICROSOFT_LOGIN_URL", Sandbox, "Microsoft identity platform URL (https://login.microsoftonline.com) or sandbox", false, func(c *Config) *string { return &c.MicrosoftLoginURL }},
	{"microsoft-client-id", "CONVENE_MICROSOFT_CLIENT_ID", SandboxMicrosoftClientID, "Microsoft Entra app registration's application (client) ID", false, func(c *Config) *string { return &c.MicrosoftClientID }},
	{"microsoft-client-secret", "CONVENE_MICROSOFT_CLIENT_SECRET", SandboxMicrosoftClientSecret, "Microsoft Entra app registration's client secret", true, func(c *Config) *string { return &c.MicrosoftClientSecret }},
	{"graph-sandbox-controls", "CONVENE_GRAPH_SANDBOX_CONTROLS", "off", "on: mount the built-in Graph sandbox's test controls (/graph-sandbox/_sandbox/…), which have no authentication and show every tenant's data; tests and demos only, never on a shared host", false, func(c *Config) *string { return &c.graphSandboxControls }},
	{"google-calendar-url", "CONVENE_GOOGLE_CALENDAR_URL", Sandbox, "Google Calendar API base URL (https://www.googleapis.com/calendar/v3/) or sandbox", false, func(c *Config) *string { return &c.GoogleCalendarURL }},
	{"google-token-url", "CONVENE_GOOGLE_TOKEN_URL", Sandbox, "Google OAuth token endpoint (https://oauth2.googleapis.com/token) or sandbox", false, func(c *Config) *string { return &c.GoogleTokenURL }},
	{"google-auth-url", "CONVENE_GOOGLE_AUTH_URL", Sandbox, "Google OAuth authorization endpoint (https://accounts.google.com/o/oauth2/v2/auth) or sandbox, for personal Google accounts (per-user mode)", false, func(c *Config) *string { return &c.GoogleAuthURL }},
	{"google-client-id", "CONVENE_GOOGLE_CLIENT_ID", SandboxGoogleClientID, "Google OAuth client ID (web application) for personal Google accounts; empty with real Google: no personal-account mode", false, func(c *Config) *string { return &c.GoogleClientID }},
	{"google-client-secret", "CONVENE_GOOGLE_CLIENT_SECRET", SandboxGoogleClientSecret, "Google OAuth client secret for personal Google accounts", true, func(c *Config) *string { return &c.GoogleClientSecret }},
	{"google-sandbox-controls", "CONVENE_GOOGLE_SANDBOX_CONTROLS", "off", "on: mount the built-in Google sandbox's test controls (/google-sandbox/_sandbox/…), which have no authentication and mint service-account keys; tests and demos only, never on a shared host", false, func(c *Config) *string { return &c.googleSandboxControls }},
	{"operator-token", "CONVENE_OPERATOR_TOKEN", "", "token that lets the operator create further accounts", true, func(c *Config) *string { return &c.OperatorToken }},
	{"secret-key", "CONVENE_SECRET_KEY", "", "base64 of 32 bytes encrypting secrets at rest (default: generated in the data dir)", true, func(c *Config) *string { return &c.SecretKey }},
	{"jitsi-url", "CONVENE_JITSI_URL", "https://meet.jit.si", "base URL of the Jitsi server for Jitsi links", false, func(c *Config) *string { return &c.JitsiURL }},
	{"log-level", "CONVENE_LOG_LEVEL", "info", "debug, info, warn or error", false, func(c *Config) *string { return &c.LogLevel }},
	{"log-format", "CONVENE_LOG_FORMAT", "text", "text or json", false, func(c *Config) *string { return &c.LogFormat }},
	{"trusted-proxies", "CONVENE_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of the reverse proxies whose X-Forwarded-For names the client (default none: the socket's peer)", false, func(c *Config) *string { return &c.trustedProxies }},
	{"job-timeout", "CONVENE_JOB_TIMEOUT", "60s", "longest attempt of a background job; a dead node's jobs run again after twice that; a Zoom request gets half of it (at most 30s)", false, func(c *Config) *string { return &c.jobTimeout }},
	{"imap-url", "CONVENE_IMAP_URL", "", "read the assistant's mail from this mailbox: imaps://user:pass@host/INBOX (none: off)", true, func(c *Config) *string { return &c.IMAPURL }},
	{"mail-retention", "CONVENE_MAIL_RETENTION", "720h", "received mail's content is purged after this; its record stays", false, func(c *Config) *string { return &c.mailRetention }},
	{"outbox-retention", "CONVENE_OUTBOX_RETENTION", "720h", "a sent mail's content is purged from the outbox this long after it was sent; its record stays (held and queued mail keeps it)", false, func(c *Config) *string { return &c.outboxRetention }},
	{"trusted-mta", "CONVENE_TRUSTED_MTA", "", "authserv-id of the MTA whose Authentication-Results header is believed (none: Convene checks SPF/DKIM/DMARC itself)", false, func(c *Config) *string { return &c.TrustedMTA }},
	{"guest-reminder", "CONVENE_GUEST_REMINDER", "24h", "a guest silent this long after the assistant's options is reminded once; silent as long again, the organizer is asked", false, func(c *Config) *string { return &c.guestReminder }},
	{"trusted-mta-ips", "CONVENE_TRUSTED_MTA_IPS", "", "comma-separated addresses or CIDRs the trusted MTA relays to the SMTP listener from", false, func(c *Config) *string { return &c.trustedMTAIPs }},
	{"oidc-issuer", "CONVENE_OIDC_ISSUER", "", "OpenID Connect issuer URL for single sign-on to the web pages (none: off)", false, func(c *Config) *string { return &c.OIDCIssuer }},
	{"oidc-client-id", "CONVENE_OIDC_CLIENT_ID", "", "client ID of Convene at the OpenID provider", false, func(c *Config) *string { return &c.OIDCClientID }},
	{"oidc-client-secret", "CONVENE_OIDC_CLIENT_SECRET", "", "client secret of Convene at the OpenID provider (none: a public client, PKCE only)", true, func(c *Config) *string { return &c.OIDCClientSecret }},
}

// boolSettings are the settings whose value is true or false.
var boolSettings = []struct {
	flag, env, usage string
	field            func(*Config) *bool
}{
	{"allow-private-calendar-urls", "CONVENE_ALLOW_PRIVATE_CALENDAR_URLS", "let calendar sources use loopback and private addresses (off: refused, against SSRF)", func(c *Config) *bool { return &c.AllowPrivateCalendarURLs }},
}

// Flags registers every setting on fs. The values are applied by Load.
func Flags(fs *flag.FlagSet) {
	for _, s := range settings {
		fs.String(s.flag, "", fmt.Sprintf("%s (env %s, default %q)", s.usage, s.env, s.def))
	}
	for _, s := range boolSettings {
		fs.String(s.flag, "", fmt.Sprintf("%s (env %s, default false)", s.usage, s.env))
	}
}

// Load builds the Config from the parsed flags of fs (registered by Flags),
// then the environment read through lookupEnv (os.LookupEnv: a variable set
// to the empty string counts as set, so CONVENE_SMTP_ADDR= turns SMTP off),
// then the defaults, and validates it. Its error says, in one line, which
// setting is wrong and how to fix it.
func Load(fs *flag.FlagSet, lookupEnv func(string) (string, bool)) (*Config, error) {
	set := map[string]string{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = f.Value.String() })
	c := &Config{}
	for _, s := range settings {
		v, ok := set[s.flag]
		if !ok {
			v, ok = lookupEnv(s.env)
		}
		if !ok {
			v = s.def
		}
		*s.field(c) = strings.TrimSpace(v)
	}
	for _, s := range boolSettings {
		v, ok := set[s.flag]
		if !ok {
			v, _ = lookupEnv(s.env)
		}
		if v == "" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not true or false", s.env, v)
		}
		*s.field(c) = b
	}
	if err := c.resolve(); err != nil {
		return nil, err
	}
	return c, nil
}

// resolve fills derived defaults and validates.
func (c *Config) resolve() error {
	if c.DataDir == "" {
		return errors.New("CONVENE_DATA_DIR: must not be empty")
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return fmt.Errorf("CONVENE_DATA_DIR: %v", err)
	}
	c.DataDir = abs
	if err := checkAddr("CONVENE_HTTP_ADDR", c.HTTPAddr); err != nil {
		return err
	}
	if c.SMTPAddr != "" {
		if err := checkAddr("CONVENE_SMTP_ADDR", c.SMTPAddr); err != nil {
			return err
		}
	}
	if (c.SMTPTLSCert == "") != (c.SMTPTLSKey == "") {
		return errors.New("CONVENE_SMTP_TLS_CERT and CONVENE_SMTP_TLS_KEY: set both (the certificate and its key) or neither")
	}
	if c.DNSResolver != "" {
		if err := checkAddr("CONVENE_DNS_RESOLVER", c.DNSResolver); err != nil {
			return err
		}
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.HTTPAddr
	}
	if err := checkURL("CONVENE_BASE_URL", c.BaseURL, "http", "https"); err != nil {
		return err
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "convene.db")
	}
	switch {
	case strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		if strings.TrimPrefix(c.DatabaseURL, "sqlite:") == "" {
			return errors.New("CONVENE_DATABASE_URL: sqlite: needs a file path, e.g. sqlite:/var/lib/convene/convene.db")
		}
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		if _, err := url.Parse(c.DatabaseURL); err != nil {
			return errors.New("CONVENE_DATABASE_URL: not a valid postgres:// URL")
		}
	default:
		scheme, _, _ := strings.Cut(c.DatabaseURL, ":")
		return fmt.Errorf("CONVENE_DATABASE_URL: unknown database scheme %q; use sqlite:PATH or postgres://user@host:port/db", scheme)
	}
	if c.SMTPRelay != "" {
		if err := checkURL("CONVENE_SMTP_RELAY", c.SMTPRelay, "smtp", "smtps", "smtp+starttls"); err != nil {
			return err
		}
	}
	if c.AssistantAddress != "" && (!strings.Contains(c.AssistantAddress, "@") || strings.ContainsAny(c.AssistantAddress, " <>")) {
		return fmt.Errorf("CONVENE_ASSISTANT_ADDRESS: %q is not an e-mail address", c.AssistantAddress)
	}
	for _, z := range []struct{ name, v string }{{"CONVENE_ZOOM_API_URL", c.ZoomAPIURL}, {"CONVENE_ZOOM_OAUTH_URL", c.ZoomOAuthURL}} {
		if z.v == Sandbox {
			continue
		}
		if err := checkURL(z.name, z.v, "http", "https"); err != nil {
			return fmt.Errorf("%v (or %q for the built-in sandbox)", err, Sandbox)
		}
	}
	if (c.ZoomAPIURL == Sandbox) != (c.ZoomOAuthURL == Sandbox) {
		return errors.New("CONVENE_ZOOM_API_URL and CONVENE_ZOOM_OAUTH_URL: set both to real Zoom URLs or both to sandbox")
	}
	c.ZoomAPIURL = strings.TrimRight(c.ZoomAPIURL, "/")
	c.ZoomOAuthURL = strings.TrimRight(c.ZoomOAuthURL, "/")
	if err := c.checkZoomSandbox(); err != nil {
		return err
	}
	if err := c.checkMicrosoft(); err != nil {
		return err
	}
	if err := c.checkGoogle(); err != nil {
		return err
	}
	if err := checkURL("CONVENE_JITSI_URL", c.JitsiURL, "http", "https"); err != nil {
		return err
	}
	if c.OperatorToken != "" && len(c.OperatorToken) < 16 {
		return errors.New("CONVENE_OPERATOR_TOKEN: use at least 16 characters")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("CONVENE_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("CONVENE_LOG_FORMAT: %q is not text or json", c.LogFormat)
	}
	if err := c.checkOIDC(); err != nil {
		return err
	}
	d, err := time.ParseDuration(c.jobTimeout)
	if err != nil || d < time.Second || d > time.Hour {
		return fmt.Errorf("CONVENE_JOB_TIMEOUT: %q is not a duration from 1s to 1h, e.g. 60s", c.jobTimeout)
	}
	c.JobTimeout = d
	proxies, err := prefixes("CONVENE_TRUSTED_PROXIES", c.trustedProxies)
	if err != nil {
		return err
	}
	c.TrustedProxies = proxies
	return c.resolveMail()
}

// resolveMail checks the settings of received mail.
func (c *Config) resolveMail() error {
	if c.IMAPURL != "" {
		if err := checkURL("CONVENE_IMAP_URL", c.IMAPURL, "imaps", "imap+starttls", "imap"); err != nil {
			return err
		}
		if u, _ := url.Parse(c.IMAPURL); u.User == nil || u.User.Username() == "" {
			return errors.New("CONVENE_IMAP_URL: give the mailbox's user and password, e.g. imaps://user:pass@host/INBOX")
		}
	}
	d, err := time.ParseDuration(c.mailRetention)
	if err != nil || d < time.Minute {
		return fmt.Errorf("CONVENE_MAIL_RETENTION: %q is not a duration of at least 1m, e.g. 720h", c.mailRetention)
	}
	c.MailRetention = d
	if d, err = time.ParseDuration(c.outboxRetention); err != nil || d < time.Minute {
		return fmt.Errorf("CONVENE_OUTBOX_RETENTION: %q is not a duration of at least 1m, e.g. 720h", c.outboxRetention)
	}
	c.OutboxRetention = d
	if c.TrustedMTA != "" && strings.ContainsAny(c.TrustedMTA, " ;\t") {
		return fmt.Errorf("CONVENE_TRUSTED_MTA: %q is not an authserv-id (a host name such as mx.example.com)", c.TrustedMTA)
	}
	if c.TrustedMTAIPs, err = prefixes("CONVENE_TRUSTED_MTA_IPS", c.trustedMTAIPs); err != nil {
		return err
	}
	if len(c.TrustedMTAIPs) > 0 && c.TrustedMTA == "" {
		return errors.New("CONVENE_TRUSTED_MTA_IPS: set CONVENE_TRUSTED_MTA too, the authserv-id whose results to believe")
	}
	r, err := time.ParseDuration(c.guestReminder)
	if err != nil || r < time.Minute || r > 30*24*time.Hour {
		return fmt.Errorf("CONVENE_GUEST_REMINDER: %q is not a duration from 1m to 720h, e.g. 24h", c.guestReminder)
	}
	c.GuestReminder = r
	return nil
}

// prefixes parses the comma-separated addresses and CIDRs of the setting
// name (an address stands for its own /32 or /128).
func prefixes(name, v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%s: %q is not an IP address or CIDR (e.g. 10.0.0.5 or 10.0.0.0/24)", name, f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// checkZoomSandbox validates CONVENE_ZOOM_SANDBOX_CONTROLS and keeps the
// sandbox's public settings away from real Zoom: its default credentials
// (anyone could sign a webhook with the default secret) and its test
// controls.
func (c *Config) checkZoomSandbox() error {
	switch c.zoomSandboxControls {
	case "on":
		c.ZoomSandboxControls = true
	case "off":
		c.ZoomSandboxControls = false
	default:
		return fmt.Errorf("CONVENE_ZOOM_SANDBOX_CONTROLS: %q is not on or off", c.zoomSandboxControls)
	}
	if c.Sandboxed() {
		return nil
	}
	if c.ZoomSandboxControls {
		return errors.New("CONVENE_ZOOM_SANDBOX_CONTROLS: on only works with the built-in sandbox (CONVENE_ZOOM_API_URL=sandbox); turn it off with real Zoom")
	}
	for _, z := range []struct{ name, v, def, what string }{
		{"CONVENE_ZOOM_CLIENT_ID", c.ZoomClientID, SandboxClientID, "client ID"},
		{"CONVENE_ZOOM_CLIENT_SECRET", c.ZoomClientSecret, SandboxClientSecret, "client secret"},
		{"CONVENE_ZOOM_WEBHOOK_SECRET", c.ZoomWebhookSecret, SandboxWebhookSecret, "webhook Secret Token"},
	} {
		switch z.v {
		case z.def:
			return fmt.Errorf("%s: the sandbox's public default cannot be used with real Zoom (CONVENE_ZOOM_API_URL=%s); set your Zoom app's %s", z.name, c.ZoomAPIURL, z.what)
		case "":
			return fmt.Errorf("%s: must be set with real Zoom (CONVENE_ZOOM_API_URL=%s); set your Zoom app's %s", z.name, c.ZoomAPIURL, z.what)
		}
	}
	return nil
}

// checkMicrosoft validates the Microsoft settings like Zoom's: both URLs
// real or both sandbox, and with real Microsoft neither the sandbox's
// public credentials nor its test controls.
func (c *Config) checkMicrosoft() error {
	switch c.graphSandboxControls {
	case "on":
		c.GraphSandboxControls = true
	case "off":
		c.GraphSandboxControls = false
	default:
		return fmt.Errorf("CONVENE_GRAPH_SANDBOX_CONTROLS: %q is not on or off", c.graphSandboxControls)
	}
	for _, z := range []struct{ name, v string }{{"CONVENE_GRAPH_URL", c.GraphURL}, {"CONVENE_MICROSOFT_LOGIN_URL", c.MicrosoftLoginURL}} {
		if z.v == Sandbox {
			continue
		}
		if err := checkURL(z.name, z.v, "http", "https"); err != nil {
			return fmt.Errorf("%v (or %q for the built-in sandbox)", err, Sandbox)
		}
	}
	if (c.GraphURL == Sandbox) != (c.MicrosoftLoginURL == Sandbox) {
		return errors.New("CONVENE_GRAPH_URL and CONVENE_MICROSOFT_LOGIN_URL: set both to real Microsoft URLs or both to sandbox")
	}
	c.GraphURL = strings.TrimRight(c.GraphURL, "/")
	c.MicrosoftLoginURL = strings.TrimRight(c.MicrosoftLoginURL, "/")
	if c.GraphSandboxed() {
		return nil
	}
	if c.GraphSandboxControls {
		return errors.New("CONVENE_GRAPH_SANDBOX_CONTROLS: on only works with the built-in sandbox (CONVENE_GRAPH_URL=sandbox); turn it off with real Microsoft")
	}
	for _, z := range []struct{ name, v, def, what string }{
		{"CONVENE_MICROSOFT_CLIENT_ID", c.MicrosoftClientID, SandboxMicrosoftClientID, "application (client) ID"},
		{"CONVENE_MICROSOFT_CLIENT_SECRET", c.MicrosoftClientSecret, SandboxMicrosoftClientSecret, "client secret"},
	} {
		switch z.v {
		case z.def:
			return fmt.Errorf("%s: the sandbox's public default cannot be used with real Microsoft (CONVENE_GRAPH_URL=%s); set your app registration's %s", z.name, c.GraphURL, z.what)
		case "":
			return fmt.Errorf("%s: must be set with real Microsoft (CONVENE_GRAPH_URL=%s); set your app registration's %s", z.name, c.GraphURL, z.what)
		}
	}
	return nil
}

// checkGoogle validates the Google settings: both URLs real or both the
// built-in sandbox (as Zoom's), and its test controls only with the
// sandbox.
func (c *Config) checkGoogle() error {
	for _, g := range []struct{ name, v string }{{"CONVENE_GOOGLE_CALENDAR_URL", c.GoogleCalendarURL}, {"CONVENE_GOOGLE_TOKEN_URL", c.GoogleTokenURL}} {
		if g.v == Sandbox {
			continue
		}
		if err := checkURL(g.name, g.v, "http", "https"); err != nil {
			return fmt.Errorf("%v (or %q for the built-in sandbox)", err, Sandbox)
		}
	}
	if (c.GoogleCalendarURL == Sandbox) != (c.GoogleTokenURL == Sandbox) {
		return errors.New("CONVENE_GOOGLE_CALENDAR_URL and CONVENE_GOOGLE_TOKEN_URL: set both to real Google URLs or both to sandbox")
	}
	switch {
	case c.GoogleAuthURL != Sandbox && c.GoogleTokenURL == Sandbox:
		return errors.New("CONVENE_GOOGLE_AUTH_URL: set it to sandbox with the sandbox's other URLs, or set every Google URL to Google's")
	case c.GoogleAuthURL == Sandbox && c.GoogleTokenURL != Sandbox:
		// Real Google without an authorization endpoint: no
		// personal-account mode (a deployment from before it keeps
		// working); a real client given without it is a mistake.
		if c.GoogleClientID != SandboxGoogleClientID && c.GoogleClientID != "" {
			return errors.New("CONVENE_GOOGLE_AUTH_URL: set it to https://accounts.google.com/o/oauth2/v2/auth to use CONVENE_GOOGLE_CLIENT_ID with real Google")
		}
		c.GoogleClientID, c.GoogleClientSecret = "", ""
	case c.GoogleAuthURL != Sandbox:
		if err := checkURL("CONVENE_GOOGLE_AUTH_URL", c.GoogleAuthURL, "http", "https"); err != nil {
			return err
		}
		for _, g := range []struct{ name, v, def, what string }{
			{"CONVENE_GOOGLE_CLIENT_ID", c.GoogleClientID, SandboxGoogleClientID, "client ID"},
			{"CONVENE_GOOGLE_CLIENT_SECRET", c.GoogleClientSecret, SandboxGoogleClientSecret, "client secret"},
		} {
			if g.v == g.def {
				return fmt.Errorf("%s: the sandbox's public default cannot be used with real Google (CONVENE_GOOGLE_AUTH_URL=%s); set your OAuth client's %s, or leave it empty for no personal-account mode", g.name, c.GoogleAuthURL, g.what)
			}
		}
		if c.GoogleClientID == "" || c.GoogleClientSecret == "" {
			return errors.New("CONVENE_GOOGLE_CLIENT_ID and CONVENE_GOOGLE_CLIENT_SECRET: must be set with CONVENE_GOOGLE_AUTH_URL (your OAuth client of Google Cloud's console)")
		}
	}
	if c.GoogleCalendarURL != Sandbox && !strings.HasSuffix(c.GoogleCalendarURL, "/") {
		c.GoogleCalendarURL += "/" // google.golang.org/api wants the base path with its slash
	}
	switch c.googleSandboxControls {
	case "on":
		c.GoogleSandboxControls = true
	case "off":
		c.GoogleSandboxControls = false
	default:
		return fmt.Errorf("CONVENE_GOOGLE_SANDBOX_CONTROLS: %q is not on or off", c.googleSandboxControls)
	}
	if c.GoogleSandboxControls && !c.GoogleSandboxed() {
		return errors.New("CONVENE_GOOGLE_SANDBOX_CONTROLS: on only works with the built-in sandbox (CONVENE_GOOGLE_CALENDAR_URL=sandbox); turn it off with real Google")
	}
	return nil
}

// GraphSandboxed reports whether Convene uses the built-in Graph sandbox.
func (c *Config) GraphSandboxed() bool { return c.GraphURL == Sandbox }

// MicrosoftURLs are the Graph root (with /v1.0) and identity platform URLs
// to call: the settings, or with the built-in sandbox its mount on
// baseURL (Convene's own listener).
func (c *Config) MicrosoftURLs(baseURL string) (graphURL, loginURL string) {
	if c.GraphSandboxed() {
		root := strings.TrimRight(baseURL, "/") + GraphSandboxPath
		return root + "/v1.0", root
	}
	return c.GraphURL, c.MicrosoftLoginURL
}

// GoogleSandboxed reports whether Convene uses the built-in Google sandbox.
func (c *Config) GoogleSandboxed() bool { return c.GoogleCalendarURL == Sandbox }

// GoogleSandboxPath is where convene serve mounts the built-in Google
// sandbox.
const GoogleSandboxPath = "/google-sandbox"

// GoogleEndpoints are the Calendar API base URL (with its trailing slash,
// for option.WithEndpoint) and the token URL Convene uses: the settings,
// or the built-in sandbox's under baseURL.
func (c *Config) GoogleEndpoints(baseURL string) (calendarURL, tokenURL string) {
	if c.GoogleSandboxed() {
		base := strings.TrimRight(baseURL, "/") + GoogleSandboxPath
		return base + "/calendar/v3/", base + "/token"
	}
	return c.GoogleCalendarURL, c.GoogleTokenURL
}

// GooglePersonal reports whether personal Google accounts can be
// connected (per-user mode): with the sandbox, or with Google's
// authorization endpoint and a client.
func (c *Config) GooglePersonal() bool { return c.GoogleClientID != "" }

// GooglePersonalEndpoints are per-user mode's authorization endpoint,
// OpenID issuer and revocation endpoint: Google's (the setting, then
// https://accounts.google.com and https://oauth2.googleapis.com/revoke),
// or the built-in sandbox's under baseURL, whose issuer is its base URL.
func (c *Config) GooglePersonalEndpoints(baseURL string) (authURL, issuer, revokeURL string) {
	if c.GoogleAuthURL == Sandbox {
		base := strings.TrimRight(baseURL, "/") + GoogleSandboxPath
		return base + "/o/oauth2/v2/auth", base, base + "/revoke"
	}
	return c.GoogleAuthURL, "https://accounts.google.com", "https://oauth2.googleapis.com/revoke"
}

// checkOIDC validates the single sign-on settings: an issuer needs a
// client ID, and speaks https unless it is on the loopback interface (an
// identity provider on the same machine, in tests and demos).
func (c *Config) checkOIDC() error {
	if c.OIDCIssuer == "" {
		if c.OIDCClientID != "" || c.OIDCClientSecret != "" {
			return errors.New("CONVENE_OIDC_ISSUER: set it too, or unset CONVENE_OIDC_CLIENT_ID and CONVENE_OIDC_CLIENT_SECRET")
		}
		return nil
	}
	u, err := url.Parse(c.OIDCIssuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("CONVENE_OIDC_ISSUER: %q is not an issuer URL like https://login.example.com (no query or fragment)", c.OIDCIssuer)
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return fmt.Errorf("CONVENE_OIDC_ISSUER: %q must use https (http only on the loopback interface)", c.OIDCIssuer)
	}
	if c.OIDCClientID == "" {
		return errors.New("CONVENE_OIDC_CLIENT_ID: must be set with CONVENE_OIDC_ISSUER")
	}
	return nil
}

// loopbackHost reports whether host names the loopback interface.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Sandboxed reports whether Convene uses the built-in Zoom sandbox.
func (c *Config) Sandboxed() bool { return c.ZoomAPIURL == Sandbox }

// dataFiles are the files Convene keeps in the data directory, with their
// companions (SQLite's WAL, shared-memory and journal files).
var dataFiles = []string{"convene.db", "convene.db-wal", "convene.db-shm", "convene.db-journal", "secret.key", "zoom-sandbox.json",
	"graph-sandbox.json", "google-sandbox.json", "google-sandbox-key.json"}

// EnsureDataDir creates the data directory if needed and checks that it is
// writable, so a bad setting fails at start rather than at the first write.
//
// The directory and Convene's files in it are for Convene's user only: a
// new directory is created 0700 whatever the umask, and when it exists
// already with group or other permissions, it is tightened to 0700 if it
// is Convene's (owned by this user, holding nothing but Convene's files);
// a directory shared with others (CONVENE_DATA_DIR=/var/lib, say) is left
// as it is, with a note. Convene's files found group- or world-readable
// (written by an earlier version) are made 0600. What it changed, or could
// not, is added to c.Notes for the log.
func (c *Config) EnsureDataDir() error {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("CONVENE_DATA_DIR: cannot create %s: %v", c.DataDir, unwrapPath(err))
	}
	fi, err := os.Stat(c.DataDir)
	if err != nil {
		return fmt.Errorf("CONVENE_DATA_DIR: %s: %v", c.DataDir, unwrapPath(err))
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		switch {
		case !ownedByMe(fi):
			c.note("data directory %s has mode %o and belongs to another user: Convene's files in it are 0600, but make it 0700 (chmod 700 %s)", c.DataDir, perm, c.DataDir)
		case !onlyDataFiles(c.DataDir):
			c.note("data directory %s has mode %o and holds other files than Convene's: left as it is; give Convene a directory of its own", c.DataDir, perm)
		default:
			if err := os.Chmod(c.DataDir, 0o700); err != nil {
				return fmt.Errorf("CONVENE_DATA_DIR: cannot make %s private: %v", c.DataDir, unwrapPath(err))
			}
			c.note("data directory %s had mode %o: now 700", c.DataDir, perm)
		}
	}
	for _, name := range dataFiles {
		path := filepath.Join(c.DataDir, name)
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		if !ownedByMe(fi) {
			c.note("%s has mode %o and belongs to another user: make it 600", path, fi.Mode().Perm())
			continue
		}
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("CONVENE_DATA_DIR: cannot make %s private: %v", path, unwrapPath(err))
		}
		c.note("%s had mode %o: now 600", path, fi.Mode().Perm())
	}
	f, err := os.CreateTemp(c.DataDir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("CONVENE_DATA_DIR: %s is not writable: %v", c.DataDir, unwrapPath(err))
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

func (c *Config) note(format string, args ...any) {
	c.Notes = append(c.Notes, fmt.Sprintf(format, args...))
}

// onlyDataFiles reports whether dir holds nothing but Convene's files (or
// nothing at all).
func onlyDataFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		name := e.Name()
		if !slices.Contains(dataFiles, name) && !strings.HasPrefix(name, "zoom-sandbox.json.tmp") && !strings.HasPrefix(name, "graph-sandbox.json.tmp") &&
			!strings.HasPrefix(name, "google-sandbox.json.tmp") && !strings.HasPrefix(name, "google-sandbox-key.json.tmp") && !strings.HasPrefix(name, ".write-check-") {
			return false
		}
	}
	return true
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Dump returns the settings as "VARIABLE=value" lines, sorted, with secrets
// masked: safe to log.
func (c *Config) Dump() []string {
	var out []string
	for _, s := range settings {
		v := *s.field(c)
		if s.secret && v != "" {
			v = mask(s.env, v)
		}
		out = append(out, s.env+"="+v)
	}
	for _, s := range boolSettings {
		out = append(out, s.env+"="+strconv.FormatBool(*s.field(c)))
	}
	sort.Strings(out)
	return out
}

// mask hides a secret; for URLs only the password part is hidden so the
// operator can still see which server is used.
func mask(env, v string) string {
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		if u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "xxxxx")
			}
		}
		q := u.Query()
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	if strings.HasPrefix(v, "sqlite:") {
		return v
	}
	if env == "CONVENE_ZOOM_CLIENT_SECRET" || env == "CONVENE_ZOOM_WEBHOOK_SECRET" {
		if strings.HasPrefix(v, "sandbox-") {
			return v
		}
	}
	return "xxxxx"
}

func checkAddr(name, v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("%s: %q is not host:port (e.g. 127.0.0.1:8080)", name, v)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("%s: %q has a bad port (0-65535)", name, v)
	}
	if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
		return fmt.Errorf("%s: %q has a bad host", name, v)
	}
	return nil
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func checkURL(name, v string, schemes ...string) error {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s: %q is not an absolute URL (%s://host…)", name, v, schemes[0])
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fmt.Errorf("%s: %q must use %s", name, v, strings.Join(schemes, " or "))
}
