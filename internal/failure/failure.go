// Package failure describes why a request to Convene's core failed, in terms
// every front end can answer in its own way: the HTTP API as problem+json
// with a status code, the SMTP listener as a reply code, the assistant as a
// polite e-mail.
//
// Core packages return *Error for failures the caller must see (bad input,
// missing rights, conflicts); everything else is an internal error. This
// package imports nothing of Convene.
package failure

import (
	"errors"
	"fmt"
)

// Kind is the class of a failure.
type Kind int

// The kinds of failure.
const (
	// Internal is a failure of Convene or of a peer, not of the request.
	Internal Kind = iota
	// Malformed: the request could not be read (bad JSON, wrong types).
	Malformed
	// Invalid: the request was read but a value is not acceptable.
	Invalid
	// Unauthenticated: no or bad credentials.
	Unauthenticated
	// Forbidden: the credentials do not allow this.
	Forbidden
	// NotFound: no such thing in the caller's account.
	NotFound
	// Conflict: the request contradicts the current state (taken, overlaps).
	Conflict
	// Unavailable: a peer (Zoom, a calendar) cannot be reached now; retry.
	Unavailable
	// TooLarge: the request body is over the limit.
	TooLarge
)

var kindNames = [...]string{"internal", "malformed", "invalid", "unauthenticated", "forbidden", "not-found", "conflict", "unavailable", "too-large"}

// String returns the kind's name, used as the problem type's last segment.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// FieldError says what is wrong with one field of the request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a failure the caller must see.
type Error struct {
	Kind   Kind
	Title  string       // short, stable summary; defaults from Kind
	Detail string       // what happened and how to fix it
	Fields []FieldError // per-field problems, for Invalid and Malformed
	// Extra holds machine-readable members added to the problem document
	// (e.g. both instants of an ambiguous local time).
	Extra map[string]any
	Err   error // cause, not shown to the caller
}

// Error implements error.
func (e *Error) Error() string {
	s := e.Kind.String() + ": " + e.Detail
	for _, f := range e.Fields {
		s += "; " + f.Field + ": " + f.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns a failure of kind with a formatted detail.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid failure about one field.
func Field(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Kind: Invalid, Detail: field + ": " + msg, Fields: []FieldError{{Field: field, Message: msg}}}
}

// Fields collects field errors into one Invalid failure; nil if none.
type Fields []FieldError

// Add records a problem with a field.
func (fs *Fields) Add(field, format string, args ...any) {
	*fs = append(*fs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns the Invalid failure, or nil when no field was added.
func (fs Fields) Err() error {
	if len(fs) == 0 {
		return nil
	}
	detail := "the request has invalid fields"
	if len(fs) == 1 {
		detail = fs[0].Field + ": " + fs[0].Message
	}
	return &Error{Kind: Invalid, Detail: detail, Fields: fs}
}

// With returns e with an extra member added to its problem document.
func (e *Error) With(key string, v any) *Error {
	if e.Extra == nil {
		e.Extra = map[string]any{}
	}
	e.Extra[key] = v
	return e
}

// Wrap returns e with a cause attached.
func (e *Error) Wrap(err error) *Error {
	e.Err = err
	return e
}

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return Internal
}

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var fe *Error
	ok := errors.As(err, &fe)
	return fe, ok
}
