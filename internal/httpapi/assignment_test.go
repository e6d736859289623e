package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/httpapi"
	"github.com/wamux/wamux/internal/ownership"
)

// assign PATCHes (or PUTs) a chat's assignment.
func (e *env) assign(method, tok, waID string, body map[string]any) resp {
	e.t.Helper()
	return e.do(req{Method: method, Path: "/api/v1/chats/" + waID + "/", Token: tok, Body: body})
}

// assignment is the chat's assignment as the admin sees it: user and group ids or nil.
func (e *env) assignment(waID string) (user, group any) {
	e.t.Helper()
	c := e.do(req{Method: "GET", Path: "/api/v1/chats/" + waID + "/", Token: e.adminToken}).JSON(e.t)
	if u, ok := c["assigned_to_user"].(map[string]any); ok {
		user = u["id"]
	}
	if g, ok := c["assigned_group"].(map[string]any); ok {
		group = g["id"]
	}
	return user, group
}

func TestAssignmentRules(t *testing.T) {
	e := setup(t)
	const chat = "15550000901"
	e.inbound(inboundText("wamid.AS1", chat, "Ass Igned", "help", time.Now()))
	u1, tok1 := e.createUser("alice", "user")
	u2, tok2 := e.createUser("bob", "user")
	regular := e.groupID("user")
	f := func(n int) float64 { return float64(n) }

	// Regular users read only chats assigned to them or their groups.
	r := e.assign("PATCH", tok1, chat, map[string]any{"assigned_to_user": u1})
	require.Equal(t, http.StatusNotFound, r.Status, "a chat the user cannot read: %s", r.Body)
	require.Equal(t, http.StatusForbidden, e.assign("PATCH", "", chat, map[string]any{"assigned_to_user": u1}).Status)

	// An admin hands the chat to the Regular user group (let the group decide).
	r = e.assign("PATCH", e.adminToken, chat, map[string]any{"assigned_group": regular})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"wa_id": chat, "assigned_to_user": nil, "assigned_group": f(regular)}, r.JSON(t))

	// Nobody assigned: a member assigns itself; PATCH keeps the group.
	r = e.assign("PATCH", tok1, chat, map[string]any{"assigned_to_user": u1})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"wa_id": chat, "assigned_to_user": f(u1), "assigned_group": f(regular)}, r.JSON(t))

	// Assigned to someone else: a user may neither take it nor clear it.
	r = e.assign("PATCH", tok2, chat, map[string]any{"assigned_to_user": u2})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Contains(t, r.JSON(t)["detail"], "only an admin")
	r = e.assign("PATCH", tok2, chat, map[string]any{"assigned_to_user": nil})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Contains(t, r.JSON(t)["detail"], "assigned user or an admin")
	user, group := e.assignment(chat)
	require.Equal(t, []any{f(u1), f(regular)}, []any{user, group}, "refused changes change nothing")

	// An admin may reassign.
	r = e.assign("PATCH", e.adminToken, chat, map[string]any{"assigned_to_user": u2})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	// The assignee may clear its own assignment.
	r = e.assign("PATCH", tok2, chat, map[string]any{"assigned_to_user": nil})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Nil(t, r.JSON(t)["assigned_to_user"])

	// PUT: an absent field counts as null (clearing the group needs membership of it).
	r = e.assign("PUT", tok1, chat, map[string]any{"assigned_to_user": u1})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"wa_id": chat, "assigned_to_user": f(u1), "assigned_group": nil}, r.JSON(t))
	require.Equal(t, http.StatusNotFound, e.assign("PATCH", tok2, chat, map[string]any{"assigned_to_user": u2}).Status,
		"bob reads the chat no more")

	// Groups: set only to one's own groups, cleared only by members.
	g := e.do(req{Method: "POST", Path: "/api/v1/groups/", Token: e.adminToken, Body: map[string]any{"name": "Agents", "members": []int{u2}}})
	require.Equal(t, http.StatusCreated, g.Status, "%s", g.Body)
	agents := num(g.JSON(t)["id"])
	r = e.assign("PATCH", tok1, chat, map[string]any{"assigned_group": agents})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Contains(t, r.JSON(t)["detail"], "group you are a member of")
	r = e.assign("PATCH", tok1, chat, map[string]any{"assigned_group": regular})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r = e.assign("PATCH", tok1, chat, map[string]any{"assigned_group": nil})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r = e.assign("PATCH", e.adminToken, chat, map[string]any{"assigned_group": agents})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	r = e.assign("PATCH", tok1, chat, map[string]any{"assigned_group": nil})
	require.Equal(t, http.StatusForbidden, r.Status, "alice is not in Agents")
	r = e.assign("PATCH", tok2, chat, map[string]any{"assigned_group": nil})
	require.Equal(t, http.StatusOK, r.Status, "bob reads it through Agents and may clear it: %s", r.Body)

	// Unknown or inactive assignees are bad fields, for admins too.
	r = e.assign("PATCH", e.adminToken, chat, map[string]any{"assigned_to_user": 999999})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "assigned_to_user")
	r = e.assign("PATCH", e.adminToken, chat, map[string]any{"assigned_group": 999999})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "assigned_group")
	gone, _ := e.createUser("gone", "user")
	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: "/api/v1/users/" + itoa(gone) + "/", Token: e.adminToken}).Status)
	r = e.assign("PATCH", e.adminToken, chat, map[string]any{"assigned_to_user": gone})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "assigned_to_user")
	require.Equal(t, http.StatusNotFound, e.assign("PATCH", e.adminToken, "999", map[string]any{"assigned_to_user": u1}).Status)
	require.Equal(t, http.StatusBadRequest, e.assign("PATCH", e.adminToken, chat, map[string]any{"assigned_to_user": "alice"}).Status)

	// Forms work too.
	r = e.do(req{Method: "PATCH", Path: "/api/v1/chats/" + chat + "/", Token: e.adminToken,
		RawBody: []byte("assigned_group=" + itoa(regular)), ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"wa_id": chat, "assigned_to_user": f(u1), "assigned_group": f(regular)}, r.JSON(t))
	mp, ct := multipartBody(t, map[string]string{"assigned_group": itoa(agents)})
	r = e.do(req{Method: "PATCH", Path: "/api/v1/chats/" + chat + "/", Token: e.adminToken, RawBody: mp, ContentType: ct})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, f(agents), r.JSON(t)["assigned_group"])
	r = e.assign("PATCH", e.adminToken, chat, map[string]any{"assigned_group": nil})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

	// An app user that reads all chats may take an unassigned one.
	botID, bot := e.createUser("bot", "app")
	const fresh = "15550000902"
	e.inbound(inboundText("wamid.AS2", fresh, "Fresh", "hi", time.Now()))
	r = e.assign("PATCH", bot, fresh, map[string]any{"assigned_to_user": botID})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	// A user may assign another user while nobody is assigned (the reference: "yourself or any User").
	const third = "15550000903"
	e.inbound(inboundText("wamid.AS3", third, "Third", "hi", time.Now()))
	r = e.assign("PATCH", bot, third, map[string]any{"assigned_to_user": u1})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)

	// Every change made one event; a request that changes nothing makes none.
	before := e.count("SELECT count(*) FROM chat_assignment_events")
	require.Equal(t, 14, before)
	r = e.assign("PATCH", tok1, third, map[string]any{"assigned_to_user": u1})
	require.Equal(t, http.StatusOK, r.Status)
	r = e.assign("PATCH", tok1, third, map[string]any{})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, before, e.count("SELECT count(*) FROM chat_assignment_events"))
	require.Equal(t, before, len(e.eventLog("chat_assignment")))
}

func TestAssignmentEventsAndLog(t *testing.T) {
	e := setup(t)
	const a, b = "15550001001", "15550001002"
	e.inbound(inboundText("wamid.E1", a, "Ann", "hi", time.Now()))
	e.inbound(inboundText("wamid.E2", b, "Bob", "hi", time.Now()))
	uid, user := e.createUser("carol", "user")
	adminID := e.count("SELECT id FROM users WHERE username = 'admin'")
	regular := e.groupID("user")

	require.Equal(t, http.StatusOK, e.assign("PATCH", e.adminToken, a, map[string]any{"assigned_to_user": uid, "assigned_group": regular}).Status)
	require.Equal(t, http.StatusOK, e.assign("PATCH", user, a, map[string]any{"assigned_to_user": nil}).Status)
	require.Equal(t, http.StatusOK, e.assign("PUT", e.adminToken, b, map[string]any{"assigned_to_user": adminID}).Status)

	list := func(tok, path string) (int, []map[string]any) {
		r := e.do(req{Method: "GET", Path: path, Token: tok})
		require.Equal(t, http.StatusOK, r.Status, "%s: %s", path, r.Body)
		return num(r.JSON(t)["count"]), results(t, r)
	}
	n, evs := list(e.adminToken, "/api/v1/chat_assignment_events/")
	require.Equal(t, 3, n)
	require.Equal(t, []any{b, a, a}, []any{evs[0]["wa_id"], evs[1]["wa_id"], evs[2]["wa_id"]}, "newest first")

	first := evs[2]
	require.Equal(t, float64(uid), first["assigned_to_user_set"].(map[string]any)["id"])
	require.Equal(t, "carol", first["assigned_to_user_set"].(map[string]any)["username"])
	require.Equal(t, false, first["assigned_to_user_was_cleared"])
	require.Equal(t, map[string]any{"id": float64(regular), "name": "Regular user"}, first["assigned_group_set"])
	require.Equal(t, false, first["assigned_group_was_cleared"])
	require.Equal(t, "admin", first["done_by"].(map[string]any)["username"])
	require.Nil(t, first["reason"], "people give no reason")
	require.InDelta(t, float64(time.Now().Unix()), first["timestamp"], 60)

	cleared := evs[1]
	require.Nil(t, cleared["assigned_to_user_set"])
	require.Equal(t, true, cleared["assigned_to_user_was_cleared"])
	require.Nil(t, cleared["assigned_group_set"], "PATCH left the group alone")
	require.Equal(t, false, cleared["assigned_group_was_cleared"])
	require.Equal(t, "carol", cleared["done_by"].(map[string]any)["username"])

	// The event log row of each change is the events endpoint's entry.
	logged := e.eventLog("chat_assignment")
	require.Len(t, logged, 3)
	for i, ev := range logged {
		require.Equal(t, evs[2-i], ev.Payload, "event %d", i)
		require.Equal(t, evs[2-i]["wa_id"], *ev.ChatWaID)
		require.Nil(t, ev.MessageID)
	}

	// Filters.
	_, evs = list(e.adminToken, "/api/v1/chat_assignment_events/?wa_id="+a)
	require.Len(t, evs, 2)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	_, err := e.pool.Exec(t.Context(), `UPDATE chat_assignment_events SET occurred_at = $1::timestamptz + (id - (SELECT min(id) FROM chat_assignment_events)) * interval '10 seconds'`, base)
	require.NoError(t, err)
	_, evs = list(e.adminToken, fmt.Sprintf("/api/v1/chat_assignment_events/?since_time=%d", base.Add(10*time.Second).Unix()))
	require.Len(t, evs, 2, "since_time is inclusive")
	_, evs = list(e.adminToken, fmt.Sprintf("/api/v1/chat_assignment_events/?before_time=%d", base.Add(10*time.Second).Unix()))
	require.Len(t, evs, 1, "before_time is exclusive")
	require.Equal(t, float64(base.Unix()), evs[0]["timestamp"])
	n, evs = list(e.adminToken, "/api/v1/chat_assignment_events/?limit=1&offset=2")
	require.Equal(t, 3, n)
	require.Len(t, evs, 1)

	// Carol reads chat a through her group (and no longer as its assignee); b is hidden from her.
	n, evs = list(user, "/api/v1/chat_assignment_events/")
	require.Equal(t, 2, n)
	for _, ev := range evs {
		require.Equal(t, a, ev["wa_id"])
	}
	n, _ = list(user, "/api/v1/chat_assignment_events/?wa_id="+b)
	require.Equal(t, 0, n)
	require.Equal(t, http.StatusForbidden, e.do(req{Method: "GET", Path: "/api/v1/chat_assignment_events/"}).Status)
}

func TestEngineAssignsThroughTheService(t *testing.T) {
	e := setup(t)
	const chat = "15550001101"
	e.inbound(inboundText("wamid.G1", chat, "Engine", "hi", time.Now()))
	uid, _ := e.createUser("human", "user")
	botID, _ := e.createUser("firstline", "app")
	svc := ownership.New(ownership.Config{Pool: e.pool, Presenter: httpapi.NewPresenter(baseURL, e.accounts)})
	ctx := t.Context()

	// The engine may reassign a chat someone holds: no permission applies to it.
	require.Equal(t, http.StatusOK, e.assign("PATCH", e.adminToken, chat, map[string]any{"assigned_to_user": uid}).Status)
	reason := json.RawMessage(`{"engine": "default", "rule_id": 3}`)
	got, err := svc.Assign(ctx, nil, chat, ownership.AssignmentChange{User: ownership.SetTo(int64(botID)), Group: ownership.Keep()}, reason)
	require.NoError(t, err)
	require.Equal(t, int64(botID), *got.UserID)
	require.NotNil(t, got.Event)
	require.Nil(t, got.Event.DoneBy)

	evs := results(t, e.do(req{Method: "GET", Path: "/api/v1/chat_assignment_events/?wa_id=" + chat, Token: e.adminToken}))
	require.Len(t, evs, 2)
	require.Nil(t, evs[0]["done_by"], "the engine did it")
	require.Equal(t, map[string]any{"engine": "default", "rule_id": float64(3)}, evs[0]["reason"])
	require.Equal(t, "firstline", evs[0]["assigned_to_user_set"].(map[string]any)["username"])
	logged := e.eventLog("chat_assignment")
	require.Equal(t, evs[0], logged[len(logged)-1].Payload)

	// let_group_decide: the group only.
	got, err = svc.Assign(ctx, nil, chat, ownership.AssignmentChange{User: ownership.Clear(), Group: ownership.SetTo(int64(e.groupID("user")))},
		json.RawMessage(`{"engine": "custom", "latency_ms": 12, "answer": {"group": 2}}`))
	require.NoError(t, err)
	require.Nil(t, got.UserID)
	require.Equal(t, int64(e.groupID("user")), *got.GroupID)

	// Nothing to change: no event.
	got, err = svc.Assign(ctx, nil, chat, ownership.AssignmentChange{User: ownership.Clear()}, reason)
	require.NoError(t, err)
	require.Nil(t, got.Event)

	// The answer to a fresh message does not overwrite whoever took the
	// chat meanwhile: the chat has a group now, so nothing changes.
	got, err = svc.Assign(ctx, nil, chat, ownership.AssignmentChange{User: ownership.SetTo(int64(botID)), OnlyIfUnassigned: true}, reason)
	require.NoError(t, err)
	require.Nil(t, got.Event)
	require.Nil(t, got.UserID)
	require.Equal(t, int64(e.groupID("user")), *got.GroupID)

	// Bad input is still refused.
	_, err = svc.Assign(ctx, nil, chat, ownership.AssignmentChange{User: ownership.SetTo(999999)}, reason)
	require.True(t, errors.Is(err, apperr.ErrInvalid), "%v", err)
	_, err = svc.Assign(ctx, nil, "999", ownership.AssignmentChange{User: ownership.SetTo(int64(botID))}, reason)
	require.True(t, errors.Is(err, apperr.ErrNotFound), "%v", err)
	_, err = svc.Assign(ctx, nil, chat, ownership.AssignmentChange{User: ownership.SetTo(int64(botID))}, json.RawMessage(`{"rule_id": 3}`))
	require.Error(t, err, "a reason names its engine")
	require.Len(t, e.eventLog("chat_assignment"), 3)
}
