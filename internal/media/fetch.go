package media

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/apperr"
)

// Kick wakes the background fetcher, for instance after an inbound
// notification recorded new media. It never blocks.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run fetches pending inbound media from the provider until ctx ends:
// oldest first, Config.FetchBatch at a time, whenever Kick is called and
// every Config.PollInterval. A failed fetch is retried with exponential
// backoff until Config.MaxAttempts; each failure is recorded on the row
// (fetch_error, fetch_attempts). Several replicas may run it: rows are
// claimed with FOR UPDATE SKIP LOCKED in a single short statement, and no
// transaction stays open while the provider answers.
func (s *Service) Run(ctx context.Context) {
	if s.cfg.Provider == nil {
		s.cfg.Logger.InfoContext(ctx, "media fetcher idle: no WhatsApp provider configured")
		<-ctx.Done()
		return
	}
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		s.fetchDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C:
		}
	}
}

// fetchDue fetches due media batch after batch until none is left.
func (s *Service) fetchDue(ctx context.Context) {
	for ctx.Err() == nil {
		rows, err := s.q.MediaClaimDue(ctx, db.MediaClaimDueParams{
			MaxAttempts:     int32(s.cfg.MaxAttempts),
			BackoffBaseSecs: s.cfg.RetryBase.Seconds(),
			BackoffMaxSecs:  s.cfg.RetryMax.Seconds(),
			Lim:             int32(s.cfg.FetchBatch),
		})
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.ErrorContext(ctx, "claim media to fetch", "error", err)
			}
			return
		}
		slices.SortFunc(rows, func(a, b db.Medium) int { return a.CreatedAt.Compare(b.CreatedAt) })
		var wg sync.WaitGroup
		for _, r := range rows {
			wg.Go(func() {
				err := s.once(ctx, r.ID, func() error { return s.fetch(ctx, r) })
				if err != nil && ctx.Err() == nil {
					s.cfg.Logger.WarnContext(ctx, "fetch inbound media", "media_id", r.ID,
						"provider_media_id", deref(r.ProviderMediaID), "attempt", r.FetchAttempts, "error", err)
				}
			})
		}
		wg.Wait()
		if len(rows) < s.cfg.FetchBatch {
			return
		}
	}
}

// fetchOnRead fetches an inbound media a reader asked for, now: the "on
// first read" rule. A media whose attempts are used up is not fetched
// again; its reader gets apperr.Upstream.
func (s *Service) fetchOnRead(ctx context.Context, row db.Medium) (Media, error) {
	if row.ProviderMediaID == nil {
		return Media{}, fmt.Errorf("media %s has neither a stored file nor a provider id", row.ID)
	}
	if s.cfg.Provider == nil {
		return Media{}, apperr.Upstream("This media file has not been fetched from the WhatsApp provider, and no provider is configured.")
	}
	fetchErr := s.once(ctx, row.ID, func() error {
		claimed, err := s.q.MediaClaimByID(ctx, db.MediaClaimByIDParams{ID: row.ID, MaxAttempts: int32(s.cfg.MaxAttempts)})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // fetched meanwhile, or out of attempts: the row says
		}
		if err != nil {
			return fmt.Errorf("claim media %s: %w", row.ID, err)
		}
		return s.fetch(ctx, claimed)
	})
	row, err := s.row(ctx, row.ID)
	if err != nil {
		return Media{}, err
	}
	if row.FetchState == StateFetched {
		return fromRow(row), nil
	}
	if fetchErr != nil {
		var de *downloadError
		if ctx.Err() != nil || !errors.As(fetchErr, &de) {
			return Media{}, fetchErr // not the provider's doing: a 500
		}
		s.cfg.Logger.WarnContext(ctx, "fetch inbound media on read", "media_id", row.ID,
			"provider_media_id", deref(row.ProviderMediaID), "error", fetchErr)
	}
	if int(row.FetchAttempts) >= s.cfg.MaxAttempts {
		return Media{}, apperr.Upstream("The WhatsApp provider did not deliver this media file after repeated attempts.")
	}
	return Media{}, apperr.Upstream("The WhatsApp provider did not deliver this media file; try again later.")
}

// fetch downloads one claimed inbound media, stores it and marks it
// fetched, or records why it failed. The claim already counted the attempt.
func (s *Service) fetch(ctx context.Context, row db.Medium) error {
	dctx, cancel := context.WithTimeout(ctx, s.cfg.FetchTimeout)
	defer cancel()
	data, providerMime, err := s.cfg.Provider.DownloadMedia(dctx, deref(row.ProviderMediaID))
	if err == nil && len(data) == 0 {
		err = errors.New("the provider sent an empty file")
	}
	if err != nil {
		err = &downloadError{err: err}
	}
	// Bookkeeping outlives a reader that hung up: the download is done.
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer wcancel()
	if err != nil {
		if ctx.Err() != nil {
			// Shutting down or the reader left: not the provider's fault.
			// The row stays claimed until its backoff ends, then is retried.
			return err
		}
		s.markFailed(wctx, row, err)
		return err
	}
	sum, rel, err := s.store(data)
	if err != nil {
		s.markFailed(wctx, row, err)
		return err
	}
	if reported := deref(row.Sha256); reported != "" && !strings.EqualFold(reported, sum) {
		s.cfg.Logger.DebugContext(ctx, "media checksum differs from the provider's", "media_id", row.ID, "reported", reported, "computed", sum)
	}
	_, err = s.q.MediaMarkFetched(wctx, db.MediaMarkFetchedParams{
		ID:          row.ID,
		StoragePath: &rel,
		SizeBytes:   ptr(int64(len(data))),
		Sha256:      &sum,
		MimeType:    inboundMIME(row.MimeType, providerMime, data),
	})
	if err != nil {
		return fmt.Errorf("mark media %s fetched: %w", row.ID, err)
	}
	return nil
}

func (s *Service) markFailed(ctx context.Context, row db.Medium, cause error) {
	msg := cause.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	if err := s.q.MediaMarkFailed(ctx, db.MediaMarkFailedParams{ID: row.ID, FetchError: &msg}); err != nil {
		s.cfg.Logger.ErrorContext(ctx, "record media fetch failure", "media_id", row.ID, "error", err)
	}
}

// inboundMIME picks the content type of a fetched file: the one the
// notification announced, else the provider's download answer, else what
// the content looks like.
func inboundMIME(announced, provider string, data []byte) string {
	for _, t := range []string{announced, provider} {
		if t = strings.TrimSpace(t); t != "" && normalizeMIME(t) != typeOctetStream {
			return t
		}
	}
	return http.DetectContentType(data)
}

// downloadError is a failure of the provider to deliver a file, as
// opposed to a failure of wamux's own storage.
type downloadError struct{ err error }

func (e *downloadError) Error() string { return "download from provider: " + e.err.Error() }
func (e *downloadError) Unwrap() error { return e.err }

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
