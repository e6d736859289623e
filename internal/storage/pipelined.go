package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PipelinedTx is a transaction whose BEGIN travels with its first statement
// in one round trip, instead of taking a round trip of its own as
// pgx.Tx's does. It is for a path where round trips, not statements, set
// the pace: the inbound writers run one transaction after another, each
// waiting for its previous statement's answer, and under load every answer
// also waits for the writer's goroutine to be scheduled again (measured at
// 0.6-1 ms per BEGIN at the maximum inbound rate; docs/performance.md).
//
// It implements sqlc's DBTX, so db.New(tx) runs the generated queries in
// it. Like pgx.Tx it is for one goroutine. Commit or Rollback ends it and
// gives its connection back to the pool, which drops a connection left in
// an unknown state instead of reusing it.
type PipelinedTx struct {
	conn  *pgxpool.Conn
	begun bool
}

// BeginPipelined takes a connection of pool for a transaction that begins
// with its first statement.
func BeginPipelined(ctx context.Context, pool *pgxpool.Pool) (*PipelinedTx, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire a connection: %w", err)
	}
	return &PipelinedTx{conn: conn}, nil
}

// ErrTxDone is returned by a statement, a Commit or a Rollback after the
// transaction ended.
var ErrTxDone = errors.New("transaction already committed or rolled back")

// first sends BEGIN and the transaction's first statement together and
// returns their results with BEGIN's already read.
func (t *PipelinedTx) first(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	b.Queue("begin")
	b.Queue(sql, args...)
	br := t.conn.SendBatch(ctx, b)
	t.begun = true
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, fmt.Errorf("begin: %w", err)
	}
	return br, nil
}

// Exec runs a statement that returns no rows.
func (t *PipelinedTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.conn == nil {
		return pgconn.CommandTag{}, ErrTxDone
	}
	if t.begun {
		return t.conn.Exec(ctx, sql, args...)
	}
	br, err := t.first(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query runs a statement that returns rows.
func (t *PipelinedTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.conn == nil {
		return nil, ErrTxDone
	}
	if t.begun {
		return t.conn.Query(ctx, sql, args...)
	}
	br, err := t.first(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow runs a statement that returns at most one row.
func (t *PipelinedTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.conn == nil {
		return errRow{ErrTxDone}
	}
	if t.begun {
		return t.conn.QueryRow(ctx, sql, args...)
	}
	br, err := t.first(ctx, sql, args)
	if err != nil {
		return errRow{err}
	}
	return batchRow{row: br.QueryRow(), br: br}
}

// Commit commits the transaction (nothing to do if no statement ran) and
// releases its connection. A transaction that PostgreSQL aborted is rolled
// back by COMMIT; that is an error here, as with pgx.Tx.
func (t *PipelinedTx) Commit(ctx context.Context) error {
	if t.conn == nil {
		return ErrTxDone
	}
	defer t.release()
	if !t.begun {
		return nil
	}
	tag, err := t.conn.Exec(ctx, "commit")
	if err != nil {
		return err
	}
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback rolls the transaction back and releases its connection; after
// Commit it does nothing.
func (t *PipelinedTx) Rollback(ctx context.Context) error {
	if t.conn == nil {
		return nil
	}
	defer t.release()
	if !t.begun {
		return nil
	}
	_, err := t.conn.Exec(ctx, "rollback")
	return err
}

func (t *PipelinedTx) release() {
	t.conn.Release()
	t.conn = nil
}

// batchRows are the rows of a transaction's first statement: closing them
// also reads the rest of the round trip's answer.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *batchRows) Close() {
	r.Rows.Close()
	_ = r.br.Close() // an error here is the statement's, already in Err, or the connection's, which the next statement meets
}

// batchRow is the row of a transaction's first statement.
type batchRow struct {
	row pgx.Row
	br  pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if cerr := r.br.Close(); err == nil {
		err = cerr
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
