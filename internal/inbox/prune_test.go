package inbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/waba"
)

func TestPruneKeepsTheCapAndEveryChatsNewest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	svc := inbox.New(inbox.Config{Pool: pool, Logger: slog.New(slog.DiscardHandler)})
	base := time.Now().Add(-time.Hour).Unix()
	// Three chats; chat 0 gets 8 messages, the others one each (the newest of
	// their chats, but the oldest overall).
	var msgs []waba.Message
	for i := range 8 {
		msgs = append(msgs, waba.Message{ID: fmt.Sprint("w0-", i), From: "100", Timestamp: base + 100 + int64(i), Type: "text", Raw: []byte(`{}`)})
	}
	msgs = append(msgs,
		waba.Message{ID: "w1", From: "101", Timestamp: base, Type: "text", Raw: []byte(`{}`)},
		waba.Message{ID: "w2", From: "102", Timestamp: base + 1, Type: "text", Raw: []byte(`{}`)})
	require.NoError(t, svc.Ingest(ctx, &waba.Notification{Messages: msgs}))

	n, err := svc.Prune(ctx, 5)
	require.NoError(t, err)
	require.Equal(t, int64(5), n)
	var left []string
	rows, err := pool.Query(ctx, "SELECT wamid FROM messages ORDER BY ts")
	require.NoError(t, err)
	for rows.Next() {
		var w string
		require.NoError(t, rows.Scan(&w))
		left = append(left, w)
	}
	require.Equal(t, []string{"w1", "w2", "w0-5", "w0-6", "w0-7"}, left, "the oldest go first, but never a chat's newest")

	// Below the cap nothing happens; a cap of only newest messages stops.
	n, err = svc.Prune(ctx, 10)
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = svc.Prune(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, int64(2), n, "w0-5 and w0-6 go; the three newest stay")
}
