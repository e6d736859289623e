-- Reads of chats, messages and persons. Every read takes the caller's
-- effective read level (@read_level: all, group, assigned or none), id and
-- group ids, and filters inside the query, so `count` and pages stay true.

-- name: ChatPage :many
-- A page of the chats list in one round trip (each round trip is a wake-up
-- of wamux and of a backend, which is what a busy machine makes slow): the
-- chats of the page with their persons, new_messages, last messages (with
-- the viewer's `received`, sender and tags) and tags, and `total`, the
-- count of the whole list in the same snapshot. `total` is a scalar
-- subquery, evaluated once; when searching it counts at most @count_cap
-- chats (NULL: all), see ChatCount. The page is chosen first (`pg`) so that
-- the per-chat work is done for its rows only, never for skipped ones.
-- The page's search tests the contact's name through EXISTS, not the
-- joined person's column, so that the filter is on chats alone and the
-- page can walk chats_last_message_at_idx newest first and stop: testing
-- the joined column, a search hashed chats and persons and tested every
-- chat (500 ms for "order" on 10,000 chats). The person stays joined inside
-- the page: joined after it, the planner hashed all persons for the
-- page's 100 rows (9-10 ms against 6.5-7 for an agent's page).
-- A chat matches a search by its messages in one of three ways
-- (ListChats chooses, see messageChats):
-- * @message_chats, the chats of every matching message (ChatSearchHits,
--   when the messages match fewer than its cap);
-- * @probe_chats: each chat's messages are probed newest first, never the
--   matches hashed (OFFSET 0 keeps PostgreSQL from turning the EXISTS
--   into a hashed subplan): for a word spread over most chats, where the
--   probes meet a match soon and hashing reads every match (27,061 for
--   "refund": 70 ms probing against 200-470 ms hashing);
-- * otherwise through EXISTS, where the planner chooses per search between
--   probing and hashing; not `wa_id IN (SELECT chat_wa_id ...)`: under the
--   OR, the IN form was a subplan rescanned for every chat, too big to hash
--   for a frequent word (266k matches: over 100 s for a page).
-- A @count_cap of 0 counts nothing: ListChats knows the count already.
SELECT pg.wa_id, pg.assigned_user_id, pg.assigned_group_id,
       pg.profile_name, pg.person_payload, pg.initials, pg.person_last_message_at,
       (CASE WHEN rm.received_until IS NULL THEN pg.incoming_count
             ELSE (SELECT count(*) FROM messages m
                    WHERE m.chat_wa_id = pg.wa_id AND NOT m.from_us AND m.ts > rm.received_until) END)::bigint AS new_messages,
       lm.id AS last_id, lm.wamid AS last_wamid, lm.from_us AS last_from_us, lm.sender_id AS last_sender_id,
       lm.waba_payload AS last_payload, lm.context AS last_context, lm.sent_at AS last_sent_at,
       lm.delivered_at AS last_delivered_at, lm.read_at AS last_read_at, lm.failed_at AS last_failed_at,
       lm.status_errors AS last_status_errors, lm.ts AS last_ts,
       coalesce(lm.from_us OR lm.ts <= coalesce(rm.received_until, '-infinity'::timestamptz), false)::boolean AS last_received,
       su.username AS sender_username, su.first_name AS sender_first_name, su.last_name AS sender_last_name,
       su.email AS sender_email, su.role AS sender_role,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('tagging_id', mt.id, 'id', t.id, 'name', t.name,
                                                     'color', t.web_inbox_color, 'extra', mt.extra) ORDER BY mt.id), '[]')
          FROM message_taggings mt JOIN tags t ON t.id = mt.tag_id
         WHERE mt.message_id = lm.id)::jsonb AS last_tags,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('tagging_id', ct.id, 'id', t.id, 'name', t.name,
                                                     'color', t.web_inbox_color, 'extra', ct.extra) ORDER BY ct.id), '[]')
          FROM chat_taggings ct JOIN tags t ON t.id = ct.tag_id
         WHERE ct.chat_wa_id = pg.wa_id)::jsonb AS tags,
       (SELECT count(*) FROM (
          SELECT 1 FROM chats c
          WHERE (@read_level::text = 'all'
                 OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
                 OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
            AND (NOT @assigned_to_me::boolean OR c.assigned_user_id = @user_id::bigint)
            AND (sqlc.narg(assigned_group)::bigint IS NULL OR c.assigned_group_id = sqlc.narg(assigned_group))
            AND (sqlc.narg(search)::text IS NULL
                 OR EXISTS (SELECT 1 FROM persons sp WHERE sp.wa_id = c.wa_id AND sp.profile_name ILIKE sqlc.narg(search))
                 OR c.wa_id LIKE sqlc.narg(search)
                 OR (sqlc.narg(message_chats)::text[] IS NULL AND NOT @probe_chats::boolean
                     AND EXISTS (SELECT 1 FROM messages sm WHERE sm.chat_wa_id = c.wa_id AND sm.body_text LIKE sqlc.narg(search)))
                 OR (@probe_chats::boolean
                     AND EXISTS (SELECT 1 FROM messages sm WHERE sm.chat_wa_id = c.wa_id AND sm.body_text LIKE sqlc.narg(search) OFFSET 0))
                 OR c.wa_id = ANY(sqlc.narg(message_chats)::text[]))
          LIMIT sqlc.narg(count_cap)::bigint) counted)::bigint AS total
FROM (
    SELECT c.wa_id, c.assigned_user_id, c.assigned_group_id, c.last_message_id, c.last_message_at, c.incoming_count,
           p.profile_name, p.waba_payload AS person_payload, p.initials, p.last_message_at AS person_last_message_at
    FROM chats c
    JOIN persons p ON p.wa_id = c.wa_id
    WHERE (@read_level::text = 'all'
           OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
           OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
      AND (NOT @assigned_to_me::boolean OR c.assigned_user_id = @user_id::bigint)
      AND (sqlc.narg(assigned_group)::bigint IS NULL OR c.assigned_group_id = sqlc.narg(assigned_group))
      AND (sqlc.narg(search)::text IS NULL
           OR EXISTS (SELECT 1 FROM persons sp WHERE sp.wa_id = c.wa_id AND sp.profile_name ILIKE sqlc.narg(search))
           OR c.wa_id LIKE sqlc.narg(search)
           OR (sqlc.narg(message_chats)::text[] IS NULL AND NOT @probe_chats::boolean
               AND EXISTS (SELECT 1 FROM messages sm WHERE sm.chat_wa_id = c.wa_id AND sm.body_text LIKE sqlc.narg(search)))
           OR (@probe_chats::boolean
               AND EXISTS (SELECT 1 FROM messages sm WHERE sm.chat_wa_id = c.wa_id AND sm.body_text LIKE sqlc.narg(search) OFFSET 0))
           OR c.wa_id = ANY(sqlc.narg(message_chats)::text[]))
    ORDER BY c.last_message_at DESC NULLS LAST, c.wa_id
    LIMIT @lim OFFSET @off
) pg
LEFT JOIN received_marks rm ON rm.user_id = @user_id::bigint AND rm.chat_wa_id = pg.wa_id
LEFT JOIN messages lm ON lm.id = pg.last_message_id
LEFT JOIN users su ON su.id = lm.sender_id
ORDER BY pg.last_message_at DESC NULLS LAST, pg.wa_id;

-- name: ChatPageAll :many
-- ChatPage for its most common call: a viewer who reads every chat (read
-- level all), no filter, no search: the inbox's first screen, an admin's or
-- a bot's. Without the catch-all filters, one generic plan is right for
-- every call (the index on last_message_at, the page's rows only), so
-- internal/inbox runs it on connections that keep generic plans: planning
-- ChatPage again for every call took 7-8 ms of its ~12 ms. The columns are
-- ChatPage's, in the same order (the rows convert to ChatPageRow).
SELECT pg.wa_id, pg.assigned_user_id, pg.assigned_group_id,
       pg.profile_name, pg.person_payload, pg.initials, pg.person_last_message_at,
       (CASE WHEN rm.received_until IS NULL THEN pg.incoming_count
             ELSE (SELECT count(*) FROM messages m
                    WHERE m.chat_wa_id = pg.wa_id AND NOT m.from_us AND m.ts > rm.received_until) END)::bigint AS new_messages,
       lm.id AS last_id, lm.wamid AS last_wamid, lm.from_us AS last_from_us, lm.sender_id AS last_sender_id,
       lm.waba_payload AS last_payload, lm.context AS last_context, lm.sent_at AS last_sent_at,
       lm.delivered_at AS last_delivered_at, lm.read_at AS last_read_at, lm.failed_at AS last_failed_at,
       lm.status_errors AS last_status_errors, lm.ts AS last_ts,
       coalesce(lm.from_us OR lm.ts <= coalesce(rm.received_until, '-infinity'::timestamptz), false)::boolean AS last_received,
       su.username AS sender_username, su.first_name AS sender_first_name, su.last_name AS sender_last_name,
       su.email AS sender_email, su.role AS sender_role,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('tagging_id', mt.id, 'id', t.id, 'name', t.name,
                                                     'color', t.web_inbox_color, 'extra', mt.extra) ORDER BY mt.id), '[]')
          FROM message_taggings mt JOIN tags t ON t.id = mt.tag_id
         WHERE mt.message_id = lm.id)::jsonb AS last_tags,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('tagging_id', ct.id, 'id', t.id, 'name', t.name,
                                                     'color', t.web_inbox_color, 'extra', ct.extra) ORDER BY ct.id), '[]')
          FROM chat_taggings ct JOIN tags t ON t.id = ct.tag_id
         WHERE ct.chat_wa_id = pg.wa_id)::jsonb AS tags,
       (SELECT count(*) FROM chats)::bigint AS total
FROM (
    SELECT c.wa_id, c.assigned_user_id, c.assigned_group_id, c.last_message_id, c.last_message_at, c.incoming_count,
           p.profile_name, p.waba_payload AS person_payload, p.initials, p.last_message_at AS person_last_message_at
    FROM chats c
    JOIN persons p ON p.wa_id = c.wa_id
    ORDER BY c.last_message_at DESC NULLS LAST, c.wa_id
    LIMIT @lim OFFSET @off
) pg
-- One probe of the primary key per row of the page (LIMIT 1 keeps the
-- planner from turning it back into a join): as a plain join, the generic
-- plan, which takes the page for a tenth of the chats, hashed all of the
-- viewer's marks, 1.3 ms for an agent with 6,000 of them.
LEFT JOIN LATERAL (
    SELECT r.received_until FROM received_marks r WHERE r.user_id = @user_id::bigint AND r.chat_wa_id = pg.wa_id LIMIT 1
) rm ON true
LEFT JOIN messages lm ON lm.id = pg.last_message_id
LEFT JOIN users su ON su.id = lm.sender_id
ORDER BY pg.last_message_at DESC NULLS LAST, pg.wa_id;

-- name: ChatCount :one
-- Over chats alone (every chat has its person): persons are looked at only
-- when searching, which makes the count of an unfiltered page ~8x cheaper.
-- Counts at most @count_cap chats (NULL: all): a search for a frequent word
-- would otherwise visit every matching message (see MessageCount).
SELECT count(*) FROM (
SELECT 1
FROM chats c
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (NOT @assigned_to_me::boolean OR c.assigned_user_id = @user_id::bigint)
  AND (sqlc.narg(assigned_group)::bigint IS NULL OR c.assigned_group_id = sqlc.narg(assigned_group))
  AND (sqlc.narg(search)::text IS NULL
       OR EXISTS (SELECT 1 FROM persons sp WHERE sp.wa_id = c.wa_id AND sp.profile_name ILIKE sqlc.narg(search))
       OR c.wa_id LIKE sqlc.narg(search)
       OR (sqlc.narg(message_chats)::text[] IS NULL AND NOT @probe_chats::boolean
           AND EXISTS (SELECT 1 FROM messages sm WHERE sm.chat_wa_id = c.wa_id AND sm.body_text LIKE sqlc.narg(search)))
       OR (@probe_chats::boolean
           AND EXISTS (SELECT 1 FROM messages sm WHERE sm.chat_wa_id = c.wa_id AND sm.body_text LIKE sqlc.narg(search) OFFSET 0))
       OR c.wa_id = ANY(sqlc.narg(message_chats)::text[]))
LIMIT sqlc.narg(count_cap)::bigint) counted;

-- name: ChatGet :one
SELECT c.wa_id, c.assigned_user_id, c.assigned_group_id, c.last_message_id,
       p.profile_name, p.waba_payload AS person_payload, p.initials, p.last_message_at AS person_last_message_at,
       (CASE WHEN rm.received_until IS NULL THEN c.incoming_count
             ELSE (SELECT count(*) FROM messages m
                    WHERE m.chat_wa_id = c.wa_id AND NOT m.from_us AND m.ts > rm.received_until) END)::bigint AS new_messages
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
  AND (sqlc.narg(search)::text IS NULL OR m.body_text LIKE sqlc.narg(search))
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
  AND (sqlc.narg(assigned_group)::bigint IS NULL OR c.assigned_group_id = sqlc.narg(assigned_group));

-- name: MessageSearchHits :many
-- The messages a search matches, with MessageList's other filters, at most
-- @hits_cap of them, in no particular order. Their number is the search's
-- count (SearchCountBound: counting every match of a word in a quarter of
-- 1,000,000 messages visits 266,280 rows, 0.8-2 s). Below the cap they are
-- all the matches, and ListMessages reads its page from them by id, so a
-- rare word's page never depends on the planner's estimate of how rare it
-- is (a walk of messages_ts_idx for a word it took for a frequent one read
-- the whole table: docs/performance.md).
SELECT m.id, m.ts
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
  AND m.body_text LIKE @search::text
LIMIT @hits_cap::bigint;

-- name: ChatSearchHits :many
-- The chats of at most @hits_cap messages a search matches, one row per
-- message, in no particular order. Below the cap they are the chats of
-- every match: ListChats hands them to ChatPage as @message_chats instead
-- of testing chats against their messages. No read filter here: ChatPage
-- applies it to the chats.
SELECT m.chat_wa_id
FROM messages m
WHERE m.body_text LIKE @search::text
LIMIT @hits_cap::bigint;

-- name: MessageSearchRecent :one
-- How many of the newest @sample messages match a search: how dense the
-- word is where MessageList's walk of messages_ts_idx newest first would
-- start. Only the walk reads these rows in this order, so only it is
-- costed by this (ListMessages, searchMessages).
SELECT count(*)
FROM (SELECT m.body_text FROM messages m ORDER BY m.ts DESC, m.id DESC LIMIT @sample::bigint) recent
WHERE recent.body_text LIKE @search::text;

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
  AND (sqlc.narg(search)::text IS NULL OR p.profile_name ILIKE sqlc.narg(search) OR p.wa_id LIKE sqlc.narg(search))
ORDER BY p.last_message_at DESC NULLS LAST, p.wa_id
LIMIT @lim OFFSET @off;

-- name: PersonCount :one
SELECT count(*)
FROM persons p
JOIN chats c ON c.wa_id = p.wa_id
WHERE (@read_level::text = 'all'
       OR (@read_level::text IN ('group', 'assigned') AND c.assigned_user_id = @user_id::bigint)
       OR (@read_level::text = 'group' AND c.assigned_group_id = ANY(@group_ids::bigint[])))
  AND (sqlc.narg(search)::text IS NULL OR p.profile_name ILIKE sqlc.narg(search) OR p.wa_id LIKE sqlc.narg(search));

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
