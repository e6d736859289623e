package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func (e *env) createSavedResponse(tok, text string) map[string]any {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/v1/saved_responses/", Token: tok, Body: map[string]any{"text": text}})
	require.Equal(e.t, http.StatusCreated, r.Status, "%s", r.Body)
	return r.JSON(e.t)
}

func savedResponsePath(id any) string { return "/api/v1/saved_responses/" + itoa(num(id)) + "/" }

func TestSavedResponsesCRUD(t *testing.T) {
	e := setup(t)
	_, ann := e.createUser("ann", "user")
	before := time.Now().Unix()

	first := e.createSavedResponse(ann, "Thanks for your message! Our team will reply shortly.")
	require.Equal(t, "ann", first["created_by"])
	require.Equal(t, "Thanks for your message! Our team will reply shortly.", first["text"])
	require.InDelta(t, before, first["timestamp"], 5)
	second := e.createSavedResponse(e.adminToken, "We are closed today.")
	require.Equal(t, "admin", second["created_by"])

	// Newest first, for everyone.
	r := e.do(req{Method: "GET", Path: "/api/v1/saved_responses/", Token: ann})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.EqualValues(t, 2, r.JSON(t)["count"])
	list := results(t, r)
	require.Equal(t, []any{second["id"], first["id"]}, []any{list[0]["id"], list[1]["id"]})
	require.Equal(t, first, list[1], "the list shows each exactly as created")

	// Pages.
	r = e.do(req{Method: "GET", Path: "/api/v1/saved_responses/?limit=1", Token: ann})
	require.Len(t, results(t, r), 1)
	next, err := url.Parse(r.JSON(t)["next"].(string))
	require.NoError(t, err)
	require.Equal(t, "1", next.Query().Get("offset"))
	r = e.do(req{Method: "GET", Path: next.RequestURI(), Token: ann})
	require.Equal(t, first["id"], results(t, r)[0]["id"])
	require.Nil(t, r.JSON(t)["next"])
	require.NotNil(t, r.JSON(t)["previous"])

	// Retrieve, change, delete.
	path := savedResponsePath(first["id"])
	require.Equal(t, first, e.getJSON(ann, path))
	r = e.do(req{Method: "PATCH", Path: path, Token: ann, Body: map[string]any{"text": "Thanks! We reply within the hour."}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "Thanks! We reply within the hour.", r.JSON(t)["text"])
	require.Equal(t, first["timestamp"], r.JSON(t)["timestamp"], "the timestamp is the creation's")
	r = e.do(req{Method: "PATCH", Path: path, Token: ann, Body: map[string]any{}})
	require.Equal(t, http.StatusOK, r.Status, "a PATCH without fields changes nothing")
	require.Equal(t, "Thanks! We reply within the hour.", r.JSON(t)["text"])
	r = e.do(req{Method: "PUT", Path: path, Token: ann, Body: map[string]any{"text": "Put text"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "Put text", e.getJSON(e.adminToken, path)["text"])
	r = e.do(req{Method: "DELETE", Path: path, Token: ann})
	require.Equal(t, http.StatusNoContent, r.Status, "%s", r.Body)
	for _, m := range []string{"GET", "DELETE"} {
		r = e.do(req{Method: m, Path: path, Token: ann})
		require.Equal(t, http.StatusNotFound, r.Status)
		require.NotEmpty(t, r.JSON(t)["detail"])
	}
	r = e.do(req{Method: "PATCH", Path: path, Token: ann, Body: map[string]any{"text": "x"}})
	require.Equal(t, http.StatusNotFound, r.Status)
}

func TestSavedResponsesOnlyCreatorOrAdminChange(t *testing.T) {
	e := setup(t)
	_, ann := e.createUser("ann", "user")
	_, bob := e.createUser("bob", "user")
	_, bot := e.createUser("bot", "app")
	mine := e.createSavedResponse(ann, "Ann's reply")
	path := savedResponsePath(mine["id"])

	for _, tok := range []string{bob, bot} {
		require.Equal(t, mine, e.getJSON(tok, path), "everyone reads it")
		for _, r := range []req{
			{Method: "PATCH", Body: map[string]any{"text": "hijacked"}},
			{Method: "PUT", Body: map[string]any{"text": "hijacked"}},
			{Method: "DELETE"},
		} {
			r.Path, r.Token = path, tok
			res := e.do(r)
			require.Equal(t, http.StatusForbidden, res.Status, "%s %s", r.Method, res.Body)
			require.NotEmpty(t, res.JSON(t)["detail"])
		}
	}
	require.Equal(t, mine, e.getJSON(ann, path), "refusals changed nothing")

	r := e.do(req{Method: "PATCH", Path: path, Token: e.adminToken, Body: map[string]any{"text": "Edited by an admin"}})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "ann", r.JSON(t)["created_by"], "the creator stays")
	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: path, Token: e.adminToken}).Status)

	for _, r := range []req{{Method: "GET", Path: "/api/v1/saved_responses/"}, {Method: "POST", Path: "/api/v1/saved_responses/", Body: map[string]any{"text": "x"}}} {
		require.Equal(t, http.StatusForbidden, e.do(r).Status, "anonymous %s", r.Method)
		r.Token = unknownToken
		require.Equal(t, http.StatusUnauthorized, e.do(r).Status, "unknown token %s", r.Method)
	}
}

func TestSavedResponsesBadInput(t *testing.T) {
	e := setup(t)
	existing := e.createSavedResponse(e.adminToken, "Keep me")
	count := func() int { return e.count("SELECT count(*) FROM saved_responses") }
	cases := []struct {
		name  string
		r     req
		field string
	}{
		{"blank", req{Body: map[string]any{"text": "   "}}, "text"},
		{"empty", req{Body: map[string]any{"text": ""}}, "text"},
		{"too long", req{Body: map[string]any{"text": strings.Repeat("a", 4097)}}, "text"},
		{"missing", req{Body: map[string]any{}}, "text"},
		{"wrong type", req{Body: map[string]any{"text": 12}}, "text"},
		{"not json", req{RawBody: []byte(`{"text":`), ContentType: "application/json"}, ""},
		{"blank form", req{RawBody: []byte("text=+"), ContentType: "application/x-www-form-urlencoded"}, "text"},
	}
	for _, c := range cases {
		for _, m := range []string{"POST", "PUT"} {
			c.r.Method, c.r.Token = m, e.adminToken
			c.r.Path = "/api/v1/saved_responses/"
			if m == "PUT" {
				c.r.Path = savedResponsePath(existing["id"])
			}
			r := e.do(c.r)
			require.Equal(t, http.StatusBadRequest, r.Status, "%s %s: %s", m, c.name, r.Body)
			if c.field != "" {
				require.Contains(t, r.JSON(t), c.field, "%s %s: %s", m, c.name, r.Body)
			} else {
				require.NotEmpty(t, r.JSON(t)["detail"], "%s %s: %s", m, c.name, r.Body)
			}
		}
	}
	require.Equal(t, 1, count(), "nothing created")
	require.Equal(t, existing, e.getJSON(e.adminToken, savedResponsePath(existing["id"])), "nothing changed")

	require.Equal(t, http.StatusBadRequest, e.do(req{Method: "GET", Path: "/api/v1/saved_responses/abc/", Token: e.adminToken}).Status)
	require.Equal(t, http.StatusNotFound, e.do(req{Method: "GET", Path: "/api/v1/saved_responses/999999/", Token: e.adminToken}).Status)
	require.Equal(t, http.StatusBadRequest, e.do(req{Method: "GET", Path: "/api/v1/saved_responses/?limit=x", Token: e.adminToken}).Status)
	require.Equal(t, 4096, len([]rune(e.createSavedResponse(e.adminToken, strings.Repeat("é", 4096))["text"].(string))), "4096 characters fit")
}

func TestSavedResponsesFormAndMultipart(t *testing.T) {
	e := setup(t)
	r := e.do(req{Method: "POST", Path: "/api/v1/saved_responses/", Token: e.adminToken,
		RawBody: []byte("text=See+you+soon%21"), ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	require.Equal(t, "See you soon!", r.JSON(t)["text"])

	body, ct := multipartBody(t, map[string]string{"text": "From a form"})
	r = e.do(req{Method: "PATCH", Path: savedResponsePath(r.JSON(t)["id"]), Token: e.adminToken, RawBody: body, ContentType: ct})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, "From a form", r.JSON(t)["text"])
}
