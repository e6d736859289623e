package ws

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/authz"
	"github.com/wamux/wamux/internal/fanout"
	"github.com/wamux/wamux/internal/storage"
	"github.com/wamux/wamux/internal/webhooks"
)

// Config is what a Hub needs. Zero durations and sizes take the defaults
// below.
type Config struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// Auth resolves the token of a client's first message, as it resolves
	// an Authorization header.
	Auth *auth.Authenticator
	// Presenter and Chats build the payloads' objects as the list
	// endpoints show them (see fanout.Config).
	Presenter fanout.Presenter
	Chats     fanout.ChatReader
	// Replica names this process in pg_stat_activity (the application_name
	// of its LISTEN connection); default: host, pid and a random suffix.
	Replica string
	// QueueSize bounds the frames waiting for one client (default 256); a
	// client that lets more pile up is disconnected.
	QueueSize int
	// WriteTimeout bounds the write of one frame (default 10 s); a client
	// whose socket accepts nothing for that long is disconnected.
	WriteTimeout time.Duration
	// PingInterval is how often clients are pinged (default 30 s); a
	// client whose pong does not come back within PingTimeout (default:
	// the interval, at most 10 s) is disconnected.
	PingInterval time.Duration
	PingTimeout  time.Duration
	// AuthTimeout bounds the time from the upgrade to a successful Token
	// authentication message (default 10 s).
	AuthTimeout time.Duration
	// PollInterval is how often the hub looks at the log without a
	// notification (default 1 s).
	PollInterval time.Duration
	// RecheckInterval is how often the clients' tokens are checked while no
	// events flow (default 30 s); with events, they are checked before
	// every page.
	RecheckInterval time.Duration
	// BatchSize bounds the events of one read of the log and of one frame
	// (default 100, as a webhook POST).
	BatchSize int
	// CloseTimeout bounds the wait for the clients' close handshakes when
	// the hub stops (default 5 s); connections still open then are cut.
	CloseTimeout time.Duration
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
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.PingInterval, 30*time.Second)
	def(&c.PingTimeout, min(c.PingInterval, 10*time.Second))
	def(&c.AuthTimeout, 10*time.Second)
	def(&c.PollInterval, time.Second)
	def(&c.RecheckInterval, 30*time.Second)
	def(&c.CloseTimeout, 5*time.Second)
	if c.QueueSize <= 0 {
		c.QueueSize = 256
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 100
	}
}

// Hub is one process's websocket feed: its clients and the one reader of
// the event log that serves them all.
type Hub struct {
	cfg     Config
	log     *slog.Logger
	q       *db.Queries
	feed    *fanout.Feed
	metrics *metrics
	wake    chan struct{}
	// joined wakes an idle hub when a client subscribes.
	joined chan struct{}

	mu sync.Mutex
	// clients are the open connections, authenticated or not.
	clients map[*client]struct{}
	closing bool
	// served counts the connections being served, for the shutdown.
	served sync.WaitGroup
	// lastCheck is when the clients' tokens were last checked (hub loop
	// only).
	lastCheck time.Time
}

// NewHub returns a Hub; serve connections with ServeHTTP and start it with
// Run, which also stops it.
func NewHub(cfg Config) (*Hub, error) {
	cfg.defaults()
	feed, err := fanout.NewFeed(fanout.Config{
		Pool: cfg.Pool, Logger: cfg.Logger, Presenter: cfg.Presenter, Chats: cfg.Chats, BatchSize: cfg.BatchSize,
	})
	if err != nil {
		return nil, fmt.Errorf("websocket feed: %w", err)
	}
	h := &Hub{
		cfg: cfg, log: cfg.Logger.With("component", "ws", "replica", cfg.Replica), q: db.New(cfg.Pool), feed: feed,
		wake: make(chan struct{}, 1), joined: make(chan struct{}, 1), clients: map[*client]struct{}{},
	}
	h.metrics = newMetrics(h)
	return h, nil
}

// Collectors are the hub's Prometheus metrics, to register where /metrics
// is served.
func (h *Hub) Collectors() []prometheus.Collector { return h.metrics.collectors() }

// ServeHTTP upgrades the request to a websocket and serves it until it
// closes. The caller has checked that the request asks for an upgrade;
// Accept answers a malformed handshake itself.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The server's read and write timeouts are meant for requests, not for
	// a connection that lives for hours: net/http clears them when the
	// connection is hijacked today, and this keeps it so whatever it does.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// Any origin may connect: the upgrade carries no credentials (the
		// token comes in the first message, and cookies are ignored), so a
		// foreign page gains nothing a plain client could not do.
		InsecureSkipVerify: true,
	})
	if err != nil {
		h.log.DebugContext(r.Context(), "websocket upgrade refused", "error", err)
		return
	}
	c := newClient(r.Context(), h, conn)
	if !h.add(c) {
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer h.served.Done()
	defer h.remove(c)
	c.serve()
}

func (h *Hub) add(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.clients[c] = struct{}{}
	h.served.Add(1)
	return true
}

func (h *Hub) remove(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
}

// subscribed returns the authenticated clients that are not closing.
func (h *Hub) subscribed() []*client {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		if c.subscribed() {
			out = append(out, c)
		}
	}
	return out
}

// Run reads the event log and feeds the clients until ctx ends; then it
// closes every connection with 1001 (going away), waits for them (at most
// CloseTimeout) and releases its database connections.
func (h *Hub) Run(ctx context.Context) {
	defer h.feed.Close()
	defer h.shutdown()
	var bg sync.WaitGroup
	bg.Add(1)
	go func() { defer bg.Done(); h.listen(ctx) }()
	defer bg.Wait()
	pos, ok := h.head(ctx)
	if !ok {
		return
	}
	h.loop(ctx, pos)
}

// head is where the hub starts: the log's head now (see WsHead).
func (h *Hub) head(ctx context.Context) (webhooks.Position, bool) {
	for {
		x, err := h.q.WsHead(ctx)
		if err == nil {
			pos, err := webhooks.ParsePosition(x, 0)
			if err == nil {
				return pos, true
			}
			h.log.ErrorContext(ctx, "event log head unreadable", "error", err)
		} else if ctx.Err() == nil {
			h.log.WarnContext(ctx, "event log head not read; retrying", "error", err)
		}
		select {
		case <-ctx.Done():
			return webhooks.Position{}, false
		case <-time.After(h.cfg.PollInterval):
		}
	}
}

// loop reads the log page by page and hands every page to the clients.
// While committed events wait above the horizon (an older transaction is
// still running, which may end without a notification) it looks again
// soon, then less often, as a webhook deliverer does.
func (h *Hub) loop(ctx context.Context, pos webhooks.Position) {
	var quick time.Duration
	for {
		if len(h.subscribed()) == 0 {
			var ok bool
			if pos, ok = h.idle(ctx, pos); !ok {
				return
			}
			continue
		}
		wait := h.cfg.PollInterval
		pg, err := h.feed.Read(ctx, pos, h.cfg.BatchSize)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			h.log.WarnContext(ctx, "event log not readable", "error", err)
		case pg.Len() > 0 && !h.deliver(ctx, pg):
			if ctx.Err() != nil {
				return
			}
			// Nothing of the page was sent: it is read again.
		default:
			pos = pg.End()
			switch {
			case pg.Len() == h.cfg.BatchSize:
				wait, quick = 0, 0 // more follows
			case pg.Waiting():
				quick = min(max(2*quick, 2*time.Millisecond), h.cfg.PollInterval)
				wait = quick
			default:
				quick = 0
			}
		}
		if wait <= 0 {
			continue
		}
		if time.Since(h.lastCheck) >= h.cfg.RecheckInterval {
			h.recheck(ctx)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-h.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// idle waits while no client is subscribed, without reading the log: under
// inbound load that was a page read for nobody at every commit. Every
// PollInterval it moves the position to the log's head, so a client that
// subscribes starts at most that long before the moment it did (the
// package doc allows a few earlier events); a subscription (joined) ends
// the wait at once. The head is read before the clients are counted: a
// client that subscribed after the count came after the head, and one
// that came before it keeps the older position.
func (h *Hub) idle(ctx context.Context, pos webhooks.Position) (webhooks.Position, bool) {
	t := time.NewTimer(h.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return pos, false
	case <-h.joined:
		return pos, true
	case <-t.C:
	}
	head, ok := h.head(ctx)
	if !ok {
		return pos, false
	}
	if len(h.subscribed()) == 0 {
		pos = head
	}
	return pos, true
}

// deliver sends a page to every client whose user may see something of it.
// It reports false when nothing was sent because the database failed (the
// page is read again); a client whose payloads cannot be built is closed
// (1011) rather than left with a gap it cannot know about.
func (h *Hub) deliver(ctx context.Context, pg *fanout.FeedPage) bool {
	clients := h.subscribed()
	if len(clients) == 0 {
		return true
	}
	subs, err := h.viewers(ctx, clients)
	if err != nil {
		if ctx.Err() == nil {
			h.log.WarnContext(ctx, "websocket clients' users not readable", "error", err)
		}
		return false
	}
	byUser := map[int64][]*client{}
	for _, c := range clients {
		if _, ok := subs[c.user]; ok && c.subscribed() {
			byUser[c.user] = append(byUser[c.user], c)
		}
	}
	if len(byUser) == 0 {
		return true
	}
	users := make([]int64, 0, len(byUser))
	for u := range byUser {
		users = append(users, u)
	}
	if err := h.feed.Prepare(ctx, pg, users); err != nil {
		if ctx.Err() == nil {
			h.log.WarnContext(ctx, "event page not prepared", "error", err)
		}
		return false
	}
	frames := h.build(ctx, pg, users, subs)
	if ctx.Err() != nil {
		return false // stopping: the clients are closed as going away
	}
	for _, u := range users {
		f := frames[u]
		for _, c := range byUser[u] {
			if f.err != nil {
				c.close(websocket.StatusInternalError, "the feed failed; reconnect")
				continue
			}
			for _, frame := range f.frames {
				if !c.send(frame) {
					break
				}
				h.metrics.frames.Inc()
			}
		}
	}
	h.metrics.lag.Observe(time.Since(pg.Oldest()).Seconds())
	return true
}

// userFrames are the frames of one user for a page.
type userFrames struct {
	frames [][]byte
	err    error
}

// build makes every user's frames for the page, a few users at a time:
// the work is mostly encoding (the page's messages are encoded once for
// all), and the rare per-user queries (the backlog of a chat just assigned
// to the user, a tagged chat) then overlap.
func (h *Hub) build(ctx context.Context, pg *fanout.FeedPage, users []int64, subs map[int64]fanout.Subscriber) map[int64]userFrames {
	out := make(map[int64]userFrames, len(users))
	var mu sync.Mutex
	work := make(chan int64)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(users)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				payloads, err := h.feed.Payloads(ctx, pg, subs[u])
				f := userFrames{err: err}
				if err != nil {
					h.log.ErrorContext(ctx, "websocket payload not built", "user_id", u, "error", err)
				}
				for _, p := range payloads {
					f.frames = append(f.frames, webhookFrame(p))
				}
				mu.Lock()
				out[u] = f
				mu.Unlock()
			}
		}()
	}
	for _, u := range users {
		work <- u
	}
	close(work)
	wg.Wait()
	return out
}

// viewers reads the clients' tokens and users, closes the clients whose
// token no longer holds (revoked, user deactivated) and returns the
// others' users as subscribers, by user id.
func (h *Hub) viewers(ctx context.Context, clients []*client) (map[int64]fanout.Subscriber, error) {
	h.lastCheck = time.Now()
	hashes := make([][]byte, 0, len(clients))
	seen := map[string]bool{}
	for _, c := range clients {
		if !seen[string(c.tokenHash)] {
			seen[string(c.tokenHash)] = true
			hashes = append(hashes, c.tokenHash)
		}
	}
	rows, err := h.q.WsViewers(ctx, hashes)
	if err != nil {
		return nil, err
	}
	valid := make(map[string]bool, len(rows))
	subs := make(map[int64]fanout.Subscriber, len(rows))
	for _, r := range rows {
		valid[string(r.TokenHash)] = true
		perms := make([]authz.Permissions, len(r.GroupReadLevels))
		for i, l := range r.GroupReadLevels {
			perms[i] = authz.Permissions{CanReadChats: authz.Level(l)}
		}
		eff := authz.Effective(authz.Override{CanReadChats: r.OwnReadLevel}, perms)
		subs[r.UserID] = fanout.Subscriber{UserID: r.UserID, Read: eff.CanReadChats, Groups: r.GroupIds, Events: fanout.AllEvents()}
	}
	for _, c := range clients {
		if !valid[string(c.tokenHash)] {
			h.log.InfoContext(c.ctx, "websocket client disconnected: token revoked or user deactivated", "user_id", c.user)
			c.close(websocket.StatusPolicyViolation, "token revoked or user deactivated")
		}
	}
	return subs, nil
}

// recheck checks the clients' tokens while no events flow.
func (h *Hub) recheck(ctx context.Context) {
	clients := h.subscribed()
	if len(clients) == 0 {
		h.lastCheck = time.Now()
		return
	}
	if _, err := h.viewers(ctx, clients); err != nil && ctx.Err() == nil {
		h.log.WarnContext(ctx, "websocket clients' tokens not checked", "error", err)
	}
}

// shutdown closes every connection with 1001 and waits for them, at most
// CloseTimeout; then it cuts those still open.
func (h *Hub) shutdown() {
	h.mu.Lock()
	h.closing = true
	clients := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		clients = append(clients, c)
	}
	h.mu.Unlock()
	for _, c := range clients {
		c.close(websocket.StatusGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { h.served.Wait(); close(done) }()
	t := time.NewTimer(h.cfg.CloseTimeout)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	for _, c := range clients {
		_ = c.conn.CloseNow()
	}
	<-done
}

// listen wakes the loop when events commit (the events table's trigger
// notifies fanout.EventsChannel); the loop's timer covers the rest. Its
// application_name is not "wamux-fanout:", the prefix that counts webhook
// replicas.
func (h *Hub) listen(ctx context.Context) {
	storage.Listener{
		Config: h.cfg.Pool.Config().ConnConfig, Name: "wamux-ws:" + h.cfg.Replica,
		Channels: []string{fanout.EventsChannel}, Logger: h.log,
		Connected: h.kick,
		Notified:  func(*pgconn.Notification) { h.kick() },
	}.Run(ctx)
}

func (h *Hub) kick() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}
