-- Two foreign keys that every inbound message paid for, and nothing used.
--
-- A foreign key is checked per written row, at the end of the statement,
-- by a query that locks the referenced row (SELECT ... FOR KEY SHARE): a
-- query, a row lock, a WAL record and a dirtied page. MessagesIngest paid
-- for two per message this way on the single inbound writer's path, which
-- sets the pace of the provider's webhook. Measured with pg_waldump over
-- 3,300 messages in batches of 11 on the seeded 1M-message database:
-- 10,184 Heap/LOCK records and 14.6 MB of WAL with the keys, 6,520 and
-- 12.6 MB without them; interleaved `wamux bench` runs acknowledged
-- 4,396-5,302 messages/s without, 4,186-4,898 with (docs/performance.md).
--
-- * messages.chat_wa_id -> chats: the statements that write messages make
--   the chat first (MessagesIngest in the same statement, a send with
--   ChatsEnsure before it), and no statement deletes chats, so its ON
--   DELETE CASCADE never ran. Deleting a chat, should wamux ever do it,
--   must delete its messages itself.
-- * chats.last_message_id -> messages: a cache of the chat's newest
--   message, moved forward by the statements that insert messages. Its ON
--   DELETE SET NULL was for pruning, which never deletes a chat's newest
--   message (MessagesPruneOldest). The index that made that SET NULL cheap
--   goes with it: one index entry fewer on every chat's update; the prune
--   now checks "is it its chat's newest?" through the chat's primary key.
--
-- The other foreign keys on messages (sender_id -> users, checked only when
-- set, which inbound messages never are) and on chats (persons, users,
-- groups: checked when a chat is created or assigned) stay.

-- +goose Up
ALTER TABLE messages DROP CONSTRAINT messages_chat_wa_id_fkey;
ALTER TABLE chats DROP CONSTRAINT chats_last_message_id_fkey;
DROP INDEX chats_last_message_id_idx;

-- +goose Down
CREATE INDEX chats_last_message_id_idx ON chats (last_message_id) WHERE last_message_id IS NOT NULL;
UPDATE chats c SET last_message_id = NULL
WHERE c.last_message_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = c.last_message_id);
ALTER TABLE chats
    ADD CONSTRAINT chats_last_message_id_fkey
    FOREIGN KEY (last_message_id) REFERENCES messages (id) ON DELETE SET NULL;
ALTER TABLE messages
    ADD CONSTRAINT messages_chat_wa_id_fkey
    FOREIGN KEY (chat_wa_id) REFERENCES chats (wa_id) ON DELETE CASCADE;
