package zoom

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/video"
)

func onceSpec() video.Spec {
	return video.Spec{Topic: "Design review", StartTime: testStart.Add(48 * time.Hour), Duration: 45, Timezone: "Europe/Paris"}
}

// Every way a create can lose its answer ends with exactly one meeting.
func TestCreateOnceFaults(t *testing.T) {
	tests := []struct {
		name    string
		faults  []fault
		timeout time.Duration
		posts   int // POST requests Zoom saw
		lists   int // list requests (look-ups)
		settle  bool
	}{
		{name: "no fault", posts: 1, lists: 0},
		{name: "503 twice before commit",
			faults: []fault{{Method: "POST", Status: 503, Body: `{"code":503,"message":"Service Unavailable"}`}, {Method: "POST", Status: 503, Body: `{"code":503,"message":"Service Unavailable"}`}},
			posts:  3, lists: 2},
		{name: "connection cut before commit",
			faults: []fault{{Method: "POST", Drop: true}},
			posts:  2, lists: 1},
		{name: "commit then connection cut",
			faults: []fault{{Method: "POST", CommitFirst: true, Drop: true}},
			posts:  1, lists: 1},
		{name: "commit then 502 from a proxy",
			faults: []fault{{Method: "POST", CommitFirst: true, Status: 502, Body: "<html>502 Bad Gateway</html>"}},
			posts:  1, lists: 1},
		{name: "commit then time-out",
			faults:  []fault{{Method: "POST", CommitFirst: true, Status: 201, Body: "{}", Delay: 300 * time.Millisecond}},
			timeout: 100 * time.Millisecond, posts: 1, lists: 1, settle: true},
		{name: "429 per second then created",
			faults: []fault{{Method: "POST", Status: 429, Body: `{"code":429,"message":"You have reached the maximum per-second rate limit for this API. Try again later."}`}},
			posts:  2, lists: 0},
		{name: "cut twice, then look-up fails once",
			faults: []fault{{Method: "POST", Drop: true}, {Method: "GET", Path: "/meetings", Status: 503}, {Method: "POST", Drop: true}},
			posts:  3, lists: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := newFakeZoom(clocktest.New(testStart))
			for _, f := range tt.faults {
				z.addFault(f)
			}
			h := newHarness(t, z, z.clock)
			if tt.timeout != 0 {
				h.c.Retry.Timeout = tt.timeout
			}
			m, err := h.c.CreateOnce(context.Background(), "o@example.com", onceSpec(), video.CreateRef{Key: "job-1"})
			if err != nil {
				t.Fatal(err)
			}
			live := z.live()
			if len(live) != 1 {
				t.Fatalf("%d meetings at Zoom, want exactly 1", len(live))
			}
			if m.ID != strconv.FormatInt(int64(live[0].ID), 10) {
				t.Errorf("returned meeting %s, Zoom has %d", m.ID, live[0].ID)
			}
			// What a look-up returns is the full meeting, not a list item.
			if m.Password == "" || m.StartURL == "" || m.HostEmail != "o@example.com" {
				t.Errorf("incomplete meeting %+v", m)
			}
			if n := z.count("POST", "/meetings"); n != tt.posts {
				t.Errorf("%d POSTs, want %d", n, tt.posts)
			}
			if n := z.count("GET", "/users/o@example.com/meetings"); n != tt.lists {
				t.Errorf("%d look-ups, want %d", n, tt.lists)
			}
			if tt.settle {
				if s := h.slept(); len(s) == 0 || s[0] < h.c.Retry.withDefaults().Settle {
					t.Errorf("sleeps %v: no settle wait after a time-out", s)
				}
			}
		})
	}
}

// After a crash between the POST and recording its answer, the job's next
// run passes Since and finds the meeting without posting again.
func TestCreateOnceNextRun(t *testing.T) {
	z := newFakeZoom(clocktest.New(testStart))
	h := newHarness(t, z, z.clock)
	first := testStart
	// The first run's create commits but its answer is lost, and Zoom's
	// list is down while it looks: it gives up, uncertain.
	z.addFault(fault{Method: "POST", CommitFirst: true, Drop: true})
	for range 4 {
		z.addFault(fault{Method: "GET", Path: "/meetings", Status: 503})
	}
	_, err := h.c.CreateOnce(context.Background(), "o@example.com", onceSpec(), video.CreateRef{Key: "job-1"})
	if e, ok := errors.AsType[*video.Error](err); !ok || !e.Uncertain || video.IsPermanent(err) {
		t.Fatalf("first run: %v", err)
	}

	// A later run, minutes after.
	z.clock.Advance(10 * time.Minute)
	posts := z.count("POST", "/meetings")
	m, err := h.c.CreateOnce(context.Background(), "o@example.com", onceSpec(), video.CreateRef{Key: "job-1", Since: first})
	if err != nil {
		t.Fatal(err)
	}
	if z.count("POST", "/meetings") != posts {
		t.Error("the next run posted again")
	}
	if len(z.live()) != 1 || m.ID != strconv.FormatInt(int64(z.live()[0].ID), 10) {
		t.Errorf("meetings %d, returned %s", len(z.live()), m.ID)
	}
}

func TestCreateOnceFingerprint(t *testing.T) {
	spec := onceSpec()
	since := testStart
	matching := func() wireMeeting {
		return wireMeeting{Topic: spec.Topic, Type: 2, StartTime: video.FormatTime(spec.StartTime), Duration: 45, Timezone: "Europe/Paris",
			CreatedAt: video.FormatTime(since.Add(3 * time.Second)), Password: "x", JoinURL: "https://zoom.us/j/1"}
	}
	tests := []struct {
		name    string
		seed    func(w *wireMeeting)
		exclude bool
		adopt   bool
	}{
		{"same fingerprint", func(w *wireMeeting) {}, false, true},
		{"created a little before since (clock skew)", func(w *wireMeeting) { w.CreatedAt = video.FormatTime(since.Add(-time.Minute)) }, false, true},
		{"created long before: the host's own meeting", func(w *wireMeeting) { w.CreatedAt = video.FormatTime(since.Add(-time.Hour)) }, false, false},
		{"other topic", func(w *wireMeeting) { w.Topic = "Standup" }, false, false},
		{"other start", func(w *wireMeeting) { w.StartTime = video.FormatTime(spec.StartTime.Add(time.Hour)) }, false, false},
		{"other duration", func(w *wireMeeting) { w.Duration = 30 }, false, false},
		{"other zone", func(w *wireMeeting) { w.Timezone = "Asia/Kolkata" }, false, false},
		{"other type", func(w *wireMeeting) { w.Type = 8 }, false, false},
		{"no created_at", func(w *wireMeeting) { w.CreatedAt = "" }, false, false},
		{"excluded: another booking's", func(w *wireMeeting) {}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := newFakeZoom(clocktest.New(testStart.Add(5 * time.Minute)))
			w := matching()
			tt.seed(&w)
			seeded := z.seed("o@example.com", w)
			// Noise on the first page, and another host's identical meeting.
			for range 400 {
				z.seed("o@example.com", wireMeeting{Topic: "noise", Type: 2, CreatedAt: video.FormatTime(since)})
			}
			z.seed("p@example.com", matching())
			h := newHarness(t, z, z.clock)
			ref := video.CreateRef{Key: "job-1", Since: since}
			if tt.exclude {
				ref.Exclude = func(id string) bool { return id == strconv.FormatInt(seeded, 10) }
			}
			m, err := h.c.CreateOnce(context.Background(), "o@example.com", spec, ref)
			if err != nil {
				t.Fatal(err)
			}
			adopted := m.ID == strconv.FormatInt(seeded, 10)
			if adopted != tt.adopt {
				t.Errorf("adopted = %v, want %v", adopted, tt.adopt)
			}
			posts := z.count("POST", "/meetings")
			if tt.adopt && posts != 0 || !tt.adopt && posts != 1 {
				t.Errorf("%d POSTs", posts)
			}
		})
	}
}

func TestCreateOnceEarliestOfSeveral(t *testing.T) {
	z := newFakeZoom(clocktest.New(testStart.Add(time.Minute)))
	spec := onceSpec()
	w := wireMeeting{Topic: spec.Topic, Type: 2, StartTime: video.FormatTime(spec.StartTime), Duration: 45, CreatedAt: video.FormatTime(testStart.Add(20 * time.Second))}
	z.seed("o@example.com", w)
	w.CreatedAt = video.FormatTime(testStart.Add(10 * time.Second))
	earliest := z.seed("o@example.com", w)
	h := newHarness(t, z, z.clock)
	m, err := h.c.CreateOnce(context.Background(), "o@example.com", spec, video.CreateRef{Since: testStart})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != strconv.FormatInt(earliest, 10) {
		t.Errorf("took %s, want the earliest created %d", m.ID, earliest)
	}
}

func TestCreateOnceGivesUpUncertain(t *testing.T) {
	z := newFakeZoom(clocktest.New(testStart))
	for range 4 {
		z.addFault(fault{Method: "POST", Drop: true})
	}
	h := newHarness(t, z, z.clock)
	_, err := h.c.CreateOnce(context.Background(), "o@example.com", onceSpec(), video.CreateRef{Key: "job-1"})
	e, ok := errors.AsType[*video.Error](err)
	if !ok || !e.Uncertain || video.IsPermanent(err) || !errors.Is(err, video.ErrUnavailable) {
		t.Fatalf("error %v", err)
	}
	if z.count("POST", "/meetings") != 4 || z.count("GET", "/users/o@example.com/meetings") != 4 || len(z.live()) != 0 {
		t.Errorf("posts %d lists %d meetings %d", z.count("POST", "/meetings"), z.count("GET", "/users/o@example.com/meetings"), len(z.live()))
	}

	// When the look-up itself keeps failing, the client never posts blind.
	z2 := newFakeZoom(clocktest.New(testStart))
	z2.addFault(fault{Method: "POST", Drop: true})
	for range 4 {
		z2.addFault(fault{Method: "GET", Path: "/meetings", Status: 500, Body: `{"code":500,"message":"x"}`})
	}
	h2 := newHarness(t, z2, z2.clock)
	_, err = h2.c.CreateOnce(context.Background(), "o@example.com", onceSpec(), video.CreateRef{})
	if e, ok := errors.AsType[*video.Error](err); !ok || !e.Uncertain {
		t.Fatalf("error %v", err)
	}
	if n := z2.count("POST", "/meetings"); n != 1 {
		t.Errorf("%d POSTs without a successful look-up", n)
	}
}

func TestCreateOnceRefusalsAreNotRetried(t *testing.T) {
	z := newFakeZoom(clocktest.New(testStart))
	z.users = map[string]bool{"o@example.com": true}
	h := newHarness(t, z, z.clock)
	_, err := h.c.CreateOnce(context.Background(), "stranger@example.org", onceSpec(), video.CreateRef{Key: "job-1"})
	if !errors.Is(err, video.ErrHostNotFound) || !video.IsPermanent(err) {
		t.Fatalf("error %v", err)
	}
	if len(z.requests) != 1 {
		t.Errorf("%d requests", len(z.requests))
	}
	// The message names the organizer and the reference.
	if got := err.Error(); got[:len("zoom: create meeting for stranger@example.org (job-1): HTTP 404, code 1001")] != "zoom: create meeting for stranger@example.org (job-1): HTTP 404, code 1001" {
		t.Errorf("message %q", got)
	}
}

// Zoom does not list instant meetings: no look-up is attempted for them.
func TestCreateOnceInstant(t *testing.T) {
	z := newFakeZoom(clocktest.New(testStart))
	z.addFault(fault{Method: "POST", Drop: true})
	h := newHarness(t, z, z.clock)
	if _, err := h.c.CreateOnce(context.Background(), "o@example.com", video.Spec{Topic: "now", Type: video.Instant}, video.CreateRef{}); err != nil {
		t.Fatal(err)
	}
	if n := z.count("GET", "/users/o@example.com/meetings"); n != 0 {
		t.Errorf("%d look-ups for an instant meeting", n)
	}
}

// A create sent by an attempt that died (Posted recorded, no answer) may
// still complete at Zoom: the next run does not post before it can no
// longer complete, and then adopts what it made.
func TestCreateOnceWaitsForAnInFlightCreate(t *testing.T) {
	spec := onceSpec()
	first := testStart
	posted := testStart.Add(200 * time.Millisecond)
	z := newFakeZoom(clocktest.New(posted.Add(35 * time.Millisecond))) // restarted at once
	h := newHarness(t, z, z.clock)
	window := h.c.CreateWindow()
	if p := h.c.Retry.withDefaults(); window != p.Timeout+p.Settle || p.Settle < time.Second {
		t.Fatalf("window %v from %+v", window, p)
	}
	ref := video.CreateRef{Key: "job-1", Since: first, Posted: posted}

	_, err := h.c.CreateOnce(context.Background(), "o@example.com", spec, ref)
	at, ok := video.RetryAt(err)
	if _, isWait := errors.AsType[*video.InFlightError](err); !isWait || !ok || !at.Equal(posted.Add(window)) || video.IsPermanent(err) {
		t.Fatalf("while the first create may complete: %v (retry at %v, want %v)", err, at, posted.Add(window))
	}
	if n := z.count("POST", "/meetings"); n != 0 {
		t.Fatalf("%d POSTs while the first create is in flight", n)
	}

	// Zoom completes the held create 3 s after it was sent; the job comes
	// back when it said.
	held := z.seed("o@example.com", wireMeeting{Topic: spec.Topic, Type: 2, StartTime: video.FormatTime(spec.StartTime), Duration: 45,
		Timezone: "Europe/Paris", CreatedAt: video.FormatTime(posted.Add(3 * time.Second)), Password: "x", JoinURL: "https://zoom.us/j/1"})
	z.clock.Advance(at.Sub(z.clock.Now()))
	m, err := h.c.CreateOnce(context.Background(), "o@example.com", spec, ref)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != strconv.FormatInt(held, 10) || z.count("POST", "/meetings") != 0 {
		t.Errorf("took %s after %d POSTs, want the held create's %d and none", m.ID, z.count("POST", "/meetings"), held)
	}
}

// Once the window has passed and nothing was made, the create is sent,
// recorded first through Posting.
func TestCreateOnceAfterTheWindow(t *testing.T) {
	posted := testStart
	z := newFakeZoom(clocktest.New(testStart))
	h := newHarness(t, z, z.clock)
	z.clock.Advance(h.c.CreateWindow())
	var recorded []time.Time
	ref := video.CreateRef{Key: "job-1", Since: testStart, Posted: posted, Posting: func(_ context.Context, at time.Time) error {
		if n := z.count("POST", "/meetings"); n != len(recorded) {
			t.Errorf("recorded after the POST (%d POSTs, %d records)", n, len(recorded))
		}
		recorded = append(recorded, at)
		return nil
	}}
	m, err := h.c.CreateOnce(context.Background(), "o@example.com", onceSpec(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(z.live()) != 1 || z.count("POST", "/meetings") != 1 || len(recorded) != 1 || !recorded[0].Equal(z.clock.Now()) {
		t.Errorf("meeting %s: %d live, %d POSTs, records %v", m.ID, len(z.live()), z.count("POST", "/meetings"), recorded)
	}

	// A record that fails stops the create before anything is sent.
	z2 := newFakeZoom(clocktest.New(testStart))
	h2 := newHarness(t, z2, z2.clock)
	boom := errors.New("disk full")
	_, err = h2.c.CreateOnce(context.Background(), "o@example.com", onceSpec(), video.CreateRef{Posting: func(context.Context, time.Time) error { return boom }})
	if !errors.Is(err, boom) || z2.count("POST", "/meetings") != 0 {
		t.Errorf("error %v after %d POSTs", err, z2.count("POST", "/meetings"))
	}
}

// Within one attempt: after a failure Zoom did not answer itself (a cut
// connection, a proxy's 502), the look-up that may lead to a second POST
// waits until the first can no longer complete; after Zoom's own 503 it
// does not, and the request is reported refused.
func TestCreateOnceInProcessWait(t *testing.T) {
	tests := []struct {
		name string
		f    fault
		wait bool // for the window before looking
		// refused: Zoom itself said no, the request made nothing
		refused bool
	}{
		{"connection cut", fault{Method: "POST", Drop: true}, true, false},
		{"proxy 502", fault{Method: "POST", Status: 502, Body: "<html>502 Bad Gateway</html>"}, true, false},
		{"Zoom's 503", fault{Method: "POST", Status: 503, Body: `{"code":503,"message":"Service Unavailable"}`}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := newFakeZoom(clocktest.New(testStart))
			z.addFault(tt.f)
			h := newHarness(t, z, z.clock)
			var posts []time.Time
			refused := 0
			ref := video.CreateRef{Key: "job-1", Posting: func(_ context.Context, at time.Time) error { posts = append(posts, at); return nil },
				Refused: func(context.Context) error { refused++; return nil }}
			if _, err := h.c.CreateOnce(context.Background(), "o@example.com", onceSpec(), ref); err != nil {
				t.Fatal(err)
			}
			if (refused == 1) != tt.refused || refused > 1 {
				t.Errorf("%d refusals recorded", refused)
			}
			if len(posts) != 2 || len(z.live()) != 1 {
				t.Fatalf("posts %v, %d meetings", posts, len(z.live()))
			}
			waited := posts[1].Sub(posts[0]) >= h.c.CreateWindow()
			if waited != tt.wait {
				t.Errorf("second POST %v after the first; waited for the window (%v): %v, want %v", posts[1].Sub(posts[0]), h.c.CreateWindow(), waited, tt.wait)
			}
		})
	}
}

// Duplicates lists every meeting attempts of the create made, except the
// one kept and other bookings'.
func TestDuplicates(t *testing.T) {
	spec := onceSpec()
	z := newFakeZoom(clocktest.New(testStart.Add(time.Minute)))
	w := wireMeeting{Topic: spec.Topic, Type: 2, StartTime: video.FormatTime(spec.StartTime), Duration: 45, Timezone: "Europe/Paris",
		CreatedAt: video.FormatTime(testStart.Add(time.Second))}
	keep := z.seed("o@example.com", w)
	w.CreatedAt = video.FormatTime(testStart.Add(3 * time.Second))
	dup := z.seed("o@example.com", w)
	other := z.seed("o@example.com", w) // another booking's, same fingerprint
	w.CreatedAt = video.FormatTime(testStart.Add(-time.Hour))
	z.seed("o@example.com", w) // the host's own, made long before
	w.CreatedAt, w.Topic = video.FormatTime(testStart.Add(2*time.Second)), "Standup"
	z.seed("o@example.com", w)
	h := newHarness(t, z, z.clock)
	ref := video.CreateRef{Key: "job-1", Since: testStart, Exclude: func(id string) bool { return id == strconv.FormatInt(other, 10) }}
	got, err := h.c.Duplicates(context.Background(), "o@example.com", spec, ref, strconv.FormatInt(keep, 10))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != strconv.FormatInt(dup, 10) {
		t.Errorf("duplicates %+v, want only %d", got, dup)
	}
	var _ video.Duplicates = h.c
}

// A create repeated inside one call (after a per-second 429 waited out, or
// a token refresh) is recorded each time it is sent, and each refusal is
// reported: the record always names the last request that left.
func TestCreateOnceRecordsEverySend(t *testing.T) {
	z := newFakeZoom(clocktest.New(testStart))
	z.addFault(fault{Method: "POST", Status: 429, Header: map[string]string{"Retry-After": "2"},
		Body: `{"code":429,"message":"You have reached the maximum per-second rate limit for this API. Try again later."}`})
	h := newHarness(t, z, z.clock)
	var sends []time.Time
	ref := video.CreateRef{Key: "job-1", Posting: func(_ context.Context, at time.Time) error { sends = append(sends, at); return nil }}
	if _, err := h.c.CreateOnce(context.Background(), "o@example.com", onceSpec(), ref); err != nil {
		t.Fatal(err)
	}
	if n := z.count("POST", "/meetings"); len(sends) != n || n != 2 || !sends[1].After(sends[0]) {
		t.Errorf("%d POSTs, sends recorded at %v", n, sends)
	}
}
