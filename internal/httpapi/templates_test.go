package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/config"
)

const templatesPath = "/api/v1/templates/"

func orderUpdate(name string) map[string]any {
	return map[string]any{"name": name, "category": "UTILITY", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "Hi {{1}}, your order {{2}} ships today."}}}
}

func templateNames(t *testing.T, r resp) []string {
	t.Helper()
	var out []string
	for _, x := range results(t, r) {
		out = append(out, x["name"].(string))
	}
	return out
}

// TestTemplatesSandbox runs the template operations against the sandbox
// provider, which keeps them in memory and checks them like Meta.
func TestTemplatesSandbox(t *testing.T) {
	e := setup(t)
	_, user := e.createUser("agent", "user")
	list := func(tok, query string) resp {
		r := e.do(req{Method: "GET", Path: templatesPath + query, Token: tok})
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		return r
	}
	require.Equal(t, []string{"hello_world"}, templateNames(t, list(user, "")), "Meta's sample template, for every user")

	// Only admins create.
	r := e.do(req{Method: "POST", Path: templatesPath, Token: user, Body: orderUpdate("order_update")})
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Body)
	r = e.do(req{Method: "POST", Path: templatesPath, Token: e.adminToken, Body: map[string]any{
		"name": "order_update", "category": "SHIPPING_UPDATE", "language": "en_US",
		"components": []any{map[string]any{"type": "BODY", "text": "Hi {{1}}, your order {{2}} ships today."}}}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	created := r.JSON(t)
	require.Equal(t, "PENDING", created["status"])
	require.Equal(t, "UTILITY", created["category"], "the reference's old category, filed as Meta files it")
	require.Equal(t, "NONE", created["rejected_reason"])
	require.NotEmpty(t, created["namespace"])
	require.Equal(t, orderUpdate("x")["components"], created["components"])

	// Refusals, by wamux and by the provider, create nothing.
	for _, c := range []struct {
		name   string
		body   map[string]any
		detail string
	}{
		{"bad name", map[string]any{"name": "Order Update", "category": "UTILITY", "language": "en", "components": orderUpdate("")["components"]}, ""},
		{"no components", map[string]any{"name": "x", "category": "UTILITY", "language": "en", "components": []any{}}, ""},
		{"missing language", map[string]any{"name": "x", "category": "UTILITY", "components": orderUpdate("")["components"]}, ""},
		{"no body", map[string]any{"name": "x", "category": "UTILITY", "language": "en", "components": []any{map[string]any{"type": "FOOTER", "text": "x"}}}, "BODY"},
		{"duplicate", orderUpdate("order_update"), "already exists"},
		{"unknown category", map[string]any{"name": "x", "category": "PROMOTION", "language": "en", "components": orderUpdate("")["components"]}, "category"},
	} {
		r := e.do(req{Method: "POST", Path: templatesPath, Token: e.adminToken, Body: c.body})
		require.Equal(t, http.StatusBadRequest, r.Status, "%s: %s", c.name, r.Body)
		if c.detail != "" {
			require.Contains(t, r.JSON(t)["detail"], c.detail, c.name)
			require.Contains(t, r.JSON(t)["detail"], "The WhatsApp provider refused the template", c.name)
		}
	}
	r = e.do(req{Method: "POST", Path: templatesPath, Token: e.adminToken, RawBody: []byte("name=x&category=UTILITY&language=en"),
		ContentType: "application/x-www-form-urlencoded"})
	require.Equal(t, http.StatusBadRequest, r.Status, "a form cannot carry the components: %s", r.Body)
	require.Equal(t, []string{"hello_world", "order_update"}, templateNames(t, list(e.adminToken, "")))

	// Pages, and the simulated review.
	r = list(user, "?limit=1&offset=1")
	require.EqualValues(t, 2, r.JSON(t)["count"])
	require.Nil(t, r.JSON(t)["next"])
	prev, err := url.Parse(r.JSON(t)["previous"].(string))
	require.NoError(t, err)
	require.Equal(t, []string{"hello_world"}, templateNames(t, list(user, "?"+prev.RawQuery)))
	require.Eventually(t, func() bool {
		return results(t, list(user, "?limit=1&offset=1"))[0]["status"] == "APPROVED"
	}, 10*time.Second, 50*time.Millisecond)

	// Only admins delete, every language at once.
	r = e.do(req{Method: "DELETE", Path: templatesPath + "order_update/", Token: user})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Len(t, results(t, list(user, "")), 2, "a refused delete deletes nothing")
	require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: templatesPath + "order_update/", Token: e.adminToken}).Status)
	for _, name := range []string{"order_update", "Not-A-Name"} {
		r = e.do(req{Method: "DELETE", Path: templatesPath + name + "/", Token: e.adminToken})
		require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
		require.Contains(t, r.JSON(t)["detail"], name)
	}
	require.Equal(t, []string{"hello_world"}, templateNames(t, list(user, "")))

	require.Equal(t, http.StatusForbidden, e.do(req{Method: "GET", Path: templatesPath}).Status)
	require.Equal(t, http.StatusUnauthorized, e.do(req{Method: "GET", Path: templatesPath, Token: unknownToken}).Status)
}

// TestTemplatesHTTPProviders runs them against loopback servers speaking
// the Cloud API's and 360dialog's wire formats.
func TestTemplatesHTTPProviders(t *testing.T) {
	t.Parallel()
	for _, flavour := range []string{"cloud", "360dialog"} {
		t.Run(flavour, func(t *testing.T) {
			fake := newFakeAccount(t, flavour)
			e := setup(t, fake.option())
			r := e.do(req{Method: "POST", Path: templatesPath, Token: e.adminToken, Body: orderUpdate("order_update")})
			require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
			require.Equal(t, "PENDING", r.JSON(t)["status"])
			require.Equal(t, "fake_namespace", r.JSON(t)["namespace"])

			r = e.do(req{Method: "GET", Path: templatesPath, Token: e.adminToken})
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			require.EqualValues(t, 1, r.JSON(t)["count"])
			got := results(t, r)[0]
			require.Equal(t, "order_update", got["name"])
			require.Equal(t, "PENDING", got["status"], "in capitals whatever the provider's case")
			require.Equal(t, orderUpdate("")["components"], got["components"])

			// The provider's refusals are 400 with its message, its failures 502.
			r = e.do(req{Method: "POST", Path: templatesPath, Token: e.adminToken, Body: orderUpdate("order_update")})
			require.Equal(t, http.StatusBadRequest, r.Status, "%s", r.Body)
			require.Contains(t, r.JSON(t)["detail"], "Content in this language already exists")
			fake.fail(http.StatusServiceUnavailable)
			r = e.do(req{Method: "GET", Path: templatesPath, Token: e.adminToken})
			require.Equal(t, http.StatusBadGateway, r.Status, "%s", r.Body)
			require.Contains(t, r.JSON(t)["detail"], "Service temporarily unavailable")

			require.Equal(t, http.StatusNoContent, e.do(req{Method: "DELETE", Path: templatesPath + "order_update/", Token: e.adminToken}).Status)
			r = e.do(req{Method: "DELETE", Path: templatesPath + "order_update/", Token: e.adminToken})
			require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
		})
	}
}

func TestTemplatesNeedTheAccountIDOnTheCloudAPI(t *testing.T) {
	fake := newFakeAccount(t, "cloud")
	e := setup(t, fake.option(), func(c *config.Config) { c.WABAID = "" })
	r := e.do(req{Method: "GET", Path: templatesPath, Token: e.adminToken})
	require.Equal(t, http.StatusBadGateway, r.Status, "%s", r.Body)
	require.Contains(t, r.JSON(t)["detail"], "WAMUX_WABA_ID")
	require.Empty(t, fake.requestLog())
}
