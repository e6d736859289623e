package inbox_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/waba"
)

// chats.incoming_count is what the chats list reads as new_messages for a
// viewer without a received mark: it must stay the number of the chat's
// incoming messages through first messages, batches, replays, messages
// that arrive out of order, outgoing messages and pruning.
func TestIncomingCountFollowsTheChatsMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	svc := inbox.New(inbox.Config{Pool: pool, Logger: slog.New(slog.DiscardHandler)})
	base := time.Now().Add(-time.Hour).Unix()
	agree := func(step string) {
		t.Helper()
		var wrong []string
		rows, err := pool.Query(ctx, `
			SELECT c.wa_id FROM chats c
			WHERE c.incoming_count <> (SELECT count(*) FROM messages m WHERE m.chat_wa_id = c.wa_id AND NOT m.from_us)`)
		require.NoError(t, err)
		for rows.Next() {
			var w string
			require.NoError(t, rows.Scan(&w))
			wrong = append(wrong, w)
		}
		require.NoError(t, rows.Err())
		require.Empty(t, wrong, "%s: chats whose incoming_count is not their incoming messages' count", step)
	}

	// A first message, then a batch with several per chat and a new chat.
	require.NoError(t, svc.Ingest(ctx, &waba.Notification{Messages: []waba.Message{textMessage("w1", "200", base+10)}}))
	agree("first message")
	require.NoError(t, svc.Ingest(ctx, &waba.Notification{Messages: []waba.Message{
		textMessage("w2", "200", base+20), textMessage("w3", "200", base+30), textMessage("w4", "201", base+5),
	}}))
	agree("batch")
	// A replay, alone and mixed with a new message, and a message older than
	// the chat's newest (it does not move the chat's head, but counts).
	require.NoError(t, svc.Ingest(ctx, &waba.Notification{Messages: []waba.Message{textMessage("w2", "200", base+20)}}))
	require.NoError(t, svc.Ingest(ctx, &waba.Notification{Messages: []waba.Message{
		textMessage("w3", "200", base+30), textMessage("w0", "200", base+1), textMessage("w3", "200", base+30),
	}}))
	agree("replays and an older message")
	var count int64
	var last string
	require.NoError(t, pool.QueryRow(ctx, `SELECT c.incoming_count, m.wamid FROM chats c JOIN messages m ON m.id = c.last_message_id WHERE c.wa_id = '200'`).Scan(&count, &last))
	require.Equal(t, int64(4), count)
	require.Equal(t, "w3", last, "an older message does not become the chat's last")

	// Outgoing messages do not count.
	_, err := pool.Exec(ctx, `INSERT INTO messages (wamid, chat_wa_id, from_us, type, waba_payload, ts) VALUES ('out1', '200', true, 'text', '{}', to_timestamp($1))`, base+40)
	require.NoError(t, err)
	agree("an outgoing message")

	// Pruning takes the oldest messages, incoming ones among them.
	n, err := svc.Prune(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, int64(4), n)
	agree("pruning")
}
