package docs

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

const (
	// prefix is where the server mounts Handler; the handler sees full paths.
	prefix = "/api/docs/"

	// assetPrefix is where the page finds its scripts.
	assetPrefix = prefix + "assets/"

	// assetCacheControl lets browsers keep the 2 MB bundle for a day. It is not
	// immutable because its URL carries no version: after an upgrade a browser
	// may run the old bundle for up to a day, which is harmless for docs.
	assetCacheControl = "public, max-age=86400"

	// contentSecurityPolicy keeps the page offline for certain: Redoc's bundle
	// still refers to a logo and icons on Redocly's CDN, and this makes the
	// browser skip them rather than call out. Styles must allow 'unsafe-inline'
	// because Redoc's styled-components inject <style> elements at run time.
	contentSecurityPolicy = "default-src 'self'; " +
		"script-src 'self'; " +
		"style-src 'self' 'unsafe-inline'; " +
		"img-src 'self' data: blob:; " +
		"font-src 'self' data:; " +
		"connect-src 'self'; " +
		"worker-src 'self' blob:; " +
		"object-src 'none'; " +
		"base-uri 'none'; " +
		"form-action 'none'; " +
		"frame-ancestors 'none'"
)

//go:embed index.html
var indexHTML []byte

// assetFS holds the files served under /api/docs/assets/. Only scripts and
// styles are embedded: the README and licence beside them are for people
// reading the repository, not for browsers.
//
//go:embed assets/*.js
var assetFS embed.FS

// asset is one embedded file, read once at start.
type asset struct {
	body []byte
	etag string
}

// Handler returns the handler for the API reference page. It expects full
// request paths: GET /api/docs/ is the page and GET /api/docs/assets/<file> its
// scripts; every other path is 404. The server mounts it at /api/docs/.
func Handler() http.Handler {
	assets := make(map[string]asset)
	// The embedded files are known at compile time, so reading them cannot
	// fail; a failure here means a broken build, worth a panic at start.
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		assets[path.Base(p)] = asset{body: body, etag: etagOf(body)}
		return nil
	})
	if err != nil {
		panic("docs: read embedded assets: " + err.Error())
	}
	page := asset{body: indexHTML, etag: etagOf(indexHTML)}

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == prefix:
			if !allowMethod(w, r) {
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
			// The page is tiny and changes with each release: revalidate it
			// every time, which the ETag makes cheap.
			w.Header().Set("Cache-Control", "no-cache")
			serve(w, r, "index.html", page)

		case strings.HasPrefix(r.URL.Path, assetPrefix):
			name := strings.TrimPrefix(r.URL.Path, assetPrefix)
			a, ok := assets[name]
			if !ok {
				http.NotFound(w, r)
				return
			}
			if !allowMethod(w, r) {
				return
			}
			w.Header().Set("Cache-Control", assetCacheControl)
			serve(w, r, name, a)

		default:
			http.NotFound(w, r)
		}
	})
}

// serve writes a with http.ServeContent, which answers HEAD, Range and
// If-None-Match requests, and takes the content type from name's extension
// unless one is set already.
func serve(w http.ResponseWriter, r *http.Request, name string, a asset) {
	w.Header().Set("ETag", a.etag)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// Embedded files have no modification time; the zero time makes
	// ServeContent rely on the ETag alone.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}

// allowMethod answers 405 to anything but GET and HEAD, and reports whether
// the request may go on.
func allowMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	return false
}

// etagOf returns a strong ETag for body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}
