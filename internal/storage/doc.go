// Package storage owns the PostgreSQL connection pool, the schema migrations
// and the transaction helper that services use. It knows nothing about the
// domain.
package storage
