package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/gen/db"
)

// Cookie and header names of the session scheme (Django's, which the
// reference's clients already use).
const (
	SessionCookie = "sessionid"
	CSRFCookie    = "csrftoken"
	CSRFHeader    = "X-CSRFToken"
	ProviderKey   = "D360-Api-Key"
)

// Details of the 403/401 answers, worded as the reference's clients expect.
const (
	DetailNoCredentials = "Authentication credentials were not provided."
	DetailInvalidToken  = "Invalid token."
	DetailCSRF          = "CSRF Failed: CSRF token missing or incorrect."
)

// Authenticator resolves a request's credentials to a Principal.
type Authenticator struct {
	pool     *pgxpool.Pool
	q        *db.Queries
	provider *ProviderKeyVerifier
	logger   *slog.Logger
}

// NewAuthenticator returns an Authenticator over pool.
func NewAuthenticator(pool *pgxpool.Pool, provider *ProviderKeyVerifier, logger *slog.Logger) *Authenticator {
	return &Authenticator{pool: pool, q: db.New(pool), provider: provider, logger: logger}
}

// Authenticate inspects r's credentials and returns a context carrying what
// it found. It never rejects a request itself: whether credentials are
// required is the operation's business (see Require). A database failure is
// returned as an error.
func (a *Authenticator) Authenticate(r *http.Request) (context.Context, error) {
	ctx := r.Context()
	st := &state{}
	p, err := a.resolve(ctx, r, st)
	if err != nil {
		return ctx, err
	}
	st.principal = p
	return withState(ctx, st), nil
}

func (a *Authenticator) resolve(ctx context.Context, r *http.Request, st *state) (*Principal, error) {
	if key := r.Header.Get(ProviderKey); key != "" && a.provider.Valid(ctx, key) {
		u, err := a.q.UserFirstActiveAdmin(ctx)
		switch {
		case err == nil:
			return &Principal{User: u, Scheme: SchemeProvider}, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return nil, fmt.Errorf("find provider admin: %w", err)
		}
		// A valid key but no active admin: fall through like an invalid key.
	}
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Token") {
			token = strings.TrimSpace(token)
			row, err := a.q.TokenUser(ctx, HashSecret(token))
			switch {
			case err == nil:
				if row.LastUsedAt == nil || time.Since(*row.LastUsedAt) > time.Minute {
					if err := a.q.TokenTouch(ctx, row.TokenID); err != nil {
						a.logger.WarnContext(ctx, "record token use", "error", err)
					}
				}
				return &Principal{User: row.User, Scheme: SchemeToken}, nil
			case errors.Is(err, pgx.ErrNoRows):
				st.invalidToken = true
				return nil, nil
			default:
				return nil, fmt.Errorf("look up token: %w", err)
			}
		}
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		row, err := a.q.SessionUser(ctx, HashSecret(c.Value))
		switch {
		case err == nil:
			if !safeMethod(r.Method) && !csrfMatches(r) {
				st.csrfFailed = true
				return nil, nil
			}
			return &Principal{User: row.User, Scheme: SchemeSession}, nil
		case !errors.Is(err, pgx.ErrNoRows):
			return nil, fmt.Errorf("look up session: %w", err)
		}
	}
	return nil, nil
}

// Require reports why ctx may not call a secured operation, or nil when it
// may. The error is an *Error carrying the status and detail to answer.
func Require(ctx context.Context) *Error {
	st := stateFrom(ctx)
	switch {
	case st != nil && st.principal != nil:
		return nil
	case st != nil && st.invalidToken:
		return &Error{Status: http.StatusUnauthorized, Detail: DetailInvalidToken}
	case st != nil && st.csrfFailed:
		return &Error{Status: http.StatusForbidden, Detail: DetailCSRF}
	default:
		return &Error{Status: http.StatusForbidden, Detail: DetailNoCredentials}
	}
}

// Error is an authentication failure with the HTTP status to answer.
type Error struct {
	Status int
	Detail string
}

func (e *Error) Error() string { return e.Detail }

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace
}

// csrfMatches implements the double-submit check: the X-CSRFToken header
// must equal the csrftoken cookie, which another site can neither read nor
// set.
func csrfMatches(r *http.Request) bool {
	c, err := r.Cookie(CSRFCookie)
	if err != nil || c.Value == "" {
		return false
	}
	h := r.Header.Get(CSRFHeader)
	return h != "" && subtle.ConstantTimeCompare([]byte(h), []byte(c.Value)) == 1
}

// CSRFFormMatches is csrfMatches for HTML forms, where the token travels in
// a form field.
func CSRFFormMatches(r *http.Request, field string) bool {
	c, err := r.Cookie(CSRFCookie)
	return err == nil && c.Value != "" && field != "" && subtle.ConstantTimeCompare([]byte(field), []byte(c.Value)) == 1
}
