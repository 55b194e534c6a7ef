package zoomsandbox

import (
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Server is the sandbox: an http.Handler serving /oauth/…, /v2/… and, with
// Options.Controls, the test controls /_sandbox/… from its root. Create it with New; Close it to flush the data
// file and stop webhook delivery.
type Server struct {
	opts Options
	rnd  *randSource
	log  *slog.Logger
	mux  *http.ServeMux

	mu sync.Mutex // guards st, pages, qps, and persist's changes
	st *state
	// persist writes the data file (nil: none).
	persist *persister
	pages   map[string]*pageCursor
	qps     map[string]*qpsWindow

	faults  faultList
	hooks   *webhookSender
	closeMu sync.Once
}

// New returns a Server with its state loaded from opts.DataFile (if any).
func New(opts Options) (*Server, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	st := newState()
	var p *persister
	if opts.DataFile != "" {
		p = &persister{path: opts.DataFile}
		var err error
		if st, err = p.load(); err != nil {
			return nil, err
		}
	}
	s := &Server{
		opts:    opts,
		rnd:     &randSource{r: opts.Rand},
		log:     opts.Logger,
		st:      st,
		persist: p,
		pages:   map[string]*pageCursor{},
		qps:     map[string]*qpsWindow{},
	}
	s.hooks = newWebhookSender(s)
	// The server-to-server account: Options.AccountID with Options.Domains.
	if p != nil {
		p.mu.Lock() // before s.mu, as in flush
	}
	s.mu.Lock()
	a := s.st.Accounts[opts.AccountID]
	if a == nil {
		a = &account{ID: opts.AccountID, Number: s.accountNumber(), CreatedAt: s.now().UTC()}
		s.st.Accounts[a.ID] = a
	}
	a.Domains = opts.Domains
	var err error
	if p != nil {
		// A new snapshot: what the journal held and the account's domains.
		err = p.snapshotLocked(s.st)
	}
	s.mu.Unlock()
	if p != nil {
		p.mu.Unlock()
	}
	if err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

func (s *Server) now() time.Time { return s.opts.Now() }

// ServeHTTP serves the sandbox's handler tree.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close waits for pending webhook deliveries to finish their current
// attempt, stops retries and writes the data file a last time.
func (s *Server) Close() error {
	var err error
	s.closeMu.Do(func() {
		s.hooks.close()
		err = s.closeData()
	})
	return err
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /oauth/authorize", s.handleAuthorizeGet)
	m.HandleFunc("POST /oauth/authorize", s.handleAuthorizePost)
	m.HandleFunc("POST /oauth/token", s.withFaults(s.handleToken))
	m.HandleFunc("POST /oauth/revoke", s.handleRevoke)

	m.HandleFunc("POST /v2/users/{userId}/meetings", s.api(opCreate, s.handleCreate))
	m.HandleFunc("GET /v2/users/{userId}/meetings", s.api(opList, s.handleList))
	m.HandleFunc("GET /v2/meetings/{meetingId}", s.api(opGet, s.handleGet))
	m.HandleFunc("PATCH /v2/meetings/{meetingId}", s.api(opUpdate, s.handleUpdate))
	m.HandleFunc("DELETE /v2/meetings/{meetingId}", s.api(opDelete, s.handleDelete))
	m.HandleFunc("GET /v2/meetings/{meetingId}/invitation", s.api(opInvitation, s.handleInvitation))
	m.HandleFunc("PUT /v2/meetings/{meetingId}/status", s.api(opStatus, s.handleStatus))
	m.HandleFunc("GET /v2/users/{userId}", s.api(opUser, s.handleUser))
	m.HandleFunc("/v2/", s.api(operation{}, func(http.ResponseWriter, *http.Request, *call) *apiError {
		return &apiError{Status: http.StatusNotFound, Code: 404, Message: "Not Found"}
	}))

	m.HandleFunc("GET /j/{meetingId}", s.handleJoinPage)
	m.HandleFunc("GET /s/{meetingId}", s.handleJoinPage)

	s.mux = m
	if !s.opts.Controls {
		// Off, /_sandbox/… is an unknown path: 404.
		return
	}
	m.HandleFunc("GET /_sandbox/meetings", s.handleControlMeetings)
	m.HandleFunc("POST /_sandbox/meetings/{meetingId}/start", s.handleControlStart)
	m.HandleFunc("GET /_sandbox/accounts", s.handleControlAccounts)
	m.HandleFunc("GET /_sandbox/tokens", s.handleControlTokens)
	m.HandleFunc("POST /_sandbox/tokens/expire", s.handleControlExpire)
	m.HandleFunc("GET /_sandbox/faults", s.handleFaultsGet)
	m.HandleFunc("POST /_sandbox/faults", s.handleFaultsPost)
	m.HandleFunc("DELETE /_sandbox/faults", s.handleFaultsDelete)
	m.HandleFunc("GET /_sandbox/webhooks", s.handleControlWebhooks)
	m.HandleFunc("POST /_sandbox/webhooks/deauthorize", s.handleControlDeauthorize)
	m.HandleFunc("POST /_sandbox/webhooks/url-validation", s.handleControlURLValidation)
}

// trackingID is an x-zm-trackingid value like Zoom's
// "v=2.0;clid=us05;rid=WEB_…" (zoom-api.md §1.1).
func (s *Server) trackingID() string {
	return "v=2.0;clid=us05;rid=WEB_" + hex.EncodeToString(s.rnd.bytes(16))
}

// accountNumber is a Zoom account number (int64).
func (s *Server) accountNumber() int64 { return 10_000_000 + int64(s.rnd.intn(89_999_999)) }

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

// logRequest logs method, path and status: never the query or the headers,
// which may carry tokens.
func (s *Server) logRequest(r *http.Request, status int) {
	s.log.Info("zoomsandbox request", "method", r.Method, "path", r.URL.Path, "status", status)
}
