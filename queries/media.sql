-- Media files: uploads (stored first, pushed to the provider on first send)
-- and inbound media (recorded by the inbound transaction, fetched from the
-- provider in the background or on first read).

-- name: MediaGetByID :one
SELECT * FROM media WHERE id = @id;

-- name: MediaCreateUploaded :one
INSERT INTO media (mime_type, size_bytes, sha256, filename, storage_path, fetch_state, uploaded_by)
VALUES (@mime_type, @size_bytes, @sha256, sqlc.narg('filename'), @storage_path, 'fetched', sqlc.narg('uploaded_by'))
RETURNING *;

-- name: MediaUpsertInbound :one
-- Idempotent on the provider's media id: a replayed notification (or an
-- inbound echo of a file wamux uploaded) gets the existing row. Metadata the
-- row lacks is filled in; nothing already known is overwritten.
INSERT INTO media (provider_media_id, mime_type, sha256, filename)
VALUES (@provider_media_id, @mime_type, sqlc.narg('sha256'), sqlc.narg('filename'))
ON CONFLICT (provider_media_id) WHERE provider_media_id IS NOT NULL DO UPDATE SET
    sha256   = coalesce(media.sha256, excluded.sha256),
    filename = coalesce(media.filename, excluded.filename)
RETURNING id;

-- name: MediaClaimDue :many
-- Claims up to lim inbound media to fetch, oldest first, skipping rows
-- another replica is claiming right now. Claiming counts the attempt and
-- bumps updated_at, which leases the row for the next backoff period: no
-- other fetcher picks it up before then, and no transaction stays open
-- while the caller talks to the provider. Attempt n waits
-- backoff_base_secs times 2 to the power n-1, at most backoff_max_secs,
-- after the previous one.
WITH due AS (
    SELECT d.id FROM media d
    WHERE d.fetch_state <> 'fetched'
      AND d.provider_media_id IS NOT NULL
      AND d.fetch_attempts < sqlc.arg(max_attempts)::integer
      AND (d.fetch_attempts = 0 OR d.updated_at <= now() - interval '1 second' *
            least(sqlc.arg(backoff_max_secs)::float8, sqlc.arg(backoff_base_secs)::float8 * power(2, d.fetch_attempts - 1)))
    ORDER BY d.created_at, d.id
    LIMIT @lim
    FOR UPDATE SKIP LOCKED
)
UPDATE media m SET fetch_attempts = m.fetch_attempts + 1, updated_at = now()
FROM due
WHERE m.id = due.id
RETURNING m.*;

-- name: MediaClaimByID :one
-- Claims one inbound media for a fetch on first read, whatever its backoff:
-- a reader is waiting. No row when it is fetched already, has no provider
-- id or has used up its attempts.
UPDATE media SET fetch_attempts = fetch_attempts + 1, updated_at = now()
WHERE id = @id
  AND fetch_state <> 'fetched'
  AND provider_media_id IS NOT NULL
  AND fetch_attempts < sqlc.arg(max_attempts)::integer
RETURNING *;

-- name: MediaMarkFetched :one
UPDATE media SET
    fetch_state  = 'fetched',
    fetch_error  = NULL,
    storage_path = @storage_path,
    size_bytes   = @size_bytes,
    sha256       = @sha256,
    mime_type    = @mime_type,
    updated_at   = now()
WHERE id = @id
RETURNING *;

-- name: MediaMarkFailed :exec
UPDATE media SET fetch_state = 'failed', fetch_error = @fetch_error, updated_at = now()
WHERE id = @id AND fetch_state <> 'fetched';

-- name: MediaSetProviderID :one
-- Records the provider's id of an uploaded file once; when another process
-- recorded one first, its id wins and comes back.
UPDATE media SET provider_media_id = coalesce(provider_media_id, @provider_media_id), updated_at = now()
WHERE id = @id
RETURNING provider_media_id;
