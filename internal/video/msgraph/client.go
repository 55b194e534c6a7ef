package msgraph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/convene/convene/internal/video"
)

// DefaultBaseURL is Microsoft Graph's v1.0 endpoint (global cloud).
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// ProviderName is the name the video errors carry.
const ProviderName = ID

// RetryPolicy bounds how hard the client tries. Zero fields take the
// defaults shown.
type RetryPolicy struct {
	// Attempts are the tries of one request, the first included; default 4.
	Attempts int
	// MaxWait is the longest single Retry-After waited out in process;
	// longer ones end the call with a *video.RateLimitError; default 30s.
	MaxWait time.Duration
	// TotalWait bounds the time one call spends waiting, all retries
	// together; default 60s.
	TotalWait time.Duration
	// Backoff is the wait after a 503/504 or a connection failure without
	// Retry-After, doubled each time; default 1s.
	Backoff time.Duration
	// Timeout bounds one HTTP request; default 30s.
	Timeout time.Duration
	// MaxPages bounds the pages one paged read follows; default 100.
	MaxPages int
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 4
	}
	if p.MaxWait <= 0 {
		p.MaxWait = 30 * time.Second
	}
	if p.TotalWait <= 0 {
		p.TotalWait = 60 * time.Second
	}
	if p.Backoff <= 0 {
		p.Backoff = time.Second
	}
	if p.Timeout <= 0 {
		p.Timeout = 30 * time.Second
	}
	if p.MaxPages <= 0 {
		p.MaxPages = 100
	}
	return p
}

// Client calls Microsoft Graph v1.0 for one tenant. Set the fields before
// the first call; a Client is safe for concurrent use.
type Client struct {
	// BaseURL is Graph's root including /v1.0 (DefaultBaseURL, or the
	// sandbox's); empty: DefaultBaseURL.
	BaseURL string
	// HTTPClient sends the requests; nil: http.DefaultClient.
	HTTPClient *http.Client
	// Tokens gives the tenant's client-credentials access tokens.
	Tokens video.TokenSource
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends; nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Retry is the retry policy.
	Retry RetryPolicy
	// Logger receives retries at debug level, never tokens; nil: none.
	Logger *slog.Logger

	// users keeps the object ids of addresses that are not their user's
	// principal name (lower-cased address → id).
	users sync.Map
}

func (c *Client) base() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) log() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
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

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

// request is one Graph call.
type request struct {
	method string
	// path is relative to BaseURL ("/users/a%40b/calendar/getSchedule"),
	// or an absolute @odata.nextLink/deltaLink on Graph's host.
	path  string
	query url.Values
	body  any
	out   any
	// idempotent: a 504 or a cut connection may be retried (the request
	// may have taken effect; a repeat does no harm). Creates are
	// idempotent only when Graph deduplicates them (transactionId,
	// externalId).
	idempotent bool
	// prefer are more Prefer header values (odata.maxpagesize).
	prefer []string
}

// maxBody bounds the answers read.
const maxBody = 16 << 20

// preferences are sent with every request: event times in UTC, and ids
// that do not change when an item moves (Convene stores them).
var preferences = []string{`outlook.timezone="UTC"`, `IdType="ImmutableId"`}

// target resolves a request's path: relative to the base, or an absolute
// link that must be on the base's scheme and host (a link elsewhere would
// receive the tenant's token).
func (c *Client) target(r request) (string, error) {
	base := c.base()
	if strings.HasPrefix(r.path, "http://") || strings.HasPrefix(r.path, "https://") {
		bu, err := url.Parse(base)
		if err != nil {
			return "", err
		}
		u, err := url.Parse(r.path)
		if err != nil {
			return "", fmt.Errorf("msgraph: link %q: %w", r.path, err)
		}
		if u.Scheme != bu.Scheme || u.Host != bu.Host {
			return "", fmt.Errorf("msgraph: link to %s://%s refused: not Graph's host %s", u.Scheme, u.Host, bu.Host)
		}
		return r.path, nil
	}
	s := base + r.path
	if len(r.query) > 0 {
		s += "?" + r.query.Encode()
	}
	return s, nil
}

// do sends r, refreshing the token once after a 401 and waiting out
// throttling as RetryPolicy allows. Its errors are *video.Error (with
// video's sentinels inside) or the context's.
func (c *Client) do(ctx context.Context, r request) error {
	p := c.Retry.withDefaults()
	target, err := c.target(r)
	if err != nil {
		return &video.Error{Provider: ProviderName, Permanent: true, Err: err}
	}
	var payload []byte
	if r.body != nil {
		if payload, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("msgraph: encode %s %s: %w", r.method, r.path, err)
		}
	}
	token, err := c.Tokens.Token(ctx)
	if err != nil {
		return tokenError(err)
	}
	refreshed := false
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		a, sendErr := c.send(ctx, p, r, target, payload, token)
		if sendErr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			e := &video.Error{Provider: ProviderName, Err: fmt.Errorf("%w: %v", video.ErrUnavailable, sendErr), Uncertain: r.method != "GET"}
			if !r.idempotent && r.method != "GET" || attempt >= p.Attempts {
				return e
			}
			d := p.Backoff << (attempt - 1)
			if waited+d > p.TotalWait {
				return e
			}
			if err := c.sleep(ctx, d); err != nil {
				return err
			}
			waited += d
			continue
		}
		if a.status == http.StatusUnauthorized && !refreshed {
			refreshed = true
			if token, err = c.Tokens.Refresh(ctx, token); err != nil {
				return tokenError(err)
			}
			attempt--
			continue
		}
		if a.status < 300 {
			if r.out != nil && len(a.body) > 0 {
				if err := json.Unmarshal(a.body, r.out); err != nil {
					return &video.Error{Provider: ProviderName, Status: a.status, Err: fmt.Errorf("%w: decode %s %s: %v", video.ErrUnavailable, r.method, r.path, err)}
				}
			}
			return nil
		}
		e := graphError(a.status, a.header, a.body, c.now(), !r.idempotent && r.method != "GET")
		if !retryable(a.status, r) || attempt >= p.Attempts {
			return e
		}
		d, ok := retryAfter(a.header, c.now())
		if !ok {
			d = p.Backoff << (attempt - 1)
		}
		if d > p.MaxWait || waited+d > p.TotalWait {
			return e
		}
		c.log().Debug("msgraph: retrying", "method", r.method, "path", r.path, "status", a.status, "wait", d)
		if err := c.sleep(ctx, d); err != nil {
			return err
		}
		waited += d
	}
}

// retryable: 429 and 503 mean Graph did not process the request (it says
// so with Retry-After); 504 may have processed it, so only requests safe
// to repeat are.
func retryable(status int, r request) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusGatewayTimeout, http.StatusBadGateway:
		return r.idempotent || r.method == "GET"
	}
	return false
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) send(ctx context.Context, p RetryPolicy, r request, target string, payload []byte, token string) (*answer, error) {
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, v := range append(append([]string{}, preferences...), r.prefer...) {
		req.Header.Add("Prefer", v)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("answer larger than %d bytes", maxBody)
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// tokenError: the token source's failure (ErrUnauthorized when consent is
// lost) as a video.Error.
func tokenError(err error) error {
	return &video.Error{Provider: ProviderName, Permanent: errors.Is(err, video.ErrUnauthorized), Err: err}
}

// retryAfter reads Retry-After: delay-seconds (what Graph sends) or an
// HTTP date (RFC 9110 §10.2.3).
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// ErrorBody is Graph's error answer (Microsoft REST API guidelines'
// error object).
type ErrorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Code            string `json:"code"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
			Date            string `json:"date"`
		} `json:"innerError"`
	} `json:"error"`
}

// Graph error codes with a meaning of their own.
var (
	// userCodes mean the user (mailbox) is not there or has no Exchange
	// Online mailbox.
	userCodes = map[string]bool{
		"ErrorInvalidUser": true, "MailboxNotEnabledForRESTAPI": true, "MailboxNotFound": true,
		"ErrorNonExistentMailbox": true, "Request_ResourceNotFound": true, "UserNotFound": true,
	}
	// syncCodes mean a delta token is no longer valid (Exchange also
	// answers InvalidDeltaToken, with 400, for a token it cannot read).
	syncCodes = map[string]bool{"syncStateNotFound": true, "syncStateInvalid": true, "resyncRequired": true, "InvalidDeltaToken": true}
)

// graphError maps a failed answer onto video's errors.
func graphError(status int, h http.Header, body []byte, now time.Time, uncertain bool) error {
	var eb ErrorBody
	_ = json.Unmarshal(body, &eb)
	code, msg := eb.Error.Code, eb.Error.Message
	e := &video.Error{Provider: ProviderName, Status: status, Message: strings.TrimSpace(code + ": " + msg), TrackingID: eb.Error.InnerError.RequestID}
	if code == "" {
		e.Message = strings.TrimSpace(msg)
	}
	if e.TrackingID == "" {
		e.TrackingID = h.Get("request-id")
	}
	switch {
	case syncCodes[code] || syncCodes[eb.Error.InnerError.Code] || status == http.StatusGone:
		e.Err, e.Permanent = video.ErrSyncExpired, true
	case status == http.StatusTooManyRequests || (status == http.StatusServiceUnavailable && h.Get("Retry-After") != ""):
		d, ok := retryAfter(h, now)
		if !ok {
			d = 30 * time.Second
		}
		e.Err = &video.RateLimitError{RetryAt: now.Add(d), Limit: -1, Remaining: -1, Message: msg}
	case status == http.StatusUnauthorized:
		e.Err, e.Permanent = video.ErrUnauthorized, true
	case userCodes[code]:
		e.Err, e.Permanent = video.ErrHostNotFound, true
	case status == http.StatusForbidden:
		e.Err, e.Permanent = video.ErrForbidden, true
	case status == http.StatusNotFound:
		e.Err, e.Permanent = video.ErrNotFound, true
	case status >= 500:
		e.Err, e.Uncertain = video.ErrUnavailable, uncertain
	case status >= 400:
		e.Err, e.Permanent = &video.ValidationError{Message: e.Message}, true
	default:
		e.Err = video.ErrUnavailable
	}
	return e
}

// page is one page of a Graph collection.
type page struct {
	Value     []json.RawMessage `json:"value"`
	NextLink  string            `json:"@odata.nextLink"`
	DeltaLink string            `json:"@odata.deltaLink"`
}

// pages reads a collection from first (a path with its query, or a
// next/delta link), calling each for every item, following
// @odata.nextLink up to RetryPolicy.MaxPages pages. It returns the
// @odata.deltaLink of the last page ("" for plain collections).
func (c *Client) pages(ctx context.Context, first request, each func(json.RawMessage) error) (string, error) {
	p := c.Retry.withDefaults()
	r := first
	for n := 1; ; n++ {
		var pg page
		r.out = &pg
		r.idempotent = true
		if err := c.do(ctx, r); err != nil {
			return "", err
		}
		for _, v := range pg.Value {
			if err := each(v); err != nil {
				return "", err
			}
		}
		if pg.NextLink == "" {
			return pg.DeltaLink, nil
		}
		if n >= p.MaxPages {
			return "", &video.Error{Provider: ProviderName, Permanent: true,
				Err: fmt.Errorf("%w: %s has more than %d pages", video.ErrUnavailable, first.path, p.MaxPages)}
		}
		r = request{method: "GET", path: pg.NextLink, prefer: first.prefer}
	}
}

// BatchLimit is the most requests one JSON $batch carries (Graph's limit).
const BatchLimit = 20

// batchRequest is one request inside a $batch.
type batchRequest struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// batchResponse is one answer inside a $batch's.
type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// batch sends reqs (at most BatchLimit, paths relative to the base) as one
// JSON $batch and returns the answers in reqs' order. Answers throttled
// inside the batch (429, 503 with Retry-After) are sent again, alone in a
// new batch, within the same bounds as do's retries; their final errors
// are in errs.
func (c *Client) batch(ctx context.Context, reqs []batchRequest) (out []json.RawMessage, errs []error, err error) {
	if len(reqs) > BatchLimit {
		return nil, nil, fmt.Errorf("msgraph: %d requests in one $batch; Graph takes %d", len(reqs), BatchLimit)
	}
	p := c.Retry.withDefaults()
	out, errs = make([]json.RawMessage, len(reqs)), make([]error, len(reqs))
	pending := make([]int, len(reqs))
	for i := range reqs {
		pending[i] = i
		if reqs[i].Body != nil {
			if reqs[i].Headers == nil {
				reqs[i].Headers = map[string]string{}
			}
			reqs[i].Headers["Content-Type"] = "application/json"
		}
		if reqs[i].Headers == nil {
			reqs[i].Headers = map[string]string{}
		}
		reqs[i].Headers["Prefer"] = strings.Join(preferences, ", ")
		reqs[i].ID = strconv.Itoa(i)
	}
	var waited time.Duration
	for attempt := 1; len(pending) > 0; attempt++ {
		body := struct {
			Requests []batchRequest `json:"requests"`
		}{}
		for _, i := range pending {
			body.Requests = append(body.Requests, reqs[i])
		}
		var ans struct {
			Responses []batchResponse `json:"responses"`
		}
		// A $batch of reads is safe to repeat.
		if err := c.do(ctx, request{method: "POST", path: "/$batch", body: body, out: &ans, idempotent: true}); err != nil {
			return nil, nil, err
		}
		var again []int
		var wait time.Duration
		got := map[int]bool{}
		for _, r := range ans.Responses {
			i, err := strconv.Atoi(r.ID)
			if err != nil || i < 0 || i >= len(reqs) || got[i] {
				continue
			}
			got[i] = true
			h := http.Header{}
			for k, v := range r.Headers {
				h.Set(k, v)
			}
			if r.Status >= 200 && r.Status < 300 {
				out[i], errs[i] = r.Body, nil
				continue
			}
			errs[i] = graphError(r.Status, h, r.Body, c.now(), false)
			if r.Status == http.StatusTooManyRequests || r.Status == http.StatusServiceUnavailable || r.Status == http.StatusGatewayTimeout {
				again = append(again, i)
				d, ok := retryAfter(h, c.now())
				if !ok {
					d = p.Backoff << (attempt - 1)
				}
				wait = max(wait, d)
			}
		}
		for _, i := range pending {
			if !got[i] {
				errs[i] = &video.Error{Provider: ProviderName, Err: fmt.Errorf("%w: $batch gave no answer to request %d", video.ErrUnavailable, i)}
			}
		}
		if len(again) == 0 || attempt >= p.Attempts || wait > p.MaxWait || waited+wait > p.TotalWait {
			break
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, nil, err
		}
		waited += wait
		pending = again
	}
	return out, errs, nil
}

// asUser runs f with the /users/{id} path of user, an e-mail address:
// first as Graph takes it (a user principal name, which is most people's
// address), and when Graph knows no such user, again with the id of the
// user whose mail or principal name it is (GET /users?$filter), which is
// then remembered.
func (c *Client) asUser(ctx context.Context, user string, f func(base string) error) error {
	key := strings.ToLower(user)
	if id, ok := c.users.Load(key); ok {
		return f("/users/" + url.PathEscape(id.(string)))
	}
	err := f(userPath(user))
	if !errors.Is(err, video.ErrHostNotFound) {
		return err
	}
	id, lerr := c.lookupUser(ctx, user)
	if lerr != nil {
		if errors.Is(lerr, video.ErrHostNotFound) {
			return err
		}
		return lerr
	}
	c.users.Store(key, id)
	return f("/users/" + url.PathEscape(id))
}

// userBase is the path of user, by id when asUser found it so.
func (c *Client) userBase(user string) string {
	if id, ok := c.users.Load(strings.ToLower(user)); ok {
		return "/users/" + url.PathEscape(id.(string))
	}
	return userPath(user)
}

// lookupUser finds the id of the user whose mail or principal name is
// address (OData string literals double their quotes).
func (c *Client) lookupUser(ctx context.Context, address string) (string, error) {
	lit := "'" + strings.ReplaceAll(address, "'", "''") + "'"
	q := url.Values{"$filter": {"mail eq " + lit + " or userPrincipalName eq " + lit}, "$select": {"id,mail,userPrincipalName"}}
	var out struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	if err := c.do(ctx, request{method: "GET", path: "/users", query: q, out: &out}); err != nil {
		return "", err
	}
	if len(out.Value) != 1 || out.Value[0].ID == "" {
		return "", &video.Error{Provider: ProviderName, Status: http.StatusNotFound, Permanent: true,
			Err: fmt.Errorf("%w: %d users have the address %s", video.ErrHostNotFound, len(out.Value), address)}
	}
	return out.Value[0].ID, nil
}

// userPath is /users/{id} with the id (an e-mail address or an object id)
// escaped as a path segment.
func userPath(user string) string {
	return "/users/" + url.PathEscape(user)
}
