-- Chat taggings made by tagging a message.
--
-- Tagging a message tags its chat at once (the reference). Such a chat tagging
-- is marked via_message, so that removing the last message tagging of that tag
-- in the chat can remove it again, while a chat tagging somebody made on
-- purpose (POST /api/v1/chat_taggings/) stays until it is deleted itself.
-- Tagging a message whose chat already carries the tag changes nothing here,
-- so an explicit chat tagging never becomes implicit.
--
-- No new index: "does another message of this chat still carry the tag" joins
-- message_taggings_tag_message_key (tag_id, message_id) with messages by id,
-- or messages_chat_ts_idx with that key, whichever the planner finds smaller.

-- +goose Up

ALTER TABLE chat_taggings ADD COLUMN via_message boolean NOT NULL DEFAULT false;

-- +goose Down

ALTER TABLE chat_taggings DROP COLUMN via_message;
