package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/httpapi"
	"github.com/wamux/wamux/internal/ownership"
	"github.com/wamux/wamux/internal/rules"
)

// startRuleEngine runs a rule engine over the test's database until the
// test ends, tuned for tests.
func (e *env) startRuleEngine(replica string) {
	e.t.Helper()
	logger := slog.New(slog.NewTextHandler(testWriter{e.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc := rules.New(rules.Config{Pool: e.pool, Logger: logger, AllowPrivate: true, Presenter: e.presenter(), Assigner: e.ownershipService()})
	eng := rules.NewEngine(svc, rules.EngineOptions{Replica: replica, PollInterval: 50 * time.Millisecond, LeaseTTL: 2 * time.Second,
		BackoffBase: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { eng.Run(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done })
}

func (e *env) send(tok, waID, text string) resp {
	e.t.Helper()
	return e.do(req{Method: "POST", Path: "/api/v1/messages/", Token: tok,
		Body: map[string]any{"wa_id": waID, "type": "text", "text": map[string]any{"body": text}}})
}

func (e *env) waitAssignment(waID string, user, group any) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		u, g := e.assignment(waID)
		return fmt.Sprint(u) == fmt.Sprint(user) && fmt.Sprint(g) == fmt.Sprint(group)
	}, 30*time.Second, 10*time.Millisecond, "chat %s never assigned to user %v, group %v", waID, user, group)
}

// eventKinds lists the extension fields of the calls a receiver got, in
// order.
func eventKinds(t *testing.T, h *hookReceiver) []string {
	var out []string
	for _, c := range h.ok() {
		p := c.payload(t)
		for _, k := range []string{"assigned_messages", "chat_assignment", "message_tagging", "chat_tagging"} {
			if p[k] != nil {
				out = append(out, k)
			}
		}
	}
	return out
}

// customEngine is a loopback custom rule engine that behaves like the
// reference's Python example: every incoming message to the bot, "Agent
// needed" taggings of chats and messages to the group with
// let_group_decide.
type customEngine struct {
	srv   *httptest.Server
	mu    sync.Mutex
	calls []map[string]any
	auth  []string
}

func newCustomEngine(t *testing.T, bot, group int) *customEngine {
	c := &customEngine{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &in); err != nil {
			_ = json.NewEncoder(w).Encode(map[string]any{"error": err.Error()})
			return
		}
		c.mu.Lock()
		c.calls = append(c.calls, in)
		c.auth = append(c.auth, r.Header.Get("Authorization"))
		c.mu.Unlock()
		out := []any{}
		if msgs, ok := in["incoming_messages"].([]any); ok {
			for _, m := range msgs {
				out = append(out, map[string]any{"message_id": m.(map[string]any)["id"], "user": bot})
			}
		}
		if tg, ok := in["chat_tagging"].(map[string]any); ok && tg["action"] == "added" && tg["tag"].(map[string]any)["name"] == "Agent needed" {
			out = append(out, map[string]any{"chat_id": tg["chat"], "group": group, "group_assign_method": "let_group_decide"})
		}
		if tg, ok := in["message_tagging"].(map[string]any); ok && tg["action"] == "added" && tg["tag"].(map[string]any)["name"] == "Agent needed" {
			out = append(out, map[string]any{"message_id": tg["message"], "group": group, "group_assign_method": "let_group_decide"})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"assignment": out})
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// waitRuleEngineIdle waits until the rule engine has evaluated every event
// of the log.
func (e *env) waitRuleEngineIdle() {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		var idle bool
		err := e.pool.QueryRow(e.t.Context(), `SELECT NOT EXISTS (SELECT 1 FROM events ev, rule_engine r
			WHERE (ev.xid, ev.id) > (coalesce(r.cursor_xid, '0'::xid8), r.cursor_id))`).Scan(&idle)
		return err == nil && idle
	}, 15*time.Second, 10*time.Millisecond, "the rule engine never caught up with the event log")
}

// TestSpamFilterWalkthrough is the reference's spam-filter bot flow, end to
// end through HTTP, with the default engine and with a custom engine.
func TestSpamFilterWalkthrough(t *testing.T) {
	for _, mode := range []string{"default", "custom"} {
		t.Run(mode, func(t *testing.T) {
			e := setup(t)
			const chat = "48123123123"
			botID, botTok := e.createUser("spambot", "app")
			agentID, agentTok := e.createUser("agent", "user")
			_, idleTok := e.createUser("idle", "user")
			regular := e.groupID("user")
			agentNeeded := e.createTag("Agent needed")
			rBot, rAgent, rAdmin := newHookReceiver(t, nil), newHookReceiver(t, nil), newHookReceiver(t, nil)
			e.webhookFor(botTok, rBot.srv.URL+"/bot", "assigned_messages", "chat_assignment", "tagging")
			e.webhookFor(agentTok, rAgent.srv.URL+"/agent", "assigned_messages", "chat_assignment", "tagging")
			e.webhookFor(e.adminToken, rAdmin.srv.URL+"/admin", "chat_assignment", "tagging")
			var engine *customEngine
			if mode == "default" {
				e.createRule(map[string]any{"tagged_with": nil, "assign_to_user": botID, "description": "spam filter first"})
				e.createRule(map[string]any{"tagged_with": agentNeeded, "assign_to_group": regular, "group_assign_method": "let_group_decide"})
			} else {
				engine = newCustomEngine(t, botID, regular)
				r := e.do(req{Method: "PUT", Path: "/api/v1/rule_engine/", Token: e.adminToken, Body: map[string]any{
					"mode": "custom", "url": engine.srv.URL + "/webhook", "headers": map[string]any{"Authorization": "Bearer s3cret"}, "timeout": 2}})
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			}
			e.startFanout()
			e.startRuleEngine("r1")

			// 1. A message arrives; the bot's webhook receives it in assigned_messages.
			require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.SPAM1", chat, "Cus Tomer", "Hello", time.Now())).Status)
			e.waitAssignment(chat, float64(botID), nil)
			require.Eventually(t, func() bool {
				for _, c := range rBot.ok() {
					for _, m := range asSlice(c.payload(t)["assigned_messages"]) {
						if m.(map[string]any)["id"] == "wamid.SPAM1" {
							requireValidPayload(t, c)
							return true
						}
					}
				}
				return false
			}, 10*time.Second, 10*time.Millisecond, "the bot never got the message in assigned_messages")

			// 2. The bot may reply; a regular user not assigned may not.
			require.Equal(t, http.StatusCreated, e.send(botTok, chat, "Hello! How may I help you?").Status)
			require.Equal(t, http.StatusForbidden, e.send(agentTok, chat, "me?").Status)

			// 3. The bot tags the message; the chat goes to the group, the user cleared.
			require.Equal(t, http.StatusCreated, e.tagMessage(botTok, agentNeeded, "wamid.SPAM1", nil).Status)
			e.waitAssignment(chat, nil, float64(regular))
			// The custom engine answers the chat tagging (the message's tagging
			// tags the chat) with the group again, clearing the user: let it be
			// done before a person takes the chat, as a person would.
			e.waitRuleEngineIdle()

			// 4. A member of the group takes the chat and replies; another may not reply.
			r := e.assign("PATCH", agentTok, chat, map[string]any{"assigned_to_user": agentID})
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.Equal(t, http.StatusCreated, e.send(agentTok, chat, "A human here.").Status)
			require.Equal(t, http.StatusForbidden, e.send(idleTok, chat, "me too?").Status)

			// 5. The history: the engine's two assignments with their reasons, then the agent's.
			evs := results(t, e.do(req{Method: "GET", Path: "/api/v1/chat_assignment_events/?wa_id=" + chat, Token: e.adminToken}))
			require.Len(t, evs, 3)
			slices.Reverse(evs) // newest first
			require.Equal(t, "spambot", evs[0]["assigned_to_user_set"].(map[string]any)["username"])
			require.Nil(t, evs[0]["done_by"])
			require.Equal(t, float64(regular), evs[1]["assigned_group_set"].(map[string]any)["id"])
			require.Equal(t, true, evs[1]["assigned_to_user_was_cleared"])
			require.Equal(t, "agent", evs[2]["done_by"].(map[string]any)["username"])
			require.Nil(t, evs[2]["reason"])
			reason0, reason1 := evs[0]["reason"].(map[string]any), evs[1]["reason"].(map[string]any)
			require.Equal(t, mode, reason0["engine"])
			require.Equal(t, mode, reason1["engine"])
			if mode == "default" {
				require.NotNil(t, reason0["rule_id"])
				require.Equal(t, "let_group_decide", reason1["answer"].(map[string]any)["group_assign_method"])
			} else {
				require.NotNil(t, reason0["latency_ms"])
				require.Equal(t, map[string]any{"message_id": "wamid.SPAM1", "user": float64(botID)}, reason0["answer"])
				require.Equal(t, "let_group_decide", reason1["answer"].(map[string]any)["group_assign_method"])
			}
			tags := results(t, e.do(req{Method: "GET", Path: "/api/v1/message_tagging_events/?wa_id=" + chat, Token: e.adminToken}))
			require.Len(t, tags, 1)
			require.Equal(t, "Agent needed", tags[0]["tag"].(map[string]any)["name"])

			// 6. Every receiver saw the assignments and the tagging in order.
			require.Eventually(t, func() bool {
				return len(rAgent.ok()) > 0 && slices.Contains(eventKinds(t, rAgent), "assigned_messages")
			},
				10*time.Second, 10*time.Millisecond)
			require.Eventually(t, func() bool {
				return countOf(eventKinds(t, rAdmin), "chat_assignment") == 3 && countOf(eventKinds(t, rBot), "chat_assignment") >= 2
			}, 10*time.Second, 10*time.Millisecond)
			adminKinds := slices.DeleteFunc(eventKinds(t, rAdmin), func(k string) bool { return k == "chat_tagging" })
			require.Equal(t, []string{"chat_assignment", "message_tagging", "chat_assignment", "chat_assignment"}, adminKinds)
			botKinds := slices.DeleteFunc(eventKinds(t, rBot), func(k string) bool { return k == "chat_tagging" })
			require.Equal(t, []string{"assigned_messages", "chat_assignment", "message_tagging", "chat_assignment"}, dedupe(botKinds))

			if engine != nil {
				kindsCalled := func() []string {
					engine.mu.Lock()
					defer engine.mu.Unlock()
					kinds := []string{}
					for _, c := range engine.calls {
						for _, k := range []string{"incoming_messages", "outgoing_messages", "message_tagging", "chat_tagging"} {
							if c[k] != nil {
								kinds = append(kinds, k)
							}
						}
					}
					return kinds
				}
				// The engine reads the agent's reply (the last event) when it
				// next reads the log: nothing above waited for that.
				require.Eventually(t, func() bool { return len(kindsCalled()) >= 5 }, 10*time.Second, 10*time.Millisecond)
				// The bot's reply and the agent's are outgoing messages; the
				// tagging of the message tags the chat too.
				require.Equal(t, []string{"incoming_messages", "outgoing_messages", "message_tagging", "chat_tagging", "outgoing_messages"}, kindsCalled())
				engine.mu.Lock()
				defer engine.mu.Unlock()
				require.Equal(t, "Bearer s3cret", engine.auth[0], "the configured headers are sent")
				require.NotNil(t, engine.calls[0]["messages"], "the provider's fields come along")
				require.Nil(t, e.getJSON(e.adminToken, "/api/v1/rule_engine/")["last_error"])
			}
		})
	}
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func countOf(ks []string, k string) int {
	n := 0
	for _, x := range ks {
		if x == k {
			n++
		}
	}
	return n
}

// dedupe drops immediate repeats (at-least-once deliveries may bundle or
// repeat assigned_messages).
func dedupe(ks []string) []string {
	var out []string
	for _, k := range ks {
		if len(out) == 0 || out[len(out)-1] != k {
			out = append(out, k)
		}
	}
	return out
}

// TestRoundRobin: 30 fresh chats into a group of 3 active members and one
// deactivated go 10/10/10, with two engines (two replicas) on one database.
func TestRoundRobin(t *testing.T) {
	e := setup(t)
	var members []int
	for _, n := range []string{"rra", "rrb", "rrc", "rrd"} {
		id, _ := e.createUser(n, "user")
		members = append(members, id)
	}
	g := e.do(req{Method: "POST", Path: "/api/v1/groups/", Token: e.adminToken, Body: map[string]any{"name": "Agents", "members": members}})
	require.Equal(t, http.StatusCreated, g.Status, "%s", g.Body)
	group := num(g.JSON(t)["id"])
	r := e.do(req{Method: "DELETE", Path: "/api/v1/users/" + itoa(members[3]) + "/", Token: e.adminToken})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	require.Equal(t, 1, e.count("SELECT count(*) FROM group_members WHERE group_id = $1 AND user_id = $2", group, members[3]), "still a member")
	rule := e.createRule(map[string]any{"assign_to_group": group, "group_assign_method": "round_robin"})
	e.startRuleEngine("replica-1")
	e.startRuleEngine("replica-2")
	for i := range 30 {
		chat := fmt.Sprintf("1555000%04d", i)
		require.Equal(t, http.StatusOK, e.inbound(inboundText(fmt.Sprintf("wamid.RR%d", i), chat, "RR", "hi", time.Now())).Status)
	}
	require.Eventually(t, func() bool {
		return e.count("SELECT count(*) FROM chats WHERE assigned_user_id IS NOT NULL AND assigned_group_id = $1", group) == 30
	}, 15*time.Second, 20*time.Millisecond)
	for _, id := range members[:3] {
		require.Equal(t, 10, e.count("SELECT count(*) FROM chats WHERE assigned_user_id = $1", id))
	}
	require.Equal(t, 0, e.count("SELECT count(*) FROM chats WHERE assigned_user_id = $1", members[3]))
	require.Equal(t, 30, e.count("SELECT count(*) FROM chat_assignment_events"), "each chat assigned once")
	require.Equal(t, 30, e.count("SELECT count(*) FROM chat_assignment_events WHERE reason->>'rule_id' = $1", itoa(num(rule["id"]))))
}

// TestBrokenCustomEngine: an engine that hangs, answers garbage or 500
// assigns nothing, never stops ingestion or deliveries, and shows up as
// last_error; the log moves on.
func TestBrokenCustomEngine(t *testing.T) {
	for _, c := range []struct {
		name  string
		serve func(w http.ResponseWriter, r *http.Request)
		want  string
	}{
		{"hangs", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // then the server notices the client hanging up
			<-r.Context().Done()
		}, "no answer within"},
		{"garbage", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>nope")) }, "not a JSON object"},
		{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, "HTTP 500"},
		{"error", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"error": "boom"}`)) }, "boom"},
		{"unknown id", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"assignment": [{"message_id": "wamid.NOPE", "user": 1}]}`))
		}, "unknown message or chat"},
		{"malformed", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"assignment": [{"chat_id": "x", "group": 1}]}`))
		}, "group_assign_method"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t)
			engine := httptest.NewServer(http.HandlerFunc(c.serve))
			t.Cleanup(engine.Close)
			r := e.do(req{Method: "PUT", Path: "/api/v1/rule_engine/", Token: e.adminToken, Body: map[string]any{
				"mode": "custom", "url": engine.URL, "timeout": 0.3}})
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			archive := newHookReceiver(t, nil)
			e.webhookFor(e.adminToken, archive.srv.URL, "incoming_messages")
			e.startFanout()
			e.startRuleEngine("r1")
			start := time.Now()
			for i := range 3 {
				res := e.inbound(inboundText(fmt.Sprintf("wamid.BR%d", i), fmt.Sprintf("1555000300%d", i), "B", "hi", time.Now()))
				require.Equal(t, http.StatusOK, res.Status)
			}
			require.Less(t, time.Since(start), 2*time.Second, "ingestion does not wait for the engine")
			archive.waitOK(1)
			require.Eventually(t, func() bool {
				got := e.getJSON(e.adminToken, "/api/v1/rule_engine/")
				s, _ := got["last_error"].(string)
				return got["last_error_at"] != nil && len(s) > 0 && strings.Contains(s, c.want)
			}, 15*time.Second, 20*time.Millisecond)
			// The engine's position moves past every event: the queue is not stuck.
			require.Eventually(t, func() bool {
				return e.count("SELECT count(*) FROM events e, rule_engine r WHERE (e.xid, e.id) > (coalesce(r.cursor_xid, '0'::xid8), r.cursor_id)") == 0
			}, 15*time.Second, 20*time.Millisecond)
			require.Equal(t, 0, e.count("SELECT count(*) FROM chats WHERE assigned_user_id IS NOT NULL OR assigned_group_id IS NOT NULL"))
		})
	}
}

func (e *env) presenter() *httpapi.Presenter { return httpapi.NewPresenter(baseURL, e.accounts) }

func (e *env) ownershipService() *ownership.Service {
	return ownership.New(ownership.Config{Pool: e.pool, Presenter: e.presenter()})
}
