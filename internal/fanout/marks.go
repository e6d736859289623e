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
// database time at 1,000 events/s to 10 subscribers). Held for an
// interval, the marks of a chat that got several messages become one row,
// and all subscribers' rows few statements.
//
// Each mark waits Config.MarkInterval from when it first became pending,
// and a tick ten times as often writes the marks whose wait is over. Writing
// everything once per interval instead came in bursts (10,000 rows at once
// at 1,000 events/s to 10 subscribers) that stalled the deliveries and the
// inbound path behind them every second.
//
// What it costs: a mark lands up to MarkInterval (plus a tick) after the
// receiver's 2xx (the deliverer itself sees its unwritten marks at once,
// see unwritten), and a crash of the process forgets the marks not written
// yet: those messages then still count as new for that user, nothing else.
// The cursor, which decides what is delivered, is written with the POST as
// before.
type marker struct {
	q        *db.Queries
	e        *Engine
	interval time.Duration

	mu      sync.Mutex
	pending map[markKey]pendingMark
	// flushing holds the marks of the write in progress, so that they stay
	// visible to unwritten until they are in the database.
	flushing map[markKey]pendingMark
	// failed counts how many writes in a row failed; after a few, the
	// marks of the failing write are dropped rather than retried forever.
	failed int
}

type markKey struct {
	user int64
	chat string
}

type pendingMark struct {
	ts    time.Time // received until
	since time.Time // pending since
}

// maxMarkFailures bounds the retries of a write that keeps failing (a
// database that refuses it): its marks are then dropped, with a log line.
const maxMarkFailures = 5

// maxMarksPerStatement bounds one statement of a write, and so how long
// it holds the locks of its rows (a user's own mark_as_received waits for
// them).
const maxMarksPerStatement = 2000

// markTicks is how many ticks an interval has.
const markTicks = 10

func newMarker(e *Engine) *marker {
	return &marker{q: e.q, e: e, interval: e.cfg.MarkInterval, pending: map[markKey]pendingMark{}}
}

// add records that user received the messages of each chat up to its time.
func (m *marker) add(user int64, marks map[string]time.Time) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	for chat, ts := range marks {
		k := markKey{user, chat}
		old, ok := m.pending[k]
		switch {
		case !ok:
			m.pending[k] = pendingMark{ts: ts, since: now}
		case ts.After(old.ts):
			m.pending[k] = pendingMark{ts: ts, since: old.since}
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
		return later(a.ts, b.ts), true
	case okA:
		return a.ts, true
	default:
		return b.ts, okB
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// run writes the marks whose wait is over, every tick, until ctx ends; then
// everything pending (unless the engine crashed: a killed process writes
// nothing).
func (m *marker) run(ctx context.Context) {
	t := time.NewTicker(max(m.interval/markTicks, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if !m.e.crashed.Load() {
				m.flush(ctx, time.Now().Add(time.Hour))
			}
			return
		case now := <-t.C:
			m.flush(ctx, now.Add(-m.interval))
		}
	}
}

// flush writes the pending marks that have been pending since before
// cutoff, in (user, chat) order so that two replicas writing at once lock
// rows in the same order. The statements run to their end even when ctx
// ends meanwhile (shutdown), bounded by a timeout.
func (m *marker) flush(ctx context.Context, cutoff time.Time) {
	m.mu.Lock()
	batch := map[markKey]pendingMark{}
	for k, p := range m.pending {
		if p.since.Before(cutoff) {
			batch[k] = p
			delete(m.pending, k)
		}
	}
	if len(batch) == 0 {
		m.mu.Unlock()
		return
	}
	m.flushing = batch
	m.mu.Unlock()

	keys := make([]markKey, 0, len(batch))
	for k := range batch {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b markKey) int {
		return cmp.Or(cmp.Compare(a.user, b.user), cmp.Compare(a.chat, b.chat))
	})
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var err error
	for chunk := range slices.Chunk(keys, maxMarksPerStatement) {
		p := db.FanoutMarkReceivedParams{
			UserIds: make([]int64, len(chunk)), Chats: make([]string, len(chunk)), Tss: make([]time.Time, len(chunk)),
		}
		for i, k := range chunk {
			p.UserIds[i], p.Chats[i], p.Tss[i] = k.user, k.chat, batch[k].ts
		}
		if err = m.q.FanoutMarkReceived(wctx, p); err != nil {
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
	if m.failed >= maxMarkFailures {
		m.e.log.ErrorContext(ctx, "received marks of delivered messages not written; dropped", "marks", len(keys), "error", err)
		m.failed = 0
		return
	}
	m.e.log.WarnContext(ctx, "received marks of delivered messages not written; retrying", "marks", len(keys), "error", err)
	// Back in line, written again at the next tick (their wait is over).
	for k, p := range batch {
		if old, ok := m.pending[k]; ok {
			p = pendingMark{ts: later(p.ts, old.ts), since: p.since}
		}
		m.pending[k] = p
	}
}
