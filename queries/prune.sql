-- name: MessageCountAll :one
SELECT count(*) FROM messages;

-- name: MessagesPruneOldest :one
-- Deletes up to @batch of the oldest messages, never a chat's newest one
-- (the NOT EXISTS probes the message's chat by its key), lowers the chats'
-- incoming_count by their incoming messages deleted, and returns how many
-- it deleted.
WITH gone AS (
    DELETE FROM messages
    WHERE id IN (
        SELECT m.id FROM messages m
        WHERE NOT EXISTS (SELECT 1 FROM chats c WHERE c.wa_id = m.chat_wa_id AND c.last_message_id = m.id)
        ORDER BY m.ts, m.id
        LIMIT @batch
    )
    RETURNING chat_wa_id, from_us
), recounted AS (
    UPDATE chats c SET incoming_count = c.incoming_count - g.n
    FROM (SELECT chat_wa_id, count(*) AS n FROM gone WHERE NOT from_us GROUP BY chat_wa_id) g
    WHERE c.wa_id = g.chat_wa_id
)
SELECT count(*) FROM gone;

-- name: PendingStatusesPrune :execrows
-- Statuses of messages that never arrived (sent by another system on the
-- same number) are kept a while, then dropped.
DELETE FROM message_statuses_pending WHERE received_at < @before;
