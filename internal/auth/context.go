package auth

import (
	"context"

	"github.com/wamux/wamux/gen/db"
)

// Scheme names the way a request was authenticated.
type Scheme string

// The three schemes of the reference.
const (
	SchemeProvider Scheme = "provider"
	SchemeToken    Scheme = "token"
	SchemeSession  Scheme = "session"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	User   db.User
	Scheme Scheme
}

// IsAdmin reports whether the caller has the admin role.
func (p *Principal) IsAdmin() bool { return p != nil && p.User.Role == "admin" }

// state is what the middleware learned about a request's credentials. It
// travels in the request context so that the security check, which runs
// later inside the OpenAPI validator, can answer with the right detail.
type state struct {
	principal    *Principal
	invalidToken bool
	csrfFailed   bool
}

type ctxKey struct{}

func withState(ctx context.Context, s *state) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

func stateFrom(ctx context.Context) *state {
	s, _ := ctx.Value(ctxKey{}).(*state)
	return s
}

// FromContext returns the authenticated caller, or nil for an anonymous
// request.
func FromContext(ctx context.Context) *Principal {
	if s := stateFrom(ctx); s != nil {
		return s.principal
	}
	return nil
}

// WithPrincipal returns ctx carrying p as the authenticated caller; tests
// and background work acting on a user's behalf use it.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return withState(ctx, &state{principal: p})
}
