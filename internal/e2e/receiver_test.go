package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hookMsg is one entry of a delivery's incoming_messages.
type hookMsg struct {
	ID   string
	WaID string
	Text string
}

// hookPost is one delivery attempt (one POST) as the receiver saw it.
type hookPost struct {
	msgs []hookMsg
	mode receiverMode
}

// receiverMode is how the receiver answers.
type receiverMode int

const (
	// answerOK answers 200 (after the receiver's delay).
	answerOK receiverMode = iota
	// answerHold answers only when released: the POST stays in flight.
	answerHold
)

// receiver is a user's webhook endpoint on loopback: it records every
// POST's incoming_messages and answers as its mode says.
type receiver struct {
	srv   *httptest.Server
	delay time.Duration

	mu      sync.Mutex
	posts   []hookPost
	bad     []string // bodies that were not a webhook payload
	mode    receiverMode
	waiting map[int]chan struct{} // held POSTs (by index in posts) and what releases them
}

func newReceiver(t *testing.T, delay time.Duration) *receiver {
	t.Helper()
	r := &receiver{delay: delay, waiting: map[int]chan struct{}{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		r.releaseHeld()
		r.srv.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.bad) > 0 {
			t.Errorf("the receiver got bodies that are not webhook payloads: %q", r.bad)
		}
	})
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	var payload struct {
		IncomingMessages []struct {
			ID           string `json:"id"`
			CustomerWaID string `json:"customer_wa_id"`
			WabaPayload  struct {
				Text struct {
					Body string `json:"body"`
				} `json:"text"`
			} `json:"waba_payload"`
		} `json:"incoming_messages"`
	}
	if err == nil {
		err = json.Unmarshal(body, &payload)
	}
	if err == nil && req.Header.Get("webhook-signature") == "" {
		err = fmt.Errorf("no webhook-signature header")
	}
	r.mu.Lock()
	if err != nil {
		r.bad = append(r.bad, fmt.Sprintf("%v: %s", err, body))
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p := hookPost{mode: r.mode}
	for _, m := range payload.IncomingMessages {
		p.msgs = append(p.msgs, hookMsg{ID: m.ID, WaID: m.CustomerWaID, Text: m.WabaPayload.Text.Body})
	}
	r.posts = append(r.posts, p)
	release := make(chan struct{})
	if p.mode == answerHold {
		r.waiting[len(r.posts)-1] = release
	}
	r.mu.Unlock()
	switch p.mode {
	case answerHold:
		select {
		case <-release:
		case <-req.Context().Done():
			return
		}
	case answerOK:
		if r.delay > 0 {
			time.Sleep(r.delay)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// setMode changes how further POSTs are answered.
func (r *receiver) setMode(m receiverMode) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mode = m
}

// answerHeld answers 200 to the POSTs held so far; they count as
// delivered. Further POSTs are still held.
func (r *receiver) answerHeld() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, release := range r.waiting {
		r.posts[i].mode = answerOK
		close(release)
		delete(r.waiting, i)
	}
}

// releaseHeld lets the held POSTs go without counting them as delivered
// (their sender is gone) and goes back to answering 200.
func (r *receiver) releaseHeld() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, release := range r.waiting {
		close(release)
		delete(r.waiting, i)
	}
	r.mode = answerOK
}

// heldPosts counts the POSTs waiting for an answer.
func (r *receiver) heldPosts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.waiting)
}

// delivered returns the messages of the POSTs that were answered 200 at
// once, in arrival order: those wamux may count as delivered.
func (r *receiver) delivered() []hookMsg { return r.messages(answerOK) }

// heldMessages returns the messages of the POSTs held and never answered.
func (r *receiver) heldMessages() []hookMsg { return r.messages(answerHold) }

func (r *receiver) messages(mode receiverMode) []hookMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []hookMsg
	for _, p := range r.posts {
		if p.mode == mode {
			out = append(out, p.msgs...)
		}
	}
	return out
}

func (r *receiver) postCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.posts)
}

// distinct counts the different message ids in msgs.
func distinct(msgs []hookMsg) int {
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.ID] = true
	}
	return len(seen)
}

// sent is what a test injected: per chat, the provider ids in order.
type sent struct {
	mu     sync.Mutex
	byChat map[string][]string
}

func (s *sent) add(waID, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byChat == nil {
		s.byChat = map[string][]string{}
	}
	s.byChat[waID] = append(s.byChat[waID], id)
}

func (s *sent) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ids := range s.byChat {
		n += len(ids)
	}
	return n
}

// checkDelivered requires that got holds every injected message, nothing
// else, in per-chat order (by first arrival), and returns how many
// arrivals were repeats.
func (s *sent) checkDelivered(t *testing.T, got []hookMsg) (duplicates int) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	firsts := map[string][]string{}
	for _, m := range got {
		if seen[m.ID] {
			duplicates++
			continue
		}
		seen[m.ID] = true
		firsts[m.WaID] = append(firsts[m.WaID], m.ID)
	}
	require.Len(t, firsts, len(s.byChat), "chats delivered")
	for waID, want := range s.byChat {
		require.Equal(t, want, firsts[waID], "chat %s: every message, in the order it arrived at wamux", waID)
	}
	return duplicates
}

// createWebhook gives the user behind api's token a webhook to url that
// receives incoming messages only, and returns its id.
func createWebhook(t *testing.T, api *client, url string) int {
	t.Helper()
	r := api.do(http.MethodPost, "/api/v1/waba_webhooks/", map[string]any{
		"url": url, "on_incoming_messages": true, "on_outgoing_messages": false,
		"on_assigned_messages": false, "on_chat_assignment": false, "on_tagging": false,
	})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	return num(r.JSON(t)["id"])
}
