package inbox

import (
	"context"
	"errors"
	"log/slog"

	"github.com/wamux/wamux/internal/waba"
)

// Committer is group commit for the inbound path: concurrent requests queue
// their parsed notifications and one goroutine writes whatever is queued
// (up to maxBatch, without waiting for more) in one transaction, then
// answers every waiting request. Each request's writes still commit
// together, never in part, and its 200 still follows the commit; requests
// only share a transaction, which is how one commit's cost (the fsync) is
// spread over many (docs in ../../README.md and architecture.md).
type Committer struct {
	svc    *Service
	queue  chan *pending
	logger *slog.Logger
	done   chan struct{}
}

type pending struct {
	ctx  context.Context
	n    *waba.Notification
	errc chan error
}

const maxBatch = 256

// NewCommitter returns a Committer writing through svc. Start it with Run.
func NewCommitter(svc *Service, logger *slog.Logger) *Committer {
	return &Committer{svc: svc, queue: make(chan *pending, 4*maxBatch), logger: logger, done: make(chan struct{})}
}

// ErrStopped answers requests queued after the committer stopped: the
// provider retries them (a 5xx).
var ErrStopped = errors.New("inbound committer stopped")

// Ingest queues n and waits until it is committed (or failed).
func (c *Committer) Ingest(ctx context.Context, n *waba.Notification) error {
	if len(n.Messages)+len(n.Statuses)+len(n.Errors) == 0 {
		return nil
	}
	p := &pending{ctx: ctx, n: n, errc: make(chan error, 1)}
	select {
	case c.queue <- p:
	case <-c.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.errc:
		return err
	case <-ctx.Done():
		// The write may still commit; the provider's retry is then a
		// harmless replay.
		return ctx.Err()
	}
}

// Run writes batches until ctx ends, then drains what is queued.
func (c *Committer) Run(ctx context.Context) {
	defer close(c.done)
	for {
		select {
		case p := <-c.queue:
			c.commit(context.WithoutCancel(ctx), c.take(p))
		case <-ctx.Done():
			for {
				select {
				case p := <-c.queue:
					c.commit(context.WithoutCancel(ctx), c.take(p))
				default:
					return
				}
			}
		}
	}
}

// take returns first plus whatever else is queued right now, without
// waiting: a fixed wait for a fuller batch costs latency at low load and
// was measured to hurt throughput at high load.
func (c *Committer) take(first *pending) []*pending {
	batch := []*pending{first}
	for len(batch) < maxBatch {
		select {
		case p := <-c.queue:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

func (c *Committer) commit(ctx context.Context, batch []*pending) {
	live := batch[:0]
	for _, p := range batch {
		if p.ctx.Err() != nil {
			p.errc <- p.ctx.Err() // the client is gone; the provider will retry
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 {
		live[0].errc <- c.svc.Ingest(ctx, live[0].n)
		return
	}
	merged := &waba.Notification{}
	for _, p := range live {
		merged.Contacts = append(merged.Contacts, p.n.Contacts...)
		merged.Messages = append(merged.Messages, p.n.Messages...)
		merged.Statuses = append(merged.Statuses, p.n.Statuses...)
		merged.Errors = append(merged.Errors, p.n.Errors...)
	}
	err := c.svc.Ingest(ctx, merged)
	if err == nil {
		for _, p := range live {
			p.errc <- nil
		}
		return
	}
	// One bad request must not fail its neighbours: retry each alone, so
	// each gets its own answer.
	c.logger.WarnContext(ctx, "group commit failed; retrying requests one by one", "requests", len(live), "error", err)
	for _, p := range live {
		p.errc <- c.svc.Ingest(ctx, p.n)
	}
}
