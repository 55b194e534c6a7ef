package googlesandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// fault is one injected misbehaviour (POST /_sandbox/faults): answer the
// next Times matching requests with Status and Google's error body, or,
// with Commit, perform them first and then answer the error (the client
// cannot know its change was made).
type fault struct {
	// Status is the HTTP status: 403 is usageLimits/rateLimitExceeded
	// ("Rate Limit Exceeded"), 429 rateLimitExceeded, 503 backendError,
	// others global with the status text.
	Status int `json:"status"`
	// Reason and Message override the error body's.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Times is how many requests the fault applies to (default 1).
	Times int `json:"times,omitempty"`
	// Path limits the fault to requests whose path (below the sandbox
	// root) starts with it; empty: every /calendar/v3/ request.
	Path string `json:"path,omitempty"`
	// Route limits the fault to one named route instead of Path: the
	// Calendar methods ("events.insert", …), "token", "authorize" (both
	// methods of /o/oauth2/v2/auth), "revoke", "userinfo", "certs",
	// "openid-configuration".
	Route string `json:"route,omitempty"`
	// Method limits the fault to one HTTP method; empty: any.
	Method string `json:"method,omitempty"`
	// Commit performs the request before answering the error.
	Commit bool `json:"commit,omitempty"`
	// RetryAfter is sent as the Retry-After header (seconds).
	RetryAfter string `json:"retry_after,omitempty"`
}

// faultList holds the pending faults, first match first.
type faultList struct {
	mu   sync.Mutex
	list []*fault
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
func (l *faultList) take(r *http.Request, route string) *fault {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, f := range l.list {
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if f.Route != "" {
			if f.Route != route {
				continue
			}
		} else if f.Path == "" && !strings.HasPrefix(r.URL.Path, "/calendar/v3/") || f.Path != "" && !strings.HasPrefix(r.URL.Path, f.Path) {
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

// apiError is the answer of a fault: Google's usage-limit and backend
// errors (Calendar guide, "Handle API errors").
func (f *fault) apiError() *apiError {
	var e *apiError
	switch f.Status {
	case http.StatusForbidden:
		e = &apiError{Status: f.Status, Domain: "usageLimits", Reason: "rateLimitExceeded", Message: "Rate Limit Exceeded"}
	case http.StatusTooManyRequests:
		e = &apiError{Status: f.Status, Domain: "usageLimits", Reason: "rateLimitExceeded", Message: "Rate Limit Exceeded"}
	case http.StatusServiceUnavailable, http.StatusInternalServerError:
		e = &apiError{Status: f.Status, Domain: "global", Reason: "backendError", Message: "Backend Error"}
	default:
		e = &apiError{Status: f.Status, Domain: "global", Reason: "error", Message: http.StatusText(f.Status)}
	}
	if f.Reason != "" {
		e.Reason = f.Reason
	}
	if f.Message != "" {
		e.Message = f.Message
	}
	if f.RetryAfter != "" {
		e.header = http.Header{"Retry-After": {f.RetryAfter}}
	}
	return e
}

// withFaults counts the call, applies the pending faults and logs it.
func (s *Server) withFaults(name string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			s.log.Info("googlesandbox request", "method", r.Method, "path", r.URL.Path, "status", rec.status)
		}()
		s.mu.Lock()
		s.calls[name]++
		s.mu.Unlock()
		f := s.faults.take(r, name)
		if f == nil {
			h(rec, r)
			return
		}
		if f.Commit {
			h(&discardWriter{header: http.Header{}}, r)
		}
		if name == "authorize" {
			showAuthError(rec, &authError{Status: f.Status, Code: "server_error", Description: f.apiError().Message})
			return
		}
		if oauthRoutes[name] {
			code := "internal_failure"
			if f.Status < 500 {
				code = "rate_limit_exceeded"
			}
			writeJSON(rec, f.Status, tokenError{Error: code, Description: f.apiError().Message})
			return
		}
		writeAPIError(rec, f.apiError())
	}
}

// oauthRoutes answer faults with the token endpoint's error body.
var oauthRoutes = map[string]bool{"token": true, "revoke": true, "userinfo": true, "certs": true, "openid-configuration": true}

// discardWriter swallows an answer that will never be sent.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// handleFaultsPost adds a fault.
func (s *Server) handleFaultsPost(w http.ResponseWriter, r *http.Request) {
	var f fault
	b, err := readBody(r)
	if err == nil {
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		err = dec.Decode(&f)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad fault: " + err.Error()})
		return
	}
	if f.Status < 400 || f.Status > 599 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "status must be 4xx or 5xx"})
		return
	}
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults.add(&f)
	writeJSON(w, http.StatusCreated, map[string]any{"faults": s.faults.snapshot()})
}

// handleFaultsGet lists the pending faults.
func (s *Server) handleFaultsGet(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": s.faults.snapshot()})
}

// handleFaultsDelete clears every pending fault.
func (s *Server) handleFaultsDelete(w http.ResponseWriter, r *http.Request) {
	s.faults.clear()
	w.WriteHeader(http.StatusNoContent)
}
