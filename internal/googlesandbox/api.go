package googlesandbox

import (
	"net/http"
	"slices"
	"strings"
)

// call is an authenticated Calendar API request.
type call struct {
	token *accessToken
}

// apiHandler serves one Calendar API method; a returned error is sent in
// Google's shape.
type apiHandler func(http.ResponseWriter, *http.Request, *call) *apiError

// api authenticates a Calendar API request with its bearer token.
func (s *Server) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		raw, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			raw, ok = strings.CutPrefix(auth, "bearer ")
		}
		s.mu.Lock()
		t := s.st.Tokens[strings.TrimSpace(raw)]
		if t != nil && !s.now().Before(t.ExpiresAt) {
			t = nil
		}
		var tc accessToken
		if t != nil {
			tc = *t
		}
		s.mu.Unlock()
		if !ok || t == nil {
			writeAPIError(w, errInvalidCredentials())
			return
		}
		if e := h(w, r, &call{token: &tc}); e != nil {
			writeAPIError(w, e)
		}
	}
}

// allows reports whether the token holds one of scopes.
func (c *call) allows(scopes []string) bool {
	for _, sc := range c.token.Scopes {
		if slices.Contains(scopes, sc) {
			return true
		}
	}
	return false
}

// calendarLocked resolves a calendarId ("primary" or an address) to the
// caller's own calendar. Another user's calendar is not shared with the
// caller in the sandbox: 404 notFound, as Google answers for a calendar
// one cannot see.
func (s *Server) calendarLocked(c *call, id string) (*calendar, *apiError) {
	if id == "primary" {
		id = c.token.Subject
	}
	id = strings.ToLower(id)
	if id != c.token.Subject {
		return nil, errNotFound()
	}
	return s.calendarOfLocked(id), nil
}

// calendarOfLocked returns the calendar of an address, made on first use.
func (s *Server) calendarOfLocked(id string) *calendar {
	id = strings.ToLower(id)
	cal := s.st.Calendars[id]
	if cal == nil {
		cal = &calendar{ID: id, Events: map[string]*record{}}
		s.st.Calendars[id] = cal
	}
	return cal
}

// timeZoneLocked is the calendar owner's time zone (default UTC).
func (s *Server) timeZoneLocked(calendarID string) string {
	if u := s.st.Users[strings.ToLower(calendarID)]; u != nil && u.TimeZone != "" {
		return u.TimeZone
	}
	return "UTC"
}
