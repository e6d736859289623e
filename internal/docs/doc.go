// Package docs serves the API reference page at /api/docs/: Redoc rendering
// the server's own OpenAPI document from /api/v1/openapi.yaml.
//
// Everything the page needs is embedded in the binary, so it works on a
// machine without internet access and tells no third party who reads it.
//
// The page lives outside the generated strict server on purpose: it is static
// HTML and JavaScript, not an operation of the API, and so not in openapi.yaml.
package docs
