package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The authorization matrix of issue #6: every tag, tagging, assignment,
// rule and rule-engine operation against every kind of caller, and the
// permission filtering of the events lists. Every expected status is
// written out in the tables; none is derived from rules the server also
// implements. Where they come from:
//
//   - No credentials: 403 {"detail": "Authentication credentials were not
//     provided."} (the reference, Authentication: "HTTP/1.1 403 Forbidden");
//     an unknown token: 401 {"detail": "Invalid token."} (openapi.yaml,
//     Authentication).
//   - Tags: list and retrieve for any authenticated user, create with
//     can_use_tags, update and delete for admins only (openapi.yaml "Who may
//     call it", role admin whatever the user's permissions).
//   - Taggings: create and delete need can_use_tags (else 403) and read
//     access to the chat; retrieve needs read access; a chat the caller
//     cannot read answers 404, as a missing one ("nobody tags what they
//     cannot read", issue #6).
//   - Assignment (the reference, Chats): "You can only assign a Chat to a
//     User when nobody is assigned or if you are in the Admin group. You can
//     remove Chat assignment by passing null value, but you can only remove
//     Chat assignment if the Chat is assigned to you or you are in the Admin
//     group." "By default, they can assign themselves to the Chat they have
//     read access to." Groups (openapi.yaml): assigning a group needs
//     membership of it, removing it membership of the assigned group
//     (admins: any); a chat the caller cannot read answers 404.
//   - Rules and the rule engine: admins only.
//   - Events lists: any authenticated user, limited to the chats the caller
//     can read (can_read_chats all | group | assigned | none), `count`
//     included.

// The callers. Phase A keeps the role groups' default permissions
// (Regular user: tags, read group, write assigned; App integration: tags,
// read all, write assigned). Phase B lowers the Regular user group to
// nothing, so that the own settings of the variant users (all regular
// users) are their effective permissions, the most permissive of user and
// groups.
const (
	cAdmin     = "admin"
	cUser      = "user"
	cApp       = "app"
	cAnonymous = "anonymous"
	cBadToken  = "unknown-token"
	cPeer      = "peer" // a second regular user, the "someone else" of assignments
	// Phase B variants: regular users with their own settings.
	cReadAll      = "user-read-all" // the widest settings there are: still no admin
	cReadGroup    = "user-read-group"
	cReadAssigned = "user-read-assigned"
	cReadNone     = "user-read-none"
	cNoTags       = "user-no-tags" // reads all, may not use tags
)

// unknownToken is well formed but was never issued.
const unknownToken = "0123456789abcdef0123456789abcdef01234567"

// variantSettings are the own permission settings of the phase B users.
var variantSettings = map[string]map[string]any{
	cReadAll:      {"can_use_tags": true, "can_read_chats": "all", "can_write_to_chats": "all"},
	cReadGroup:    {"can_use_tags": true, "can_read_chats": "group", "can_write_to_chats": "assigned"},
	cReadAssigned: {"can_use_tags": true, "can_read_chats": "assigned", "can_write_to_chats": "assigned"},
	cReadNone:     {"can_use_tags": true, "can_read_chats": "none", "can_write_to_chats": "none"},
	cNoTags:       {"can_use_tags": false, "can_read_chats": "all", "can_write_to_chats": "assigned"},
}

// matrix is one test's callers: tokens and user ids by caller name.
type matrix struct {
	e      *env
	tokens map[string]string
	ids    map[string]int
}

// newMatrix creates the admin, a regular user, an app user, the
// anonymous and unknown-token callers, and the given others (cPeer and
// phase B variants).
func newMatrix(e *env, others ...string) *matrix {
	e.t.Helper()
	m := &matrix{e: e, tokens: map[string]string{cAdmin: e.adminToken, cAnonymous: "", cBadToken: unknownToken}, ids: map[string]int{}}
	m.ids[cAdmin] = e.count("SELECT id FROM users WHERE username = 'admin'")
	for _, who := range append([]string{cUser, cApp}, others...) {
		role := "user"
		if who == cApp {
			role = "app"
		}
		m.ids[who], m.tokens[who] = e.createUser("mx"+strings.ReplaceAll(who, "-", ""), role)
		if s, ok := variantSettings[who]; ok {
			r := e.do(req{Method: "PATCH", Path: "/api/v1/users/" + itoa(m.ids[who]) + "/", Token: e.adminToken,
				Body: map[string]any{"permissions": s}})
			require.Equal(e.t, http.StatusOK, r.Status, "%s", r.Body)
		}
	}
	return m
}

// enterPhaseB lowers the Regular user group to no permission at all and
// checks that each variant's effective permissions are now its own
// settings.
func (m *matrix) enterPhaseB(variants ...string) {
	m.e.t.Helper()
	m.e.setGroupPermissions(m.e.groupID("user"), false, "none", "none")
	for _, v := range variants {
		got := m.e.getJSON(m.tokens[v], "/api/v1/users/current/")["permissions"]
		require.Equal(m.e.t, variantSettings[v], got, "%s's effective permissions", v)
	}
	got := m.e.getJSON(m.tokens[cUser], "/api/v1/users/current/")["permissions"]
	require.Equal(m.e.t, map[string]any{"can_use_tags": false, "can_read_chats": "none", "can_write_to_chats": "none"}, got)
}

// sub is e bound to a subtest, so that a failing request fails its row
// only.
func (e *env) sub(t *testing.T) *env {
	return &env{t: t, pool: e.pool, srv: e.srv, accounts: e.accounts, adminToken: e.adminToken, inbox: e.inbox,
		media: e.media, rules: e.rules, provider: e.provider, providerCalls: e.providerCalls}
}

// requireAnswer checks a row's status, and that a refusal says why in the
// reference's words where it has them.
func requireAnswer(t *testing.T, caller string, r resp, want int) {
	t.Helper()
	require.Equal(t, want, r.Status, "%s: %s", caller, r.Body)
	switch {
	case want == http.StatusUnauthorized:
		require.Equal(t, "Invalid token.", r.JSON(t)["detail"])
	case want == http.StatusForbidden && caller == cAnonymous:
		require.Equal(t, "Authentication credentials were not provided.", r.JSON(t)["detail"])
	case want == http.StatusForbidden, want == http.StatusNotFound:
		require.NotEmpty(t, r.JSON(t)["detail"], "a refusal says why")
	}
}

// matrixChats are the chats of the tagging and events matrices, each with
// one message: one assigned to each caller that can own one, one assigned
// to the Regular user group only, a free one (nobody assigned) and one
// assigned to the peer.
type matrixChats struct {
	own                map[string]string // caller -> wa_id
	group, free, other string
	wamid              map[string]string // wa_id -> its message
	n                  int
}

func (m *matrix) newChat(c *matrixChats) string {
	m.e.t.Helper()
	c.n++
	waID, wamid := fmt.Sprintf("1555770%04d", c.n), fmt.Sprintf("wamid.MX%d", c.n)
	require.Equal(m.e.t, http.StatusOK, m.e.inbound(inboundText(wamid, waID, "Matrix", "hi", time.Now())).Status)
	c.wamid[waID] = wamid
	return waID
}

func (m *matrix) adminAssign(waID string, body map[string]any) {
	m.e.t.Helper()
	r := m.e.assign("PATCH", m.e.adminToken, waID, body)
	require.Equal(m.e.t, http.StatusOK, r.Status, "%s", r.Body)
}

func (m *matrix) newChats(owners ...string) *matrixChats {
	m.e.t.Helper()
	c := &matrixChats{own: map[string]string{}, wamid: map[string]string{}}
	for _, who := range owners {
		c.own[who] = m.newChat(c)
		m.adminAssign(c.own[who], map[string]any{"assigned_to_user": m.ids[who]})
	}
	c.group = m.newChat(c)
	m.adminAssign(c.group, map[string]any{"assigned_group": m.e.groupID("user")})
	c.free = m.newChat(c)
	c.other = m.newChat(c)
	m.adminAssign(c.other, map[string]any{"assigned_to_user": m.ids[cPeer]})
	return c
}

// columns are the chats of a tagging row, as seen by a caller.
var columns = [4]string{"own", "group", "free", "other"}

func (c *matrixChats) column(caller string, i int) string {
	switch i {
	case 0:
		if own, ok := c.own[caller]; ok {
			return own
		}
		return c.own[cAdmin] // anonymous callers own nothing
	case 1:
		return c.group
	case 2:
		return c.free
	}
	return c.other
}

var (
	phaseA = []string{cAdmin, cUser, cApp, cAnonymous, cBadToken}
	phaseB = []string{cReadAll, cReadGroup, cReadAssigned, cReadNone, cNoTags}
)

func TestAuthzMatrixTagsAndTaggings(t *testing.T) {
	e := setup(t)
	m := newMatrix(e, cPeer, cReadAll, cReadGroup, cReadAssigned, cReadNone, cNoTags)
	chats := m.newChats(cAdmin, cUser, cApp, cReadAll, cReadGroup, cReadAssigned, cReadNone, cNoTags)

	// Fixtures: a tag to read and change, a tag for the taggings rows, and
	// one message tagging and one chat tagging in every chat to read.
	fixed := e.createTag("Fixed")
	matrixTag := e.createTag("Matrix")
	msgFixture, chatFixture := e.createTag("Message fixture"), e.createTag("Chat fixture")
	mt, ct := map[string]int{}, map[string]int{}
	for waID, wamid := range chats.wamid {
		r := e.tagMessage(e.adminToken, msgFixture, wamid, nil)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		mt[waID] = num(r.JSON(t)["id"])
		r = e.tagChat(e.adminToken, chatFixture, waID, nil)
		require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
		ct[waID] = num(r.JSON(t)["id"])
	}
	fixedPath := "/api/v1/tags/" + itoa(fixed) + "/"
	taggingsOf := func(se *env) int {
		return se.count("SELECT (SELECT count(*) FROM message_taggings WHERE tag_id = $1) + (SELECT count(*) FROM chat_taggings WHERE tag_id = $1)", matrixTag)
	}

	// Operations that do not depend on a chat: want is by caller.
	tagOps := []struct {
		name string
		do   func(se *env, who, tok string) resp
		want map[string]int
	}{
		{"list tags", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: "/api/v1/tags/", Token: tok})
		}, map[string]int{cAdmin: 200, cUser: 200, cApp: 200, cAnonymous: 403, cBadToken: 401,
			cReadAll: 200, cReadGroup: 200, cReadAssigned: 200, cReadNone: 200, cNoTags: 200}},
		{"create tag", func(se *env, who, tok string) resp {
			r := se.do(req{Method: "POST", Path: "/api/v1/tags/", Token: tok, Body: map[string]any{"name": "by " + who}})
			if r.Status != http.StatusCreated {
				require.Zero(se.t, se.count("SELECT count(*) FROM tags WHERE name = $1", "by "+who), "a refused create creates nothing")
			}
			return r
		}, map[string]int{cAdmin: 201, cUser: 201, cApp: 201, cAnonymous: 403, cBadToken: 401,
			cReadAll: 201, cReadGroup: 201, cReadAssigned: 201, cReadNone: 201, cNoTags: 403}},
		{"retrieve tag", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: fixedPath, Token: tok})
		}, map[string]int{cAdmin: 200, cUser: 200, cApp: 200, cAnonymous: 403, cBadToken: 401,
			cReadAll: 200, cReadGroup: 200, cReadAssigned: 200, cReadNone: 200, cNoTags: 200}},
		{"update tag", func(se *env, who, tok string) resp {
			r := se.do(req{Method: "PUT", Path: fixedPath, Token: tok, Body: map[string]any{"name": "put by " + who}})
			if r.Status != http.StatusOK {
				require.NotEqual(se.t, "put by "+who, se.getJSON(se.adminToken, fixedPath)["name"], "a refused update changes nothing")
			}
			return r
		}, map[string]int{cAdmin: 200, cUser: 403, cApp: 403, cAnonymous: 403, cBadToken: 401,
			cReadAll: 403, cReadGroup: 403, cReadAssigned: 403, cReadNone: 403, cNoTags: 403}},
		{"partial update tag", func(se *env, who, tok string) resp {
			r := se.do(req{Method: "PATCH", Path: fixedPath, Token: tok, Body: map[string]any{"name": "patched by " + who}})
			if r.Status != http.StatusOK {
				require.NotEqual(se.t, "patched by "+who, se.getJSON(se.adminToken, fixedPath)["name"], "a refused update changes nothing")
			}
			return r
		}, map[string]int{cAdmin: 200, cUser: 403, cApp: 403, cAnonymous: 403, cBadToken: 401,
			cReadAll: 403, cReadGroup: 403, cReadAssigned: 403, cReadNone: 403, cNoTags: 403}},
		{"delete tag", func(se *env, who, tok string) resp {
			path := "/api/v1/tags/" + itoa(se.createTag("doomed for "+who)) + "/"
			r := se.do(req{Method: "DELETE", Path: path, Token: tok})
			want := http.StatusOK // still there after a refusal
			if r.Status == http.StatusNoContent {
				want = http.StatusNotFound
			}
			require.Equal(se.t, want, se.do(req{Method: "GET", Path: path, Token: se.adminToken}).Status)
			return r
		}, map[string]int{cAdmin: 204, cUser: 403, cApp: 403, cAnonymous: 403, cBadToken: 401,
			cReadAll: 403, cReadGroup: 403, cReadAssigned: 403, cReadNone: 403, cNoTags: 403}},
		{"list message tagging events", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: "/api/v1/message_tagging_events/", Token: tok})
		}, map[string]int{cAdmin: 200, cUser: 200, cApp: 200, cAnonymous: 403, cBadToken: 401,
			cReadAll: 200, cReadGroup: 200, cReadAssigned: 200, cReadNone: 200, cNoTags: 200}},
		{"list chat tagging events", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: "/api/v1/chat_tagging_events/", Token: tok})
		}, map[string]int{cAdmin: 200, cUser: 200, cApp: 200, cAnonymous: 403, cBadToken: 401,
			cReadAll: 200, cReadGroup: 200, cReadAssigned: 200, cReadNone: 200, cNoTags: 200}},
		{"list chat assignment events", func(se *env, _, tok string) resp {
			return se.do(req{Method: "GET", Path: "/api/v1/chat_assignment_events/", Token: tok})
		}, map[string]int{cAdmin: 200, cUser: 200, cApp: 200, cAnonymous: 403, cBadToken: 401,
			cReadAll: 200, cReadGroup: 200, cReadAssigned: 200, cReadNone: 200, cNoTags: 200}},
	}

	// Operations on a chat's taggings: want is by caller, then by column
	// (the caller's own chat, the Regular user group's chat, a free chat,
	// the peer's chat).
	type perChat = [4]int
	taggingOps := []struct {
		name string
		do   func(se *env, tok, waID string) resp
		want map[string]perChat
	}{
		{"create message tagging", func(se *env, tok, waID string) resp {
			r := se.tagMessage(tok, matrixTag, chats.wamid[waID], map[string]any{"by": "matrix"})
			if r.Status == http.StatusCreated {
				require.Equal(se.t, chats.wamid[waID], r.JSON(se.t)["message"])
				d := se.do(req{Method: "DELETE", Path: "/api/v1/message_taggings/" + itoa(num(r.JSON(se.t)["id"])) + "/", Token: se.adminToken})
				require.Equal(se.t, http.StatusNoContent, d.Status, "cleanup: %s", d.Body)
			}
			require.Zero(se.t, taggingsOf(se), "a refused tagging tags nothing")
			return r
		}, map[string]perChat{
			cAdmin: {201, 201, 201, 201}, cUser: {201, 201, 404, 404}, cApp: {201, 201, 201, 201},
			cAnonymous: {403, 403, 403, 403}, cBadToken: {401, 401, 401, 401},
			cReadAll: {201, 201, 201, 201}, cReadGroup: {201, 201, 404, 404}, cReadAssigned: {201, 404, 404, 404},
			cReadNone: {404, 404, 404, 404}, cNoTags: {403, 403, 403, 403},
		}},
		{"create chat tagging", func(se *env, tok, waID string) resp {
			r := se.tagChat(tok, matrixTag, waID, nil)
			if r.Status == http.StatusCreated {
				require.Equal(se.t, waID, r.JSON(se.t)["chat"])
				d := se.do(req{Method: "DELETE", Path: "/api/v1/chat_taggings/" + itoa(num(r.JSON(se.t)["id"])) + "/", Token: se.adminToken})
				require.Equal(se.t, http.StatusNoContent, d.Status, "cleanup: %s", d.Body)
			}
			require.Zero(se.t, taggingsOf(se), "a refused tagging tags nothing")
			return r
		}, map[string]perChat{
			cAdmin: {201, 201, 201, 201}, cUser: {201, 201, 404, 404}, cApp: {201, 201, 201, 201},
			cAnonymous: {403, 403, 403, 403}, cBadToken: {401, 401, 401, 401},
			cReadAll: {201, 201, 201, 201}, cReadGroup: {201, 201, 404, 404}, cReadAssigned: {201, 404, 404, 404},
			cReadNone: {404, 404, 404, 404}, cNoTags: {403, 403, 403, 403},
		}},
		{"retrieve message tagging", func(se *env, tok, waID string) resp {
			r := se.do(req{Method: "GET", Path: "/api/v1/message_taggings/" + itoa(mt[waID]) + "/", Token: tok})
			if r.Status == http.StatusOK {
				require.Equal(se.t, chats.wamid[waID], r.JSON(se.t)["message"])
			}
			return r
		}, map[string]perChat{
			cAdmin: {200, 200, 200, 200}, cUser: {200, 200, 404, 404}, cApp: {200, 200, 200, 200},
			cAnonymous: {403, 403, 403, 403}, cBadToken: {401, 401, 401, 401},
			cReadAll: {200, 200, 200, 200}, cReadGroup: {200, 200, 404, 404}, cReadAssigned: {200, 404, 404, 404},
			cReadNone: {404, 404, 404, 404}, cNoTags: {200, 200, 200, 200},
		}},
		{"retrieve chat tagging", func(se *env, tok, waID string) resp {
			r := se.do(req{Method: "GET", Path: "/api/v1/chat_taggings/" + itoa(ct[waID]) + "/", Token: tok})
			if r.Status == http.StatusOK {
				require.Equal(se.t, waID, r.JSON(se.t)["chat"])
			}
			return r
		}, map[string]perChat{
			cAdmin: {200, 200, 200, 200}, cUser: {200, 200, 404, 404}, cApp: {200, 200, 200, 200},
			cAnonymous: {403, 403, 403, 403}, cBadToken: {401, 401, 401, 401},
			cReadAll: {200, 200, 200, 200}, cReadGroup: {200, 200, 404, 404}, cReadAssigned: {200, 404, 404, 404},
			cReadNone: {404, 404, 404, 404}, cNoTags: {200, 200, 200, 200},
		}},
		{"delete message tagging", func(se *env, tok, waID string) resp {
			c := se.tagMessage(se.adminToken, matrixTag, chats.wamid[waID], nil)
			require.Equal(se.t, http.StatusCreated, c.Status, "%s", c.Body)
			path := "/api/v1/message_taggings/" + itoa(num(c.JSON(se.t)["id"])) + "/"
			r := se.do(req{Method: "DELETE", Path: path, Token: tok})
			if r.Status != http.StatusNoContent {
				require.Equal(se.t, http.StatusOK, se.do(req{Method: "GET", Path: path, Token: se.adminToken}).Status, "a refused delete deletes nothing")
				require.Equal(se.t, http.StatusNoContent, se.do(req{Method: "DELETE", Path: path, Token: se.adminToken}).Status, "cleanup")
			}
			require.Zero(se.t, taggingsOf(se), "gone, with the chat tagging it made")
			return r
		}, map[string]perChat{
			cAdmin: {204, 204, 204, 204}, cUser: {204, 204, 404, 404}, cApp: {204, 204, 204, 204},
			cAnonymous: {403, 403, 403, 403}, cBadToken: {401, 401, 401, 401},
			cReadAll: {204, 204, 204, 204}, cReadGroup: {204, 204, 404, 404}, cReadAssigned: {204, 404, 404, 404},
			cReadNone: {404, 404, 404, 404}, cNoTags: {403, 403, 403, 403},
		}},
		{"delete chat tagging", func(se *env, tok, waID string) resp {
			c := se.tagChat(se.adminToken, matrixTag, waID, nil)
			require.Equal(se.t, http.StatusCreated, c.Status, "%s", c.Body)
			path := "/api/v1/chat_taggings/" + itoa(num(c.JSON(se.t)["id"])) + "/"
			r := se.do(req{Method: "DELETE", Path: path, Token: tok})
			if r.Status != http.StatusNoContent {
				require.Equal(se.t, http.StatusOK, se.do(req{Method: "GET", Path: path, Token: se.adminToken}).Status, "a refused delete deletes nothing")
				require.Equal(se.t, http.StatusNoContent, se.do(req{Method: "DELETE", Path: path, Token: se.adminToken}).Status, "cleanup")
			}
			require.Zero(se.t, taggingsOf(se))
			return r
		}, map[string]perChat{
			cAdmin: {204, 204, 204, 204}, cUser: {204, 204, 404, 404}, cApp: {204, 204, 204, 204},
			cAnonymous: {403, 403, 403, 403}, cBadToken: {401, 401, 401, 401},
			cReadAll: {204, 204, 204, 204}, cReadGroup: {204, 204, 404, 404}, cReadAssigned: {204, 404, 404, 404},
			cReadNone: {404, 404, 404, 404}, cNoTags: {403, 403, 403, 403},
		}},
	}

	for _, phase := range [][]string{phaseA, phaseB} {
		if phase[0] == phaseB[0] {
			m.enterPhaseB(phaseB...)
		}
		for _, op := range tagOps {
			for _, who := range phase {
				want, ok := op.want[who]
				require.True(t, ok, "%s has no expectation for %s", op.name, who)
				t.Run(op.name+"/"+who, func(t *testing.T) {
					requireAnswer(t, who, op.do(e.sub(t), who, m.tokens[who]), want)
				})
			}
		}
		for _, op := range taggingOps {
			for _, who := range phase {
				wants, ok := op.want[who]
				require.True(t, ok, "%s has no expectation for %s", op.name, who)
				for i, col := range columns {
					t.Run(op.name+"/"+who+"/"+col, func(t *testing.T) {
						requireAnswer(t, who, op.do(e.sub(t), m.tokens[who], chats.column(who, i)), wants[i])
					})
				}
			}
		}
	}
}

// chatState is a chat's assignment by name: "" is nobody (no group),
// "self" the caller; groups are "regular" (the Regular user group) and
// "agents" (a group whose only member is the peer).
type chatState struct{ user, group string }

func (s chatState) String() string {
	name := func(v string) string {
		if v == "" {
			return "nobody"
		}
		return v
	}
	return "user=" + name(s.user) + ",group=" + name(s.group)
}

func TestAuthzMatrixAssignment(t *testing.T) {
	e := setup(t)
	m := newMatrix(e, cPeer, cReadAll, cReadAssigned, cReadNone)
	g := e.do(req{Method: "POST", Path: "/api/v1/groups/", Token: e.adminToken, Body: map[string]any{"name": "Agents", "members": []int{m.ids[cPeer]}}})
	require.Equal(t, http.StatusCreated, g.Status, "%s", g.Body)
	groups := map[string]int{"regular": e.groupID("user"), "agents": num(g.JSON(t)["id"])}
	const chat = "15557800001"
	require.Equal(t, http.StatusOK, e.inbound(inboundText("wamid.MXA1", chat, "Assign", "hi", time.Now())).Status)

	var (
		nobody     = chatState{}
		inRegular  = chatState{group: "regular"}
		peersInReg = chatState{user: "peer", group: "regular"}
		peers      = chatState{user: "peer"}
		mine       = chatState{user: "self"}
		inAgents   = chatState{group: "agents"}
	)
	set := func(field, v string) map[string]string { return map[string]string{field: v} }
	type row struct {
		caller string
		before chatState
		method string
		body   map[string]string // field -> user or group name; "null" clears
		want   int
		after  chatState // when want is 200; a refusal leaves before
	}
	phaseARows := []row{
		// Taking a free chat: whoever can read it (the reference: by default users
		// may assign themselves to chats they can read).
		{cAdmin, nobody, "PATCH", set("assigned_to_user", "self"), 200, mine},
		{cUser, nobody, "PATCH", set("assigned_to_user", "self"), 404, nobody}, // reads group chats only
		{cApp, nobody, "PATCH", set("assigned_to_user", "self"), 200, mine},
		{cAnonymous, nobody, "PATCH", set("assigned_to_user", "peer"), 403, nobody},
		{cBadToken, nobody, "PATCH", set("assigned_to_user", "peer"), 401, nobody},
		// A chat of one's group with nobody assigned.
		{cAdmin, inRegular, "PATCH", set("assigned_to_user", "self"), 200, chatState{"self", "regular"}},
		{cUser, inRegular, "PATCH", set("assigned_to_user", "self"), 200, chatState{"self", "regular"}},
		{cApp, inRegular, "PATCH", set("assigned_to_user", "self"), 200, chatState{"self", "regular"}},
		{cAnonymous, inRegular, "PATCH", set("assigned_to_user", "peer"), 403, inRegular},
		{cBadToken, inRegular, "PATCH", set("assigned_to_user", "peer"), 401, inRegular},
		// "Assign a Chat to yourself or any User": another user, while nobody is assigned.
		{cUser, inRegular, "PATCH", set("assigned_to_user", "peer"), 200, peersInReg},
		{cApp, inRegular, "PATCH", set("assigned_to_user", "peer"), 200, peersInReg},
		// Assigned to someone else: only an admin reassigns.
		{cAdmin, peersInReg, "PATCH", set("assigned_to_user", "self"), 200, chatState{"self", "regular"}},
		{cUser, peersInReg, "PATCH", set("assigned_to_user", "self"), 403, peersInReg},
		{cApp, peersInReg, "PATCH", set("assigned_to_user", "self"), 403, peersInReg},
		{cAnonymous, peersInReg, "PATCH", set("assigned_to_user", "peer"), 403, peersInReg},
		{cBadToken, peersInReg, "PATCH", set("assigned_to_user", "peer"), 401, peersInReg},
		{cUser, peers, "PATCH", set("assigned_to_user", "self"), 404, peers}, // and the user cannot even read it
		{cApp, peers, "PATCH", set("assigned_to_user", "self"), 403, peers},
		{cAdmin, peers, "PATCH", set("assigned_to_user", "self"), 200, mine},
		// Assigned to oneself: reassigning is still not "nobody is assigned".
		{cUser, mine, "PATCH", set("assigned_to_user", "peer"), 403, mine},
		{cApp, mine, "PATCH", set("assigned_to_user", "peer"), 403, mine},
		{cAdmin, mine, "PATCH", set("assigned_to_user", "peer"), 200, peers},
		// Clearing the user: the assigned user or an admin.
		{cPeer, peersInReg, "PATCH", set("assigned_to_user", "null"), 200, inRegular},
		{cAdmin, peersInReg, "PATCH", set("assigned_to_user", "null"), 200, inRegular},
		{cUser, peersInReg, "PATCH", set("assigned_to_user", "null"), 403, peersInReg},
		{cApp, peersInReg, "PATCH", set("assigned_to_user", "null"), 403, peersInReg},
		{cAnonymous, peersInReg, "PATCH", set("assigned_to_user", "null"), 403, peersInReg},
		{cBadToken, peersInReg, "PATCH", set("assigned_to_user", "null"), 401, peersInReg},
		{cUser, mine, "PATCH", set("assigned_to_user", "null"), 200, nobody},
		{cApp, mine, "PATCH", set("assigned_to_user", "null"), 200, nobody},
		{cAdmin, mine, "PATCH", set("assigned_to_user", "null"), 200, nobody},
		// PUT: an absent field counts as null.
		{cAdmin, nobody, "PUT", set("assigned_to_user", "self"), 200, mine},
		{cApp, nobody, "PUT", set("assigned_to_user", "self"), 200, mine},
		{cUser, nobody, "PUT", set("assigned_to_user", "self"), 404, nobody},
		{cUser, inRegular, "PUT", set("assigned_to_user", "self"), 200, mine}, // a member may clear its group
		{cApp, inRegular, "PUT", set("assigned_to_user", "self"), 403, inRegular},
		{cAdmin, inRegular, "PUT", set("assigned_to_user", "self"), 200, mine},
		{cAnonymous, inRegular, "PUT", set("assigned_to_user", "peer"), 403, inRegular},
		{cBadToken, inRegular, "PUT", set("assigned_to_user", "peer"), 401, inRegular},
		// Groups: set only to one's own groups, cleared only by members (admins: any).
		{cAdmin, nobody, "PATCH", set("assigned_group", "regular"), 200, inRegular},
		{cApp, nobody, "PATCH", set("assigned_group", "regular"), 403, nobody},
		{cUser, nobody, "PATCH", set("assigned_group", "regular"), 404, nobody},
		{cAnonymous, nobody, "PATCH", set("assigned_group", "regular"), 403, nobody},
		{cBadToken, nobody, "PATCH", set("assigned_group", "regular"), 401, nobody},
		{cPeer, inRegular, "PATCH", set("assigned_group", "agents"), 200, inAgents},
		{cUser, inRegular, "PATCH", set("assigned_group", "agents"), 403, inRegular},
		{cApp, inRegular, "PATCH", set("assigned_group", "agents"), 403, inRegular},
		{cAdmin, inRegular, "PATCH", set("assigned_group", "agents"), 200, inAgents},
		{cUser, inRegular, "PATCH", set("assigned_group", "null"), 200, nobody},
		{cApp, inRegular, "PATCH", set("assigned_group", "null"), 403, inRegular},
		{cAdmin, inRegular, "PATCH", set("assigned_group", "null"), 200, nobody},
		{cPeer, inAgents, "PATCH", set("assigned_group", "null"), 200, nobody},
		{cUser, inAgents, "PATCH", set("assigned_group", "null"), 404, inAgents}, // not a member: cannot read it
		{cApp, inAgents, "PATCH", set("assigned_group", "null"), 403, inAgents},
		{cAdmin, inAgents, "PATCH", set("assigned_group", "null"), 200, nobody},
	}
	// Phase B: the variants' own read settings decide what they may assign.
	phaseBRows := []row{
		{cReadAll, nobody, "PATCH", set("assigned_to_user", "self"), 200, mine},
		{cReadAssigned, nobody, "PATCH", set("assigned_to_user", "self"), 404, nobody},
		{cReadNone, nobody, "PATCH", set("assigned_to_user", "self"), 404, nobody},
		{cReadAll, inRegular, "PATCH", set("assigned_to_user", "self"), 200, chatState{"self", "regular"}},
		{cReadAssigned, inRegular, "PATCH", set("assigned_to_user", "self"), 404, inRegular},
		{cReadNone, inRegular, "PATCH", set("assigned_to_user", "self"), 404, inRegular},
		{cReadAll, peers, "PATCH", set("assigned_to_user", "self"), 403, peers},
		{cReadAssigned, peers, "PATCH", set("assigned_to_user", "self"), 404, peers},
		{cReadAll, mine, "PATCH", set("assigned_to_user", "null"), 200, nobody},
		{cReadAssigned, mine, "PATCH", set("assigned_to_user", "null"), 200, nobody},
		{cReadNone, mine, "PATCH", set("assigned_to_user", "null"), 404, mine}, // cannot read even its own chat
		{cUser, mine, "PATCH", set("assigned_to_user", "null"), 404, mine},     // the Regular user group reads nothing now
		{cReadAll, nobody, "PATCH", set("assigned_group", "regular"), 200, inRegular},
		{cReadAll, inAgents, "PATCH", set("assigned_group", "null"), 403, inAgents},
	}

	resolve := func(caller, v string, isGroup bool) any {
		switch {
		case v == "" || v == "null":
			return nil
		case isGroup:
			return groups[v]
		case v == "self":
			return m.ids[caller]
		}
		id, ok := m.ids[v]
		require.True(t, ok, "no user %q", v)
		return id
	}
	// state returns the assignment as the admin's view of the chat shows it.
	state := func(caller string, s chatState) (user, group any) {
		if u := resolve(caller, s.user, false); u != nil {
			user = float64(u.(int))
		}
		if g := resolve(caller, s.group, true); g != nil {
			group = float64(g.(int))
		}
		return user, group
	}
	run := func(rows []row) {
		for _, r := range rows {
			fields := []string{}
			for f, v := range r.body {
				fields = append(fields, f+"="+v)
			}
			name := fmt.Sprintf("%s %s on %s by %s", r.method, strings.Join(fields, ","), r.before, r.caller)
			t.Run(name, func(t *testing.T) {
				se := e.sub(t)
				u, g := resolve(r.caller, r.before.user, false), resolve(r.caller, r.before.group, true)
				se.exec("UPDATE chats SET assigned_user_id = $1, assigned_group_id = $2 WHERE wa_id = $3", u, g, chat)
				body := map[string]any{}
				for f, v := range r.body {
					body[f] = resolve(r.caller, v, f == "assigned_group")
				}
				res := se.assign(r.method, m.tokens[r.caller], chat, body)
				requireAnswer(t, r.caller, res, r.want)
				after := r.before
				if r.want == http.StatusOK {
					after = r.after
					wantUser, wantGroup := state(r.caller, after)
					require.Equal(t, map[string]any{"wa_id": chat, "assigned_to_user": wantUser, "assigned_group": wantGroup}, res.JSON(t))
				}
				wantUser, wantGroup := state(r.caller, after)
				gotUser, gotGroup := se.assignment(chat)
				require.Equal(t, []any{wantUser, wantGroup}, []any{gotUser, gotGroup}, "the chat's assignment afterwards")
			})
		}
	}
	run(phaseARows)
	m.enterPhaseB(cReadAll, cReadAssigned, cReadNone)
	run(phaseBRows)
}

func TestAuthzMatrixRules(t *testing.T) {
	e := setup(t)
	m := newMatrix(e, cReadAll)
	callers := []string{cAdmin, cUser, cApp, cReadAll, cAnonymous, cBadToken}
	e.inbound(inboundText("wamid.MXR1", "15557900001", "Rules", "hi", time.Now()))
	tag := e.createTag("Agent needed")
	rule := e.createRule(map[string]any{"assign_to_user": m.ids[cApp]})
	rulePath := "/api/v1/rules/" + itoa(num(rule["id"])) + "/"
	rulesCount := func(se *env) int { return se.count("SELECT count(*) FROM rules") }

	adminOnly := func(ok int) map[string]int {
		return map[string]int{cAdmin: ok, cUser: 403, cApp: 403, cReadAll: 403, cAnonymous: 403, cBadToken: 401}
	}
	ops := []struct {
		name string
		do   func(se *env, tok string) resp
		want map[string]int
	}{
		{"list rules", func(se *env, tok string) resp {
			return se.do(req{Method: "GET", Path: "/api/v1/rules/", Token: tok})
		}, adminOnly(200)},
		{"create rule", func(se *env, tok string) resp {
			before := rulesCount(se)
			r := se.do(req{Method: "POST", Path: "/api/v1/rules/", Token: tok, Body: map[string]any{"tagged_with": tag, "assign_to_user": m.ids[cApp]}})
			if r.Status != http.StatusCreated {
				require.Equal(se.t, before, rulesCount(se), "a refused create creates nothing")
			}
			return r
		}, adminOnly(201)},
		{"retrieve rule", func(se *env, tok string) resp {
			return se.do(req{Method: "GET", Path: rulePath, Token: tok})
		}, adminOnly(200)},
		{"update rule", func(se *env, tok string) resp {
			r := se.do(req{Method: "PUT", Path: rulePath, Token: tok, Body: map[string]any{"assign_to_user": m.ids[cApp], "description": "put"}})
			if r.Status != http.StatusOK {
				require.NotEqual(se.t, "put", se.getJSON(se.adminToken, rulePath)["description"], "a refused update changes nothing")
			}
			se.exec("UPDATE rules SET description = ''")
			return r
		}, adminOnly(200)},
		{"partial update rule", func(se *env, tok string) resp {
			r := se.do(req{Method: "PATCH", Path: rulePath, Token: tok, Body: map[string]any{"description": "patched"}})
			if r.Status != http.StatusOK {
				require.NotEqual(se.t, "patched", se.getJSON(se.adminToken, rulePath)["description"], "a refused update changes nothing")
			}
			se.exec("UPDATE rules SET description = ''")
			return r
		}, adminOnly(200)},
		{"delete rule", func(se *env, tok string) resp {
			path := "/api/v1/rules/" + itoa(num(se.createRule(map[string]any{"assign_to_user": m.ids[cApp]})["id"])) + "/"
			r := se.do(req{Method: "DELETE", Path: path, Token: tok})
			want := http.StatusOK // still there after a refusal
			if r.Status == http.StatusNoContent {
				want = http.StatusNotFound
			}
			require.Equal(se.t, want, se.do(req{Method: "GET", Path: path, Token: se.adminToken}).Status)
			return r
		}, adminOnly(204)},
		{"test rules", func(se *env, tok string) resp {
			return se.do(req{Method: "POST", Path: "/api/v1/rules/test/", Token: tok, Body: map[string]any{"message_id": "wamid.MXR1"}})
		}, adminOnly(200)},
		{"retrieve rule engine", func(se *env, tok string) resp {
			return se.do(req{Method: "GET", Path: "/api/v1/rule_engine/", Token: tok})
		}, adminOnly(200)},
		{"update rule engine", func(se *env, tok string) resp {
			r := se.do(req{Method: "PUT", Path: "/api/v1/rule_engine/", Token: tok, Body: map[string]any{
				"mode": "custom", "url": "http://127.0.0.1:9/engine", "timeout": 2}})
			if r.Status != http.StatusOK {
				require.Equal(se.t, "default", se.getJSON(se.adminToken, "/api/v1/rule_engine/")["mode"], "a refused update changes nothing")
			}
			reset := se.do(req{Method: "PUT", Path: "/api/v1/rule_engine/", Token: se.adminToken, Body: map[string]any{"mode": "default"}})
			require.Equal(se.t, http.StatusOK, reset.Status, "%s", reset.Body)
			return r
		}, adminOnly(200)},
	}
	for _, op := range ops {
		for _, who := range callers {
			want, ok := op.want[who]
			require.True(t, ok, "%s has no expectation for %s", op.name, who)
			t.Run(op.name+"/"+who, func(t *testing.T) {
				requireAnswer(t, who, op.do(e.sub(t), m.tokens[who]), want)
			})
		}
	}
}

// TestAuthzMatrixEventsFiltering: the three events lists show each caller
// the events of the chats it can read, and `count` agrees with them.
func TestAuthzMatrixEventsFiltering(t *testing.T) {
	e := setup(t)
	m := newMatrix(e, cPeer, cReadAll, cReadGroup, cReadAssigned, cReadNone)
	owners := []string{cAdmin, cUser, cApp, cReadAll, cReadGroup, cReadAssigned, cReadNone}
	chats := m.newChats(owners...)
	// The history, besides the assignments newChats made (one per own chat,
	// one for the group chat, one for the peer's chat): the free chat was
	// assigned to the peer and released, every chat's message is tagged
	// "Lead" (which tags the chat too), and the group chat is also tagged
	// "VIP" directly. Per chat: assignment events 1 (free: 2), message
	// tagging events 1, chat tagging events 1 (group: 2).
	m.adminAssign(chats.free, map[string]any{"assigned_to_user": m.ids[cPeer]})
	m.adminAssign(chats.free, map[string]any{"assigned_to_user": nil})
	lead, vip := e.createTag("Lead"), e.createTag("VIP")
	for _, wamid := range chats.wamid {
		require.Equal(t, http.StatusCreated, e.tagMessage(e.adminToken, lead, wamid, nil).Status)
	}
	require.Equal(t, http.StatusCreated, e.tagChat(e.adminToken, vip, chats.group, nil).Status)

	all := []string{"own:" + cAdmin, "own:" + cUser, "own:" + cApp, "own:" + cReadAll, "own:" + cReadGroup,
		"own:" + cReadAssigned, "own:" + cReadNone, "group", "free", "other"}
	type expect struct {
		chats                    []string // the chats whose events the caller sees
		assign, msgTag, chatTags int      // the lists' counts
	}
	want := map[string]expect{
		// Phase A.
		cAdmin: {all, 11, 10, 11},
		cApp:   {all, 11, 10, 11},
		cUser:  {[]string{"own:" + cUser, "group"}, 2, 2, 3},
		// Phase B.
		cReadAll:      {all, 11, 10, 11},
		cReadGroup:    {[]string{"own:" + cReadGroup, "group"}, 2, 2, 3},
		cReadAssigned: {[]string{"own:" + cReadAssigned}, 1, 1, 1},
		cReadNone:     {nil, 0, 0, 0},
		cUser + " after the group lost its rights": {nil, 0, 0, 0},
	}
	label := map[string]string{chats.group: "group", chats.free: "free", chats.other: "other"}
	for who, waID := range chats.own {
		label[waID] = "own:" + who
	}
	byWamid := map[string]string{}
	for waID, wamid := range chats.wamid {
		byWamid[wamid] = waID
	}
	lists := []struct {
		name  string
		path  string
		chat  func(ev map[string]any) string
		count func(x expect) int
	}{
		{"chat assignment events", "/api/v1/chat_assignment_events/", func(ev map[string]any) string { return ev["wa_id"].(string) }, func(x expect) int { return x.assign }},
		{"message tagging events", "/api/v1/message_tagging_events/", func(ev map[string]any) string { return byWamid[ev["message"].(string)] }, func(x expect) int { return x.msgTag }},
		{"chat tagging events", "/api/v1/chat_tagging_events/", func(ev map[string]any) string { return ev["chat"].(string) }, func(x expect) int { return x.chatTags }},
	}
	check := func(name, who string) {
		x := want[name]
		for _, l := range lists {
			t.Run(l.name+"/"+name, func(t *testing.T) {
				se := e.sub(t)
				r := se.do(req{Method: "GET", Path: l.path, Token: m.tokens[who]})
				requireAnswer(t, who, r, http.StatusOK)
				seen := map[string]bool{}
				for _, ev := range results(t, r) {
					seen[label[l.chat(ev)]] = true
				}
				got := make([]string, 0, len(seen))
				for c := range seen {
					got = append(got, c)
				}
				wantChats := slices.Clone(x.chats)
				sort.Strings(got)
				sort.Strings(wantChats)
				require.Equal(t, len(wantChats), len(got), "chats seen: %v", got)
				if len(wantChats) > 0 {
					require.Equal(t, wantChats, got)
				}
				require.Equal(t, float64(l.count(x)), r.JSON(t)["count"])
				require.Len(t, results(t, r), l.count(x))

				// A page of one: count is still the whole of what the caller may see.
				r = se.do(req{Method: "GET", Path: l.path + "?limit=1", Token: m.tokens[who]})
				require.Equal(t, http.StatusOK, r.Status)
				require.Equal(t, float64(l.count(x)), r.JSON(t)["count"])
				require.Len(t, results(t, r), min(1, l.count(x)))

				// Filtering on a chat the caller cannot read finds nothing, not an error.
				r = se.do(req{Method: "GET", Path: l.path + "?wa_id=" + chats.other, Token: m.tokens[who]})
				require.Equal(t, http.StatusOK, r.Status)
				wantOther := 0
				if slices.Contains(x.chats, "other") {
					wantOther = 1 // the peer's chat has one event in each list
				}
				require.Equal(t, float64(wantOther), r.JSON(t)["count"])
			})
		}
	}
	for _, who := range []string{cAdmin, cApp, cUser} {
		check(who, who)
	}
	for _, who := range []string{cAnonymous, cBadToken} {
		for _, l := range lists {
			t.Run(l.name+"/"+who, func(t *testing.T) {
				want := map[string]int{cAnonymous: 403, cBadToken: 401}[who]
				requireAnswer(t, who, e.sub(t).do(req{Method: "GET", Path: l.path, Token: m.tokens[who]}), want)
			})
		}
	}
	m.enterPhaseB(cReadAll, cReadGroup, cReadAssigned, cReadNone)
	for _, who := range []string{cReadAll, cReadGroup, cReadAssigned, cReadNone} {
		check(who, who)
	}
	check(cUser+" after the group lost its rights", cUser)
}
