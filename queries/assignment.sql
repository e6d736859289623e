-- Chat assignment and its history. Every statement that shows or changes a
-- chat for a caller takes the caller's effective read level (@read_level:
-- all, group, assigned or none), id and group ids, and filters inside the
-- query, as queries/reads.sql does; the rule engine passes 'all'.

-- name: ChatLockReadable :one
-- Locks a chat against concurrent assignment and tagging changes for the rest
-- of the transaction, and finds it only if the caller may read it (under
-- READ COMMITTED a row changed meanwhile is re-checked in its new version).
-- FOR NO KEY UPDATE leaves the messages FK (FOR KEY SHARE) free, so inbound
-- inserts never wait for it.
SELECT c.wa_id, c.assigned_user_id, c.assigned_group_id
FROM chats c
WHERE c.wa_id = @wa_id
  AND (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
FOR NO KEY UPDATE OF c;

-- name: ChatAssignmentSet :exec
UPDATE chats
SET assigned_user_id = sqlc.narg(assigned_user_id), assigned_group_id = sqlc.narg(assigned_group_id), updated_at = now()
WHERE wa_id = @wa_id;

-- name: ChatAssignmentEventInsert :one
INSERT INTO chat_assignment_events (chat_wa_id, assigned_user_set_id, assigned_user_was_cleared,
                                    assigned_group_set_id, assigned_group_was_cleared, done_by, reason)
VALUES (@chat_wa_id, sqlc.narg(assigned_user_set_id), @assigned_user_was_cleared,
        sqlc.narg(assigned_group_set_id), @assigned_group_was_cleared, sqlc.narg(done_by), sqlc.narg(reason))
RETURNING id, occurred_at;

-- name: ChatAssignmentEventList :many
-- GET /api/v1/chat_assignment_events/: newest first; since_time inclusive,
-- before_time exclusive.
SELECT e.id, e.occurred_at, e.chat_wa_id, e.assigned_user_set_id, e.assigned_user_was_cleared,
       e.assigned_group_set_id, e.assigned_group_was_cleared, e.done_by, e.reason
FROM chat_assignment_events e
JOIN chats c ON c.wa_id = e.chat_wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(wa_id)::text IS NULL OR e.chat_wa_id = sqlc.narg(wa_id))
  AND (sqlc.narg(since_time)::timestamptz IS NULL OR e.occurred_at >= sqlc.narg(since_time))
  AND (sqlc.narg(before_time)::timestamptz IS NULL OR e.occurred_at < sqlc.narg(before_time))
ORDER BY e.occurred_at DESC, e.id DESC
LIMIT @lim OFFSET @off;

-- name: ChatAssignmentEventCount :one
SELECT count(*)
FROM chat_assignment_events e
JOIN chats c ON c.wa_id = e.chat_wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(wa_id)::text IS NULL OR e.chat_wa_id = sqlc.narg(wa_id))
  AND (sqlc.narg(since_time)::timestamptz IS NULL OR e.occurred_at >= sqlc.narg(since_time))
  AND (sqlc.narg(before_time)::timestamptz IS NULL OR e.occurred_at < sqlc.narg(before_time));
