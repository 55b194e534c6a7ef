// Package web is Convene's HTTP front end: the JSON API of DESIGN.md §4
// with RFC 9457 problem documents, health and metrics endpoints, the
// OpenAPI description of every route it serves, OAuth callbacks and
// webhooks.
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
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/apps"
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
	// ZoomWebhookSecret verifies Zoom's webhooks.
	ZoomWebhookSecret string
	// ZoomMeetings applies Zoom's meeting events; nil: they are ignored.
	ZoomMeetings ZoomMeetingEvents
	Log          *slog.Logger
	Now          func() time.Time
	// Health checks the storage; nil means always healthy.
	Health func(ctx context.Context) error
	// Mounts are extra handler trees served under a path prefix (the Zoom
	// sandbox under /zoom-sandbox/, CalDAV under /dav/).
	Mounts map[string]http.Handler
	// Version is reported by /healthz.
	Version string
	// Inbox serves the routes of received mail; nil: none received.
	Inbox *inbox.Service
	// MailDNS adds the DKIM, SPF and DMARC records to GET
	// /api/v1/domains; nil: the verification record only.
	MailDNS MailRecords

	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	routes   []route
}

// Handler returns the HTTP handler of every route.
func (s *Server) Handler() http.Handler {
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
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
	for prefix, h := range s.Mounts {
		p := "/" + strings.Trim(prefix, "/")
		mux.Handle(p+"/", s.observe(p+"/", http.StripPrefix(p, h)))
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
			p, err := s.authenticate(r)
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
		method := r.Method
		s.requests.WithLabelValues(method, route, strconv.Itoa(sw.status)).Inc()
		s.duration.WithLabelValues(method, route).Observe(d.Seconds())
		level := slog.LevelDebug
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		s.Log.Log(r.Context(), level, "http", "request_id", requestID(r.Context()), "method", method,
			"route", route, "status", sw.status, "duration_ms", float64(d.Microseconds())/1000)
	})
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

func (s *Server) authenticate(r *http.Request) (*account.Principal, error) {
	tok := bearer(r)
	if tok == "" {
		return nil, failure.New(failure.Unauthenticated, "send an API token as Authorization: Bearer TOKEN")
	}
	return s.Accounts.Authenticate(r.Context(), tok)
}
