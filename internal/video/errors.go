package video

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Errors a Provider's errors wrap; test them with errors.Is. Each says what
// the caller does about it.
var (
	// ErrHostNotFound: the organizer has no user in the provider account
	// the app is installed on (Zoom 1001, 1010). Tell the organizer and the
	// admin; never fall back to another host or another provider.
	ErrHostNotFound = errors.New("organizer has no user in the installed video account")

	// ErrNotFound: the meeting (or occurrence) does not exist or has
	// expired (Zoom 3001). For a delete that is being retried, it is done.
	ErrNotFound = errors.New("video meeting not found or expired")

	// ErrUnauthorized: the provider refused the app's credentials even
	// after a token refresh (HTTP 401, Zoom 124). The install needs
	// re-authorization by the admin.
	ErrUnauthorized = errors.New("video provider refused the credentials; the app needs re-authorization")

	// ErrMissingScope: the token lacks a scope the request needs (Zoom
	// 4711). It wraps ErrUnauthorized: the admin re-authorizes the app with
	// the scope.
	ErrMissingScope error = &chainError{"the app's token lacks a required scope", ErrUnauthorized}

	// ErrNotConnected: a user of an install in per-user mode (App.UserAuth)
	// has no usable grant of their own: never connected, disconnected, or
	// the provider refused to renew it (the grant needs re-authorization).
	// It wraps ErrUnauthorized; only that user must connect again, never
	// the admin.
	ErrNotConnected error = &chainError{"the user has not connected their own account at the provider", ErrUnauthorized}

	// ErrForbidden: the provider refuses this user or operation (HTTP 403;
	// Zoom 3003 not the host, 3161 hosting not allowed for the user, 3018
	// PMI, 3037 PAC).
	ErrForbidden = errors.New("video provider does not allow this user or operation")

	// ErrInProgress: the meeting has started and cannot be changed or
	// deleted through the API (Zoom 3002, 3000 "started").
	ErrInProgress = errors.New("video meeting is in progress")

	// ErrEnded: the meeting has ended and cannot be deleted (Zoom 3007).
	ErrEnded = errors.New("video meeting has ended")

	// ErrRateLimited: the provider's rate limit was reached; errors.As a
	// *RateLimitError for when to try again.
	ErrRateLimited = errors.New("video provider rate limit reached")

	// ErrUnavailable: the provider did not answer usefully (5xx, time-out,
	// connection failure) after the client's retries. Try again later.
	ErrUnavailable = errors.New("video provider unavailable")

	// ErrNotSupported: the provider cannot do this (Jitsi keeps no list of
	// meetings).
	ErrNotSupported = errors.New("not supported by this video provider")
)

// chainError is a sentinel error that also is another one.
type chainError struct {
	msg    string
	parent error
}

func (e *chainError) Error() string { return e.msg }
func (e *chainError) Unwrap() error { return e.parent }

// Error is a provider's answer to a failed request, or the failure to get
// one. Like mox's smtpclient.Error it says whether trying again can help.
// Err is one of the sentinels above, a *ValidationError, a *RateLimitError,
// or the transport error, so errors.Is and errors.As see through it.
type Error struct {
	Provider   string // "zoom"
	Status     int    // HTTP status; 0 when no answer arrived
	Code       int    // provider's error code (Zoom: 300, 1001, 3001, 124, …); 0 if none
	Message    string // provider's message
	TrackingID string // Zoom's x-zm-trackingid, for Zoom support

	// Permanent is true when the same request will fail again: do not
	// retry it; tell someone.
	Permanent bool

	// Uncertain is true when the request may have taken effect although
	// no success answer arrived (time-out, connection cut, 5xx after the
	// request was sent). A create must then go through CreateOnce.
	Uncertain bool

	Err error
}

// Error describes e, e.g. `HTTP 404, code 1001: User does not exist: a@b.`.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if e.Code != 0 {
			fmt.Fprintf(&b, ", code %d", e.Code)
		}
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", e.Message)
		} else if e.Err == nil {
			b.WriteString(": " + http.StatusText(e.Status))
		}
	}
	if e.Err != nil {
		if b.Len() > 0 {
			b.WriteString(" (")
			b.WriteString(e.Err.Error())
			b.WriteString(")")
		} else {
			b.WriteString(e.Err.Error())
		}
	}
	if e.TrackingID != "" {
		fmt.Fprintf(&b, " [tracking id %s]", e.TrackingID)
	}
	if b.Len() == 0 {
		return "video provider error"
	}
	return b.String()
}

// Unwrap returns the sentinel, *ValidationError, *RateLimitError or
// transport error e carries.
func (e *Error) Unwrap() error { return e.Err }

// FieldError is one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError: the provider rejected the request's data (Zoom 300 and
// other 400 answers). Field and Message are the first invalid field, or the
// whole message when the provider named none; Fields lists all of them. Show
// it to whoever sent the request.
type ValidationError struct {
	Field   string
	Message string
	Fields  []FieldError
}

// Error describes the invalid fields.
func (e *ValidationError) Error() string {
	if len(e.Fields) > 1 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.Field + ": " + f.Message
		}
		return "invalid request: " + strings.Join(parts, "; ")
	}
	if e.Field != "" {
		return "invalid " + e.Field + ": " + e.Message
	}
	return "invalid request: " + e.Message
}

// RateLimitError: the provider's rate limit was reached (HTTP 429,
// zoom-api.md §3). It is ErrRateLimited for errors.Is.
type RateLimitError struct {
	// RetryAt is when to try again: Retry-After when Zoom sent it, the
	// next 00:00 UTC for daily limits, otherwise a short back-off.
	RetryAt time.Time

	Daily bool   // a daily limit: nothing helps before RetryAt
	Host  string // set when the limit is the host's own (Zoom: 100 creates/updates a day per host)

	Category  string // X-RateLimit-Category ("Light", "Medium", "Heavy")
	Type      string // X-RateLimit-Type ("QPS", "Daily-limit")
	Limit     int    // X-RateLimit-Limit; -1 unknown
	Remaining int    // X-RateLimit-Remaining; -1 unknown
	Message   string
}

// Error describes the limit and when it lifts.
func (e *RateLimitError) Error() string {
	kind := "rate limit"
	if e.Daily {
		kind = "daily rate limit"
	}
	if e.Host != "" {
		kind += " of host " + e.Host
	}
	return fmt.Sprintf("%s reached; retry at %s", kind, e.RetryAt.UTC().Format(time.RFC3339))
}

// Is makes a RateLimitError match ErrRateLimited.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// InFlightError: an earlier attempt's create request, sent at Posted, may
// still take effect at the provider and its meeting is not visible yet, so
// creating one now could make a second meeting. Look again at RetryAt, when
// that request can no longer complete.
type InFlightError struct {
	Posted  time.Time
	RetryAt time.Time
}

// Error says which request is awaited.
func (e *InFlightError) Error() string {
	return fmt.Sprintf("a create request sent at %s may still complete; look again at %s",
		e.Posted.UTC().Format(time.RFC3339Nano), e.RetryAt.UTC().Format(time.RFC3339Nano))
}

// IsPermanent reports whether err says that the same request will fail
// again, so that a job should stop retrying and tell someone.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Permanent
	}
	if _, ok := errors.AsType[*ValidationError](err); ok {
		return true
	}
	for _, s := range []error{ErrHostNotFound, ErrNotFound, ErrUnauthorized, ErrForbidden, ErrInProgress, ErrEnded, ErrNotSupported} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// RetryAt returns when a rate-limited request, or a create that waits for
// an earlier one in flight, may be tried again.
func RetryAt(err error) (time.Time, bool) {
	if e, ok := errors.AsType[*RateLimitError](err); ok {
		return e.RetryAt, true
	}
	if e, ok := errors.AsType[*InFlightError](err); ok {
		return e.RetryAt, true
	}
	return time.Time{}, false
}
