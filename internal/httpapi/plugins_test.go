package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/config"
)

// newPlugin is a loopback plugin whose public data echoes the query it
// was asked with.
func newPlugin(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/public/":
			_ = json.NewEncoder(w).Encode(map[string]any{"schema_version": 1, "query": r.URL.Query(), "accept": r.Header.Get("Accept")})
		case "/broken/":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			_, _ = w.Write([]byte(`["not", "an", "object"]`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPluginPublicData(t *testing.T) {
	plugin := newPlugin(t)
	e := setup(t, func(c *config.Config) {
		c.Plugins = map[string]string{
			"forms": plugin.URL + "/public/?fixed=1", "nodata": "", "broken": plugin.URL + "/broken/", "odd": plugin.URL + "/array/",
		}
	})
	_, user := e.createUser("agent", "user")

	r := e.do(req{Method: "GET", Path: "/api/v1/plugins/forms/public/?lang=de&tag=a&tag=b", Token: user})
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.Equal(t, map[string]any{"response": map[string]any{
		"schema_version": float64(1), "accept": "application/json",
		"query": map[string]any{"fixed": []any{"1"}, "lang": []any{"de"}, "tag": []any{"a", "b"}},
	}}, r.JSON(t), "the query is forwarded as it is, beside the configured one")

	for path, want := range map[string]int{
		"/api/v1/plugins/unknown/public/": http.StatusNotFound,
		"/api/v1/plugins/nodata/public/":  http.StatusNotImplemented,
		"/api/v1/plugins/broken/public/":  http.StatusBadGateway,
		"/api/v1/plugins/odd/public/":     http.StatusBadGateway,
	} {
		r := e.do(req{Method: "GET", Path: path, Token: user})
		require.Equal(t, want, r.Status, "%s: %s", path, r.Body)
		require.NotEmpty(t, r.JSON(t)["detail"], path)
	}
	require.Equal(t, http.StatusForbidden, e.do(req{Method: "GET", Path: "/api/v1/plugins/forms/public/"}).Status)
}
