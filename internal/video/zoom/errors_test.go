package zoom

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/video"
)

// Zoom's error answers as zoom-api.md §2 and §3 document them, and what the
// client makes of them.
func TestErrorAnswers(t *testing.T) {
	const (
		perSecond = `{"code":429,"message":"You have reached the maximum per-second rate limit for this API. Try again later."}`
		daily     = `{"code":429,"message":"You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request."}`
		perUser   = `{"code":429,"message":"You have exceeded the daily rate limit (100) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00."}`
		ok200     = created201
		html502   = "<html><head><title>502 Bad Gateway</title></head><body>\n<center><h1>502 Bad Gateway</h1></center>\n</body></html>"
	)
	midnight := time.Date(2030, 1, 16, 0, 0, 0, 0, time.UTC)
	type op func(context.Context, *Client) error
	get := func(ctx context.Context, c *Client) error { _, err := c.Get(ctx, "84123456789", ""); return err }
	create := func(ctx context.Context, c *Client) error {
		_, err := c.Create(ctx, "o@example.com", video.Spec{Topic: "t", StartTime: testStart.Add(24 * time.Hour), Duration: 30})
		return err
	}
	update := func(ctx context.Context, c *Client) error {
		return c.Patch(ctx, "84123456789", "", video.Spec{Duration: 30})
	}
	del := func(ctx context.Context, c *Client) error { return c.Delete(ctx, "84123456789", "1648194360000") }

	tests := []struct {
		name      string
		op        op
		answers   []cannedAnswer
		is        []error // errors.Is; nil: success
		permanent bool
		code      int
		requests  int
		sleeps    int
		check     func(t *testing.T, err error, h *harness)
	}{
		{name: "1001 unknown host", op: create,
			answers: []cannedAnswer{{status: 404, body: `{"code":1001,"message":"User does not exist: o@example.com."}`}},
			is:      []error{video.ErrHostNotFound}, permanent: true, code: 1001, requests: 1},
		{name: "1010 not in account", op: get,
			answers: []cannedAnswer{{status: 400, body: `{"code":1010,"message":"User does not belong to this account: abc."}`}},
			is:      []error{video.ErrHostNotFound}, permanent: true, code: 1010, requests: 1},
		{name: "3001 meeting gone", op: get,
			answers: []cannedAnswer{{status: 404, body: `{"code":3001,"message":"Meeting 84123456789 is not found or has expired."}`}},
			is:      []error{video.ErrNotFound}, permanent: true, code: 3001, requests: 1},
		{name: "300 validation with fields", op: create,
			answers:   []cannedAnswer{{status: 400, body: `{"code":300,"message":"Validation Failed.","errors":[{"field":"settings.alternative_hosts","message":"Invalid field."},{"field":"password","message":"Invalid field."}]}`}},
			permanent: true, code: 300, requests: 1,
			check: func(t *testing.T, err error, h *harness) {
				v, ok := errors.AsType[*video.ValidationError](err)
				if !ok || v.Field != "settings.alternative_hosts" || v.Message != "Invalid field." || len(v.Fields) != 2 {
					t.Errorf("validation error %#v", v)
				}
			}},
		{name: "300 malformed body", op: update,
			answers:   []cannedAnswer{{status: 400, body: `{"code":300,"message":"Request Body should be a valid JSON object."}`}},
			permanent: true, code: 300, requests: 1,
			check: func(t *testing.T, err error, h *harness) {
				v, ok := errors.AsType[*video.ValidationError](err)
				if !ok || v.Field != "" || v.Message != "Request Body should be a valid JSON object." {
					t.Errorf("validation error %#v", v)
				}
			}},
		{name: "3000 invalid occurrence", op: del,
			answers: []cannedAnswer{{status: 400, body: `{"code":3000,"message":"Invalid occurrence_id."}`}},
			is:      []error{video.ErrNotFound}, permanent: true, code: 3000, requests: 1},
		{name: "3000 started", op: update,
			answers: []cannedAnswer{{status: 400, body: `{"code":3000,"message":"You cannot update or delete meetings that have started using this method"}`}},
			is:      []error{video.ErrInProgress}, permanent: true, code: 3000, requests: 1},
		{name: "3000 no access", op: get,
			answers:   []cannedAnswer{{status: 400, body: `{"code":3000,"message":"Cannot access meeting information."}`}},
			permanent: true, code: 3000, requests: 1,
			check: func(t *testing.T, err error, h *harness) {
				if err == nil || !video.IsPermanent(err) || errors.Is(err, video.ErrNotFound) {
					t.Errorf("error %v", err)
				}
			}},
		{name: "3002 in progress", op: del,
			answers: []cannedAnswer{{status: 400, body: `{"code":3002,"message":"Sorry, you cannot delete this meeting since it is in progress."}`}},
			is:      []error{video.ErrInProgress}, permanent: true, code: 3002, requests: 1},
		{name: "3007 ended", op: del,
			answers: []cannedAnswer{{status: 400, body: `{"code":3007,"message":"Sorry, you cannot delete this meeting since it has ended."}`}},
			is:      []error{video.ErrEnded}, permanent: true, code: 3007, requests: 1},
		{name: "3003 not host", op: update,
			answers: []cannedAnswer{{status: 400, body: `{"code":3003,"message":"You are not the meeting host."}`}},
			is:      []error{video.ErrForbidden}, permanent: true, code: 3003, requests: 1},
		{name: "3161 hosting not allowed", op: create,
			answers: []cannedAnswer{{status: 400, body: `{"code":3161,"message":"Meeting hosting and scheduling capabilities are not allowed for your user account."}`}},
			is:      []error{video.ErrForbidden}, permanent: true, code: 3161, requests: 1},
		{name: "4711 missing scope", op: get,
			answers: []cannedAnswer{{status: 400, body: `{"code":4711,"message":"Invalid access token, does not contain scopes:[meeting:read:meeting, meeting:read:meeting:admin]."}`}},
			is:      []error{video.ErrMissingScope, video.ErrUnauthorized}, permanent: true, code: 4711, requests: 1},
		{name: "401 124 refreshed then fine", op: get,
			answers:  []cannedAnswer{{status: 401, body: `{"code":124,"message":"Access token is expired."}`}, {status: 200, body: ok200}},
			requests: 2,
			check: func(t *testing.T, err error, h *harness) {
				if len(h.tokens.refreshes) != 1 || h.tokens.refreshes[0] != "tok-1" {
					t.Errorf("refreshes %v", h.tokens.refreshes)
				}
			}},
		{name: "401 124 twice", op: create,
			answers: []cannedAnswer{{status: 401, body: `{"code":124,"message":"Invalid access token."}`}, {status: 401, body: `{"code":124,"message":"Invalid access token."}`}},
			is:      []error{video.ErrUnauthorized}, permanent: true, code: 124, requests: 2,
			check: func(t *testing.T, err error, h *harness) {
				if len(h.tokens.refreshes) != 1 {
					t.Errorf("refreshed %d times; Zoom's rule is once", len(h.tokens.refreshes))
				}
			}},
		{name: "404 without Zoom body is no ErrNotFound", op: get,
			answers:   []cannedAnswer{{status: 404, header: map[string]string{"Content-Type": "text/plain"}, body: "404 page not found\n"}},
			permanent: true, requests: 1,
			check: func(t *testing.T, err error, h *harness) {
				if errors.Is(err, video.ErrNotFound) {
					t.Error("a wrong base URL must not look like a deleted meeting")
				}
				if !strings.Contains(err.Error(), "404 page not found") {
					t.Errorf("message %q", err)
				}
			}},
		{name: "500 then fine", op: get,
			answers:  []cannedAnswer{{status: 500, body: `{"code":500,"message":"Internal error"}`}, {status: 200, body: ok200}},
			requests: 2, sleeps: 1},
		{name: "502 HTML until attempts run out", op: get,
			answers: []cannedAnswer{{status: 502, body: html502, header: map[string]string{"Content-Type": "text/html"}},
				{status: 502, body: html502}, {status: 502, body: html502}, {status: 502, body: html502}},
			is: []error{video.ErrUnavailable}, requests: 4, sleeps: 3,
			check: func(t *testing.T, err error, h *harness) {
				if !strings.Contains(err.Error(), "502 Bad Gateway") {
					t.Errorf("message %q", err)
				}
				e, _ := errors.AsType[*video.Error](err)
				if e.Uncertain {
					t.Error("a GET is never uncertain")
				}
			}},
		{name: "503 on delete retried", op: del,
			answers:  []cannedAnswer{{status: 503, body: `{"code":503,"message":"Service Unavailable"}`}, {status: 204}},
			requests: 2, sleeps: 1},
		{name: "503 then 3001 on delete is done", op: del,
			answers:  []cannedAnswer{{status: 503, body: ``}, {status: 404, body: `{"code":3001,"message":"Meeting 84123456789 is not found or has expired."}`}},
			requests: 2, sleeps: 1},
		{name: "429 per second with Retry-After seconds", op: get,
			answers: []cannedAnswer{
				{status: 429, body: perSecond, header: map[string]string{"X-RateLimit-Category": "Light", "X-RateLimit-Type": "QPS", "X-RateLimit-Limit": "30", "X-RateLimit-Remaining": "0", "Retry-After": "2"}},
				{status: 200, body: ok200}},
			requests: 2, sleeps: 1,
			check: func(t *testing.T, err error, h *harness) {
				if s := h.slept(); s[0] != 2*time.Second {
					t.Errorf("slept %v, want Retry-After's 2s", s)
				}
			}},
		{name: "429 per second without headers", op: create,
			answers:  []cannedAnswer{{status: 429, body: perSecond}, {status: 201, body: ok200}},
			requests: 2, sleeps: 1,
			check: func(t *testing.T, err error, h *harness) {
				if s := h.slept(); s[0] > 500*time.Millisecond {
					t.Errorf("slept %v, want a jittered back-off ≤ 500ms", s)
				}
			}},
		{name: "429 per second with X-RateLimit-Reset", op: get,
			answers: []cannedAnswer{
				{status: 429, body: perSecond, header: map[string]string{"X-RateLimit-Reset": fmt.Sprint(testStart.Add(3 * time.Second).Unix())}},
				{status: 200, body: ok200}},
			requests: 2, sleeps: 1,
			check: func(t *testing.T, err error, h *harness) {
				if s := h.slept(); s[0] != 3*time.Second {
					t.Errorf("slept %v", s)
				}
			}},
		{name: "429 per second too long to wait", op: get,
			answers: []cannedAnswer{{status: 429, body: perSecond, header: map[string]string{"Retry-After": "60"}}},
			is:      []error{video.ErrRateLimited}, code: 429, requests: 1,
			check: func(t *testing.T, err error, h *harness) {
				if at, _ := video.RetryAt(err); !at.Equal(testStart.Add(time.Minute)) {
					t.Errorf("RetryAt %v", at)
				}
			}},
		{name: "429 daily with headers", op: get,
			answers: []cannedAnswer{{status: 429, body: daily, header: map[string]string{
				"X-RateLimit-Category": "Heavy", "X-RateLimit-Type": "Daily-limit", "X-RateLimit-Limit": "30000", "X-RateLimit-Remaining": "0", "Retry-After": "2030-01-17T00:00:00Z"}}},
			is: []error{video.ErrRateLimited}, code: 429, requests: 1,
			check: func(t *testing.T, err error, h *harness) {
				rl, _ := errors.AsType[*video.RateLimitError](err)
				if !rl.Daily || !rl.RetryAt.Equal(time.Date(2030, 1, 17, 0, 0, 0, 0, time.UTC)) || rl.Category != "Heavy" || rl.Limit != 30000 || rl.Remaining != 0 {
					t.Errorf("rate limit %+v", rl)
				}
			}},
		{name: "429 per-host daily without headers", op: create,
			answers: []cannedAnswer{{status: 429, body: perUser, header: map[string]string{"X-RateLimit-Category": "Light", "X-RateLimit-Limit": "6000", "X-RateLimit-Remaining": "5893"}}},
			is:      []error{video.ErrRateLimited}, code: 429, requests: 1,
			check: func(t *testing.T, err error, h *harness) {
				rl, _ := errors.AsType[*video.RateLimitError](err)
				if !rl.Daily || rl.Host != "o@example.com" || !rl.RetryAt.Equal(midnight) {
					t.Errorf("rate limit %+v", rl)
				}
				// The host is paused until 00:00 UTC: no further call to Zoom.
				err2 := create(context.Background(), h.c)
				if at, _ := video.RetryAt(err2); !at.Equal(midnight) {
					t.Errorf("second create: %v", err2)
				}
				if n := len(h.srvRequests()); n != 1 {
					t.Errorf("%d requests while paused", n)
				}
				// Another host is not paused, and the pause lifts at midnight.
				h.clock.Advance(midnight.Sub(h.clock.Now()))
				if err := h.c.hostPaused("o@example.com"); err != nil {
					t.Errorf("still paused after midnight: %v", err)
				}
			}},
		{name: "429 per-host on update", op: update,
			answers: []cannedAnswer{{status: 429, body: perUser}},
			is:      []error{video.ErrRateLimited}, code: 429, requests: 1,
			check: func(t *testing.T, err error, h *harness) {
				if at, _ := video.RetryAt(err); !at.Equal(midnight) {
					t.Errorf("RetryAt %v", at)
				}
			}},
		{name: "undecodable success answer", op: get,
			answers:  []cannedAnswer{{status: 200, body: `{"id":"x"}`}},
			requests: 1,
			check: func(t *testing.T, err error, h *harness) {
				if err == nil || video.IsPermanent(err) {
					t.Errorf("error %v", err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cn := &canned{answers: append([]cannedAnswer(nil), tt.answers...)}
			h := newHarness(t, cn, nil)
			h.srvRequests = cn.seen
			err := tt.op(context.Background(), h.c)
			if tt.is == nil && tt.check == nil && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			for _, s := range tt.is {
				if !errors.Is(err, s) {
					t.Errorf("error %v is not %v", err, s)
				}
			}
			if err != nil && tt.is != nil {
				if got := video.IsPermanent(err); got != tt.permanent {
					t.Errorf("IsPermanent = %v for %v", got, err)
				}
				e, ok := errors.AsType[*video.Error](err)
				if !ok || e.Code != tt.code || e.Provider != "zoom" {
					t.Errorf("*video.Error %+v", e)
				}
			}
			if n := len(cn.seen()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if n := len(h.slept()); n != tt.sleeps {
				t.Errorf("%d sleeps (%v), want %d", n, h.slept(), tt.sleeps)
			}
			for _, r := range cn.seen()[1:] {
				if tt.name == "401 124 refreshed then fine" && r.Header.Get("Authorization") != "Bearer tok-2" {
					t.Errorf("retry sent %q", r.Header.Get("Authorization"))
				}
			}
			if tt.check != nil {
				tt.check(t, err, h)
			}
		})
	}
}

func TestTokenSourceErrors(t *testing.T) {
	cn := &canned{}
	h := newHarness(t, cn, nil)
	h.tokens.tokenErr = fmt.Errorf("install revoked: %w", video.ErrUnauthorized)
	_, err := h.c.Get(context.Background(), "1", "")
	if !errors.Is(err, video.ErrUnauthorized) || !video.IsPermanent(err) || len(cn.seen()) != 0 {
		t.Errorf("revoked install: %v", err)
	}
	h.tokens.tokenErr = errors.New("vault: database is locked")
	_, err = h.c.Get(context.Background(), "1", "")
	if err == nil || video.IsPermanent(err) {
		t.Errorf("transient vault error: %v", err)
	}

	// A refresh that fails for good ends the request: no retry with the
	// rejected token.
	cn2 := &canned{answers: []cannedAnswer{{status: 401, body: `{"code":124,"message":"Invalid access token."}`}}}
	h2 := newHarness(t, cn2, nil)
	h2.tokens.refreshErr = fmt.Errorf("invalid_grant: %w", video.ErrUnauthorized)
	_, err = h2.c.Get(context.Background(), "1", "")
	if !errors.Is(err, video.ErrUnauthorized) || !video.IsPermanent(err) || len(cn2.seen()) != 1 {
		t.Errorf("refresh failure: %v", err)
	}
	// The tokens never appear in errors.
	if strings.Contains(err.Error(), "tok-1") {
		t.Errorf("token in error: %v", err)
	}
}
