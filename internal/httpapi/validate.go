package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"

	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/auth"
)

// validator checks every request that matches an operation of openapi.yaml
// against it before a handler runs: security first (so an anonymous caller
// learns nothing about the shape of a request), then parameters and body.
// Its failures name the offending field, as the API's clients expect.
type validator struct {
	router routers.Router
}

const inboundPath = "/api/v1/waba/webhook/"

func newValidator(spec *openapi3.T) (*validator, error) {
	useFormDecoder()
	// The validator would otherwise check the Host header against servers.
	spec.Servers = nil
	r, err := gorillamux.NewRouter(spec)
	if err != nil {
		return nil, fmt.Errorf("build spec router: %w", err)
	}
	return &validator{router: r}, nil
}

func (v *validator) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.URL.Path == inboundPath {
			// The provider's webhook is the hot path and internal/waba
			// parses and checks it strictly; schema validation would only
			// parse it a second time.
			return next(c)
		}
		route, params, err := v.router.FindRoute(req)
		if err != nil {
			// Not an operation of the spec (or a wrong method): Echo's
			// router answers 404 or 405.
			return next(c)
		}
		in := &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      route,
			Options: &openapi3filter.Options{
				AuthenticationFunc: authenticationFunc,
				// Defaults are applied by handlers, which know them anyway;
				// leaving the body untouched keeps PATCH semantics exact.
				SkipSettingDefaults: true,
			},
		}
		if err := openapi3filter.ValidateRequest(req.Context(), in); err != nil {
			return requestError(err)
		}
		return next(c)
	}
}

// authenticationFunc is called once per security scheme an operation
// accepts; the auth middleware has already resolved the credentials, so any
// scheme is satisfied by an authenticated caller.
func authenticationFunc(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	if err := auth.Require(in.RequestValidationInput.Request.Context()); err != nil {
		return err
	}
	return nil
}

// requestError turns a kin-openapi validation failure into the API's error
// shape.
func requestError(err error) error {
	var sec *openapi3filter.SecurityRequirementsError
	if errors.As(err, &sec) {
		for _, e := range sec.Errors {
			var ae *auth.Error
			if errors.As(e, &ae) {
				return ae
			}
		}
		return &auth.Error{Status: http.StatusForbidden, Detail: auth.DetailNoCredentials}
	}
	if errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
		return echo.ErrStatusRequestEntityTooLarge
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return fmt.Errorf("validate request: %w", err)
	}
	switch {
	case re.Parameter != nil:
		return apperr.Field(re.Parameter.Name, reason(re))
	case strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
		return &apperr.Error{Kind: apperr.KindUnsupported, Detail: "Unsupported media type in request; send application/json, application/x-www-form-urlencoded or multipart/form-data."}
	case re.RequestBody != nil:
		var se *openapi3.SchemaError
		if errors.As(re.Err, &se) {
			field := strings.Join(se.JSONPointer(), ".")
			if field == "" {
				return apperr.Invalid("Invalid request body: " + se.Reason)
			}
			return apperr.Field(field, capitalize(se.Reason)+".")
		}
		if nf, ok := asNestedInForm(re.Err); ok {
			return apperr.Field(nf.field, "A nested field: send it in a JSON body (application/json); a form carries plain fields only.")
		}
		var pe *openapi3filter.ParseError
		if errors.As(re.Err, &pe) {
			if strings.Contains(pe.Error(), "unsupported content type") {
				return &apperr.Error{Kind: apperr.KindUnsupported, Detail: "Unsupported media type in request."}
			}
			return apperr.Invalid("Malformed request body.")
		}
		if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) || strings.Contains(re.Error(), "value is required") {
			return apperr.Invalid("A request body is required.")
		}
		return apperr.Invalid("Malformed request body.")
	}
	return apperr.Invalid(capitalize(re.Reason) + ".")
}

func reason(re *openapi3filter.RequestError) string {
	var se *openapi3.SchemaError
	if errors.As(re.Err, &se) {
		return capitalize(se.Reason) + "."
	}
	if re.Reason != "" {
		return capitalize(re.Reason) + "."
	}
	return "Invalid value."
}

func capitalize(s string) string {
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
