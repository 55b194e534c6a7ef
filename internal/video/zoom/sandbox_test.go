package zoom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/video"
	"github.com/convene/convene/internal/video/zoom"
	"github.com/convene/convene/internal/zoomsandbox"
)

// Integration tests: the client against the Zoom sandbox's real handler
// over a real socket, sharing one fake clock.

// sandboxTokens gets server-to-server tokens from the sandbox's
// /oauth/token (grant_type=account_credentials, zoom-api.md §4.3), as the
// marketplace package will from Zoom.
type sandboxTokens struct {
	base string
	hc   *http.Client

	mu      sync.Mutex
	token   string
	fetched int
}

func (s *sandboxTokens) fetch(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"account_credentials"}, "account_id": {zoomsandbox.DefaultAccountID}}
	req, err := http.NewRequestWithContext(ctx, "POST", s.base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(zoomsandbox.DefaultClientID, zoomsandbox.DefaultClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil || resp.StatusCode != 200 || t.AccessToken == "" {
		return "", fmt.Errorf("token: HTTP %d %v: %w", resp.StatusCode, err, video.ErrUnauthorized)
	}
	s.fetched++
	s.token = t.AccessToken
	return t.AccessToken, nil
}

func (s *sandboxTokens) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" {
		return s.token, nil
	}
	return s.fetch(ctx)
}

func (s *sandboxTokens) Refresh(ctx context.Context, rejected string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != rejected {
		return s.token, nil // another request already renewed it
	}
	return s.fetch(ctx)
}

type sandbox struct {
	ts     *httptest.Server
	clock  *clocktest.Clock
	tokens *sandboxTokens
	c      *zoom.Client
	sleeps int
}

// sandboxNow is the tests' "now": Monday 2030-01-07 08:00 UTC.
var sandboxNow = time.Date(2030, 1, 7, 8, 0, 0, 0, time.UTC)

func newSandbox(t testing.TB) *sandbox {
	t.Helper()
	sb := &sandbox{clock: clocktest.New(sandboxNow)}
	var (
		mu sync.RWMutex
		h  http.Handler = http.NotFoundHandler()
	)
	sb.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		hh := h
		mu.RUnlock()
		hh.ServeHTTP(w, r)
	}))
	t.Cleanup(sb.ts.Close)
	srv, err := zoomsandbox.New(zoomsandbox.Options{
		BaseURL:  sb.ts.URL,
		Domains:  []string{"example.com"},
		Now:      sb.clock.Now,
		Rand:     rand.NewChaCha8([32]byte{7}),
		Controls: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	mu.Lock()
	h = srv
	mu.Unlock()
	sb.tokens = &sandboxTokens{base: sb.ts.URL, hc: sb.ts.Client()}
	sb.c = &zoom.Client{
		BaseURL:    sb.ts.URL + "/v2",
		HTTPClient: sb.ts.Client(),
		Tokens:     sb.tokens,
		Now:        sb.clock.Now,
		Rand:       rand.New(rand.NewPCG(3, 4)),
		Sleep: func(ctx context.Context, d time.Duration) error {
			sb.sleeps++
			sb.clock.Advance(d)
			return ctx.Err()
		},
		Retry: zoom.RetryPolicy{Timeout: 5 * time.Second},
	}
	return sb
}

// control sends a test-control request and decodes its JSON answer.
func (sb *sandbox) control(t testing.TB, method, path string, body any, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, sb.ts.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	resp, err := sb.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
}

// meetings returns every meeting the sandbox holds (GET /_sandbox/meetings).
func (sb *sandbox) meetings(t testing.TB) []*video.Meeting {
	t.Helper()
	var l struct {
		Meetings []json.RawMessage `json:"meetings"`
	}
	sb.control(t, "GET", "/_sandbox/meetings", nil, &l)
	var out []*video.Meeting
	for _, raw := range l.Meetings {
		m, err := zoom.DecodeMeeting(raw)
		if err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		out = append(out, m)
	}
	return out
}

func (sb *sandbox) fault(t testing.TB, f map[string]any) {
	t.Helper()
	sb.control(t, "POST", "/_sandbox/faults", f, nil)
}

func TestSandboxScheduledMeeting(t *testing.T) {
	sb := newSandbox(t)
	ctx := context.Background()
	paris, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2030, 3, 31, 10, 0, 0, 0, paris) // the day DST starts
	m, err := sb.c.Create(ctx, "alice@example.com", video.Spec{
		Topic: "Design review", StartTime: start, Duration: 45, Agenda: video.String("Q2 plan"),
		Settings: video.Settings{JoinBeforeHost: video.Bool(false), WaitingRoom: video.Bool(true), MuteUponEntry: video.Bool(true), AutoRecording: video.String("none")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == "" || m.UUID == "" || m.HostID == "" || m.HostEmail != "alice@example.com" || m.Type != video.Scheduled {
		t.Errorf("ids %+v", m)
	}
	if !m.StartTime.Equal(start) || m.Timezone != "Europe/Paris" || m.Duration != 45 || m.Agenda != "Q2 plan" {
		t.Errorf("schedule %v %s %d %q", m.StartTime, m.Timezone, m.Duration, m.Agenda)
	}
	if m.Password == "" || m.H323Password == "" || m.PSTNPassword == "" || m.EncryptedPassword == "" || m.JoinURL == "" || m.StartURL == "" {
		t.Errorf("credentials %+v", m)
	}
	if s := m.Settings; s.WaitingRoom == nil || !*s.WaitingRoom || s.JoinBeforeHost == nil || *s.JoinBeforeHost || s.MuteUponEntry == nil || !*s.MuteUponEntry {
		t.Errorf("settings %+v", m.Settings)
	}

	got, err := sb.c.Get(ctx, m.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != m.ID || got.Password != m.Password || !got.StartTime.Equal(start) || got.JoinURL != m.JoinURL {
		t.Errorf("get %+v", got)
	}

	// Reschedule: only the set fields change, the re-read shows them.
	later := start.Add(26 * time.Hour)
	upd, err := sb.c.Update(ctx, m.ID, "", video.Spec{StartTime: later, Duration: 30, Settings: video.Settings{MuteUponEntry: video.Bool(false)}})
	if err != nil {
		t.Fatal(err)
	}
	if !upd.StartTime.Equal(later) || upd.Duration != 30 || upd.Topic != "Design review" || upd.Agenda != "Q2 plan" ||
		*upd.Settings.MuteUponEntry || !*upd.Settings.WaitingRoom {
		t.Errorf("after update %+v %+v", upd, upd.Settings)
	}
	if local := upd.StartTime.In(paris); local.Hour() != 12 || local.Day() != 1 {
		t.Errorf("local start %v", local)
	}

	inv, err := sb.c.Invitation(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(inv.Text, "Design review") || !strings.Contains(inv.Text, "\r\n") {
		t.Errorf("invitation %q", inv.Text)
	}

	list, err := sb.c.List(ctx, "alice@example.com")
	if err != nil || len(list) != 1 || list[0].ID != m.ID || list[0].Topic != "Design review" {
		t.Fatalf("list %+v %v", list, err)
	}

	if err := sb.c.Delete(ctx, m.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.c.Get(ctx, m.ID, ""); !errors.Is(err, video.ErrNotFound) || !video.IsPermanent(err) {
		t.Errorf("get after delete: %v", err)
	}
	if err := sb.c.Delete(ctx, m.ID, ""); !errors.Is(err, video.ErrNotFound) {
		t.Errorf("delete again: %v", err)
	}
	if n := len(sb.meetings(t)); n != 0 {
		t.Errorf("%d meetings left", n)
	}
}

func TestSandboxRecurringMeeting(t *testing.T) {
	sb := newSandbox(t)
	ctx := context.Background()
	ny, _ := time.LoadLocation("America/New_York")
	// Mondays and Wednesdays at 09:30 New York time, across the 2030-03-10
	// DST change.
	start := time.Date(2030, 3, 4, 9, 30, 0, 0, ny)
	m, err := sb.c.Create(ctx, "bob@example.com", video.Spec{
		Topic: "Standup", Type: video.RecurringFixedTime, StartTime: start, Duration: 15,
		Recurrence: &video.Recurrence{Type: video.Weekly, RepeatInterval: 1,
			WeeklyDays: []int{video.ZoomWeekday(time.Monday), video.ZoomWeekday(time.Wednesday)}, EndTimes: 4},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != video.RecurringFixedTime || m.Recurrence == nil || len(m.Recurrence.WeeklyDays) != 2 || m.Recurrence.EndTimes != 4 {
		t.Fatalf("recurrence %+v", m.Recurrence)
	}
	if len(m.Occurrences) != 4 {
		t.Fatalf("%d occurrences: %+v", len(m.Occurrences), m.Occurrences)
	}
	for i, o := range m.Occurrences {
		local := o.StartTime.In(ny)
		if local.Hour() != 9 || local.Minute() != 30 || o.Status != video.OccurrenceAvailable || o.ID == "" {
			t.Errorf("occurrence %d: %v %+v", i, local, o)
		}
	}

	// Change one occurrence: longer, the others untouched.
	occ := m.Occurrences[2]
	got, err := sb.c.Update(ctx, m.ID, occ.ID, video.Spec{Duration: 40})
	if err != nil {
		t.Fatal(err)
	}
	if got.Duration != 40 {
		t.Errorf("occurrence after update: %+v", got)
	}
	whole, err := sb.c.Get(ctx, m.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range whole.Occurrences {
		if want := map[bool]int{true: 40, false: 15}[o.ID == occ.ID]; o.Duration != want {
			t.Errorf("occurrence %s duration %d, want %d", o.ID, o.Duration, want)
		}
	}

	// Cancel one occurrence, then the series.
	if err := sb.c.Delete(ctx, m.ID, m.Occurrences[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := sb.c.Delete(ctx, m.ID, m.Occurrences[1].ID); !errors.Is(err, video.ErrNotFound) {
		t.Errorf("deleting a deleted occurrence: %v", err)
	}
	whole, err = sb.c.Get(ctx, m.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	deleted := 0
	for _, o := range whole.Occurrences {
		if o.Status == video.OccurrenceDeleted {
			deleted++
		}
	}
	if deleted != 1 || len(whole.Occurrences) != 4 {
		t.Errorf("after deleting one occurrence: %+v", whole.Occurrences)
	}
	inv, err := sb.c.Invitation(ctx, m.ID)
	if err != nil || !strings.Contains(inv.Text, "Standup") {
		t.Errorf("invitation %q %v", inv.Text, err)
	}
	if err := sb.c.Delete(ctx, m.ID, ""); err != nil {
		t.Fatal(err)
	}
	if n := len(sb.meetings(t)); n != 0 {
		t.Errorf("%d meetings left", n)
	}
}

// DESIGN §2b: an organizer without a Zoom user in the account gets a clear
// error, never a meeting hosted by someone else.
func TestSandboxUnknownHost(t *testing.T) {
	sb := newSandbox(t)
	_, err := sb.c.Create(context.Background(), "stranger@elsewhere.org", video.Spec{Topic: "x", StartTime: sandboxNow.Add(time.Hour), Duration: 30})
	if !errors.Is(err, video.ErrHostNotFound) || !video.IsPermanent(err) {
		t.Fatalf("error %v", err)
	}
	e, _ := errors.AsType[*video.Error](err)
	if e.Code != zoom.CodeUserNotFound || e.Status != 404 || e.TrackingID == "" {
		t.Errorf("error %+v", e)
	}
	if n := len(sb.meetings(t)); n != 0 {
		t.Errorf("%d meetings", n)
	}
	if _, err := sb.c.User(context.Background(), "stranger@elsewhere.org"); !errors.Is(err, video.ErrHostNotFound) {
		t.Errorf("user: %v", err)
	}
	u, err := sb.c.User(context.Background(), "carol@example.com")
	if err != nil || u.Email != "carol@example.com" || u.ID == "" {
		t.Errorf("user %+v %v", u, err)
	}
}

// Each fault ends with exactly one Zoom meeting.
func TestSandboxFaultsExactlyOnce(t *testing.T) {
	tests := []struct {
		name    string
		faults  []map[string]any
		timeout time.Duration
	}{
		{"503 twice on create", []map[string]any{{"status": 503, "times": 2, "method": "POST"}}, 0},
		{"503 twice on everything", []map[string]any{{"status": 503, "times": 2}}, 0},
		{"429 per second", []map[string]any{{"status": 429, "method": "POST"}}, 0},
		{"429 per second with Retry-After", []map[string]any{{"status": 429, "method": "POST", "retry_after": "1"}}, 0},
		{"commit then drop", []map[string]any{{"commit_then_drop": true, "method": "POST"}}, 0},
		{"commit then drop, then 503 on the look-up", []map[string]any{{"commit_then_drop": true, "method": "POST"}, {"status": 503, "method": "GET"}}, 0},
		// The sandbox holds the request, then performs it although the
		// client gave up: a slow Zoom. Only the settle wait before the
		// look-up keeps the retry from making a second meeting.
		{"delay beyond the time-out", []map[string]any{{"delay_ms": 800, "method": "POST"}}, 200 * time.Millisecond},
		{"token expired", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := newSandbox(t)
			if tt.timeout != 0 {
				sb.c.Retry.Timeout = tt.timeout
				sb.c.Retry.Settle = 1200 * time.Millisecond
				fake := sb.c.Sleep
				sb.c.Sleep = func(ctx context.Context, d time.Duration) error {
					time.Sleep(d) // real time: the sandbox's handler runs in it
					return fake(ctx, d)
				}
			}
			if _, err := sb.tokens.Token(context.Background()); err != nil {
				t.Fatal(err)
			}
			if tt.name == "token expired" {
				sb.control(t, "POST", "/_sandbox/tokens/expire", map[string]any{}, nil)
			}
			for _, f := range tt.faults {
				sb.fault(t, f)
			}
			m, err := sb.c.CreateOnce(context.Background(), "alice@example.com",
				video.Spec{Topic: "Design review", StartTime: sandboxNow.Add(48 * time.Hour), Duration: 45, Timezone: "Europe/Paris"},
				video.CreateRef{Key: "booking-1/create"})
			if err != nil {
				t.Fatal(err)
			}
			if tt.timeout != 0 {
				// Count only once the sandbox has performed the held
				// request.
				deadline := time.Now().Add(10 * time.Second)
				for {
					var f struct{ Held, Released int }
					sb.control(t, "GET", "/_sandbox/faults", nil, &f)
					if f.Held == 0 && f.Released == 1 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the held request was not performed: %+v", f)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			all := sb.meetings(t)
			if len(all) != 1 {
				t.Fatalf("%d meetings at the sandbox, want exactly 1", len(all))
			}
			if all[0].ID != m.ID || m.Password == "" || m.StartURL == "" {
				t.Errorf("returned %+v, sandbox has %s", m, all[0].ID)
			}
			var pending struct {
				Faults []json.RawMessage `json:"faults"`
			}
			sb.control(t, "GET", "/_sandbox/faults", nil, &pending)
			if len(pending.Faults) != 0 {
				t.Errorf("faults not consumed: %s", pending.Faults)
			}
			if tt.name == "token expired" && sb.tokens.fetched != 2 {
				t.Errorf("%d tokens fetched, want a refresh", sb.tokens.fetched)
			}
		})
	}
}

// A daily limit is not waited out: RetryAt is the next 00:00 UTC, nothing
// is created, and the host is paused in the client.
func TestSandboxDailyLimit(t *testing.T) {
	sb := newSandbox(t)
	ctx := context.Background()
	spec := video.Spec{Topic: "x", StartTime: sandboxNow.Add(72 * time.Hour), Duration: 30}
	sb.fault(t, map[string]any{"status": 429, "daily_limit": true, "method": "POST"})
	_, err := sb.c.CreateOnce(ctx, "alice@example.com", spec, video.CreateRef{Key: "k"})
	rl, ok := errors.AsType[*video.RateLimitError](err)
	midnight := time.Date(2030, 1, 8, 0, 0, 0, 0, time.UTC)
	if !ok || !rl.Daily || rl.Host != "alice@example.com" || !rl.RetryAt.Equal(midnight) || video.IsPermanent(err) {
		t.Fatalf("error %v (%+v)", err, rl)
	}
	if sb.sleeps != 0 || len(sb.meetings(t)) != 0 {
		t.Errorf("sleeps %d meetings %d", sb.sleeps, len(sb.meetings(t)))
	}
	// Paused: fails without asking Zoom; other hosts go on.
	if _, err := sb.c.Create(ctx, "alice@example.com", spec); !errors.Is(err, video.ErrRateLimited) {
		t.Errorf("paused host: %v", err)
	}
	if _, err := sb.c.Create(ctx, "bob@example.com", spec); err != nil {
		t.Errorf("other host: %v", err)
	}
	sb.clock.Advance(midnight.Sub(sb.clock.Now()))
	if _, err := sb.c.Create(ctx, "alice@example.com", spec); err != nil {
		t.Errorf("after midnight: %v", err)
	}

	// The sandbox's own count: the 101st create or update of a host in a
	// day is refused with Retry-After.
	for i := range 99 {
		if _, err := sb.c.Create(ctx, "alice@example.com", spec); err != nil {
			t.Fatalf("create %d: %v", i+2, err)
		}
	}
	_, err = sb.c.Create(ctx, "alice@example.com", spec)
	if at, ok := video.RetryAt(err); !ok || !at.Equal(midnight.Add(24*time.Hour)) {
		t.Errorf("101st create: %v", err)
	}
}

func BenchmarkSandboxCreateGet(b *testing.B) {
	sb := newSandbox(b)
	ctx := context.Background()
	spec := video.Spec{Topic: "bench", StartTime: sandboxNow.Add(time.Hour), Duration: 30}
	for i := 0; b.Loop(); i++ {
		// A new host every 90 meetings: Zoom allows 100 creates a day each.
		m, err := sb.c.Create(ctx, fmt.Sprintf("user%d@example.com", i/90), spec)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sb.c.Get(ctx, m.ID, ""); err != nil {
			b.Fatal(err)
		}
	}
}
