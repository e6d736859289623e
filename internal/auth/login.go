package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
)

// Throttle bounds failed logins per username and per client address.
type Throttle struct {
	Burst  int
	Window time.Duration
}

// Detail of the 400 answer to wrong credentials (Django REST framework's
// wording, which existing clients match on).
const DetailBadCredentials = "Unable to log in with provided credentials."

// CheckCredentials verifies username and password for a login from
// clientAddr. Wrong credentials answer a field error; too many recent
// failures for the username or the address answer 429 before the password
// is even checked, so a throttled attacker learns nothing.
func (a *Authenticator) CheckCredentials(ctx context.Context, th Throttle, username, password, clientAddr string) (db.User, error) {
	counts, err := a.q.LoginAttemptCounts(ctx, db.LoginAttemptCountsParams{
		Username:   username,
		ClientAddr: clientAddr,
		Since:      time.Now().Add(-th.Window),
	})
	if err != nil {
		return db.User{}, fmt.Errorf("count login attempts: %w", err)
	}
	if counts.ByUsername >= int64(th.Burst) || counts.ByAddr >= int64(th.Burst) {
		return db.User{}, apperr.Throttled("Too many failed login attempts. Try again later.")
	}

	u, err := a.q.UserGetByUsername(ctx, username)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return db.User{}, fmt.Errorf("look up user: %w", err)
	}
	ok := false
	if err == nil && u.PasswordHash != nil && u.IsActive {
		ok, err = CheckPassword(*u.PasswordHash, password)
		if err != nil {
			return db.User{}, fmt.Errorf("check password of user %d: %w", u.ID, err)
		}
	} else {
		_, _ = CheckPassword(dummyHash, password) // same cost whether or not the user exists
	}
	if !ok {
		if err := a.q.LoginAttemptRecord(ctx, db.LoginAttemptRecordParams{Username: username, ClientAddr: clientAddr}); err != nil {
			return db.User{}, fmt.Errorf("record login attempt: %w", err)
		}
		return db.User{}, &apperr.Error{Kind: apperr.KindInvalid, Fields: map[string][]string{"non_field_errors": {DetailBadCredentials}}}
	}
	if err := a.q.LoginAttemptClearUsername(ctx, username); err != nil {
		return db.User{}, fmt.Errorf("clear login attempts: %w", err)
	}
	if err := a.q.UserTouchLogin(ctx, u.ID); err != nil {
		return db.User{}, fmt.Errorf("record login: %w", err)
	}
	return u, nil
}

// IssueToken creates a new API token for userID and returns it. Tokens are
// stored hashed, so an existing token can never be shown again: every
// successful token request gets a new one, valid until revoked.
func (a *Authenticator) IssueToken(ctx context.Context, q *db.Queries, userID int64) (string, error) {
	if q == nil {
		q = a.q
	}
	tok := NewToken()
	if err := q.TokenCreate(ctx, db.TokenCreateParams{UserID: userID, TokenHash: HashSecret(tok)}); err != nil {
		return "", fmt.Errorf("store token: %w", err)
	}
	return tok, nil
}

// StartSession creates a login session for userID and returns its id, the
// value of the sessionid cookie.
func (a *Authenticator) StartSession(ctx context.Context, userID int64, ttl time.Duration) (string, error) {
	id := NewOpaque(32)
	if err := a.q.SessionCreate(ctx, db.SessionCreateParams{
		SessionHash: HashSecret(id),
		UserID:      userID,
		ExpiresAt:   time.Now().Add(ttl),
	}); err != nil {
		return "", fmt.Errorf("store session: %w", err)
	}
	return id, nil
}

// EndSession deletes the session whose id is sessionID, if any.
func (a *Authenticator) EndSession(ctx context.Context, sessionID string) error {
	if err := a.q.SessionDelete(ctx, HashSecret(sessionID)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// Prune deletes expired sessions and old login attempts.
func (a *Authenticator) Prune(ctx context.Context, th Throttle) error {
	if _, err := a.q.SessionDeleteExpired(ctx); err != nil {
		return fmt.Errorf("prune sessions: %w", err)
	}
	if _, err := a.q.LoginAttemptPrune(ctx, time.Now().Add(-th.Window)); err != nil {
		return fmt.Errorf("prune login attempts: %w", err)
	}
	return nil
}
