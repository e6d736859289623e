// Package wamux holds the HTTP contract, openapi.yaml, so that the binary
// can serve it byte for byte at /api/v1/openapi.yaml. The code lives under
// internal/, gen/ and cmd/.
package wamux

import _ "embed"

// OpenAPI is the content of openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
