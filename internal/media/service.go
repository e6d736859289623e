package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
	"github.com/wamux/wamux/internal/waba"
)

// Config is what the Service needs. Zero durations and counts take the
// defaults documented on each field.
type Config struct {
	Pool *pgxpool.Pool
	// Dir is where files are stored (WAMUX_MEDIA_DIR); EnsureDir creates it.
	Dir      string
	Provider waba.Provider
	Logger   *slog.Logger
	// BaseURL is wamux's public base URL, for the `file` links.
	BaseURL string
	// FetchBatch is how many inbound media the background fetcher fetches
	// at once (default 4).
	FetchBatch int
	// PollInterval is how often the fetcher looks for due media when
	// nothing kicks it (default one minute).
	PollInterval time.Duration
	// MaxAttempts bounds the fetches of one inbound media, background and
	// on-read together (default 8).
	MaxAttempts int
	// RetryBase is the wait after a first failed fetch; it doubles after
	// each further failure, up to RetryMax (defaults 30 s and one hour).
	RetryBase time.Duration
	RetryMax  time.Duration
	// FetchTimeout bounds one download from the provider (default two
	// minutes).
	FetchTimeout time.Duration
}

// Fetch states of a media row.
const (
	// StatePending is an inbound media not fetched yet.
	StatePending = "pending"
	// StateFetched is a media whose file is in storage.
	StateFetched = "fetched"
	// StateFailed is an inbound media whose last fetch failed; it is
	// retried until Config.MaxAttempts.
	StateFailed = "failed"
)

// Media is one media file's metadata.
type Media struct {
	ID uuid.UUID
	// ProviderMediaID is the provider's id, "" for an upload not yet sent.
	ProviderMediaID string
	MimeType        string
	// Size is in bytes, 0 until the file is stored.
	Size int64
	// SHA256 is the hex digest of the stored file ("" until stored); it is
	// also the file's name in storage and its HTTP entity tag.
	SHA256 string
	// Filename is the name the file was uploaded or sent with, if any.
	Filename string
	// State is StatePending, StateFetched or StateFailed.
	State string
	// UploadedBy is the id of the user who uploaded the file, 0 for
	// inbound media.
	UploadedBy int64
	CreatedAt  time.Time
	UpdatedAt  time.Time

	storagePath string
}

// Inline reports whether a browser may display the file in place (images,
// audio and video); other files are better offered as downloads.
func (m Media) Inline() bool { return inline(m.MimeType) }

func fromRow(r db.Medium) Media {
	return Media{
		ID:              r.ID,
		ProviderMediaID: deref(r.ProviderMediaID),
		MimeType:        r.MimeType,
		Size:            deref(r.SizeBytes),
		SHA256:          deref(r.Sha256),
		Filename:        deref(r.Filename),
		State:           r.FetchState,
		UploadedBy:      deref(r.UploadedBy),
		CreatedAt:       r.CreatedAt,
		UpdatedAt:       r.UpdatedAt,
		storagePath:     deref(r.StoragePath),
	}
}

// Service stores and serves media.
type Service struct {
	cfg  Config
	q    *db.Queries
	kick chan struct{}

	mu       sync.Mutex
	inflight map[uuid.UUID]chan struct{}
}

// New returns a Service. It touches neither the disk nor the database;
// call EnsureDir at start.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	cfg.FetchBatch = orDefault(cfg.FetchBatch, 4)
	cfg.PollInterval = orDefault(cfg.PollInterval, time.Minute)
	cfg.MaxAttempts = orDefault(cfg.MaxAttempts, 8)
	cfg.RetryBase = orDefault(cfg.RetryBase, 30*time.Second)
	cfg.RetryMax = orDefault(cfg.RetryMax, time.Hour)
	cfg.FetchTimeout = orDefault(cfg.FetchTimeout, 2*time.Minute)
	s := &Service{
		cfg:      cfg,
		kick:     make(chan struct{}, 1),
		inflight: map[uuid.UUID]chan struct{}{},
	}
	if cfg.Pool != nil {
		s.q = db.New(cfg.Pool)
	}
	return s
}

// EnsureDir creates the storage directory (mode 0750) when it is missing
// and checks that wamux can write to it, so that a wrong WAMUX_MEDIA_DIR
// stops wamux at start rather than failing the first upload.
func (s *Service) EnsureDir() error {
	if s.cfg.Dir == "" {
		return errors.New("media directory not configured (WAMUX_MEDIA_DIR)")
	}
	if err := os.MkdirAll(s.cfg.Dir, 0o750); err != nil {
		return fmt.Errorf("create media directory: %w", err)
	}
	f, err := os.CreateTemp(s.cfg.Dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("media directory %s is not writable: %w", s.cfg.Dir, err)
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}

// URL returns the absolute URL at which the media file id is served.
func (s *Service) URL(id uuid.UUID) string {
	return s.cfg.BaseURL + "/api/v1/media/" + id.String() + "/"
}

// Upload stores a file a user uploaded. Its type is detected from the
// content, refined by declaredMime and filename where the content alone is
// ambiguous; WhatsApp's size limit for that type applies. An empty file is
// invalid (400), an unknown type unsupported (415) and an oversized file
// too large (413), each with a detail naming the type or the limit.
func (s *Service) Upload(ctx context.Context, data []byte, declaredMime, filename string, uploadedBy int64) (Media, error) {
	if len(data) == 0 {
		return Media{}, apperr.Invalid("The file is empty.")
	}
	t, err := detect(data, declaredMime, filename)
	if err != nil {
		return Media{}, err
	}
	if err := checkSize(t, int64(len(data))); err != nil {
		return Media{}, err
	}
	sum, rel, err := s.store(data)
	if err != nil {
		return Media{}, err
	}
	row, err := s.q.MediaCreateUploaded(ctx, db.MediaCreateUploadedParams{
		MimeType:    t.mime,
		SizeBytes:   ptr(int64(len(data))),
		Sha256:      &sum,
		Filename:    nonEmpty(cleanFilename(filename)),
		StoragePath: &rel,
		UploadedBy:  nonZero(uploadedBy),
	})
	if err != nil {
		return Media{}, fmt.Errorf("insert media: %w", err)
	}
	return fromRow(row), nil
}

// Get returns a media file's metadata. An inbound media not fetched yet
// (or whose earlier fetches failed, while attempts remain) is fetched from
// the provider first, so that the answer describes a stored file. An
// unknown id is apperr.NotFound; a fetch that fails is apperr.Upstream.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Media, error) {
	row, err := s.row(ctx, id)
	if err != nil {
		return Media{}, err
	}
	if row.FetchState == StateFetched {
		return fromRow(row), nil
	}
	return s.fetchOnRead(ctx, row)
}

// Open returns the stored file of a media, fetching it first as Get does.
// The caller closes the file.
func (s *Service) Open(ctx context.Context, id uuid.UUID) (*os.File, Media, error) {
	m, err := s.Get(ctx, id)
	if err != nil {
		return nil, Media{}, err
	}
	f, err := os.Open(s.fullPath(m.storagePath))
	if err != nil {
		return nil, Media{}, fmt.Errorf("open media %s: %w", id, err)
	}
	return f, m, nil
}

// EnsureInbound records a media of an inbound message by its provider id,
// idempotently, inside the inbound transaction q, and returns wamux's id
// for it. The file itself is fetched later (see Run and Get).
func (s *Service) EnsureInbound(ctx context.Context, q *db.Queries, providerMediaID, mimeType, sha256, filename string) (uuid.UUID, error) {
	if providerMediaID == "" {
		return uuid.Nil, errors.New("inbound media without a provider media id")
	}
	if mimeType = strings.TrimSpace(mimeType); mimeType == "" {
		mimeType = typeOctetStream
	}
	id, err := q.MediaUpsertInbound(ctx, db.MediaUpsertInboundParams{
		ProviderMediaID: &providerMediaID,
		MimeType:        mimeType,
		Sha256:          nonEmpty(strings.TrimSpace(sha256)),
		Filename:        nonEmpty(cleanFilename(filename)),
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("upsert inbound media: %w", err)
	}
	return id, nil
}

// ProviderID returns the provider's media id for a wamux media id, for
// sending a message that carries the file. A file uploaded to wamux but
// not to the provider yet is uploaded first, once, and its provider id
// kept. An unknown id is apperr.NotFound; a provider refusing the file
// (a 4xx) is apperr.Invalid quoting the provider, any other upload failure
// apperr.Upstream.
func (s *Service) ProviderID(ctx context.Context, id uuid.UUID) (string, error) {
	row, err := s.row(ctx, id)
	if err != nil {
		return "", err
	}
	if row.ProviderMediaID != nil {
		return *row.ProviderMediaID, nil
	}
	if s.cfg.Provider == nil {
		return "", apperr.Upstream("No WhatsApp provider is configured to send media to.")
	}
	var uploaded string
	err = s.once(ctx, id, func() error {
		row, err := s.row(ctx, id)
		if err != nil || row.ProviderMediaID != nil {
			return err
		}
		if row.FetchState != StateFetched {
			return fmt.Errorf("media %s has neither a stored file nor a provider id", id)
		}
		data, err := os.ReadFile(s.fullPath(deref(row.StoragePath)))
		if err != nil {
			return fmt.Errorf("read media %s: %w", id, err)
		}
		pid, err := s.cfg.Provider.UploadMedia(ctx, data, row.MimeType, deref(row.Filename))
		if err != nil {
			return uploadError(ctx, s.cfg.Logger, id, err)
		}
		uploaded = pid
		// The provider has the file now: record that even if the caller
		// gave up meanwhile.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		stored, err := s.q.MediaSetProviderID(wctx, db.MediaSetProviderIDParams{ID: id, ProviderMediaID: &pid})
		switch {
		case isUniqueViolation(err):
			// Another media row already has this provider id (a provider
			// that names files by content): the id is good all the same.
			s.cfg.Logger.WarnContext(ctx, "provider media id already recorded for another media", "media_id", id, "provider_media_id", pid)
			return nil
		case err != nil:
			return fmt.Errorf("record provider media id: %w", err)
		}
		uploaded = deref(stored)
		return nil
	})
	if err != nil {
		return "", err
	}
	if uploaded != "" {
		return uploaded, nil
	}
	// Another caller in this process did the upload while we waited.
	row, err = s.row(ctx, id)
	if err != nil {
		return "", err
	}
	if row.ProviderMediaID == nil {
		return "", apperr.Upstream("The media file could not be uploaded to the WhatsApp provider; try again.")
	}
	return *row.ProviderMediaID, nil
}

// uploadError turns a failed upload to the provider into the caller's
// answer, as the send path does for a failed send.
func uploadError(ctx context.Context, logger *slog.Logger, id uuid.UUID, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var pe *waba.ProviderError
	if errors.As(err, &pe) {
		if pe.HTTPStatus >= 400 && pe.HTTPStatus < 500 {
			return apperr.Invalid(fmt.Sprintf("The WhatsApp provider refused the media file: %s (code %d).", pe.Message, pe.Code))
		}
		return apperr.Upstream(fmt.Sprintf("The WhatsApp provider failed to take the media file: %s.", pe.Message))
	}
	logger.ErrorContext(ctx, "upload media to the provider", "media_id", id, "error", err)
	return apperr.Upstream("The media file could not be uploaded to the WhatsApp provider.")
}

func (s *Service) row(ctx context.Context, id uuid.UUID) (db.Medium, error) {
	row, err := s.q.MediaGetByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return db.Medium{}, apperr.NotFound("Not found.")
	}
	if err != nil {
		return db.Medium{}, fmt.Errorf("get media %s: %w", id, err)
	}
	return row, nil
}

// once runs fn unless another goroutine runs it for the same media id, in
// which case it waits for that one to finish and returns nil: the caller
// reads the outcome from the database. It saves a second download or
// upload of the same file within a process; across replicas the
// database's claims do that job.
func (s *Service) once(ctx context.Context, id uuid.UUID, fn func() error) error {
	s.mu.Lock()
	if ch, ok := s.inflight[id]; ok {
		s.mu.Unlock()
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ch := make(chan struct{})
	s.inflight[id] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.inflight, id)
		s.mu.Unlock()
		close(ch)
	}()
	return fn()
}

// cleanFilename keeps the last path element of a client's filename,
// without control characters, at most 255 bytes.
func cleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name))
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "." || name == ".." {
		return ""
	}
	return name
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonZero(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}
