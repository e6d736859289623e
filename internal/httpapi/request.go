package httpapi

import (
	"context"
	"mime/multipart"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/oapi-codegen/runtime"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/auth"
)

// requestBody picks the body of whichever content type the client sent:
// every operation accepts JSON, form and multipart (the reference's rule).
// The validator has already checked it against openapi.yaml.
func requestBody[T any](jsonBody, formBody *T, mp *multipart.Reader) (*T, error) {
	switch {
	case jsonBody != nil:
		return jsonBody, nil
	case formBody != nil:
		return formBody, nil
	case mp != nil:
		var v T
		if err := runtime.BindMultipart(&v, *mp); err != nil {
			return nil, apperr.Invalid("Malformed multipart body.")
		}
		return &v, nil
	}
	return nil, &apperr.Error{Kind: apperr.KindUnsupported, Detail: "Send the body as application/json, application/x-www-form-urlencoded or multipart/form-data."}
}

// requestInfo is what strict handlers, which only see the context, need
// to know about the HTTP request itself.
type requestInfo struct {
	url        *url.URL
	clientAddr string
	// decoded is set once a strict handler is about to run: the request
	// was bound to its types. An unexpected error before that point came
	// from decoding the client's request (see markDecoded).
	decoded bool
}

type requestInfoKey struct{}

// keepRequestInfo puts the request URL (for pagination links) and the
// client address (for login throttling) in the context.
func keepRequestInfo(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		info := &requestInfo{url: c.Request().URL, clientAddr: c.RealIP()}
		ctx := context.WithValue(c.Request().Context(), requestInfoKey{}, info)
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

func infoFrom(ctx context.Context) *requestInfo {
	if info, ok := ctx.Value(requestInfoKey{}).(*requestInfo); ok {
		return info
	}
	return &requestInfo{url: &url.URL{}}
}

func clientAddr(ctx context.Context) string { return infoFrom(ctx).clientAddr }

// principal returns the authenticated caller. Secured operations only run
// after the validator's security check, so a nil here is a wiring bug.
func principal(ctx context.Context) *auth.Principal {
	p := auth.FromContext(ctx)
	if p == nil {
		panic("httpapi: secured operation reached without a principal")
	}
	return p
}

// requireAdmin answers 403 unless the caller is an admin.
func requireAdmin(ctx context.Context) error {
	if !principal(ctx).IsAdmin() {
		return apperr.Forbidden("You do not have permission to perform this action.")
	}
	return nil
}

// Pagination defaults; openapi.yaml documents the same numbers.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// page is a resolved limit/offset pair.
type page struct {
	limit, offset int
}

func newPage(limit, offset *int) page {
	p := page{limit: defaultLimit}
	if limit != nil && *limit > 0 {
		p.limit = min(*limit, maxLimit)
	}
	if offset != nil && *offset > 0 {
		p.offset = *offset
	}
	return p
}

// links returns the DRF-style next and previous URLs of p within count
// results, keeping every other query parameter of the request.
func (s *Server) links(ctx context.Context, p page, count int64) (next, prev *string) {
	u := infoFrom(ctx).url
	build := func(offset int) *string {
		q := u.Query()
		q.Set("limit", strconv.Itoa(p.limit))
		if offset > 0 {
			q.Set("offset", strconv.Itoa(offset))
		} else {
			q.Del("offset")
		}
		s := s.cfg.BaseURL + u.Path + "?" + q.Encode()
		return &s
	}
	if int64(p.offset+p.limit) < count {
		next = build(p.offset + p.limit)
	}
	if p.offset > 0 {
		prev = build(max(0, p.offset-p.limit))
	}
	return next, prev
}

// markDecoded is a strict-server middleware: it runs after oapi-codegen
// has bound the request (parameters, JSON, form or multipart body) and
// just before the handler, and records that binding succeeded.
func markDecoded(f api.StrictHandlerFunc, _ string) api.StrictHandlerFunc {
	return func(c echo.Context, request any) (any, error) {
		infoFrom(c.Request().Context()).decoded = true
		return f(c, request)
	}
}
