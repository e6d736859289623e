// Package auth authenticates requests with the reference's three schemes,
// checked in this order: the provider's `D360-Api-Key` header, an
// `Authorization: Token <key>` header and a session cookie (whose unsafe
// requests also need a matching `X-CSRFToken` header). It also owns the
// secrets: password hashing, token and session generation and hashing, and
// the throttling of failed logins.
package auth
