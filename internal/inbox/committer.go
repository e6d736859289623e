package inbox

import (
	"context"
	"errors"
	"hash/fnv"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/internal/waba"
)

// Committer is group commit for the inbound path: concurrent requests queue
// their parsed notifications and a writer goroutine writes whatever is
// queued (up to maxBatch, without waiting for more) in one transaction, then
// answers every waiting request. Each request's writes still commit
// together, never in part, and its 200 still follows the commit; requests
// only share a transaction, which is how one commit's cost (the fsync) is
// spread over many (docs in ../../README.md and architecture.md).
//
// One writer executes on one PostgreSQL backend at a time, one core at
// most, so there may be several (WAMUX_COMMITTERS). But every inbound
// statement appends to the same last pages (of messages and events and of
// their ordered indexes), where two writers wait for each other, and each
// writer's batches are half as large: on the two-core reference machine
// one writer took a fifth less CPU per message than two and acknowledged
// as many or more (docs/performance.md), so one is the default. With
// several, each writer owns a share of the chats: a notification goes to the
// writer its first chat hashes to. So every request of a chat queues behind
// the previous one in one writer, as with a single committer: a chat's
// requests commit in the order they were queued, which is also the order of
// their transaction ids and so of their events in the log (readers read it
// by (xid, id) below the horizon, which is exact whatever the number of
// writers). It also keeps the writers off each other's rows: only a
// notification that spans chats of different writers can meet another
// writer's transaction, and the inbound statements lock in a fixed order
// (persons sorted by wa_id first, which are one to one with chats), with a
// retry on a deadlock or serialization failure as the last resort
// (Service.ingestOn).
//
// A writer overlaps its batches by one: the next batch's statements run on
// a second connection while the previous COMMIT waits for its WAL flush
// (see write). Without that the writers' backends sat idle during every
// flush, and the two cores were 1.6 of 2 busy at the maximum rate.
type Committer struct {
	svc     *Service
	pool    *pgxpool.Pool
	writers []chan *pending
	logger  *slog.Logger
	done    chan struct{}
}

type pending struct {
	ctx  context.Context
	n    *waba.Notification
	errc chan error
}

const maxBatch = 256

// ConnsPerWriter is how many connections of CommitterConfig.Pool a writer
// uses at most: one executing a batch while the two batches before it
// commit in order (the second waits for the first), so that the next batch
// never waits for a connection. Size the pool Writers times this.
const ConnsPerWriter = 3

// CommitterConfig is what a Committer needs.
type CommitterConfig struct {
	// Service is the inbox the notifications are written into.
	Service *Service
	// Pool, when set, is where the writers' transactions run instead of
	// the Service's pool: storage.OpenGeneric's pool, whose connections may
	// keep generic plans of the inbound statements.
	Pool *pgxpool.Pool
	// Writers is how many writers share the chats (at least 1); each uses
	// up to ConnsPerWriter connections of Pool.
	Writers int
	Logger  *slog.Logger
}

// NewCommitter returns a Committer writing through cfg.Service. Start it
// with Run.
func NewCommitter(cfg CommitterConfig) *Committer {
	n := max(cfg.Writers, 1)
	pool := cfg.Pool
	if pool == nil {
		pool = cfg.Service.pool
	}
	c := &Committer{svc: cfg.Service, pool: pool, logger: cfg.Logger, done: make(chan struct{})}
	for range n {
		c.writers = append(c.writers, make(chan *pending, 4*maxBatch))
	}
	return c
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
	case c.writers[c.writerOf(n)] <- p:
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

// writerOf picks the writer that owns n's chat: its first message's sender,
// else its first status's recipient (the chat of the message it is about),
// else its first status's message id.
func (c *Committer) writerOf(n *waba.Notification) int {
	if len(c.writers) == 1 {
		return 0
	}
	key := ""
	switch {
	case len(n.Messages) > 0:
		key = n.Messages[0].From
	case len(n.Statuses) > 0 && n.Statuses[0].RecipientID != "":
		key = n.Statuses[0].RecipientID
	case len(n.Statuses) > 0:
		key = n.Statuses[0].ID
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(len(c.writers)))
}

// Run writes batches until ctx ends, then drains what is queued.
func (c *Committer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, q := range c.writers {
		wg.Go(func() { c.write(ctx, q) })
	}
	wg.Wait()
	close(c.done)
}

// write is one writer's loop over its queue. A batch's statements run
// while the previous batch's COMMIT (its WAL flush, the longest wait of a
// batch) is still in flight, on a second connection, and the batches
// commit in the order they were taken: each COMMIT waits for the one
// before it. A chat's requests still commit in their order, and a batch
// that writes a chat of the batch before it waits for that batch's locks
// on the chat (and its person) inside PostgreSQL, never the other way
// round, so the two cannot deadlock.
func (c *Committer) write(ctx context.Context, queue chan *pending) {
	var prev <-chan struct{} = committed
	defer func() { <-prev }()
	for {
		select {
		case p := <-queue:
			prev = c.commit(context.WithoutCancel(ctx), take(queue, p), prev)
		case <-ctx.Done():
			for {
				select {
				case p := <-queue:
					prev = c.commit(context.WithoutCancel(ctx), take(queue, p), prev)
				default:
					return
				}
			}
		}
	}
}

// committed stands for a commit that has already happened.
var committed = func() <-chan struct{} { c := make(chan struct{}); close(c); return c }()

// take returns first plus whatever else is queued right now, without
// waiting: a fixed wait for a fuller batch costs latency at low load and
// was measured to hurt throughput at high load.
func take(queue chan *pending, first *pending) []*pending {
	batch := []*pending{first}
	for len(batch) < maxBatch {
		select {
		case p := <-queue:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

// commit runs batch's statements in one transaction and commits it once
// prev (the writer's previous commit) is done, in the background; the
// returned channel closes when batch's requests have their answers.
func (c *Committer) commit(ctx context.Context, batch []*pending, prev <-chan struct{}) <-chan struct{} {
	live := batch[:0]
	for _, p := range batch {
		if p.ctx.Err() != nil {
			p.errc <- p.ctx.Err() // the client is gone; the provider will retry
			continue
		}
		live = append(live, p)
	}
	if len(live) == 0 {
		return prev
	}
	n := live[0].n
	if len(live) > 1 {
		n = &waba.Notification{}
		for _, p := range live {
			n.Contacts = append(n.Contacts, p.n.Contacts...)
			n.Messages = append(n.Messages, p.n.Messages...)
			n.Statuses = append(n.Statuses, p.n.Statuses...)
			n.Errors = append(n.Errors, p.n.Errors...)
		}
	}
	tx, newMedia, err := c.svc.ingestUncommitted(ctx, c.pool, n)
	if err != nil {
		<-prev
		c.alone(ctx, live, err)
		return committed
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		<-prev
		if err := c.svc.commitIngested(ctx, tx, newMedia); err != nil {
			c.alone(ctx, live, err)
			return
		}
		for _, p := range live {
			p.errc <- nil
		}
	}()
	return finished
}

// alone answers the requests of a batch whose transaction failed with err:
// a request alone gets err; several are retried one by one, so that one
// bad request does not fail its neighbours and each gets its own answer.
func (c *Committer) alone(ctx context.Context, live []*pending, err error) {
	if len(live) == 1 {
		live[0].errc <- err
		return
	}
	c.logger.WarnContext(ctx, "group commit failed; retrying requests one by one", "requests", len(live), "error", err)
	for _, p := range live {
		p.errc <- c.svc.ingestOn(ctx, c.pool, p.n)
	}
}
