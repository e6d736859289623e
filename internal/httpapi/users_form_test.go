package httpapi_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// Form bodies carry only the fields they name: a user changing their own
// name through a form must not be read as changing their profile, groups
// or permissions.
func TestUserUpdateWithAFormBody(t *testing.T) {
	e := setup(t)
	id, tok := e.createUser("pete", "user")
	path := fmt.Sprintf("/api/v1/users/%d/", id)
	r := e.do(req{Method: "PATCH", Path: path, Token: tok, RawBody: []byte("first_name=Pete&last_name=Brown"),
		ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	m := r.JSON(t)
	require.Equal(t, "Pete", m["first_name"])
	require.Equal(t, "Brown", m["last_name"])

	// A nested field cannot travel in a form: refused by name, nothing changes.
	r = e.do(req{Method: "PATCH", Path: path, Token: e.adminToken, RawBody: []byte("first_name=Zed&profile[role]=admin"),
		ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	require.Contains(t, r.JSON(t), "profile")
	r = e.do(req{Method: "GET", Path: path, Token: tok})
	require.Equal(t, "Pete", r.JSON(t)["first_name"])

	// An admin creates a user from a form (role: the default).
	r = e.do(req{Method: "POST", Path: "/api/v1/users/", Token: e.adminToken, RawBody: []byte("username=formuser&email=f%40example.com"),
		ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	require.Equal(t, "formuser", r.JSON(t)["username"])
	require.Equal(t, "user", r.JSON(t)["profile"].(map[string]any)["role"])
}
