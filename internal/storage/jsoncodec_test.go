package storage_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/internal/dbtest"
)

// Stored JSON reaches a json.RawMessage as PostgreSQL wrote it, NULL as
// nil; other destinations are still unmarshalled.
func TestStoredJSONScan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	rows, err := pool.Query(ctx, `SELECT v FROM (VALUES ('{"b": [1, 2], "a": "x"}'::jsonb), ('null'::jsonb), (NULL), ('"s"'::jsonb)) AS t(v)`)
	require.NoError(t, err)
	var got []json.RawMessage
	for rows.Next() {
		var v json.RawMessage
		require.NoError(t, rows.Scan(&v))
		got = append(got, v)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []json.RawMessage{json.RawMessage(`{"a": "x", "b": [1, 2]}`), json.RawMessage(`null`), nil, json.RawMessage(`"s"`)}, got,
		"each row its own copy, not the next row's bytes")

	var m map[string]any
	require.NoError(t, pool.QueryRow(ctx, `SELECT '{"a": 1}'::json`).Scan(&m))
	require.Equal(t, map[string]any{"a": float64(1)}, m)
	var s struct{ A int }
	require.Error(t, pool.QueryRow(ctx, `SELECT '"not an object"'::jsonb`).Scan(&s), "other destinations are unmarshalled as before")
}
