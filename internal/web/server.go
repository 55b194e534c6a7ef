// Package web is Convene's HTTP front end: the JSON API of DESIGN.md §4
// with RFC 9457 problem documents, health and metrics endpoints, the
// OpenAPI description of every route it serves, OAuth callbacks and
// webhooks; and it serves the web pages of internal/web/pages beside them
// (Server.Pages).
//
// It calls into the core (account, apps, booking…); the core never imports
// it.
package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/inbox"
)

// Server holds what the handlers need.
type Server struct {
	Accounts *account.Service
	Apps     *apps.Service
	Booking  *booking.Service
	// Calendars serves the calendar and availability routes.
	Calendars *calendar.Service
	// MeetingEvents applies the providers' meeting events (their webhooks,
	// POST /webhooks/{app}); nil: they are ignored.
	MeetingEvents MeetingEvents
	Log           *slog.Logger
	Now           func() time.Time
	// Health checks the storage; nil means always healthy.
	Health func(ctx context.Context) error
	// Mounts are extra handler trees served under a path prefix (the Zoom
	// sandbox under /zoom-sandbox/, CalDAV under /dav/).
	Mounts map[string]http.Handler
	// Version is reported by /healthz.
	Version string
	// AuthLimit counts failed authentications (API tokens, the operator
	// token) per client address and refuses further attempts from an
	// address that failed too often; nil: a Limiter with its defaults.
	// Share it with the CalDAV handler so both count together.
	AuthLimit *authlimit.Limiter
	// Inbox serves the routes of received mail; nil: none received.
	Inbox *inbox.Service
	// MailDNS adds the DKIM, SPF and DMARC records to GET
	// /api/v1/domains; nil: the verification record only.
	MailDNS MailRecords
	// Pages are the routes of the web pages for people
	// (internal/web/pages), served beside the API; PageNotFound answers a
	// browser's request for a path that is neither. Nil: the API alone,
	// with its JSON 404.
	Pages        []Page
	PageNotFound http.Handler
	// AppCallbackPage answers a browser at the end of an app's install;
	// nil: plain text.
	AppCallbackPage AppCallbackPage

	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	routes   []route

	// The OpenAPI document, built once.
	openapiOnce sync.Once
	openapiDoc  []byte
	openapiErr  error
}

// Handler returns the HTTP handler of every route.
func (s *Server) Handler() http.Handler {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.AuthLimit == nil {
		s.AuthLimit = authlimit.New(authlimit.Options{})
	}
	s.registry = prometheus.NewRegistry()
	s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "convene_http_requests_total", Help: "HTTP requests by route and status.",
	}, []string{"method", "route", "status"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "convene_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route"})
	s.registry.MustRegister(s.requests, s.duration)

	mux := http.NewServeMux()
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	for _, pg := range s.Pages {
		mux.Handle(pg.Pattern, s.observe(pg.Pattern, pg.Handler))
	}
	for prefix, h := range s.Mounts {
		p := "/" + strings.Trim(prefix, "/")
		mux.Handle(p+"/", s.observe(p+"/", http.StripPrefix(p, h)))
		// The mount answers its own path too, as its root: the mux would
		// otherwise redirect it to p+"/" first, and /.well-known/caldav
		// would take two redirects where RFC 6764 §5 wants one, to the
		// context path itself.
		mux.Handle(p, s.observe(p+"/", mountRoot(h)))
	}
	unmatched := s.observe("unmatched", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, _ := mux.Handler(r)
		cw := &captureWriter{header: http.Header{}}
		h.ServeHTTP(cw, r)
		if cw.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", cw.header.Get("Allow"))
			writeProblem(w, r, http.StatusMethodNotAllowed, "Method not allowed",
				fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, cw.header.Get("Allow")))
			return
		}
		if s.PageNotFound != nil && wantsPage(r) {
			s.PageNotFound.ServeHTTP(w, r)
			return
		}
		writeError(w, r, s.Log, failure.New(failure.NotFound, "no route %s %s; see /api/v1/openapi.json", r.Method, r.URL.Path))
	}))
	return s.recoverer(s.withRequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The mux's own 404 and 405 answers are plain text; answer them
		// as problem documents instead.
		if _, pattern := mux.Handler(r); pattern == "" {
			unmatched.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})))
}

// Page is a route of the web pages: a net/http pattern and its handler.
type Page struct {
	Pattern string
	Handler http.Handler
}

// wantsPage reports whether an unmatched request is a browser's, which
// gets a page rather than a problem document: a GET outside the API that
// accepts HTML.
func wantsPage(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && !strings.HasPrefix(r.URL.Path, "/api/") &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

// mountRoot serves the path of a mount, without its slash, as the mount's
// root.
func mountRoot(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = "/", ""
		h.ServeHTTP(w, r2)
	})
}

// captureWriter records what the mux's fallback handler would answer.
type captureWriter struct {
	header http.Header
	status int
}

func (c *captureWriter) Header() http.Header         { return c.header }
func (c *captureWriter) Write(b []byte) (int, error) { return len(b), nil }
func (c *captureWriter) WriteHeader(status int)      { c.status = status }

// handlerFunc is a route's handler: it writes the answer, or returns an
// error that is answered as a problem document.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// wrap adds authentication, metrics and logging to a route.
func (s *Server) wrap(rt route) http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.auth == authToken {
			p, err := s.authenticate(r, rt.method+" "+rt.path)
			if err != nil {
				writeError(w, r, s.Log, err)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		}
		if err := rt.handle(w, r); err != nil {
			writeError(w, r, s.Log, err)
		}
	})
	return s.observe(rt.method+" "+rt.path, h)
}

// observe records metrics and a log line for each request. It never logs
// headers or bodies, which carry secrets.
func (s *Server) observe(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		d := time.Since(start)
		method := methodLabel(r.Method)
		s.requests.WithLabelValues(method, route, statusLabel(sw.status)).Inc()
		s.duration.WithLabelValues(method, route).Observe(d.Seconds())
		level := slog.LevelDebug
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		s.Log.Log(r.Context(), level, "http", "request_id", requestID(r.Context()), "method", method,
			"route", route, "status", sw.status, "duration_ms", float64(d.Microseconds())/1000)
	})
}

// Every label of every series takes its value from a closed set, so that
// requests cannot grow the metrics without bound: the route is a pattern of
// the route table, a mount's prefix or "unmatched"; the method and the
// status fold what they do not know into "other".

// knownMethods are the methods Convene serves: the API's, and the WebDAV
// methods of the CalDAV mount (RFC 4918 §9, RFC 3253 §3.6 REPORT, RFC 4791
// §5.3.1 MKCALENDAR).
var knownMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true,
	"PROPFIND": true, "PROPPATCH": true, "REPORT": true, "MKCOL": true, "MKCALENDAR": true,
	"COPY": true, "MOVE": true, "LOCK": true, "UNLOCK": true,
}

// methodLabel is the method as a metric label: itself when known, "other"
// for any made-up one.
func methodLabel(m string) string {
	if knownMethods[m] {
		return m
	}
	return "other"
}

// knownStatuses are the codes the API and its mounts answer (CalDAV's
// 207, 412, 423, 507 among them), kept exact in the metrics.
var knownStatuses = map[int]bool{
	200: true, 201: true, 202: true, 204: true, 207: true,
	301: true, 302: true, 303: true, 304: true, 307: true, 308: true,
	400: true, 401: true, 403: true, 404: true, 405: true, 406: true, 408: true, 409: true, 410: true, 411: true,
	412: true, 413: true, 414: true, 415: true, 416: true, 422: true, 423: true, 424: true, 429: true, 431: true,
	500: true, 501: true, 502: true, 503: true, 504: true, 507: true,
}

// statusLabel is the status as a metric label: the code when it is one of
// knownStatuses, else its class ("2xx"…"5xx"), else "other".
func statusLabel(code int) string {
	switch {
	case knownStatuses[code]:
		return strconv.Itoa(code)
	case code >= 100 && code < 600:
		return strconv.Itoa(code/100) + "xx"
	}
	return "other"
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (flush,
// hijack, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type requestIDKey struct{}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID gives each request an ID, returned in X-Request-Id and
// written in logs and problem documents.
func (s *Server) withRequestID(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [8]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// recoverer answers a panic with a 500 problem and logs it with its stack,
// instead of letting one bad request take the connection down silently.
func (s *Server) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.Error("panic in handler", "request_id", requestID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeError(w, r, s.Log, fmt.Errorf("panic: %v", v))
			}
		}()
		h.ServeHTTP(w, r)
	})
}

type principalKey struct{}

// principal returns the authenticated principal of a request made to a
// route with authToken.
func principal(r *http.Request) account.Principal {
	p, _ := r.Context().Value(principalKey{}).(*account.Principal)
	if p == nil {
		panic("web: principal on an unauthenticated route")
	}
	return *p
}

// bearer returns the token of an Authorization: Bearer header, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// authenticate returns the principal of the request's API token. A client
// address that failed too often is refused before its token is looked at
// (429); a wrong token is counted against its address and logged.
func (s *Server) authenticate(r *http.Request, route string) (*account.Principal, error) {
	tok := bearer(r)
	if tok == "" {
		// Nothing presented, nothing guessed: not counted.
		return nil, failure.New(failure.Unauthenticated, "send an API token as Authorization: Bearer TOKEN")
	}
	client, err := s.allowAttempt(r, route)
	if err != nil {
		return nil, err
	}
	p, err := s.Accounts.Authenticate(r.Context(), tok)
	if err != nil && failure.KindOf(err) == failure.Unauthenticated {
		s.authFailed(r, client, route, err, authlimit.SecretHint(tok))
	}
	return p, err
}

// allowAttempt returns the request's client address, or a throttled error
// when that address failed to authenticate too often.
func (s *Server) allowAttempt(r *http.Request, route string) (netip.Addr, error) {
	client := s.AuthLimit.Client(r)
	if wait := s.AuthLimit.Wait(client); wait > 0 {
		s.Log.Debug("authentication refused: too many failures", "request_id", requestID(r.Context()), "client", client.String(), "route", route)
		return client, &throttled{wait: wait}
	}
	return client, nil
}

// authFailed counts a failed authentication against the client's address
// and logs it at WARN: the address, the route, why, and at most a hint of
// the secret presented (authlimit.SecretHint), never the secret.
func (s *Server) authFailed(r *http.Request, client netip.Addr, route string, why error, hint string) {
	s.AuthLimit.Fail(client)
	attrs := []any{"request_id", requestID(r.Context()), "client", client.String(), "route", route}
	if fe, ok := failure.As(why); ok {
		attrs = append(attrs, "reason", fe.Detail)
	}
	if hint != "" {
		attrs = append(attrs, "token", hint)
	}
	s.Log.Warn("authentication failed", attrs...)
}

// throttled answers a client address that failed to authenticate too
// often: 429 with Retry-After (RFC 6585 §4).
type throttled struct{ wait time.Duration }

func (e *throttled) Error() string {
	return "too many failed authentications from this address; retry in " + authlimit.RetryAfter(e.wait) + " s"
}
