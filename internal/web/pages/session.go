package pages

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
)

// Cookies of the pages. Each is HttpOnly and SameSite=Lax (sent on a
// top-level navigation from elsewhere, such as the identity provider's
// redirect back, but never on another site's POST or subrequest), Path=/,
// and Secure with the __Host- prefix (RFC 6265bis §4.1.3.2: no Domain,
// Secure, Path=/) when Convene is served over https.
const (
	sessionCookie = "convene_session"
	csrfCookie    = "convene_csrf"
	flashCookie   = "convene_flash"
)

// cookieName is name, with the __Host- prefix behind https.
func (s *Server) cookieName(name string) string {
	if s.secure {
		return "__Host-" + name
	}
	return name
}

// setCookie sets a cookie of the pages; maxAge 0 makes it last as long as
// the browser session, a negative one deletes it.
func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: s.cookieName(name), Value: value, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode}
	switch {
	case maxAge < 0:
		c.MaxAge = -1
	case maxAge > 0:
		c.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, c)
}

func (s *Server) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(s.cookieName(name))
	if err != nil {
		return ""
	}
	return c.Value
}

// session returns the signed-in user of the request's session cookie, or
// nil. The core decides whether the session still holds.
func (s *Server) session(r *http.Request) *account.WebSession {
	secret := s.cookie(r, sessionCookie)
	if secret == "" {
		return nil
	}
	ws, err := s.opts.Accounts.Session(r.Context(), secret)
	if err != nil {
		if failure.KindOf(err) != failure.Unauthenticated {
			s.opts.Log.Error("pages: session", "err", err)
		}
		return nil
	}
	return ws
}

// startSession gives the browser the cookie of a new session, for as long
// as the session may last.
func (req *Request) startSession(ws *account.WebSession, secret string) {
	req.s.setCookie(req.W, sessionCookie, secret, ws.Session.Expires.Sub(req.s.opts.Now()))
	req.Session = ws
	req.csrf = ""
}

// endSession deletes the session cookie.
func (req *Request) endSession() {
	req.s.setCookie(req.W, sessionCookie, "", -1)
	req.Session = nil
	req.csrf = ""
}

// previousSession is the secret of the browser's current session cookie,
// which a sign-in ends (rotation).
func (req *Request) previousSession() string { return req.s.cookie(req.R, sessionCookie) }

// CSRF protection. Every form carries a token in its csrfField, and every
// JSON call of a page the same token in the X-CSRF-Token header:
//   - signed in, the token is an HMAC of the session's id: a token of
//     another session, or from before a sign-in, does not pass;
//   - before sign-in (setup, sign-in, reset), an HMAC of a random cookie
//     (a double-submit cookie that a site elsewhere can neither read nor
//     forge the token of): this also stops "login CSRF";
//   - in both cases the request must come from this origin
//     (Sec-Fetch-Site, or Origin against Host: net/http's
//     CrossOriginProtection).

// csrfField is the name of the forms' hidden CSRF field.
const csrfField = "csrf"

// CSRF returns the token for this request's forms, setting the pre-sign-in
// cookie when it is needed and missing.
func (req *Request) CSRF() string {
	if req.csrf != "" {
		return req.csrf
	}
	if req.Session != nil {
		req.csrf = req.s.csrfToken("session", req.Session.Principal.SessionID)
		return req.csrf
	}
	anon := req.s.cookie(req.R, csrfCookie)
	if !validAnon(anon) {
		var b [32]byte
		rand.Read(b[:])
		anon = base64.RawURLEncoding.EncodeToString(b[:])
		req.s.setCookie(req.W, csrfCookie, anon, 0)
	}
	req.csrf = req.s.csrfToken("anonymous", anon)
	return req.csrf
}

func validAnon(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

func (s *Server) csrfToken(kind, id string) string {
	mac := hmac.New(sha256.New, s.csrfKey)
	mac.Write([]byte(kind))
	mac.Write([]byte{0})
	mac.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// errCSRF is the answer to a form that is not this site's.
func errCSRF() error {
	return failure.New(failure.Forbidden, "this form expired or was not sent from Convene's own page; reload the page and try again (your browser must keep cookies for this site)")
}

// checkCSRF refuses an unsafe request from another origin or without the
// token of this browser's session.
func (s *Server) checkCSRF(req *Request) error {
	if err := s.cop.Check(req.R); err != nil {
		s.opts.Log.Warn("pages: cross-origin request refused", "route", logRoute(req.R), "origin", req.R.Header.Get("Origin"),
			"sec_fetch_site", req.R.Header.Get("Sec-Fetch-Site"))
		return errCSRF()
	}
	given := req.R.Header.Get("X-CSRF-Token")
	if given == "" {
		if err := req.R.ParseForm(); err != nil {
			return failure.New(failure.Malformed, "the form could not be read: %v", err)
		}
		given = req.R.PostForm.Get(csrfField)
	}
	var expected string
	if req.Session != nil {
		expected = s.csrfToken("session", req.Session.Principal.SessionID)
	} else if anon := s.cookie(req.R, csrfCookie); validAnon(anon) {
		expected = s.csrfToken("anonymous", anon)
	}
	if expected == "" || !hmac.Equal([]byte(given), []byte(expected)) {
		return errCSRF()
	}
	return nil
}

// Flash messages: a key of the catalog kept in a cookie for the page after
// a redirect (never free text, so nothing can be injected through it).

func (s *Server) setFlash(w http.ResponseWriter, key string) {
	s.setCookie(w, flashCookie, key, time.Minute)
}

// popFlash returns the flash message of the request, translated, and
// deletes it.
func (req *Request) popFlash() string {
	key := req.s.cookie(req.R, flashCookie)
	if key == "" {
		return ""
	}
	req.s.setCookie(req.W, flashCookie, "", -1)
	if len(key) > 64 || !req.L.Has("flash."+key) {
		return ""
	}
	return req.L.T("flash." + key)
}
