package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/storage"
)

func pipelinedSetup(t *testing.T) (context.Context, *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	_, err := pool.Exec(ctx, "CREATE TABLE pipelined (id int PRIMARY KEY)")
	require.NoError(t, err)
	return ctx, pool
}

func count(t *testing.T, ctx context.Context, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM pipelined").Scan(&n))
	return n
}

// The statements of a PipelinedTx share one transaction: BEGIN went out
// with the first of them, whichever method ran it.
func TestPipelinedTxIsOneTransaction(t *testing.T) {
	t.Parallel()
	ctx, pool := pipelinedSetup(t)
	for name, first := range map[string]func(tx *storage.PipelinedTx) (string, error){
		"query": func(tx *storage.PipelinedTx) (string, error) {
			rows, err := tx.Query(ctx, "INSERT INTO pipelined VALUES (1) RETURNING pg_current_xact_id()::text")
			if err != nil {
				return "", err
			}
			xids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil || len(xids) != 1 {
				return "", errors.Join(err, errors.New("want one row"))
			}
			return xids[0], nil
		},
		"query row": func(tx *storage.PipelinedTx) (string, error) {
			var xid string
			err := tx.QueryRow(ctx, "INSERT INTO pipelined VALUES (1) RETURNING pg_current_xact_id()::text").Scan(&xid)
			return xid, err
		},
		"exec": func(tx *storage.PipelinedTx) (string, error) {
			if _, err := tx.Exec(ctx, "INSERT INTO pipelined VALUES ($1)", 1); err != nil {
				return "", err
			}
			var xid string
			err := tx.QueryRow(ctx, "SELECT pg_current_xact_id_if_assigned()::text").Scan(&xid)
			return xid, err
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pool.Exec(ctx, "TRUNCATE pipelined")
			require.NoError(t, err)
			tx, err := storage.BeginPipelined(ctx, pool)
			require.NoError(t, err)
			xid, err := first(tx)
			require.NoError(t, err)
			require.NotEmpty(t, xid)

			var again string
			require.NoError(t, tx.QueryRow(ctx, "SELECT pg_current_xact_id()::text").Scan(&again))
			require.Equal(t, xid, again, "the second statement runs in the first one's transaction")
			_, err = tx.Exec(ctx, "INSERT INTO pipelined VALUES (2)")
			require.NoError(t, err)
			require.Equal(t, 0, count(t, ctx, pool), "nothing is visible before the commit")

			require.NoError(t, tx.Commit(ctx))
			require.Equal(t, 2, count(t, ctx, pool))
			_, err = tx.Exec(ctx, "SELECT 1")
			require.ErrorIs(t, err, storage.ErrTxDone)
			require.ErrorIs(t, tx.Commit(ctx), storage.ErrTxDone)
			require.NoError(t, tx.Rollback(ctx), "a rollback after the commit does nothing")
		})
	}
}

func TestPipelinedTxRollback(t *testing.T) {
	t.Parallel()
	ctx, pool := pipelinedSetup(t)
	tx, err := storage.BeginPipelined(ctx, pool)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, "INSERT INTO pipelined VALUES (1)")
	require.NoError(t, err)
	require.NoError(t, tx.Rollback(ctx))
	require.Equal(t, 0, count(t, ctx, pool))
	require.Zero(t, pool.Stat().AcquiredConns(), "the connection went back to the pool")
}

// A failing first statement aborts the transaction: its error is the
// statement's, COMMIT then rolls back and says so, and the connection is
// usable again.
func TestPipelinedTxFailedFirstStatement(t *testing.T) {
	t.Parallel()
	ctx, pool := pipelinedSetup(t)
	_, err := pool.Exec(ctx, "INSERT INTO pipelined VALUES (1)")
	require.NoError(t, err)

	tx, err := storage.BeginPipelined(ctx, pool)
	require.NoError(t, err)
	rows, err := tx.Query(ctx, "INSERT INTO pipelined VALUES (1) RETURNING id")
	if err == nil {
		_, err = pgx.CollectRows(rows, pgx.RowTo[int32])
	}
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	require.True(t, ok, "want the statement's error, got %v", err)
	require.Equal(t, "23505", pgErr.Code)

	_, err = tx.Exec(ctx, "INSERT INTO pipelined VALUES (2)")
	require.Error(t, err, "the transaction is aborted")
	require.ErrorIs(t, tx.Commit(ctx), pgx.ErrTxCommitRollback)
	require.Equal(t, 1, count(t, ctx, pool))

	for range 2 * int(pool.Config().MaxConns) {
		tx, err := storage.BeginPipelined(ctx, pool)
		require.NoError(t, err)
		var one int
		require.NoError(t, tx.QueryRow(ctx, "SELECT 1").Scan(&one))
		require.NoError(t, tx.Commit(ctx))
	}
}

func TestPipelinedTxNoRowsAndEmpty(t *testing.T) {
	t.Parallel()
	ctx, pool := pipelinedSetup(t)

	tx, err := storage.BeginPipelined(ctx, pool)
	require.NoError(t, err)
	var id int
	require.ErrorIs(t, tx.QueryRow(ctx, "SELECT id FROM pipelined").Scan(&id), pgx.ErrNoRows)
	_, err = tx.Exec(ctx, "INSERT INTO pipelined VALUES (3)")
	require.NoError(t, err, "no rows is not an error of the transaction")
	require.NoError(t, tx.Commit(ctx))
	require.Equal(t, 1, count(t, ctx, pool))

	// A transaction without statements has nothing to commit; it only
	// gives its connection back.
	tx, err = storage.BeginPipelined(ctx, pool)
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	require.Zero(t, pool.Stat().AcquiredConns())
}
