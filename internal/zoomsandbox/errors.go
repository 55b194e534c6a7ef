package zoomsandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is one of Zoom's REST error answers: an HTTP status and the body
// {"code", "message", "errors"} of zoom-api.md §2.1.
type apiError struct {
	Status  int          `json:"-"`
	Code    int          `json:"code"`
	Message string       `json:"message"`
	Errors  []fieldError `json:"errors,omitempty"`
	// header is sent with the answer (Retry-After on some 429s).
	header http.Header
}

// fieldError names one invalid field of a validation failure (code 300).
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("zoom %d/%d: %s", e.Status, e.Code, e.Message)
}

// Zoom's error texts (zoom-api.md §2.3, SPEC23 per-operation error tables).
const (
	msgInvalidToken      = "Invalid access token."
	msgExpiredToken      = "Access token is expired."
	msgValidationFailed  = "Validation Failed."
	msgInvalidField      = "Invalid field."
	msgBadJSON           = "Request Body should be a valid JSON object."
	msgCannotAccess      = "Cannot access meeting information."
	msgInvalidOccurrence = "Invalid occurrence_id."
	msgDailyLimit        = "You have exceeded the daily rate limit (%d) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00."
	msgPerSecondLimit    = "You have reached the maximum per-second rate limit for this API. Try again later."
	msgStartedNoUpdate   = "You cannot update or delete meetings that have started using this method"
	msgInProgress        = "Sorry, you cannot delete this meeting since it is in progress."
	msgInstantScheduleFr = "Instant meetings do not support the schedule_for parameter; you cannot schedule an instant meeting for another user."
	msgBadScheduleFor    = "The value that you entered for the schedule_for field is invalid. Enter a valid value and try again."
	msgEnforceDomains    = "Invalid enforce_login_domains, separate multiple domains by semicolon."
	msgPreSchedule       = "Pre-scheduling is only supported for scheduled meetings (type 2) and recurring meetings with no fixed time (type 3)."
)

func errInvalidToken() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: 124, Message: msgInvalidToken}
}

func errExpiredToken() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: 124, Message: msgExpiredToken}
}

// errUserNotFound is 1001 (zoom-api.md §2.3, ZPLUG common-errors).
func errUserNotFound(userID string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: 1001, Message: fmt.Sprintf("User does not exist: %s.", userID)}
}

// errMeetingNotFound is 3001, SPEC23's text for GET/PATCH/DELETE.
func errMeetingNotFound(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: 3001, Message: fmt.Sprintf("Meeting %s is not found or has expired.", id)}
}

// errMissingScopes is 4711 (zoom-api.md §2.3 and §4.5): the token lacks every
// scope that would allow the operation. The message lists the scopes that
// would.
func errMissingScopes(scopes []string) *apiError {
	msg := "Invalid access token, does not contain scopes:["
	for i, s := range scopes {
		if i > 0 {
			msg += ", "
		}
		msg += s
	}
	return &apiError{Status: http.StatusBadRequest, Code: 4711, Message: msg + "]."}
}

func errValidation(fields ...fieldError) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: 300, Message: msgValidationFailed, Errors: fields}
}

func errBadRequest(code int, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Message: msg}
}

// writeJSON sends v as compact JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalCompact(v)
	if err != nil {
		http.Error(w, "zoomsandbox: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeAPIError sends e as Zoom does.
func writeAPIError(w http.ResponseWriter, e *apiError) {
	for k, vs := range e.header {
		w.Header()[k] = vs
	}
	writeJSON(w, e.Status, e)
}

// marshalCompact encodes v the way Zoom (and JSON.stringify) writes it: no
// spaces, no HTML escaping, no trailing newline (zoom-api.md §5.6).
func marshalCompact(v any) ([]byte, error) {
	var buf jsonBuffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := buf.b
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return b, nil
}

type jsonBuffer struct{ b []byte }

func (j *jsonBuffer) Write(p []byte) (int, error) { j.b = append(j.b, p...); return len(p), nil }
