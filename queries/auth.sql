-- name: TokenCreate :exec
INSERT INTO auth_tokens (user_id, token_hash) VALUES (@user_id, @token_hash);

-- name: TokenUser :one
-- Resolves a presented token to its active user.
SELECT t.id AS token_id, t.last_used_at, sqlc.embed(u)
FROM auth_tokens t
JOIN users u ON u.id = t.user_id
WHERE t.token_hash = @token_hash AND t.revoked_at IS NULL AND u.is_active;

-- name: TokenTouch :exec
-- Recorded at most once a minute per token so that reads stay reads.
UPDATE auth_tokens SET last_used_at = now()
WHERE id = @id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: TokenRevokeForUser :exec
UPDATE auth_tokens SET revoked_at = now() WHERE user_id = @user_id AND revoked_at IS NULL;

-- name: SessionCreate :exec
INSERT INTO sessions (session_hash, user_id, expires_at) VALUES (@session_hash, @user_id, @expires_at);

-- name: SessionUser :one
SELECT sqlc.embed(u)
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.session_hash = @session_hash AND s.expires_at > now() AND u.is_active;

-- name: SessionDelete :exec
DELETE FROM sessions WHERE session_hash = @session_hash;

-- name: SessionDeleteForUser :exec
DELETE FROM sessions WHERE user_id = @user_id;

-- name: SessionDeleteExpired :execrows
DELETE FROM sessions WHERE expires_at <= now();

-- name: LoginAttemptRecord :exec
INSERT INTO login_attempts (username, client_addr) VALUES (lower(@username), @client_addr);

-- name: LoginAttemptCounts :one
-- Failed logins within the window, per username and per client address.
SELECT
    (SELECT count(*) FROM login_attempts a
      WHERE lower(a.username) = lower(@username) AND a.attempted_at > @since)::bigint AS by_username,
    (SELECT count(*) FROM login_attempts b
      WHERE b.client_addr = @client_addr AND b.attempted_at > @since)::bigint AS by_addr;

-- name: LoginAttemptClearUsername :exec
DELETE FROM login_attempts WHERE lower(username) = lower(@username);

-- name: LoginAttemptPrune :execrows
DELETE FROM login_attempts WHERE attempted_at <= @before;
