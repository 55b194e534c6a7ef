package zoom

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/convene/convene/internal/video"
)

// Zoom error codes the client decides on (zoom-api.md §2.3).
const (
	CodeValidation     = 300  // validation failed; errors[] names the fields
	CodeInvalidToken   = 124  // invalid or expired access token (HTTP 401)
	CodeUserNotFound   = 1001 // user does not exist or not in this account (HTTP 404)
	CodeUserNotAccount = 1010 // user does not belong to this account (HTTP 400)
	CodeMeetingAccess  = 3000 // cannot access meeting information; invalid occurrence_id; started
	CodeMeetingGone    = 3001 // meeting not found or expired (HTTP 404)
	CodeInProgress     = 3002 // cannot delete, meeting in progress
	CodeNotHost        = 3003 // you are not the meeting host
	CodeEnded          = 3007 // cannot delete, meeting has ended
	CodePMI            = 3018 // not allowed to delete a PMI meeting
	CodePAC            = 3037 // not allowed to delete a PAC meeting
	CodeNoHosting      = 3161 // meeting hosting and scheduling not allowed for the user
	CodeNoScope        = 4700 // token lacks scopes (catch-all)
	CodeMissingScope   = 4711 // invalid access token, does not contain scopes:[…]
)

// errorBody is Zoom's error answer: {"code":300,"message":"Validation
// Failed.","errors":[{"field":"…","message":"…"}]} (zoom-api.md §2.1).
type errorBody struct {
	Code    flexInt            `json:"code"`
	Message string             `json:"message"`
	Errors  []video.FieldError `json:"errors"`
}

func trackingID(h http.Header) string { return h.Get("X-Zm-Trackingid") }

// apiError maps a non-2xx answer to a *video.Error. host is the organizer
// the request counts against, for per-host rate limits.
func (c *Client) apiError(a *answer, host string) *video.Error {
	e := &video.Error{Provider: "zoom", Status: a.status, TrackingID: trackingID(a.header), Permanent: true}
	var b errorBody
	if err := json.Unmarshal(a.body, &b); err == nil {
		e.Code, e.Message = int(b.Code), b.Message
	} else {
		e.Message = snippet(a.body) // a proxy's HTML page, say
	}
	msg := strings.ToLower(e.Message)
	switch {
	case a.status == http.StatusTooManyRequests || e.Code == http.StatusTooManyRequests:
		e.Permanent = false
		e.Err = c.rateLimit(a, e.Message, host)
	case e.Code == CodeMissingScope || e.Code == CodeNoScope:
		e.Err = video.ErrMissingScope
	case a.status == http.StatusUnauthorized || e.Code == CodeInvalidToken:
		e.Err = video.ErrUnauthorized
	case e.Code == CodeUserNotFound || e.Code == CodeUserNotAccount:
		e.Err = video.ErrHostNotFound
	case e.Code == CodeMeetingGone:
		e.Err = video.ErrNotFound
	case e.Code == CodeValidation:
		v := &video.ValidationError{Message: e.Message, Fields: b.Errors}
		if len(b.Errors) > 0 {
			v.Field, v.Message = b.Errors[0].Field, b.Errors[0].Message
		}
		e.Err = v
	// Zoom's 3000 covers several cases told apart only by the message
	// (zoom-api.md §1.8, §1.9: "Invalid occurrence_id.", "You cannot update
	// or delete meetings that have started using this method").
	case e.Code == CodeMeetingAccess && strings.Contains(msg, "occurrence"):
		e.Err = video.ErrNotFound
	case e.Code == CodeMeetingAccess && strings.Contains(msg, "started"):
		e.Err = video.ErrInProgress
	case e.Code == CodeInProgress:
		e.Err = video.ErrInProgress
	case e.Code == CodeEnded:
		e.Err = video.ErrEnded
	case e.Code == CodeNotHost || e.Code == CodeNoHosting || e.Code == CodePMI || e.Code == CodePAC || a.status == http.StatusForbidden:
		e.Err = video.ErrForbidden
	case a.status >= 500 || a.status == http.StatusRequestTimeout:
		e.Permanent = false
		e.Err = video.ErrUnavailable
	case a.status == http.StatusBadRequest && e.Code == 0 && e.Message != "":
		e.Err = &video.ValidationError{Message: e.Message}
	}
	// Anything else (a 404 without a Zoom code is a wrong base URL, not a
	// missing meeting) stays a permanent *video.Error without sentinel.
	return e
}

// rateLimit reads a 429 answer (zoom-api.md §2.3, §3.4, §9.1).
func (c *Client) rateLimit(a *answer, message, host string) *video.RateLimitError {
	h := a.header
	rl := &video.RateLimitError{
		Message:   message,
		Category:  h.Get("X-RateLimit-Category"),
		Type:      h.Get("X-RateLimit-Type"),
		Limit:     headerInt(h, "X-RateLimit-Limit"),
		Remaining: headerInt(h, "X-RateLimit-Remaining"),
	}
	msg := strings.ToLower(message)
	rl.Daily = strings.EqualFold(rl.Type, "Daily-limit") || strings.Contains(msg, "daily rate limit")
	// "You have exceeded the daily rate limit (100) of Meeting Create/Update
	// API requests permitted for this particular user. You may resume these
	// requests at GMT 00:00:00." — counted per host, often without any
	// rate-limit header [FORUM-429].
	if strings.Contains(msg, "meeting create/update") {
		rl.Daily = true
		rl.Host = host
	}
	now := c.now()
	if t, ok := parseRetryAfter(h.Get("Retry-After"), now); ok {
		rl.RetryAt = t
	} else if rl.Daily {
		rl.RetryAt = nextMidnightUTC(now)
	} else if s, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64); err == nil && s > 0 {
		rl.RetryAt = time.Unix(s, 0).UTC()
	}
	return rl
}

// parseRetryAfter reads Retry-After: Zoom's ISO 8601 date-time
// ("2020-05-31T00:00:00Z", zoom-api.md §3.4), or RFC 9110's HTTP-date or
// delay in seconds.
func parseRetryAfter(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return t.UTC(), true
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 && s < 1<<31 {
		return now.Add(time.Duration(s) * time.Second).UTC(), true
	}
	return time.Time{}, false
}

// nextMidnightUTC is when Zoom's daily limits reset: "You may resume these
// requests at GMT 00:00:00."
func nextMidnightUTC(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

func headerInt(h http.Header, name string) int {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get(name)))
	if err != nil {
		return -1
	}
	return n
}

// snippet returns the start of a non-JSON answer body as one line.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}
