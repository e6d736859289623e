package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/auth"
)

// CreateMedia stores an uploaded file for any authenticated user and
// answers its id and download URL.
func (s *Server) CreateMedia(ctx context.Context, req api.CreateMediaRequestObject) (api.CreateMediaResponseObject, error) {
	up, err := readUpload(req)
	if err != nil {
		return nil, err
	}
	m, err := s.media.Upload(ctx, up.data, up.mimeType, up.filename, principal(ctx).User.ID)
	if err != nil {
		return nil, err
	}
	return api.CreateMedia201JSONResponse{File: s.media.URL(m.ID), Id: m.ID}, nil
}

// upload is a file as a request carried it.
type upload struct {
	data     []byte
	mimeType string // declared by the client, "" when not
	filename string
}

func readUpload(req api.CreateMediaRequestObject) (upload, error) {
	switch {
	case req.JSONBody != nil:
		return decodeFileEncoded(req.JSONBody.FileEncoded)
	case req.FormdataBody != nil:
		return decodeFileEncoded(req.FormdataBody.FileEncoded)
	case req.MultipartBody != nil:
		return readMultipartUpload(req.MultipartBody)
	}
	return upload{}, &apperr.Error{Kind: apperr.KindUnsupported, Detail: "Send the body as application/json, application/x-www-form-urlencoded or multipart/form-data."}
}

// readMultipartUpload reads the `file` part (or the `file_encoded` field)
// by hand rather than with runtime.BindMultipart: the part's own
// Content-Type, which types.File does not keep, helps to tell formats
// apart, and BindMultipart's ReadForm would leave temporary files behind
// for large uploads. The body size is already bounded by the server.
func readMultipartUpload(mr *multipart.Reader) (upload, error) {
	var (
		file        *upload
		encoded     string
		haveEncoded bool
		malformed   = apperr.Invalid("Malformed multipart body.")
	)
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return upload{}, malformed
		}
		switch p.FormName() {
		case "file":
			data, err := io.ReadAll(p)
			if err != nil {
				return upload{}, malformed
			}
			file = &upload{data: data, mimeType: p.Header.Get("Content-Type"), filename: p.FileName()}
		case "file_encoded":
			b, err := io.ReadAll(p)
			if err != nil {
				return upload{}, malformed
			}
			encoded, haveEncoded = string(b), true
		}
		_ = p.Close()
	}
	switch {
	case file != nil && haveEncoded:
		return upload{}, apperr.Invalid("Send either the file part or file_encoded, not both.")
	case file != nil:
		return *file, nil
	case haveEncoded:
		return decodeFileEncoded(encoded)
	}
	return upload{}, apperr.Field("file", "No file was submitted.")
}

// decodeFileEncoded decodes `file_encoded`: base64 in the standard or the
// URL-safe alphabet, padded or not, possibly wrapped over lines, or a
// base64 `data:` URL whose media type counts as the declared type.
func decodeFileEncoded(s string) (upload, error) {
	invalid := apperr.Field("file_encoded", "Invalid base64 data: send the file in base64 (standard or URL-safe) or as a data: URL.")
	s = strings.TrimSpace(s)
	var declared string
	if len(s) >= 5 && strings.EqualFold(s[:5], "data:") {
		meta, payload, ok := strings.Cut(s[5:], ",")
		if !ok {
			return upload{}, invalid
		}
		params := strings.Split(meta, ";")
		if !strings.EqualFold(strings.TrimSpace(params[len(params)-1]), "base64") {
			return upload{}, apperr.Field("file_encoded", "Only base64 data: URLs are accepted.")
		}
		if len(params) > 1 {
			declared = params[0]
		}
		s = payload
	}
	data, err := decodeBase64(s)
	if err != nil {
		return upload{}, invalid
	}
	return upload{data: data, mimeType: declared}, nil
}

// decodeBase64 accepts both alphabets, with or without padding. Line
// breaks (MIME wraps base64 at 76 columns) are dropped, and spaces are
// read as the '+' a form encoder left unescaped.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', '\t':
			return -1
		case ' ':
			return '+'
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	return enc.DecodeString(s)
}

// getMedia serves a media file's bytes. It is outside the strict server on
// purpose: byte ranges (Range, 206) and conditional requests
// (If-None-Match, If-Modified-Since, 304) need http.ServeContent over a
// seekable file, which the strict server's typed responses cannot express.
//
// Being excluded from generation also removes the operation from the
// embedded spec, so the validator middleware never matches it and checks
// neither security nor parameters: the handler requires authentication
// itself (TestMediaAccess holds it to that).
func (s *Server) getMedia(c echo.Context) error {
	r := c.Request()
	ctx := r.Context()
	if err := auth.Require(ctx); err != nil {
		return err
	}
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return apperr.NotFound("Not found.")
	}
	f, m, err := s.media.Open(ctx, id)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()

	h := c.Response().Header()
	h.Set(echo.HeaderContentType, m.MimeType)
	h.Set("ETag", `"`+m.SHA256+`"`)
	// A media id always names the same bytes, but only authenticated users
	// may read them: browsers may cache, shared caches may not.
	h.Set("Cache-Control", "private, max-age=86400")
	// Files come from strangers: never let a browser run one as a page of
	// this origin.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	disposition := "attachment"
	if m.Inline() {
		disposition = "inline"
	}
	if m.Filename != "" {
		if v := mime.FormatMediaType(disposition, map[string]string{"filename": m.Filename}); v != "" {
			disposition = v
		}
	}
	h.Set("Content-Disposition", disposition)
	http.ServeContent(&jsonErrorWriter{ResponseWriter: c.Response()}, r, "", m.CreatedAt, f)
	return nil
}

// jsonErrorWriter rewrites the plain-text error answers of
// http.ServeContent (412 to a failed If-Match or If-Unmodified-Since, 416
// to a range outside the file) into the API's {"detail": ...} shape.
type jsonErrorWriter struct {
	http.ResponseWriter
	discard bool
}

func (w *jsonErrorWriter) WriteHeader(code int) {
	if code < http.StatusBadRequest {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	msg := "Precondition failed."
	if code == http.StatusRequestedRangeNotSatisfiable {
		msg = "The requested range is not satisfiable."
	}
	body, _ := json.Marshal(detail(msg))
	h := w.Header()
	h.Del("Content-Disposition")
	h.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	w.ResponseWriter.WriteHeader(code)
	_, _ = w.ResponseWriter.Write(body)
	w.discard = true
}

func (w *jsonErrorWriter) Write(b []byte) (int, error) {
	if w.discard {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
