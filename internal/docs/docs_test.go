package docs

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// setup serves Handler the way the server mounts it: under /api/docs/ on a
// mux that also has other routes.
func setup(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/api/docs/", Handler())
	mux.HandleFunc("/api/v1/openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "openapi: 3.0.3\n")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

var attrRE = regexp.MustCompile(`\b(?:src|href|spec-url)\s*=\s*"([^"]*)"`)

func TestPage(t *testing.T) {
	t.Parallel()
	srv := setup(t)

	resp, body := get(t, srv, "/api/docs/", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")

	html := string(body)
	require.Contains(t, html, "<redoc")
	require.Contains(t, html, `disable-telemetry="true"`)
	// Offline means no absolute URL at all, not only in src and href.
	require.NotContains(t, html, "http://")
	require.NotContains(t, html, "https://")
	require.NotContains(t, html, `="//`, "protocol-relative URLs reach out too")

	// Every reference is a local path that this server answers.
	refs := attrRE.FindAllStringSubmatch(html, -1)
	require.Len(t, refs, 2, "the page loads the bundle and the spec, nothing else")
	for _, m := range refs {
		ref := m[1]
		require.True(t, strings.HasPrefix(ref, "/"), "reference %q is not a local path", ref)
		resp, _ := get(t, srv, ref, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s", ref)
	}
}

func TestAsset(t *testing.T) {
	t.Parallel()
	srv := setup(t)

	resp, body := get(t, srv, "/api/docs/assets/redoc.standalone.js", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Regexp(t, `^(text|application)/javascript\b`, resp.Header.Get("Content-Type"))
	require.Equal(t, "public, max-age=86400", resp.Header.Get("Cache-Control"))
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	require.Greater(t, len(body), 1_000_000, "the Redoc bundle is about 2 MB")
	require.Equal(t, strconv.Itoa(len(body)), resp.Header.Get("Content-Length"))
	require.Contains(t, string(body[:200]), "Version: 3.0.1", "assets/README.md names the version")

	// A browser revalidating its copy gets no body back.
	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	resp, body = get(t, srv, "/api/docs/assets/redoc.standalone.js", http.Header{"If-None-Match": {etag}})
	require.Equal(t, http.StatusNotModified, resp.StatusCode)
	require.Empty(t, body)
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	srv := setup(t)

	for _, path := range []string{
		"/api/docs/assets/missing.js",
		"/api/docs/assets/README.md",
		"/api/docs/assets/LICENSE.redoc",
		"/api/docs/assets/",
		"/api/docs/assets/sub/redoc.standalone.js",
		"/api/docs/index.html",
		"/api/docs/other",
	} {
		resp, _ := get(t, srv, path, nil)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, "GET %s", path)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/docs/", nil))
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	require.Equal(t, "GET, HEAD", rec.Header().Get("Allow"))
}
