package graphsandbox

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Server is the sandbox: an http.Handler serving the identity platform's
// endpoints, /v1.0/… and, with Options.Controls, /_sandbox/… from its
// root. Create it with New; Close it to stop notification delivery and
// write the data file a last time.
type Server struct {
	opts Options
	rnd  *randSource
	log  *slog.Logger
	mux  *http.ServeMux
	api  *http.ServeMux // /v1.0/… without the prefix, also $batch's
	v1   http.HandlerFunc

	mu sync.Mutex // guards st, pages
	st *state
	// pages are delta skip tokens: the rest of a delta answer.
	pages     map[string]*page
	pageOrder []string

	faults  faultList
	hooks   *notifier
	closeMu sync.Once
}

// New returns a Server with its state loaded from opts.DataFile (if any).
func New(opts Options) (*Server, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	st := newState()
	if opts.DataFile != "" {
		var err error
		if st, err = loadState(opts.DataFile); err != nil {
			return nil, err
		}
	}
	s := &Server{
		opts:  opts,
		rnd:   &randSource{r: opts.Rand},
		log:   opts.Logger,
		st:    st,
		pages: map[string]*page{},
	}
	t := s.st.Tenants[opts.TenantID]
	if t == nil {
		// The default tenant has consented from the start, so that
		// client-credentials tokens work without a browser.
		t = &tenant{ID: opts.TenantID, Consent: true, At: s.now().UTC()}
		s.st.Tenants[t.ID] = t
	}
	t.Domains = opts.Domains
	if err := s.saveLocked(); err != nil {
		return nil, err
	}
	s.hooks = newNotifier(s)
	s.routes()
	return s, nil
}

func (s *Server) now() time.Time { return s.opts.Now() }

// ServeHTTP serves the sandbox's handler tree.
// /v1.0/… is dispatched before the mux: its patterns would overlap the
// identity platform's /{tenant}/… ones.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/v1.0/") {
		s.v1(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Close stops notification delivery (a delivery under way ends its
// attempt) and writes the data file.
func (s *Server) Close() error {
	var err error
	s.closeMu.Do(func() {
		s.hooks.close()
		s.mu.Lock()
		err = s.saveLocked()
		s.mu.Unlock()
	})
	return err
}

// changed records a change of the state: with a data file, it is written
// now. Called with s.mu held.
func (s *Server) changed() {
	if err := s.saveLocked(); err != nil {
		s.log.Error("graphsandbox: save state", "err", err)
	}
}

func (s *Server) saveLocked() error {
	if s.opts.DataFile == "" {
		return nil
	}
	return s.st.save(s.opts.DataFile)
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{tenant}/v2.0/adminconsent", s.handleConsentGet)
	m.HandleFunc("POST /{tenant}/v2.0/adminconsent", s.handleConsentPost)
	m.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.withFaults(s.handleToken))
	m.HandleFunc("GET /l/meetup-join/", s.handleJoinPage)

	a := http.NewServeMux()
	a.HandleFunc("GET /users", s.graph(s.handleUsers))
	a.HandleFunc("GET /users/{user}", s.graph(s.handleUser))
	a.HandleFunc("GET /users/{user}/mailboxSettings", s.graph(s.handleMailboxSettings))
	a.HandleFunc("POST /users/{user}/events", s.graph(s.handleEventCreate))
	a.HandleFunc("POST /users/{user}/calendar/events", s.graph(s.handleEventCreate))
	a.HandleFunc("GET /users/{user}/events", s.graph(s.handleEventList))
	a.HandleFunc("GET /users/{user}/events/{id}", s.graph(s.handleEventGet))
	a.HandleFunc("PATCH /users/{user}/events/{id}", s.graph(s.handleEventPatch))
	a.HandleFunc("DELETE /users/{user}/events/{id}", s.graph(s.handleEventDelete))
	a.HandleFunc("POST /users/{user}/events/{id}/cancel", s.graph(s.handleEventCancel))
	a.HandleFunc("GET /users/{user}/events/{id}/instances", s.graph(s.handleInstances))
	a.HandleFunc("GET /users/{user}/calendarView", s.graph(s.handleCalendarView))
	a.HandleFunc("GET /users/{user}/calendar/calendarView", s.graph(s.handleCalendarView))
	a.HandleFunc("GET /users/{user}/calendarView/delta", s.graph(s.handleDelta))
	a.HandleFunc("GET /users/{user}/calendar/calendarView/delta", s.graph(s.handleDelta))
	a.HandleFunc("POST /users/{user}/calendar/getSchedule", s.graph(s.handleGetSchedule))
	a.HandleFunc("POST /users/{user}/onlineMeetings", s.graph(s.handleMeetingCreate))
	a.HandleFunc("POST /users/{user}/onlineMeetings/createOrGet", s.graph(s.handleMeetingCreateOrGet))
	a.HandleFunc("GET /users/{user}/onlineMeetings/{id}", s.graph(s.handleMeetingGet))
	a.HandleFunc("PATCH /users/{user}/onlineMeetings/{id}", s.graph(s.handleMeetingPatch))
	a.HandleFunc("DELETE /users/{user}/onlineMeetings/{id}", s.graph(s.handleMeetingDelete))
	a.HandleFunc("POST /subscriptions", s.graph(s.handleSubCreate))
	a.HandleFunc("GET /subscriptions", s.graph(s.handleSubList))
	a.HandleFunc("GET /subscriptions/{id}", s.graph(s.handleSubGet))
	a.HandleFunc("PATCH /subscriptions/{id}", s.graph(s.handleSubPatch))
	a.HandleFunc("DELETE /subscriptions/{id}", s.graph(s.handleSubDelete))
	a.HandleFunc("POST /$batch", s.graph(s.handleBatch))
	a.HandleFunc("/", s.graph(func(*http.Request, *call) (any, *graphError) {
		return nil, errGraph(http.StatusBadRequest, "BadRequest", "Resource not found for the segment.")
	}))
	s.api = a
	s.v1 = s.withFaults(http.StripPrefix("/v1.0", a).ServeHTTP)

	s.mux = m
	if !s.opts.Controls {
		// Off, /_sandbox/… is an unknown path: 404.
		return
	}
	m.HandleFunc("GET /_sandbox/tenants", s.handleControlTenants)
	m.HandleFunc("POST /_sandbox/tenants/{tenant}/revoke", s.handleControlRevoke)
	m.HandleFunc("POST /_sandbox/users", s.handleControlUser)
	m.HandleFunc("POST /_sandbox/users/{user}/events", s.handleControlEventCreate)
	m.HandleFunc("PATCH /_sandbox/users/{user}/events/{id}", s.handleControlEventPatch)
	m.HandleFunc("DELETE /_sandbox/users/{user}/events/{id}", s.handleControlEventDelete)
	m.HandleFunc("GET /_sandbox/faults", s.handleFaultsGet)
	m.HandleFunc("POST /_sandbox/faults", s.handleFaultsPost)
	m.HandleFunc("DELETE /_sandbox/faults", s.handleFaultsDelete)
	m.HandleFunc("POST /_sandbox/delta/reset", s.handleControlDeltaReset)
	m.HandleFunc("GET /_sandbox/notifications", s.handleControlNotifications)
	m.HandleFunc("POST /_sandbox/subscriptions/{id}/lifecycle", s.handleControlLifecycle)
}

// call is an authenticated Graph request: its tenant and preferences.
type call struct {
	tenant    *tenant
	tz        *time.Location // Prefer: outlook.timezone, default UTC
	tzName    string
	immutable bool // Prefer: IdType="ImmutableId"
	maxPage   int  // Prefer: odata.maxpagesize, else Options.PageSize
	applied   []string
}

// graphHandler handles an authenticated Graph request and returns the
// value to send (200 unless it is a *response) or an error.
type graphHandler func(r *http.Request, c *call) (any, *graphError)

// response is a handler's answer with a status other than 200 (201, 204,
// 202) or extra headers.
type response struct {
	status int
	body   any // nil: no body
	header http.Header
}

// graph authenticates the request, reads its preferences and writes the
// handler's answer.
func (s *Server) graph(h graphHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		}
		if id := r.Header.Get("client-request-id"); id != "" && len(id) <= 100 {
			w.Header().Set("client-request-id", id)
		}
		w.Header().Set("request-id", s.rnd.guid())
		c, gerr := s.authenticate(r)
		if gerr != nil {
			s.writeGraphError(w, r, gerr)
			return
		}
		v, gerr := h(r, c)
		if gerr != nil {
			s.writeGraphError(w, r, gerr)
			return
		}
		if len(c.applied) > 0 {
			w.Header().Set("Preference-Applied", strings.Join(c.applied, ", "))
		}
		if resp, ok := v.(*response); ok {
			for k, vs := range resp.header {
				w.Header()[k] = vs
			}
			if resp.body == nil {
				w.WriteHeader(resp.status)
				return
			}
			writeJSON(w, resp.status, resp.body)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// authenticate checks the bearer token and reads the Prefer header
// (RFC 7240; Graph's outlook.timezone, IdType and odata.maxpagesize).
func (s *Server) authenticate(r *http.Request) (*call, *graphError) {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return nil, errToken("Access token is empty.")
	}
	s.mu.Lock()
	t := s.st.Tokens[strings.TrimSpace(tok)]
	var ten *tenant
	if t != nil {
		ten = s.st.Tenants[t.TenantID]
	}
	s.mu.Unlock()
	switch {
	case t == nil:
		return nil, errToken("IDX14100: JWT is not well formed, there are no dots (.).")
	case !s.now().Before(t.ExpiresAt):
		return nil, errToken("Lifetime validation failed, the token is expired.")
	case ten == nil || !ten.Consent:
		return nil, errToken("Access token validation failure. Invalid audience.")
	}
	c := &call{tenant: ten, tz: time.UTC, tzName: "UTC", maxPage: s.opts.PageSize}
	for _, p := range parsePrefer(r.Header.Values("Prefer")) {
		switch strings.ToLower(p.name) {
		case "outlook.timezone":
			if loc, ok := loadZone(p.value); ok {
				c.tz, c.tzName = loc, p.value
				c.applied = append(c.applied, `outlook.timezone="`+p.value+`"`)
			}
		case "idtype":
			if strings.EqualFold(p.value, "ImmutableId") {
				c.immutable = true
				c.applied = append(c.applied, `IdType="ImmutableId"`)
			}
		case "odata.maxpagesize":
			if n, ok := atoiBounded(p.value, 1, MaxPageSize); ok {
				c.maxPage = n
				c.applied = append(c.applied, "odata.maxpagesize="+p.value)
			}
		}
	}
	return c, nil
}

type preference struct{ name, value string }

// parsePrefer reads Prefer headers: comma-separated name[=value] with
// optionally quoted values (RFC 7240 §2). Bounded: at most 20 preferences
// of at most 200 bytes each are read.
func parsePrefer(headers []string) []preference {
	var out []preference
	for _, h := range headers {
		for _, part := range splitOutsideQuotes(h, ',') {
			if len(out) >= 20 {
				return out
			}
			part = strings.TrimSpace(part)
			if part == "" || len(part) > 200 {
				continue
			}
			name, value, _ := strings.Cut(part, "=")
			name, value = strings.TrimSpace(name), strings.TrimSpace(value)
			if i := strings.IndexByte(value, ';'); i >= 0 && !strings.HasPrefix(value, `"`) {
				value = strings.TrimSpace(value[:i])
			}
			value = strings.Trim(value, `"`)
			out = append(out, preference{name, value})
		}
	}
	return out
}

func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case sep:
			if !quoted {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func atoiBounded(s string, lo, hi int) (int, bool) {
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n < lo || n > hi {
		return 0, false
	}
	return n, true
}

// statusRecorder remembers the status a handler wrote, for the log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequest logs method, path and status: never the query or headers,
// which may carry tokens.
func (s *Server) logRequest(r *http.Request, status int) {
	s.log.Info("graphsandbox request", "method", r.Method, "path", r.URL.Path, "status", status)
}
