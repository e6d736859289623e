package fanout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/wamux/wamux/gen/db"
	"github.com/wamux/wamux/internal/accounts"
	"github.com/wamux/wamux/internal/auth"
	"github.com/wamux/wamux/internal/dbtest"
	"github.com/wamux/wamux/internal/fanout"
	"github.com/wamux/wamux/internal/httpapi"
	"github.com/wamux/wamux/internal/inbox"
	"github.com/wamux/wamux/internal/waba"
	"github.com/wamux/wamux/internal/webhooks"
)

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// world is one test database with what the engines need around it.
type world struct {
	t     *testing.T
	url   string
	pool  *pgxpool.Pool
	inbox *inbox.Service
	hooks *webhooks.Service
}

func newWorld(t *testing.T) *world {
	t.Helper()
	url := dbtest.URL(t)
	pool := newPool(t, url)
	logger := testLogger(t)
	return &world{t: t, url: url, pool: pool, inbox: inbox.New(inbox.Config{Pool: pool, Logger: logger}),
		hooks: webhooks.New(webhooks.Config{Pool: pool, Logger: logger, AllowPrivate: true})}
}

func newPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// user creates an active app user (reads every chat) and returns it.
func (w *world) user(name string) db.User {
	w.t.Helper()
	var u db.User
	ctx := context.Background()
	require.NoError(w.t, w.pool.QueryRow(ctx, `INSERT INTO users (username, role, is_active) VALUES ($1, 'app', true) RETURNING id, username, role`, name).Scan(&u.ID, &u.Username, &u.Role))
	_, err := w.pool.Exec(ctx, `INSERT INTO group_members (group_id, user_id) SELECT id, $1 FROM groups WHERE role = 'app'`, u.ID)
	require.NoError(w.t, err)
	return u
}

func (w *world) webhook(u db.User, url string) int64 {
	w.t.Helper()
	on := true
	hook, err := w.hooks.Create(context.Background(), &auth.Principal{User: u}, webhooks.Input{URL: &url, IncomingMessages: &on})
	require.NoError(w.t, err)
	return hook.ID
}

// engine starts a fanout engine on its own pool; stop ends it gracefully.
func (w *world) engine(replica string, tweak func(*fanout.Config)) (e *fanout.Engine, stop func()) {
	w.t.Helper()
	pool := newPool(w.t, w.url)
	logger := testLogger(w.t)
	cfg := fanout.Config{
		Pool: pool, Logger: logger, Replica: replica, Chats: inbox.New(inbox.Config{Pool: pool, Logger: logger}),
		Presenter: httpapi.NewPresenter("http://wamux.test", accounts.New(pool, nil)),
		LeaseTTL:  3 * time.Second, PollInterval: 200 * time.Millisecond, BackoffBase: 50 * time.Millisecond, BackoffMax: 500 * time.Millisecond,
		AttemptTimeout: 5 * time.Second, AllowPrivate: true,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	e, err := fanout.New(cfg)
	require.NoError(w.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	w.t.Cleanup(stop)
	return e, stop
}

// inbound stores a provider notification with one text message.
func (w *world) inbound(wamid, from, text string) {
	w.t.Helper()
	body, _ := json.Marshal(map[string]any{
		"contacts": []any{map[string]any{"profile": map[string]any{"name": "Customer " + from}, "wa_id": from}},
		"messages": []any{map[string]any{"from": from, "id": wamid, "timestamp": fmt.Sprint(time.Now().Unix()), "type": "text",
			"text": map[string]any{"body": text}}},
	})
	n, err := waba.ParseNotification(body)
	require.NoError(w.t, err)
	require.NoError(w.t, w.inbox.Ingest(context.Background(), n))
}

// receiver records the message ids of every delivery it answers 2xx.
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []string       // message ids in arrival order (2xx answers only)
	count   map[string]int // deliveries per message id (2xx answers only)
	handler func(r *http.Request, body []byte) int
}

func newReceiver(t *testing.T, handler func(r *http.Request, body []byte) int) *receiver {
	rc := &receiver{count: map[string]int{}, handler: handler}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status := http.StatusOK
		if rc.handler != nil {
			status = rc.handler(r, body)
		}
		if status/100 == 2 {
			var p struct {
				Messages []struct {
					ID string `json:"id"`
				} `json:"messages"`
			}
			_ = json.Unmarshal(body, &p)
			rc.mu.Lock()
			for _, m := range p.Messages {
				rc.got = append(rc.got, m.ID)
				rc.count[m.ID]++
			}
			rc.mu.Unlock()
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) snapshot() ([]string, map[string]int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	c := make(map[string]int, len(rc.count))
	for k, v := range rc.count {
		c[k] = v
	}
	return append([]string(nil), rc.got...), c
}

func (rc *receiver) waitFor(t *testing.T, ids []string, within time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		_, c := rc.snapshot()
		for _, id := range ids {
			if c[id] == 0 {
				return false
			}
		}
		return true
	}, within, 20*time.Millisecond)
}

// TestTwoEnginesDeliverEachEventOnce runs two engines (two replicas) on one
// database, with two writers appending concurrently (the ordering trap):
// every event reaches every webhook exactly once, in each writer's order.
func TestTwoEnginesDeliverEachEventOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const hooks, perWriter = 4, 60
	var receivers []*receiver
	for i := range hooks {
		rc := newReceiver(t, nil)
		receivers = append(receivers, rc)
		w.webhook(w.user(fmt.Sprintf("bot%d", i)), rc.srv.URL+"/hook?auth=s3cret")
	}
	w.engine("replica-a", nil)
	w.engine("replica-b", nil)

	var wg sync.WaitGroup
	var all []string
	for _, writer := range []string{"A", "B"} {
		ids := make([]string, perWriter)
		for i := range ids {
			ids[i] = fmt.Sprintf("wamid.%s%03d", writer, i)
		}
		all = append(all, ids...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, id := range ids {
				w.inbound(id, "1555000"+writer+"0", fmt.Sprintf("%s says %d", writer, i))
				if i%10 == 0 {
					time.Sleep(20 * time.Millisecond) // let rebalancing happen mid-stream
				}
			}
		}()
	}
	wg.Wait()
	for _, rc := range receivers {
		rc.waitFor(t, all, 20*time.Second)
	}
	time.Sleep(500 * time.Millisecond) // a late duplicate would show up now
	for i, rc := range receivers {
		got, count := rc.snapshot()
		for _, id := range all {
			require.Equal(t, 1, count[id], "webhook %d got %s %d times", i, id, count[id])
		}
		require.Len(t, got, len(all))
		last := map[byte]string{}
		for _, id := range got {
			writer := id[len("wamid.")]
			require.Less(t, last[writer], id, "webhook %d: %s after %s", i, id, last[writer])
			last[writer] = id
		}
	}
	// Both replicas ended up with a share of the webhooks.
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, w.pool.QueryRow(context.Background(), `SELECT count(DISTINCT leased_by) FROM waba_webhooks WHERE lease_expires_at > now()`).Scan(&n))
		return n == 2
	}, 10*time.Second, 100*time.Millisecond)
}

// TestKilledEngineResumesWithoutGaps kills a replica while its POST is in
// flight: once its lease expires the other replica delivers everything,
// the interrupted batch included.
func TestKilledEngineResumesWithoutGaps(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	blocked := make(chan struct{})
	var once sync.Once
	rc := newReceiver(t, func(r *http.Request, _ []byte) int {
		first := false
		once.Do(func() { first = true })
		if first {
			close(blocked)
			<-r.Context().Done() // hangs until the replica dies
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	w.webhook(w.user("archiver"), rc.srv.URL)
	a, _ := w.engine("replica-a", func(c *fanout.Config) { c.LeaseTTL = 2 * time.Second })

	var ids []string
	for i := range 5 {
		id := fmt.Sprintf("wamid.K%03d", i)
		ids = append(ids, id)
		w.inbound(id, "15550009999", fmt.Sprint("message ", i))
	}
	select {
	case <-blocked:
	case <-time.After(10 * time.Second):
		t.Fatal("replica A never delivered")
	}
	w.engine("replica-b", func(c *fanout.Config) { c.LeaseTTL = 2 * time.Second })
	for i := 5; i < 10; i++ {
		id := fmt.Sprintf("wamid.K%03d", i)
		ids = append(ids, id)
		w.inbound(id, "15550009999", fmt.Sprint("message ", i))
	}
	killed := time.Now()
	a.Crash()
	rc.waitFor(t, ids, 15*time.Second)
	took := time.Since(killed)
	t.Logf("replica B took over and caught up %s after replica A died", took)
	require.GreaterOrEqual(t, took, time.Second, "B waited for A's lease to expire")
	got, _ := rc.snapshot()
	for i := 1; i < len(got); i++ {
		require.Less(t, got[i-1], got[i], "in order")
	}
	var leasedBy string
	require.NoError(t, w.pool.QueryRow(context.Background(), `SELECT leased_by FROM waba_webhooks`).Scan(&leasedBy))
	require.Equal(t, "replica-b", leasedBy)
}

// TestHorizon: a transaction that has written nothing yet but holds an xid
// keeps later events back until it ends, in this database (it could still
// commit an event that belongs before them); in another database of the
// same server it does not (it can never write to this events table).
func TestHorizon(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	rc := newReceiver(t, nil)
	w.webhook(w.user("watcher"), rc.srv.URL)
	eng, _ := w.engine("replica-a", nil)
	ctx := context.Background()

	// Another database, same server and role: ignored.
	other := newPool(t, dbtest.URL(t))
	tx, err := other.Begin(ctx)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(ctx) }()
	_, err = tx.Exec(ctx, "SELECT pg_current_xact_id()")
	require.NoError(t, err)
	w.inbound("wamid.H1", "15550001212", "first")
	rc.waitFor(t, []string{"wamid.H1"}, 3*time.Second)

	// This database: held back, then delivered soon after it ends (no
	// notification comes from a transaction that wrote no event).
	own, err := w.pool.Begin(ctx)
	require.NoError(t, err)
	_, err = own.Exec(ctx, "SELECT pg_current_xact_id()")
	require.NoError(t, err)
	w.inbound("wamid.H2", "15550001212", "second")
	time.Sleep(500 * time.Millisecond)
	_, count := rc.snapshot()
	require.Zero(t, count["wamid.H2"], "delivered past a running transaction of this database")
	require.NoError(t, own.Rollback(ctx))
	rc.waitFor(t, []string{"wamid.H2"}, 3*time.Second)

	// The metrics saw both deliveries. The deliverer counts a POST once
	// its answer is back, which may be just after the receiver saw it.
	reg := prometheus.NewRegistry()
	reg.MustRegister(eng.Collectors()...)
	gather := func() map[string]float64 {
		families, err := reg.Gather()
		require.NoError(t, err)
		got := map[string]float64{}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				switch {
				case m.GetCounter() != nil:
					got[f.GetName()] += m.GetCounter().GetValue()
				case m.GetGauge() != nil:
					got[f.GetName()] = m.GetGauge().GetValue()
				case m.GetHistogram() != nil:
					got[f.GetName()] = float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
		return got
	}
	var got map[string]float64
	require.Eventually(t, func() bool {
		got = gather()
		return got["wamux_webhook_attempts_total"] >= 2
	}, 3*time.Second, 10*time.Millisecond)
	require.Equal(t, float64(2), got["wamux_webhook_events_delivered_total"])
	require.Equal(t, float64(2), got["wamux_webhook_attempts_total"])
	require.Equal(t, float64(2), got["wamux_webhook_lag_seconds"])
	require.Equal(t, float64(1), got["wamux_webhook_deliverers"])
}
