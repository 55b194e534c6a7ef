package google

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/calendar/v3"

	"github.com/convene/convene/internal/video"
)

const (
	alice = "alice@example.com"
	bob   = "bob@example.com"
)

func TestParseKey(t *testing.T) {
	good := keyJSON(t, rsaKey(t), "https://oauth2.googleapis.com/token")
	for _, tc := range []struct {
		name, key, want string
	}{
		{"not JSON", "nope", "not JSON"},
		{"user credentials", `{"type":"authorized_user","client_id":"x"}`, `"authorized_user", not service_account`},
		{"no client_email", `{"type":"service_account","private_key":"x"}`, "no client_email"},
		{"no private key", `{"type":"service_account","client_email":"a@b"}`, "no private_key"},
		{"private key not PEM", `{"type":"service_account","client_email":"a@b","private_key":"MIIEsecret"}`, "does not parse"},
		{"PEM but no key", `{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}`, "not a PKCS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseKey([]byte(tc.key))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseKey: %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "MIIE") || strings.Contains(err.Error(), "AAAA") {
				t.Fatalf("the error quotes the key: %v", err)
			}
		})
	}
	sa, err := ParseKey(good)
	if err != nil || sa.ClientEmail != "convene@convene-test.iam.gserviceaccount.com" || sa.ClientID != "117000000000000000001" {
		t.Fatalf("ParseKey(good) = %+v, %v", sa, err)
	}
}

// Each user gets a token of their own (Subject), taken once and reused.
func TestTokensPerUser(t *testing.T) {
	g := newFakeGoogle(t, alice, bob)
	c := g.newClient(t)
	ctx := context.Background()
	for _, u := range []string{alice, alice, bob, alice, bob} {
		if _, err := c.WorkingHours(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if g.tokens != 2 {
		t.Fatalf("%d tokens taken for two users, want 2", g.tokens)
	}
	if c.services.Len() != 2 {
		t.Fatalf("%d services kept", c.services.Len())
	}
}

func TestTokenRefusals(t *testing.T) {
	g := newFakeGoogle(t, alice)
	c := g.newClient(t)
	var logs bytes.Buffer
	c.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()

	// No such user in the Workspace.
	_, err := c.WorkingHours(ctx, "nobody@example.com")
	if !errors.Is(err, video.ErrHostNotFound) || !video.IsPermanent(err) {
		t.Fatalf("unknown user: %v", err)
	}
	// The delegation lacks a scope: unauthorized_client.
	g.granted = Scopes[:1]
	c2 := g.newClient(t)
	err = c2.Token(ctx, alice)
	te, ok := errors.AsType[*TokenError](err)
	if !errors.Is(err, video.ErrUnauthorized) || !ok || te.Code != "unauthorized_client" {
		t.Fatalf("scope not delegated: %v", err)
	}
	// A key that is not a service account's never reaches Google.
	c3 := g.newClient(t)
	c3.Key = []byte(`{"type":"service_account","client_email":"a@b","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}`)
	if _, err := c3.WorkingHours(ctx, alice); !errors.Is(err, video.ErrUnauthorized) {
		t.Fatalf("bad key: %v", err)
	}
	if strings.Contains(logs.String(), "PRIVATE KEY") || strings.Contains(logs.String(), "ya29.") {
		t.Fatalf("the log shows a key or a token: %s", logs.String())
	}
}

// Google's rate limits and overloads are retried with growing waits, and
// the request then succeeds; a 403 that is not a rate limit is not retried.
func TestRetries(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		faults []fault
		want   error // nil: success
		calls  int
	}{
		{"403 rateLimitExceeded", []fault{{403, "rateLimitExceeded"}}, nil, 2},
		{"403 userRateLimitExceeded", []fault{{403, "userRateLimitExceeded"}}, nil, 2},
		{"429", []fault{{429, "rateLimitExceeded"}, {429, "rateLimitExceeded"}}, nil, 3},
		{"500 then 503", []fault{{500, "backendError"}, {503, "backendError"}}, nil, 3},
		{"429 past the attempts", []fault{{429, "rateLimitExceeded"}, {429, "rateLimitExceeded"}, {429, "rateLimitExceeded"}, {429, "rateLimitExceeded"}, {429, "rateLimitExceeded"}}, video.ErrRateLimited, 5},
		{"503 past the attempts", []fault{{503, "backendError"}, {503, "backendError"}, {503, "backendError"}, {503, "backendError"}, {503, "backendError"}}, video.ErrUnavailable, 5},
		{"403 forbidden", []fault{{403, "forbidden"}}, video.ErrForbidden, 1},
		{"403 quotaExceeded (daily)", []fault{{403, "quotaExceeded"}}, video.ErrRateLimited, 1},
		{"404", []fault{{404, "notFound"}}, video.ErrNotFound, 1},
		{"400", []fault{{400, "invalid"}}, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newFakeGoogle(t, alice)
			c := g.newClient(t)
			var waits []time.Duration
			c.Retry.Sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			// Take the token first, so that only API calls count.
			if err := c.Token(ctx, alice); err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.faults {
				g.fail(f.status, f.reason, 1)
			}
			_, err := c.WorkingHours(ctx, alice)
			switch {
			case tc.name == "400":
				if _, ok := errors.AsType[*video.ValidationError](err); !ok {
					t.Fatalf("400: %v", err)
				}
			case tc.want == nil && err != nil:
				t.Fatalf("err %v", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if n := len(g.apiCalls()); n != tc.calls {
				t.Fatalf("%d calls, want %d", n, tc.calls)
			}
			for i, w := range waits {
				if want := 500 * time.Millisecond << i; w != want {
					t.Fatalf("wait %d is %v, want %v (exponential from 500 ms)", i, w, want)
				}
			}
			if rl, ok := errors.AsType[*video.RateLimitError](err); ok && tc.name == "403 quotaExceeded (daily)" {
				if !rl.Daily || !rl.RetryAt.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
					t.Fatalf("daily quota: %+v", rl)
				}
			}
		})
	}
}

// A retry never outlives its context.
func TestRetryHonoursContext(t *testing.T) {
	g := newFakeGoogle(t, alice)
	c := g.newClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	c.Retry.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	g.fail(503, "backendError", 5)
	_, err := c.WorkingHours(ctx, alice)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if n := len(g.apiCalls()); n != 1 {
		t.Fatalf("%d calls after cancel", n)
	}
}

func TestRetryWait(t *testing.T) {
	p := RetryPolicy{Base: time.Second, Max: 10 * time.Second}
	for _, tc := range []struct {
		n     int
		after time.Duration
		want  time.Duration
	}{
		{0, 0, time.Second}, {1, 0, 2 * time.Second}, {3, 0, 8 * time.Second}, {4, 0, 10 * time.Second},
		{60, 0, 10 * time.Second}, {0, 5 * time.Second, 5 * time.Second}, {0, time.Hour, 10 * time.Second},
	} {
		if got := p.wait(tc.n, tc.after); got != tc.want {
			t.Errorf("wait(%d, %v) = %v, want %v", tc.n, tc.after, got, tc.want)
		}
	}
}

func TestWorkingHours(t *testing.T) {
	g := newFakeGoogle(t, alice)
	wh, err := g.newClient(t).WorkingHours(context.Background(), alice)
	if err != nil || wh.TimeZone != "Europe/Paris" || wh.Days != nil || wh.Start != "" {
		t.Fatalf("WorkingHours = %+v, %v", wh, err)
	}
	if q := g.query("calendar.events.list"); q.Get("maxResults") != "1" {
		t.Fatalf("events.list %v", q)
	}
}

func TestFreeBusy(t *testing.T) {
	var users []string
	for i := range 120 {
		users = append(users, "u"+string(rune('a'+i/26))+string(rune('a'+i%26))+"@example.com")
	}
	g := newFakeGoogle(t, users...)
	g.add(users[0], &calendar.Event{Id: "busy1", Start: &calendar.EventDateTime{DateTime: "2026-03-02T09:00:00+01:00"}, End: &calendar.EventDateTime{DateTime: "2026-03-02T10:00:00+01:00"}})
	c := g.newClient(t)
	asked := append(users, "ghost@example.com")
	from, to := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	got, err := c.FreeBusy(context.Background(), asked, from, to)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, call := range g.apiCalls() {
		if call == "calendar.freebusy.query" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d freebusy.query calls for 121 people, want 3 (50 a call)", n)
	}
	if len(got) != 121 {
		t.Fatalf("%d answers", len(got))
	}
	if b := got[users[0]].Busy; len(b) != 1 || !b[0].Start.Equal(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)) || b[0].Start.Location() != time.UTC {
		t.Fatalf("busy %+v", b)
	}
	if !errors.Is(got["ghost@example.com"].Err, video.ErrHostNotFound) {
		t.Fatalf("ghost: %+v", got["ghost@example.com"])
	}
	if got[users[1]].Err != nil {
		t.Fatal(got[users[1]].Err)
	}
}

// A person whose own token Google refuses is answered with the error,
// and the others through another person.
func TestFreeBusyActorUnknown(t *testing.T) {
	g := newFakeGoogle(t, alice, bob)
	got, err := g.newClient(t).FreeBusy(context.Background(), []string{"ghost@example.com", alice, bob}, time.Now(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(got["ghost@example.com"].Err, video.ErrHostNotFound) || got[alice].Err != nil || got[bob].Err != nil {
		t.Fatalf("%+v", got)
	}
}

func TestEventID(t *testing.T) {
	a, b := EventID("outbox:1"), EventID("outbox:2")
	if a == b || a != EventID("outbox:1") {
		t.Fatal("EventID is not a function of the key")
	}
	for _, r := range a {
		if !(r >= 'a' && r <= 'v' || r >= '0' && r <= '9') {
			t.Fatalf("%q has %q: Google's ids are base32hex (a-v, 0-9)", a, r)
		}
	}
	if len(a) < 5 || len(a) > 1024 {
		t.Fatalf("len %d", len(a))
	}
}
