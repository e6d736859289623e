// Package migrations embeds the numbered goose SQL migrations so that the
// wamux binary can apply its own schema. sqlc reads the same files.
package migrations

import "embed"

// FS holds every *.sql migration in this directory.
//
//go:embed *.sql
var FS embed.FS
