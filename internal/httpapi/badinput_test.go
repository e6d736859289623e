package httpapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux"
)

func userCount(t *testing.T, e *env) int {
	var n int
	require.NoError(t, e.pool.QueryRow(t.Context(), "SELECT count(*) FROM users").Scan(&n))
	return n
}

func TestBadBodiesAre4xxAndChangeNothing(t *testing.T) {
	e := setup(t) // 64 KiB body limit
	before := userCount(t, e)
	cases := []struct {
		name   string
		r      req
		status int
	}{
		{"malformed json", req{RawBody: []byte(`{"username": "x",`), ContentType: "application/json"}, 400},
		{"json array", req{RawBody: []byte(`[1,2]`), ContentType: "application/json"}, 400},
		{"wrong type", req{Body: map[string]any{"username": 12}}, 400},
		{"missing required", req{Body: map[string]any{"email": "a@example.com"}}, 400},
		{"bad email", req{Body: map[string]any{"username": "okname", "email": "not-an-email"}}, 400},
		{"empty body", req{ContentType: "application/json"}, 400},
		{"unsupported type", req{RawBody: []byte("username=x"), ContentType: "text/plain"}, 415},
		{"oversized", req{RawBody: append([]byte(`{"username":"big","first_name":"`), append(bytes.Repeat([]byte("a"), 70<<10), '"', '}')...), ContentType: "application/json"}, 413},
		{"bad multipart", req{RawBody: []byte("--x\r\nnonsense"), ContentType: "multipart/form-data; boundary=x"}, 400},
	}
	for _, c := range cases {
		c.r.Method, c.r.Path, c.r.Token = "POST", "/api/v1/users/", e.adminToken
		r := e.do(c.r)
		require.Equal(t, c.status, r.Status, "%s: %s", c.name, r.Body)
		m := r.JSON(t)
		require.NotEmpty(t, m, "%s: a JSON error body", c.name)
		require.NotContains(t, strings.ToLower(string(r.Body)), "goroutine", c.name)
	}
	require.Equal(t, before, userCount(t, e), "nothing was created")
}

func TestValidationNamesTheField(t *testing.T) {
	e := setup(t)
	r := e.do(req{Method: "POST", Path: "/api/v1/users/", Token: e.adminToken, Body: map[string]any{"username": "okname", "profile": map[string]any{"role": "wizard"}}})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "profile.role", "%s", r.Body)

	r = e.do(req{Method: "GET", Path: "/api/v1/users/?limit=abc", Token: e.adminToken})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "limit", "%s", r.Body)

	r = e.do(req{Method: "GET", Path: "/api/v1/users/abc/", Token: e.adminToken})
	require.Equal(t, http.StatusBadRequest, r.Status)
	require.Contains(t, r.JSON(t), "id", "%s", r.Body)
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	e := setup(t)
	r := e.do(req{Method: "GET", Path: "/api/v1/nothing-here/", Token: e.adminToken})
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Equal(t, "Not found.", r.JSON(t)["detail"])
	r = e.do(req{Method: "PUT", Path: "/api/v1/auth/token/", Token: e.adminToken})
	require.Equal(t, http.StatusMethodNotAllowed, r.Status)
	require.Equal(t, `Method "PUT" not allowed.`, r.JSON(t)["detail"])
}

func TestPaginationLinks(t *testing.T) {
	e := setup(t)
	for _, n := range []string{"u1", "u2", "u3", "u4"} {
		e.do(req{Method: "POST", Path: "/api/v1/users/", Token: e.adminToken, Body: map[string]any{"username": n}})
	}
	r := e.do(req{Method: "GET", Path: "/api/v1/users/?limit=2", Token: e.adminToken})
	m := r.JSON(t)
	require.Equal(t, float64(5), m["count"])
	require.Len(t, m["results"], 2)
	require.Equal(t, baseURL+"/api/v1/users/?limit=2&offset=2", m["next"])
	require.Nil(t, m["previous"])
	r = e.do(req{Method: "GET", Path: "/api/v1/users/?limit=2&offset=4", Token: e.adminToken})
	m = r.JSON(t)
	require.Len(t, m["results"], 1)
	require.Nil(t, m["next"])
	require.Equal(t, baseURL+"/api/v1/users/?limit=2&offset=2", m["previous"])
}

func TestOperationalEndpoints(t *testing.T) {
	e := setup(t)
	for _, p := range []string{"/healthz", "/readyz"} {
		r := e.do(req{Method: "GET", Path: p})
		require.Equal(t, http.StatusOK, r.Status, p)
	}
	r := e.do(req{Method: "GET", Path: "/metrics"})
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, string(r.Body), "wamux_http_requests_total")
	r = e.do(req{Method: "GET", Path: "/api/v1/openapi.yaml"})
	require.Equal(t, http.StatusOK, r.Status)
	require.Equal(t, wamux.OpenAPI, r.Body, "the spec itself, byte for byte")
	r = e.do(req{Method: "GET", Path: "/api/docs/"})
	require.Equal(t, http.StatusOK, r.Status)
	require.Contains(t, r.Header.Get("Content-Type"), "text/html")
	require.NotEmpty(t, r.Header.Get("X-Request-Id"))
}

func TestFormValuesThatDoNotFitTheirTypeAre400(t *testing.T) {
	e := setup(t)
	r := e.do(req{Method: "POST", Path: "/api/v1/mark_as_received/", Token: e.adminToken,
		RawBody: []byte("timestamp=&customer_wa_id=1"), ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
	r = e.do(req{Method: "PATCH", Path: "/api/v1/users/1/", Token: e.adminToken,
		RawBody: []byte("groups[0][id]=x"), ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
}
