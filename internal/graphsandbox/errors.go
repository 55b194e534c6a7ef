package graphsandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// graphError is one of Graph's error answers: a status and the body
// {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}.
type graphError struct {
	Status  int
	Code    string
	Message string
	// header is sent with the answer (Retry-After).
	header http.Header
}

func (e *graphError) Error() string {
	return fmt.Sprintf("graph %d %s: %s", e.Status, e.Code, e.Message)
}

func errGraph(status int, code, msg string) *graphError {
	return &graphError{Status: status, Code: code, Message: msg}
}

func errBadRequest(msg string) *graphError {
	return errGraph(http.StatusBadRequest, "BadRequest", msg)
}

func errInvalidRequest(msg string) *graphError {
	return errGraph(http.StatusBadRequest, "ErrorInvalidRequest", msg)
}

func errItemNotFound() *graphError {
	return errGraph(http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store.")
}

func errUserNotFound(id string) *graphError {
	return errGraph(http.StatusNotFound, "Request_ResourceNotFound",
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
}

func errToken(msg string) *graphError {
	return errGraph(http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
}

type graphErrorBody struct {
	Error struct {
		Code       string         `json:"code"`
		Message    string         `json:"message"`
		InnerError map[string]any `json:"innerError"`
	} `json:"error"`
}

// body is the JSON of the answer, with a request id as Graph's carry.
func (s *Server) errorBody(e *graphError, clientRequestID string) graphErrorBody {
	var b graphErrorBody
	b.Error.Code, b.Error.Message = e.Code, e.Message
	reqID := s.rnd.guid()
	if clientRequestID == "" {
		clientRequestID = reqID
	}
	b.Error.InnerError = map[string]any{
		"date":              s.now().UTC().Format("2006-01-02T15:04:05"),
		"request-id":        reqID,
		"client-request-id": clientRequestID,
	}
	return b
}

// writeGraphError sends e as Graph does.
func (s *Server) writeGraphError(w http.ResponseWriter, r *http.Request, e *graphError) {
	for k, vs := range e.header {
		w.Header()[k] = vs
	}
	writeJSON(w, e.Status, s.errorBody(e, r.Header.Get("client-request-id")))
}

// identityError is the identity platform's error body (OAuth 2.0 with
// Microsoft's additions).
type identityError struct {
	Status           int    `json:"-"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri,omitempty"`
}

// identityFail builds the error with the AADSTS code prefixed to the
// description and the trace line Microsoft appends.
func (s *Server) identityFail(status int, errCode string, aadsts int, msg string) *identityError {
	now := s.now().UTC()
	trace, corr := s.rnd.guid(), s.rnd.guid()
	return &identityError{
		Status: status, Error: errCode,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			aadsts, msg, trace, corr, now.Format("2006-01-02 15:04:05Z")),
		ErrorCodes: []int{aadsts}, Timestamp: now.Format("2006-01-02 15:04:05Z"),
		TraceID: trace, CorrelationID: corr,
		ErrorURI: fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts),
	}
}

// writeJSON sends v as compact JSON with the given status, with Graph's
// OData content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
	writeJSONAs(w, status, v)
}

// writeIdentityJSON sends v as the identity platform does: plain JSON,
// never cached.
func writeIdentityJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSONAs(w, status, v)
}

func writeJSONAs(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, "graphsandbox: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// graphTime is Graph's dateTime of a dateTimeTimeZone: seven fractional
// digits, no offset.
const graphTime = "2006-01-02T15:04:05.0000000"

// isoTime is Graph's DateTimeOffset form ("2026-12-05T10:00:00Z").
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// jsonStrict decodes b into v refusing unknown fields and trailing data.
func jsonStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
