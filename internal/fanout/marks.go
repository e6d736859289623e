package fanout

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/wamux/wamux/gen/db"
)

// marker writes the received marks of delivered messages (the reference:
// messages delivered through a WABA Webhook are marked received) in the
// background, for every webhook of the engine at once, instead of with each
// POST's bookkeeping.
//
// Why: a mark is one row per user and chat, and at high rates writing it
// after every POST was most of what the fan-out cost PostgreSQL (an upsert
// per chat of every batch for every subscriber: about 60% of the engine's
// database time at 1,000 events/s to 10 subscribers). Collected for an
// interval, the marks of a chat that got several messages become one row,
// and all subscribers' rows one statement.
//
// What it costs: a mark lands up to Config.MarkInterval after the
// receiver's 2xx (the deliverer itself sees its unwritten marks at once,
// see received), and a crash of the process forgets the marks of that
// last interval: those messages then still count as new for that user,
// nothing else. The cursor, which decides what is delivered, is written
// with the POST as before.
type marker struct {
	q        *db.Queries
	e        *Engine
	interval time.Duration

	mu      sync.Mutex
	pending map[markKey]time.Time
	// flushing holds the marks of the write in progress, so that they stay
	// visible to received until they are in the database.
	flushing map[markKey]time.Time
	// failed counts how many flushes in a row failed; after a few, the
	// pending marks are dropped rather than retried forever.
	failed int
}

type markKey struct {
	user int64
	chat string
}

// maxMarkFailures bounds the retries of a flush that keeps failing (a
// database that refuses it): the marks are then dropped, with a log line.
const maxMarkFailures = 5

// maxMarksPerStatement bounds one statement of a flush.
const maxMarksPerStatement = 2000

func newMarker(e *Engine) *marker {
	return &marker{q: e.q, e: e, interval: e.cfg.MarkInterval, pending: map[markKey]time.Time{}}
}

// add records that user received the messages of each chat up to its time.
func (m *marker) add(user int64, marks map[string]time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for chat, ts := range marks {
		k := markKey{user, chat}
		if old, ok := m.pending[k]; !ok || ts.After(old) {
			m.pending[k] = ts
		}
	}
}

// unwritten returns the mark of user for chat that is not in the database
// yet, if any.
func (m *marker) unwritten(user int64, chat string) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := markKey{user, chat}
	a, okA := m.pending[k]
	b, okB := m.flushing[k]
	switch {
	case okA && okB:
		return later(a, b), true
	case okA:
		return a, true
	default:
		return b, okB
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// run flushes every interval until ctx ends, then once more (unless the
// engine crashed: a killed process writes nothing).
func (m *marker) run(ctx context.Context) {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if !m.e.crashed.Load() {
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				m.flush(fctx)
				cancel()
			}
			return
		case <-t.C:
			m.flush(ctx)
		}
	}
}

// flush writes the pending marks in one statement, in (user, chat) order
// so that two replicas flushing at once lock rows in the same order.
func (m *marker) flush(ctx context.Context) {
	m.mu.Lock()
	if len(m.pending) == 0 {
		m.mu.Unlock()
		return
	}
	batch := m.pending
	m.pending = map[markKey]time.Time{}
	m.flushing = batch
	m.mu.Unlock()

	keys := make([]markKey, 0, len(batch))
	for k := range batch {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b markKey) int {
		return cmp.Or(cmp.Compare(a.user, b.user), cmp.Compare(a.chat, b.chat))
	})
	// In chunks, each its own transaction: a flush of 10,000 marks took
	// 0.3 s, holding the locks of all its rows (a user's own
	// mark_as_received waits for them) for as long.
	var err error
	for chunk := range slices.Chunk(keys, maxMarksPerStatement) {
		p := db.FanoutMarkReceivedParams{
			UserIds: make([]int64, len(chunk)), Chats: make([]string, len(chunk)), Tss: make([]time.Time, len(chunk)),
		}
		for i, k := range chunk {
			p.UserIds[i], p.Chats[i], p.Tss[i] = k.user, k.chat, batch[k]
		}
		if err = m.q.FanoutMarkReceived(ctx, p); err != nil {
			break
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	m.flushing = nil
	if err == nil {
		m.failed = 0
		m.e.metrics.marks.Add(float64(len(keys)))
		return
	}
	m.failed++
	if m.failed >= maxMarkFailures || ctx.Err() != nil {
		m.e.log.ErrorContext(ctx, "received marks of delivered messages not written; dropped", "marks", len(keys), "error", err)
		m.failed = 0
		return
	}
	m.e.log.WarnContext(ctx, "received marks of delivered messages not written; retrying", "marks", len(keys), "error", err)
	for k, ts := range batch {
		if old, ok := m.pending[k]; !ok || ts.After(old) {
			m.pending[k] = ts
		}
	}
}
