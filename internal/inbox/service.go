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
	pool *pgxpool.Pool
	q    *db.Queries
	// gq runs the statements meant for generic plans (Config.GenericPool).
	gq       *db.Queries
	media    MediaRegistrar
	provider waba.Provider
	logger   *slog.Logger
}

// Config is what the Service needs. Media and Provider may be nil in tests
// that do not touch them.
type Config struct {
	Pool *pgxpool.Pool
	// GenericPool, when set, runs the statements whose one generic plan
	// suits every call (storage.OpenGeneric): ChatPageAll. Without it they
	// run on Pool.
	GenericPool *pgxpool.Pool
	Media       MediaRegistrar
	Provider    waba.Provider
	Logger      *slog.Logger
}

// New returns the inbox over cfg.Pool.
func New(cfg Config) *Service {
	gq := db.New(cfg.Pool)
	if cfg.GenericPool != nil {
		gq = db.New(cfg.GenericPool)
	}
	return &Service{pool: cfg.Pool, q: db.New(cfg.Pool), gq: gq, media: cfg.Media, provider: cfg.Provider, logger: cfg.Logger}
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
