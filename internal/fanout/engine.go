package fanout

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wamux/wamux/gen/api"
	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/storage"
	"github.com/wamux/wamux/internal/webhooks"
)

// EventsChannel is the channel the events table's trigger notifies when
// events commit (db/migrations/00001_init.sql).
const EventsChannel = "wamux_events"

// Presenter turns domain values into the entries the list endpoints answer;
// internal/httpapi's Presenter implements it, so webhook payloads and API
// answers cannot drift apart.
type Presenter interface {
	Messages(msgs []inbox.Message) []api.Message
	Chats(ctx context.Context, chats []inbox.Chat) ([]api.Chat, error)
}

// ChatReader reads one chat as a viewer sees it (inbox.Service).
type ChatReader interface {
	GetChat(ctx context.Context, v inbox.Viewer, waID string) (inbox.Chat, error)
}

// Config is what an Engine needs. Zero durations and sizes take the
// defaults below.
type Config struct {
	Pool      *pgxpool.Pool
	Logger    *slog.Logger
	Presenter Presenter
	Chats     ChatReader
	// Replica names this process in leases; default: host, pid and a random
	// suffix. Two engines must never share one.
	Replica string
	// BatchSize bounds the events of one POST (default 100).
	BatchSize int
	// AttemptTimeout bounds one POST, answer included (default 10 s, as
	// openapi.yaml promises).
	AttemptTimeout time.Duration
	// LeaseTTL is how long a replica holds a webhook without renewing
	// (default 30 s): how soon another replica takes over after a crash.
	// Leases are renewed every third of it.
	LeaseTTL time.Duration
	// PollInterval is how often an idle deliverer looks at the log without
	// a notification (default 1 s).
	PollInterval time.Duration
	// BackoffBase and BackoffMax shape the retry delays: the n-th
	// consecutive failure waits about BackoffBase·2^(n-1), with jitter, at
	// most BackoffMax (defaults 1 s and 10 min).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// AllowPrivate lets deliveries go to private, loopback and link-local
	// addresses (WAMUX_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
	// UserAgent of the deliveries (default "wamux-webhooks/1").
	UserAgent string
	// DeliveryRetention is how long the delivery log is kept (default 7
	// days).
	DeliveryRetention time.Duration
	// AssignedBacklog bounds the messages a chat brings along in
	// assigned_messages when it is assigned to a user (default 100).
	AssignedBacklog int
	// Linger is the least time between the starts of two POSTs to one
	// webhook while its events trickle in (default 50 ms): events that
	// arrive meanwhile share the next POST, which costs a little latency
	// and saves most of the per-POST work at high rates. A backlog is sent
	// without lingering.
	Linger time.Duration
	// MarkInterval is how often the received marks of delivered messages
	// are written (default 1 s; see marker).
	MarkInterval time.Duration
}

func (c *Config) defaults() {
	if c.Replica == "" {
		c.Replica = storage.ReplicaName()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.AttemptTimeout, 10*time.Second)
	def(&c.LeaseTTL, 30*time.Second)
	def(&c.PollInterval, time.Second)
	def(&c.BackoffBase, time.Second)
	def(&c.BackoffMax, 10*time.Minute)
	def(&c.DeliveryRetention, 7*24*time.Hour)
	def(&c.Linger, 50*time.Millisecond)
	def(&c.MarkInterval, time.Second)
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
	if c.AssignedBacklog <= 0 {
		c.AssignedBacklog = 100
	}
	if c.UserAgent == "" {
		c.UserAgent = "wamux-webhooks/1 (+https://github.com/wamux/wamux)"
	}
}

// Engine runs the deliverers of one process.
type Engine struct {
	cfg    Config
	pool   *pgxpool.Pool
	q      *db.Queries
	log    *slog.Logger
	client *http.Client

	mu       sync.Mutex
	running  map[int64]*deliverer
	stopping bool
	wg       sync.WaitGroup

	metrics   *metrics
	kick      chan struct{}
	listening atomic.Bool
	// lastNotify is when events were last announced (unix ns).
	lastNotify atomic.Int64
	pagesMu    sync.Mutex
	pages      map[pageKey]*page
	msgMu      sync.Mutex
	msgCache   map[int64]cachedMessage
	msgSwept   time.Time
	crashed    atomic.Bool
	// hard is the context of everything the engine does; cancelling it
	// aborts POSTs in flight (Crash, in tests).
	hard       context.Context
	hardCancel context.CancelFunc
	started    chan struct{}
	marker     *marker
}

// New returns an Engine; start it with Run.
//
// The engine queries through a pool of its own, made from cfg.Pool's
// configuration with three settings changed:
//
//   - synchronous_commit off. What the engine writes (cursors, health,
//     the delivery log, received marks) needs no flush before the next
//     POST: a crash of PostgreSQL may forget the last fraction of a second
//     of it, and then those events are simply delivered again, which
//     at-least-once delivery allows. Waiting for the WAL flush after every
//     POST took the flushes the inbound path needs to acknowledge the
//     provider (measured: most of the fan-out's time was WALSync).
//   - enable_bitmapscan off. Every fan-out query is a key or range lookup
//     that a plain index scan serves best, and the planner otherwise
//     answers persons.wa_id = ... through the trigram GIN index
//     persons_wa_id_trgm_idx, which costs milliseconds per probe while its
//     pending list is long (every inbound message adds to it): measured 6
//     ms per message. GIN indexes are only usable through bitmap scans.
//   - plan_cache_mode force_generic_plan (storage.OpenGeneric's reason):
//     those lookups have one good plan whatever their keys, and the main
//     pool's custom plans planned every one of them again: a third of the
//     fan-out's statement time at the maximum inbound rate with ten
//     subscribers (pg_stat_statements, track_planning on).
func New(cfg Config) (*Engine, error) {
	cfg.defaults()
	pcfg := cfg.Pool.Config().Copy()
	pcfg.ConnConfig.RuntimeParams["synchronous_commit"] = "off"
	pcfg.ConnConfig.RuntimeParams["enable_bitmapscan"] = "off"
	pcfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	pool, err := pgxpool.NewWithConfig(context.Background(), pcfg)
	if err != nil {
		return nil, fmt.Errorf("fan-out connection pool: %w", err)
	}
	e := &Engine{
		cfg: cfg, pool: pool, q: db.New(pool), log: cfg.Logger.With("component", "fanout", "replica", cfg.Replica),
		client:  newClient(cfg.AllowPrivate, cfg.AttemptTimeout),
		running: map[int64]*deliverer{}, kick: make(chan struct{}, 1), started: make(chan struct{}),
		pages: map[pageKey]*page{}, msgCache: map[int64]cachedMessage{},
	}
	e.metrics = newMetrics(e)
	e.marker = newMarker(e)
	return e, nil
}

// Replica returns the name this engine leases webhooks under.
func (e *Engine) Replica() string { return e.cfg.Replica }

// Run delivers until ctx ends, then drains: every deliverer finishes the
// attempt in flight (bounded by AttemptTimeout), records it, and gives its
// lease back so another replica continues at once.
func (e *Engine) Run(ctx context.Context) {
	e.hard, e.hardCancel = context.WithCancel(context.WithoutCancel(ctx))
	defer e.hardCancel()
	close(e.started)
	var bg sync.WaitGroup
	bg.Add(3)
	go func() { defer bg.Done(); e.listen(e.hard) }()
	// The marker outlives the deliverers: its last flush writes the marks
	// of their last POSTs.
	markCtx, stopMarker := context.WithCancel(e.hard)
	markDone := make(chan struct{})
	go func() { defer close(markDone); e.marker.run(markCtx) }()
	balanceCtx, stopBalance := context.WithCancel(e.hard)
	go func() { defer bg.Done(); e.balance(balanceCtx) }()
	go func() { defer bg.Done(); e.prune(balanceCtx) }()

	select {
	case <-ctx.Done():
	case <-e.hard.Done():
	}
	stopBalance()
	e.mu.Lock()
	e.stopping = true
	for _, d := range e.running {
		d.requestStop()
	}
	e.mu.Unlock()
	e.wg.Wait()
	stopMarker()
	<-markDone
	e.hardCancel()
	bg.Wait()
	e.pool.Close()
}

// crash stops the engine the way a killed process stops: POSTs in flight
// are aborted and nothing more is written, leases included, so other
// replicas take over only when the leases expire.
func (e *Engine) crash() {
	<-e.started
	e.crashed.Store(true)
	e.hardCancel()
}

func (e *Engine) kickClaim() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// listen keeps one LISTEN connection open and fans its notifications out
// to the deliverers (events committed) and to the webhooks' state (a
// webhook changed); the timers cover what notifications miss. Its
// application_name also announces this replica to the others, which divide
// the webhooks by the number of replicas alive.
func (e *Engine) listen(ctx context.Context) {
	storage.Listener{
		Config: e.pool.Config().ConnConfig, Name: "wamux-fanout:" + e.cfg.Replica,
		Channels: []string{EventsChannel, webhooks.Channel}, Logger: e.log,
		Connected: func() {
			e.listening.Store(true)
			e.lastNotify.Store(time.Now().UnixNano())
			e.wakeAll()
			e.kickClaim()
		},
		Notified: func(n *pgconn.Notification) {
			switch n.Channel {
			case EventsChannel:
				e.lastNotify.Store(time.Now().UnixNano())
				e.wakeAll()
			case webhooks.Channel:
				e.webhookChanged(n.Payload)
			}
		},
		Lost: func() { e.listening.Store(false) },
	}.Run(ctx)
}

func (e *Engine) wakeAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, d := range e.running {
		signal(d.wake)
	}
}

// webhookChanged handles "<op>:<id>" from webhooks.Channel.
func (e *Engine) webhookChanged(payload string) {
	op, idText, _ := strings.Cut(payload, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return
	}
	if op == webhooks.OpCreated {
		e.kickClaim()
		return
	}
	e.mu.Lock()
	d := e.running[id]
	e.mu.Unlock()
	if d == nil {
		return
	}
	if op == webhooks.OpDeleted {
		d.cancel() // stop at once, aborting a POST in flight
		return
	}
	signal(d.changed)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// balance renews this replica's leases, takes free webhooks up to its fair
// share (the webhooks divided by the replicas alive) and gives back what
// exceeds it, so that replicas started one after the other end up sharing
// the work.
func (e *Engine) balance(ctx context.Context) {
	t := time.NewTicker(e.cfg.LeaseTTL / 3)
	defer t.Stop()
	for {
		if err := e.rebalance(ctx); err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "webhook leases not renewed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.kick:
		}
	}
}

func (e *Engine) rebalance(ctx context.Context) error {
	e.mu.Lock()
	var ids []int64
	for id, d := range e.running {
		if !d.stopRequested() {
			ids = append(ids, id)
		}
	}
	e.mu.Unlock()
	slices.Sort(ids)
	ttl := e.cfg.LeaseTTL.Seconds()
	if len(ids) > 0 {
		kept, err := e.q.FanoutRenew(ctx, db.FanoutRenewParams{Replica: e.cfg.Replica, Ids: ids, TtlSecs: ttl})
		if err != nil {
			return fmt.Errorf("renew leases: %w", err)
		}
		e.mu.Lock()
		for _, id := range ids {
			if !slices.Contains(kept, id) {
				if d := e.running[id]; d != nil {
					e.log.InfoContext(ctx, "webhook taken over by another replica", "webhook_id", id)
					d.lost.Store(true)
					d.cancel()
				}
			}
		}
		e.mu.Unlock()
		ids = kept
	}
	share, err := e.q.FanoutShare(ctx)
	if err != nil {
		return fmt.Errorf("count replicas: %w", err)
	}
	replicas := share.Replicas
	if !e.listening.Load() {
		replicas++ // not visible to the others right now, but alive
	}
	fair := int(share.Webhooks)
	if replicas > 1 {
		fair = int((share.Webhooks + replicas - 1) / replicas)
	}
	switch {
	case len(ids) < fair:
		claimed, err := e.q.FanoutClaim(ctx, db.FanoutClaimParams{Replica: e.cfg.Replica, TtlSecs: ttl, Lim: int32(fair - len(ids))})
		if err != nil {
			return fmt.Errorf("claim webhooks: %w", err)
		}
		for _, id := range claimed {
			e.start(id)
		}
	case len(ids) > fair:
		e.mu.Lock()
		for _, id := range ids[fair:] {
			if d := e.running[id]; d != nil {
				d.requestStop() // gives the lease back after its attempt in flight
			}
		}
		e.mu.Unlock()
	}
	return nil
}

// start runs a deliverer for webhook id, whose lease this replica holds.
func (e *Engine) start(id int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopping || e.running[id] != nil {
		return
	}
	d := newDeliverer(e, id)
	e.running[id] = d
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		d.run()
		e.mu.Lock()
		if e.running[id] == d {
			delete(e.running, id)
		}
		e.mu.Unlock()
	}()
}

// prune deletes delivery-log rows older than the retention period, hourly
// on every replica (the delete is idempotent).
func (e *Engine) prune(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := e.q.FanoutPruneDeliveries(ctx, time.Now().Add(-e.cfg.DeliveryRetention))
		if err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "pruning the webhook delivery log failed", "error", err)
		} else if n > 0 {
			e.log.InfoContext(ctx, "pruned the webhook delivery log", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
