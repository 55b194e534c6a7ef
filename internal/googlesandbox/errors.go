package googlesandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// maxBody bounds every request body the sandbox reads.
const maxBody = 1 << 20

// apiError is one of Google's JSON API error answers:
//
//	{"error": {"errors": [{"domain", "reason", "message"}], "code", "message"}}
//
// the shape of every Calendar v3 error (Calendar API guide, "Handle API
// errors").
type apiError struct {
	Status  int
	Domain  string
	Reason  string
	Message string
	// Location and LocationType name the parameter at fault (optional).
	Location, LocationType string
	header                 http.Header
}

func (e *apiError) Error() string {
	return fmt.Sprintf("google %d %s: %s", e.Status, e.Reason, e.Message)
}

// errorItem is one entry of error.errors.
type errorItem struct {
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Message      string `json:"message"`
	LocationType string `json:"locationType,omitempty"`
	Location     string `json:"location,omitempty"`
}

// errorBody is the JSON of an apiError.
type errorBody struct {
	Error struct {
		Errors  []errorItem `json:"errors"`
		Code    int         `json:"code"`
		Message string      `json:"message"`
	} `json:"error"`
}

func (e *apiError) body() errorBody {
	var b errorBody
	b.Error.Errors = []errorItem{{Domain: e.Domain, Reason: e.Reason, Message: e.Message, LocationType: e.LocationType, Location: e.Location}}
	b.Error.Code = e.Status
	b.Error.Message = e.Message
	return b
}

func errInvalidCredentials() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Domain: "global", Reason: "authError", Message: "Invalid Credentials",
		LocationType: "header", Location: "Authorization"}
}

func errInsufficientScopes() *apiError {
	return &apiError{Status: http.StatusForbidden, Domain: "global", Reason: "insufficientPermissions",
		Message: "Request had insufficient authentication scopes."}
}

func errNotFound() *apiError {
	return &apiError{Status: http.StatusNotFound, Domain: "global", Reason: "notFound", Message: "Not Found"}
}

func errDeleted() *apiError {
	return &apiError{Status: http.StatusGone, Domain: "global", Reason: "deleted", Message: "Resource has been deleted"}
}

func errDuplicate() *apiError {
	return &apiError{Status: http.StatusConflict, Domain: "global", Reason: "duplicate", Message: "The requested identifier already exists."}
}

func errFullSyncRequired() *apiError {
	return &apiError{Status: http.StatusGone, Domain: "global", Reason: "fullSyncRequired",
		Message: "Sync token is no longer valid, a full sync is required."}
}

func errBadRequest(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Domain: "global", Reason: "badRequest", Message: msg}
}

func errInvalid(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Domain: "global", Reason: "invalid", Message: msg}
}

func errInvalidParam(name, msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Domain: "global", Reason: "invalidParameter", Message: msg,
		LocationType: "parameter", Location: name}
}

func errRequired(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Domain: "global", Reason: "required", Message: msg}
}

func errTimeRangeEmpty() *apiError {
	return &apiError{Status: http.StatusBadRequest, Domain: "calendar", Reason: "timeRangeEmpty", Message: "The specified time range is empty.",
		LocationType: "parameter", Location: "timeMax"}
}

// writeJSON sends v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "googlesandbox: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeAPIError sends e as Google does.
func writeAPIError(w http.ResponseWriter, e *apiError) {
	for k, vs := range e.header {
		w.Header()[k] = vs
	}
	writeJSON(w, e.Status, e.body())
}
