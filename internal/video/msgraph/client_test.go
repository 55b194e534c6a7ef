package msgraph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/video"
)

// staticTokens is a token source whose Refresh gives "fresh".
type staticTokens struct {
	mu        sync.Mutex
	token     string
	refreshes int
}

func (s *staticTokens) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token, nil
}

func (s *staticTokens) Refresh(_ context.Context, rejected string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshes++
	s.token = "fresh"
	return s.token, nil
}

// sleeper records the waits instead of sleeping.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) total() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t time.Duration
	for _, d := range s.waits {
		t += d
	}
	return t
}

func testClient(t *testing.T, h http.Handler) (*Client, *sleeper) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sl := &sleeper{}
	return &Client{BaseURL: srv.URL + "/v1.0", HTTPClient: srv.Client(), Tokens: &staticTokens{token: "t0"}, Sleep: sl.sleep,
		Now: func() time.Time { return time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) }}, sl
}

func graphErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":%q,"innerError":{"date":"2026-12-07T09:00:00","request-id":"rid-1","client-request-id":"c"}}}`, code, msg)
}

// TestPreferHeaders: every request asks for UTC times and immutable ids,
// and carries the bearer token.
func TestPreferHeaders(t *testing.T) {
	var got http.Header
	c, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, `{}`)
	}))
	if err := c.do(context.Background(), request{method: "GET", path: "/users/a"}); err != nil {
		t.Fatal(err)
	}
	prefer := strings.Join(got.Values("Prefer"), ", ")
	if !strings.Contains(prefer, `outlook.timezone="UTC"`) || !strings.Contains(prefer, `IdType="ImmutableId"`) {
		t.Errorf("Prefer: %q", prefer)
	}
	if got.Get("Authorization") != "Bearer t0" {
		t.Errorf("Authorization: %q", got.Get("Authorization"))
	}
}

// TestThrottlingHonoursRetryAfter: 429, 503 and 504 (for a request safe to
// repeat) are waited out for exactly Retry-After; the waits are bounded
// one by one and in total.
func TestThrottlingHonoursRetryAfter(t *testing.T) {
	for _, status := range []int{429, 503, 504} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			n := 0
			c, sl := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n++
				if n < 3 {
					w.Header().Set("Retry-After", "7")
					graphErr(w, status, "TooManyRequests", "slow down")
					return
				}
				io.WriteString(w, `{"id":"x"}`)
			}))
			var out struct{ ID string }
			if err := c.do(context.Background(), request{method: "GET", path: "/me", out: &out}); err != nil {
				t.Fatal(err)
			}
			if out.ID != "x" || n != 3 || len(sl.waits) != 2 || sl.waits[0] != 7*time.Second {
				t.Errorf("n=%d waits=%v out=%+v", n, sl.waits, out)
			}
		})
	}
	t.Run("too long", func(t *testing.T) {
		n := 0
		c, sl := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n++
			w.Header().Set("Retry-After", "120")
			graphErr(w, 429, "TooManyRequests", "slow down")
		}))
		err := c.do(context.Background(), request{method: "GET", path: "/me"})
		at, ok := video.RetryAt(err)
		if !errors.Is(err, video.ErrRateLimited) || !ok || !at.Equal(c.now().Add(120*time.Second)) || n != 1 || len(sl.waits) != 0 {
			t.Errorf("err=%v at=%v n=%d waits=%v", err, at, n, sl.waits)
		}
	})
	t.Run("total", func(t *testing.T) {
		c, sl := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "25")
			graphErr(w, 429, "TooManyRequests", "slow down")
		}))
		c.Retry = RetryPolicy{Attempts: 10, TotalWait: 60 * time.Second}
		err := c.do(context.Background(), request{method: "GET", path: "/me"})
		if !errors.Is(err, video.ErrRateLimited) || sl.total() > 60*time.Second || len(sl.waits) != 2 {
			t.Errorf("err=%v waits=%v", err, sl.waits)
		}
	})
	t.Run("504 of a create", func(t *testing.T) {
		n := 0
		c, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n++
			graphErr(w, 504, "GatewayTimeout", "later")
		}))
		err := c.do(context.Background(), request{method: "POST", path: "/subscriptions", body: map[string]string{}})
		var ve *video.Error
		if !errors.As(err, &ve) || !ve.Uncertain || n != 1 {
			t.Errorf("a POST that may have taken effect was repeated or not marked uncertain: n=%d err=%v", n, err)
		}
	})
	t.Run("ctx", func(t *testing.T) {
		c, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			graphErr(w, 429, "TooManyRequests", "slow down")
		}))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := c.do(ctx, request{method: "GET", path: "/me"}); !errors.Is(err, context.Canceled) {
			t.Errorf("err=%v", err)
		}
	})
}

// TestUnauthorizedRefreshesOnce: a 401 refreshes the token and repeats
// once; a second 401 is ErrUnauthorized.
func TestUnauthorizedRefreshesOnce(t *testing.T) {
	var seen []string
	c, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		graphErr(w, 401, "InvalidAuthenticationToken", "Access token has expired")
	}))
	err := c.do(context.Background(), request{method: "GET", path: "/me"})
	if !errors.Is(err, video.ErrUnauthorized) || len(seen) != 2 || seen[1] != "Bearer fresh" {
		t.Errorf("err=%v seen=%v", err, seen)
	}
}

// TestGraphErrors: Graph's error object maps onto video's errors.
func TestGraphErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
		want   error
	}{
		{404, "ErrorItemNotFound", video.ErrNotFound},
		{404, "ErrorInvalidUser", video.ErrHostNotFound},
		{404, "MailboxNotEnabledForRESTAPI", video.ErrHostNotFound},
		{403, "ErrorAccessDenied", video.ErrForbidden},
		{410, "syncStateNotFound", video.ErrSyncExpired},
		{400, "syncStateInvalid", video.ErrSyncExpired},
		{400, "InvalidDeltaToken", video.ErrSyncExpired},
		{429, "TooManyRequests", video.ErrRateLimited},
		{500, "generalException", video.ErrUnavailable},
	} {
		err := graphError(tc.status, http.Header{}, []byte(fmt.Sprintf(`{"error":{"code":%q,"message":"m","innerError":{"request-id":"rid"}}}`, tc.code)), time.Now(), false)
		if !errors.Is(err, tc.want) {
			t.Errorf("%d %s: %v, want %v", tc.status, tc.code, err, tc.want)
		}
		var ve *video.Error
		if !errors.As(err, &ve) || ve.TrackingID != "rid" || !strings.Contains(ve.Message, tc.code) {
			t.Errorf("%d %s: %+v", tc.status, tc.code, ve)
		}
	}
	err := graphError(400, http.Header{}, []byte(`{"error":{"code":"ErrorInvalidRequest","message":"bad start"}}`), time.Now(), false)
	if _, ok := errors.AsType[*video.ValidationError](err); !ok || !video.IsPermanent(err) {
		t.Errorf("400: %v", err)
	}
}

// TestPaging: nextLink is followed to the deltaLink; a link off Graph's
// host is refused (it would get the token); pages are bounded.
func TestPaging(t *testing.T) {
	var base string
	c, _ := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("p") {
		case "":
			fmt.Fprintf(w, `{"value":[{"id":"1"}],"@odata.nextLink":%q}`, base+"/v1.0/items?p=2")
		case "2":
			fmt.Fprintf(w, `{"value":[{"id":"2"}],"@odata.nextLink":%q}`, base+"/v1.0/items?p=3")
		case "3":
			fmt.Fprintf(w, `{"value":[{"id":"3"}],"@odata.deltaLink":%q}`, base+"/v1.0/items?d=x")
		case "evil":
			fmt.Fprintf(w, `{"value":[],"@odata.nextLink":"https://evil.example/steal"}`)
		}
	}))
	base = strings.TrimSuffix(c.BaseURL, "/v1.0")
	var ids []string
	delta, err := c.pages(context.Background(), request{method: "GET", path: "/items"}, func(m json.RawMessage) error {
		var v struct{ ID string }
		json.Unmarshal(m, &v)
		ids = append(ids, v.ID)
		return nil
	})
	if err != nil || strings.Join(ids, ",") != "1,2,3" || delta != base+"/v1.0/items?d=x" {
		t.Errorf("ids=%v delta=%q err=%v", ids, delta, err)
	}
	if _, err := c.pages(context.Background(), request{method: "GET", path: "/items?p=evil"}, func(json.RawMessage) error { return nil }); err == nil || !strings.Contains(err.Error(), "evil.example") {
		t.Errorf("foreign link: %v", err)
	}
	c.Retry.MaxPages = 2
	if _, err := c.pages(context.Background(), request{method: "GET", path: "/items"}, func(json.RawMessage) error { return nil }); err == nil || !strings.Contains(err.Error(), "more than 2 pages") {
		t.Errorf("page bound: %v", err)
	}
}

// TestBatch: requests go in one $batch with the Prefer headers; a
// throttled inner answer is sent again alone after its Retry-After; more
// than 20 are refused.
func TestBatch(t *testing.T) {
	calls := 0
	c, sl := testClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1.0/$batch" {
			t.Errorf("path %s", r.URL.Path)
		}
		calls++
		var in struct {
			Requests []batchRequest `json:"requests"`
		}
		json.NewDecoder(r.Body).Decode(&in)
		var out []string
		for _, q := range in.Requests {
			if !strings.Contains(q.Headers["Prefer"], "ImmutableId") {
				t.Errorf("inner Prefer: %v", q.Headers)
			}
			if q.ID == "1" && calls == 1 {
				out = append(out, `{"id":"1","status":429,"headers":{"Retry-After":"3"},"body":{"error":{"code":"TooManyRequests","message":"x"}}}`)
				continue
			}
			out = append(out, fmt.Sprintf(`{"id":%q,"status":200,"headers":{},"body":{"url":%q}}`, q.ID, q.URL))
		}
		fmt.Fprintf(w, `{"responses":[%s]}`, strings.Join(out, ","))
	}))
	out, errs, err := c.batch(context.Background(), []batchRequest{{Method: "GET", URL: "/a"}, {Method: "GET", URL: "/b"}, {Method: "GET", URL: "/c"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"/a", "/b", "/c"} {
		if errs[i] != nil || !strings.Contains(string(out[i]), want) {
			t.Errorf("%d: %s %v", i, out[i], errs[i])
		}
	}
	if calls != 2 || len(sl.waits) != 1 || sl.waits[0] != 3*time.Second {
		t.Errorf("calls=%d waits=%v", calls, sl.waits)
	}
	if _, _, err := c.batch(context.Background(), make([]batchRequest, 21)); err == nil {
		t.Error("21 requests in a batch")
	}
}

// TestZones: CLDR's table maps Windows names to IANA and back.
func TestZones(t *testing.T) {
	if CLDRVersion != "48" {
		t.Errorf("CLDR version %q: update the doc comment of windowsZonesJSON", CLDRVersion)
	}
	for win, iana := range map[string]string{
		"W. Europe Standard Time":        "Europe/Berlin",
		"Romance Standard Time":          "Europe/Paris",
		"Eastern Standard Time":          "America/New_York",
		"India Standard Time":            "Asia/Calcutta",
		"Lord Howe Standard Time":        "Australia/Lord_Howe",
		"Pacific Standard Time":          "America/Los_Angeles",
		"Europe/Paris":                   "Europe/Paris",
		"UTC":                            "Etc/UTC",
		"AUS Eastern Standard Time":      "Australia/Sydney",
		"Greenwich Standard Time":        "Atlantic/Reykjavik",
		"Central European Standard Time": "Europe/Warsaw",
	} {
		got, err := IANAZone(win)
		if err != nil || got != iana {
			t.Errorf("IANAZone(%q) = %q, %v; want %q", win, got, err, iana)
			continue
		}
		if _, err := time.LoadLocation(got); err != nil {
			t.Errorf("%s: %v", got, err)
		}
	}
	if _, err := IANAZone("Mars Standard Time"); err == nil {
		t.Error("an unknown zone was accepted")
	}
	for iana, win := range map[string]string{"Europe/Paris": "Romance Standard Time", "America/Detroit": "Eastern Standard Time", "Asia/Kolkata": "India Standard Time"} {
		if got, ok := WindowsZone(iana); !ok || got != win {
			t.Errorf("WindowsZone(%q) = %q", iana, got)
		}
	}
}
