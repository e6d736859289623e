-- The event log's read horizon as one function, so that every consumer of
-- the log (webhook deliverers, the rule engine, websocket hubs) reads the
-- same safe prefix. See the notes of 00001_init.sql on the ordering trap.
--
-- It is pg_snapshot_xmin (the oldest transaction still running) made exact
-- for this database: snapshots are cluster-wide, so a long transaction in
-- another database of the same server would otherwise hold every reader
-- back although it can never write to this events table. A running xid
-- counts unless a backend connected to another database is seen running it
-- (pg_stat_activity shows other roles' xids only to superusers and
-- pg_read_all_stats; unseen ones count, which is safe). xid8 and the 32-bit
-- backend_xid are compared modulo 2^32, exact among running transactions.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION events_horizon() RETURNS xid8
    LANGUAGE sql STABLE AS $$
    WITH snap AS MATERIALIZED (
        SELECT pg_current_snapshot() AS s
    ), elsewhere AS MATERIALIZED (
        SELECT a.backend_xid::text::bigint AS xid32
        FROM pg_catalog.pg_stat_activity a
        WHERE a.backend_xid IS NOT NULL AND a.datname <> current_database()
    )
    SELECT coalesce(
        (SELECT min(x.x) FROM snap, pg_snapshot_xip(snap.s) AS x(x)
          WHERE (x.x::text::numeric % 4294967296)::bigint NOT IN (SELECT xid32 FROM elsewhere)),
        (SELECT pg_snapshot_xmax(snap.s) FROM snap))
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION events_horizon();
