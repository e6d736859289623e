package inbox

import (
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/authz"
	"github.com/wamux/wamux/internal/waba"
)

// Service is the inbox.
type Service struct {
	pool     *pgxpool.Pool
	q        *db.Queries
	media    MediaRegistrar
	provider waba.Provider
	logger   *slog.Logger
}

// Config is what the Service needs. Media and Provider may be nil in tests
// that do not touch them.
type Config struct {
	Pool     *pgxpool.Pool
	Media    MediaRegistrar
	Provider waba.Provider
	Logger   *slog.Logger
}

// New returns the inbox over cfg.Pool.
func New(cfg Config) *Service {
	return &Service{pool: cfg.Pool, q: db.New(cfg.Pool), media: cfg.Media, provider: cfg.Provider, logger: cfg.Logger}
}

// Viewer is who reads: a user with its effective permissions and groups.
// Every read filters by it inside the SQL.
type Viewer struct {
	UserID      int64
	IsAdmin     bool
	Permissions authz.Permissions
	GroupIDs    []int64
}

// InGroup reports whether the viewer belongs to group id.
func (v Viewer) InGroup(id int64) bool {
	for _, g := range v.GroupIDs {
		if g == id {
			return true
		}
	}
	return false
}
