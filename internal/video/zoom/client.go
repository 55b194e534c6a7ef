package zoom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/convene/convene/internal/video"
)

// DefaultBaseURL is Zoom's global API host (zoom-api.md §1.1).
const DefaultBaseURL = "https://api.zoom.us/v2"

// TokenSource gives the client Zoom access tokens: video.TokenSource, which
// the marketplace implements over its token vault. Zoom rotates refresh
// tokens, so Refresh must be serialized per install (LESSONS "Token refresh
// races"). Errors that mean the install needs re-authorization (an
// invalid_grant refresh token, a revoked app) wrap video.ErrUnauthorized.
type TokenSource = video.TokenSource

// StaticToken is a TokenSource with one access token that cannot be
// refreshed, for tests and scripts.
type StaticToken string

// Token returns t.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// Refresh fails: a static token cannot be renewed.
func (t StaticToken) Refresh(context.Context, string) (string, error) {
	return "", fmt.Errorf("static access token cannot be refreshed: %w", video.ErrUnauthorized)
}

// RetryPolicy says how hard the client tries. Zero fields take the
// defaults shown.
type RetryPolicy struct {
	Attempts  int           // tries per request, the first included; default 4
	BaseDelay time.Duration // back-off ceiling after the first failure, doubled each time; default 500ms
	MaxDelay  time.Duration // largest back-off ceiling; default 15s
	MaxWait   time.Duration // longest rate-limit pause waited out in process; default 10s
	Timeout   time.Duration // time limit of one HTTP request; default 30s
	// Settle is how long Zoom is given, past Timeout, to finish a create
	// it received: a create sent at t is looked for, before any other is
	// sent, only after t + Timeout + Settle (CreateWindow); default
	// Timeout/6, at least 1s (5s with the default Timeout).
	Settle    time.Duration
	ClockSkew time.Duration // tolerated difference between this clock and Zoom's created_at; default 2m
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	def(&p.BaseDelay, 500*time.Millisecond)
	def(&p.MaxDelay, 15*time.Second)
	def(&p.MaxWait, 10*time.Second)
	def(&p.Timeout, 30*time.Second)
	def(&p.Settle, max(time.Second, p.Timeout/6))
	def(&p.ClockSkew, 2*time.Minute)
	return p
}

// Client calls Zoom's Meetings API. Set the exported fields before the first
// call and do not change them afterwards; a Client is safe for concurrent
// use and must not be copied after first use.
type Client struct {
	// BaseURL is the API root including /v2: DefaultBaseURL, or the
	// sandbox's ".../v2". Empty: DefaultBaseURL.
	BaseURL string

	// HTTPClient sends the requests; nil: http.DefaultClient. Time limits
	// come from Retry.Timeout, not from the HTTP client.
	HTTPClient *http.Client

	// Tokens gives access tokens; required.
	Tokens TokenSource

	// Now is the clock; nil: time.Now.
	Now func() time.Time

	// Rand draws back-off jitter; nil: math/rand/v2's global source.
	Rand *rand.Rand

	// Sleep waits d or until ctx is done; nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error

	// Retry is the retry policy.
	Retry RetryPolicy

	// UserAgent is sent with every request; empty: "Convene".
	UserAgent string

	// Logger receives retries at debug level and never tokens; nil:
	// nothing is logged.
	Logger *slog.Logger

	mu     sync.Mutex
	paused map[string]time.Time // host (lower case) → end of its daily create/update limit
}

var _ video.Provider = (*Client)(nil)

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff returns the wait before try attempt+1: full jitter, a uniform
// draw from [0, min(MaxDelay, BaseDelay·2^(attempt-1))].
func (c *Client) backoff(attempt int) time.Duration {
	p := c.Retry.withDefaults()
	ceil := p.MaxDelay
	if attempt < 1 {
		attempt = 1
	}
	if attempt <= 32 {
		if d := p.BaseDelay << (attempt - 1); d > 0 && d < ceil {
			ceil = d
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Rand != nil {
		return time.Duration(c.Rand.Int64N(int64(ceil) + 1))
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

func (c *Client) log() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// request is one API call.
type request struct {
	method     string
	path       string     // escaped, relative to BaseURL: "/meetings/85746065123"
	query      url.Values // nil: none
	body       any        // JSON request body; nil: none
	out        any        // decodes a success answer; nil: ignore it
	idempotent bool       // repeat after 5xx, time-outs and connection failures
	host       string     // organizer whose daily create/update limit this request counts against
	// beforeSend, if not nil, runs before each time the request is sent
	// (a repeat after a refresh or a rate limit included); an error stops
	// it there.
	beforeSend func(ctx context.Context) error
}

// answer is Zoom's HTTP answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// maxBody bounds the answers read.
const maxBody = 16 << 20

// do sends r, refreshing the token once after a 401 and retrying as
// RetryPolicy says. Its errors are *video.Error, or wrap the context's
// error when ctx ended during a back-off.
func (c *Client) do(ctx context.Context, r request) error {
	p := c.Retry.withDefaults()
	var payload []byte
	if r.body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r.body); err != nil {
			return &video.Error{Provider: "zoom", Permanent: true, Err: fmt.Errorf("encode request: %w", err)}
		}
		payload = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	u, err := c.url(r.path, r.query)
	if err != nil {
		return &video.Error{Provider: "zoom", Permanent: true, Err: err}
	}
	if c.Tokens == nil {
		return &video.Error{Provider: "zoom", Permanent: true, Err: fmt.Errorf("no token source: %w", video.ErrUnauthorized)}
	}
	token, err := c.Tokens.Token(ctx)
	if err != nil {
		return tokenError(err)
	}
	refreshed := false
	// uncertain: an earlier attempt of this request may have taken effect.
	uncertain := false
	for attempt := 1; ; attempt++ {
		if r.beforeSend != nil {
			if err := r.beforeSend(ctx); err != nil {
				return &video.Error{Provider: "zoom", Uncertain: uncertain, Err: err}
			}
		}
		a, err := c.roundTrip(ctx, r.method, u, payload, token, p.Timeout)
		if err != nil {
			e := &video.Error{Provider: "zoom", Uncertain: r.method != http.MethodGet, Err: fmt.Errorf("%w: %w", video.ErrUnavailable, err)}
			if ctx.Err() != nil || !r.idempotent || attempt >= p.Attempts {
				e.Uncertain = e.Uncertain || uncertain
				return e
			}
			uncertain = uncertain || e.Uncertain
			if err := c.pause(ctx, r, attempt, c.backoff(attempt), e); err != nil {
				return err
			}
			continue
		}
		if a.status >= 200 && a.status < 300 {
			if r.out != nil && len(bytes.TrimSpace(a.body)) > 0 {
				if err := json.Unmarshal(a.body, r.out); err != nil {
					// Zoom did what was asked; only the answer is unreadable.
					return &video.Error{Provider: "zoom", Status: a.status, TrackingID: trackingID(a.header), Uncertain: true,
						Err: fmt.Errorf("decode answer: %w", err)}
				}
			}
			return nil
		}
		e := c.apiError(a, r.host)
		switch {
		case (a.status == http.StatusUnauthorized || e.Code == 124) && !refreshed:
			// zoom-api.md §9.1: 401/124 → refresh and retry once.
			refreshed = true
			token, err = c.Tokens.Refresh(ctx, token)
			if err != nil {
				return tokenError(err)
			}
			attempt-- // the repeat after a refresh is not a retry
			continue

		case errors.Is(e, video.ErrRateLimited):
			rl, _ := errors.AsType[*video.RateLimitError](e)
			if rl.Daily {
				if rl.Host != "" {
					c.pauseHost(rl.Host, rl.RetryAt)
				}
				return e
			}
			wait := rl.RetryAt.Sub(c.now())
			if rl.RetryAt.IsZero() {
				wait = c.backoff(attempt)
				rl.RetryAt = c.now().Add(wait)
			}
			if attempt >= p.Attempts || wait > p.MaxWait {
				e.Uncertain = uncertain
				return e
			}
			// A 429 is refused before anything happens: safe to repeat even
			// a create.
			if err := c.pause(ctx, r, attempt, max(wait, 0), e); err != nil {
				return err
			}
			continue

		case a.status >= 500:
			e.Uncertain = r.method != http.MethodGet
			if !r.idempotent || attempt >= p.Attempts {
				e.Uncertain = e.Uncertain || uncertain
				return e
			}
			uncertain = uncertain || e.Uncertain
			if err := c.pause(ctx, r, attempt, c.backoff(attempt), e); err != nil {
				return err
			}
			continue

		case r.method == http.MethodDelete && uncertain && errors.Is(e, video.ErrNotFound):
			// An earlier attempt whose answer was lost deleted it.
			return nil
		}
		e.Uncertain = uncertain
		return e
	}
}

// pause waits before the next attempt of r after the failure last.
func (c *Client) pause(ctx context.Context, r request, attempt int, d time.Duration, last error) error {
	c.log().Debug("zoom: retrying", "method", r.method, "path", r.path, "attempt", attempt, "wait", d, "err", last)
	if err := c.sleep(ctx, d); err != nil {
		return fmt.Errorf("%w (after: %w)", err, last)
	}
	return nil
}

// roundTrip sends one HTTP request and reads the whole answer within
// timeout.
func (c *Client) roundTrip(ctx context.Context, method string, u *url.URL, payload []byte, token string, timeout time.Duration) (*answer, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	// Keep the exact escaping of the path (double-encoded UUIDs).
	req.URL = u
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	ua := c.UserAgent
	if ua == "" {
		ua = "Convene"
	}
	req.Header.Set("User-Agent", ua)
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// url joins BaseURL, the escaped path and the query.
func (c *Client) url(path string, query url.Values) (*url.URL, error) {
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(base, "/") + path)
	if err != nil {
		return nil, fmt.Errorf("request URL: %w", err)
	}
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return u, nil
}

// tokenError wraps a TokenSource failure.
func tokenError(err error) error {
	return &video.Error{Provider: "zoom", Permanent: errors.Is(err, video.ErrUnauthorized), Err: fmt.Errorf("access token: %w", err)}
}

// pauseHost remembers that host reached its daily create/update limit.
func (c *Client) pauseHost(host string, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused == nil {
		c.paused = map[string]time.Time{}
	}
	c.paused[strings.ToLower(host)] = until
}

// hostPaused returns the rate-limit error of a host whose daily limit has
// not lifted yet, or nil.
func (c *Client) hostPaused(host string) error {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.paused[strings.ToLower(host)]
	if !ok {
		return nil
	}
	if !now.Before(until) {
		delete(c.paused, strings.ToLower(host))
		return nil
	}
	return &video.Error{Provider: "zoom", Status: http.StatusTooManyRequests, Code: 429,
		Message: "paused: the host reached Zoom's daily limit of meeting creates and updates",
		Err:     &video.RateLimitError{RetryAt: until, Daily: true, Host: host, Limit: -1, Remaining: -1}}
}
