package e2e

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// injectChats injects perChat text messages into each of the chats,
// concurrently across chats and in order within each chat (the next only
// after wamux acknowledged the previous one, so the order is the order of
// arrival). Message k of chat c goes to nodes[(c+k) % len(nodes)].
func injectChats(t *testing.T, nodes []*node, s *sent, prefix string, chats, perChat int) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for c := range chats {
		wg.Go(func() {
			waID := chatWaID(prefix, c)
			for k := range perChat {
				n := nodes[(c+k)%len(nodes)]
				id, err := n.tryInject(textMessage(waID, "Customer "+itoa(c), fmt.Sprintf("%s chat %d message %d", prefix, c, k)))
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				s.add(waID, id)
			}
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}

// chatWaID is the customer of chat c in a test's series prefix.
func chatWaID(prefix string, c int) string { return fmt.Sprintf("1555%s%04d", prefix, c) }

// TestTwoProcessesDeliverEachEventOnce: two `wamux serve` replicas on one
// database share one user's webhook (issue #4). Inbound messages arrive at
// both replicas; the webhook gets every message exactly once, in per-chat
// order: one replica delivers it at a time.
func TestTwoProcessesDeliverEachEventOnce(t *testing.T) {
	t.Parallel()
	databaseURL, admin := newDatabase(t)
	a := startNode(t, "a", databaseURL)
	b := startNode(t, "b", databaseURL)
	rec := newReceiver(t, 0)
	api := newClient(t, a.url, admin)
	hook := createWebhook(t, api, rec.srv.URL+"/hook")

	const chats, perChat = 20, 10
	var s sent
	injectChats(t, []*node{a, b}, &s, "01", chats, perChat)
	require.Equal(t, chats*perChat, s.total())

	eventually(t, 30*time.Second, func() bool { return distinct(rec.delivered()) >= chats*perChat },
		"all %d messages delivered", chats*perChat)
	// Once nothing is pending no replica has anything left to send, so no
	// late duplicate can follow the count below.
	eventually(t, 15*time.Second, func() bool {
		h := api.getJSON("/api/v1/waba_webhooks/" + itoa(hook) + "/")
		return h["events_pending"] == float64(0)
	}, "events_pending of webhook %d back to 0", hook)
	dups := s.checkDelivered(t, rec.delivered())
	require.Zero(t, dups, "duplicates with two healthy replicas")
	require.Empty(t, rec.heldMessages())
	t.Logf("%d messages into 2 replicas, delivered once each in %d POSTs", chats*perChat, rec.postCount())
	for _, n := range []*node{a, b} {
		require.False(t, n.wamux.exited(), "%s is still serving", n.name)
	}
}
