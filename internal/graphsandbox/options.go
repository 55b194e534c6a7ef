package graphsandbox

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

// Options configure a Server. Every field but BaseURL has a default.
type Options struct {
	// BaseURL is the external URL at which the handler tree is reachable,
	// e.g. "http://127.0.0.1:9091" or "http://127.0.0.1:8080/graph-sandbox".
	// Links (@odata.nextLink, deltaLink, join URLs) are built from it.
	// Required.
	BaseURL string
	// ClientID and ClientSecret are the app registration's credentials
	// (default DefaultClientID / DefaultClientSecret).
	ClientID, ClientSecret string
	// TenantID is the tenant that exists from the start, with Domains as
	// its verified domains (default DefaultTenantID). Admin consent
	// creates further tenants.
	TenantID string
	// Domains are the default tenant's domains (default "example.com");
	// users of these domains are created on first use.
	Domains []string
	// DomainsForConsent, when set, is called when an admin approves the
	// consent page, with that request (its state names the install
	// attempt); the domains it returns become the consenting tenant's.
	// Without it, Domains is used.
	DomainsForConsent func(*http.Request) ([]string, error)
	// RedirectURIs are the app's registered reply URLs: adminconsent
	// accepts no other, compared as exact strings. None: any loopback URI.
	RedirectURIs []string
	// DataFile, when set, keeps the state in this JSON file, rewritten
	// atomically after each change; loaded by New.
	DataFile string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Rand is the source of identifiers and tokens (default crypto/rand).
	Rand io.Reader
	// Logger receives one line per request and per notification; it never
	// sees tokens or secrets (default: discard).
	Logger *slog.Logger
	// HTTPClient delivers validation requests and notifications (default:
	// a client with a 10 s timeout, Graph's validation deadline).
	HTTPClient *http.Client
	// Controls mounts the test controls under /_sandbox/…: off (the
	// default), they answer 404.
	Controls bool
	// PageSize is the page size of calendarView, delta and /users without
	// Prefer: odata.maxpagesize (default DefaultPageSize: small, so that
	// clients meet paging).
	PageSize int
}

// Defaults of the sandbox app registration. They are public: Convene
// refuses them with real Microsoft URLs.
const (
	DefaultClientID     = "00000000-0000-4000-8000-00000000c0de"
	DefaultClientSecret = "sandbox-graph-secret"
	DefaultTenantID     = "00000000-0000-4000-8000-0000000000a1"
)

// Bounds of every request (doc.go).
const (
	DefaultPageSize = 10
	MaxPageSize     = 100
	MaxWindow       = 5 * 366 * 24 * time.Hour // Graph documents no bound: the sandbox's own, above what Convene asks (31 days back, 400 ahead)
	MaxInstances    = 2000
	MaxBody         = 1 << 20
	maxBatch        = 20
	maxSchedules    = 100
	maxScheduleSpan = 62 * 24 * time.Hour
	maxUsers        = 10_000
	maxEvents       = 10_000 // per user
	maxSubs         = 1_000
	maxCursors      = 2_000
	tokenLifetime   = time.Hour
	// maxSubscriptionLife: events, 10,080 minutes (under 7 days).
	maxSubscriptionLife = 10080 * time.Minute
)

func (o *Options) setDefaults() error {
	if o.BaseURL == "" {
		return errors.New("graphsandbox: Options.BaseURL is required")
	}
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("graphsandbox: Options.BaseURL must be an absolute http(s) URL")
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	if o.ClientID == "" {
		o.ClientID = DefaultClientID
	}
	if o.ClientSecret == "" {
		o.ClientSecret = DefaultClientSecret
	}
	if o.TenantID == "" {
		o.TenantID = DefaultTenantID
	}
	o.Domains = normalizeDomains(o.Domains)
	if len(o.Domains) == 0 {
		o.Domains = []string{"example.com"}
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
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.PageSize > MaxPageSize {
		o.PageSize = MaxPageSize
	}
	for _, r := range o.RedirectURIs {
		if _, err := redirecturi.Parse(r); err != nil {
			return fmt.Errorf("graphsandbox: redirect URI %q: %w", r, err)
		}
	}
	return nil
}

// normalizeDomains lower-cases, trims and drops empty and repeated
// domains, keeping the order.
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
