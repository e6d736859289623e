package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// callers are the four kinds of caller every users/groups rule is checked
// against.
type callers struct {
	admin, user, app, anonymous string
	userID, appID               int
}

func newCallers(e *env) callers {
	uid, utok := e.createUser("regular", "user")
	aid, atok := e.createUser("robot", "app")
	return callers{admin: e.adminToken, user: utok, app: atok, userID: uid, appID: aid}
}

func TestNewInstallHasTheReferenceGroups(t *testing.T) {
	e := setup(t)
	r := e.do(req{Method: "GET", Path: "/api/v1/groups/", Token: e.adminToken})
	require.Equal(t, http.StatusOK, r.Status)
	byName := map[string]map[string]any{}
	for _, g := range r.JSON(t)["results"].([]any) {
		m := g.(map[string]any)
		byName[m["name"].(string)] = m
	}
	require.Contains(t, byName, "Admin")
	require.Contains(t, byName, "Regular user")
	require.Contains(t, byName, "App integration")
	require.Equal(t, map[string]any{"can_use_tags": true, "can_read_chats": "all", "can_write_to_chats": "all"}, byName["Admin"]["permissions"])
	require.Equal(t, map[string]any{"can_use_tags": true, "can_read_chats": "group", "can_write_to_chats": "assigned"}, byName["Regular user"]["permissions"])
	require.Equal(t, map[string]any{"can_use_tags": true, "can_read_chats": "all", "can_write_to_chats": "assigned"}, byName["App integration"]["permissions"])
}

func TestCurrentUserShape(t *testing.T) {
	e := setup(t)
	r := e.do(req{Method: "GET", Path: "/api/v1/users/current/", Token: e.adminToken})
	require.Equal(t, http.StatusOK, r.Status)
	m := r.JSON(t)
	require.Equal(t, baseURL+"/api/v1/users/1/", m["url"])
	require.Equal(t, map[string]any{"role": "admin"}, m["profile"])
	require.Equal(t, []any{map[string]any{"id": m["groups"].([]any)[0].(map[string]any)["id"], "name": "Admin"}}, m["groups"])
	require.Equal(t, map[string]any{"can_use_tags": true, "can_read_chats": "all", "can_write_to_chats": "all"}, m["permissions"])
}

func TestUserRolesForEveryEndpoint(t *testing.T) {
	e := setup(t)
	c := newCallers(e)
	other := itoa(c.userID)
	self := func(tok string) string {
		if tok == c.app {
			return itoa(c.appID)
		}
		return other
	}
	type check struct {
		name   string
		method string
		path   func(tok string) string
		body   any
		want   map[string]int // caller -> status
	}
	fixed := func(p string) func(string) string { return func(string) string { return p } }
	checks := []check{
		{"list users", "GET", fixed("/api/v1/users/"), nil, map[string]int{"admin": 200, "user": 200, "app": 200, "anonymous": 403}},
		{"create user", "POST", fixed("/api/v1/users/"), map[string]any{"username": "newbie"}, map[string]int{"admin": 201, "user": 403, "app": 403, "anonymous": 403}},
		{"current", "GET", fixed("/api/v1/users/current/"), nil, map[string]int{"admin": 200, "user": 200, "app": 200, "anonymous": 403}},
		{"retrieve other", "GET", fixed("/api/v1/users/1/"), nil, map[string]int{"admin": 200, "user": 403, "app": 403, "anonymous": 403}},
		{"retrieve self", "GET", func(tok string) string { return "/api/v1/users/" + self(tok) + "/" }, nil, map[string]int{"admin": 200, "user": 200, "app": 200, "anonymous": 403}},
		{"patch self name", "PATCH", func(tok string) string { return "/api/v1/users/" + self(tok) + "/" }, map[string]any{"first_name": "New"}, map[string]int{"admin": 200, "user": 200, "app": 200, "anonymous": 403}},
		{"patch other", "PATCH", fixed("/api/v1/users/1/"), map[string]any{"first_name": "Evil"}, map[string]int{"user": 403, "app": 403, "anonymous": 403}},
		{"put self", "PUT", func(tok string) string { return "/api/v1/users/" + self(tok) + "/" }, nil, map[string]int{"admin": 200, "user": 200, "app": 200}},
		{"self-promotion", "PATCH", func(tok string) string { return "/api/v1/users/" + self(tok) + "/" }, map[string]any{"profile": map[string]any{"role": "admin"}}, map[string]int{"user": 403, "app": 403}},
		{"self permissions", "PATCH", func(tok string) string { return "/api/v1/users/" + self(tok) + "/" }, map[string]any{"permissions": map[string]any{"can_read_chats": "all"}}, map[string]int{"user": 403}},
		{"set other's password", "POST", func(string) string { return "/api/v1/users/" + other + "/password/change/" }, map[string]any{"password": "brand-new-pass-1"}, map[string]int{"admin": 200, "user": 403, "app": 403, "anonymous": 403}},
		{"list groups", "GET", fixed("/api/v1/groups/"), nil, map[string]int{"admin": 200, "user": 200, "app": 200, "anonymous": 403}},
		{"create group", "POST", fixed("/api/v1/groups/"), map[string]any{"name": "G"}, map[string]int{"user": 403, "app": 403, "anonymous": 403}},
		{"retrieve group", "GET", fixed("/api/v1/groups/1/"), nil, map[string]int{"admin": 200, "user": 200, "app": 200, "anonymous": 403}},
		{"put group", "PUT", fixed("/api/v1/groups/1/"), map[string]any{"name": "Admin"}, map[string]int{"user": 403, "app": 403, "anonymous": 403}},
		{"patch group", "PATCH", fixed("/api/v1/groups/1/"), map[string]any{"name": "Admins"}, map[string]int{"user": 403, "app": 403, "anonymous": 403}},
		{"delete group", "DELETE", fixed("/api/v1/groups/1/"), nil, map[string]int{"user": 403, "app": 403, "anonymous": 403}},
		{"deactivate", "DELETE", func(string) string { return "/api/v1/users/" + other + "/" }, nil, map[string]int{"user": 403, "app": 403, "anonymous": 403}},
	}
	tokens := map[string]string{"admin": c.admin, "user": c.user, "app": c.app, "anonymous": ""}
	for _, ch := range checks {
		for _, who := range []string{"anonymous", "user", "app", "admin"} {
			want, ok := ch.want[who]
			if !ok {
				continue
			}
			tok := tokens[who]
			body := ch.body
			if ch.method == "PUT" && body == nil {
				me := e.do(req{Method: "GET", Path: ch.path(tok), Token: tok}).JSON(t)
				body = map[string]any{"username": me["username"], "email": "self@example.com", "first_name": "Put"}
			}
			r := e.do(req{Method: ch.method, Path: ch.path(tok), Token: tok, Body: body})
			require.Equal(t, want, r.Status, "%s as %s: %s", ch.name, who, r.Body)
			if want == 403 {
				require.NotEmpty(t, r.JSON(t)["detail"])
			}
		}
	}
}

func TestCreateUserActivationIsSingleUse(t *testing.T) {
	e := setup(t)
	r := e.do(req{Method: "POST", Path: "/api/v1/users/", Token: e.adminToken, Body: map[string]any{"username": "bot7", "profile": map[string]any{"role": "app"}}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	m := r.JSON(t)
	actURL := m["activation_url"].(string)
	require.True(t, strings.HasPrefix(actURL, baseURL+"/api/v1/users/activate/"), actURL)
	require.Equal(t, []any{map[string]any{"id": m["groups"].([]any)[0].(map[string]any)["id"], "name": "App integration"}}, m["groups"])

	// The activation URL is shown once: not in later reads.
	again := e.do(req{Method: "GET", Path: "/api/v1/users/" + itoa(int(m["id"].(float64))) + "/", Token: e.adminToken})
	require.NotContains(t, again.JSON(t), "activation_url")

	// Not active yet: no token by password either.
	act := e.do(req{Method: "GET", Path: strings.TrimPrefix(actURL, baseURL)})
	require.Equal(t, http.StatusOK, act.Status)
	tok := act.JSON(t)["token"].(string)
	require.Regexp(t, tokenPattern, tok)
	me := e.do(req{Method: "GET", Path: "/api/v1/users/current/", Token: tok})
	require.Equal(t, "bot7", me.JSON(t)["username"])

	dead := e.do(req{Method: "GET", Path: strings.TrimPrefix(actURL, baseURL)})
	require.Equal(t, http.StatusNotFound, dead.Status)

	// A regular user's activation activates without a token, once.
	r = e.do(req{Method: "POST", Path: "/api/v1/users/", Token: e.adminToken, Body: map[string]any{"username": "carol"}})
	path := strings.TrimPrefix(r.JSON(t)["activation_url"].(string), baseURL)
	id := itoa(int(r.JSON(t)["id"].(float64)))
	e.do(req{Method: "POST", Path: "/api/v1/users/" + id + "/password/change/", Token: e.adminToken, Body: map[string]any{"password": "carol-pass-99"}})
	login := e.do(req{Method: "POST", Path: "/api/v1/auth/token/", Body: map[string]any{"username": "carol", "password": "carol-pass-99"}})
	require.Equal(t, http.StatusBadRequest, login.Status, "inactive users cannot log in")
	act = e.do(req{Method: "GET", Path: path})
	require.Equal(t, http.StatusOK, act.Status)
	require.NotContains(t, act.JSON(t), "token")
	require.Regexp(t, tokenPattern, e.login("carol", "carol-pass-99"))
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "GET", Path: path}).Status)
}

func TestUsernameRules(t *testing.T) {
	e := setup(t)
	for _, name := range []string{"bad-name", "with space", "ünïcode", "under_score", strings.Repeat("a", 151)} {
		r := e.do(req{Method: "POST", Path: "/api/v1/users/", Token: e.adminToken, Body: map[string]any{"username": name}})
		require.Equal(t, http.StatusBadRequest, r.Status, name)
		require.Contains(t, r.JSON(t), "username", "%s: %s", name, r.Body)
	}
	r := e.do(req{Method: "POST", Path: "/api/v1/users/", Token: e.adminToken, Body: map[string]any{"username": "Admin"}})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Equal(t, []any{"A user with that username already exists."}, r.JSON(t)["username"])
	r = e.do(req{Method: "POST", Path: "/api/v1/users/", Token: e.adminToken, Body: map[string]any{"username": "ok1", "profile": map[string]any{"role": "superuser"}}})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
}

func TestPasswordRules(t *testing.T) {
	e := setup(t)
	id, tok := e.createUser("dave", "user")
	change := func(cur, next string) resp {
		return e.do(req{Method: "POST", Path: "/api/v1/users/password/change/", Token: tok, Body: map[string]any{"current_password": cur, "new_password": next}})
	}
	r := change("wrong-current", "a-good-new-pass")
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "current_password")
	for _, weak := range []string{"short", "12345678901", "password", "dave"} {
		r = change("dave-pass-123", weak)
		require.Equal(t, http.StatusBadRequest, r.Status, weak)
		require.Contains(t, r.JSON(t), "new_password", weak)
	}
	r = change("dave-pass-123", "a-good-new-pass")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Regexp(t, tokenPattern, e.login("dave", "a-good-new-pass"))

	r = e.do(req{Method: "POST", Path: "/api/v1/users/" + itoa(id) + "/password/change/", Token: e.adminToken, Body: map[string]any{"password": "123"}})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "password")
	r = e.do(req{Method: "POST", Path: "/api/v1/users/999/password/change/", Token: e.adminToken, Body: map[string]any{"password": "fine-pass-123"}})
	require.Equal(t, http.StatusNotFound, r.Status)
}

func TestAdminManagesRolesGroupsAndPermissions(t *testing.T) {
	e := setup(t)
	uid, utok := e.createUser("erin", "user")
	path := "/api/v1/users/" + itoa(uid) + "/"

	g := e.do(req{Method: "POST", Path: "/api/v1/groups/", Token: e.adminToken, Body: map[string]any{
		"name": "Support", "permissions": map[string]any{"can_use_tags": true, "can_read_chats": "all", "can_write_to_chats": "group"}}})
	require.Equal(t, http.StatusCreated, g.Status, "%s", g.Body)
	gid := int(g.JSON(t)["id"].(float64))

	r := e.do(req{Method: "PATCH", Path: path, Token: e.adminToken, Body: map[string]any{"groups": []any{map[string]any{"id": gid}}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	m := r.JSON(t)
	require.Len(t, m["groups"], 2, "the role group stays: %s", r.Body)
	require.Equal(t, map[string]any{"can_use_tags": true, "can_read_chats": "all", "can_write_to_chats": "group"}, m["permissions"], "the most permissive of the groups")

	// A per-user override widens; null returns to the groups' value.
	r = e.do(req{Method: "PATCH", Path: path, Token: e.adminToken, Body: map[string]any{"permissions": map[string]any{"can_write_to_chats": "all"}}})
	require.Equal(t, "all", r.JSON(t)["permissions"].(map[string]any)["can_write_to_chats"])
	r = e.do(req{Method: "PATCH", Path: path, Token: e.adminToken, Body: map[string]any{"permissions": map[string]any{"can_write_to_chats": nil}}})
	require.Equal(t, "group", r.JSON(t)["permissions"].(map[string]any)["can_write_to_chats"])

	// The group's members list shows the user; role changes move role groups.
	gr := e.do(req{Method: "GET", Path: "/api/v1/groups/" + itoa(gid) + "/", Token: utok})
	require.Equal(t, []any{float64(uid)}, gr.JSON(t)["members"])
	r = e.do(req{Method: "PATCH", Path: path, Token: e.adminToken, Body: map[string]any{"profile": map[string]any{"role": "admin"}}})
	require.Equal(t, http.StatusOK, r.Status)
	names := []string{}
	for _, g := range r.JSON(t)["groups"].([]any) {
		names = append(names, g.(map[string]any)["name"].(string))
	}
	require.ElementsMatch(t, []string{"Admin", "Support"}, names)

	// Group membership managed from the group side.
	r = e.do(req{Method: "PATCH", Path: "/api/v1/groups/" + itoa(gid) + "/", Token: e.adminToken, Body: map[string]any{"members": []any{}}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, []any{}, r.JSON(t)["members"])

	// Role groups cannot be deleted; other groups can.
	r = e.do(req{Method: "DELETE", Path: "/api/v1/groups/1/", Token: e.adminToken})
	require.Equal(t, http.StatusBadRequest, r.Status)
	r = e.do(req{Method: "DELETE", Path: "/api/v1/groups/" + itoa(gid) + "/", Token: e.adminToken})
	require.Equal(t, http.StatusNoContent, r.Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "GET", Path: "/api/v1/groups/" + itoa(gid) + "/", Token: e.adminToken}).Status)
}

func TestDeactivateRevokesAccessAndKeepsOneAdmin(t *testing.T) {
	e := setup(t)
	uid, utok := e.createUser("frank", "user")
	r := e.do(req{Method: "DELETE", Path: "/api/v1/users/" + itoa(uid) + "/", Token: e.adminToken})
	require.Equal(t, http.StatusNoContent, r.Status)
	require.Equal(t, http.StatusUnauthorized, e.do(req{Method: "GET", Path: "/api/v1/users/current/", Token: utok}).Status)
	r = e.do(req{Method: "POST", Path: "/api/v1/auth/token/", Body: map[string]any{"username": "frank", "password": "frank-pass-123"}})
	require.Equal(t, http.StatusBadRequest, r.Status)

	r = e.do(req{Method: "DELETE", Path: "/api/v1/users/1/", Token: e.adminToken})
	require.Equal(t, http.StatusBadRequest, r.Status, "the last admin stays")
	r = e.do(req{Method: "PATCH", Path: "/api/v1/users/1/", Token: e.adminToken, Body: map[string]any{"profile": map[string]any{"role": "user"}}})
	require.Equal(t, http.StatusBadRequest, r.Status, "the last admin cannot demote itself")
	r = e.do(req{Method: "DELETE", Path: "/api/v1/users/999/", Token: e.adminToken})
	require.Equal(t, http.StatusNotFound, r.Status)
}
