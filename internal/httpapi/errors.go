package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"

	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/auth"
)

var kindStatus = map[apperr.Kind]int{
	apperr.KindInvalid:        http.StatusBadRequest,
	apperr.KindUnauthorized:   http.StatusUnauthorized,
	apperr.KindForbidden:      http.StatusForbidden,
	apperr.KindNotFound:       http.StatusNotFound,
	apperr.KindTooLarge:       http.StatusRequestEntityTooLarge,
	apperr.KindUnsupported:    http.StatusUnsupportedMediaType,
	apperr.KindThrottled:      http.StatusTooManyRequests,
	apperr.KindNotImplemented: http.StatusNotImplemented,
	apperr.KindUpstream:       http.StatusBadGateway,
}

// handleError is Echo's HTTPErrorHandler: the one place where an error
// becomes an HTTP answer. Expected failures keep their message; anything
// else is logged and answered with a generic 500 that leaks nothing.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := s.errorBody(c, err)
	if status == http.StatusTooManyRequests {
		c.Response().Header().Set("Retry-After", "60")
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(status)
	} else {
		err = c.JSON(status, body)
	}
	if err != nil {
		s.logger.ErrorContext(c.Request().Context(), "write error response", "error", err)
	}
}

func (s *Server) errorBody(c echo.Context, err error) (int, any) {
	if e, ok := apperr.As(err); ok {
		status := kindStatus[e.Kind]
		if status == 0 {
			status = http.StatusBadRequest
		}
		if e.Fields != nil {
			body := make(map[string]any, len(e.Fields)+1)
			for k, v := range e.Fields {
				body[k] = v
			}
			if e.Detail != "" {
				body["detail"] = e.Detail
			}
			return status, body
		}
		return status, detail(e.Detail)
	}
	var ae *auth.Error
	if errors.As(err, &ae) {
		if ae.Status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", "Token")
		}
		return ae.Status, detail(ae.Detail)
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he.Code, detail(echoDetail(c, he))
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22") {
		// SQLSTATE class 22, data exception: a value PostgreSQL cannot
		// store, such as a NUL character or an out-of-range number. Only
		// user input gets that far, so it is the client's mistake.
		return http.StatusBadRequest, detail("The request contains a value that cannot be stored (for example a NUL character or a number out of range).")
	}
	if s.strictRoutes[c.Request().Method+" "+c.Path()] && !infoFrom(c.Request().Context()).decoded {
		// oapi-codegen's binding failed before any handler ran: the client
		// sent something the validator let through but the types cannot
		// hold (an empty string for a form integer, say).
		return http.StatusBadRequest, detail("Malformed request: a value does not fit its field's type.")
	}
	s.logger.ErrorContext(c.Request().Context(), "request failed",
		"error", err, "method", c.Request().Method, "path", c.Request().URL.Path)
	return http.StatusInternalServerError, detail("Internal server error.")
}

func detail(msg string) map[string]string { return map[string]string{"detail": msg} }

// echoDetail rewrites the messages of Echo and of oapi-codegen's generated
// wrappers, which carry Go error text, into stable sentences.
func echoDetail(c echo.Context, he *echo.HTTPError) string {
	switch he.Code {
	case http.StatusNotFound:
		return "Not found."
	case http.StatusMethodNotAllowed:
		return fmt.Sprintf("Method %q not allowed.", c.Request().Method)
	case http.StatusRequestEntityTooLarge:
		return "Request body is too large."
	case http.StatusUnsupportedMediaType:
		return fmt.Sprintf("Unsupported media type %q in request.", c.Request().Header.Get(echo.HeaderContentType))
	}
	msg, _ := he.Message.(string)
	if he.Code == http.StatusBadRequest {
		// "Invalid format for parameter id: <Go error>" -> keep the first part.
		if i := strings.Index(msg, ":"); i > 0 && strings.HasPrefix(msg, "Invalid format for parameter") {
			return msg[:i] + "."
		}
		return "Malformed request."
	}
	if msg == "" {
		msg = http.StatusText(he.Code)
	}
	return msg
}

// notImplemented is the answer of an operation whose feature has not landed;
// 501 is allowed nowhere else.
func notImplemented(feature string) error {
	return apperr.NotImplemented("Not implemented yet: this operation arrives with " + feature + ".")
}
