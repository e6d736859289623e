package fanout

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/dbtest"
)

func TestMarkerWritesForwardOnlyAndKeepsWhatFailed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	e, err := New(Config{Pool: pool, Logger: slog.New(slog.DiscardHandler), MarkInterval: time.Hour})
	require.NoError(t, err)
	t.Cleanup(e.pool.Close)
	m := e.marker

	var alice, bob int64
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO users (username, is_active) VALUES ('alice', true) RETURNING id`).Scan(&alice))
	require.NoError(t, pool.QueryRow(ctx, `INSERT INTO users (username, is_active) VALUES ('bob', true) RETURNING id`).Scan(&bob))
	_, err = pool.Exec(ctx, `INSERT INTO persons (wa_id) VALUES ('111'), ('222'); INSERT INTO chats (wa_id) VALUES ('111'), ('222')`)
	require.NoError(t, err)
	mark := func(user int64, chat string) time.Time {
		var ts time.Time
		err := pool.QueryRow(ctx, `SELECT received_until FROM received_marks WHERE user_id = $1 AND chat_wa_id = $2`, user, chat).Scan(&ts)
		if err != nil {
			return time.Time{}
		}
		return ts
	}
	t0 := time.Unix(1_700_000_000, 0)
	all := time.Now().Add(time.Hour) // a cutoff after every mark's wait

	// Marks of one chat merge to the latest; they are visible before they
	// are written.
	m.add(alice, map[string]time.Time{"111": t0, "222": t0})
	m.add(alice, map[string]time.Time{"111": t0.Add(5 * time.Second)})
	m.add(alice, map[string]time.Time{"111": t0.Add(2 * time.Second)})
	m.add(bob, map[string]time.Time{"222": t0, "gone": t0})
	got, ok := m.unwritten(alice, "111")
	require.True(t, ok)
	require.True(t, got.Equal(t0.Add(5*time.Second)))
	require.Zero(t, mark(alice, "111"))

	// A mark waits its interval before it is written.
	m.flush(ctx, time.Now().Add(-time.Minute))
	require.Zero(t, mark(alice, "111"), "not yet: it became pending just now")
	m.flush(ctx, all)
	require.True(t, mark(alice, "111").Equal(t0.Add(5*time.Second)))
	require.True(t, mark(alice, "222").Equal(t0))
	require.True(t, mark(bob, "222").Equal(t0))
	_, ok = m.unwritten(alice, "111")
	require.False(t, ok, "written marks are no longer pending")
	var rows int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM received_marks`).Scan(&rows))
	require.Equal(t, 3, rows, "a mark of a chat that does not exist is skipped, not an error")

	// Marks only move forward: an older one changes nothing.
	m.add(alice, map[string]time.Time{"111": t0})
	m.flush(ctx, all)
	require.True(t, mark(alice, "111").Equal(t0.Add(5*time.Second)))

	// A flush the database refuses keeps its marks for the next one (here:
	// a fraction of a second, which received_marks' CHECK refuses), and
	// gives up after maxMarkFailures.
	bad := t0.Add(10*time.Second + time.Millisecond)
	m.add(bob, map[string]time.Time{"111": bad})
	for range maxMarkFailures - 1 {
		m.flush(ctx, all)
		_, ok = m.unwritten(bob, "111")
		require.True(t, ok, "a failed flush keeps its marks")
	}
	m.flush(ctx, all)
	_, ok = m.unwritten(bob, "111")
	require.False(t, ok, "dropped after repeated failures")
	require.Zero(t, mark(bob, "111"))
}
