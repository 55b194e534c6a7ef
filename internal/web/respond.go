package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/convene/convene/internal/authlimit"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// problemBase prefixes the type URI of every problem document (RFC 9457
// §3.1.1); the last segment is the failure kind.
const problemBase = "https://convene.dev/problems/"

// maxJSONBody bounds JSON request bodies.
const maxJSONBody = 1 << 20

var kindStatus = map[failure.Kind]int{
	failure.Malformed:       http.StatusBadRequest,
	failure.Invalid:         http.StatusUnprocessableEntity,
	failure.Unauthenticated: http.StatusUnauthorized,
	failure.Forbidden:       http.StatusForbidden,
	failure.NotFound:        http.StatusNotFound,
	failure.Conflict:        http.StatusConflict,
	failure.Unavailable:     http.StatusServiceUnavailable,
	failure.TooLarge:        http.StatusRequestEntityTooLarge,
	failure.Internal:        http.StatusInternalServerError,
}

var kindTitle = map[failure.Kind]string{
	failure.Malformed:       "Malformed request",
	failure.Invalid:         "Invalid request",
	failure.Unauthenticated: "Authentication required",
	failure.Forbidden:       "Forbidden",
	failure.NotFound:        "Not found",
	failure.Conflict:        "Conflict",
	failure.Unavailable:     "Service unavailable",
	failure.TooLarge:        "Request too large",
	failure.Internal:        "Internal error",
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// writeError answers err as an RFC 9457 problem document. Internal errors
// are logged with the request ID and answered without their detail.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var th *throttled
	if errors.As(err, &th) {
		w.Header().Set("Retry-After", authlimit.RetryAfter(th.wait))
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusTooManyRequests)
		json.NewEncoder(w).Encode(map[string]any{"type": problemBase + "too-many-requests", "title": "Too many failed sign-ins",
			"status": http.StatusTooManyRequests, "detail": th.Error(), "instance": "urn:convene:request:" + requestID(r.Context())})
		return
	}
	fe, ok := failure.As(err)
	if !ok {
		fe = &failure.Error{Kind: failure.Internal, Err: err}
	}
	status := kindStatus[fe.Kind]
	doc := map[string]any{}
	for k, v := range fe.Extra {
		doc[k] = v
	}
	title := fe.Title
	if title == "" {
		title = kindTitle[fe.Kind]
	}
	doc["type"] = problemBase + fe.Kind.String()
	doc["title"] = title
	doc["status"] = status
	id := requestID(r.Context())
	if id != "" {
		doc["instance"] = "urn:convene:request:" + id
	}
	if fe.Kind == failure.Internal {
		doc["detail"] = "Convene failed to answer; the error is logged with request ID " + id
		log.Error("request failed", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		doc["detail"] = fe.Detail
		if len(fe.Fields) > 0 {
			doc["errors"] = fe.Fields
		}
	}
	if fe.Kind == failure.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="convene"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(doc)
}

// writeProblem answers a problem document for statuses that are no
// failure of the core (405).
func writeProblem(w http.ResponseWriter, r *http.Request, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": title, "status": status,
		"detail": detail, "instance": "urn:convene:request:" + requestID(r.Context())})
}

// decodeJSON reads the request body as one JSON value into v, refusing
// unknown fields, trailing data and bodies over maxJSONBody, and returns a
// failure that says what is wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return failure.New(failure.Malformed, "send the body as application/json (got Content-Type %q; with curl add -H 'Content-Type: application/json')", ct)
		}
	}
	body := http.MaxBytesReader(w, r.Body, maxJSONBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFailure(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return failure.New(failure.Malformed, "the body must hold one JSON value and nothing after it")
	}
	return nil
}

// jsonFailure turns a JSON decoding error into a failure for the caller.
func jsonFailure(err error) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		maxErr  *http.MaxBytesError
		already *failure.Error
	)
	switch {
	case errors.As(err, &already):
		return already
	case errors.Is(err, availability.ErrInvalidHours):
		return failure.Field("working_hours", "%v", err)
	case errors.As(err, &maxErr):
		return failure.New(failure.TooLarge, "the body is over %d bytes", maxErr.Limit)
	case errors.Is(err, io.EOF):
		return failure.New(failure.Malformed, "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return failure.New(failure.Malformed, "the JSON body ends too early")
	case errors.As(err, &syntax):
		return failure.New(failure.Malformed, "the body is not valid JSON (at byte %d): %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return &failure.Error{Kind: failure.Malformed, Detail: fmt.Sprintf("%s: expected %s, got JSON %s", field, typ.Type, typ.Value),
			Fields: []failure.FieldError{{Field: field, Message: fmt.Sprintf("expected %s, got JSON %s", typ.Type, typ.Value)}}}
	// encoding/json has no typed error for unknown fields: its message is
	// the only way to tell.
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &failure.Error{Kind: failure.Malformed, Detail: fmt.Sprintf("unknown field %q", name),
			Fields: []failure.FieldError{{Field: name, Message: "unknown field"}}}
	}
	return failure.New(failure.Invalid, "%v", err)
}

// isNotFound reports whether err is the store's not-found.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
