package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Listener LISTENs on PostgreSQL channels on a connection of its own,
// outside any pool: held for as long as its reader runs, a pooled one would
// be one connection fewer for everything else. It reconnects after a
// second when the connection is lost. The event log's readers (webhook
// deliverers, rule engine, websocket feed) each run one.
type Listener struct {
	// Config is the connection's configuration (copied; never changed).
	Config *pgx.ConnConfig
	// Name is the connection's application_name, which tells the readers
	// apart in pg_stat_activity.
	Name     string
	Channels []string
	Logger   *slog.Logger
	// Connected runs after every connection, the first included, once
	// the channels are listened to: anything may have happened while no
	// one listened.
	Connected func()
	// Notified runs for every notification, in order.
	Notified func(*pgconn.Notification)
	// Lost, when set, runs when the connection ends.
	Lost func()
}

// Run listens until ctx ends.
func (l Listener) Run(ctx context.Context) {
	for {
		err := l.once(ctx)
		if l.Lost != nil {
			l.Lost()
		}
		if ctx.Err() != nil {
			return
		}
		l.Logger.WarnContext(ctx, "database notifications lost; reconnecting", "listener", l.Name, "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (l Listener) once(ctx context.Context) error {
	cc := l.Config.Copy()
	cc.RuntimeParams["application_name"] = l.Name
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	for _, ch := range l.Channels {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return fmt.Errorf("listen %s: %w", ch, err)
		}
	}
	if l.Connected != nil {
		l.Connected()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if l.Notified != nil {
			l.Notified(n)
		}
	}
}

// ReplicaName names this process where replicas meet in the database (the
// leases of webhooks and of the rule engine, the application_name of its
// listeners): host, pid and a random suffix, so that a restarted process is
// a new replica.
func ReplicaName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}
