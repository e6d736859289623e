package devdb

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestEnsure(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	connURL, err := Ensure(ctx, testLogger(t))
	require.NoError(t, err)

	conn, err := pgx.Connect(ctx, connURL)
	require.NoError(t, err)
	defer conn.Close(context.WithoutCancel(ctx))

	var one int
	require.NoError(t, conn.QueryRow(ctx, "SELECT 1").Scan(&one))
	require.Equal(t, 1, one)
}

func TestEnsureReturnsDatabaseURLUnprobed(t *testing.T) {
	// Nothing listens there: Ensure must not try.
	const want = "postgres://someone@db.invalid:1/elsewhere?sslmode=disable"
	t.Setenv("DATABASE_URL", want)

	got, err := Ensure(t.Context(), testLogger(t))
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		base    string
		dbname  string
		want    string
		wantErr string
	}{
		{
			name:   "replaces the database and keeps the rest",
			base:   "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
			dbname: "wamux_test",
			want:   "postgres://postgres@127.0.0.1:5432/wamux_test?sslmode=disable",
		},
		{
			name:   "adds a database to a URL without one",
			base:   "postgresql://u:secret@localhost:54329?sslmode=disable&application_name=x",
			dbname: "db1",
			want:   "postgresql://u:secret@localhost:54329/db1?sslmode=disable&application_name=x",
		},
		{
			name:   "escapes characters a path cannot hold",
			base:   "postgres://postgres@127.0.0.1:5432/postgres",
			dbname: "my db/x",
			want:   "postgres://postgres@127.0.0.1:5432/my%20db%2Fx",
		},
		{
			name:    "empty name",
			base:    "postgres://postgres@127.0.0.1:5432/postgres",
			dbname:  "",
			wantErr: "empty database name",
		},
		{
			name:    "not a URL",
			base:    "postgres://[::1",
			dbname:  "db",
			wantErr: "parse database URL",
		},
		{
			name:    "keyword/value string",
			base:    "host=127.0.0.1 dbname=postgres",
			dbname:  "db",
			wantErr: "scheme",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := WithDatabase(tt.base, tt.dbname)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)

			cfg, err := pgx.ParseConfig(got)
			require.NoError(t, err)
			require.Equal(t, tt.dbname, cfg.Database)
		})
	}
}

func TestParseClusters(t *testing.T) {
	t.Parallel()
	out := `15 main 5432 online postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log
16 test 5433 down postgres /var/lib/postgresql/16/test /var/log/postgresql/postgresql-16-test.log
14 old 5434 down,binaries_missing postgres /var/lib/postgresql/14/old /var/log/postgresql/postgresql-14-old.log
17 replica 5435 online,recovery postgres /var/lib/postgresql/17/replica /var/log/postgresql/postgresql-17-replica.log
garbage
`
	got := parseClusters(out)
	require.Equal(t, []cluster{
		{version: "15", name: "main", port: 5432, online: true},
		{version: "16", name: "test", port: 5433, online: false},
		{version: "17", name: "replica", port: 5435, online: true},
	}, got)

	c, ok := pickDownCluster(got)
	require.True(t, ok)
	require.Equal(t, "test", c.name)

	_, ok = pickDownCluster(got[:1])
	require.False(t, ok)
}

func TestNewestBinDir(t *testing.T) {
	t.Parallel()
	require.Equal(t, "/usr/lib/postgresql/10/bin", newestBinDir([]string{
		"/usr/lib/postgresql/9.6/bin/initdb",
		"/usr/lib/postgresql/10/bin/initdb",
		"/usr/lib/postgresql/weird/bin/initdb",
	}))
	require.Empty(t, newestBinDir(nil))
}
