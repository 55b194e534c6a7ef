package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/oauth2"
	googleoauth "golang.org/x/oauth2/google"
	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/convene/convene/internal/video"
)

// Google's endpoints.
const (
	// DefaultCalendarURL is the Calendar API's root (the discovery
	// document's rootUrl + servicePath).
	DefaultCalendarURL = "https://www.googleapis.com/calendar/v3/"
	// DefaultTokenURL is Google's OAuth 2.0 token endpoint, the audience
	// of the service account's JWT assertions.
	DefaultTokenURL = "https://oauth2.googleapis.com/token"
)

// maxUsers bounds the token sources and services kept, one per user the
// client acted as recently.
const maxUsers = 1024

// RetryPolicy bounds the retries of a request Google refused for a while.
type RetryPolicy struct {
	// Attempts is how many times a request is sent at most; zero: 5.
	Attempts int
	// Base is the first wait, doubled each time up to Max; zero: 500 ms
	// and 16 s.
	Base, Max time.Duration
	// Sleep waits d or until ctx ends; nil: a timer. Tests record the
	// waits instead.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (p RetryPolicy) attempts() int {
	if p.Attempts <= 0 {
		return 5
	}
	return p.Attempts
}

// wait returns the wait before attempt n+1 (n from 0): Base·2ⁿ, at most
// Max, or the server's Retry-After when it asks for longer (bounded by Max
// too).
func (p RetryPolicy) wait(n int, retryAfter time.Duration) time.Duration {
	base, most := p.Base, p.Max
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if most <= 0 {
		most = 16 * time.Second
	}
	d := base << n
	if d > most || d <= 0 {
		d = most
	}
	if retryAfter > d {
		d = min(retryAfter, most)
	}
	return d
}

func (p RetryPolicy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
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

// Client is Google Calendar for the users of one install, acting as each
// of them through the service account's domain-wide delegation. It
// implements video.Calendars; Meet (meet.go) is built on it. It is safe for
// concurrent use.
type Client struct {
	// CalendarURL is the API root ending in "/" (DefaultCalendarURL, or
	// the sandbox's).
	CalendarURL string
	// TokenURL is where the JWT assertions are exchanged for tokens
	// (DefaultTokenURL, or the sandbox's).
	TokenURL string
	// Key is the service account's JSON key; it is never logged.
	Key []byte
	// Scopes are the scopes asked for in each user's token: those the
	// admin delegated (App's Auth.ScopeSets[0]).
	Scopes []string
	// HTTP sends requests (the API's and the token endpoint's); nil: a
	// client with a 30-second time-out.
	HTTP *http.Client
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Log receives diagnostics (never the key or tokens); nil: none.
	Log *slog.Logger
	// Retry bounds retries.
	Retry RetryPolicy
	// WebhookURL is Convene's /webhooks/google_meet address, where the
	// channels Renew opens notify.
	WebhookURL string
	// Provider names the app in errors; "": ID.
	Provider string
	// UserTokens, when set, is per-user mode (personal Google accounts):
	// each user's requests carry the access token of the grant they
	// connected (video.Connection.UserTokens) instead of the service
	// account's JWT assertions, and Key is not used. The calendar is the
	// grant's "primary" one, whatever its address.
	UserTokens func(ctx context.Context, user string) (video.TokenSource, error)

	once     sync.Once
	services *lru.Cache[string, *calendar.Service]
	initErr  error
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) name() string {
	if c.Provider != "" {
		return c.Provider
	}
	return ID
}

// defaultHTTP bounds each request when no client is given: a token
// request runs outside the caller's context (oauth2's token sources take
// none), so only a time-out ends one Google never answers.
var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// ServiceAccount is what Convene reads of a service account's JSON key.
type ServiceAccount struct {
	// ClientEmail is the account's address; ClientID the numeric client
	// ID an admin grants domain-wide delegation to.
	ClientEmail, ClientID string
	// PrivateKeyID names the key.
	PrivateKeyID string
}

// ParseKey checks a service account's JSON key as Google's console gives it:
// type service_account, client_email, and a private_key that parses (PEM,
// PKCS #8 or PKCS #1 RSA). Its errors say what is wrong without quoting the
// key.
func ParseKey(key []byte) (*ServiceAccount, error) {
	var f struct {
		Type         string `json:"type"`
		ClientEmail  string `json:"client_email"`
		ClientID     string `json:"client_id"`
		PrivateKey   string `json:"private_key"`
		PrivateKeyID string `json:"private_key_id"`
	}
	if err := json.Unmarshal(key, &f); err != nil {
		return nil, errors.New("the key is not JSON: give the service account's key file as Google's console downloads it")
	}
	switch {
	case f.Type != "service_account":
		return nil, fmt.Errorf("the key's type is %q, not service_account: give a service account's key", f.Type)
	case !strings.Contains(f.ClientEmail, "@"):
		return nil, errors.New("the key has no client_email")
	case f.PrivateKey == "":
		return nil, errors.New("the key has no private_key")
	}
	if err := checkPrivateKey([]byte(f.PrivateKey)); err != nil {
		return nil, fmt.Errorf("the key's private_key does not parse: %v", err)
	}
	return &ServiceAccount{ClientEmail: f.ClientEmail, ClientID: f.ClientID, PrivateKeyID: f.PrivateKeyID}, nil
}

func (c *Client) init() error {
	c.once.Do(func() {
		c.services, _ = lru.New[string, *calendar.Service](maxUsers)
		if c.UserTokens != nil {
			return
		}
		if _, err := ParseKey(c.Key); err != nil {
			c.initErr = &video.Error{Provider: c.name(), Permanent: true, Message: err.Error(), Err: video.ErrUnauthorized}
		}
	})
	return c.initErr
}

// TokenSource returns the token source of user: JWT assertions signed
// with the key, Subject user, exchanged at TokenURL for the scopes.
func (c *Client) TokenSource(user string) (oauth2.TokenSource, error) {
	cfg, err := googleoauth.JWTConfigFromJSON(c.Key, c.Scopes...)
	if err != nil {
		// The error of JWTConfigFromJSON never quotes the key.
		return nil, fmt.Errorf("google: service account key: %w", err)
	}
	cfg.Subject = user
	if c.TokenURL != "" {
		cfg.TokenURL = c.TokenURL
	} else {
		cfg.TokenURL = DefaultTokenURL
	}
	// The token source outlives the request that made it: its context
	// only carries the HTTP client.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, c.httpClient())
	return oauth2.ReuseTokenSource(nil, cfg.TokenSource(ctx)), nil
}

// service returns the Calendar service acting as user, cached.
func (c *Client) service(user string) (*calendar.Service, error) {
	if err := c.init(); err != nil {
		return nil, err
	}
	user = strings.ToLower(strings.TrimSpace(user))
	if user == "" {
		return nil, &video.Error{Provider: c.name(), Permanent: true, Message: "no user to act as", Err: video.ErrHostNotFound}
	}
	if s, ok := c.services.Get(user); ok {
		return s, nil
	}
	base := c.httpClient()
	hc := &http.Client{Timeout: base.Timeout}
	if c.UserTokens != nil {
		hc.Transport = &userTransport{tokens: c.UserTokens, user: user, base: base.Transport}
	} else {
		ts, err := c.TokenSource(user)
		if err != nil {
			return nil, &video.Error{Provider: c.name(), Permanent: true, Message: err.Error(), Err: video.ErrUnauthorized}
		}
		hc.Transport = &oauth2.Transport{Source: ts, Base: base.Transport}
	}
	endpoint := c.CalendarURL
	if endpoint == "" {
		endpoint = DefaultCalendarURL
	}
	s, err := calendar.NewService(context.Background(), option.WithHTTPClient(hc), option.WithEndpoint(endpoint))
	if err != nil {
		return nil, fmt.Errorf("google: calendar client: %w", err)
	}
	c.services.Add(user, s)
	return s, nil
}

// Token takes a token for user with the client's scopes: it proves that
// the delegation is granted (install) and tells why not.
func (c *Client) Token(ctx context.Context, user string) error {
	if err := c.init(); err != nil {
		return err
	}
	ts, err := c.TokenSource(user)
	if err != nil {
		return &video.Error{Provider: c.name(), Permanent: true, Message: err.Error(), Err: video.ErrUnauthorized}
	}
	done := make(chan error, 1)
	go func() { _, err := ts.Token(); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			return c.mapErr(err, "token for "+user)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// call runs one request as user with retries: f is called again while
// Google answers that it is overloaded or rate-limits, with waits growing
// from Retry.Base, at most Retry.Attempts times and never past ctx.
func (c *Client) call(ctx context.Context, user, what string, f func(*calendar.Service) error) error {
	s, err := c.service(user)
	if err != nil {
		return err
	}
	n := c.Retry.attempts()
	for i := 0; ; i++ {
		err := f(s)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("google: %s: %w", what, ctx.Err())
		}
		retry, after := retryable(err)
		if !retry || i+1 >= n {
			return c.mapErr(err, what)
		}
		d := c.Retry.wait(i, after)
		if c.Log != nil {
			c.Log.Debug("google: retrying", "request", what, "attempt", i+1, "wait", d, "err", errSummary(err))
		}
		if err := c.Retry.sleep(ctx, d); err != nil {
			return fmt.Errorf("google: %s: %w", what, err)
		}
	}
}

// errSummary describes err for the log without bodies.
func errSummary(err error) string {
	if e, ok := errors.AsType[*googleapi.Error](err); ok {
		return fmt.Sprintf("HTTP %d %s", e.Code, reason(e))
	}
	if _, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		return "token endpoint refused"
	}
	return err.Error()
}

// reason is the first reason of a Google error (Calendar API's "Handle
// API errors": rateLimitExceeded, userRateLimitExceeded, quotaExceeded,
// fullSyncRequired, duplicate, notFound, deleted, forbiddenForNonOrganizer,
// …).
func reason(e *googleapi.Error) string {
	for _, it := range e.Errors {
		if it.Reason != "" {
			return it.Reason
		}
	}
	return ""
}

// retryable reports whether Google asks to try again later (Calendar's
// "Handle API errors": 403 rateLimitExceeded and userRateLimitExceeded,
// 429, 500 and 503 with exponential backoff), and the Retry-After it gave.
func retryable(err error) (bool, time.Duration) {
	e, ok := errors.AsType[*googleapi.Error](err)
	if !ok {
		return false, 0
	}
	var after time.Duration
	if v := e.Header.Get("Retry-After"); v != "" {
		var s int
		if _, err := fmt.Sscanf(v, "%d", &s); err == nil && s > 0 {
			after = time.Duration(s) * time.Second
		}
	}
	switch e.Code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusBadGateway:
		return true, after
	case http.StatusForbidden:
		r := reason(e)
		return r == "rateLimitExceeded" || r == "userRateLimitExceeded", after
	}
	return false, 0
}

// mapErr turns an error of Google's client or token endpoint into video's.
func (c *Client) mapErr(err error, what string) error {
	ve := &video.Error{Provider: c.name()}
	if errors.Is(err, video.ErrNotConnected) {
		// Per-user mode: the user has no usable grant (userTransport).
		ve.Permanent, ve.Message, ve.Err = true, "the user's Google account is not connected", err
		return fmt.Errorf("google: %s: %w", what, ve)
	}
	if e, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(e.Body, &body)
		if e.Response != nil {
			ve.Status = e.Response.StatusCode
		}
		ve.Message = strings.TrimSpace(body.Error + ": " + body.Description)
		ve.Permanent = true
		switch {
		case body.Error == "invalid_grant" && strings.Contains(strings.ToLower(body.Description), "invalid email"):
			// Google: "Invalid email or User ID": no such user in the
			// Workspace.
			ve.Err = video.ErrHostNotFound
		case body.Error == "unauthorized_client", body.Error == "invalid_grant", body.Error == "invalid_client", body.Error == "access_denied":
			ve.Err = &TokenError{Code: body.Error, Description: body.Description}
		default:
			ve.Permanent = ve.Status < 500 && ve.Status != 0
			if ve.Permanent {
				ve.Err = &TokenError{Code: body.Error, Description: body.Description}
			} else {
				ve.Err = video.ErrUnavailable
			}
		}
		return fmt.Errorf("google: %s: %w", what, ve)
	}
	e, ok := errors.AsType[*googleapi.Error](err)
	if !ok {
		// No answer: a transport failure, which may have taken effect.
		ve.Uncertain = true
		ve.Err = fmt.Errorf("%w: %w", video.ErrUnavailable, err)
		return fmt.Errorf("google: %s: %w", what, ve)
	}
	ve.Status, ve.Message = e.Code, e.Message
	r := reason(e)
	switch {
	case e.Code == http.StatusUnauthorized:
		ve.Permanent, ve.Err = true, video.ErrUnauthorized
	case e.Code == http.StatusTooManyRequests,
		e.Code == http.StatusForbidden && (r == "rateLimitExceeded" || r == "userRateLimitExceeded" || r == "quotaExceeded"):
		rl := &video.RateLimitError{RetryAt: c.now().Add(c.Retry.wait(c.Retry.attempts(), 0)), Limit: -1, Remaining: -1, Message: e.Message, Type: r}
		if r == "quotaExceeded" {
			// The project's daily quota: Google's counters reset at
			// midnight Pacific time; the next 00:00 UTC is a safe bound
			// to look again.
			rl.Daily = true
			rl.RetryAt = c.now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		}
		ve.Err = rl
	case e.Code == http.StatusForbidden:
		ve.Permanent, ve.Err = true, video.ErrForbidden
	case e.Code == http.StatusNotFound:
		ve.Permanent, ve.Err = true, video.ErrNotFound
	case e.Code == http.StatusGone && (r == "fullSyncRequired" || r == "updatedMinTooLongAgo"):
		ve.Permanent, ve.Err = true, video.ErrSyncExpired
	case e.Code == http.StatusGone:
		// "deleted": the resource was deleted.
		ve.Permanent, ve.Err = true, video.ErrNotFound
	case e.Code == http.StatusConflict:
		ve.Permanent, ve.Err = true, ErrDuplicate
	case e.Code == http.StatusBadRequest || e.Code == http.StatusPreconditionFailed:
		ve.Permanent, ve.Err = true, &video.ValidationError{Message: e.Message}
	default:
		ve.Uncertain = e.Code >= 500
		ve.Err = video.ErrUnavailable
	}
	return fmt.Errorf("google: %s: %w", what, ve)
}

// ErrDuplicate is Google's 409 duplicate: an event with the id exists.
var ErrDuplicate = errors.New("an event with this id already exists")

// TokenError is the token endpoint's refusal of a user's JWT assertion
// (RFC 6749 §5.2): unauthorized_client when the service account's client
// ID is not granted domain-wide delegation with the scopes asked, or
// invalid_grant when the key was deleted. It is video.ErrUnauthorized
// for errors.Is: the install needs the admin.
type TokenError struct {
	Code, Description string
}

// Error returns the code and description.
func (e *TokenError) Error() string {
	if e.Description == "" {
		return "token endpoint: " + e.Code
	}
	return "token endpoint: " + e.Code + ": " + e.Description
}

// Is makes a TokenError match video.ErrUnauthorized.
func (e *TokenError) Is(target error) bool { return target == video.ErrUnauthorized }

// userTransport authorizes the requests of one user in per-user mode with
// the access token of their grant, read for each request (a grant
// replaced, refreshed or revoked in between is seen at once). A 401 makes
// it ask the token source for a fresh token (video.TokenSource.Refresh,
// which refreshes under the grant's lock and persists before use) and
// send the request once more. It is hand-written because oauth2.Transport
// takes a token source without a context and never retries a 401 with a
// refreshed token.
type userTransport struct {
	tokens func(ctx context.Context, user string) (video.TokenSource, error)
	user   string
	base   http.RoundTripper
}

func (t *userTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	ctx := req.Context()
	ts, err := t.tokens(ctx, t.user)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	token, err := ts.Token(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	first := req.Clone(ctx)
	first.Header.Set("Authorization", "Bearer "+token)
	resp, err := base.RoundTrip(first)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		return resp, err
	}
	fresh, err := ts.Refresh(ctx, token)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	again := req.Clone(ctx)
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			resp.Body.Close()
			return nil, err
		}
	}
	resp.Body.Close()
	again.Header.Set("Authorization", "Bearer "+fresh)
	return base.RoundTrip(again)
}

// closeBody closes a request's body, as a RoundTripper must even when it
// fails.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
