package googlesandbox

import (
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Options configure a Server. The zero value of every field but BaseURL has
// a default.
type Options struct {
	// BaseURL is the external URL at which the handler tree is reachable,
	// e.g. "http://127.0.0.1:9091" or "http://127.0.0.1:8080/google-sandbox".
	// The token_uri of minted keys, Meet links, htmlLinks and channel
	// resource URIs are built from it. Required.
	BaseURL string
	// Domains are Workspace domains known from the start; their users are
	// created on first use. None: any domain is a Workspace domain.
	Domains []string
	// KeyFile, when set, names a file holding a service-account key (the
	// JSON key file Google hands out). When it is missing, New mints a key,
	// writes it there (mode 0600) and grants it domain-wide delegation for
	// every domain with the Calendar scopes, so an admin of a built-in
	// sandbox has a key to install without the test controls.
	KeyFile string
	// DataFile, when set, keeps the state in this JSON file: loaded by New,
	// written shortly after each change and by Close.
	DataFile string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the source of identifiers, keys and tokens (default
	// crypto/rand.Reader).
	Rand io.Reader
	// Logger receives one line per request and per push notification; it
	// never sees tokens, assertions or keys (default: discard).
	Logger *slog.Logger
	// HTTPClient delivers push notifications (default: a client with a
	// 10 s timeout).
	HTTPClient *http.Client
	// PushBaseURL, when set, is a URL prefix push channels may use even
	// over http on another host than loopback: Convene's own webhook
	// receiver when serve mounts the sandbox. Other addresses must be https
	// (Google's rule) or http on loopback.
	PushBaseURL string
	// PushRetryDelays are the pauses before the attempts that follow a
	// push notification answered 500, 502, 503 or 504 or not answered
	// (Google retries those with exponential backoff; default 1 s, 4 s).
	PushRetryDelays []time.Duration
	// PageSize is the default maxResults of events lists (default 25:
	// smaller than Google's 250 so that clients meet pagination early).
	PageSize int
	// Controls mounts the test controls under /_sandbox/… (unauthenticated:
	// they mint keys and change any calendar). Off (the default), they
	// answer 404 like any unknown path.
	Controls bool
	// Discovery, when set, is Google's Calendar v3 discovery document:
	// every request received and answer sent under /calendar/v3/ is
	// validated against it and each violation reported to Violation.
	Discovery []byte
	// OAuthClients are web clients registered at start (replacing earlier
	// ones of the same ID) for the authorization code flow of personal
	// accounts.
	OAuthClients []OAuthClient
	// Violation receives the violations found with Discovery (tests fail on
	// them). Default: they are logged.
	Violation func(error)
}

func (o *Options) setDefaults() error {
	if o.BaseURL == "" {
		return errors.New("googlesandbox: Options.BaseURL is required")
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("googlesandbox: Options.BaseURL must be an absolute http(s) URL")
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.PushRetryDelays == nil {
		o.PushRetryDelays = []time.Duration{time.Second, 4 * time.Second}
	}
	if o.PageSize <= 0 {
		o.PageSize = 25
	}
	if o.PageSize > maxPageSize {
		o.PageSize = maxPageSize
	}
	if o.Violation == nil {
		log := o.Logger
		o.Violation = func(err error) { log.Warn("googlesandbox: discovery violation", "err", err) }
	}
	var ds []string
	for _, d := range o.Domains {
		if d = normalizeDomain(d); d != "" {
			ds = append(ds, d)
		}
	}
	o.Domains = ds
	return nil
}

// normalizeDomain lower-cases and trims a domain name ("@example.com" too).
func normalizeDomain(d string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(d), "@")))
}

// domainOf is the domain of an address, lower-cased ("" if none).
func domainOf(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(email[i+1:])
}
