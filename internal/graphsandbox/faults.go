package graphsandbox

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// fault answers the next Times matching requests with Status (429 or 503
// or another error status) and Graph's error body, with Retry-After. The
// requests of a $batch match by their own method and path (below /v1.0),
// and a throttled one is answered inside the batch, as Graph throttles
// them one by one.
type fault struct {
	Status int `json:"status"`
	// Times is how many requests it applies to (default 1, at most 1000).
	Times int `json:"times,omitempty"`
	// RetryAfter is the Retry-After header in seconds (default 1; 0
	// with NoRetryAfter: none).
	RetryAfter   int  `json:"retryAfter,omitempty"`
	NoRetryAfter bool `json:"noRetryAfter,omitempty"`
	// Path limits the fault to paths starting with it (below the sandbox
	// root, e.g. "/v1.0/users/a@example.com/events"); empty: every /v1.0/
	// request.
	Path string `json:"path,omitempty"`
	// Method limits it to one method; empty: any.
	Method string `json:"method,omitempty"`
}

// faultList holds the pending faults, first match first.
type faultList struct {
	mu   sync.Mutex
	list []*fault
}

func (l *faultList) take(r *http.Request) *fault {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, f := range l.list {
		if f.Method != "" && !strings.EqualFold(f.Method, r.Method) {
			continue
		}
		if f.Path == "" && !strings.HasPrefix(r.URL.Path, "/v1.0/") || f.Path != "" && !strings.HasPrefix(r.URL.Path, f.Path) {
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

// withFaults applies the pending faults and logs the request.
func (s *Server) withFaults(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() { s.logRequest(r, rec.status) }()
		f := s.faults.take(r)
		if f == nil {
			h(rec, r)
			return
		}
		if strings.Contains(r.URL.Path, "/oauth2/") {
			if !f.NoRetryAfter {
				rec.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
			}
			e := s.identityFail(f.Status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
			writeIdentityJSON(rec, f.Status, e)
			return
		}
		s.writeGraphError(rec, r, f.graphError())
	}
}

// graphError is the answer of f, with its Retry-After.
func (f *fault) graphError() *graphError {
	var e *graphError
	switch f.Status {
	case http.StatusTooManyRequests:
		e = errGraph(f.Status, "TooManyRequests", "Too many requests, please try again later.")
	case http.StatusServiceUnavailable:
		e = errGraph(f.Status, "ServiceUnavailable", "The service is temporarily unavailable. Please retry.")
	default:
		e = errGraph(f.Status, "generalException", http.StatusText(f.Status))
	}
	if !f.NoRetryAfter {
		e.header = http.Header{"Retry-After": {strconv.Itoa(f.RetryAfter)}}
	}
	return e
}

func (s *Server) handleFaultsGet(w http.ResponseWriter, r *http.Request) {
	s.faults.mu.Lock()
	out := make([]fault, 0, len(s.faults.list))
	for _, f := range s.faults.list {
		out = append(out, *f)
	}
	s.faults.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"faults": out})
}

// handleFaultsPost adds a fault: {"status":429,"times":2,"retryAfter":1}.
func (s *Server) handleFaultsPost(w http.ResponseWriter, r *http.Request) {
	var f fault
	if err := decodeControl(w, r, &f); err != nil {
		controlError(w, err.Error())
		return
	}
	if f.Status < 400 || f.Status > 599 {
		controlError(w, "status must be an HTTP error status (400–599), e.g. 429 or 503")
		return
	}
	if f.Times == 0 {
		f.Times = 1
	}
	if f.Times < 0 || f.Times > 1000 || f.RetryAfter < 0 || f.RetryAfter > 3600 {
		controlError(w, "times must be 1–1000 and retryAfter 0–3600")
		return
	}
	if f.RetryAfter == 0 && !f.NoRetryAfter {
		f.RetryAfter = 1
	}
	s.faults.mu.Lock()
	if len(s.faults.list) >= 100 {
		s.faults.mu.Unlock()
		controlError(w, "too many pending faults (100)")
		return
	}
	s.faults.list = append(s.faults.list, &f)
	s.faults.mu.Unlock()
	writeJSON(w, http.StatusCreated, f)
}

func (s *Server) handleFaultsDelete(w http.ResponseWriter, r *http.Request) {
	s.faults.mu.Lock()
	s.faults.list = nil
	s.faults.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// decodeControl reads a control's JSON body strictly; an empty body is
// the zero value.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readAllBounded(w, r)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	return jsonStrict(b, v)
}

func controlError(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
}
