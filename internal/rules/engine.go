package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/fanout"
	"github.com/wamux/wamux/internal/storage"
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
	// GatherWait is how long a busy engine waits after a batch that was
	// not full before it reads the next one (default 20 ms), so that the
	// log's new events come in batches rather than a few per commit: each
	// step costs the same few statements whatever its size, and under
	// inbound load one step per commit was a fifth of the database's work.
	GatherWait time.Duration
	// Pool, when set, runs the engine's own reads and writes of the log
	// and its position (not the assignments it makes, which go through
	// the Service): storage.OpenGeneric's kind of pool, whose connections
	// keep generic plans. On the main pool's custom plans every step was
	// planned again, and planning RuleEngineEvents evaluates
	// events_horizon() once more.
	Pool *pgxpool.Pool
	// Attempts bounds the calls of one event to the custom engine on
	// transport failures (default 3); BackoffBase is the first delay
	// between them (default 500 ms), doubling.
	Attempts    int
	BackoffBase time.Duration
}

func (o *EngineOptions) defaults() {
	if o.Replica == "" {
		o.Replica = storage.ReplicaName()
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
	if o.GatherWait <= 0 {
		o.GatherWait = 20 * time.Millisecond
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
	// held is what the last batch's advance returned, and heldAt when it
	// was asked for: the next step's claim (see claim). Run's goroutine only.
	held   *claim
	heldAt time.Time
	// partial says the last step evaluated a batch that was not full: Run
	// then gathers for GatherWait before the next. Run's goroutine only.
	partial bool
}

type tagKey struct {
	xid, chat string
	tag       int64
}

// NewEngine returns an Engine over svc; start it with Run.
func NewEngine(svc *Service, opts EngineOptions) *Engine {
	opts.defaults()
	q := svc.q
	if opts.Pool != nil {
		q = db.New(opts.Pool)
	}
	return &Engine{svc: svc, q: q, opts: opts, log: svc.log.With("replica", opts.Replica),
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
		e.partial = false
		wait, err := e.step(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "rule engine step failed", "error", err)
			wait = e.opts.PollInterval
		}
		switch {
		case wait < 0: // events wait above the horizon: look again soon, then less often
			quick = min(max(2*quick, 2*time.Millisecond), e.opts.PollInterval)
			wait = quick
		default: // a batch evaluated, or idle: a later stall starts quick again
			quick = 0
		}
		if wait == 0 && e.partial {
			// Gathering: notifications do not cut this wait short, they
			// are what it collects; a kick that comes meanwhile stays
			// pending and costs one extra step at most.
			t := time.NewTimer(e.opts.GatherWait)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			continue
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
	st, ok, err := e.claim(ctx)
	if err != nil {
		return 0, err
	}
	if !ok {
		return e.opts.LeaseTTL / 3, nil // another replica holds the lease
	}
	pos := st.pos
	rows, err := e.q.RuleEngineEvents(ctx, db.RuleEngineEventsParams{
		AllPayloads: st.mode == ModeCustom, CursorXid: pos.XidText(), CursorID: pos.ID, Lim: int32(e.opts.BatchSize),
	})
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
	if err := e.evaluateBatch(ctx, st, rows); err != nil {
		return 0, err // the position stays: the batch is evaluated again
	}
	last := rows[len(rows)-1]
	end, err := webhooks.ParsePosition(last.XidText, last.ID)
	if err != nil {
		return 0, err
	}
	advanced := time.Now()
	adv, err := e.q.RuleEngineAdvance(context.WithoutCancel(ctx), db.RuleEngineAdvanceParams{
		Replica: e.opts.Replica, OldXid: pos.XidText(), OldID: pos.ID, NewXid: end.XidText(), NewID: end.ID,
		TtlSecs: e.opts.LeaseTTL.Seconds(),
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		e.log.WarnContext(ctx, "rule engine position moved by another replica meanwhile")
	case err != nil:
		return 0, fmt.Errorf("move the rule engine position: %w", err)
	default:
		e.held = &claim{mode: adv.Mode, url: deref(adv.Url), headers: decodeHeaders(adv.Headers),
			timeout: time.Duration(adv.TimeoutMs) * time.Millisecond, pos: end}
		e.heldAt = advanced
	}
	e.svc.metrics.lag.Set(time.Since(last.CreatedAt).Seconds())
	e.partial = len(rows) < e.opts.BatchSize
	return 0, nil
}

// claim takes or renews the lease and returns the configuration and the
// position; ok is false while another replica holds the lease. Straight
// after a batch it takes them from that batch's advance, which renewed the
// lease, read the configuration and set the position: a busy engine then
// spends one write per batch, not two. After an idle step, or once a third
// of the lease has passed, it claims again.
func (e *Engine) claim(ctx context.Context) (claim, bool, error) {
	held := e.held
	e.held = nil
	if held != nil && time.Since(e.heldAt) < e.opts.LeaseTTL/3 {
		return *held, true, nil
	}
	row, err := e.q.RuleEngineClaim(ctx, db.RuleEngineClaimParams{Replica: e.opts.Replica, TtlSecs: e.opts.LeaseTTL.Seconds()})
	if errors.Is(err, pgx.ErrNoRows) {
		return claim{}, false, nil
	}
	if err != nil {
		return claim{}, false, fmt.Errorf("claim the rule engine: %w", err)
	}
	pos, err := webhooks.ParsePosition(row.CursorXidText, row.CursorID)
	if err != nil {
		return claim{}, false, err
	}
	return claim{mode: row.Mode, url: deref(row.Url), headers: decodeHeaders(row.Headers),
		timeout: time.Duration(row.TimeoutMs) * time.Millisecond, pos: pos}, true, nil
}

// batch is what the evaluation of one batch shares: the configuration,
// the rules of the default engine and what it knows of its chats.
type batch struct {
	claim
	// stop ends with the engine's run: it stops the custom engine's retries
	// (see callWithRetries). The batch's own work runs on a context that
	// shutdown does not cancel, so that a batch started is a batch finished
	// before the position moves past it.
	stop  context.Context
	rules []Rule
	chats *chatStates
	// messages are the custom engine's messages of the batch by id (nil:
	// pruned), read once before the chats start, read-only afterwards.
	messages map[int64]*db.RuleEngineMessagesRow
}

// evaluateBatch evaluates rows chat by chat: one chat's events in log
// order, several chats at once. The lease is renewed meanwhile.
func (e *Engine) evaluateBatch(stop context.Context, st claim, rows []db.RuleEngineEventsRow) error {
	ctx := context.WithoutCancel(stop)
	b := &batch{claim: st, stop: stop}
	if st.mode == ModeDefault {
		var err error
		if b.rules, err = e.svc.allRules(ctx); err != nil {
			// Evaluating without the rules would skip the batch for good.
			return fmt.Errorf("read the rules: %w", err)
		}
	}
	order, byChat := e.plan(ctx, b, rows)
	if len(order) == 0 {
		return nil
	}
	b.chats = e.readChats(ctx, order, byChat)
	if b.mode == ModeCustom {
		b.messages = e.readMessages(ctx, b, order, byChat)
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
				e.evaluate(ctx, b, ev)
			}
		}(byChat[chat])
	}
	wg.Wait()
	return nil
}

// plan picks the events of rows the engine evaluates and groups them by
// chat, the chats in the order of their first event.
func (e *Engine) plan(ctx context.Context, b *batch, rows []db.RuleEngineEventsRow) ([]string, map[string][]event) {
	// Without a rule for fresh messages the default engine has nothing to
	// do with an incoming message: not even to read whether it is fresh.
	freshRule := b.mode == ModeCustom || matchRule(b.rules, nil) != nil
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
		if ev.Kind == kindChatTagging && b.mode == ModeDefault && e.lastMsgTag == (tagKey{xid: ev.Xid, chat: ev.Chat, tag: ev.Tag.ID}) {
			continue // the chat tagging of a message tagging just evaluated
		}
		if ev.Kind == kindOutgoing && b.mode == ModeDefault {
			continue // no default rule reacts to outgoing messages
		}
		if ev.Kind == kindIncoming && !freshRule {
			continue
		}
		if _, ok := byChat[ev.Chat]; !ok {
			order = append(order, ev.Chat)
		}
		byChat[ev.Chat] = append(byChat[ev.Chat], ev)
	}
	return order, byChat
}

// readChats reads the assignment of every chat of the batch that has an
// incoming message, in one query (an incoming message is evaluated only in
// a fresh chat). When that fails, each chat is read on its own.
func (e *Engine) readChats(ctx context.Context, order []string, byChat map[string][]event) *chatStates {
	cs := newChatStates(stateTTL)
	var ids []string
	for _, chat := range order {
		if slices.ContainsFunc(byChat[chat], func(ev event) bool { return ev.Kind == kindIncoming }) {
			ids = append(ids, chat)
		}
	}
	if len(ids) == 0 {
		return cs
	}
	rows, err := e.q.RuleChatAssignments(ctx, ids)
	if err != nil {
		e.log.WarnContext(ctx, "chats of the batch not readable at once; read one by one", "error", err)
		return cs
	}
	cs.load(ids, rows)
	return cs
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
func (e *Engine) evaluate(ctx context.Context, b *batch, ev event) {
	if ev.Kind == kindIncoming {
		cur, found, err := e.chatState(ctx, b.chats, ev.Chat)
		if err != nil {
			e.log.ErrorContext(ctx, "chat not readable; event skipped", "event_id", ev.ID, "error", err)
			return
		}
		if !found || !cur.fresh() {
			return
		}
	}
	e.svc.metrics.evaluated.WithLabelValues(b.mode, ev.Kind).Inc()
	if b.mode == ModeCustom {
		e.evaluateCustom(ctx, b, ev)
		return
	}
	var tag *int64
	if ev.Kind != kindIncoming {
		tag = &ev.Tag.ID
	}
	r := matchRule(b.rules, tag)
	if r == nil {
		return
	}
	reason := map[string]any{"engine": ModeDefault, "rule_id": r.ID}
	e.apply(ctx, b, ev, ev.Chat, r.target(), reason)
}

// chatState is chat's assignment: the batch's reading while it is recent,
// otherwise read again (and kept for the chat's next events). found is
// false for a chat that does not exist (pruned meanwhile).
func (e *Engine) chatState(ctx context.Context, cs *chatStates, chat string) (chatState, bool, error) {
	if st, ok := cs.get(chat); ok {
		return st, st.exists, nil
	}
	cur, err := e.q.RuleChatAssignment(ctx, chat)
	if errors.Is(err, pgx.ErrNoRows) {
		cs.set(chat, chatState{})
		return chatState{}, false, nil
	}
	if err != nil {
		return chatState{}, false, err
	}
	st := chatState{exists: true, user: cur.AssignedUserID, group: cur.AssignedGroupID}
	cs.set(chat, st)
	return st, true, nil
}

// apply makes one assignment and logs why; a failure is recorded like a
// custom engine's. The batch learns the chat's new assignment, or forgets
// what it knew of the chat when the assignment failed.
func (e *Engine) apply(ctx context.Context, b *batch, ev event, chat string, t target, reason map[string]any) {
	// The answer to a fresh incoming message applies only while its chat is
	// still unassigned (checked under the chat's lock): a person who took
	// the chat meanwhile keeps it.
	a, err := e.svc.assign(ctx, chat, t, ev.Kind == kindIncoming && chat == ev.Chat, reason)
	if err != nil {
		b.chats.forget(chat)
		e.fail(ctx, ev, &callError{reason: "assign", msg: fmt.Sprintf("assigning chat %s failed: %v", chat, err)})
		return
	}
	b.chats.set(chat, chatState{exists: true, user: a.UserID, group: a.GroupID})
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
	storage.Listener{
		Config: e.svc.pool.Config().ConnConfig, Name: "wamux-rules:" + e.opts.Replica,
		Channels: []string{fanout.EventsChannel}, Logger: e.log,
		Connected: e.wake,
		Notified:  func(*pgconn.Notification) { e.wake() },
	}.Run(ctx)
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
