// Package dbtest gives each test its own PostgreSQL database, cloned from a
// template that has every migration applied (github.com/peterldowns/pgtestdb).
// It finds or starts PostgreSQL the way `make run` does (internal/devdb), so
// tests need no setup either.
package dbtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/url"
	"sort"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"

	"github.com/wamux/wamux/db/migrations"
	"github.com/wamux/wamux/internal/devdb"
	"github.com/wamux/wamux/internal/storage"
)

var (
	serverOnce sync.Once
	serverURL  string
	serverErr  error
)

func server(t testing.TB) pgtestdb.Config {
	t.Helper()
	serverOnce.Do(func() {
		serverURL, serverErr = devdb.Ensure(context.Background(), slog.New(slog.DiscardHandler))
	})
	if serverErr != nil {
		t.Fatalf("no PostgreSQL for tests: %v", serverErr)
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatalf("parse %s: %v", serverURL, err)
	}
	pw, _ := u.User.Password()
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       u.Port(),
		User:       u.User.Username(),
		Password:   pw,
		Database:   "postgres",
		Options:    "sslmode=disable",
		// Tests may leave listeners or pool connections behind at cleanup.
		ForceTerminateConnections: true,
	}
}

// migrator builds the template database with wamux's own migrations.
type migrator struct{}

// Hash identifies the template by the content of every migration, so a
// changed migration gets a fresh template.
func (migrator) Hash() (string, error) {
	h := sha256.New()
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func (migrator) Migrate(ctx context.Context, db *sql.DB, _ pgtestdb.Config) error {
	return storage.MigrateDB(ctx, db, slog.New(slog.DiscardHandler))
}

// URL returns the URL of a new, migrated database that is dropped when the
// test ends (kept when it fails, for inspection).
func URL(t testing.TB) string {
	t.Helper()
	conf := pgtestdb.Custom(t, server(t), migrator{})
	return conf.URL()
}

// Pool returns a pgx pool on a new, migrated database for this test,
// configured as serve configures its main pool (storage.Open).
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := storage.Open(context.Background(), URL(t))
	if err != nil {
		t.Fatalf("connect to test database: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}
