-- Tags, message and chat taggings, and their history. Statements that show
-- taggings to a caller take the caller's effective read level (@read_level),
-- id and group ids and filter inside the query, as queries/reads.sql does.

-- name: TagList :many
SELECT id, name, web_inbox_color FROM tags ORDER BY name, id LIMIT @lim OFFSET @off;

-- name: TagCount :one
SELECT count(*) FROM tags;

-- name: TagGet :one
SELECT id, name, web_inbox_color FROM tags WHERE id = @id;

-- name: TagInsert :one
INSERT INTO tags (name, web_inbox_color) VALUES (@name, sqlc.narg(web_inbox_color))
RETURNING id, name, web_inbox_color;

-- name: TagUpdate :one
UPDATE tags SET name = @name, web_inbox_color = sqlc.narg(web_inbox_color) WHERE id = @id
RETURNING id, name, web_inbox_color;

-- name: TagDelete :execrows
-- Cascades to the tag's taggings, their history and the rules reacting to it.
DELETE FROM tags WHERE id = @id;

-- name: MessageRefByWamid :one
SELECT id, chat_wa_id FROM messages WHERE wamid = @wamid;

-- name: MessageTaggingInsert :one
-- A pair that exists already inserts nothing and returns no row.
INSERT INTO message_taggings (tag_id, message_id, extra, created_by)
VALUES (@tag_id, @message_id, sqlc.narg(extra), sqlc.narg(created_by))
ON CONFLICT ON CONSTRAINT message_taggings_tag_message_key DO NOTHING
RETURNING id;

-- name: MessageTaggingGet :one
-- One message tagging, if the caller may read its chat.
SELECT mt.id, mt.tag_id, mt.message_id, mt.extra, m.wamid, m.chat_wa_id
FROM message_taggings mt
JOIN messages m ON m.id = mt.message_id
JOIN chats c ON c.wa_id = m.chat_wa_id
WHERE mt.id = @id
  AND (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])));

-- name: MessageTaggingDelete :one
DELETE FROM message_taggings WHERE id = @id RETURNING id, tag_id, message_id, extra;

-- name: ChatTaggingInsert :one
-- A pair that exists already inserts nothing and returns no row.
INSERT INTO chat_taggings (tag_id, chat_wa_id, extra, created_by, via_message)
VALUES (@tag_id, @chat_wa_id, sqlc.narg(extra), sqlc.narg(created_by), @via_message)
ON CONFLICT ON CONSTRAINT chat_taggings_tag_chat_key DO NOTHING
RETURNING id;

-- name: ChatTaggingGet :one
-- One chat tagging, if the caller may read its chat.
SELECT ct.id, ct.tag_id, ct.chat_wa_id, ct.extra, ct.via_message
FROM chat_taggings ct
JOIN chats c ON c.wa_id = ct.chat_wa_id
WHERE ct.id = @id
  AND (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])));

-- name: ChatTaggingDelete :one
DELETE FROM chat_taggings WHERE id = @id RETURNING id, tag_id, chat_wa_id, extra;

-- name: ChatTaggingDeleteOrphaned :many
-- Removes the chat tagging that tagging a message created, once no message of
-- the chat carries the tag any more. A chat tagging made on purpose stays.
-- The caller holds the chat's lock (ChatLockReadable), so concurrent tagging
-- changes of the same chat cannot both miss each other here.
DELETE FROM chat_taggings ct
WHERE ct.tag_id = @tag_id AND ct.chat_wa_id = @chat_wa_id AND ct.via_message
  AND NOT EXISTS (SELECT 1 FROM message_taggings mt JOIN messages m ON m.id = mt.message_id
                  WHERE mt.tag_id = @tag_id AND m.chat_wa_id = @chat_wa_id)
RETURNING ct.id, ct.extra;

-- name: MessageTaggingEventInsert :one
INSERT INTO message_tagging_events (action, tag_id, message_id, chat_wa_id, extra, done_by)
VALUES (@action, @tag_id, @message_id, @chat_wa_id, sqlc.narg(extra), sqlc.narg(done_by))
RETURNING id, occurred_at;

-- name: ChatTaggingEventInsert :one
INSERT INTO chat_tagging_events (action, tag_id, chat_wa_id, extra, done_by)
VALUES (@action, @tag_id, @chat_wa_id, sqlc.narg(extra), sqlc.narg(done_by))
RETURNING id, occurred_at;

-- name: MessageTaggingEventList :many
-- GET /api/v1/message_tagging_events/: newest first; message_id is the
-- provider's message id; since_time inclusive, before_time exclusive.
SELECT e.id, e.occurred_at, e.action, e.message_id, e.chat_wa_id, e.extra, e.done_by, m.wamid,
       t.id AS tag_id, t.name AS tag_name, t.web_inbox_color AS tag_color
FROM message_tagging_events e
JOIN messages m ON m.id = e.message_id
JOIN tags t ON t.id = e.tag_id
JOIN chats c ON c.wa_id = e.chat_wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(wa_id)::text IS NULL OR e.chat_wa_id = sqlc.narg(wa_id))
  AND (sqlc.narg(wamid)::text IS NULL OR m.wamid = sqlc.narg(wamid))
  AND (sqlc.narg(since_time)::timestamptz IS NULL OR e.occurred_at >= sqlc.narg(since_time))
  AND (sqlc.narg(before_time)::timestamptz IS NULL OR e.occurred_at < sqlc.narg(before_time))
ORDER BY e.occurred_at DESC, e.id DESC
LIMIT @lim OFFSET @off;

-- name: MessageTaggingEventCount :one
SELECT count(*)
FROM message_tagging_events e
JOIN messages m ON m.id = e.message_id
JOIN chats c ON c.wa_id = e.chat_wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(wa_id)::text IS NULL OR e.chat_wa_id = sqlc.narg(wa_id))
  AND (sqlc.narg(wamid)::text IS NULL OR m.wamid = sqlc.narg(wamid))
  AND (sqlc.narg(since_time)::timestamptz IS NULL OR e.occurred_at >= sqlc.narg(since_time))
  AND (sqlc.narg(before_time)::timestamptz IS NULL OR e.occurred_at < sqlc.narg(before_time));

-- name: ChatTaggingEventList :many
-- GET /api/v1/chat_tagging_events/: newest first; since_time inclusive,
-- before_time exclusive.
SELECT e.id, e.occurred_at, e.action, e.chat_wa_id, e.extra, e.done_by,
       t.id AS tag_id, t.name AS tag_name, t.web_inbox_color AS tag_color
FROM chat_tagging_events e
JOIN tags t ON t.id = e.tag_id
JOIN chats c ON c.wa_id = e.chat_wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(wa_id)::text IS NULL OR e.chat_wa_id = sqlc.narg(wa_id))
  AND (sqlc.narg(since_time)::timestamptz IS NULL OR e.occurred_at >= sqlc.narg(since_time))
  AND (sqlc.narg(before_time)::timestamptz IS NULL OR e.occurred_at < sqlc.narg(before_time))
ORDER BY e.occurred_at DESC, e.id DESC
LIMIT @lim OFFSET @off;

-- name: ChatTaggingEventCount :one
SELECT count(*)
FROM chat_tagging_events e
JOIN chats c ON c.wa_id = e.chat_wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(wa_id)::text IS NULL OR e.chat_wa_id = sqlc.narg(wa_id))
  AND (sqlc.narg(since_time)::timestamptz IS NULL OR e.occurred_at >= sqlc.narg(since_time))
  AND (sqlc.narg(before_time)::timestamptz IS NULL OR e.occurred_at < sqlc.narg(before_time));
