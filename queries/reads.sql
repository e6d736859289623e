-- Reads of chats, messages and persons. Every read takes the caller's
-- effective read level (@read_level: all, group, assigned or none), id and
-- group ids, and filters inside the query, so `count` and pages stay true.

-- name: ChatList :many
SELECT c.wa_id, c.assigned_user_id, c.assigned_group_id, c.last_message_id,
       p.profile_name, p.waba_payload AS person_payload, p.initials, p.last_message_at AS person_last_message_at,
       (SELECT count(*) FROM messages m
         WHERE m.chat_wa_id = c.wa_id AND NOT m.from_us
           AND m.ts > coalesce(rm.received_until, '-infinity'::timestamptz))::bigint AS new_messages
FROM chats c
JOIN persons p ON p.wa_id = c.wa_id
LEFT JOIN received_marks rm ON rm.user_id = @user_id::bigint AND rm.chat_wa_id = c.wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (NOT @assigned_to_me::boolean OR c.assigned_user_id = @user_id::bigint)
  AND (sqlc.narg(assigned_group)::bigint IS NULL OR c.assigned_group_id = sqlc.narg(assigned_group))
  AND (sqlc.narg(search)::text IS NULL
       OR p.profile_name ILIKE sqlc.narg(search) OR c.wa_id ILIKE sqlc.narg(search)
       OR c.wa_id IN (SELECT sm.chat_wa_id FROM messages sm WHERE sm.body_text ILIKE sqlc.narg(search)))
ORDER BY c.last_message_at DESC NULLS LAST, c.wa_id
LIMIT @lim OFFSET @off;

-- name: ChatCount :one
-- Over chats alone (every chat has its person): persons are looked at only
-- when searching, which makes the count of an unfiltered page ~8x cheaper.
SELECT count(*)
FROM chats c
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (NOT @assigned_to_me::boolean OR c.assigned_user_id = @user_id::bigint)
  AND (sqlc.narg(assigned_group)::bigint IS NULL OR c.assigned_group_id = sqlc.narg(assigned_group))
  AND (sqlc.narg(search)::text IS NULL
       OR EXISTS (SELECT 1 FROM persons p WHERE p.wa_id = c.wa_id AND p.profile_name ILIKE sqlc.narg(search))
       OR c.wa_id ILIKE sqlc.narg(search)
       OR c.wa_id IN (SELECT sm.chat_wa_id FROM messages sm WHERE sm.body_text ILIKE sqlc.narg(search)));

-- name: ChatGet :one
SELECT c.wa_id, c.assigned_user_id, c.assigned_group_id, c.last_message_id,
       p.profile_name, p.waba_payload AS person_payload, p.initials, p.last_message_at AS person_last_message_at,
       (SELECT count(*) FROM messages m
         WHERE m.chat_wa_id = c.wa_id AND NOT m.from_us
           AND m.ts > coalesce(rm.received_until, '-infinity'::timestamptz))::bigint AS new_messages
FROM chats c
JOIN persons p ON p.wa_id = c.wa_id
LEFT JOIN received_marks rm ON rm.user_id = @user_id::bigint AND rm.chat_wa_id = c.wa_id
WHERE c.wa_id = @wa_id
  AND (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])));

-- name: MessageList :many
SELECT m.id, m.wamid, m.chat_wa_id, m.from_us, m.sender_id, m.waba_payload, m.context,
       m.sent_at, m.delivered_at, m.read_at, m.failed_at, m.status_errors, m.ts,
       (m.from_us OR m.ts <= coalesce(rm.received_until, '-infinity'::timestamptz))::boolean AS received
FROM messages m
JOIN chats c ON c.wa_id = m.chat_wa_id
LEFT JOIN received_marks rm ON rm.user_id = @user_id::bigint AND rm.chat_wa_id = m.chat_wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(wa_id)::text IS NULL OR m.chat_wa_id = sqlc.narg(wa_id))
  AND (sqlc.narg(since_time)::timestamptz IS NULL OR m.ts >= sqlc.narg(since_time))
  AND (sqlc.narg(before_time)::timestamptz IS NULL OR m.ts < sqlc.narg(before_time))
  AND (NOT @assigned_to_me::boolean OR c.assigned_user_id = @user_id::bigint)
  AND (sqlc.narg(assigned_group)::bigint IS NULL OR c.assigned_group_id = sqlc.narg(assigned_group))
  AND (sqlc.narg(search)::text IS NULL OR m.body_text ILIKE sqlc.narg(search))
ORDER BY m.ts DESC, m.id DESC
LIMIT @lim OFFSET @off;

-- name: MessageCount :one
SELECT count(*)
FROM messages m
JOIN chats c ON c.wa_id = m.chat_wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(wa_id)::text IS NULL OR m.chat_wa_id = sqlc.narg(wa_id))
  AND (sqlc.narg(since_time)::timestamptz IS NULL OR m.ts >= sqlc.narg(since_time))
  AND (sqlc.narg(before_time)::timestamptz IS NULL OR m.ts < sqlc.narg(before_time))
  AND (NOT @assigned_to_me::boolean OR c.assigned_user_id = @user_id::bigint)
  AND (sqlc.narg(assigned_group)::bigint IS NULL OR c.assigned_group_id = sqlc.narg(assigned_group))
  AND (sqlc.narg(search)::text IS NULL OR m.body_text ILIKE sqlc.narg(search));

-- name: MessagesByIDs :many
-- The last messages of a page of chats (already permission-checked).
SELECT m.id, m.wamid, m.chat_wa_id, m.from_us, m.sender_id, m.waba_payload, m.context,
       m.sent_at, m.delivered_at, m.read_at, m.failed_at, m.status_errors, m.ts,
       (m.from_us OR m.ts <= coalesce(rm.received_until, '-infinity'::timestamptz))::boolean AS received
FROM messages m
LEFT JOIN received_marks rm ON rm.user_id = @user_id::bigint AND rm.chat_wa_id = m.chat_wa_id
WHERE m.id = ANY(@ids::bigint[]);

-- name: PersonsByWaIDs :many
SELECT wa_id, profile_name, waba_payload, initials, last_message_at FROM persons WHERE wa_id = ANY(@wa_ids::text[]);

-- name: PersonList :many
-- Persons are the contacts of chats: the caller sees those of chats it may read.
SELECT p.wa_id, p.profile_name, p.waba_payload, p.initials, p.last_message_at
FROM persons p
JOIN chats c ON c.wa_id = p.wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(search)::text IS NULL OR p.profile_name ILIKE sqlc.narg(search) OR p.wa_id ILIKE sqlc.narg(search))
ORDER BY p.last_message_at DESC NULLS LAST, p.wa_id
LIMIT @lim OFFSET @off;

-- name: PersonCount :one
SELECT count(*)
FROM persons p
JOIN chats c ON c.wa_id = p.wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(search)::text IS NULL OR p.profile_name ILIKE sqlc.narg(search) OR p.wa_id ILIKE sqlc.narg(search));

-- name: ChatTagsForChats :many
SELECT ct.id AS tagging_id, ct.chat_wa_id, ct.extra, t.id, t.name, t.web_inbox_color
FROM chat_taggings ct JOIN tags t ON t.id = ct.tag_id
WHERE ct.chat_wa_id = ANY(@wa_ids::text[])
ORDER BY ct.id;

-- name: MessageTagsForMessages :many
SELECT mt.id AS tagging_id, mt.message_id, mt.extra, t.id, t.name, t.web_inbox_color
FROM message_taggings mt JOIN tags t ON t.id = mt.tag_id
WHERE mt.message_id = ANY(@ids::bigint[])
ORDER BY mt.id;

-- name: ReceivedMarkSet :exec
-- Marks only move forward.
INSERT INTO received_marks (user_id, chat_wa_id, received_until)
VALUES (@user_id::bigint, @chat_wa_id, @received_until)
ON CONFLICT (user_id, chat_wa_id) DO UPDATE
SET received_until = greatest(received_marks.received_until, excluded.received_until), updated_at = now();

-- name: ChatExists :one
SELECT EXISTS (SELECT 1 FROM chats WHERE wa_id = @wa_id);
