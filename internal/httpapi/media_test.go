package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/config"
)

// onePixelPNG is the example of openapi.yaml.
var onePixelPNG = mustBase64("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")

func mustBase64(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// jpegWithURLUnsafeBase64 is a JPEG whose standard base64 has '+' and '/',
// so that its URL-safe encoding differs.
var jpegWithURLUnsafeBase64 = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0xFB, 0xEF, 0xFF, 0xFB, 0xFF, 0xBF}, bytes.Repeat([]byte{0xFB, 0xFF, 0xBE}, 20)...)

func withBodyLimit(n int64) option { return func(c *config.Config) { c.MaxBodyBytes = n } }

// uploadMedia uploads data as base64 JSON and returns the new media's id.
func (e *env) uploadMedia(token string, data []byte) string {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "/api/v1/media/", Token: token,
		Body: map[string]any{"file_encoded": base64.StdEncoding.EncodeToString(data)}})
	require.Equal(e.t, http.StatusCreated, r.Status, "%s", r.Body)
	return r.JSON(e.t)["id"].(string)
}

func mediaPath(id string) string { return "/api/v1/media/" + id + "/" }

// multipartFile encodes one file part (and extra fields) as multipart/form-data.
func multipartFile(t *testing.T, field, filename, contentType string, data []byte, fields map[string]string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if field != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+filename+`"`)
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		part, err := w.CreatePart(h)
		require.NoError(t, err)
		_, err = part.Write(data)
		require.NoError(t, err)
	}
	for k, v := range fields {
		require.NoError(t, w.WriteField(k, v))
	}
	require.NoError(t, w.Close())
	return buf.Bytes(), w.FormDataContentType()
}

func TestMediaUploadThenDownload(t *testing.T) {
	e := setup(t)
	_, userToken := e.createUser("mediauser", "user")

	r := e.do(req{Method: "POST", Path: "/api/v1/media/", Token: userToken,
		Body: map[string]any{"file_encoded": base64.StdEncoding.EncodeToString(onePixelPNG)}})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	m := r.JSON(t)
	id := m["id"].(string)
	require.Equal(t, baseURL+mediaPath(id), m["file"])

	// Any authenticated user reads it, with its own content type.
	get := e.do(req{Method: "GET", Path: mediaPath(id), Token: e.adminToken})
	require.Equal(t, http.StatusOK, get.Status, "%s", get.Body)
	require.Equal(t, onePixelPNG, get.Body)
	require.Equal(t, "image/png", get.Header.Get("Content-Type"))
	require.Equal(t, strconv.Itoa(len(onePixelPNG)), get.Header.Get("Content-Length"))
	sum := sha256.Sum256(onePixelPNG)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	require.Equal(t, etag, get.Header.Get("ETag"))
	require.NotEmpty(t, get.Header.Get("Last-Modified"))
	require.Equal(t, "bytes", get.Header.Get("Accept-Ranges"))
	require.Equal(t, "inline", get.Header.Get("Content-Disposition"))
	require.Equal(t, "nosniff", get.Header.Get("X-Content-Type-Options"))

	// Conditional request: unchanged.
	nm := e.do(req{Method: "GET", Path: mediaPath(id), Token: userToken, Header: map[string]string{"If-None-Match": etag}})
	require.Equal(t, http.StatusNotModified, nm.Status)
	require.Empty(t, nm.Body)
	require.Equal(t, etag, nm.Header.Get("ETag"))
	other := e.do(req{Method: "GET", Path: mediaPath(id), Token: userToken, Header: map[string]string{"If-None-Match": `"something-else"`}})
	require.Equal(t, http.StatusOK, other.Status)
	since := e.do(req{Method: "GET", Path: mediaPath(id), Token: userToken, Header: map[string]string{"If-Modified-Since": get.Header.Get("Last-Modified")}})
	require.Equal(t, http.StatusNotModified, since.Status)

	// Byte ranges.
	part := e.do(req{Method: "GET", Path: mediaPath(id), Token: userToken, Header: map[string]string{"Range": "bytes=1-3"}})
	require.Equal(t, http.StatusPartialContent, part.Status, "%s", part.Body)
	require.Equal(t, []byte("PNG"), part.Body)
	require.Equal(t, "bytes 1-3/"+strconv.Itoa(len(onePixelPNG)), part.Header.Get("Content-Range"))
	require.Equal(t, "image/png", part.Header.Get("Content-Type"))
	outside := e.do(req{Method: "GET", Path: mediaPath(id), Token: userToken, Header: map[string]string{"Range": "bytes=100000-"}})
	require.Equal(t, http.StatusRequestedRangeNotSatisfiable, outside.Status)
	require.NotEmpty(t, outside.JSON(t)["detail"])
}

func TestMediaUploadEncodings(t *testing.T) {
	e := setup(t)
	std := base64.StdEncoding.EncodeToString(jpegWithURLUnsafeBase64)
	require.True(t, strings.ContainsAny(std, "+/"), "the fixture exercises the URL-safe alphabet")
	urlSafe := base64.RawURLEncoding.EncodeToString(jpegWithURLUnsafeBase64)
	var wrapped strings.Builder
	for i := 0; i < len(std); i += 20 {
		wrapped.WriteString(std[i:min(i+20, len(std))])
		wrapped.WriteString("\r\n")
	}
	form := url.Values{"file_encoded": {std}}.Encode()
	mpEncoded, mpEncodedCT := multipartBody(t, map[string]string{"file_encoded": urlSafe})
	mpFile, mpFileCT := multipartFile(t, "file", "photo.jpg", "image/jpeg", jpegWithURLUnsafeBase64, nil)

	cases := []struct {
		name string
		r    req
	}{
		{"json standard", req{Body: map[string]any{"file_encoded": std}}},
		{"json url-safe unpadded", req{Body: map[string]any{"file_encoded": urlSafe}}},
		{"json wrapped lines", req{Body: map[string]any{"file_encoded": wrapped.String()}}},
		{"json data url", req{Body: map[string]any{"file_encoded": "data:image/jpeg;base64," + std}}},
		{"form", req{RawBody: []byte(form), ContentType: "application/x-www-form-urlencoded"}},
		{"form with an unescaped plus", req{RawBody: []byte("file_encoded=" + url.QueryEscape(strings.ReplaceAll(std, "+", " "))), ContentType: "application/x-www-form-urlencoded"}},
		{"multipart file_encoded", req{RawBody: mpEncoded, ContentType: mpEncodedCT}},
		{"multipart file", req{RawBody: mpFile, ContentType: mpFileCT}},
	}
	for _, c := range cases {
		c.r.Method, c.r.Path, c.r.Token = "POST", "/api/v1/media/", e.adminToken
		r := e.do(c.r)
		require.Equal(t, http.StatusCreated, r.Status, "%s: %s", c.name, r.Body)
		get := e.do(req{Method: "GET", Path: mediaPath(r.JSON(t)["id"].(string)), Token: e.adminToken})
		require.Equal(t, http.StatusOK, get.Status, c.name)
		require.Equal(t, jpegWithURLUnsafeBase64, get.Body, c.name)
		require.Equal(t, "image/jpeg", get.Header.Get("Content-Type"), c.name)
	}
}

func TestMediaMultipartKeepsFilenameAndRefinesType(t *testing.T) {
	e := setup(t)
	pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
	body, ct := multipartFile(t, "file", "Quarterly report.pdf", "application/pdf", pdf, nil)
	r := e.do(req{Method: "POST", Path: "/api/v1/media/", Token: e.adminToken, RawBody: body, ContentType: ct})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	get := e.do(req{Method: "GET", Path: mediaPath(r.JSON(t)["id"].(string)), Token: e.adminToken})
	require.Equal(t, pdf, get.Body)
	require.Equal(t, "application/pdf", get.Header.Get("Content-Type"))
	require.Equal(t, `attachment; filename="Quarterly report.pdf"`, get.Header.Get("Content-Disposition"))

	// A .docx is a ZIP archive to the sniffer; its name says which kind.
	docx := append([]byte("PK\x03\x04\x14\x00\x06\x00"), bytes.Repeat([]byte{0}, 64)...)
	body, ct = multipartFile(t, "file", "letter.docx", "application/octet-stream", docx, nil)
	r = e.do(req{Method: "POST", Path: "/api/v1/media/", Token: e.adminToken, RawBody: body, ContentType: ct})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	get = e.do(req{Method: "GET", Path: mediaPath(r.JSON(t)["id"].(string)), Token: e.adminToken})
	require.Equal(t, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", get.Header.Get("Content-Type"))

	// A declared type never overrides the content: text stays text.
	body, ct = multipartFile(t, "file", "notes.png", "image/png", []byte("just some notes\n"), nil)
	r = e.do(req{Method: "POST", Path: "/api/v1/media/", Token: e.adminToken, RawBody: body, ContentType: ct})
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Body)
	get = e.do(req{Method: "GET", Path: mediaPath(r.JSON(t)["id"].(string)), Token: e.adminToken})
	require.Equal(t, "text/plain", get.Header.Get("Content-Type"))
}

func TestMediaUploadRejects(t *testing.T) {
	e := setup(t, withBodyLimit(4<<20))
	webp := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), bytes.Repeat([]byte{1}, 600<<10)...)
	noFile, noFileCT := multipartBody(t, map[string]string{})
	both, bothCT := multipartFile(t, "file", "a.png", "image/png", onePixelPNG, map[string]string{"file_encoded": "aGk="})

	cases := []struct {
		name   string
		r      req
		status int
		detail string // a substring of the answer
	}{
		{"sticker over 500 KB", req{Body: map[string]any{"file_encoded": base64.StdEncoding.EncodeToString(webp)}}, 413, "up to 500 KB"},
		{"gif", req{Body: map[string]any{"file_encoded": base64.StdEncoding.EncodeToString([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))}}, 415, "image/gif"},
		{"html", req{Body: map[string]any{"file_encoded": base64.StdEncoding.EncodeToString([]byte("<html><script>alert(1)</script></html>"))}}, 415, "text/html"},
		{"unknown binary declared as jpeg", req{Body: map[string]any{"file_encoded": "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 3, 4, 5})}}, 415, "declared as image/jpeg"},
		{"bad base64", req{Body: map[string]any{"file_encoded": "!!! not base64 !!!"}}, 400, "file_encoded"},
		{"not a base64 data url", req{Body: map[string]any{"file_encoded": "data:text/plain,hello"}}, 400, "file_encoded"},
		{"empty", req{Body: map[string]any{"file_encoded": ""}}, 400, "The file is empty."},
		{"missing field", req{Body: map[string]any{}}, 400, "file_encoded"},
		{"multipart without a file", req{RawBody: noFile, ContentType: noFileCT}, 400, "No file was submitted."},
		{"multipart with both", req{RawBody: both, ContentType: bothCT}, 400, "not both"},
		{"text/plain body", req{RawBody: []byte("hello"), ContentType: "text/plain"}, 415, ""},
	}
	for _, c := range cases {
		c.r.Method, c.r.Path, c.r.Token = "POST", "/api/v1/media/", e.adminToken
		r := e.do(c.r)
		require.Equal(t, c.status, r.Status, "%s: %s", c.name, r.Body)
		require.Contains(t, string(r.Body), c.detail, c.name)
	}
	var n int
	require.NoError(t, e.pool.QueryRow(t.Context(), "SELECT count(*) FROM media").Scan(&n))
	require.Zero(t, n, "nothing was stored")
}

func TestMediaAccess(t *testing.T) {
	e := setup(t)
	id := e.uploadMedia(e.adminToken, onePixelPNG)

	r := e.do(req{Method: "GET", Path: mediaPath(id)})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Equal(t, map[string]any{"detail": auth.DetailNoCredentials}, r.JSON(t))
	r = e.do(req{Method: "GET", Path: mediaPath(id), Token: "0000000000000000000000000000000000000000"})
	require.Equal(t, http.StatusUnauthorized, r.Status)
	r = e.do(req{Method: "POST", Path: "/api/v1/media/", Body: map[string]any{"file_encoded": "aGk="}})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Equal(t, map[string]any{"detail": auth.DetailNoCredentials}, r.JSON(t))

	r = e.do(req{Method: "GET", Path: mediaPath("9b2f5e1c-0d4b-4f7e-9a59-3f1c2d4e5f60"), Token: e.adminToken})
	require.Equal(t, http.StatusNotFound, r.Status)
	require.Equal(t, "Not found.", r.JSON(t)["detail"])
	r = e.do(req{Method: "GET", Path: mediaPath("not-a-uuid"), Token: e.adminToken})
	require.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, r.Status, "%s", r.Body)
	require.NotEmpty(t, r.JSON(t))
	r = e.do(req{Method: "GET", Path: mediaPath("not-a-uuid")})
	require.Equal(t, http.StatusForbidden, r.Status, "security is checked before the parameters")
}
