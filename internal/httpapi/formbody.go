package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// A form (application/x-www-form-urlencoded) carries plain fields only.
// kin-openapi's own form decoder refuses the whole body when the schema
// merely has an object field, or an array of objects, even if the form does
// not send it: a user could not change their first_name through a form
// because UserUpdate also has `profile` and `groups`. This decoder checks
// the plain fields a form can carry against the schema, and refuses, by
// name, a nested field a form tries to send.
var registerFormDecoder sync.Once

func useFormDecoder() {
	registerFormDecoder.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/x-www-form-urlencoded", decodeForm)
	})
}

// errNestedInForm is a form naming a field that only JSON can carry.
type errNestedInForm struct{ field string }

func (e *errNestedInForm) Error() string {
	return fmt.Sprintf("field %q is nested: it can only be sent in a JSON body", e.field)
}

func decodeForm(body io.Reader, h http.Header, schema *openapi3.SchemaRef, enc openapi3filter.EncodingFn) (any, error) {
	if schema == nil || schema.Value == nil || !schema.Value.Type.Is("object") {
		return openapi3filter.UrlencodedBodyDecoder(body, h, schema, enc)
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	values, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, err
	}
	flat := *schema.Value
	flat.Properties = openapi3.Schemas{}
	for name, p := range schema.Value.Properties {
		if p.Value != nil && !plain(p.Value) {
			if sentInForm(values, name) {
				return nil, &errNestedInForm{field: name}
			}
			continue
		}
		flat.Properties[name] = p
	}
	// Required nested fields cannot come from a form; the handler says so
	// if it needs them.
	flat.Required = nil
	for _, r := range schema.Value.Required {
		if _, ok := flat.Properties[r]; ok {
			flat.Required = append(flat.Required, r)
		}
	}
	return openapi3filter.UrlencodedBodyDecoder(strings.NewReader(string(raw)), h, &openapi3.SchemaRef{Value: &flat}, enc)
}

// plain reports whether a form can carry a field of schema s: a scalar, or
// an array of scalars.
func plain(s *openapi3.Schema) bool {
	switch {
	case s.Type.Is("object"):
		return false
	case s.Type.Is("array"):
		return s.Items != nil && s.Items.Value != nil && plain(s.Items.Value) && !s.Items.Value.Type.Is("array")
	}
	// allOf/oneOf wrappers of objects ($ref with a description) have no type
	// of their own.
	for _, sub := range append(append(s.AllOf, s.OneOf...), s.AnyOf...) {
		if sub.Value != nil && !plain(sub.Value) {
			return false
		}
	}
	return true
}

// sentInForm reports whether the form sends name itself or a part of it
// (name.x, name[x]).
func sentInForm(values url.Values, name string) bool {
	for k := range values {
		if k == name || strings.HasPrefix(k, name+".") || strings.HasPrefix(k, name+"[") {
			return true
		}
	}
	return false
}

func asNestedInForm(err error) (*errNestedInForm, bool) {
	var e *errNestedInForm
	ok := errors.As(err, &e)
	return e, ok
}
