-- Saved responses: canned replies shared by the inbox users. `created_by`
-- is shown as the creator's username.

-- name: SavedResponseList :many
-- Newest first.
SELECT s.id, s.text, s.created_by, s.created_at, coalesce(u.username, '')::text AS creator
FROM saved_responses s
LEFT JOIN users u ON u.id = s.created_by
ORDER BY s.created_at DESC, s.id DESC
LIMIT @lim OFFSET @off;

-- name: SavedResponseCount :one
SELECT count(*) FROM saved_responses;

-- name: SavedResponseGet :one
SELECT s.id, s.text, s.created_by, s.created_at, coalesce(u.username, '')::text AS creator
FROM saved_responses s
LEFT JOIN users u ON u.id = s.created_by
WHERE s.id = @id;

-- name: SavedResponseLock :one
-- The row to change, locked until the transaction ends.
SELECT id, created_by FROM saved_responses WHERE id = @id FOR UPDATE;

-- name: SavedResponseInsert :one
INSERT INTO saved_responses (text, created_by) VALUES (@text, @created_by)
RETURNING id, created_at;

-- name: SavedResponseUpdateText :exec
UPDATE saved_responses SET text = @text WHERE id = @id;

-- name: SavedResponseDelete :exec
DELETE FROM saved_responses WHERE id = @id;
