-- name: MessageCountAll :one
SELECT count(*) FROM messages;

-- name: MessagesPruneOldest :execrows
-- Deletes up to @batch of the oldest messages, never a chat's newest one
-- (chats_last_message_id_idx makes the NOT EXISTS a probe).
DELETE FROM messages
WHERE id IN (
    SELECT m.id FROM messages m
    WHERE NOT EXISTS (SELECT 1 FROM chats c WHERE c.last_message_id = m.id)
    ORDER BY m.ts, m.id
    LIMIT @batch
);

-- name: PendingStatusesPrune :execrows
-- Statuses of messages that never arrived (sent by another system on the
-- same number) are kept a while, then dropped.
DELETE FROM message_statuses_pending WHERE received_at < @before;
