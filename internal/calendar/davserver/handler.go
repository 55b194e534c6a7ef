// Package davserver serves each user's built-in calendar over CalDAV
// (RFC 4791), with the discovery of RFC 6764 (/.well-known/caldav) and
// RFC 5397/6638 (current-user-principal, calendar-home-set,
// calendar-user-address-set), so that Thunderbird, Apple Calendar and
// DAVx5 can subscribe with the user's e-mail address and an API token as
// Basic credentials.
//
// WebDAV itself (PROPFIND, PUT, DELETE, OPTIONS, MKCOL) is emersion's
// go-webdav caldav.Handler over a Backend of this package. Around it, this
// package adds what go-webdav v0.7.0 lacks, each where it says why:
// authentication; REPORTs (calendar-query with time-range and expand,
// calendar-multiget, sync-collection of RFC 6578, free-busy-query of
// RFC 4791 §7.10), answered from the stored bytes; GET of the stored bytes
// (so an ETag names the octets served, RFC 4791 §5.3.4); conditional
// DELETE; and the collection properties CS:getctag, DAV:sync-token and
// DAV:supported-report-set.
//
// Layout under the mount point (/dav):
//
//	/dav/                                   root
//	/dav/{email}/                           the user's principal
//	/dav/{email}/calendars/                 calendar home
//	/dav/{email}/calendars/default/         the built-in calendar
//	/dav/{email}/calendars/default/{name}   its objects
//
// A user reaches only their own tree. This package must never import
// internal/web.
package davserver

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-webdav/caldav"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// Authenticator checks an API token; *account.Service is one.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (*account.Principal, error)
}

// Handler serves CalDAV. Mount it at Prefix; it expects paths that still
// carry the prefix or have had exactly it stripped.
type Handler struct {
	Calendars *calendar.Service
	Auth      Authenticator
	// Prefix is the mount point, "/dav" by default.
	Prefix string
	Log    *slog.Logger
	// Limit counts failed sign-ins per client address and refuses an
	// address that failed too often (429, before any check); nil: no
	// limit. Share the web API's, so both count together.
	Limit *authlimit.Limiter
	// Limits bound each REPORT; zero values take the defaults.
	Limits ReportLimits

	dav *caldav.Handler
}

// New returns a Handler mounted at prefix.
func New(cals *calendar.Service, auth Authenticator, prefix string, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	prefix = "/" + strings.Trim(prefix, "/")
	h := &Handler{Calendars: cals, Auth: auth, Prefix: prefix, Log: log}
	h.Limits.defaults()
	h.dav = &caldav.Handler{Backend: &backend{h: h}, Prefix: prefix}
	return h
}

// WellKnown answers /.well-known/caldav (RFC 6764 §5) with a redirect to
// the CalDAV root, where PROPFIND finds the current user's principal.
func (h *Handler) WellKnown() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, h.Prefix+"/", http.StatusMovedPermanently)
	})
}

// request is what the handler learned about a request, for the backend.
type request struct {
	user *store.User
	cal  *store.Calendar
	// raw is the body of a PUT, kept so that the octets stored are the
	// octets sent.
	raw []byte
	// ifMatch is the If-Match of a DELETE, which go-webdav does not pass on.
	ifMatch string
	// wantData: a PROPFIND asks for calendar-data (or allprop), so the
	// objects it lists need their data.
	wantData bool
	// refusal is the answer to a PUT the backend refused with a condition
	// of its own.
	refusal *refusal
	// usage is the user's quota, when a PROPFIND asks for it.
	usage *calendar.Usage
}

// refusal is an answer with a DAV:error naming a condition (RFC 4918 §16).
type refusal struct {
	code   int
	cond   xml.Name
	detail string
}

type requestKey struct{}

func reqOf(ctx context.Context) *request {
	rq, _ := ctx.Value(requestKey{}).(*request)
	return rq
}

// Paths of the user's tree.
func (h *Handler) principalPath(u *store.User) string { return h.Prefix + "/" + u.Email + "/" }
func (h *Handler) homePath(u *store.User) string      { return h.principalPath(u) + "calendars/" }
func (h *Handler) calendarPath(u *store.User) string  { return h.homePath(u) + "default/" }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, h.Prefix+"/") && r.URL.Path != h.Prefix {
		// Mounted with the prefix stripped: put it back, go-webdav and
		// the hrefs work with whole paths.
		r2 := r.Clone(r.Context())
		r2.URL.Path = h.Prefix + "/" + strings.TrimPrefix(r.URL.Path, "/")
		r2.URL.RawPath = ""
		r = r2
	}
	if r.URL.Path == h.Prefix+"/.well-known/caldav" {
		h.WellKnown().ServeHTTP(w, r)
		return
	}
	rq, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	if !h.inTree(rq.user, r.URL.Path) {
		// Another user's tree, or nothing: not found either way, so the
		// answer does not tell whether an address is a user.
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	ctx := context.WithValue(r.Context(), requestKey{}, rq)
	r = r.WithContext(ctx)
	w.Header().Set("DAV", "1, 3, calendar-access")
	switch r.Method {
	case "REPORT":
		h.report(w, r, rq)
		return
	case http.MethodGet, http.MethodHead:
		if h.isObjectPath(rq.user, r.URL.Path) {
			h.get(w, r, rq)
			return
		}
	case http.MethodPut:
		max := h.Calendars.Limits().MaxObjectBytes
		body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		if int64(len(body)) > max {
			// RFC 4791 §5.3.2.1; the limit is the calendar's
			// CALDAV:max-resource-size (§5.2.5).
			writeError(w, http.StatusForbidden, xmlName(nsCalDAV, "max-resource-size"),
				fmt.Sprintf("the object is over %d bytes, the calendar's max-resource-size", max))
			return
		}
		// Decode once here: go-ical panics on some malformed lines, and
		// go-webdav would decode the body unguarded.
		if _, err := calendar.Decode(body); err != nil && h.isObjectPath(rq.user, r.URL.Path) {
			writeError(w, http.StatusBadRequest, xmlName(nsCalDAV, "valid-calendar-data"), err.Error())
			return
		}
		// Outlook starts its files with a byte order mark, which go-webdav's
		// decoder would refuse: the object is stored without it.
		body = calendar.TrimBOM(body)
		rq.raw = body
		r.Body = io.NopCloser(bytes.NewReader(body))
		// go-webdav answers the PUT; a refusal of the backend with a
		// condition go-webdav cannot write replaces its answer.
		rec := &recorder{header: http.Header{}, code: http.StatusOK}
		h.dav.ServeHTTP(rec, r)
		if f := rq.refusal; f != nil {
			writeError(w, f.code, f.cond, f.detail)
			return
		}
		rec.replay(w)
		return
	case http.MethodDelete:
		rq.ifMatch = r.Header.Get("If-Match")
	case "PROPFIND":
		h.propfind(w, r, rq)
		return
	case "PROPPATCH":
		h.proppatch(w, r, rq)
		return
	case http.MethodOptions:
	default:
		// MKCOL, MKCALENDAR, MOVE, COPY…: go-webdav decodes what XML
		// they carry, bounded here first.
		body, ok := readXMLBody(w, r, r.Method)
		if !ok {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	h.dav.ServeHTTP(w, r)
}

// authenticate checks HTTP Basic credentials: the user's e-mail address
// and one of their API tokens (RFC 7617). The token's user must be the
// address given.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (*request, bool) {
	deny := func(msg string) (*request, bool) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Convene CalDAV", charset="UTF-8"`)
		http.Error(w, msg, http.StatusUnauthorized)
		return nil, false
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		// Nothing presented (clients ask first without credentials):
		// not a failure.
		return deny("sign in with your e-mail address and a Convene API token")
	}
	var client netip.Addr
	if h.Limit != nil {
		client = h.Limit.Client(r)
		if wait := h.Limit.Wait(client); wait > 0 {
			w.Header().Set("Retry-After", authlimit.RetryAfter(wait))
			http.Error(w, "too many failed sign-ins from your address; try again later", http.StatusTooManyRequests)
			return nil, false
		}
	}
	failed := func(msg string) (*request, bool) {
		// The address, what failed and a hint of the token at most;
		// never the password.
		if h.Limit != nil {
			h.Limit.Fail(client)
		}
		h.Log.Warn("caldav: authentication failed", "client", client.String(), "reason", msg, "token", authlimit.SecretHint(pass))
		return deny(msg)
	}
	p, err := h.Auth.Authenticate(r.Context(), pass)
	if err != nil {
		if failure.KindOf(err) != failure.Unauthenticated {
			h.Log.Warn("caldav: authenticate", "err", err)
			http.Error(w, "cannot check the credentials now", http.StatusServiceUnavailable)
			return nil, false
		}
		return failed("the API token is unknown, revoked or its user disabled")
	}
	if !strings.EqualFold(strings.TrimSpace(user), p.Email) {
		return failed("the API token is not the token of this address")
	}
	st := h.Calendars.Store()
	u, err := st.User(r.Context(), p.AccountID, p.UserID)
	if err != nil {
		h.Log.Warn("caldav: load user", "err", err)
		http.Error(w, "cannot load the user", http.StatusServiceUnavailable)
		return nil, false
	}
	cal, err := h.Calendars.Builtin(r.Context(), u.AccountID, u.ID)
	if err != nil {
		h.Log.Warn("caldav: load calendar", "err", err)
		http.Error(w, "cannot load the calendar", http.StatusServiceUnavailable)
		return nil, false
	}
	return &request{user: u, cal: cal}, true
}

// inTree reports whether p is the root or inside u's tree.
func (h *Handler) inTree(u *store.User, p string) bool {
	rest := strings.TrimPrefix(p, h.Prefix)
	if rest == "" || rest == "/" {
		return true
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	return strings.EqualFold(first, u.Email)
}

// objectName returns the resource name of an object path of u's
// calendar, or "".
func (h *Handler) objectName(u *store.User, p string) string {
	calPath := h.calendarPath(u)
	if len(p) <= len(calPath) || !strings.EqualFold(p[:len(calPath)], calPath) {
		return ""
	}
	name := p[len(calPath):]
	if name == "" || strings.Contains(name, "/") || name == "." || name == ".." || len(name) > 255 {
		return ""
	}
	return name
}

func (h *Handler) isObjectPath(u *store.User, p string) bool { return h.objectName(u, p) != "" }

// isCalendarPath reports whether p names u's calendar collection.
func (h *Handler) isCalendarPath(u *store.User, p string) bool {
	return strings.EqualFold(strings.TrimSuffix(path.Clean(p), "/")+"/", h.calendarPath(u))
}

// get answers GET and HEAD of an object with the stored octets (go-webdav
// would encode its parse, whose bytes the ETag does not name).
func (h *Handler) get(w http.ResponseWriter, r *http.Request, rq *request) {
	name := h.objectName(rq.user, r.URL.Path)
	o, err := h.Calendars.Store().CalendarObject(r.Context(), rq.user.AccountID, rq.cal.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "no such calendar object", http.StatusNotFound)
		return
	}
	if err != nil {
		h.Log.Warn("caldav: get", "err", err)
		http.Error(w, "cannot load the object", http.StatusInternalServerError)
		return
	}
	etag := `"` + o.ETag + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", o.Modified.UTC().Format(http.TimeFormat))
	w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
	if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == "*" || strings.Contains(inm, etag)) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Length", strconv.Itoa(len(o.Data)))
		return
	}
	w.Write(o.Data)
}

// httpDate formats t for HTTP and DAV:getlastmodified (RFC 1123).
func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
