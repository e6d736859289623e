package ws_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/waba"
)

// BenchmarkHubFanout measures one incoming message from its commit to 100
// connected clients, each of its own user (so every client's payload is
// built for it: its permission, its received marks), through the real
// stack: the event log, the LISTEN wake-up, the hub's read of the page,
// the payloads, the writes and the clients' reads. An op ends when the
// last client has the message; allocations count the whole process, the
// clients' reads included.
func BenchmarkHubFanout(b *testing.B) {
	const clients = 100
	s := newStack(b)
	sv := s.server()
	ctx := context.Background()

	got := make(chan struct{}, clients)
	for i := range clients {
		// Users and tokens straight in SQL: 100 password hashes would
		// dominate the setup.
		tok := auth.NewToken()
		s.exec(`WITH u AS (INSERT INTO users (username, role, is_active, can_read_chats) VALUES ($1, 'app', true, 'all') RETURNING id)
		        INSERT INTO auth_tokens (user_id, token_hash) SELECT id, $2 FROM u`, fmt.Sprintf("bench%03d", i), auth.HashSecret(tok))
		c := sv.dialRaw()
		c.sendText(`{"token": "` + tok + `"}`)
		_, answer, err := c.conn.Read(ctx)
		require.NoError(b, err)
		require.Contains(b, string(answer), `"success"`)
		go func() {
			for {
				typ, data, err := c.conn.Read(ctx)
				if err != nil {
					return
				}
				if typ == websocket.MessageText && bytes.Contains(data, []byte(`"incoming_messages"`)) {
					got <- struct{}{}
				}
			}
		}()
	}
	require.Eventually(b, func() bool { return sv.metric("wamux_ws_clients") == fmt.Sprint(clients) }, 10*time.Second, 20*time.Millisecond)

	ts := time.Now().Add(-time.Hour).Truncate(time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		n, err := waba.ParseNotification(inboundText(fmt.Sprintf("wamid.B%d", i), "15550001234", "Bench", strings.Repeat("b", 40), ts))
		require.NoError(b, err)
		require.NoError(b, s.inbox.Ingest(ctx, n))
		for range clients {
			select {
			case <-got:
			case <-time.After(10 * time.Second):
				require.FailNow(b, "a client did not get the message within 10s")
			}
		}
	}
}
