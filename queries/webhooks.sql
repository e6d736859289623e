-- Per-user WABA Webhooks: the resource (internal/webhooks) and its delivery
-- from the event log (internal/fanout). See db/migrations/00001_init.sql for
-- the cursor, the horizon and the lease.

-- name: WebhookCreate :one
INSERT INTO waba_webhooks (user_id, url, on_incoming_messages, on_outgoing_messages, on_assigned_messages,
                           on_chat_assignment, on_tagging, signing_secret)
VALUES (@user_id, @url, @on_incoming_messages, @on_outgoing_messages, @on_assigned_messages,
        @on_chat_assignment, @on_tagging, @signing_secret)
RETURNING id;

-- name: WebhookGet :one
-- One webhook with its health. events_pending counts the log after the
-- webhook's position (before filtering by subscription and permission), up
-- to 10,000, so the answer stays cheap however far behind a receiver is.
SELECT w.id, w.user_id, u.username, w.url, w.on_incoming_messages, w.on_outgoing_messages,
       w.on_assigned_messages, w.on_chat_assignment, w.on_tagging,
       w.last_success_at, w.last_error_at, w.last_error, w.consecutive_failures,
       (SELECT count(*) FROM (
            SELECT 1 FROM events e
            WHERE (e.xid, e.id) > (coalesce(w.cursor_xid, '0'::xid8), w.cursor_id)
            LIMIT 10000) AS p)::bigint AS events_pending
FROM waba_webhooks w
JOIN users u ON u.id = w.user_id
WHERE w.id = @id;

-- name: WebhookList :many
-- A page of webhooks, all of them or one user's (sqlc.narg user_id).
SELECT w.id, w.user_id, u.username, w.url, w.on_incoming_messages, w.on_outgoing_messages,
       w.on_assigned_messages, w.on_chat_assignment, w.on_tagging,
       w.last_success_at, w.last_error_at, w.last_error, w.consecutive_failures,
       (SELECT count(*) FROM (
            SELECT 1 FROM events e
            WHERE (e.xid, e.id) > (coalesce(w.cursor_xid, '0'::xid8), w.cursor_id)
            LIMIT 10000) AS p)::bigint AS events_pending
FROM waba_webhooks w
JOIN users u ON u.id = w.user_id
WHERE sqlc.narg(user_id)::bigint IS NULL OR w.user_id = sqlc.narg(user_id)
ORDER BY w.id
LIMIT @lim OFFSET @off;

-- name: WebhookCount :one
SELECT count(*) FROM waba_webhooks
WHERE sqlc.narg(user_id)::bigint IS NULL OR user_id = sqlc.narg(user_id);

-- name: WebhookOwner :one
SELECT user_id FROM waba_webhooks WHERE id = @id;

-- name: WebhookUpdate :execrows
-- A changed configuration is tried at once: a receiver in backoff whose URL
-- was just fixed should not wait for the next scheduled attempt.
UPDATE waba_webhooks SET
    url                  = @url,
    on_incoming_messages = @on_incoming_messages,
    on_outgoing_messages = @on_outgoing_messages,
    on_assigned_messages = @on_assigned_messages,
    on_chat_assignment   = @on_chat_assignment,
    on_tagging           = @on_tagging,
    next_attempt_at      = NULL,
    updated_at           = now()
WHERE id = @id;

-- name: WebhookDelete :execrows
DELETE FROM waba_webhooks WHERE id = @id;

-- name: WebhookNotify :exec
-- Tells the deliverers on every replica that a webhook changed
-- ("<op>:<id>"); sent inside the changing transaction, delivered at commit.
SELECT pg_notify('wamux_webhooks', @payload::text);

-- name: WebhookDeliveryList :many
SELECT id, attempted_at, status_code, latency_ms, error, first_event_id, last_event_id, event_count
FROM webhook_deliveries
WHERE webhook_id = @webhook_id
ORDER BY attempted_at DESC, id DESC
LIMIT @lim OFFSET @off;

-- name: WebhookDeliveryCount :one
SELECT count(*) FROM webhook_deliveries WHERE webhook_id = @webhook_id;

-- name: WebhookCursorForUpdate :one
SELECT coalesce(cursor_xid, '0'::xid8)::text AS cursor_xid_text, cursor_id
FROM waba_webhooks WHERE id = @id
FOR UPDATE;

-- name: EventFirstSince :one
-- The first event, in log order, written at or after @since (all events of
-- a transaction share its start time, so none of them is split off). The
-- events written since are collected first (OFFSET 0 keeps the planner from
-- walking the whole log in order instead, expecting the first of them
-- early: 0.5-0.7 s on 2,000,000 events for the last hour's); their number
-- is what the replay delivers anyway. Replay asks only for a @since after
-- the log's first event (EventFirst).
SELECT e.xid::text AS xid_text, e.id, e.created_at
FROM (SELECT xid, id, created_at FROM events WHERE created_at >= @since OFFSET 0) e
ORDER BY e.xid, e.id
LIMIT 1;

-- name: EventFirst :one
-- The first event of the log. created_at has only a BRIN index
-- (db/migrations/00014_events_one_btree.sql), so this is the log's first
-- row by its primary key.
SELECT xid::text AS xid_text, id, created_at FROM events ORDER BY xid, id LIMIT 1;

-- name: EventCountBetween :one
-- Events after position a up to and including position b.
SELECT count(*) FROM events e
WHERE (e.xid, e.id) > (CAST(@a_xid::text AS xid8), @a_id::bigint)
  AND (e.xid, e.id) <= (CAST(@b_xid::text AS xid8), @b_id::bigint);

-- name: WebhookRewind :exec
UPDATE waba_webhooks SET
    cursor_xid      = CAST(@cursor_xid::text AS xid8),
    cursor_id       = @cursor_id,
    next_attempt_at = NULL,
    updated_at      = now()
WHERE id = @id;

-- name: FanoutClaim :many
-- Leases up to @lim webhooks of active users that nobody holds (or whose
-- holder stopped renewing). A short UPDATE, never a lock held while POSTing.
UPDATE waba_webhooks w
SET leased_by = @replica::text, lease_expires_at = now() + make_interval(secs => @ttl_secs::float8)
WHERE w.id IN (
    SELECT c.id FROM waba_webhooks c
    JOIN users u ON u.id = c.user_id
    WHERE u.is_active
      AND (c.lease_expires_at IS NULL OR c.lease_expires_at < now())
    ORDER BY c.id
    LIMIT @lim
    FOR UPDATE OF c SKIP LOCKED)
RETURNING w.id;

-- name: FanoutRenew :many
-- Extends this replica's leases; an id missing from the answer was taken
-- over (or deleted) and its deliverer must stop.
UPDATE waba_webhooks
SET lease_expires_at = now() + make_interval(secs => @ttl_secs::float8)
WHERE leased_by = @replica::text AND id = ANY(@ids::bigint[])
RETURNING id;

-- name: FanoutRelease :exec
UPDATE waba_webhooks SET leased_by = NULL, lease_expires_at = NULL
WHERE id = @id AND leased_by = @replica::text;

-- name: FanoutShare :one
-- What the replicas share: the webhooks of active users, and the replicas
-- alive right now (each keeps its LISTEN connection open under an
-- application_name of 'wamux-fanout:<replica>').
SELECT
    (SELECT count(*) FROM waba_webhooks w JOIN users u ON u.id = w.user_id WHERE u.is_active)::bigint AS webhooks,
    (SELECT count(DISTINCT a.application_name) FROM pg_catalog.pg_stat_activity a
      WHERE a.datname = current_database() AND a.application_name LIKE 'wamux-fanout:%')::bigint AS replicas;

-- name: FanoutLoad :one
-- A deliverer's view of its webhook and of the user it delivers to, read
-- before every batch: configuration, position, backoff, lease, and the
-- user's read permission (own override and groups').
SELECT w.id, w.user_id, w.url, w.on_incoming_messages, w.on_outgoing_messages, w.on_assigned_messages,
       w.on_chat_assignment, w.on_tagging, w.signing_secret,
       coalesce(w.cursor_xid, '0'::xid8)::text AS cursor_xid_text, w.cursor_id,
       w.consecutive_failures, w.next_attempt_at, w.leased_by,
       u.is_active, u.can_read_chats AS own_read_level,
       coalesce((SELECT array_agg(gm.group_id ORDER BY gm.group_id)
                 FROM group_members gm WHERE gm.user_id = w.user_id), '{}')::bigint[] AS group_ids,
       coalesce((SELECT array_agg(g.can_read_chats ORDER BY g.id)
                 FROM group_members gm JOIN groups g ON g.id = gm.group_id
                 WHERE gm.user_id = w.user_id), '{}')::text[] AS group_read_levels
FROM waba_webhooks w
JOIN users u ON u.id = w.user_id
WHERE w.id = @id;

-- name: FanoutEvents :many
-- The next events after a cursor, in log order, with the horizon of the
-- same snapshot (events_horizon(), db/migrations/00003_events_horizon.sql:
-- the oldest transaction of this database still running; a STABLE
-- function, so it sees this statement's snapshot). The caller consumes
-- only the rows below the horizon: no transaction below it can still
-- commit a row into events, so that prefix of the log can no longer change
-- and the cursor never skips a late commit. A row at or above the horizon
-- says that committed events wait for an older transaction to end (a
-- notification may never come for that), so the deliverer looks again
-- soon. Rows are in (xid, id) order, so the consumable ones come first.
SELECT e.id, e.xid::text AS xid_text, e.kind, e.chat_wa_id, e.message_id, e.payload, e.created_at,
       (SELECT events_horizon())::text AS horizon_text
FROM events e
WHERE (e.xid, e.id) > (CAST(@cursor_xid::text AS xid8), @cursor_id::bigint)
ORDER BY e.xid, e.id
LIMIT @lim;

-- name: FanoutChats :many
-- Who a batch's chats are assigned to now: permissions and assigned_messages
-- are decided at delivery time.
SELECT wa_id, assigned_user_id, assigned_group_id FROM chats WHERE wa_id = ANY(@wa_ids::text[]);

-- name: FanoutMessages :many
-- Messages as the list endpoint shows them, minus the per-user `received`
-- (FanoutMarks): one round trip with contact, sender and tags.
SELECT m.id, m.wamid, m.chat_wa_id, m.from_us, m.sender_id, m.waba_payload, m.context,
       m.sent_at, m.delivered_at, m.read_at, m.failed_at, m.status_errors, m.ts,
       p.profile_name, p.waba_payload AS person_payload, p.initials, p.last_message_at AS person_last_message_at,
       s.username AS sender_username, s.first_name AS sender_first_name, s.last_name AS sender_last_name,
       s.email AS sender_email, s.role AS sender_role,
       coalesce((SELECT jsonb_agg(jsonb_build_object('tagging_id', mt.id, 'id', t.id, 'name', t.name,
                                                     'web_inbox_color', t.web_inbox_color, 'extra', mt.extra)
                                  ORDER BY mt.id)
                 FROM message_taggings mt JOIN tags t ON t.id = mt.tag_id
                 WHERE mt.message_id = m.id), '[]'::jsonb)::jsonb AS tags
FROM messages m
LEFT JOIN persons p ON p.wa_id = m.chat_wa_id
LEFT JOIN users s ON s.id = m.sender_id
WHERE m.id = ANY(@ids::bigint[]);

-- name: FanoutMarks :many
-- A user's received marks of some chats: one primary-key probe per chat.
-- (Written as "chat_wa_id = ANY(...)", the planner may read all the user's
-- marks and filter them: measured 4 ms a call for 60 chats of 1,000.)
SELECT c.wa_id::text AS chat_wa_id, m.received_until
FROM unnest(@wa_ids::text[]) AS c(wa_id),
     LATERAL (SELECT rm.received_until FROM received_marks rm
              WHERE rm.user_id = @user_id::bigint AND rm.chat_wa_id = c.wa_id
              LIMIT 1) AS m;

-- name: FanoutUnreceived :many
-- The newest incoming messages of a chat a user has not received: what a
-- chat brings along when it is assigned to that user. @unwritten_mark is
-- the user's mark the engine has not written yet (marks.go), or any time
-- before the chat's first message.
SELECT m.id FROM messages m
LEFT JOIN received_marks rm ON rm.user_id = @user_id AND rm.chat_wa_id = m.chat_wa_id
WHERE m.chat_wa_id = @chat_wa_id AND NOT m.from_us
  AND m.ts > greatest(coalesce(rm.received_until, '-infinity'::timestamptz), @unwritten_mark::timestamptz)
ORDER BY m.ts DESC, m.id DESC
LIMIT @lim;

-- name: FanoutMessageID :one
SELECT id FROM messages WHERE wamid = @wamid;

-- name: FanoutSkip :execrows
-- Moves the cursor past events none of which were for this webhook. The
-- cursor condition makes it a compare-and-set: a replay that moved the
-- cursor meanwhile wins.
UPDATE waba_webhooks SET cursor_xid = CAST(@new_xid::text AS xid8), cursor_id = @new_id
WHERE id = @id AND leased_by = @replica::text
  AND coalesce(cursor_xid, '0'::xid8) = CAST(@old_xid::text AS xid8) AND cursor_id = @old_id;

-- name: FanoutDelivered :one
-- After a 2xx, in one statement: the cursor moves (compare-and-set as in
-- FanoutSkip), the health resets and the attempt is logged. The delivered
-- messages' received marks follow within a second (FanoutMarkReceived).
WITH upd AS (
    UPDATE waba_webhooks w SET
        cursor_xid           = CAST(@new_xid::text AS xid8),
        cursor_id            = @new_id,
        last_success_at      = now(),
        consecutive_failures = 0,
        next_attempt_at      = NULL
    WHERE w.id = @id AND w.leased_by = @replica::text
      AND coalesce(w.cursor_xid, '0'::xid8) = CAST(@old_xid::text AS xid8) AND w.cursor_id = @old_id
    RETURNING w.id
), logged AS (
    INSERT INTO webhook_deliveries (webhook_id, status_code, latency_ms, first_event_id, last_event_id, event_count)
    SELECT upd.id, @status_code::integer, @latency_ms::integer, @first_event_id::bigint, @last_event_id::bigint, @event_count::integer
    FROM upd
)
SELECT count(*) FROM upd;

-- name: FanoutMarkReceived :exec
-- The received marks of delivered messages, for every webhook of a replica
-- at once (internal/fanout/marks.go): marks only move forward. Rows are
-- written in (user, chat) order, so that concurrent writers lock them in
-- one order; a user or chat deleted meanwhile is skipped.
INSERT INTO received_marks (user_id, chat_wa_id, received_until)
SELECT x.user_id, x.chat_wa_id, x.received_until
FROM (SELECT unnest(@user_ids::bigint[]) AS user_id, unnest(@chats::text[]) AS chat_wa_id,
             unnest(@tss::timestamptz[]) AS received_until) AS x
WHERE EXISTS (SELECT 1 FROM chats c WHERE c.wa_id = x.chat_wa_id)
  AND EXISTS (SELECT 1 FROM users u WHERE u.id = x.user_id)
ORDER BY x.user_id, x.chat_wa_id -- the semi-joins above do not keep the input's order
ON CONFLICT (user_id, chat_wa_id) DO UPDATE
SET received_until = excluded.received_until, updated_at = now()
WHERE received_marks.received_until < excluded.received_until;

-- name: FanoutFailed :execrows
-- After a failed attempt: the cursor stays (order is kept), the health
-- records the failure and the backoff, and the attempt is logged.
WITH upd AS (
    UPDATE waba_webhooks w SET
        consecutive_failures = w.consecutive_failures + 1,
        last_error           = @error::text,
        last_error_at        = now(),
        next_attempt_at      = @next_attempt_at
    WHERE w.id = @id AND w.leased_by = @replica::text
    RETURNING w.id
)
INSERT INTO webhook_deliveries (webhook_id, status_code, latency_ms, error, first_event_id, last_event_id, event_count)
SELECT upd.id, sqlc.narg(status_code)::integer, @latency_ms::integer, @error::text, @first_event_id::bigint,
       @last_event_id::bigint, @event_count::integer
FROM upd;

-- name: FanoutPruneDeliveries :execrows
DELETE FROM webhook_deliveries WHERE attempted_at < @before;
