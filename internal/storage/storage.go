package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/wamux/wamux/db/migrations"
	"github.com/wamux/wamux/gen/db"
)

// Open connects a pgx pool to databaseURL and checks that the server answers.
func Open(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	// The list queries are catch-all statements ("$4 IS NULL OR chat_wa_id =
	// $4 ..."). After five executions PostgreSQL may switch a prepared
	// statement to a generic plan that cannot use the indexes of the optional
	// filters, turning a 0.1 ms message page into seconds (measured:
	// docs/performance.md). Custom plans cost a little planning per query
	// and keep every filter indexable.
	return open(ctx, databaseURL, "force_custom_plan", 0)
}

// OpenGeneric connects a pool of at most conns connections that plan each
// statement once, generically (plan_cache_mode force_generic_plan), instead
// of planning every execution again, as the main pool's custom plans do. It
// is for workers whose statements have one good plan whatever their
// parameters (arrays in, no optional filters): the inbound writers and the
// rule engine, each with a pool of its own. (With plan_cache_mode auto,
// PostgreSQL still chose custom plans for half of the chats' updates and
// most of the rule engine's reads under load.)
func OpenGeneric(ctx context.Context, databaseURL string, conns int) (*pgxpool.Pool, error) {
	return open(ctx, databaseURL, "force_generic_plan", int32(max(conns, 1)))
}

// open connects a pool whose connections use planCacheMode unless
// DATABASE_URL sets plan_cache_mode itself; maxConns 0 keeps pgx's default.
func open(ctx context.Context, databaseURL, planCacheMode string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.AfterConnect = trustStoredJSON
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	if _, set := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !set {
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = planCacheMode
	}
	// JIT compilation pays off for long analytical queries; wamux runs short
	// ones, and JIT added 37-60 ms to a chats-list search whose plan looked
	// expensive. Off unless DATABASE_URL says otherwise.
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return pool, nil
}

// Migrate applies every pending migration. Goose takes a PostgreSQL advisory
// lock, so replicas that start together migrate once.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	sqldb := stdlib.OpenDBFromPool(pool)
	defer sqldb.Close()
	return MigrateDB(ctx, sqldb, logger)
}

// MigrateDB is Migrate over a database/sql handle (tests use it to build a
// template database).
func MigrateDB(ctx context.Context, sqldb *sql.DB, logger *slog.Logger) error {
	provider, err := newProvider(sqldb)
	if err != nil {
		return err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		logger.InfoContext(ctx, "migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

func newProvider(sqldb *sql.DB) (*goose.Provider, error) {
	locker, err := newLocker()
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, migrations.FS, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

// WithTx runs fn in a transaction and commits when fn returns nil. The
// deferred rollback is a no-op after a commit and deliberately ignores the
// caller's cancellation, so an aborted request never leaves a transaction
// open on the connection.
func WithTx(ctx context.Context, pool *pgxpool.Pool, fn func(q *db.Queries) error) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rbErr := tx.Rollback(rbCtx); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			slog.Default().WarnContext(ctx, "rollback failed", "error", rbErr)
		}
	}()
	if err := fn(db.New(tx)); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
