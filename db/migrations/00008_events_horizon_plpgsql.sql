-- events_horizon() (00003) again, in PL/pgSQL instead of SQL, with the same
-- query and result. A non-inlinable SQL function parses and plans its body
-- at every call; PL/pgSQL prepares it once per connection and keeps the
-- plan (it has no parameters, so no custom plans either). Every reader of
-- the log calls it once per read, and a custom plan of a query calling it
-- calls it once more while planning: under inbound load the rule engine's
-- reads spent 2.5 ms planning each (pg_stat_statements with track_planning,
-- docs/performance.md).

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION events_horizon() RETURNS xid8
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    horizon xid8;
BEGIN
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
    INTO horizon;
    RETURN horizon;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION events_horizon() RETURNS xid8
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
