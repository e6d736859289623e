package httpapi_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux"
	"github.com/wamux/wamux/internal/fanout"
	"github.com/wamux/wamux/internal/httpapi"
)

// startFanout runs a delivery engine over the test's database until the
// test ends, tuned for tests: quick polls and short backoffs.
func (e *env) startFanout(tweak ...func(*fanout.Config)) *fanout.Engine {
	e.t.Helper()
	logger := slog.New(slog.NewTextHandler(testWriter{e.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := fanout.Config{
		Pool: e.pool, Logger: logger, Presenter: httpapi.NewPresenter(baseURL, e.accounts), Chats: e.inbox,
		PollInterval: 100 * time.Millisecond, BackoffBase: 30 * time.Millisecond, BackoffMax: 300 * time.Millisecond,
		LeaseTTL: 3 * time.Second, AttemptTimeout: 3 * time.Second, AllowPrivate: true,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	eng, err := fanout.New(cfg)
	require.NoError(e.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { eng.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
	return eng
}

// hookCall is one POST a receiver got.
type hookCall struct {
	header http.Header
	body   []byte
	status int
	at     time.Time
}

func (c hookCall) payload(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(c.body, &m), "%s", c.body)
	return m
}

func (c hookCall) keys(t testing.TB) []string {
	var ks []string
	for k := range c.payload(t) {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// hookReceiver is a loopback webhook receiver. answer decides the status of
// the n-th call (from 0); it may block.
type hookReceiver struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	calls  []hookCall
	answer func(n int, r *http.Request) int
}

func newHookReceiver(t testing.TB, answer func(n int, r *http.Request) int) *hookReceiver {
	h := &hookReceiver{t: t, answer: answer}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		n := len(h.calls)
		h.calls = append(h.calls, hookCall{header: r.Header.Clone(), body: body, at: time.Now()})
		h.mu.Unlock()
		status := http.StatusOK
		if h.answer != nil {
			status = h.answer(n, r)
		}
		h.mu.Lock()
		h.calls[n].status = status
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) all() []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

// ok returns the calls answered 2xx.
func (h *hookReceiver) ok() []hookCall {
	var out []hookCall
	for _, c := range h.all() {
		if c.status/100 == 2 {
			out = append(out, c)
		}
	}
	return out
}

func (h *hookReceiver) waitOK(n int) []hookCall {
	h.t.Helper()
	require.Eventually(h.t, func() bool { return len(h.ok()) >= n }, 10*time.Second, 10*time.Millisecond,
		"waiting for %d deliveries, got %d", n, len(h.ok()))
	return h.ok()
}

// webhookPayloadSchema is WebhookPayload of openapi.yaml: every delivery
// must match it, and so every object in it the schema of its list endpoint.
var webhookPayloadSchema = sync.OnceValue(func() *openapi3.Schema {
	doc, err := openapi3.NewLoader().LoadFromData(wamux.OpenAPI)
	if err != nil {
		panic(err)
	}
	return doc.Components.Schemas["WebhookPayload"].Value
})

func requireValidPayload(t testing.TB, c hookCall) {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(c.body, &v))
	require.NoError(t, webhookPayloadSchema().VisitJSON(v), "payload does not match WebhookPayload: %s", c.body)
}

// webhookFor creates a webhook for the user behind token with exactly the
// events given (the others off), and returns it.
func (e *env) webhookFor(token, url string, events ...string) map[string]any {
	e.t.Helper()
	body := map[string]any{"url": url}
	for _, k := range []string{"incoming_messages", "outgoing_messages", "assigned_messages", "chat_assignment", "tagging"} {
		body["on_"+k] = slices.Contains(events, k)
	}
	return e.createWebhook(token, body)
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	_, err := e.pool.Exec(context.Background(), sql, args...)
	require.NoError(e.t, err)
}

func (e *env) getJSON(token, path string) map[string]any {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: path, Token: token})
	require.Equal(e.t, http.StatusOK, r.Status, "%s", r.Body)
	return r.JSON(e.t)
}

func without(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !slices.Contains(keys, k) {
			out[k] = v
		}
	}
	return out
}

// TestWebhookFieldsAppearExactlyWhenTheReferenceSays drives every kind of
// event through four webhooks with different selections and checks which
// fields each delivery carries, and that every object has the schema (and
// the content) its list endpoint gives.
func TestWebhookFieldsAppearExactlyWhenTheReferenceSays(t *testing.T) {
	e := setup(t)
	_, incTok := e.createUser("archiver", "app")
	_, outTok := e.createUser("auditor", "app")
	asgID, asgTok := e.createUser("spambot", "app")
	rInc, rOut, rAsg, rAll := newHookReceiver(t, nil), newHookReceiver(t, nil), newHookReceiver(t, nil), newHookReceiver(t, nil)
	e.webhookFor(incTok, rInc.srv.URL+"/in?auth=x", "incoming_messages")
	e.webhookFor(outTok, rOut.srv.URL+"/out", "outgoing_messages")
	hAsg := e.createWebhook(asgTok, map[string]any{"url": rAsg.srv.URL + "/asg"}) // the defaults
	e.webhookFor(e.adminToken, rAll.srv.URL+"/all", "incoming_messages", "outgoing_messages", "assigned_messages", "chat_assignment", "tagging")
	e.startFanout()
	expect := map[*hookReceiver]int{}
	step := func(want map[*hookReceiver][]string) {
		t.Helper()
		for rc, keys := range want {
			expect[rc]++
			calls := rc.waitOK(expect[rc])
			last := calls[expect[rc]-1]
			requireValidPayload(t, last)
			require.Equal(t, keys, last.keys(t), "fields of %s", last.body)
		}
	}
	c1, c2 := "15550001111", "15550002222"
	now := time.Now().Add(-time.Minute).Truncate(time.Second)

	// 1. An incoming message: "messages" (unchanged) and "incoming_messages"
	// for receivers of incoming messages; nothing for the others.
	inbound := inboundText("wamid.IN1", c1, "Ann Lee", "hello", now)
	require.Equal(t, http.StatusOK, e.inbound(inbound).Status)
	msgFields := []string{"contacts", "incoming_messages", "messages"}
	step(map[*hookReceiver][]string{rInc: msgFields, rAll: msgFields})
	p := rInc.ok()[0].payload(t)
	var original map[string]any
	require.NoError(t, json.Unmarshal(inbound, &original))
	value := original["entry"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any)["value"].(map[string]any)
	require.Equal(t, value["messages"], p["messages"], "the provider's messages, unchanged")
	require.Equal(t, value["contacts"], p["contacts"], "the provider's contacts, unchanged")
	listed := results(t, e.do(req{Method: "GET", Path: "/api/v1/messages/?wa_id=" + c1, Token: incTok}))
	require.Len(t, listed, 1)
	delivered := p["incoming_messages"].([]any)[0].(map[string]any)
	require.Equal(t, false, delivered["received"], "not received yet when it was sent")
	require.Equal(t, without(listed[0], "received"), without(delivered, "received"), "the entry of the messages list")

	// 2. An outgoing message written through wamux, then its status.
	r := e.do(req{Method: "POST", Path: "/api/v1/messages/", Token: e.adminToken, Body: map[string]any{"wa_id": c1, "type": "text", "text": map[string]any{"body": "hi Ann"}}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	step(map[*hookReceiver][]string{rOut: {"outgoing_messages"}, rAll: {"outgoing_messages"}})
	out := rOut.ok()[0].payload(t)["outgoing_messages"].([]any)[0].(map[string]any)
	require.Equal(t, true, out["from_us"])
	require.Equal(t, "admin", out["sender"].(map[string]any)["username"])
	require.Equal(t, http.StatusOK, e.inbound(statusNote("wamid.TEST000001", c1, "delivered", now.Add(30*time.Second))).Status)
	step(map[*hookReceiver][]string{rInc: {"statuses"}, rOut: {"statuses"}, rAll: {"statuses"}})
	st := rOut.ok()[1].payload(t)["statuses"].([]any)[0].(map[string]any)
	require.Equal(t, "delivered", st["status"])
	require.Equal(t, "wamid.TEST000001", st["id"])

	// 3. A provider error that concerns no message.
	body, err := os.ReadFile(filepath.Join("..", "waba", "testdata", "inbound", "cloud", "errors_webhook_130429.json"))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, e.inbound(body).Status)
	step(map[*hookReceiver][]string{rInc: {"errors"}, rOut: {"errors"}, rAll: {"errors"}})
	require.Equal(t, float64(130429), rInc.ok()[2].payload(t)["errors"].([]any)[0].(map[string]any)["code"])

	// 4. The chat gets assigned to the bot: its new messages come as
	// "assigned_messages" (and only those: on_assigned_messages alone).
	e.exec(`UPDATE chats SET assigned_user_id = $1 WHERE wa_id = $2`, asgID, c1)
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.IN2", c1, "Ann Lee", "still there?", now.Add(40*time.Second))).Status)
	step(map[*hookReceiver][]string{rInc: msgFields, rAll: msgFields, rAsg: {"assigned_messages"}})
	am := rAsg.ok()[0].payload(t)["assigned_messages"].([]any)
	require.Len(t, am, 1)
	require.Equal(t, "wamid.IN2", am[0].(map[string]any)["id"])

	// 5. Another chat is assigned to the bot just now (#6 appends the event):
	// "chat_assignment" for every receiver with on_chat_assignment, and the
	// chat's messages the bot has not received in "assigned_messages".
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.IN3", c2, "Bo Chan", "anyone?", now.Add(50*time.Second))).Status)
	step(map[*hookReceiver][]string{rInc: msgFields, rAll: msgFields})
	bot := e.getJSON(e.adminToken, "/api/v1/users/"+itoa(asgID)+"/")
	admin := e.getJSON(e.adminToken, "/api/v1/users/current/")
	assignment := map[string]any{
		"timestamp": now.Unix() + 55, "wa_id": c2, "assigned_to_user_set": bot, "assigned_to_user_was_cleared": false,
		"assigned_group_set": nil, "assigned_group_was_cleared": false, "done_by": admin, "reason": nil,
	}
	aj, _ := json.Marshal(assignment)
	e.exec(`WITH c AS (UPDATE chats SET assigned_user_id = $1 WHERE wa_id = $2)
		INSERT INTO events (kind, chat_wa_id, payload) VALUES ('chat_assignment', $2, $3)`, asgID, c2, aj)
	step(map[*hookReceiver][]string{rAsg: {"assigned_messages", "chat_assignment"}, rAll: {"chat_assignment"}})
	pa := rAsg.ok()[1].payload(t)
	require.Equal(t, assignment["wa_id"], pa["chat_assignment"].(map[string]any)["wa_id"])
	require.Equal(t, float64(asgID), pa["chat_assignment"].(map[string]any)["assigned_to_user_set"].(map[string]any)["id"])
	am = pa["assigned_messages"].([]any)
	require.Len(t, am, 1)
	require.Equal(t, "wamid.IN3", am[0].(map[string]any)["id"])

	// 6. Tagging (#6 appends the events; both payload layouts are read):
	// "message_tagging" with the deprecated "tagged_messages", then a chat
	// tagging removed ("chat_tagging" alone) and one added ("chat_tagging"
	// with "tagged_chats"). Each travels in its own POST.
	var tagID, msgID int64
	require.NoError(t, e.pool.QueryRow(context.Background(), `INSERT INTO tags (name) VALUES ('Agent needed') RETURNING id`).Scan(&tagID))
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT id FROM messages WHERE wamid = 'wamid.IN2'`).Scan(&msgID))
	tag := map[string]any{"id": tagID, "name": "Agent needed", "web_inbox_color": nil}
	mt, _ := json.Marshal(map[string]any{
		"event": map[string]any{"timestamp": now.Unix() + 60, "action": "added", "tag": tag, "message": "wamid.IN2", "extra": map[string]any{"score": 7}, "done_by": nil},
		"tag":   map[string]any{"id": tagID, "name": "Agent needed", "extra": map[string]any{"score": 7}},
	})
	ctRemoved, _ := json.Marshal(map[string]any{"timestamp": now.Unix() + 61, "action": "removed", "tag": tag, "chat": c1, "extra": nil, "done_by": nil})
	ctAdded, _ := json.Marshal(map[string]any{"timestamp": now.Unix() + 62, "action": "added", "tag": tag, "chat": c1, "extra": map[string]any{}, "done_by": admin})
	e.exec(`INSERT INTO events (kind, chat_wa_id, message_id, payload) VALUES
		('message_tagging', $1, $2, $3), ('chat_tagging', $1, NULL, $4), ('chat_tagging', $1, NULL, $5)`, c1, msgID, mt, ctRemoved, ctAdded)
	step(map[*hookReceiver][]string{rAsg: {"message_tagging", "tagged_messages"}, rAll: {"message_tagging", "tagged_messages"}})
	step(map[*hookReceiver][]string{rAsg: {"chat_tagging"}, rAll: {"chat_tagging"}})
	step(map[*hookReceiver][]string{rAsg: {"chat_tagging", "tagged_chats"}, rAll: {"chat_tagging", "tagged_chats"}})
	asgCalls := rAsg.ok()
	tm := asgCalls[2].payload(t)
	require.Equal(t, "wamid.IN2", tm["message_tagging"].(map[string]any)["message"])
	tagged := tm["tagged_messages"].([]any)[0].(map[string]any)
	require.Equal(t, "wamid.IN2", tagged["message"].(map[string]any)["id"])
	require.Equal(t, map[string]any{"id": float64(tagID), "name": "Agent needed", "extra": map[string]any{"score": float64(7)}}, tagged["new_tag"])
	tc := asgCalls[4].payload(t)["tagged_chats"].([]any)[0].(map[string]any)
	require.Equal(t, c1, tc["chat"].(map[string]any)["wa_id"])
	require.Equal(t, e.getJSON(asgTok, "/api/v1/chats/"+c1+"/")["wa_id"], tc["chat"].(map[string]any)["wa_id"])

	// Nothing else arrived anywhere, and nothing was retried.
	time.Sleep(400 * time.Millisecond)
	for rc, n := range expect {
		require.Len(t, rc.all(), n, "deliveries to %s", rc.srv.URL)
	}
	h := e.getJSON(asgTok, hookPath(hAsg))
	require.NotNil(t, h["last_success_at"])
	require.Equal(t, float64(0), h["consecutive_failures"])
	require.Equal(t, float64(0), h["events_pending"])
}

// TestWebhookRetriesInOrder: a receiver failing with 500 gets the same
// batch again (same webhook-id) until it answers 200, and later messages
// wait for it: nothing is lost or reordered.
func TestWebhookRetriesInOrder(t *testing.T) {
	e := setup(t)
	_, tok := e.createUser("archiver", "app")
	rc := newHookReceiver(t, func(n int, _ *http.Request) int {
		if n < 3 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	h := e.webhookFor(tok, rc.srv.URL, "incoming_messages")
	e.startFanout()
	now := time.Now().Add(-time.Minute).Truncate(time.Second)
	var sent []string
	for i := range 8 {
		id := fmt.Sprintf("wamid.R%02d", i)
		sent = append(sent, id)
		require.Equal(t, http.StatusOK, e.inbound(inboundText(id, "15550003333", "Cy", fmt.Sprint("n", i), now.Add(time.Duration(i)*time.Second))).Status)
		time.Sleep(15 * time.Millisecond)
	}
	require.Eventually(t, func() bool {
		var got int
		for _, c := range rc.ok() {
			got += len(c.payload(t)["messages"].([]any))
		}
		return got >= len(sent)
	}, 10*time.Second, 10*time.Millisecond)
	calls := rc.all()
	require.Equal(t, calls[0].header.Get("webhook-id"), calls[1].header.Get("webhook-id"), "a retry is the same message")
	require.Equal(t, calls[0].header.Get("webhook-id"), calls[3].header.Get("webhook-id"))
	ids := func(c hookCall) any { return c.payload(t)["messages"] }
	require.Equal(t, ids(calls[0]), ids(calls[3]), "the retry carries the same events")
	var got []string
	for _, c := range rc.ok() {
		for _, m := range c.payload(t)["messages"].([]any) {
			got = append(got, m.(map[string]any)["id"].(string))
		}
	}
	require.Equal(t, sent, got, "each message once, in order")
	// Backoff: the attempts are spread out.
	require.Greater(t, calls[3].at.Sub(calls[0].at), 40*time.Millisecond)

	r := e.do(req{Method: "GET", Path: hookPath(h, "deliveries/"), Token: tok})
	require.Equal(t, http.StatusOK, r.Status)
	ds := results(t, r)
	require.GreaterOrEqual(t, len(ds), 4)
	oldest := ds[len(ds)-1]
	require.Equal(t, float64(500), oldest["status_code"])
	require.Contains(t, oldest["error"], "HTTP 500")
	require.Equal(t, float64(200), ds[0]["status_code"])
	require.Nil(t, ds[0]["error"])
	require.LessOrEqual(t, ds[0]["first_event_id"], ds[0]["last_event_id"])
	hook := e.getJSON(tok, hookPath(h))
	require.Equal(t, float64(0), hook["consecutive_failures"])
	require.Contains(t, hook["last_error"], "HTTP 500")
	require.NotNil(t, hook["last_error_at"])
	require.NotNil(t, hook["last_success_at"])
}

// TestHangingReceiverDelaysNobodyElse: while one receiver hangs, another
// gets its deliveries at once.
func TestHangingReceiverDelaysNobodyElse(t *testing.T) {
	e := setup(t)
	_, slowTok := e.createUser("slowbot", "app")
	_, fastTok := e.createUser("fastbot", "app")
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow := newHookReceiver(t, func(_ int, r *http.Request) int {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return http.StatusOK
	})
	fast := newHookReceiver(t, nil)
	e.webhookFor(slowTok, slow.srv.URL, "incoming_messages")
	e.webhookFor(fastTok, fast.srv.URL, "incoming_messages")
	e.startFanout(func(c *fanout.Config) { c.AttemptTimeout = 10 * time.Second })
	for i := range 3 {
		start := time.Now()
		require.Equal(t, http.StatusOK, e.inbound(inboundText(fmt.Sprintf("wamid.H%d", i), "15550004444", "Di", "x", time.Now())).Status)
		fast.waitOK(i + 1)
		require.Less(t, time.Since(start), 2*time.Second, "the fast receiver waited for the hanging one")
	}
	require.Len(t, slow.all(), 1, "the hanging receiver is still busy with its first delivery")
}

// TestDeliveredMessagesAreMarkedReceived: a 2xx marks the delivered
// messages received for the webhook's user (new_messages in /chats/); a
// failing receiver's stay new.
func TestDeliveredMessagesAreMarkedReceived(t *testing.T) {
	e := setup(t)
	_, okTok := e.createUser("okbot", "app")
	_, badTok := e.createUser("badbot", "app")
	okRc := newHookReceiver(t, nil)
	badRc := newHookReceiver(t, func(int, *http.Request) int { return http.StatusServiceUnavailable })
	e.webhookFor(okTok, okRc.srv.URL, "incoming_messages")
	e.webhookFor(badTok, badRc.srv.URL, "incoming_messages")
	now := time.Now().Add(-time.Minute).Truncate(time.Second)
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.M1", "15550005555", "Ed", "one", now)).Status)
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.M2", "15550005555", "Ed", "two", now.Add(time.Second))).Status)
	newMessages := func(tok string) float64 {
		return e.getJSON(tok, "/api/v1/chats/15550005555/")["new_messages"].(float64)
	}
	require.Equal(t, float64(2), newMessages(okTok))
	require.Equal(t, float64(2), newMessages(badTok))

	e.startFanout()
	okRc.waitOK(1)
	require.Eventually(t, func() bool { return newMessages(okTok) == 0 }, 5*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return len(badRc.all()) >= 2 }, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, float64(2), newMessages(badTok))
	msgs := results(t, e.do(req{Method: "GET", Path: "/api/v1/messages/?wa_id=15550005555", Token: okTok}))
	for _, m := range msgs {
		require.Equal(t, true, m["received"])
	}
}

// TestWebhooksSeeOnlyWhatTheirUserMayRead: a regular user reads the chats
// assigned to it or its group; an inactive user gets nothing.
func TestWebhooksSeeOnlyWhatTheirUserMayRead(t *testing.T) {
	e := setup(t)
	aliceID, alice := e.createUser("alice", "user")
	bobID, bob := e.createUser("bob", "app")
	ra, rb := newHookReceiver(t, nil), newHookReceiver(t, nil)
	ha := e.webhookFor(alice, ra.srv.URL, "incoming_messages", "outgoing_messages", "assigned_messages", "chat_assignment", "tagging")
	e.webhookFor(bob, rb.srv.URL, "incoming_messages")
	e.startFanout()
	now := time.Now().Add(-time.Minute).Truncate(time.Second)

	// Not assigned to alice: only bob (read all) gets it.
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.P1", "15550006666", "Fay", "one", now)).Status)
	rb.waitOK(1)
	// A chat assignment of a chat alice may not read does not reach her.
	aj, _ := json.Marshal(map[string]any{"timestamp": now.Unix(), "wa_id": "15550006666", "assigned_to_user_set": nil, "assigned_to_user_was_cleared": false,
		"assigned_group_set": nil, "assigned_group_was_cleared": false, "done_by": nil})
	e.exec(`INSERT INTO events (kind, chat_wa_id, payload) VALUES ('chat_assignment', '15550006666', $1)`, aj)
	// Permissions apply at delivery time: let alice's deliverer pass it first.
	require.Eventually(t, func() bool { return e.getJSON(alice, hookPath(ha))["events_pending"] == float64(0) }, 5*time.Second, 20*time.Millisecond)
	// Assigned to alice's group: now she may read it.
	var groupID int64
	require.NoError(t, e.pool.QueryRow(context.Background(), `SELECT id FROM groups WHERE role = 'user'`).Scan(&groupID))
	e.exec(`UPDATE chats SET assigned_group_id = $1 WHERE wa_id = '15550006666'`, groupID)
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.P2", "15550006666", "Fay", "two", now.Add(time.Second))).Status)
	calls := ra.waitOK(1)
	time.Sleep(300 * time.Millisecond)
	calls = ra.ok()
	require.Len(t, calls, 1, "alice got only what she may read")
	p := calls[0].payload(t)
	require.Equal(t, "wamid.P2", p["messages"].([]any)[0].(map[string]any)["id"])
	require.NotContains(t, p, "assigned_messages", "assigned to her group, not to her")
	require.NotContains(t, p, "chat_assignment")
	// Assigned to alice herself: assigned_messages too.
	e.exec(`UPDATE chats SET assigned_user_id = $1 WHERE wa_id = '15550006666'`, aliceID)
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.P3", "15550006666", "Fay", "three", now.Add(2*time.Second))).Status)
	calls = ra.waitOK(2)
	require.Contains(t, calls[1].payload(t), "assigned_messages")

	// An inactive user gets nothing.
	rb.waitOK(3)
	r := e.do(req{Method: "DELETE", Path: "/api/v1/users/" + itoa(bobID) + "/", Token: e.adminToken})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.P4", "15550006666", "Fay", "four", now.Add(3*time.Second))).Status)
	ra.waitOK(3)
	time.Sleep(1500 * time.Millisecond) // more than a lease round
	require.Len(t, rb.all(), 3)
}

// standardWebhooksVerify is an independent implementation of the Standard
// Webhooks verification (https://www.standardwebhooks.com/, "Verifying
// webhooks"), written from the specification: the signed content is
// "{id}.{timestamp}.{body}", the key is the base64-decoded part of the
// secret after "whsec_", the header lists space-separated "v1,<base64>"
// signatures, and timestamps too far from now are refused.
func standardWebhooksVerify(secret string, header http.Header, body []byte, now time.Time) error {
	id, ts, sigs := header.Get("webhook-id"), header.Get("webhook-timestamp"), header.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp outside the tolerance")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no matching signature")
}

func TestWebhookDeliveriesAreSigned(t *testing.T) {
	e := setup(t)
	_, tok := e.createUser("verifier", "app")
	rc := newHookReceiver(t, nil)
	h := e.webhookFor(tok, rc.srv.URL+"/hook?auth=shared-secret", "incoming_messages")
	secret := h["signing_secret"].(string)
	e.startFanout()
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.S1", "15550007777", "Gus", "sign me", time.Now())).Status)
	c := rc.waitOK(1)[0]
	require.NoError(t, standardWebhooksVerify(secret, c.header, c.body, time.Now()))
	require.Error(t, standardWebhooksVerify(secret, c.header, append(slices.Clone(c.body), ' '), time.Now()), "a changed body fails")
	require.Error(t, standardWebhooksVerify(secret, c.header, c.body, time.Now().Add(time.Hour)), "a replay an hour later fails")
	require.Error(t, standardWebhooksVerify("whsec_"+base64.StdEncoding.EncodeToString([]byte("another key of 32 bytes........")), c.header, c.body, time.Now()))
	require.Regexp(t, `^evt_\d+_\d+$`, c.header.Get("webhook-id"))
	require.Equal(t, "application/json", c.header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(c.header.Get("User-Agent"), "wamux-webhooks/"), c.header.Get("User-Agent"))

	// The shared secret of the URL's query arrives as given.
	var query string
	rc2 := newHookReceiver(t, func(_ int, r *http.Request) int { query = r.URL.RawQuery; return http.StatusOK })
	_, tok2 := e.createUser("querybot", "app")
	e.webhookFor(tok2, rc2.srv.URL+"/hook?auth=shared-secret", "incoming_messages")
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.S2", "15550007777", "Gus", "again", time.Now())).Status)
	rc2.waitOK(1)
	require.Equal(t, "auth=shared-secret", query)
}

func TestWebhookReplay(t *testing.T) {
	e := setup(t)
	_, tok := e.createUser("replayer", "app")
	rc := newHookReceiver(t, nil)
	h := e.webhookFor(tok, rc.srv.URL, "incoming_messages")
	e.startFanout()
	now := time.Now().Add(-time.Minute).Truncate(time.Second)
	for i := range 3 {
		require.Equal(t, http.StatusOK, e.inbound(inboundText(fmt.Sprintf("wamid.RP%d", i), "15550008888", "Hal", "x", now.Add(time.Duration(i)*time.Second))).Status)
		rc.waitOK(i + 1)
	}
	var ids []string
	for _, c := range rc.ok() {
		ids = append(ids, c.payload(t)["messages"].([]any)[0].(map[string]any)["id"].(string))
	}
	r := e.do(req{Method: "POST", Path: hookPath(h, "replay/"), Token: tok, Body: map[string]any{"since_time": time.Now().Add(-time.Hour).Unix()}})
	require.Equal(t, http.StatusAccepted, r.Status, "%s", r.Body)
	require.Equal(t, float64(3), r.JSON(t)["events"])
	require.Eventually(t, func() bool {
		var n int
		for _, c := range rc.ok()[3:] {
			n += len(c.payload(t)["messages"].([]any))
		}
		return n == 3
	}, 5*time.Second, 10*time.Millisecond)
	var again []string
	for _, c := range rc.ok()[3:] {
		for _, m := range c.payload(t)["messages"].([]any) {
			again = append(again, m.(map[string]any)["id"].(string))
		}
	}
	require.Equal(t, ids, again, "the same events again, in order")
	// A replay from now on moves nothing.
	r = e.do(req{Method: "POST", Path: hookPath(h, "replay/"), Token: tok, Body: map[string]any{"since_time": time.Now().Add(time.Hour).Unix()}})
	require.Equal(t, http.StatusAccepted, r.Status)
	require.Equal(t, float64(0), r.JSON(t)["events"])
}

// TestDeletingAWebhookStopsItAtOnce: a POST in flight is aborted.
func TestDeletingAWebhookStopsItAtOnce(t *testing.T) {
	e := setup(t)
	_, tok := e.createUser("deleted", "app")
	aborted := make(chan time.Time, 1)
	rc := newHookReceiver(t, func(_ int, r *http.Request) int {
		<-r.Context().Done()
		aborted <- time.Now()
		return http.StatusOK
	})
	h := e.webhookFor(tok, rc.srv.URL, "incoming_messages")
	e.startFanout(func(c *fanout.Config) { c.AttemptTimeout = 30 * time.Second })
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.D1", "15550009999", "Ida", "x", time.Now())).Status)
	require.Eventually(t, func() bool { return len(rc.all()) == 1 }, 5*time.Second, 10*time.Millisecond)
	deleted := time.Now()
	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: hookPath(h), Token: tok}).Status)
	select {
	case at := <-aborted:
		require.Less(t, at.Sub(deleted), time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("the POST in flight was not aborted")
	}
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.D2", "15550009999", "Ida", "y", time.Now())).Status)
	time.Sleep(300 * time.Millisecond)
	require.Len(t, rc.all(), 1)
}

// TestPrivateDestinationsRefused: with private destinations forbidden, a
// loopback receiver is never contacted, and the reason is in the log.
func TestPrivateDestinationsRefused(t *testing.T) {
	e := setup(t)
	_, tok := e.createUser("sneaky", "app")
	rc := newHookReceiver(t, nil)
	// localtest.me-style names are not needed: the check runs on the
	// resolved address, so "localhost" is refused like 127.0.0.1.
	url := strings.Replace(rc.srv.URL, "127.0.0.1", "localhost", 1)
	h := e.webhookFor(tok, url, "incoming_messages")
	e.startFanout(func(c *fanout.Config) { c.AllowPrivate = false })
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.X1", "15550001234", "Joe", "x", time.Now())).Status)
	var ds []map[string]any
	require.Eventually(t, func() bool {
		ds = results(t, e.do(req{Method: "GET", Path: hookPath(h, "deliveries/"), Token: tok}))
		return len(ds) > 0
	}, 5*time.Second, 20*time.Millisecond)
	require.Nil(t, ds[0]["status_code"])
	require.Contains(t, ds[0]["error"], "private")
	require.Empty(t, rc.all())
	require.NotContains(t, e.getJSON(tok, hookPath(h))["last_error"], "auth", "no URL in the error")
}
