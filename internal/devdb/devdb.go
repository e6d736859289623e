package devdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// systemURL is where the machine's own PostgreSQL listens when it runs.
	systemURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

	// privatePort is the fixed port of the private cluster. It is fixed, not
	// picked at random, so that every process of the same user finds and reuses
	// the same cluster instead of starting one each.
	privatePort = 54329

	// probeTimeout bounds one connection attempt. A local server answers in
	// milliseconds; waiting longer only delays the next fallback.
	probeTimeout = 2 * time.Second

	// readyTimeout bounds how long a server that was just started may take to
	// accept connections (crash recovery of a large cluster can be slow).
	readyTimeout = 30 * time.Second
)

// Ensure returns a connection URL for a PostgreSQL server that answers, starting one if needed.
//
// It returns DATABASE_URL unchanged when that variable is set, without probing
// it, so that CI and developers can point tests anywhere. Otherwise it tries the
// system server on 127.0.0.1:5432, then starts a stopped Debian cluster listed by
// pg_lsclusters, then creates or reuses a private cluster on 127.0.0.1:54329.
// A nil logger discards the log lines.
func Ensure(ctx context.Context, logger *slog.Logger) (string, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	if u := os.Getenv("DATABASE_URL"); u != "" {
		logger.InfoContext(ctx, "devdb: using DATABASE_URL from the environment")
		return u, nil
	}

	err := probe(ctx, systemURL)
	if err == nil {
		logger.InfoContext(ctx, "devdb: system PostgreSQL answers", "url", systemURL)
		return systemURL, nil
	}
	logger.InfoContext(ctx, "devdb: system PostgreSQL does not answer", "url", systemURL, "error", err)

	u, err := startSystemCluster(ctx, logger)
	if err == nil && u != "" {
		return u, nil
	}
	// A cluster that refuses to start is worth a warning, but a private cluster
	// still gets the developer going, so fall through and report both if that
	// fails too.
	clusterErr := err
	if clusterErr != nil {
		logger.WarnContext(ctx, "devdb: could not start an existing cluster", "error", clusterErr)
	}

	u, err = ensurePrivate(ctx, logger)
	if err != nil {
		return "", errors.Join(clusterErr, err)
	}
	return u, nil
}

// WithDatabase returns baseURL with its path replaced by dbname, keeping the
// user, host, port and query parameters. It is how tests point a server URL at
// a database of their own.
func WithDatabase(baseURL, dbname string) (string, error) {
	if dbname == "" {
		return "", errors.New("devdb: empty database name")
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("devdb: parse database URL: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", fmt.Errorf("devdb: database URL scheme is %q, want postgres or postgresql", u.Scheme)
	}
	u.Path = "/" + dbname
	// RawPath is set so that a "/" in the name is escaped rather than read back
	// as a path separator.
	u.RawPath = "/" + url.PathEscape(dbname)
	return u.String(), nil
}

// probe connects to connURL and pings it once, within probeTimeout.
func probe(ctx context.Context, connURL string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()

	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if err := conn.Ping(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	return nil
}

// waitReady probes connURL until it answers or timeout passes. A server that
// answers with an error (a failed authentication, a missing database) will not
// get better by waiting, so that ends the wait at once.
func waitReady(ctx context.Context, connURL string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	ticker := time.NewTicker(250 * time.Millisecond)
	defer ticker.Stop()

	for {
		err := probe(ctx, connURL)
		if err == nil {
			return nil
		}
		if _, ok := errors.AsType[*pgconn.PgError](err); ok {
			return fmt.Errorf("server answered with an error: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %w", timeout, err)
		case <-ticker.C:
		}
	}
}
