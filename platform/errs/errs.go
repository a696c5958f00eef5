// Package errs owns the platform's one domain error type.
//
// Every layer returns *errs.Error (or wraps one) for failures a caller may act
// on; the HTTP edge renders it once as RFC 9457 problem+json. A plain Go error
// that reaches the edge is a bug and becomes a 500 whose details only go to the
// log. This package imports nothing of the project.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error by what the caller can do about it. Each kind maps
// to exactly one HTTP status at the edge.
type Kind int

// The kinds of domain errors.
const (
	Internal        Kind = iota // a bug or an infrastructure failure: 500
	Malformed                   // syntactically bad request: 400
	Unauthenticated             // no or bad credential: 401
	Forbidden                   // not allowed: 403
	NotFound                    // unknown or invisible: 404
	Conflict                    // state conflict, duplicate: 409
	Stale                       // optimistic version check failed: 412
	TooLarge                    // body or batch over a limit: 413
	Invalid                     // semantically invalid input: 422
	RateLimited                 // too many requests: 429
	Unavailable                 // shutting down or dependency down: 503
)

var kindNames = [...]string{"internal", "malformed", "unauthenticated", "forbidden", "not_found",
	"conflict", "stale", "too_large", "invalid", "rate_limited", "unavailable"}

// String returns the kind's stable lower-case name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// FieldError is one problem with one field of the input. Field is empty for
// an error that concerns the whole input. Code is a stable machine-readable
// word such as "required", "minimum" or "unknown_field".
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Position is the 1-based character offset in a parsed expression
	// (filters, formulas), or 0 when not applicable.
	Position int `json:"position,omitempty"`
	// Line and Column locate an error in a script, when applicable.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

// Error is the domain error. Message is safe to show to any client; Cause is
// for logs only and never leaves the process.
type Error struct {
	Kind    Kind
	Code    string // stable dotted code, e.g. "record.not_found"
	Message string
	Fields  []FieldError
	// Extra carries additional members for the problem document (for example
	// counts and examples of records that block a metadata change).
	Extra map[string]any
	Cause error
}

// Error implements error. It includes the cause, so logs see everything; the
// HTTP edge shows only Message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, store.ErrNotFound) works for sentinel errors.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// New returns an error of the given kind and code with a client-safe message.
func New(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns a new error of the given kind and code that keeps cause for the
// log.
func Wrap(cause error, kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...), Cause: cause}
}

// WithField returns a copy of e with one more field error.
func (e *Error) WithField(field, code, message string) *Error {
	c := *e
	c.Fields = append(append([]FieldError(nil), e.Fields...), FieldError{Field: field, Code: code, Message: message})
	return &c
}

// WithCause returns a copy of e that wraps cause.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the kind of the domain error in err's chain, or Internal.
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	return Internal
}

// CodeOf returns the code of the domain error in err's chain, or "".
func CodeOf(err error) string {
	if e := As(err); e != nil {
		return e.Code
	}
	return ""
}
