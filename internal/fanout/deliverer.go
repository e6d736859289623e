package fanout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/authz"
	"github.com/wamux/wamux/internal/webhooks"
)

// deliverer delivers one webhook while this replica holds its lease.
type deliverer struct {
	e  *Engine
	id int64
	// ctx is cancelled to stop at once (webhook deleted, lease lost,
	// crash); a graceful stop goes through stop instead and lets the
	// attempt in flight finish.
	ctx      context.Context
	cancel   context.CancelFunc
	wake     chan struct{} // events committed
	changed  chan struct{} // the webhook changed or was replayed
	stop     chan struct{}
	stopOnce sync.Once
	stopping atomic.Bool
	lost     atomic.Bool
	// retryCut is the last event of the batch that failed last, so that a
	// retry carries the same events and the same webhook-id.
	retryCut *int64
	// quick is the current delay of the short re-polls while committed
	// events wait above the horizon.
	quick time.Duration
	// notBefore: the next read of the log must begin after it (see
	// Engine.page): the time of the last notification of new events this
	// deliverer reacted to, or the end of its last timer (the horizon may
	// have moved without a notification).
	notBefore time.Time
	// lingerUntil: no POST starts before it (Config.Linger).
	lingerUntil time.Time
}

func newDeliverer(e *Engine, id int64) *deliverer {
	ctx, cancel := context.WithCancel(e.hard)
	return &deliverer{
		e: e, id: id, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1), changed: make(chan struct{}, 1), stop: make(chan struct{}),
	}
}

func (d *deliverer) requestStop() {
	d.stopOnce.Do(func() { d.stopping.Store(true); close(d.stop) })
}

func (d *deliverer) stopRequested() bool { return d.stopping.Load() }

// next is what a deliverer does after a step.
type next struct {
	exit bool
	// wait before the next step; zero: go on at once.
	wait time.Duration
	// onEvents: a notification of new events ends the wait early.
	onEvents bool
	// linger: a wait between two POSTs, which leaves notBefore as it is.
	linger bool
}

func (d *deliverer) run() {
	defer d.cancel()
	defer d.release()
	for {
		select {
		case <-d.stop:
			return
		case <-d.ctx.Done():
			return
		default:
		}
		n := d.step()
		if n.exit {
			return
		}
		if n.wait <= 0 {
			continue
		}
		var events chan struct{}
		if n.onEvents {
			events = d.wake
		}
		t := time.NewTimer(n.wait)
		select {
		case <-d.stop:
		case <-d.ctx.Done():
		case <-d.changed:
			d.notBefore, d.lingerUntil = time.Now(), time.Time{}
		case <-events:
			d.notBefore = time.Unix(0, d.e.lastNotify.Load())
		case <-t.C:
			if !n.linger {
				d.notBefore = time.Now()
			}
		}
		t.Stop()
	}
}

// release gives the lease back so that another replica can continue at
// once; a crashed engine writes nothing, like a killed process.
func (d *deliverer) release() {
	if d.e.crashed.Load() || d.lost.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(d.ctx), 5*time.Second)
	defer cancel()
	if err := d.e.q.FanoutRelease(ctx, db.FanoutReleaseParams{ID: d.id, Replica: d.e.cfg.Replica}); err != nil {
		d.e.log.WarnContext(ctx, "webhook lease not released; it expires on its own", "webhook_id", d.id, "error", err)
	}
}

// state is a webhook as its deliverer sees it before a batch.
type state struct {
	db.FanoutLoadRow
	cursor webhooks.Position
	viewer viewer
}

// viewer is the webhook's user: its read permission decides what reaches
// the webhook, at delivery time.
type viewer struct {
	userID int64
	read   authz.Level
	groups []int64
}

// mayRead applies the user's read permission (authz.Level.Covers) to a
// chat as the batch found it. A missing chat (a status of a message sent
// by another system) is readable only with "all".
func (v viewer) mayRead(c *chatState) bool {
	if c == nil {
		return v.read == authz.All
	}
	return v.read.Covers(v.userID, v.groups, c.user, c.group)
}

func (d *deliverer) load() (*state, error) {
	row, err := d.e.q.FanoutLoad(d.ctx, d.id)
	if err != nil {
		return nil, err
	}
	pos, err := webhooks.ParsePosition(row.CursorXidText, row.CursorID)
	if err != nil {
		return nil, err
	}
	perms := make([]authz.Permissions, len(row.GroupReadLevels))
	for i, l := range row.GroupReadLevels {
		perms[i] = authz.Permissions{CanReadChats: authz.Level(l)}
	}
	eff := authz.Effective(authz.Override{CanReadChats: row.OwnReadLevel}, perms)
	return &state{FanoutLoadRow: row, cursor: pos, viewer: viewer{userID: row.UserID, read: eff.CanReadChats, groups: row.GroupIds}}, nil
}

// step delivers (or skips) one batch, or says how long to wait for one.
// The webhook and its user are read before every batch (one primary-key
// read): a deactivated user, a lost permission, a changed URL or a replay
// take effect at once.
func (d *deliverer) step() next {
	e := d.e
	// The pause between two POSTs comes first: reading the webhook before
	// it would read it twice per POST.
	if wait := time.Until(d.lingerUntil); wait > 0 {
		return next{wait: wait, linger: true}
	}
	st, err := d.load()
	if errors.Is(err, pgx.ErrNoRows) {
		return next{exit: true} // deleted
	}
	if err != nil {
		if d.ctx.Err() == nil {
			e.log.WarnContext(d.ctx, "webhook state not readable", "webhook_id", d.id, "error", err)
		}
		return next{wait: e.cfg.PollInterval}
	}
	if st.LeasedBy == nil || *st.LeasedBy != e.cfg.Replica {
		d.lost.Store(true)
		return next{exit: true}
	}
	if !st.IsActive {
		return next{exit: true} // inactive users get nothing; the lease goes back
	}
	if st.NextAttemptAt != nil {
		if wait := time.Until(*st.NextAttemptAt); wait > 0 {
			return next{wait: wait}
		}
	}
	lim := int32(e.cfg.BatchSize)
	pg, err := e.page(d.ctx, st.cursor, lim, d.notBefore)
	if err != nil {
		if d.ctx.Err() == nil {
			e.log.WarnContext(d.ctx, "event log not readable", "webhook_id", d.id, "error", err)
		}
		return next{wait: e.cfg.PollInterval}
	}
	if len(pg.events) == 0 {
		return d.idle(pg.above)
	}
	d.quick = 0
	b, err := d.build(st, pg)
	if err != nil {
		if d.ctx.Err() == nil {
			e.log.ErrorContext(d.ctx, "webhook payload not built", "webhook_id", d.id, "error", err)
		}
		return next{wait: e.cfg.PollInterval}
	}
	if b.count == 0 {
		// Nothing here is for this webhook: move past it without a POST.
		n, err := e.q.FanoutSkip(d.ctx, db.FanoutSkipParams{
			ID: d.id, Replica: e.cfg.Replica, OldXid: st.cursor.XidText(), OldID: st.cursor.ID, NewXid: b.end.XidText(), NewID: b.end.ID,
		})
		if err != nil && d.ctx.Err() == nil {
			e.log.WarnContext(d.ctx, "webhook cursor not moved", "webhook_id", d.id, "error", err)
			return next{wait: e.cfg.PollInterval}
		}
		_ = n // 0: a replay or a new holder moved it; the next step reads it again
		return next{}
	}
	started := time.Now()
	res := d.post(st, b)
	e.metrics.postTime.Observe(res.latency.Seconds())
	if res.ok {
		e.metrics.attempts.WithLabelValues("ok").Inc()
		e.metrics.events.Add(float64(b.count))
		e.metrics.lag.Observe(time.Since(b.oldest).Seconds())
		d.retryCut = nil
		n, err := e.q.FanoutDelivered(d.ctx, db.FanoutDeliveredParams{
			ID: d.id, Replica: e.cfg.Replica, OldXid: st.cursor.XidText(), OldID: st.cursor.ID, NewXid: b.end.XidText(), NewID: b.end.ID,
			StatusCode: int32(res.status), LatencyMs: res.latencyMS(), FirstEventID: b.first, LastEventID: b.last, EventCount: int32(b.count),
		})
		switch {
		case err != nil:
			if d.ctx.Err() == nil {
				// The receiver has the batch; it comes again (at least once).
				e.log.WarnContext(d.ctx, "delivery not recorded; the batch will be sent again", "webhook_id", d.id, "error", err)
				return next{wait: e.cfg.PollInterval}
			}
			return next{}
		case n == 0:
			e.log.InfoContext(d.ctx, "webhook moved meanwhile (replay or new holder); reloading", "webhook_id", d.id)
		default:
			e.marker.add(st.UserID, b.marks)
		}
		if b.count < e.cfg.BatchSize && len(pg.events) < int(lim) {
			// Caught up: let the next events gather for a moment. The end
			// is on a grid shared by all deliverers (multiples of Linger),
			// so that caught-up deliverers read the log together: one read
			// of each page serves them all.
			d.lingerUntil = started.Add(e.cfg.Linger / 2).Truncate(e.cfg.Linger).Add(e.cfg.Linger)
		}
		return next{}
	}
	e.metrics.attempts.WithLabelValues("failed").Inc()
	d.retryCut = &b.last
	failures := int(st.ConsecutiveFailures) + 1
	delay := backoff(failures, e.cfg.BackoffBase, e.cfg.BackoffMax)
	at := time.Now().Add(delay)
	var status *int32
	if res.status != 0 {
		s := int32(res.status)
		status = &s
	}
	if _, err := e.q.FanoutFailed(d.ctx, db.FanoutFailedParams{
		ID: d.id, Replica: e.cfg.Replica, StatusCode: status, LatencyMs: res.latencyMS(), Error: res.err,
		FirstEventID: b.first, LastEventID: b.last, EventCount: int32(b.count), NextAttemptAt: &at,
	}); err != nil {
		if d.ctx.Err() != nil {
			return next{exit: true}
		}
		e.log.WarnContext(d.ctx, "failed delivery not recorded", "webhook_id", d.id, "error", err)
	}
	e.log.InfoContext(d.ctx, "webhook delivery failed; retrying later", "webhook_id", d.id, "url", webhooks.Redacted(st.Url),
		"error", res.err, "consecutive_failures", failures, "retry_in", delay.Round(time.Millisecond))
	return next{wait: delay}
}

// idle decides how long a caught-up deliverer waits. Committed events
// above the horizon wait for an older transaction to end, which sends no
// notification when it writes no event: look again soon, then less often.
func (d *deliverer) idle(above bool) next {
	if !above {
		d.quick = 0
		return next{wait: d.e.cfg.PollInterval, onEvents: true}
	}
	switch {
	case d.quick == 0:
		d.quick = 2 * time.Millisecond
	default:
		d.quick = min(2*d.quick, d.e.cfg.PollInterval)
	}
	return next{wait: d.quick, onEvents: true}
}

// backoff is the delay after the n-th consecutive failure: base·2^(n-1)
// capped at max, then "equal jitter" (between half and all of it), so
// that receivers coming back are not hit by every replica at once.
func backoff(n int, base, maxDelay time.Duration) time.Duration {
	d := maxDelay
	if n < 40 {
		if x := base << (n - 1); x > 0 && x < maxDelay {
			d = x
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// result is the outcome of one POST.
type result struct {
	ok      bool
	status  int
	err     string
	latency time.Duration
}

func (r result) latencyMS() int32 { return int32(min(r.latency.Milliseconds(), 1<<31-1)) }

// maxResponseBytes bounds how much of an answer is read (to reuse the
// connection); answers are otherwise ignored.
const maxResponseBytes = 64 << 10

func (d *deliverer) post(st *state, b *batch) result {
	e := d.e
	msgID := "evt_" + strconv.FormatInt(b.first, 10) + "_" + strconv.FormatInt(b.last, 10)
	now := time.Now()
	sig, err := sign(st.SigningSecret, msgID, now.Unix(), b.body)
	if err != nil {
		return result{err: "the signing secret is unusable: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(d.ctx, e.cfg.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, st.Url, bytes.NewReader(b.body))
	if err != nil {
		return result{err: "the URL is unusable: " + describe(err, e.cfg.AttemptTimeout)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", e.cfg.UserAgent)
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := e.client.Do(req)
	if err != nil {
		return result{err: describe(err, e.cfg.AttemptTimeout), latency: time.Since(now)}
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
	_ = resp.Body.Close()
	r := result{status: resp.StatusCode, latency: time.Since(now)}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		r.ok = true
		return r
	}
	r.err = fmt.Sprintf("HTTP %d", resp.StatusCode)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		r.err += " (redirects are followed only as 307/308 to the same host)"
	}
	if s := snippet(head); s != "" {
		r.err += ": " + s
	}
	return r
}

// snippet is the start of a receiver's answer, printable and short, for
// the delivery log.
func snippet(b []byte) string {
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 200 {
		s = string([]rune(s)[:200]) + "…"
	}
	return s
}
