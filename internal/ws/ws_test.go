package ws_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/ws"
)

func TestWebsocketTokenSuccessAndFailure(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	sv := s.server()

	c := sv.dial()
	c.sendText(`{"token": "` + s.adminToken + `"}`)
	f := c.next()
	require.Equal(t, "token", f.typ())
	require.Equal(t, "success", f.status())
	require.Equal(t, "Authenticated as admin.", f.m["message"])
	require.Eventually(t, func() bool { return sv.metric("wamux_ws_clients") == "1" }, 5*time.Second, 20*time.Millisecond)

	bad := sv.dial()
	bad.sendText(`{"token": "0123456789abcdef0123456789abcdef01234567"}`)
	f = bad.next()
	require.Equal(t, "token", f.typ())
	require.Equal(t, "failed", f.status())
	require.Equal(t, "Invalid token.", f.m["message"])
	require.Equal(t, websocket.StatusPolicyViolation, bad.closed(), "a failed token closes the connection")
}

func TestWebsocketMalformedMessagesThenAGoodOne(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	sv := s.server()

	c := sv.dial()
	for _, msg := range []string{`hello`, `["token"]`, `{"tok": "x"}`, `{"token": 42}`, `{"token": ""}`, `null`} {
		c.sendText(msg)
		f := c.next()
		require.Equal(t, "response", f.typ(), "after %s: %s", msg, f.raw)
		require.Equal(t, "bad_request", f.status())
		require.NotEmpty(t, f.m["message"])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, c.conn.Write(ctx, websocket.MessageBinary, []byte(`{"token": "`+s.adminToken+`"}`)))
	f := c.next()
	require.Equal(t, "response", f.typ(), "a binary message is malformed: %s", f.raw)
	c.auth(s.adminToken)

	// Another message after success is answered, and changes nothing.
	c.sendText(`{"token": "` + s.adminToken + `"}`)
	require.Equal(t, "response", c.next().typ())
	sv.inbound(inboundText("wamid.M1", "15550000001", "Ann", "hi", time.Now()))
	c.until(hasMessage("wamid.M1"))
}

func TestWebsocketAuthenticationTimesOut(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	sv := s.server(func(c *ws.Config) { c.AuthTimeout = 300 * time.Millisecond })
	c := sv.dial()
	require.Equal(t, websocket.StatusPolicyViolation, c.closed())
	require.Contains(t, c.err.Error(), "authentication timed out")
}

// TestWebsocketDeliversMessagesAndStatuses: the frames carry exactly the
// WABA Webhook payload (validated against WsWabaWebhook, and so
// WebhookPayload), and delivering them marks nothing received.
func TestWebsocketDeliversMessagesAndStatuses(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	sv := s.server()
	c := sv.dial()
	c.auth(s.adminToken)

	now := time.Now().Add(-time.Minute).Truncate(time.Second)
	sv.inbound(inboundText("wamid.D1", "15550000001", "Ann Lee", "Hello!", now))
	f := c.until(hasMessage("wamid.D1"))[0]
	p := f.payload()
	require.Equal(t, "15550000001", p["contacts"].([]any)[0].(map[string]any)["wa_id"])
	require.Equal(t, "Hello!", p["messages"].([]any)[0].(map[string]any)["text"].(map[string]any)["body"])
	in := p["incoming_messages"].([]any)[0].(map[string]any)
	require.Equal(t, false, in["received"], "nothing marked it received")
	require.Equal(t, "15550000001", in["customer_wa_id"])
	require.NotContains(t, p, "assigned_messages", "the chat is not assigned to the admin")

	sv.inbound(statusNote("wamid.D1", "15550000001", "read", now.Add(time.Second)))
	f = c.until(func(f frame) bool { return len(f.ids("statuses")) > 0 })[0]
	require.Equal(t, []string{"wamid.D1"}, f.ids("statuses"))
	require.Equal(t, "read", f.payload()["statuses"].([]any)[0].(map[string]any)["status"])

	// Websocket deliveries write no received marks (webhook marks wait a
	// second: give them more than that).
	time.Sleep(1500 * time.Millisecond)
	var marks int
	require.NoError(t, s.pool.QueryRow(context.Background(), `SELECT count(*) FROM received_marks`).Scan(&marks))
	require.Zero(t, marks)
	status, body := sv.post("GET", "/api/v1/chats/", s.adminToken, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(body), `"new_messages":1`)
}

// TestWebsocketSeesOnlyWhatTheUserMayRead: a regular user reads the chats
// assigned to it; permissions, assignments and the token are looked at
// again for every event.
func TestWebsocketSeesOnlyWhatTheUserMayRead(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	sv := s.server()
	agentID, agentToken := s.createUser("agent", "user")
	admin, agent := sv.dial(), sv.dial()
	admin.auth(s.adminToken)
	agent.auth(agentToken)

	now := time.Now().Add(-time.Minute).Truncate(time.Second)
	sv.inbound(inboundText("wamid.X1", "15550000001", "Xavier", "x1", now))
	sv.inbound(inboundText("wamid.Y1", "15550000002", "Yolanda", "y1", now))
	admin.until(hasMessage("wamid.Y1"))

	// Assigned to the agent: it hears of it, with the chat's messages.
	status, body := sv.post("PATCH", "/api/v1/chats/15550000002/", s.adminToken, map[string]any{"assigned_to_user": agentID})
	require.Equal(t, http.StatusOK, status, "%s", body)
	f := agent.next()
	require.Contains(t, f.payload(), "chat_assignment", "%s", f.raw)
	assigned := f.payload()["assigned_messages"].([]any)
	require.Len(t, assigned, 1)
	require.Equal(t, "wamid.Y1", assigned[0].(map[string]any)["id"])

	sv.inbound(inboundText("wamid.X2", "15550000001", "Xavier", "x2", now.Add(time.Second)))
	sv.inbound(inboundText("wamid.Y2", "15550000002", "Yolanda", "y2", now.Add(time.Second)))
	admin.until(hasMessage("wamid.Y2"))
	frames := agent.until(hasMessage("wamid.Y2"))
	require.Contains(t, frames[len(frames)-1].payload(), "assigned_messages", "the chat is the agent's")
	agent.quiet(300 * time.Millisecond)
	for _, f := range frames {
		require.NotContains(t, string(f.raw), "15550000001", "the agent may not read that chat: %s", f.raw)
	}

	// A wider permission applies to the next event.
	s.exec(`UPDATE users SET can_read_chats = 'all' WHERE id = $1`, agentID)
	sv.inbound(inboundText("wamid.X3", "15550000001", "Xavier", "x3", now.Add(2*time.Second)))
	agent.until(hasMessage("wamid.X3"))

	// Deactivating the user revokes its tokens: the next event closes the
	// connection instead of reaching it.
	status, body = sv.post("DELETE", fmt.Sprintf("/api/v1/users/%d/", agentID), s.adminToken, nil)
	require.Equal(t, http.StatusNoContent, status, "%s", body)
	sv.inbound(inboundText("wamid.X4", "15550000001", "Xavier", "x4", now.Add(3*time.Second)))
	admin.until(hasMessage("wamid.X4"))
	require.Equal(t, websocket.StatusPolicyViolation, agent.closed())
	for len(agent.frames) > 0 {
		require.False(t, hasMessage("wamid.X4")(<-agent.frames), "a revoked token gets nothing more")
	}
}

// TestWebsocketRevokedTokenIsNoticedWithoutEvents: with no events, the
// tokens are checked every RecheckInterval.
func TestWebsocketRevokedTokenIsNoticedWithoutEvents(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	sv := s.server(func(c *ws.Config) { c.RecheckInterval = 200 * time.Millisecond })
	_, tok := s.createUser("bot", "app")
	c := sv.dial()
	c.auth(tok)
	s.exec(`UPDATE auth_tokens SET revoked_at = now()`)
	require.Equal(t, websocket.StatusPolicyViolation, c.closed())
	require.Contains(t, c.err.Error(), "token revoked")
}

// TestWebsocketTwoHubsDeliverEveryEvent: two servers (replicas) on one
// database, written to by both at once: each hub's clients get every
// event, once.
func TestWebsocketTwoHubsDeliverEveryEvent(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	a, b := s.server(), s.server()
	ca, cb := a.dial(), b.dial()
	ca.auth(s.adminToken)
	cb.auth(s.adminToken)

	const perWriter = 25
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	var wg sync.WaitGroup
	for w, sv := range []*server{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				wa := fmt.Sprintf("1555000%02d%02d", w, i%7)
				sv.inbound(inboundText(fmt.Sprintf("wamid.T%d-%d", w, i), wa, "T", "t", now.Add(time.Duration(i)*time.Second)))
			}
		}()
	}
	wg.Wait()
	for _, c := range []*client{ca, cb} {
		seen := map[string]int{}
		for len(seen) < 2*perWriter {
			for _, id := range c.next().ids("messages") {
				seen[id]++
			}
		}
		c.quiet(300 * time.Millisecond)
		for id, n := range seen {
			require.Equal(t, 1, n, "%s delivered %d times", id, n)
		}
	}
}

// TestWebsocketSlowClientIsDisconnected: a client that never reads is
// disconnected once its queue overflows; a fast one gets everything.
func TestWebsocketSlowClientIsDisconnected(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	// A queue of 16 frames of 320 KB: the slow client's kernel buffers and
	// queue hold about 32 of the 80 frames, so it must overflow, while the
	// fast client would have to fall 5 MB behind, which a test run beside
	// other packages' tests once did with a queue of 4.
	sv := s.server(func(c *ws.Config) { c.QueueSize, c.BatchSize, c.PingInterval = 16, 10, time.Hour })
	fast := sv.dial()
	fast.auth(s.adminToken)
	// The slow client authenticates, then never reads its socket: its
	// kernel buffers fill, then its queue.
	slow := sv.dialRaw()
	slow.sendText(`{"token": "` + s.adminToken + `"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, answer, err := slow.conn.Read(ctx)
	require.NoError(t, err)
	require.Contains(t, string(answer), `"success"`)
	require.Eventually(t, func() bool { return sv.metric("wamux_ws_clients") == "2" }, 5*time.Second, 20*time.Millisecond)

	// 800 statuses of 32 KB each (26 MB) in 80 frames.
	const n = 800
	s.exec(`INSERT INTO events (kind, chat_wa_id, payload)
	        SELECT 'status', NULL, jsonb_build_object('status', jsonb_build_object(
	            'id', 'wamid.S' || g, 'status', 'delivered', 'timestamp', '1700000000',
	            'recipient_id', '15550009999', 'padding', repeat('x', 32000)))
	        FROM generate_series(1, $1::int) AS g`, n)
	got := 0
	for got < n {
		got += len(fast.next().ids("statuses"))
	}
	require.Equal(t, n, got)
	require.Eventually(t, func() bool { return sv.metric("wamux_ws_slow_clients_dropped_total") == "1" }, 15*time.Second, 50*time.Millisecond)
	require.Eventually(t, func() bool { return sv.metric("wamux_ws_clients") == "1" }, 15*time.Second, 50*time.Millisecond)

	// The slow client, reading at last, finds its connection ended: with
	// 1013 when the close frame got through behind what it had not read.
	slow.start()
	if code := slow.closed(); code != -1 {
		require.Equal(t, websocket.StatusTryAgainLater, code, "%v", slow.err)
	}

	// The fast one keeps receiving.
	sv.inbound(inboundText("wamid.F1", "15550000001", "Fay", "still here", time.Now()))
	fast.until(hasMessage("wamid.F1"))
}

// TestWebsocketShutdownClosesWithGoingAway: stopping the hub (serve does it
// after the HTTP drain) closes every client with 1001.
func TestWebsocketShutdownClosesWithGoingAway(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	sv := s.server()
	c1, c2 := sv.dial(), sv.dial()
	c1.auth(s.adminToken) // authenticated
	// c2 is still authenticating
	stopped := make(chan struct{})
	go func() { sv.stop(); close(stopped) }()
	require.Equal(t, websocket.StatusGoingAway, c1.closed())
	require.Equal(t, websocket.StatusGoingAway, c2.closed())
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		require.FailNow(t, "the hub did not stop")
	}
	// A connection after the stop is turned away at once.
	late := sv.dial()
	require.Equal(t, websocket.StatusGoingAway, late.closed())
}

// TestWebsocketRequiresAnUpgrade: a plain GET is answered 400 with a
// detail (the same answer the spec documents).
func TestWebsocketRequiresAnUpgrade(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	sv := s.server()
	status, body := sv.post("GET", "/ws/", "", nil)
	require.Equal(t, http.StatusBadRequest, status)
	require.True(t, strings.HasPrefix(string(body), `{"detail":"This endpoint is a websocket`), "%s", body)
}
