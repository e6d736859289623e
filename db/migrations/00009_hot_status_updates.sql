-- Room on each page for the rows' next versions, so that their usual
-- updates are HOT (heap-only: the new version stays on the page and no
-- index gets a new entry):
--
-- * messages: every outgoing message is updated by its statuses (sent,
--   delivered, read), none of which is indexed. A full page (fillfactor 100)
--   made each of them a new row elsewhere plus an entry in each of the
--   table's six indexes, and the WAL of a full-page image for each page
--   touched first after a checkpoint. A row is ~450 bytes on average (~600
--   at p90); 15% of a page (~1.2 KB) holds two new versions, and pruning
--   frees the dead ones when the page fills.
-- * persons: every inbound message moves its person's last_message_at,
--   which no index covers. The table is small (a row per customer).
--
-- chats are not here: their update moves last_message_at, which the chats
-- list's indexes are ordered by, so it can never be HOT. Only pages written
-- from now on (new rows, and rows moved by an update) leave the room;
-- existing pages fill up as before until they are rewritten.

-- +goose Up
ALTER TABLE messages SET (fillfactor = 85);
ALTER TABLE persons SET (fillfactor = 70);

-- +goose Down
ALTER TABLE messages RESET (fillfactor);
ALTER TABLE persons RESET (fillfactor);
