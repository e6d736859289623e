package storage_test

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/db/migrations"
	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/inbox"
)

// Migration 00015 folds the searchable text of the messages stored before
// it, as inbox.SearchText folds new ones, and leaves the messages' payloads
// alone.
func TestMigrationFoldsStoredSearchText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sqldb, err := sql.Open("pgx", dbtest.URL(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = sqldb.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, migrations.FS)
	require.NoError(t, err)
	_, err = p.DownTo(ctx, 14)
	require.NoError(t, err)

	const text = "Où est mon REMBOURSEMENT? Ärger, ΣΟΦΙΑ"
	_, err = sqldb.ExecContext(ctx, `INSERT INTO persons (wa_id, profile_name, initials) VALUES ('15550000001', 'Ann', 'A')`)
	require.NoError(t, err)
	_, err = sqldb.ExecContext(ctx, `INSERT INTO chats (wa_id) VALUES ('15550000001')`)
	require.NoError(t, err)
	_, err = sqldb.ExecContext(ctx, `
		INSERT INTO messages (wamid, chat_wa_id, from_us, type, waba_payload, body_text, ts)
		VALUES ('wamid.M1', '15550000001', false, 'text', jsonb_build_object('text', jsonb_build_object('body', $1::text)), $1, date_trunc('second', now())),
		       ('wamid.M2', '15550000001', false, 'text', '{}', '', date_trunc('second', now()))`, text)
	require.NoError(t, err)
	_, err = p.Up(ctx)
	require.NoError(t, err)

	var folded, payload string
	require.NoError(t, sqldb.QueryRowContext(ctx, `SELECT body_text, waba_payload->'text'->>'body' FROM messages WHERE wamid = 'wamid.M1'`).Scan(&folded, &payload))
	require.Equal(t, inbox.SearchText(text), folded)
	require.Equal(t, text, payload)
	var empty string
	require.NoError(t, sqldb.QueryRowContext(ctx, `SELECT body_text FROM messages WHERE wamid = 'wamid.M2'`).Scan(&empty))
	require.Empty(t, empty)
}
