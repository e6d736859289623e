// Package httpapi is wamux's HTTP surface: it implements the strict-server
// interface generated from openapi.yaml (one file per resource), wires the
// middleware (request ids, logging, metrics, body limits, authentication,
// OpenAPI request validation) and serves the few routes that live outside
// the strict server on purpose: the HTML login form, the spec and its docs
// page, and the operational probes.
//
// Handlers stay thin: they translate API types to service calls and back;
// the mapping of rows to API types lives in mapping.go and every error
// becomes an HTTP answer in errors.go.
package httpapi
