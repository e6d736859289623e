// Package apperr defines the expected failures of wamux's domain: a request
// that names something missing, asks for something forbidden or sends input
// that does not hold. Services return these; internal/httpapi maps them to
// HTTP statuses in one place. Any other error is a bug and becomes a 500
// whose body never carries the error text.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an expected failure.
type Kind int

// The kinds, each mapped to one HTTP status by internal/httpapi.
const (
	KindInvalid        Kind = iota + 1 // 400
	KindUnauthorized                   // 401
	KindForbidden                      // 403
	KindNotFound                       // 404
	KindTooLarge                       // 413
	KindUnsupported                    // 415
	KindThrottled                      // 429
	KindNotImplemented                 // 501
	KindUpstream                       // 502
)

// Error is an expected failure with a message fit for the API caller.
type Error struct {
	Kind Kind
	// Detail is the human-readable `detail` of the response body.
	Detail string
	// Fields, when set, name the offending fields: {"field": ["message"]}.
	Fields map[string][]string
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	return fmt.Sprintf("invalid fields: %v", e.Fields)
}

// Is makes errors.Is match on the kind alone, so callers can test
// errors.Is(err, apperr.ErrNotFound).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Detail == "" && t.Fields == nil && t.Kind == e.Kind
}

// Sentinels for errors.Is.
var (
	ErrNotFound  = &Error{Kind: KindNotFound}
	ErrForbidden = &Error{Kind: KindForbidden}
	ErrInvalid   = &Error{Kind: KindInvalid}
)

// NotFound reports that the named thing does not exist (or is hidden from
// the caller, which must look the same).
func NotFound(detail string) error { return &Error{Kind: KindNotFound, Detail: detail} }

// Forbidden reports that the caller may not do this.
func Forbidden(detail string) error { return &Error{Kind: KindForbidden, Detail: detail} }

// Invalid reports bad input as a whole.
func Invalid(detail string) error { return &Error{Kind: KindInvalid, Detail: detail} }

// Field reports bad input in one field.
func Field(field, msg string) error {
	return &Error{Kind: KindInvalid, Fields: map[string][]string{field: {msg}}}
}

// Throttled reports too many attempts.
func Throttled(detail string) error { return &Error{Kind: KindThrottled, Detail: detail} }

// Unauthorized reports a failed authenticity check (a bad signature, say).
func Unauthorized(detail string) error { return &Error{Kind: KindUnauthorized, Detail: detail} }

// NotImplemented reports an operation whose feature has not landed yet.
func NotImplemented(detail string) error { return &Error{Kind: KindNotImplemented, Detail: detail} }

// Upstream reports that the WhatsApp provider or another peer failed.
func Upstream(detail string) error { return &Error{Kind: KindUpstream, Detail: detail} }

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
