package pages

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/failure"
)

// Options configure the pages.
type Options struct {
	Accounts *account.Service
	// Booking, Calendars and the rest of the organizer's and guests' pages: organizer_options.go.
	OrganizerOptions
	// BaseURL is Convene's public URL. With https, cookies are Secure and
	// __Host- prefixed, and Strict-Transport-Security is sent.
	BaseURL string
	// Key is the secret the pages derive their keys from (CSRF tokens,
	// the single sign-on cookie): at least 32 random bytes, derived from
	// the data key so that every node of a cluster agrees.
	Key []byte
	// AuthLimit throttles failed sign-ins per client address; share the
	// API's, so that both count together. Nil: a Limiter of its own.
	AuthLimit *authlimit.Limiter
	// OIDC offers single sign-on when its Issuer is set.
	OIDC OIDCOptions
	// Sandboxed says Convene runs on the built-in Zoom sandbox: the pages
	// say so where it matters (domains under reserved names are verified
	// without DNS).
	Sandboxed bool
	// Admin are the services of the admin pages (admin.go).
	Admin AdminOptions
	// Version is shown in the footer.
	Version string
	Log     *slog.Logger
	Now     func() time.Time
}

// Server serves the pages.
type Server struct {
	opts      Options
	secure    bool   // BaseURL is https
	origin    string // scheme://host of BaseURL
	csrfKey   []byte
	oidcKey   []byte
	templates map[string]*pageTemplate
	static    *staticFiles
	cop       *http.CrossOriginProtection
	oidc      *oidcClient // nil: no single sign-on
	routes    []pageRoute
}

// Route is one route of the pages: a net/http pattern and its handler.
type Route struct {
	Pattern string
	Handler http.Handler
}

// New prepares the pages: it parses every template (a bad one fails here,
// not on a visitor's request).
func New(opts Options) (*Server, error) {
	if opts.Accounts == nil {
		return nil, errors.New("pages: Options.Accounts is required")
	}
	if len(opts.Key) < 32 {
		return nil, errors.New("pages: Options.Key must hold at least 32 bytes")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.AuthLimit == nil {
		opts.AuthLimit = authlimit.New(authlimit.Options{})
	}
	base, err := url.Parse(opts.BaseURL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("pages: base URL %q is not absolute", opts.BaseURL)
	}
	s := &Server{
		opts:    opts,
		secure:  base.Scheme == "https",
		origin:  base.Scheme + "://" + base.Host,
		csrfKey: deriveKey(opts.Key, "convene pages csrf"),
		oidcKey: deriveKey(opts.Key, "convene pages oidc"),
		cop:     http.NewCrossOriginProtection(),
	}
	if err := s.cop.AddTrustedOrigin(s.origin); err != nil {
		return nil, fmt.Errorf("pages: base URL: %w", err)
	}
	if s.static, err = loadStatic(); err != nil {
		return nil, err
	}
	if s.templates, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	if opts.OIDC.Issuer != "" {
		s.oidc = newOIDCClient(opts.OIDC, opts.BaseURL+oidcCallbackPath, opts.Now)
	}
	s.routes = s.routeTable()
	return s, nil
}

// access says who may open a route.
type access int

const (
	public   access = iota // anyone
	signedIn               // a signed-in user; others go to the sign-in page
	admins                 // an admin or owner of the account
)

// pageRoute is one route of the pages.
type pageRoute struct {
	method, path string
	access       access
	// noStore: the answer carries personal data or a CSRF token (every
	// page but the static files).
	handle func(*Request) error
	// maxBody bounds what a form may send; 0: maxFormBody.
	maxBody int64
}

// routeTable lists every route: the foundation's here, each later area's
// from its own file (adminRoutes, organizerRoutes, guestRoutes…).
func (s *Server) routeTable() []pageRoute {
	var all []pageRoute
	for _, area := range [][]pageRoute{s.foundationRoutes(), s.adminRoutes(), s.organizerRoutes(), s.guestRoutes()} {
		all = append(all, area...)
	}
	return all
}

// foundationRoutes: home, first run, signing in and out, language.
func (s *Server) foundationRoutes() []pageRoute {
	return []pageRoute{
		{method: "GET", path: "/{$}", handle: s.home},
		{method: "GET", path: "/setup", handle: s.setupForm},
		{method: "POST", path: "/setup", handle: s.setupSubmit},
		{method: "GET", path: "/signin", handle: s.signinForm},
		{method: "POST", path: "/signin", handle: s.signinSubmit},
		{method: "POST", path: "/signout", access: signedIn, handle: s.signout},
		{method: "POST", path: "/signout/everywhere", access: signedIn, handle: s.signoutEverywhere},
		{method: "GET", path: "/reset", handle: s.resetRequestForm},
		{method: "POST", path: "/reset", handle: s.resetRequestSubmit},
		{method: "GET", path: "/reset/{token}", handle: s.resetForm},
		{method: "POST", path: "/reset/{token}", handle: s.resetSubmit},
		{method: "GET", path: oidcStartPath, handle: s.oidcStart},
		{method: "GET", path: oidcCallbackPath, handle: s.oidcCallback},
		{method: "POST", path: "/language", handle: s.setLanguage},
		{method: "POST", path: "/tokens", access: signedIn, handle: s.createToken},
	}
}

// Routes returns the routes to serve, with their security headers, CSRF
// check, session and access rules applied.
func (s *Server) Routes() []Route {
	var out []Route
	for _, rt := range s.routes {
		out = append(out, Route{Pattern: rt.method + " " + rt.path, Handler: s.wrap(rt)})
	}
	out = append(out, Route{Pattern: "GET " + staticPrefix + "{name}", Handler: s.withHeaders(http.HandlerFunc(s.serveStatic), false)})
	return out
}

// NotFound answers a browser's request for a page that does not exist.
func (s *Server) NotFound(w http.ResponseWriter, r *http.Request) {
	s.withHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := s.newRequest(w, r)
		req.fail(failure.New(failure.NotFound, "there is no page at %s", r.URL.Path))
	}), true).ServeHTTP(w, r)
}

// maxFormBody bounds a form's body: the pages' forms are small.
const maxFormBody int64 = 64 << 10

// wrap applies to a route what every route needs: headers, the session,
// the CSRF check of unsafe methods, and the access rule.
func (s *Server) wrap(rt pageRoute) http.Handler {
	return s.withHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := s.newRequest(w, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, cmp.Or(rt.maxBody, maxFormBody))
			if err := s.checkCSRF(req); err != nil {
				req.fail(err)
				return
			}
		}
		switch rt.access {
		case signedIn, admins:
			if req.Session == nil {
				if r.Method == http.MethodGet {
					req.Redirect("/signin?next="+url.QueryEscape(r.URL.RequestURI()), "")
					return
				}
				req.fail(failure.New(failure.Unauthenticated, "sign in first"))
				return
			}
			if rt.access == admins {
				if err := req.Session.Principal.RequireAdmin(); err != nil {
					req.fail(err)
					return
				}
			}
		}
		if err := rt.handle(req); err != nil {
			req.fail(err)
		}
	}), true)
}

// Request is one request to a page: what every handler needs.
type Request struct {
	W http.ResponseWriter
	R *http.Request
	// Session is the signed-in user's session; nil when nobody is signed
	// in.
	Session *account.WebSession
	// L is the visitor's language.
	L *Locale

	s    *Server
	csrf string // computed once per request
}

func (s *Server) newRequest(w http.ResponseWriter, r *http.Request) *Request {
	req := &Request{W: w, R: r, s: s}
	req.Session = s.session(r)
	req.L = s.locale(r, req.Session)
	return req
}

// Redirect answers 303 See Other to a local path, with a flash message
// (a key of the catalog) for the next page.
func (req *Request) Redirect(path, flash string) {
	if flash != "" {
		req.s.setFlash(req.W, flash)
	}
	http.Redirect(req.W, req.R, path, http.StatusSeeOther)
}

// safeNext returns next when it is a path of this site, else "/": a
// redirect after sign-in must never leave Convene (an open redirect).
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t") || len(next) > 1000 {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}
