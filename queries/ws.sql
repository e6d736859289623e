-- The websocket feed (internal/ws): one hub per process reads the event log
-- for all of its clients (through fanout.Feed, which shares the webhook
-- deliverers' reading and payloads); these are the queries only it needs.

-- name: WsHead :one
-- Where a hub starts reading: just before the oldest transaction of this
-- database still running (events_horizon(), 00003_events_horizon.sql). No
-- event below it can still commit, so nothing committed after the hub
-- starts is missed; a few events that committed just before may still be
-- delivered.
SELECT events_horizon()::text AS horizon_text;

-- name: WsViewers :many
-- The users behind the connected clients' tokens, read before every page of
-- events (one statement for every client of the hub): a token missing from
-- the answer was revoked or its user deactivated; the read permission (own
-- override and groups') decides what the client sees, as FanoutLoad does
-- for a webhook.
SELECT t.token_hash, u.id AS user_id, u.can_read_chats AS own_read_level,
       coalesce((SELECT array_agg(gm.group_id ORDER BY gm.group_id)
                 FROM group_members gm WHERE gm.user_id = u.id), '{}')::bigint[] AS group_ids,
       coalesce((SELECT array_agg(g.can_read_chats ORDER BY g.id)
                 FROM group_members gm JOIN groups g ON g.id = gm.group_id
                 WHERE gm.user_id = u.id), '{}')::text[] AS group_read_levels
FROM auth_tokens t
JOIN users u ON u.id = t.user_id
WHERE t.token_hash = ANY(@token_hashes::bytea[]) AND t.revoked_at IS NULL AND u.is_active;

-- name: WsMarks :many
-- The received marks of several users for a page's chats, in one statement
-- instead of one per user (FanoutMarks): the per-user `received` of the
-- messages in the clients' payloads. Absent pairs have no mark.
SELECT rm.user_id, rm.chat_wa_id, rm.received_until
FROM received_marks rm
WHERE rm.user_id = ANY(@user_ids::bigint[]) AND rm.chat_wa_id = ANY(@wa_ids::text[]);
