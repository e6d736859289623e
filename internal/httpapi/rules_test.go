package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// createRule creates a rule as the admin and returns it.
func (e *env) createRule(body map[string]any) map[string]any {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/v1/rules/", Token: e.adminToken, Body: body})
	require.Equal(e.t, http.StatusCreated, r.Status, "%s", r.Body)
	return r.JSON(e.t)
}

func TestRuleCRUD(t *testing.T) {
	e := setup(t)
	botID, _ := e.createUser("spambot", "app")
	tag := e.createTag("Agent needed")
	regular := e.groupID("user")

	fresh := e.createRule(map[string]any{"tagged_with": nil, "assign_to_user": botID, "description": "spam filter first", "order": 5})
	require.Equal(t, map[string]any{"id": fresh["id"], "order": float64(5), "tagged_with": nil, "assign_to_user": float64(botID),
		"assign_to_group": nil, "group_assign_method": nil, "description": "spam filter first"}, fresh)
	agents := e.createRule(map[string]any{"tagged_with": tag, "assign_to_group": regular, "group_assign_method": "let_group_decide"})
	require.Equal(t, float64(0), agents["order"])

	// Listed in the order they are tried: order, then id.
	list := results(t, e.do(req{Method: "GET", Path: "/api/v1/rules/", Token: e.adminToken}))
	require.Len(t, list, 2)
	require.Equal(t, agents["id"], list[0]["id"])
	require.Equal(t, fresh["id"], list[1]["id"])
	page := e.do(req{Method: "GET", Path: "/api/v1/rules/?limit=1", Token: e.adminToken}).JSON(t)
	require.Equal(t, float64(2), page["count"])
	require.NotNil(t, page["next"])

	path := "/api/v1/rules/" + itoa(num(agents["id"])) + "/"
	require.Equal(t, agents, e.getJSON(e.adminToken, path))

	// PATCH changes what it carries; PUT replaces everything.
	r := e.do(req{Method: "PATCH", Path: path, Token: e.adminToken, Body: map[string]any{"order": 9, "group_assign_method": "round_robin"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "round_robin", r.JSON(t)["group_assign_method"])
	require.Equal(t, float64(tag), r.JSON(t)["tagged_with"])
	r = e.do(req{Method: "PUT", Path: path, Token: e.adminToken, Body: map[string]any{"assign_to_user": botID}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"id": agents["id"], "order": float64(0), "tagged_with": nil, "assign_to_user": float64(botID),
		"assign_to_group": nil, "group_assign_method": nil, "description": ""}, r.JSON(t))

	// Invalid rules.
	for _, body := range []map[string]any{
		{}, // no target
		{"assign_to_user": botID, "assign_to_group": regular, "group_assign_method": "round_robin"}, // both
		{"assign_to_group": regular},                                    // no method
		{"assign_to_user": botID, "group_assign_method": "round_robin"}, // method without group
		{"assign_to_user": 999999},                                      // unknown user
		{"assign_to_group": 999999, "group_assign_method": "round_robin"},
		{"assign_to_user": botID, "tagged_with": 999999},
		{"assign_to_user": botID, "group_assign_method": "sometimes"},
	} {
		r := e.do(req{Method: "POST", Path: "/api/v1/rules/", Token: e.adminToken, Body: body})
		require.Equal(t, http.StatusBadRequest, r.Status, "%v: %s", body, r.Body)
	}
	r = e.do(req{Method: "PATCH", Path: path, Token: e.adminToken, Body: map[string]any{"assign_to_group": regular}})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)

	// Forms work too.
	raw, ct := multipartBody(t, map[string]string{"assign_to_user": itoa(botID), "order": "3"})
	r = e.do(req{Method: "POST", Path: "/api/v1/rules/", Token: e.adminToken, RawBody: raw, ContentType: ct})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)

	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: path, Token: e.adminToken}).Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "GET", Path: path, Token: e.adminToken}).Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "DELETE", Path: path, Token: e.adminToken}).Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "PATCH", Path: path, Token: e.adminToken, Body: map[string]any{"order": 1}}).Status)

	// Deleting the tag deletes the rules reacting to it.
	e.createRule(map[string]any{"tagged_with": tag, "assign_to_user": botID})
	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: "/api/v1/tags/" + itoa(tag) + "/", Token: e.adminToken}).Status)
	require.Equal(t, 0, e.count("SELECT count(*) FROM rules WHERE tagged_with IS NOT NULL"))
}

func TestRuleEngineConfiguration(t *testing.T) {
	e := setup(t)
	path := "/api/v1/rule_engine/"
	got := e.getJSON(e.adminToken, path)
	require.Equal(t, "default", got["mode"])
	require.Equal(t, float64(5), got["timeout"])

	r := e.do(req{Method: "PUT", Path: path, Token: e.adminToken, Body: map[string]any{
		"mode": "custom", "url": "http://127.0.0.1:9/engine", "headers": map[string]any{"Authorization": "Bearer 0123456789abcdef"}, "timeout": 2.5,
	}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	got = r.JSON(t)
	require.Equal(t, map[string]any{"Authorization": "Bea…(redacted)"}, got["headers"], "header values are never shown back")
	require.Equal(t, 2.5, got["timeout"])
	require.Equal(t, "Bearer 0123456789abcdef", e.storedHeader("Authorization"))

	// Sending the masked value back keeps the stored one; a new value replaces it.
	got["headers"] = map[string]any{"Authorization": "Bea…(redacted)", "X-Extra": "1"}
	r = e.do(req{Method: "PUT", Path: path, Token: e.adminToken, Body: without(got, "last_error", "last_error_at")})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "Bearer 0123456789abcdef", e.storedHeader("Authorization"))
	require.Equal(t, "1", e.storedHeader("X-Extra"))

	for _, body := range []map[string]any{
		{"mode": "custom"}, // no url
		{"mode": "custom", "url": "ftp://example.com/"},
		{"mode": "custom", "url": "https://example.com/", "timeout": 0},
		{"mode": "custom", "url": "https://example.com/", "timeout": 61},
		{"mode": "custom", "url": "https://example.com/", "headers": map[string]any{"Bad Name": "x"}},
		{"mode": "custom", "url": "https://example.com/", "headers": map[string]any{"Host": "x"}},
		{"mode": "sometimes"},
	} {
		r := e.do(req{Method: "PUT", Path: path, Token: e.adminToken, Body: body})
		require.Equal(t, http.StatusBadRequest, r.Status, "%v: %s", body, r.Body)
	}
	r = e.do(req{Method: "PUT", Path: path, Token: e.adminToken, Body: map[string]any{"mode": "default"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "default", r.JSON(t)["mode"])
}

func (e *env) storedHeader(name string) string {
	e.t.Helper()
	var v string
	require.NoError(e.t, e.pool.QueryRow(e.t.Context(), "SELECT headers->>$1 FROM rule_engine", name).Scan(&v))
	return v
}

// TestRulesAuthorization: every rule and rule-engine operation is for
// admins only.
func TestRulesAuthorization(t *testing.T) {
	e := setup(t)
	_, userTok := e.createUser("regular", "user")
	_, appTok := e.createUser("bot", "app")
	botID, _ := e.createUser("bot2", "app")
	rule := e.createRule(map[string]any{"assign_to_user": botID})
	e.inbound(inboundText("wamid.AUTH1", "15550002001", "Auth", "hi", time.Now()))
	rp := "/api/v1/rules/" + itoa(num(rule["id"])) + "/"
	ops := []req{
		{Method: "GET", Path: "/api/v1/rules/"},
		{Method: "POST", Path: "/api/v1/rules/", Body: map[string]any{"assign_to_user": botID}},
		{Method: "GET", Path: rp},
		{Method: "PUT", Path: rp, Body: map[string]any{"assign_to_user": botID}},
		{Method: "PATCH", Path: rp, Body: map[string]any{"order": 1}},
		{Method: "POST", Path: "/api/v1/rules/test/", Body: map[string]any{"message_id": "wamid.AUTH1"}},
		{Method: "GET", Path: "/api/v1/rule_engine/"},
		{Method: "PUT", Path: "/api/v1/rule_engine/", Body: map[string]any{"mode": "default"}},
		{Method: "DELETE", Path: rp},
	}
	for _, op := range ops {
		for _, who := range []struct {
			tok  string
			want int
		}{{userTok, http.StatusForbidden}, {appTok, http.StatusForbidden}, {"", http.StatusForbidden}} {
			op.Token = who.tok
			r := e.do(op)
			require.Equal(t, who.want, r.Status, "%s %s as %q: %s", op.Method, op.Path, who.tok, r.Body)
		}
		op.Token = e.adminToken
		r := e.do(op)
		require.Less(t, r.Status, 300, "%s %s as admin: %s", op.Method, op.Path, r.Body)
	}
}

func TestRulesDryRun(t *testing.T) {
	e := setup(t)
	const chat = "15550002101"
	e.inbound(inboundText("wamid.DRY1", chat, "Dry", "hi", time.Now()))
	botID, _ := e.createUser("spambot", "app")
	a, _ := e.createUser("agenta", "user")
	b, _ := e.createUser("agentb", "user")
	tag := e.createTag("Agent needed")
	other := e.createTag("Other")
	test := func(body map[string]any) map[string]any {
		t.Helper()
		r := e.do(req{Method: "POST", Path: "/api/v1/rules/test/", Token: e.adminToken, Body: body})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		return r.JSON(t)
	}

	got := test(map[string]any{"message_id": "wamid.DRY1"})
	require.Equal(t, false, got["matched"])
	require.Nil(t, got["rule"])
	require.Contains(t, got["reason"], "No rule")

	fresh := e.createRule(map[string]any{"assign_to_user": botID, "order": 1})
	e.createRule(map[string]any{"assign_to_user": a, "order": 2}) // never reached: the first match wins
	g := e.do(req{Method: "POST", Path: "/api/v1/groups/", Token: e.adminToken, Body: map[string]any{"name": "Agents", "members": []int{b, a}}})
	require.Equal(t, http.StatusCreated, g.Status, "%s", g.Body)
	group := num(g.JSON(t)["id"])
	rr := e.createRule(map[string]any{"tagged_with": tag, "assign_to_group": group, "group_assign_method": "round_robin"})

	got = test(map[string]any{"message_id": "wamid.DRY1"})
	require.Equal(t, true, got["matched"])
	require.Equal(t, fresh["id"], got["rule"].(map[string]any)["id"])
	require.Equal(t, map[string]any{"user": float64(botID), "group": nil, "group_assign_method": nil}, got["assignment"])

	got = test(map[string]any{"tag": tag, "chat": chat})
	require.Equal(t, rr["id"], got["rule"].(map[string]any)["id"])
	require.Equal(t, map[string]any{"user": float64(min(a, b)), "group": float64(group), "group_assign_method": "round_robin"}, got["assignment"])
	require.Equal(t, got, test(map[string]any{"tag": tag, "message_id": "wamid.DRY1"}), "the same chat either way")
	require.Equal(t, got, test(map[string]any{"tag": tag, "chat": chat}), "a dry run takes no turn")

	got = test(map[string]any{"tag": other, "chat": chat})
	require.Equal(t, false, got["matched"])

	// Once the chat is assigned, a new message in it is not fresh.
	require.Equal(t, http.StatusOK, e.assign("PATCH", e.adminToken, chat, map[string]any{"assigned_to_user": a}).Status)
	got = test(map[string]any{"message_id": "wamid.DRY1"})
	require.Equal(t, false, got["matched"])
	require.Contains(t, got["reason"], "not fresh")

	// Nothing changed.
	require.Empty(t, e.eventLog("chat_assignment")[1:])
	require.Equal(t, 0, e.count("SELECT count(*) FROM round_robin_state"))

	for _, c := range []struct {
		body map[string]any
		want int
	}{
		{map[string]any{"message_id": "wamid.NOPE"}, http.StatusNotFound},
		{map[string]any{"tag": tag, "chat": "999"}, http.StatusNotFound},
		{map[string]any{"chat": chat}, http.StatusBadRequest},
		{map[string]any{}, http.StatusBadRequest},
	} {
		r := e.do(req{Method: "POST", Path: "/api/v1/rules/test/", Token: e.adminToken, Body: c.body})
		require.Equal(t, c.want, r.Status, "%v: %s", c.body, r.Body)
	}
}
