package googlesandbox

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// Server is the sandbox: an http.Handler serving /token, /calendar/v3/…
// and, with Options.Controls, the test controls /_sandbox/… from its root.
// Create it with New; Close it to stop push delivery and write the data
// file.
type Server struct {
	opts      Options
	log       *slog.Logger
	mux       *http.ServeMux
	validator *validator

	randMu sync.Mutex // guards opts.Rand

	mu sync.Mutex // guards st, dirty and calls
	st *state
	// dirty is set by changed and cleared by the writer of the data file.
	dirty bool
	// closed is set by Close: no more saves are signalled.
	closed bool
	calls  map[string]int
	// pending holds Meet conferences created "asynchronously"
	// (POST /_sandbox/conferences/pending): by calendar and event id.
	pending        map[string]*pendingConference
	pendingCreates int
	pendingReads   int

	faults faultList
	pushes *pusher

	save      chan struct{}
	saverDone chan struct{}
	closeOnce sync.Once
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
	s := &Server{opts: opts, log: opts.Logger, st: st, calls: map[string]int{}, pending: map[string]*pendingConference{}}
	if opts.Discovery != nil {
		v, err := newValidator(opts.Discovery)
		if err != nil {
			return nil, err
		}
		s.validator = v
	}
	s.pushes = newPusher(s)
	for _, d := range opts.Domains {
		s.addDomainLocked(d)
	}
	for _, c := range opts.OAuthClients {
		if err := s.RegisterOAuthClient(c); err != nil {
			return nil, err
		}
	}
	if opts.KeyFile != "" {
		if err := s.ensureKeyFile(opts.KeyFile); err != nil {
			return nil, err
		}
	}
	s.routes()
	if opts.DataFile != "" {
		s.save = make(chan struct{}, 1)
		s.saverDone = make(chan struct{})
		go s.saver()
		s.changedLocked()
	}
	return s, nil
}

func (s *Server) now() time.Time { return s.opts.Now() }

// ServeHTTP serves the sandbox's handler tree. With Options.Discovery, the
// Calendar API's requests and answers are validated on the way.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.validator == nil || !strings.HasPrefix(r.URL.Path, "/calendar/v3/") {
		s.mux.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeAPIError(w, errBadRequest("Could not read the request body."))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := s.validator.checkRequest(r, body); err != nil {
		s.opts.Violation(fmt.Errorf("request %s %s: %w", r.Method, r.URL.Path, err))
	}
	rec := &captureWriter{ResponseWriter: w}
	s.mux.ServeHTTP(rec, r)
	if err := s.validator.checkResponse(r, rec.status, rec.body.Bytes()); err != nil {
		s.opts.Violation(fmt.Errorf("answer to %s %s (%d): %w", r.Method, r.URL.Path, rec.status, err))
	}
}

// captureWriter keeps a copy of the answer for validation.
type captureWriter struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// Close stops push delivery and writes the data file a last time.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.pushes.close()
		if s.save != nil {
			s.mu.Lock()
			s.closed = true
			close(s.save)
			s.mu.Unlock()
			<-s.saverDone
			err = s.writeData()
		}
	})
	return err
}

// changedLocked marks the state changed: the data file is written soon.
// Called with s.mu held.
func (s *Server) changedLocked() {
	s.dirty = true
	if s.save == nil || s.closed {
		return
	}
	select {
	case s.save <- struct{}{}:
	default:
	}
}

// saver writes the data file after changes, at most every 200 ms.
func (s *Server) saver() {
	defer close(s.saverDone)
	for range s.save {
		if err := s.writeData(); err != nil {
			s.log.Error("googlesandbox: save state", "err", err)
		}
		t := time.NewTimer(200 * time.Millisecond)
		<-t.C
	}
}

// writeData writes the state if it changed.
func (s *Server) writeData() error {
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	b, err := json.Marshal(s.st)
	s.dirty = false
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("googlesandbox: encode state: %w", err)
	}
	if err := writeFileAtomic(s.opts.DataFile, b, 0o600); err != nil {
		return fmt.Errorf("googlesandbox: save state: %w", err)
	}
	return nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("POST /token", s.withFaults("token", s.handleToken))
	m.HandleFunc("GET /o/oauth2/v2/auth", s.withFaults("authorize", s.handleAuthorize))
	m.HandleFunc("POST /o/oauth2/v2/auth", s.withFaults("authorize", s.handleConsent))
	m.HandleFunc("POST /revoke", s.withFaults("revoke", s.handleRevoke))
	m.HandleFunc("GET /.well-known/openid-configuration", s.withFaults("openid-configuration", s.handleOpenIDConfiguration))
	m.HandleFunc("GET /oauth2/v3/certs", s.withFaults("certs", s.handleJWKS))
	m.HandleFunc("GET /oauth2/v1/certs", s.withFaults("certs", s.handlePEMCerts))
	m.HandleFunc("GET /oauth2/v3/userinfo", s.withFaults("userinfo", s.handleUserinfo))
	m.HandleFunc("POST /oauth2/v3/userinfo", s.withFaults("userinfo", s.handleUserinfo))

	api := func(pattern, name string, h apiHandler) {
		m.HandleFunc(pattern, s.withFaults(name, s.api(h)))
	}
	api("GET /calendar/v3/calendars/{calendarId}/events", "events.list", s.handleList)
	api("POST /calendar/v3/calendars/{calendarId}/events", "events.insert", s.handleInsert)
	api("POST /calendar/v3/calendars/{calendarId}/events/watch", "events.watch", s.handleWatch)
	api("GET /calendar/v3/calendars/{calendarId}/events/{eventId}", "events.get", s.handleGet)
	api("PATCH /calendar/v3/calendars/{calendarId}/events/{eventId}", "events.patch", s.handlePatch)
	api("PUT /calendar/v3/calendars/{calendarId}/events/{eventId}", "events.update", s.handleUpdate)
	api("DELETE /calendar/v3/calendars/{calendarId}/events/{eventId}", "events.delete", s.handleDelete)
	api("GET /calendar/v3/calendars/{calendarId}/events/{eventId}/instances", "events.instances", s.handleInstances)
	api("POST /calendar/v3/freeBusy", "freebusy.query", s.handleFreeBusy)
	api("POST /calendar/v3/channels/stop", "channels.stop", s.handleChannelStop)
	api("/calendar/v3/", "unknown", func(http.ResponseWriter, *http.Request, *call) *apiError {
		return errNotFound()
	})
	m.HandleFunc("GET /meet/{code}", s.handleMeetPage)

	s.mux = m
	if !s.opts.Controls {
		// Off, /_sandbox/… is an unknown path: 404.
		return
	}
	m.HandleFunc("GET /_sandbox/domains", s.handleControlDomains)
	m.HandleFunc("POST /_sandbox/domains", s.handleControlAddDomain)
	m.HandleFunc("POST /_sandbox/users", s.handleControlAddUser)
	m.HandleFunc("POST /_sandbox/service-accounts", s.handleControlServiceAccount)
	m.HandleFunc("POST /_sandbox/delegations", s.handleControlDelegate)
	m.HandleFunc("DELETE /_sandbox/delegations", s.handleControlRevoke)
	m.HandleFunc("GET /_sandbox/calendars/{calendarId}/events", s.handleControlEvents)
	m.HandleFunc("POST /_sandbox/calendars/{calendarId}/events", s.handleControlInsert)
	m.HandleFunc("PATCH /_sandbox/calendars/{calendarId}/events/{eventId}", s.handleControlPatch)
	m.HandleFunc("DELETE /_sandbox/calendars/{calendarId}/events/{eventId}", s.handleControlDelete)
	m.HandleFunc("POST /_sandbox/sync-tokens/invalidate", s.handleControlInvalidate)
	m.HandleFunc("GET /_sandbox/mails", s.handleControlMails)
	m.HandleFunc("GET /_sandbox/channels", s.handleControlChannels)
	m.HandleFunc("GET /_sandbox/pushes", s.handleControlPushes)
	m.HandleFunc("GET /_sandbox/requests", s.handleControlRequests)
	m.HandleFunc("POST /_sandbox/conferences/pending", s.handleControlPending)
	m.HandleFunc("GET /_sandbox/faults", s.handleFaultsGet)
	m.HandleFunc("POST /_sandbox/faults", s.handleFaultsPost)
	m.HandleFunc("DELETE /_sandbox/faults", s.handleFaultsDelete)
	m.HandleFunc("POST /_sandbox/accounts", s.handleControlAddAccount)
	m.HandleFunc("POST /_sandbox/oauth-clients", s.handleControlOAuthClient)
	m.HandleFunc("GET /_sandbox/grants", s.handleControlGrants)
	m.HandleFunc("DELETE /_sandbox/grants", s.handleControlRevokeGrant)
}

// randBytes reads n bytes of Options.Rand.
func (s *Server) randBytes(n int) []byte {
	b := make([]byte, n)
	s.randMu.Lock()
	defer s.randMu.Unlock()
	if _, err := io.ReadFull(s.opts.Rand, b); err != nil {
		panic("googlesandbox: random source: " + err.Error())
	}
	return b
}

// randHex is n random bytes in hex.
func (s *Server) randHex(n int) string { return hex.EncodeToString(s.randBytes(n)) }

// randFrom is n characters of alphabet.
func (s *Server) randFrom(alphabet string, n int) string {
	b := s.randBytes(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// randDigits is n decimal digits.
func (s *Server) randDigits(n int) string { return s.randFrom("0123456789", n) }

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

// ensureKeyFile mints the key of Options.KeyFile when the file is missing.
func (s *Server) ensureKeyFile(path string) error {
	if b, err := os.ReadFile(path); err == nil {
		return s.registerKeyFile(b)
	}
	key, err := s.mintServiceAccount("convene-sandbox")
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.delegateLocked("*", key.ClientID, calendarScopes)
	s.mu.Unlock()
	b, err := json.MarshalIndent(key, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, b, 0o600); err != nil {
		return fmt.Errorf("googlesandbox: write key file: %w", err)
	}
	return nil
}
