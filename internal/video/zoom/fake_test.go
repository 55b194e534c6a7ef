package zoom

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/video"
)

// testTokens is a TokenSource that counts refreshes.
type testTokens struct {
	mu         sync.Mutex
	token      string
	refreshes  []string // rejected tokens
	refreshErr error
	tokenErr   error
}

func (s *testTokens) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token, s.tokenErr
}

func (s *testTokens) Refresh(_ context.Context, rejected string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshes = append(s.refreshes, rejected)
	if s.refreshErr != nil {
		return "", s.refreshErr
	}
	s.token = fmt.Sprintf("tok-%d", len(s.refreshes)+1)
	return s.token, nil
}

// harness is a client wired to a test server with a fake clock and sleep.
type harness struct {
	c      *Client
	srv    *httptest.Server
	clock  *clocktest.Clock
	tokens *testTokens
	mu     sync.Mutex
	sleeps []time.Duration

	srvRequests func() []recorded // set by tests that need it
}

func (h *harness) slept() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.sleeps...)
}

var testStart = time.Date(2030, 1, 15, 10, 0, 0, 0, time.UTC)

func newHarness(t testing.TB, handler http.Handler, clock *clocktest.Clock) *harness {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	if clock == nil {
		clock = clocktest.New(testStart)
	}
	h := &harness{srv: srv, clock: clock, tokens: &testTokens{token: "tok-1"}}
	h.c = &Client{
		BaseURL:    srv.URL + "/v2",
		HTTPClient: srv.Client(),
		Tokens:     h.tokens,
		Now:        clock.Now,
		Rand:       rand.New(rand.NewPCG(1, 2)),
		Sleep: func(ctx context.Context, d time.Duration) error {
			h.mu.Lock()
			h.sleeps = append(h.sleeps, d)
			h.mu.Unlock()
			clock.Advance(d)
			return ctx.Err()
		},
		Retry: RetryPolicy{Timeout: 5 * time.Second},
	}
	return h
}

// recorded is a request a test server saw.
type recorded struct {
	Method string
	Path   string // escaped, as sent
	Query  url.Values
	Header http.Header
	Body   string
}

// fault is a scripted answer of fakeZoom to the next request matching
// Method and Path (a suffix of the escaped path; empty: any).
type fault struct {
	Method, Path string
	Status       int
	Header       map[string]string
	Body         string
	CommitFirst  bool          // do the operation, then answer with the fault
	Drop         bool          // close the connection instead of answering
	Delay        time.Duration // wait (in real time) before answering
}

// fakeZoom is a small in-memory Zoom Meetings API for unit tests, answering
// as zoom-api.md §1 documents: 201 create, 204 PATCH and DELETE, 404 3001,
// paginated lists, start_time in UTC with Z.
type fakeZoom struct {
	clock *clocktest.Clock

	mu       sync.Mutex
	nextID   int64
	meetings []*fakeMeeting
	faults   []fault
	requests []recorded
	users    map[string]bool // when not nil, the only hosts; others get 1001
}

type fakeMeeting struct {
	host string
	w    wireMeeting
}

func newFakeZoom(clock *clocktest.Clock) *fakeZoom {
	return &fakeZoom{clock: clock, nextID: 85746065120}
}

func (z *fakeZoom) addFault(f fault) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.faults = append(z.faults, f)
}

func (z *fakeZoom) count(method, pathSuffix string) int {
	z.mu.Lock()
	defer z.mu.Unlock()
	n := 0
	for _, r := range z.requests {
		if r.Method == method && strings.HasSuffix(r.Path, pathSuffix) {
			n++
		}
	}
	return n
}

func (z *fakeZoom) live() []wireMeeting {
	z.mu.Lock()
	defer z.mu.Unlock()
	var l []wireMeeting
	for _, m := range z.meetings {
		l = append(l, m.w)
	}
	return l
}

// seed stores a meeting as if it had been created at createdAt.
func (z *fakeZoom) seed(host string, w wireMeeting) int64 {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.nextID++
	w.ID = flexInt(z.nextID)
	z.meetings = append(z.meetings, &fakeMeeting{host: host, w: w})
	return z.nextID
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("X-Zm-Trackingid", "v=2.0;clid=us02;rid=WEB_test")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

func zoomError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg})
}

func drop(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func (z *fakeZoom) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	z.mu.Lock()
	z.requests = append(z.requests, recorded{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(body)})
	var f *fault
	for i, x := range z.faults {
		if x.Method == r.Method && (x.Path == "" || strings.HasSuffix(r.URL.EscapedPath(), x.Path)) {
			f = &x
			z.faults = append(z.faults[:i:i], z.faults[i+1:]...)
			break
		}
	}
	z.mu.Unlock()

	answer := func() {
		if f.Delay > 0 {
			time.Sleep(f.Delay)
		}
		if f.Drop {
			drop(w)
			return
		}
		for k, v := range f.Header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(f.Status)
		io.WriteString(w, f.Body)
	}
	if f != nil && !f.CommitFirst {
		answer()
		return
	}
	rec := httptest.NewRecorder()
	z.serve(rec, r, body)
	if f != nil {
		answer()
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func (z *fakeZoom) serve(w http.ResponseWriter, r *http.Request, body []byte) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
		zoomError(w, 401, 124, "Invalid access token.")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v2")
	z.mu.Lock()
	defer z.mu.Unlock()
	switch {
	case strings.HasPrefix(path, "/users/") && strings.HasSuffix(path, "/meetings"):
		host := strings.TrimSuffix(strings.TrimPrefix(path, "/users/"), "/meetings")
		if z.users != nil && !z.users[host] {
			zoomError(w, 404, 1001, "User does not exist: "+host+".")
			return
		}
		if r.Method == http.MethodPost {
			z.create(w, host, body)
			return
		}
		z.list(w, r, host)
	case strings.HasPrefix(path, "/meetings/"):
		rest := strings.TrimPrefix(path, "/meetings/")
		idText, sub, _ := strings.Cut(rest, "/")
		id, _ := strconv.ParseInt(idText, 10, 64)
		var m *fakeMeeting
		var idx int
		for i, x := range z.meetings {
			if int64(x.w.ID) == id {
				m, idx = x, i
			}
		}
		if m == nil {
			zoomError(w, 404, 3001, fmt.Sprintf("Meeting %s is not found or has expired.", idText))
			return
		}
		switch {
		case sub == "invitation":
			writeJSON(w, 200, map[string]any{"invitation": "Host is inviting you to a scheduled Zoom meeting.\r\n\r\nTopic: " + m.w.Topic + "\r\nJoin Zoom Meeting\r\n" + m.w.JoinURL + "\r\n", "sip_links": []string{idText + "@zoomcrc.com"}})
		case r.Method == http.MethodGet:
			writeJSON(w, 200, m.w)
		case r.Method == http.MethodPatch:
			var s wireSpec
			if err := json.Unmarshal(body, &s); err != nil {
				zoomError(w, 400, 300, "Request Body should be a valid JSON object.")
				return
			}
			if s.Topic != "" {
				m.w.Topic = s.Topic
			}
			if s.StartTime != "" {
				m.w.StartTime = s.StartTime
			}
			if s.Duration != 0 {
				m.w.Duration = flexInt(s.Duration)
			}
			if s.Agenda != nil {
				m.w.Agenda = *s.Agenda
			}
			if s.Settings != nil {
				base := video.Settings{}
				if m.w.Settings != nil {
					base = *m.w.Settings
				}
				merged := base.Overlay(*s.Settings)
				m.w.Settings = &merged
			}
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodDelete:
			z.meetings = append(z.meetings[:idx:idx], z.meetings[idx+1:]...)
			w.WriteHeader(http.StatusNoContent)
		}
	default:
		zoomError(w, 404, 0, "not found")
	}
}

func (z *fakeZoom) create(w http.ResponseWriter, host string, body []byte) {
	var s wireSpec
	if err := json.Unmarshal(body, &s); err != nil {
		zoomError(w, 400, 300, "Request Body should be a valid JSON object.")
		return
	}
	z.nextID++
	id := z.nextID
	m := wireMeeting{
		UUID: fmt.Sprintf("uuid%020d==", id), ID: flexInt(id), HostID: "30R7kT7bTIKSNUFEuH_Qlg", HostEmail: host,
		Topic: s.Topic, Type: flexInt(s.Type), Status: "waiting", Duration: flexInt(s.Duration), Timezone: s.Timezone,
		CreatedAt:    video.FormatTime(z.clock.Now()),
		StartURL:     fmt.Sprintf("https://zoom.us/s/%d?zak=xyz", id),
		JoinURL:      fmt.Sprintf("https://zoom.us/j/%d?pwd=Rk9PYmFy.1", id),
		H323Password: "123456", PSTNPassword: "123456", EncryptedPassword: "Rk9PYmFy.1",
		Recurrence: s.Recurrence, Settings: s.Settings, Password: "a1b2c3",
	}
	if s.Agenda != nil {
		m.Agenda = *s.Agenda
	}
	if s.Password != nil {
		m.Password = flexString(*s.Password)
	}
	if s.StartTime != "" {
		t, err := video.ParseTime(s.StartTime, location(s.Timezone))
		if err != nil {
			writeJSON(w, 400, map[string]any{"code": 300, "message": "Validation Failed.", "errors": []map[string]string{{"field": "start_time", "message": "Invalid field."}}})
			return
		}
		m.StartTime = video.FormatTime(t)
		if s.Type == int(video.RecurringFixedTime) {
			for i := range 2 {
				ot := t.AddDate(0, 0, 7*i)
				m.Occurrences = append(m.Occurrences, wireOccurrence{OccurrenceID: flexString(strconv.FormatInt(ot.UnixMilli(), 10)), StartTime: video.FormatTime(ot), Duration: flexInt(s.Duration), Status: "available"})
			}
		}
	}
	z.meetings = append(z.meetings, &fakeMeeting{host: host, w: m})
	writeJSON(w, http.StatusCreated, m)
}

func (z *fakeZoom) list(w http.ResponseWriter, r *http.Request, host string) {
	size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
	if size <= 0 || size > 300 {
		size = 30
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("next_page_token"))
	var mine []wireMeeting
	for _, m := range z.meetings {
		if m.host == host && m.w.Type != flexInt(video.Instant) {
			item := wireMeeting{UUID: m.w.UUID, ID: m.w.ID, HostID: m.w.HostID, Topic: m.w.Topic, Type: m.w.Type, StartTime: m.w.StartTime,
				Duration: m.w.Duration, Timezone: m.w.Timezone, Agenda: m.w.Agenda, CreatedAt: m.w.CreatedAt, JoinURL: m.w.JoinURL}
			mine = append(mine, item)
		}
	}
	end := min(start+size, len(mine))
	next := ""
	if end < len(mine) {
		next = strconv.Itoa(end)
	}
	page := []wireMeeting{}
	if start < len(mine) {
		page = mine[start:end]
	}
	writeJSON(w, 200, map[string]any{"page_size": size, "total_records": len(mine), "next_page_token": next, "meetings": page})
}

// canned answers requests in order with fixed answers, recording them.
type canned struct {
	mu       sync.Mutex
	answers  []cannedAnswer
	requests []recorded
}

type cannedAnswer struct {
	status int
	header map[string]string
	body   string
}

func (c *canned) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.requests = append(c.requests, recorded{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.Query(), Header: r.Header.Clone(), Body: string(body)})
	var a cannedAnswer
	if len(c.answers) > 0 {
		a = c.answers[0]
		c.answers = c.answers[1:]
	} else {
		a = cannedAnswer{status: 500, body: `{"code":500,"message":"no more canned answers"}`}
	}
	c.mu.Unlock()
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	if a.body != "" && a.header["Content-Type"] == "" {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func (c *canned) seen() []recorded {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]recorded(nil), c.requests...)
}
