package zoomsandbox

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/convene/convene/internal/redirecturi"
)

// Options configure a Server. The zero value of every field but BaseURL has
// a default (DESIGN §4, "Zoom sandbox").
type Options struct {
	// BaseURL is the external URL at which the handler tree is reachable,
	// e.g. "http://127.0.0.1:9090" or "http://127.0.0.1:8080/zoom-sandbox".
	// Join, start and redirect URLs and the token response's api_url are
	// built from it. Required.
	BaseURL string
	// ClientID and ClientSecret are the OAuth app's credentials
	// (default "sandbox-client" / "sandbox-secret").
	ClientID, ClientSecret string
	// AccountID is the account that account_credentials (server-to-server)
	// tokens act for (default "sandbox-account"). Its users are the
	// addresses in Domains.
	AccountID string
	// WebhookSecret is the app's webhook secret token used to sign events
	// (default "sandbox-webhook-secret").
	WebhookSecret string
	// WebhookURL receives the app's event notifications; empty: none sent.
	WebhookURL string
	// Domains are the e-mail domains whose addresses are users of the
	// account, created on first use; none: every address is a user.
	Domains []string
	// DomainsForAuthorization, when set, is called when an admin approves an
	// authorization on /oauth/authorize, with that request (its state
	// parameter names the install attempt); the domains it returns become
	// the users' domains of the account that authorization installs into.
	// Without it, Domains is used.
	DomainsForAuthorization func(*http.Request) ([]string, error)
	// DataFile, when set, keeps the state in this JSON file, a snapshot,
	// and a journal beside it (DataFile + ".journal") to which each change
	// is appended shortly after it happens: loaded by New, folded into a
	// new snapshot when the journal grows and by Close (persist.go).
	DataFile string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the source of identifiers, passwords and tokens (default
	// crypto/rand.Reader).
	Rand io.Reader
	// Logger receives one line per request and per webhook delivery; it
	// never sees tokens or secrets (default: discard).
	Logger *slog.Logger
	// HTTPClient delivers webhooks (default: a client with a 10 s timeout).
	HTTPClient *http.Client
	// WebhookRetryDelays are the pauses between webhook delivery attempts
	// (default 1 s, 5 s, 20 s: Zoom's own schedule, zoom-api.md §5.5, is
	// minutes apart, too slow for tests).
	WebhookRetryDelays []time.Duration
	// Controls mounts the test controls under /_sandbox/… (every meeting
	// with its passwords, every token issued, fault injection, forced
	// deauthorization). They have no authentication: off (the default),
	// they answer 404 like any unknown path, and only the OAuth, API and
	// join pages are served.
	Controls bool
	// RedirectURIs are the OAuth redirect URIs registered for the client:
	// /oauth/authorize accepts no other (zoom-api.md §4.4, 4709), compared
	// as exact strings. None: any loopback URI (http or https on
	// 127.0.0.0/8, ::1 or localhost, any port and path), never another
	// host.
	RedirectURIs []string
}

// Default credentials of the sandbox app (DESIGN §4).
const (
	DefaultClientID      = "sandbox-client"
	DefaultClientSecret  = "sandbox-secret"
	DefaultAccountID     = "sandbox-account"
	DefaultWebhookSecret = "sandbox-webhook-secret"
)

func (o *Options) setDefaults() error {
	if o.BaseURL == "" {
		return errors.New("zoomsandbox: Options.BaseURL is required")
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("zoomsandbox: Options.BaseURL must be an absolute http(s) URL")
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.AccountID == "" {
		o.AccountID = DefaultAccountID
	}
	if o.WebhookSecret == "" {
		o.WebhookSecret = DefaultWebhookSecret
	}
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
	if o.WebhookRetryDelays == nil {
		o.WebhookRetryDelays = []time.Duration{time.Second, 5 * time.Second, 20 * time.Second}
	}
	o.Domains = normalizeDomains(o.Domains)
	for _, r := range o.RedirectURIs {
		if _, err := redirecturi.Parse(r); err != nil {
			return fmt.Errorf("zoomsandbox: redirect URI %q: %w", r, err)
		}
	}
	return nil
}

// normalizeDomains lower-cases, trims, drops empty entries and duplicates,
// keeping the order (the first domain names the account owner).
func normalizeDomains(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range in {
		d = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(d), "@")))
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, d)
	}
	return out
}
