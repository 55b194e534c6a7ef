package zoomsandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// fault is one injected misbehaviour (POST /_sandbox/faults, DESIGN §4):
// answer the next Times matching requests with Status and Zoom's error
// body, or delay them by DelayMS, or perform them and then cut the
// connection before answering (CommitThenDrop).
type fault struct {
	// Status, when set, is the HTTP status to answer with: 429 gets the
	// per-second message (or with DailyLimit the per-user daily
	// create/update message), 401 code 124, others {"code": Status}.
	Status int `json:"status,omitempty"`
	// Times is how many requests the fault applies to (default 1).
	Times int `json:"times,omitempty"`
	// Code and Message override the error body's fields.
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// RetryAfter is sent as the Retry-After header; "auto" is the next
	// 00:00:00Z as an ISO date-time (zoom-api.md §3.4); empty: none, as
	// Zoom has been seen to answer per-user 429s (FORUM-429).
	RetryAfter string `json:"retry_after,omitempty"`
	// DailyLimit selects the per-user daily create/update 429 message.
	DailyLimit bool `json:"daily_limit,omitempty"`
	// DelayMS delays the request before it is handled (or answered with
	// Status). A request that changes something (any method but GET and
	// HEAD) is performed after the delay even when its client has gone
	// meanwhile, as a slow Zoom does: the client cannot know.
	DelayMS int `json:"delay_ms,omitempty"`
	// CommitThenDrop performs the request, then closes the connection
	// without answering: the client cannot know the meeting exists.
	CommitThenDrop bool `json:"commit_then_drop,omitempty"`
	// CommitThenDelayMS performs the request, then holds the answer this
	// long: a client that gives up or dies meanwhile never learns that
	// the meeting exists (the crash window between Zoom's commit and the
	// caller recording it).
	CommitThenDelayMS int `json:"commit_then_delay_ms,omitempty"`
	// Path limits the fault to requests whose path (below the sandbox
	// root) starts with it; empty: every /v2/ request.
	Path string `json:"path,omitempty"`
	// Method limits the fault to one HTTP method; empty: any.
	Method string `json:"method,omitempty"`
}

// faultList holds the pending faults, first match first, and counts the
// requests a delay is holding (GET /_sandbox/faults shows both), so that a
// test can wait until a request is in flight instead of sleeping.
type faultList struct {
	mu   sync.Mutex
	list []*fault
	// held is the number of requests a delay or commit_then_delay_ms is
	// holding now; released counts those that delay_ms held and that were
	// then performed.
	held, released int
}

// hold counts a request held by a fault until the returned func is called;
// performed says whether the held request was then performed.
func (l *faultList) hold() (done func(performed bool)) {
	l.mu.Lock()
	l.held++
	l.mu.Unlock()
	return func(performed bool) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.held--
		if performed {
			l.released++
		}
	}
}

// counts returns held and released.
func (l *faultList) counts() (held, released int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held, l.released
}

func (l *faultList) add(f *fault) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, f)
}

func (l *faultList) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = nil
}

func (l *faultList) snapshot() []fault {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]fault, 0, len(l.list))
	for _, f := range l.list {
		out = append(out, *f)
	}
	return out
}

// take returns the first fault matching the request and counts it used.
func (l *faultList) take(r *http.Request) *fault {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, f := range l.list {
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if f.Path == "" && !strings.HasPrefix(r.URL.Path, "/v2/") || f.Path != "" && !strings.HasPrefix(r.URL.Path, f.Path) {
			continue
		}
		f.Times--
		if f.Times <= 0 {
			l.list = append(l.list[:i], l.list[i+1:]...)
		}
		cp := *f
		return &cp
	}
	return nil
}

// apiError is the answer of a fault with a Status.
func (f *fault) apiError(now time.Time) *apiError {
	var e *apiError
	switch {
	case f.Status == http.StatusTooManyRequests && f.DailyLimit:
		e = dailyLimitError(now, false)
	case f.Status == http.StatusTooManyRequests:
		e = &apiError{Status: f.Status, Code: 429, Message: msgPerSecondLimit, header: http.Header{}}
		e.header.Set("X-RateLimit-Type", "QPS")
		e.header.Set("X-RateLimit-Remaining", "0")
	case f.Status == http.StatusUnauthorized:
		e = errInvalidToken()
	default:
		msg := http.StatusText(f.Status)
		if msg == "" {
			msg = "Error"
		}
		e = &apiError{Status: f.Status, Code: f.Status, Message: msg}
	}
	if f.Code != 0 {
		e.Code = f.Code
	}
	if f.Message != "" {
		e.Message = f.Message
	}
	switch f.RetryAfter {
	case "":
	case "auto":
		if e.header == nil {
			e.header = http.Header{}
		}
		e.header.Set("Retry-After", nextMidnightUTC(now).Format(zoomTime))
	default:
		if e.header == nil {
			e.header = http.Header{}
		}
		e.header.Set("Retry-After", f.RetryAfter)
	}
	return e
}

// withFaults applies the pending faults to a handler and logs the request.
func (s *Server) withFaults(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() { s.logRequest(r, rec.status) }()
		f := s.faults.take(r)
		if f == nil {
			h(rec, r)
			return
		}
		if f.DelayMS > 0 {
			done := s.faults.hold()
			// A client that leaves cancels a read, not a change: Zoom goes
			// on with a create it has received.
			gone := r.Context().Done()
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				gone = nil
			}
			t := time.NewTimer(time.Duration(f.DelayMS) * time.Millisecond)
			select {
			case <-t.C:
			case <-gone:
				t.Stop()
				done(false)
				return
			}
			// Released once performed and answered: a test that sees held
			// back at 0 sees the request's effect.
			defer done(f.Status == 0)
		}
		switch {
		case f.Status != 0 && strings.HasPrefix(r.URL.Path, "/oauth/"):
			// The OAuth endpoints answer errors in their own shape
			// (zoom-api.md §4.4).
			e := f.apiError(s.now())
			for k, vs := range e.header {
				rec.Header()[k] = vs
			}
			code := "server_error"
			if f.Status < 500 {
				code = "invalid_request"
			}
			writeJSON(rec, f.Status, &tokenError{Reason: e.Message, Error: code})
		case f.Status != 0:
			writeAPIError(rec, f.apiError(s.now()))
		case f.CommitThenDelayMS > 0:
			buf := &bufferedWriter{header: http.Header{}, status: http.StatusOK}
			h(buf, r)
			done := s.faults.hold()
			defer done(false)
			t := time.NewTimer(time.Duration(f.CommitThenDelayMS) * time.Millisecond)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				rec.status = -1
				return
			}
			for k, vs := range buf.header {
				rec.Header()[k] = vs
			}
			rec.WriteHeader(buf.status)
			rec.Write(buf.body.Bytes())
		case f.CommitThenDrop:
			// Read the body fully and perform the request, then cut the
			// connection without a byte of answer.
			h(&discardWriter{header: http.Header{}}, r)
			rec.status = -1
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(http.ErrAbortHandler) // HTTP/2: abort the stream
			}
			conn.Close()
		default:
			h(rec, r)
		}
	}
}

// discardWriter swallows an answer that will never be sent.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// bufferedWriter keeps an answer to send later.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedWriter) WriteHeader(status int)      { b.status = status }

// handleFaultsPost adds a fault: POST /_sandbox/faults {"status": 503,
// "times": 2} | {"delay_ms": 3000} | {"commit_then_drop": true} …
func (s *Server) handleFaultsPost(w http.ResponseWriter, r *http.Request) {
	var f fault
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad fault: " + err.Error()})
		return
	}
	if f.Status == 0 && f.DelayMS == 0 && !f.CommitThenDrop && f.CommitThenDelayMS == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "a fault needs status, delay_ms, commit_then_drop or commit_then_delay_ms"})
		return
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "status must be 4xx or 5xx"})
		return
	}
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults.add(&f)
	writeJSON(w, http.StatusCreated, map[string]any{"faults": s.faults.snapshot()})
}

// handleFaultsGet lists the pending faults, with "held": the requests a
// delay is holding now, and "released": those delay_ms held and then
// performed.
func (s *Server) handleFaultsGet(w http.ResponseWriter, r *http.Request) {
	held, released := s.faults.counts()
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.faults.snapshot(), "held": held, "released": released})
}

// handleFaultsDelete clears every pending fault.
func (s *Server) handleFaultsDelete(w http.ResponseWriter, r *http.Request) {
	s.faults.clear()
	w.WriteHeader(http.StatusNoContent)
}
