package zoomsandbox

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// call is what an API handler knows about the request's caller.
type call struct {
	op      operation
	token   *token
	account *account
	// user is the token's user: the authorizing user of an authorization
	// code grant, the account owner for account_credentials.
	user  *user
	grant grant
}

// apiHandler handles one REST operation with s.mu NOT held; it returns an
// error to send instead of an answer.
type apiHandler func(w http.ResponseWriter, r *http.Request, c *call) *apiError

// api wraps a REST handler: tracking id and rate-limit headers, injected
// faults, bearer token and scope checks (zoom-api.md §1.1, §2.3, §3.4).
func (s *Server) api(op operation, h apiHandler) http.HandlerFunc {
	return s.withFaults(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-zm-trackingid", s.trackingID())
		if op.name != "" {
			s.rateLimitHeaders(w, op.category)
		}
		c, aerr := s.authenticate(r, op)
		if aerr == nil {
			aerr = h(w, r, c)
		}
		if aerr != nil {
			writeAPIError(w, aerr)
		}
	})
}

// authenticate checks the bearer token and its scopes.
func (s *Server) authenticate(r *http.Request, op operation) (*call, *apiError) {
	auth := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, errInvalidToken()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.byAccess[strings.TrimSpace(tok)]
	if t == nil || t.Revoked {
		return nil, errInvalidToken()
	}
	if !s.now().Before(t.ExpiresAt) {
		return nil, errExpiredToken()
	}
	c := &call{op: op, token: t, account: s.st.Accounts[t.AccountID], user: s.st.Users[t.UserID]}
	if c.account == nil || c.user == nil {
		return nil, errInvalidToken()
	}
	if op.name != "" {
		c.grant = op.allowed(t.Scopes)
		if c.grant == grantNone {
			return nil, errMissingScopes(op.granular[:])
		}
	}
	return c, nil
}

// qpsWindow counts one account's requests of a rate-limit category in the
// current second.
type qpsWindow struct {
	second int64
	count  int
}

// Per-second limits of a Pro account (zoom-api.md §3.2).
var qpsLimits = map[string]int{"Light": 30, "Medium": 20, "Heavy": 10}

// rateLimitHeaders sets the X-RateLimit-* headers Zoom sends on every
// response (zoom-api.md §3.4). The sandbox reports per-second usage but does
// not enforce it: faults reproduce 429s on demand.
func (s *Server) rateLimitHeaders(w http.ResponseWriter, category string) {
	limit := qpsLimits[category]
	now := s.now().Unix()
	s.mu.Lock()
	q := s.qps[category]
	if q == nil || q.second != now {
		q = &qpsWindow{second: now}
		s.qps[category] = q
	}
	q.count++
	remaining := max(limit-q.count, 0)
	s.mu.Unlock()
	h := w.Header()
	h.Set("X-RateLimit-Category", category)
	h.Set("X-RateLimit-Type", "QPS")
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
}

// nextMidnightUTC is when Zoom's daily limits reset (GMT 00:00:00).
func nextMidnightUTC(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// countCreateUpdate counts a meeting create or update request against the
// host's daily limit of 100 (zoom-api.md §3.3) and returns the 429 to send
// when it is exceeded. s.mu is held.
func (s *Server) countCreateUpdate(hostID string) *apiError {
	const limit = 100
	now := s.now().UTC()
	day := now.Format("2006-01-02")
	dc := s.st.Daily[hostID]
	if dc == nil || dc.Day != day {
		dc = &dailyCount{Day: day}
		s.st.Daily[hostID] = dc
	}
	if dc.Count >= limit {
		return dailyLimitError(now, true)
	}
	dc.Count++
	s.dailyChanged(hostID)
	return nil
}

// dailyLimitError is the per-user create/update 429 (zoom-api.md §2.3,
// FORUM-429's real body used code 429). withRetryAfter adds Retry-After
// (ISO date of the next reset, §3.4); Zoom has been seen to omit it.
func dailyLimitError(now time.Time, withRetryAfter bool) *apiError {
	e := &apiError{Status: http.StatusTooManyRequests, Code: 429, Message: formatDailyLimit(100), header: http.Header{}}
	e.header.Set("X-RateLimit-Type", "Daily-limit")
	e.header.Set("X-RateLimit-Remaining", "0")
	if withRetryAfter {
		e.header.Set("Retry-After", nextMidnightUTC(now).Format(zoomTime))
	}
	return e
}

func formatDailyLimit(n int) string { return strings.Replace(msgDailyLimit, "%d", strconv.Itoa(n), 1) }
