-- The rule engine: default-engine rules, the engine's configuration and its
-- position in the event log (one row), and the round-robin state per group.

-- name: RuleList :many
SELECT * FROM rules ORDER BY position, id LIMIT @lim OFFSET @off;

-- name: RuleCount :one
SELECT count(*) FROM rules;

-- name: RuleAll :many
-- Every rule in the order the default engine tries them (few rows).
SELECT * FROM rules ORDER BY position, id;

-- name: RuleGet :one
SELECT * FROM rules WHERE id = @id;

-- name: RuleGetForUpdate :one
SELECT * FROM rules WHERE id = @id FOR UPDATE;

-- name: RuleCreate :one
INSERT INTO rules (position, tagged_with, assign_to_user, assign_to_group, group_assign_method, description)
VALUES (@position, sqlc.narg('tagged_with'), sqlc.narg('assign_to_user'), sqlc.narg('assign_to_group'),
        sqlc.narg('group_assign_method'), @description)
RETURNING *;

-- name: RuleUpdate :one
UPDATE rules SET position = @position, tagged_with = sqlc.narg('tagged_with'), assign_to_user = sqlc.narg('assign_to_user'),
                 assign_to_group = sqlc.narg('assign_to_group'), group_assign_method = sqlc.narg('group_assign_method'),
                 description = @description
WHERE id = @id
RETURNING *;

-- name: RuleDelete :execrows
DELETE FROM rules WHERE id = @id;

-- name: RuleEngineGet :one
SELECT mode, url, headers, timeout_ms, last_error, last_error_at FROM rule_engine WHERE id = 1;

-- name: RuleEngineConfigure :exec
UPDATE rule_engine SET mode = @mode, url = sqlc.narg('url'), headers = @headers, timeout_ms = @timeout_ms, updated_at = now()
WHERE id = 1;

-- name: RuleEngineClaim :one
-- Takes or renews the engine's lease (one evaluator across replicas) and
-- returns what a batch needs: the configuration and the position.
UPDATE rule_engine
SET leased_by = @replica::text, lease_expires_at = now() + make_interval(secs => @ttl_secs::float8)
WHERE id = 1 AND (leased_by IS NULL OR leased_by = @replica::text OR lease_expires_at < now())
RETURNING mode, url, headers, timeout_ms, coalesce(cursor_xid::text, '0')::text AS cursor_xid_text, cursor_id;

-- name: RuleEngineAdvance :one
-- Moves the position past an evaluated batch, only while this replica holds
-- the lease and nobody moved it meanwhile (no row otherwise). It renews the
-- lease and returns the configuration as RuleEngineClaim does, so that a
-- busy engine goes on to its next batch without claiming again.
UPDATE rule_engine SET cursor_xid = CAST(@new_xid::text AS xid8), cursor_id = @new_id::bigint,
                       lease_expires_at = now() + make_interval(secs => @ttl_secs::float8)
WHERE id = 1 AND leased_by = @replica::text
  AND coalesce(cursor_xid::text, '0') = @old_xid::text AND cursor_id = @old_id::bigint
RETURNING mode, url, headers, timeout_ms;

-- name: RuleEngineRelease :exec
UPDATE rule_engine SET leased_by = NULL, lease_expires_at = NULL WHERE id = 1 AND leased_by = @replica::text;

-- name: RuleEngineFailed :exec
UPDATE rule_engine SET last_error = @last_error, last_error_at = now(),
                       consecutive_failures = consecutive_failures + 1
WHERE id = 1;

-- name: RuleEngineSucceeded :exec
UPDATE rule_engine SET consecutive_failures = 0 WHERE id = 1 AND consecutive_failures <> 0;

-- name: RuleChatAssignment :one
SELECT assigned_user_id, assigned_group_id FROM chats WHERE wa_id = @wa_id;

-- name: RuleChatAssignments :many
-- The assignment of the chats of a batch of events, in one query.
SELECT wa_id, assigned_user_id, assigned_group_id FROM chats WHERE wa_id = ANY(@wa_ids::text[]);

-- name: RuleMessageByWamid :one
SELECT id, chat_wa_id, from_us FROM messages WHERE wamid = @wamid;

-- name: RoundRobinEnsure :exec
INSERT INTO round_robin_state (group_id) VALUES (@group_id) ON CONFLICT (group_id) DO NOTHING;

-- name: RoundRobinLock :one
SELECT last_user_id FROM round_robin_state WHERE group_id = @group_id FOR UPDATE;

-- name: RoundRobinNext :one
-- The next active member after the last one picked, by user id, wrapping
-- around (false sorts first: the ids after `after`, then the others).
SELECT u.id FROM group_members gm JOIN users u ON u.id = gm.user_id
WHERE gm.group_id = @group_id AND u.is_active
ORDER BY (u.id <= coalesce(sqlc.narg('after')::bigint, 0)), u.id
LIMIT 1;

-- name: RoundRobinSet :exec
UPDATE round_robin_state SET last_user_id = @user_id, updated_at = now() WHERE group_id = @group_id;

-- name: RuleEngineEvents :many
-- The next events after the engine's position, read only below the horizon
-- (db/migrations/00001_init.sql, the ordering trap; events_horizon() in
-- 00003): this prefix of the log can no longer gain rows, so no late commit
-- is skipped. The payload comes only where the engine reads it (taggings;
-- every event when @all_payloads, for the custom engine): the default
-- engine reads an incoming message by its ids alone, and skipping its ~1 KB
-- payload spares reading, sending and parsing it for every message.
SELECT e.id, e.xid::text AS xid_text, e.kind, e.chat_wa_id, e.message_id,
       (CASE WHEN @all_payloads::boolean OR e.kind IN ('message_tagging', 'chat_tagging') THEN e.payload END)::jsonb AS payload,
       e.created_at
FROM events e
WHERE (e.xid, e.id) > (CAST(@cursor_xid::text AS xid8), @cursor_id::bigint)
  AND e.xid < events_horizon()
ORDER BY e.xid, e.id
LIMIT @lim;

-- name: RuleEngineEventsAboveHorizon :one
-- Whether committed events wait after the engine's position although
-- RuleEngineEvents found none below the horizon: the engine then looks
-- again soon rather than waiting for a notification that may never come.
-- It asks whether the last event of the log (one backward probe of
-- events_pkey, whatever the table's size or statistics) is after the
-- position; no horizon is needed: an event that went below the horizon
-- since RuleEngineEvents ran is work to do soon as well.
SELECT coalesce((SELECT (l.xid, l.id) > (CAST(@cursor_xid::text AS xid8), @cursor_id::bigint)
                 FROM (SELECT e.xid, e.id FROM events e ORDER BY e.xid DESC, e.id DESC LIMIT 1) l), false)::boolean;

-- name: RuleEngineMessages :many
-- Messages as the list endpoint shows them (minus the per-user `received`),
-- for the custom engine's payloads: those of a whole batch in one query.
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
