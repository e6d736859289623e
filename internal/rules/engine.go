package rules

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/fanout"
	"github.com/wamux/wamux/internal/webhooks"
)

// EngineOptions tune an Engine; zero values take the defaults below.
type EngineOptions struct {
	// Replica names this process in the lease; default: host, pid and a
	// random suffix.
	Replica string
	// BatchSize bounds the events read at once (default 100).
	BatchSize int
	// Concurrency bounds the chats of a batch evaluated at once (default 16).
	Concurrency int
	// LeaseTTL is how long the lease lasts without renewal (default 30 s):
	// how soon another replica takes over after a crash.
	LeaseTTL time.Duration
	// PollInterval is how often an idle engine reads the log without a
	// notification (default 1 s).
	PollInterval time.Duration
	// Attempts bounds the calls of one event to the custom engine on
	// transport failures (default 3); BackoffBase is the first delay
	// between them (default 500 ms), doubling.
	Attempts    int
	BackoffBase time.Duration
}

func (o *EngineOptions) defaults() {
	if o.Replica == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.Replica = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 30 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = 500 * time.Millisecond
	}
}

// Engine evaluates the event log; one runs in each replica and the lease
// lets one of them work at a time.
type Engine struct {
	svc    *Service
	q      *db.Queries
	opts   EngineOptions
	log    *slog.Logger
	client *http.Client
	kick   chan struct{}
	// lastMsgTag remembers the last message tagging evaluated, so that the
	// chat tagging the same transaction made of it is not evaluated by the
	// default engine a second time (a round robin would turn twice).
	lastMsgTag tagKey
}

type tagKey struct {
	xid, chat string
	tag       int64
}

// NewEngine returns an Engine over svc; start it with Run.
func NewEngine(svc *Service, opts EngineOptions) *Engine {
	opts.defaults()
	return &Engine{svc: svc, q: svc.q, opts: opts, log: svc.log.With("replica", opts.Replica),
		client: newClient(svc.cfg.AllowPrivate), kick: make(chan struct{}, 1)}
}

// claim is the engine's row as a batch sees it.
type claim struct {
	mode    string
	url     string
	headers map[string]string
	timeout time.Duration
	pos     webhooks.Position
}

// Run evaluates events until ctx ends. The batch in flight is finished
// (its calls are bounded by the configured timeout; retries stop), the
// position moved past it, and the lease given back.
func (e *Engine) Run(ctx context.Context) {
	listenCtx, stopListen := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); e.listen(listenCtx) }()
	defer func() {
		stopListen()
		wg.Wait()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := e.q.RuleEngineRelease(rctx, e.opts.Replica); err != nil {
			e.log.WarnContext(rctx, "rule engine lease not released; it expires on its own", "error", err)
		}
	}()
	quick := time.Duration(0)
	for ctx.Err() == nil {
		wait, err := e.step(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "rule engine step failed", "error", err)
			wait = e.opts.PollInterval
		}
		switch {
		case wait < 0: // events wait above the horizon: look again soon, then less often
			quick = min(max(2*quick, 2*time.Millisecond), e.opts.PollInterval)
			wait = quick
		case wait > 0:
			quick = 0
		}
		if wait == 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-e.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// step evaluates one batch; it returns how long to wait before the next
// (negative: events wait above the horizon).
func (e *Engine) step(ctx context.Context) (time.Duration, error) {
	row, err := e.q.RuleEngineClaim(ctx, db.RuleEngineClaimParams{Replica: e.opts.Replica, TtlSecs: e.opts.LeaseTTL.Seconds()})
	if errors.Is(err, pgx.ErrNoRows) {
		return e.opts.LeaseTTL / 3, nil // another replica holds the lease
	}
	if err != nil {
		return 0, fmt.Errorf("claim the rule engine: %w", err)
	}
	pos, err := webhooks.ParsePosition(row.CursorXidText, row.CursorID)
	if err != nil {
		return 0, err
	}
	st := claim{mode: row.Mode, url: deref(row.Url), headers: decodeHeaders(row.Headers),
		timeout: time.Duration(row.TimeoutMs) * time.Millisecond, pos: pos}
	rows, err := e.q.RuleEngineEvents(ctx, db.RuleEngineEventsParams{CursorXid: pos.XidText(), CursorID: pos.ID, Lim: int32(e.opts.BatchSize)})
	if err != nil {
		return 0, fmt.Errorf("read the event log: %w", err)
	}
	if len(rows) == 0 {
		above, err := e.q.RuleEngineEventsAboveHorizon(ctx, db.RuleEngineEventsAboveHorizonParams{CursorXid: pos.XidText(), CursorID: pos.ID})
		if err != nil {
			return 0, fmt.Errorf("read the event log: %w", err)
		}
		if above {
			return -1, nil
		}
		return e.opts.PollInterval, nil
	}
	e.evaluateBatch(ctx, st, rows)
	last := rows[len(rows)-1]
	end, err := webhooks.ParsePosition(last.XidText, last.ID)
	if err != nil {
		return 0, err
	}
	n, err := e.q.RuleEngineAdvance(context.WithoutCancel(ctx), db.RuleEngineAdvanceParams{
		Replica: e.opts.Replica, OldXid: pos.XidText(), OldID: pos.ID, NewXid: end.XidText(), NewID: end.ID,
	})
	if err != nil {
		return 0, fmt.Errorf("move the rule engine position: %w", err)
	}
	if n == 0 {
		e.log.WarnContext(ctx, "rule engine position moved by another replica meanwhile")
	}
	e.svc.metrics.lag.Set(time.Since(last.CreatedAt).Seconds())
	return 0, nil
}

// evaluateBatch evaluates rows chat by chat: one chat's events in log
// order, several chats at once. The lease is renewed meanwhile.
func (e *Engine) evaluateBatch(ctx context.Context, st claim, rows []db.RuleEngineEventsRow) {
	var rules []Rule
	if st.mode == ModeDefault {
		var err error
		if rules, err = e.svc.allRules(ctx); err != nil {
			e.log.ErrorContext(ctx, "rules not readable; batch evaluated without them", "error", err)
		}
	}
	var order []string
	byChat := map[string][]event{}
	for _, r := range rows {
		ev, ok, err := parseEvent(r)
		if err != nil {
			e.log.ErrorContext(ctx, "event not readable; skipped", "event_id", r.ID, "error", err)
			continue
		}
		if !ok {
			continue
		}
		if ev.Kind == kindMessageTagging {
			e.lastMsgTag = tagKey{xid: ev.Xid, chat: ev.Chat, tag: ev.Tag.ID}
		}
		if ev.Kind == kindChatTagging && st.mode == ModeDefault && e.lastMsgTag == (tagKey{xid: ev.Xid, chat: ev.Chat, tag: ev.Tag.ID}) {
			continue // the chat tagging of a message tagging just evaluated
		}
		if ev.Kind == kindOutgoing && st.mode == ModeDefault {
			continue // no default rule reacts to outgoing messages
		}
		if _, ok := byChat[ev.Chat]; !ok {
			order = append(order, ev.Chat)
		}
		byChat[ev.Chat] = append(byChat[ev.Chat], ev)
	}
	if len(order) == 0 {
		return
	}
	renewCtx, stopRenew := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRenew()
	go e.renew(renewCtx)
	sem := make(chan struct{}, e.opts.Concurrency)
	var wg sync.WaitGroup
	for _, chat := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func(evs []event) {
			defer func() { <-sem; wg.Done() }()
			for _, ev := range evs {
				e.evaluate(ctx, st, rules, ev)
			}
		}(byChat[chat])
	}
	wg.Wait()
}

// renew keeps the lease while a batch takes long (a slow custom engine).
func (e *Engine) renew(ctx context.Context) {
	t := time.NewTicker(e.opts.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.q.RuleEngineClaim(ctx, db.RuleEngineClaimParams{Replica: e.opts.Replica, TtlSecs: e.opts.LeaseTTL.Seconds()}); err != nil && ctx.Err() == nil {
				e.log.WarnContext(ctx, "rule engine lease not renewed", "error", err)
			}
		}
	}
}

// evaluate decides and applies one event.
func (e *Engine) evaluate(ctx context.Context, st claim, rules []Rule, ev event) {
	if ev.Kind == kindIncoming {
		cur, err := e.q.RuleChatAssignment(ctx, ev.Chat)
		if err != nil {
			if !errors.Is(err, pgx.ErrNoRows) {
				e.log.ErrorContext(ctx, "chat not readable; event skipped", "event_id", ev.ID, "error", err)
			}
			return
		}
		if cur.AssignedUserID != nil || cur.AssignedGroupID != nil {
			return // not fresh
		}
	}
	e.svc.metrics.evaluated.WithLabelValues(st.mode, ev.Kind).Inc()
	if st.mode == ModeCustom {
		e.evaluateCustom(ctx, st, ev)
		return
	}
	var tag *int64
	if ev.Kind != kindIncoming {
		tag = &ev.Tag.ID
	}
	r := matchRule(rules, tag)
	if r == nil {
		return
	}
	reason := map[string]any{"engine": ModeDefault, "rule_id": r.ID}
	e.apply(ctx, ev, ev.Chat, r.target(), reason)
}

// apply makes one assignment and logs why; a failure is recorded like a
// custom engine's.
func (e *Engine) apply(ctx context.Context, ev event, chat string, t target, reason map[string]any) {
	a, err := e.svc.assign(ctx, chat, t, reason)
	if err != nil {
		e.fail(ctx, ev, &callError{reason: "assign", msg: fmt.Sprintf("assigning chat %s failed: %v", chat, err)})
		return
	}
	if a.Event == nil {
		return // already so
	}
	e.svc.metrics.assignments.WithLabelValues(reason["engine"].(string)).Inc()
	why, _ := json.Marshal(reason)
	e.log.InfoContext(ctx, "rule engine assigned a chat", "chat", chat, "event_id", ev.ID, "event_kind", ev.Kind,
		"user", optional(a.UserID), "group", optional(a.GroupID), "reason", string(why))
}

// fail records a failure: last_error, the metric and a log line.
func (e *Engine) fail(ctx context.Context, ev event, err error) {
	reason := "other"
	var ce *callError
	if errors.As(err, &ce) {
		reason = ce.reason
	}
	e.svc.metrics.failures.WithLabelValues(reason).Inc()
	msg := err.Error()
	e.log.WarnContext(ctx, "rule engine failure; nothing assigned", "event_id", ev.ID, "event_kind", ev.Kind, "chat", ev.Chat, "error", msg)
	if err := e.q.RuleEngineFailed(context.WithoutCancel(ctx), &msg); err != nil {
		e.log.WarnContext(ctx, "rule engine failure not recorded", "error", err)
	}
}

// listen wakes the engine when events commit (the events table's trigger
// notifies fanout.EventsChannel); the timer in Run covers the rest.
func (e *Engine) listen(ctx context.Context) {
	for ctx.Err() == nil {
		err := e.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		e.log.WarnContext(ctx, "rule engine notifications lost; reconnecting", "error", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (e *Engine) listenOnce(ctx context.Context) error {
	conn, err := e.svc.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection carried LISTEN state: never give it back to the pool.
	defer func() { _ = conn.Conn().Close(context.WithoutCancel(ctx)); conn.Release() }()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{fanout.EventsChannel}.Sanitize()); err != nil {
		return err
	}
	e.wake()
	for {
		if _, err := conn.Conn().WaitForNotification(ctx); err != nil {
			return err
		}
		e.wake()
	}
}

func (e *Engine) wake() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// optional is an id for a log line: the number, or nil.
func optional(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
