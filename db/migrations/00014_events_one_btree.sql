-- The event log keeps one B-tree, on the order it is read in.
--
-- Every inbound message and status appends an event, on the single
-- inbound writer's path, and each event paid for three B-tree entries:
-- events_pkey (id), events_xid_id_idx (xid, id) and events_created_at_idx.
-- Every reader of the log reads it by (xid, id); nothing looks an event up
-- by id alone. Now:
--
-- * the primary key is (xid, id), the log's order, and replaces both
--   events_pkey and events_xid_id_idx (id alone stays unique: it is an
--   identity column that nothing sets);
-- * created_at is summarized by a BRIN index: the log is append-only, so
--   its pages are in created_at order, and a BRIN entry costs nothing per
--   row (the last range is summarized later, by VACUUM). It serves
--   "events written since" (a webhook's replay) and a retention job's
--   range delete as well as the B-tree did; EventOldest reads the first
--   event of the log by the primary key instead.
--
-- Interleaved `wamux bench` runs, three pairs on the same machine (with
-- the two indexes dropped against the code before): inbound messages
-- 4,381 / 4,469 / 4,640 against 4,142 / 4,361 / 3,924 req/s, statuses
-- 5,830 / 6,067 / 5,573 against 4,527 / 5,403 / 4,487 (docs/performance.md).

-- +goose Up
ALTER TABLE events DROP CONSTRAINT events_pkey;
DROP INDEX events_xid_id_idx;
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (xid, id);
DROP INDEX events_created_at_idx;
CREATE INDEX events_created_at_brin ON events USING brin (created_at);

-- +goose Down
DROP INDEX events_created_at_brin;
CREATE INDEX events_created_at_idx ON events (created_at);
ALTER TABLE events DROP CONSTRAINT events_pkey;
CREATE INDEX events_xid_id_idx ON events (xid, id);
ALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY (id);
