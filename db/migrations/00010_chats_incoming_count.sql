-- chats.incoming_count: how many messages of the chat came from the
-- customer (NOT from_us), kept by the statements that insert and delete
-- them (MessagesIngest, MessagesPruneOldest; the seed sets it once).
--
-- GET /api/v1/chats/ shows new_messages per chat: the incoming messages
-- newer than the viewer's received mark. For a viewer without a mark (a
-- new user, an admin who never opens chats, a bot) that is every incoming
-- message of the chat, which the page counted from an index: ~100 entries
-- per chat of the seeded 1M-message inbox, about 40% of the page's time.
-- With the count kept here it is read from the chat's row; a viewer with a
-- mark counts only the messages after it (messages_chat_ts_idx, which
-- carries from_us). That was the only use of messages_chat_incoming_ts_idx
-- (00006), one more index entry on every incoming message: dropped.

-- +goose Up
ALTER TABLE chats ADD COLUMN incoming_count bigint NOT NULL DEFAULT 0;
UPDATE chats c SET incoming_count = s.n
FROM (SELECT chat_wa_id, count(*) AS n FROM messages WHERE NOT from_us GROUP BY chat_wa_id) s
WHERE c.wa_id = s.chat_wa_id;
DROP INDEX messages_chat_incoming_ts_idx;

-- +goose Down
CREATE INDEX messages_chat_incoming_ts_idx ON messages (chat_wa_id, ts) WHERE NOT from_us;
ALTER TABLE chats DROP COLUMN incoming_count;
